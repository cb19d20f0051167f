"""The DWLS problem of ordinal indicators: the layout of the sample statistics (thresholds, then
correlations, or covariances with continuous variables), the statistics the model implies and
their analytic Jacobian, the Gauss-Newton estimation, and the refits of bootstrap draws.

:mod:`rsnprop.sem.ordinal` builds the model and runs the estimation; the modification indices
(:mod:`rsnprop.sem.modindices`) and the bootstrap (:mod:`rsnprop.sem.bootstrap`) reuse the
Jacobian and the refits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .polychoric import mixed_stats, ordinal_stats

__all__ = ["NUMERIC", "offdiag_index", "statistics_layout", "scaling_factors", "model_statistics",
           "statistics_jacobian", "DWLSSample", "WLSProblem", "wls_chunk_worker"]


def offdiag_index(p):
    """Row and column indices of the off-diagonal elements, in lavaan's vech order."""
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]  # lavaan's vech order
    return np.array([a for a, _ in pairs], dtype=int), np.array([b for _, b in pairs], dtype=int)


NUMERIC = -2  # th_par entry of a continuous variable: its "threshold" is minus its mean (lavaan)


def statistics_layout(pt):
    """Per group: parameter index (or -1) of every threshold, the item of each threshold, and the
    parameter index (or -1) of every scaling factor ``~*~``.  Thresholds are in variable order
    (lavaan's ``TH``); a continuous variable (no thresholds, no ``~*~``) contributes one entry
    with parameter index ``NUMERIC`` (its mean, negated)."""
    pos = {v: i for i, v in enumerate(pt.ov)}
    th_par, th_item, dl_par = [], [], []
    for g in range(1, pt.ngroups + 1):
        rows_g = [r for r in pt.rows if r.group == g]
        dl = {r.lhs: r.par for r in rows_g if r.op == "~*~"}
        ths = {}
        for r in rows_g:
            if r.op == "|":
                ths.setdefault(r.lhs, []).append(r.par)
        tp, ti = [], []
        for v in pt.ov:
            pars = ths.get(v, [] if v in dl else [NUMERIC])
            tp += pars
            ti += [pos[v]] * len(pars)
        th_par.append(np.array(tp, dtype=int))
        th_item.append(np.array(ti, dtype=int))
        dl_par.append(np.array([dl.get(v, -1) for v in pt.ov], dtype=int))
    return th_par, th_item, dl_par


def scaling_factors(sigma, ds, theta, dpar, param, num=None):
    """Scaling factors ``Delta`` of the latent responses and their derivatives (``None`` when
    they are not functions of the parameters).  Delta parametrisation: parameters ``~*~`` (or
    1); theta parametrisation: ``1 / sqrt(diag(Sigma))``; continuous variables (``num``): 1."""
    if param == "theta":
        delta = 1.0 / np.sqrt(np.diag(sigma))
        ddelta = None if ds is None else -0.5 * delta ** 3 * np.einsum("kjj->kj", ds)
        if num is not None and len(num):
            delta[num] = 1.0
            if ddelta is not None:
                ddelta[:, num] = 0.0
        return delta, ddelta
    return np.where(dpar >= 0, theta[np.maximum(dpar, 0)], 1.0), None


def model_statistics(engine, theta, g, th_par, th_item, dl_par, param="delta"):
    """Model statistics of group ``g``: thresholds, then the off-diagonal correlations."""
    sigma, mu = engine.groups[g].implied(theta)
    ri, ci = offdiag_index(sigma.shape[0])
    it, tp = th_item[g], th_par[g]
    isnum = tp == NUMERIC
    num = it[isnum]
    delta, _ = scaling_factors(sigma, None, theta, dl_par[g], param, num)
    tau = np.where(isnum, -mu[it], delta[it] * (theta[np.maximum(tp, 0)] - mu[it]))
    return np.concatenate([tau, sigma[num, num], delta[ri] * delta[ci] * sigma[ri, ci]])


def statistics_jacobian(engine, theta, g, th_par, th_item, dl_par, param="delta"):
    """Model statistics of group ``g`` and their analytic Jacobian (RAM derivatives, thresholds,
    scaling factors: parameters in the delta, functions of Sigma in the theta parametrisation)."""
    gm = engine.groups[g]
    q = len(theta)
    sigma, mu, ds, dm = gm.derivatives(theta, True)
    ri, ci = offdiag_index(sigma.shape[0])
    dpar = dl_par[g]
    it, tp = th_item[g], th_par[g]
    isnum = tp == NUMERIC
    num = it[isnum]
    delta, ddelta = scaling_factors(sigma, ds, theta, dpar, param, num)
    raw = np.where(isnum, -mu[it], theta[np.maximum(tp, 0)] - mu[it])
    base = np.concatenate([delta[it] * raw, sigma[num, num], delta[ri] * delta[ci] * sigma[ri, ci]])
    nth_g = len(it)
    nv = len(num)
    J = np.zeros((len(base), q))
    J[:nth_g] = -(delta[it][:, None] * dm[:, it].T)
    J[nth_g:nth_g + nv] = ds[:, num, num].T
    J[nth_g + nv:] = (delta[ri] * delta[ci])[:, None] * ds[:, ri, ci].T
    ordr = np.flatnonzero(~isnum)
    np.add.at(J, (ordr, tp[ordr]), delta[it[ordr]])
    c0 = nth_g + nv  # the covariance rows start after the variances of the continuous variables
    if ddelta is not None:
        J[:nth_g] += raw[:, None] * ddelta[:, it].T
        J[c0:] += (sigma[ri, ci] * delta[ci])[:, None] * ddelta[:, ri].T
        J[c0:] += (sigma[ri, ci] * delta[ri])[:, None] * ddelta[:, ci].T
        return base, J
    for j in np.flatnonzero(dpar >= 0):
        k = dpar[j]
        rows_th = np.flatnonzero(it == j)
        J[rows_th, k] += raw[rows_th]
        sel_i = np.flatnonzero(ri == j)
        J[c0 + sel_i, k] += delta[ci[sel_i]] * sigma[j, ci[sel_i]]
        sel_c = np.flatnonzero(ci == j)
        J[c0 + sel_c, k] += delta[ri[sel_c]] * sigma[ri[sel_c], j]
    return base, J


@dataclass
class DWLSSample:
    """The sample side of a DWLS fit, per group: the statistics objects of
    :mod:`rsnprop.sem.polychoric` (``sts``), the statistics vectors ``s``, their NACOV ``gamma``
    (times ``n / (n - 1)``, as lavaan's estimation weights), the weights ``w = 1 / diag(gamma)``
    and the group sizes; ``numeric`` flags the continuous variables (``mixed``: any)."""

    sts: list
    s: list
    gamma: list
    w: list
    ns: list
    numeric: np.ndarray
    mixed: bool

    @property
    def N(self):
        return sum(self.ns)

    @property
    def fg(self):
        """Group weights ``n_g / N``."""
        N = self.N
        return [n / N for n in self.ns]


class WLSProblem:
    """What the DWLS estimation of one model needs, picklable for the bootstrap workers: the
    engine, the layout of the statistics and the observed categories of the ordinal variables."""

    def __init__(self, engine, th_par, th_item, dl_par, parameterization, numeric, levels, cors):
        self.engine = engine
        self.th_par, self.th_item, self.dl_par = th_par, th_item, dl_par
        self.parameterization = parameterization
        self.numeric = numeric  # None: every variable ordinal
        self.levels = levels  # per group, per variable (empty for a continuous one)
        self.cors = cors  # per group: the sample correlations (starting values of the polychorics)

    def jacobian(self, theta, g):
        """Model statistics of group ``g`` and their Jacobian (:func:`statistics_jacobian`)."""
        return statistics_jacobian(self.engine, theta, g, self.th_par, self.th_item, self.dl_par,
                                   self.parameterization)

    def statistics(self, arrays):
        """``(s_list, ws, ns)`` of the data ``arrays``, or ``None`` when a group lacks a category
        of an ordinal variable (lavaan drops such bootstrap draws)."""

        s_list, ws, ns = [], [], []
        for x, lv, cor in zip(arrays, self.levels, self.cors):
            for j, levels in enumerate(lv):
                if len(levels) and not np.array_equal(np.unique(x[:, j]), levels):
                    return None
            names = [str(j) for j in range(x.shape[1])]
            if self.numeric is None:
                st = ordinal_stats(x, names, start=cor)
                ri, ci = offdiag_index(x.shape[1])
                s_list.append(np.concatenate([st.th_flat, st.cor[ri, ci]]))
            else:
                st = mixed_stats(x, names, self.numeric)
                s_list.append(st.stats)
            ws.append(1.0 / np.diag(st.nacov * st.n / (st.n - 1)))
            ns.append(st.n)
        return s_list, ws, ns

    def estimate(self, s_list, ws, fgs, theta):
        """Gauss-Newton minimisation of the DWLS discrepancy from ``theta``:
        ``(theta, F, converged, iterations)``."""
        engine, G = self.engine, len(s_list)
        q = len(theta)
        args = (self.th_par, self.th_item, self.dl_par, self.parameterization)

        def objective(th):
            tot = 0.0
            for g in range(G):
                r = s_list[g] - model_statistics(engine, th, g, *args)
                tot += fgs[g] * float(r @ (ws[g] * r))
            return tot

        converged = False
        F = objective(theta)
        it = 0
        for it in range(1, 200):
            E = np.zeros((q, q))
            grad = np.zeros(q)
            for g in range(G):
                sig, J = statistics_jacobian(engine, theta, g, *args)
                JW = J.T * ws[g]
                E += fgs[g] * JW @ J
                grad += fgs[g] * JW @ (s_list[g] - sig)
            try:
                step = np.linalg.solve(E, grad)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(E, grad, rcond=None)[0]
            alpha = 1.0
            while alpha > 1e-8:
                cand = theta + alpha * step
                Fc = objective(cand)
                if Fc <= F:
                    break
                alpha /= 2
            if alpha <= 1e-8:
                converged = bool(np.max(np.abs(grad)) < 1e-6)
                break
            done = np.max(np.abs(alpha * step)) < 1e-11 or F - Fc < 1e-17 * (1 + F)
            theta, F = cand, Fc
            if done:
                converged = True
                break
        return theta, F, converged, it


def wls_chunk_worker(problem, theta0, arrays, seeds, want_chi2=False, hess0=None):
    """DWLS refits (thresholds, polychorics, NACOV weights recomputed) of the bootstrap samples
    drawn with ``seeds``, warm-started at ``theta0``; NaN rows for draws with an empty category
    or without convergence."""
    try:  # small matrices: one BLAS thread is many times faster (and the same in every worker)
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover
        import contextlib

        limit = contextlib.nullcontext()
    with limit:
        return _wls_draws(problem, theta0, arrays, seeds)


def _wls_draws(problem, theta0, arrays, seeds):
    out = np.full((len(seeds), len(theta0)), np.nan)
    for k, ss in enumerate(seeds):
        rng = np.random.default_rng(ss)
        samples = [x[rng.integers(0, x.shape[0], x.shape[0])] for x in arrays]
        stats_ = problem.statistics(samples)
        if stats_ is None:
            continue
        s_list, ws, ns = stats_
        fgs = [n / sum(ns) for n in ns]
        try:
            th, _, conv, _ = problem.estimate(s_list, ws, fgs, theta0.copy())
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            continue
        if conv and np.all(np.isfinite(th)):
            out[k] = th
    return out, np.full(len(seeds), np.nan)
