"""Fit one model to many data sets at once (bootstrap, jackknife): the ML engine vectorised over
replicates.

Same algorithm as :meth:`rsnprop.sem.engine.Engine.fit` (Fisher scoring, then BFGS updates of
the information, Armijo backtracking), run on a stack of ``B`` sample covariance matrices and
means with batched numpy linear algebra, so that Python overhead is paid once per iteration
instead of once per replicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["fit_batch", "evaluate_batch"]


def stacked_matrices(gm, thetas):
    """The RAM matrices ``A``, ``S`` and means ``m`` of a group model for every row of
    ``thetas`` (shape ``(B, q)``): arrays ``(B, n, n)``, ``(B, n, n)``, ``(B, n)``, each slice
    the matrices :class:`rsnprop.sem.engine._GroupModel` fills for that parameter vector."""
    B, n = thetas.shape[0], gm.nvar
    A = np.broadcast_to(gm.A0, (B, n, n)).copy()
    S = np.broadcast_to(gm.S0, (B, n, n)).copy()
    m = np.broadcast_to(gm.m0, (B, n)).copy()
    if len(gm.ap):
        A[:, gm.ai, gm.aj] = thetas[:, gm.ap]
    if len(gm.sp):
        S[:, gm.si, gm.sj] = thetas[:, gm.sp]
        S[:, gm.sj, gm.si] = thetas[:, gm.sp]
    if len(gm.mp):
        m[:, gm.mi] = thetas[:, gm.mp]
    return A, S, m


def _group_terms(gm, theta, cov, mean, logdet_s, meanstructure, need_grad=True, need_hess=True):
    """Batched F_g, gradient and expected Hessian for one group. theta: (B, q)."""
    B = theta.shape[0]
    p = gm.p
    A, S, m = stacked_matrices(gm, theta)
    IA = np.linalg.inv(gm.eye - A)
    G = IA[:, :p, :]
    sigma = G @ S @ G.transpose(0, 2, 1)
    mu = np.einsum("bpn,bn->bp", G, m)
    sign, logdet = np.linalg.slogdet(sigma)
    bad = sign <= 0
    if bad.any():
        sigma[bad] = np.eye(p)
    sinv = np.linalg.inv(sigma)
    f = logdet + np.einsum("bij,bij->b", cov, sinv) - logdet_s - p
    r = None
    if meanstructure:
        r = mean - mu
        sr = np.einsum("bij,bj->bi", sinv, r)
        f = f + np.einsum("bi,bi->b", r, sr)
    f[bad | ~(f > -1e-6)] = np.inf  # F_ML >= 0: anything else is a numerically singular Sigma
    if not need_grad:
        return f, None, None
    H = IA @ S @ IA.transpose(0, 2, 1)
    C = H[:, :, :p]
    if not need_hess:
        return f, _cheap_grad(gm, G, C, sinv, sigma, cov, r, sr if meanstructure else None, IA, m), None
    parts = []
    if len(gm.ap):
        dA = G[:, :, gm.ai].transpose(0, 2, 1)[:, :, :, None] * C[:, gm.aj, :][:, :, None, :]
        parts.append(dA + dA.transpose(0, 1, 3, 2))
    if len(gm.sp):
        gi = G[:, :, gm.si].transpose(0, 2, 1)
        gj = G[:, :, gm.sj].transpose(0, 2, 1)
        dS = gi[:, :, :, None] * gj[:, :, None, :]
        parts.append(dS + gm.offdiag[None, :, None, None] * dS.transpose(0, 1, 3, 2))
    if len(gm.mp):
        parts.append(np.zeros((B, len(gm.mp), p, p)))
    dall = np.concatenate(parts, axis=1)
    pp = p * p
    dsT = dall.reshape(B, dall.shape[1], pp).transpose(0, 2, 1) @ gm.P  # (B, p*p, q)
    resid = sigma - cov
    if meanstructure:
        resid = resid - r[:, :, None] * r[:, None, :]
    W = sinv @ resid @ sinv
    grad = (W.reshape(B, 1, pp) @ dsT)[:, 0, :]
    if meanstructure:
        eta = np.einsum("bij,bj->bi", IA, m)
        mparts = []
        if len(gm.ap):
            mparts.append(G[:, :, gm.ai].transpose(0, 2, 1) * eta[:, gm.aj][:, :, None])
        if len(gm.sp):
            mparts.append(np.zeros((B, len(gm.sp), p)))
        if len(gm.mp):
            mparts.append(G[:, :, gm.mi].transpose(0, 2, 1))
        dmT = np.concatenate(mparts, axis=1).transpose(0, 2, 1) @ gm.P  # (B, p, q)
        grad = grad - 2.0 * (sr[:, None, :] @ dmT)[:, 0, :]
    hess = None
    if need_hess:
        K = (sinv[:, :, None, :, None] * sinv[:, None, :, None, :]).reshape(B, pp, pp)
        hess = dsT.transpose(0, 2, 1) @ (K @ dsT)
        if meanstructure:
            hess = hess + 2.0 * (dmT.transpose(0, 2, 1) @ (sinv @ dmT))
    return f, grad, hess


def _cheap_grad(gm, G, C, sinv, sigma, cov, r, sr, IA, m):
    """Gradient of F_g without the per-parameter derivative matrices.

    ``dF/dA_ij = 2 [G' W C']_ij`` and ``dF/dS_ij = [G' W G]_ij`` (doubled off the diagonal),
    with ``W = Sigma^-1 (Sigma - S - r r') Sigma^-1``; mean part ``-2 (G' Sigma^-1 r)_i eta_j``
    for ``A_ij`` and ``-2 (G' Sigma^-1 r)_i`` for ``m_i``.
    """
    B = G.shape[0]
    resid = sigma - cov
    if sr is not None:
        resid = resid - r[:, :, None] * r[:, None, :]
    W = sinv @ resid @ sinv
    GtW = G.transpose(0, 2, 1) @ W  # (B, n, p)
    entries = []
    if len(gm.ap):
        ga = 2.0 * (GtW @ C.transpose(0, 2, 1))[:, gm.ai, gm.aj]
        if sr is not None:
            gsr = np.einsum("bpn,bp->bn", G, sr)
            eta = np.einsum("bij,bj->bi", IA, m)
            ga = ga - 2.0 * gsr[:, gm.ai] * eta[:, gm.aj]
        entries.append(ga)
    if len(gm.sp):
        gs = (GtW @ G)[:, gm.si, gm.sj] * (1.0 + gm.offdiag)[None, :]
        entries.append(gs)
    if len(gm.mp):
        if sr is not None:
            gsr = np.einsum("bpn,bp->bn", G, sr)
            entries.append(-2.0 * gsr[:, gm.mi])
        else:
            entries.append(np.zeros((B, len(gm.mp))))
    return np.concatenate(entries, axis=1) @ gm.P


def evaluate_batch(engine, theta, stats, need_grad=True, need_hess=True):
    """ML discrepancy, gradient and expected information of ``engine``'s model at ``B`` points.

    Parameters
    ----------
    engine : rsnprop.sem.engine.Engine
        The model (its groups' parameter matrices).
    theta : numpy.ndarray
        Parameters, shape (B, q): one row per replicate.
    stats : list over groups of tuples ``(cov, mean, logdet_s, weight)``
        Each replicate's ML covariance (B, p, p), means (B, p), ``log det`` of the covariance
        (B,) and the group's share of the rows (B,).
    need_grad, need_hess : bool
        Compute the gradient (B, q) and the expected Hessian (B, q, q), else None.

    Returns
    -------
    f, grad, hess
        ``F_ML`` summed over groups with the weights (B,), and its derivatives (or None).
        ``hess`` is twice lavaan's expected information (``lavInspect(fit, "information")``
        times 2) at each ``theta``.
    """
    B, q = theta.shape
    f = np.zeros(B)
    g = np.zeros((B, q)) if need_grad else None
    h = np.zeros((B, q, q)) if need_hess else None
    for k, gm in enumerate(engine.groups):
        cov, mean, logdet_s, w = stats[k]
        fk, gk, hk = _group_terms(gm, theta, cov, mean, logdet_s, engine.meanstructure, need_grad, need_hess)
        f += w * fk
        if need_grad:
            g += w[:, None] * gk
        if need_hess:
            h += w[:, None, None] * hk
    return f, g, h


def fit_batch(engine, covs, means, ns, theta0, maxit=200, tol=1e-8, fisher_steps=4, hess0=None):
    """Fit ``engine``'s model to ``B`` data sets.

    Parameters
    ----------
    covs, means : list over groups of arrays (B, p, p) and (B, p) (ML covariance, divided by n)
    ns : list over groups of arrays (B,) of group sizes
    theta0 : (q,) start for every replicate
    hess0 : (q, q), optional
        Starting curvature for every replicate (e.g. the expected information of the original
        sample at ``theta0`` for bootstrap draws): BFGS from the first step, no per-replicate
        information matrices unless a line search fails.

    Returns
    -------
    thetas (B, q), fmin (B,), converged (B,) bool
    """
    B = covs[0].shape[0]
    stats = _batch_stats(covs, means, ns)
    theta = np.broadcast_to(np.asarray(theta0, float), (B, engine.q)).copy()
    if hess0 is not None:
        f, g, _ = evaluate_batch(engine, theta, stats, need_hess=False)
        Bm = np.broadcast_to(hess0, (B, engine.q, engine.q)).copy()
        fisher_steps = 0
    else:
        f, g, h = evaluate_batch(engine, theta, stats)
        Bm = h.copy()
    st = _BatchState(theta=theta, f=f, g=g, Bm=Bm, active=np.isfinite(f), converged=np.zeros(B, bool),
                     fresh=np.ones(B, bool))
    for it in range(1, maxit + 1):
        newly = st.active & (np.max(np.abs(st.g), axis=1) < tol)
        st.converged |= newly
        st.active &= ~newly
        if not st.active.any():
            break
        idx = np.flatnonzero(st.active)
        step, slope = _search_directions(st.g[idx], st.Bm[idx])
        accepted, alpha = _backtrack(engine, st.theta[idx], st.f[idx], step, slope, _rows(stats, idx))
        if not accepted.all():
            _restart_or_stop(engine, st, stats, idx[~accepted])
        if accepted.any():
            new_theta = st.theta[idx][accepted] + alpha[accepted, None] * step[accepted]
            _move(engine, st, stats, idx[accepted], new_theta, use_fisher=it < fisher_steps)
    else:
        gmax = np.max(np.abs(st.g), axis=1)
        st.converged |= st.active & (gmax < 1e-6)
    return st.theta, st.f, st.converged


def _batch_stats(covs, means, ns):
    """Per group ``(cov, mean, log det cov, share of the rows)`` of every replicate (``log det``
    NaN for a singular covariance)."""
    ntot = np.sum(np.column_stack(ns), axis=1).astype(float)
    stats = []
    for cov, mean, n in zip(covs, means, ns):
        sign, ld = np.linalg.slogdet(cov)
        ld = np.where(sign > 0, ld, np.nan)
        stats.append((cov, mean, ld, n / ntot))
    return stats


def _rows(stats, idx):
    """The statistics of the replicates ``idx``."""
    return [(c[idx], mu[idx], ld[idx], w[idx]) for (c, mu, ld, w) in stats]


@dataclass
class _BatchState:
    """Where every replicate is: parameters, F, gradient, curvature (Fisher information or its
    BFGS update; ``fresh`` when it is the information itself), still iterating, converged."""

    theta: np.ndarray
    f: np.ndarray
    g: np.ndarray
    Bm: np.ndarray
    active: np.ndarray
    converged: np.ndarray
    fresh: np.ndarray


def _search_directions(gg, BB):
    """Quasi-Newton steps ``-B^-1 g`` and their slopes; steepest descent where a step does not
    go down."""
    eye = np.eye(gg.shape[1])
    try:
        step = -np.linalg.solve(BB + 1e-12 * eye, gg[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        step = -gg
    slope = np.einsum("bq,bq->b", gg, step)
    badir = ~(slope < 0)
    if badir.any():
        step[badir] = -gg[badir]
        slope[badir] = -np.einsum("bq,bq->b", gg[badir], gg[badir])
    return step, slope


def _backtrack(engine, th, ff, step, slope, sub_stats):
    """Armijo backtracking (at most 20 halvings): which replicates found a step, and its length."""
    alpha = np.ones(len(th))
    accepted = np.zeros(len(th), bool)
    for _ in range(20):
        todo = ~accepted
        if not todo.any():
            break
        t_idx = np.flatnonzero(todo)
        cand = th[t_idx] + alpha[t_idx, None] * step[t_idx]
        fc, _, _ = evaluate_batch(engine, cand, _rows(sub_stats, t_idx), need_grad=False, need_hess=False)
        # Armijo, with slack for rounding once F no longer changes in the 14th digit
        ok = np.isfinite(fc) & (fc <= ff[t_idx] + 1e-4 * alpha[t_idx] * slope[t_idx]
                                + 1e-14 * (1 + np.abs(ff[t_idx])))
        accepted[t_idx[ok]] = True
        alpha[t_idx[~ok]] *= 0.5
    return accepted, alpha


def _restart_or_stop(engine, st: _BatchState, stats, sidx):
    """Replicates whose line search failed: a stale BFGS matrix restarts from the Fisher
    information; with the information itself, stop (converged if the gradient is small)."""
    retry = sidx[~st.fresh[sidx]]
    give_up = sidx[st.fresh[sidx]]
    if len(retry):
        _, _, hr = evaluate_batch(engine, st.theta[retry], _rows(stats, retry))
        st.Bm[retry] = hr
        st.fresh[retry] = True
    st.converged[give_up] = np.max(np.abs(st.g[give_up]), axis=1) < 1e-6
    st.active[give_up] = False


def _move(engine, st: _BatchState, stats, midx, new_theta, use_fisher):
    """Take the accepted steps: new F and gradient, the curvature (Fisher information in the
    first iterations, else the BFGS update), stop where F and theta no longer move."""
    f2, g2, h2 = evaluate_batch(engine, new_theta, _rows(stats, midx), need_hess=use_fisher)
    s_ = new_theta - st.theta[midx]
    y_ = g2 - st.g[midx]
    df = st.f[midx] - f2
    st.theta[midx], st.f[midx], st.g[midx] = new_theta, f2, g2
    st.fresh[midx] = use_fisher
    if use_fisher:
        st.Bm[midx] = h2
    else:
        sy = np.einsum("bq,bq->b", s_, y_)
        Bs = np.einsum("bij,bj->bi", st.Bm[midx], s_)
        sBs = np.einsum("bq,bq->b", s_, Bs)
        okb = sy > 1e-16
        upd = (y_[:, :, None] * y_[:, None, :]) / np.where(okb, sy, 1)[:, None, None] \
            - (Bs[:, :, None] * Bs[:, None, :]) / np.where(sBs > 0, sBs, 1)[:, None, None]
        st.Bm[midx] = st.Bm[midx] + np.where(okb[:, None, None], upd, 0.0)
    flat = (df < 1e-15 * (1 + np.abs(f2))) & (np.max(np.abs(s_), axis=1) < 1e-7)
    if flat.any():
        fidx = midx[flat]
        st.converged[fidx] = np.max(np.abs(st.g[fidx]), axis=1) < 1e-6
        st.active[fidx] = False
