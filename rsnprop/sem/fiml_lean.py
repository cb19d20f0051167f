"""The FIML likelihood of a lean fit (:attr:`rsnprop.sem.fiml_engine.FIMLEngine.padded`): every
missing-data pattern of a group embedded at full size, the patterns' inverses from one inverse of
the model covariance matrix, the expected information from the low rank of the RAM derivatives.

A lean fit (power replications: decisions by score tests, :func:`rsnprop.sem.api.fit_estimates`)
needs the same numbers as a full fit to rounding, not to the last bit; the full fits
(``rsnprop fit``, ``rsnprop invariance``, the report) never come here.

* **One inverse per evaluation** (:func:`lean_moments`): with ``P = Sigma^-1`` and ``m`` the
  missing variables of a pattern, ``Sigma_oo^-1 = P_oo - P_om P_mm^-1 P_mo`` and
  ``log|Sigma_oo| = log|Sigma| + log|P_mm|`` (the Schur complement), so one Cholesky of
  ``Sigma`` and small ``|m| x |m|`` blocks replace a Cholesky and an inverse per pattern.
* **The expected information from rank-two derivatives** (:func:`lean_hessian`): the derivative
  of ``Sigma`` with respect to a path ``A_ij`` is ``u v' + v u'`` (``u = G e_i``, ``v`` row ``j``
  of ``(I-A)^-1 S (I-A)^-T F'``), with respect to a (co)variance ``S_ij`` ``G e_i (G e_j)' + (.)'``
  (halved on the diagonal), so ``tr(Sigma_k^-1 dS_a Sigma_k^-1 dS_b) = 2 [(u_a'W u_b)(v_a'W v_b) +
  (u_a'W v_b)(v_a'W u_b)]`` with ``W = Sigma_k^-1``: the information is assembled from the
  products of the ``2E`` vectors with each pattern's inverse, without the ``E x p x p``
  derivative tensor and the ``O(p^4)`` moment Hessian.
* **The last moments kept** (:attr:`Padded.last`): the score tests after a fit evaluate the
  information at the fit's last point; the patterns' inverses there are not computed again.

Everything here is tested against the per-pattern computation of
:mod:`rsnprop.sem.fiml_engine` (``tests/test_sem_fiml_batched.py``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.linalg import lapack

__all__ = ["Moments", "Padded", "padded_moments", "lean_moments", "lean_group_moments", "lean_hessian",
           "inverse_from_cholesky", "complete_information",
           "symmetric_from_lower"]


class Moments:
    """Per-pattern quantities of one group at (Sigma, mu): -2 log L (up to constants), its
    gradient with respect to Sigma (full symmetric matrix) and mu, and the stacked embedded
    Sigma_oo^-1, Sigma_oo^-1 T Sigma_oo^-1 and Sigma_oo^-1 d of every pattern."""

    __slots__ = ("f", "GS", "gmu", "SI", "B", "SD", "n")


class Padded:
    """The patterns of one group as full ``p x p`` problems (a lean fit's batch): each pattern's
    ``Sigma_oo`` is embedded in ``Sigma`` with the missing rows and columns replaced by those of
    the identity, so that one batched Cholesky factors every pattern (``log|I| = 0``; the data
    moments are zero on the missing variables, so the sums are those of the observed block).
    ``mpos``, ``midx``: the patterns with missing variables and their missing indices
    (:meth:`positions`: the gathers of :func:`lean_moments`); ``bounds``, ``Ng``, ``gidx``: the
    patterns' groups (one group, or several: :meth:`stack`); ``last``: the key and the
    :class:`Moments` of the last evaluation."""

    __slots__ = ("K", "p", "ns", "nf", "obs", "outer", "eye", "mean", "cov", "mpos", "midx",
                 "bounds", "Ng", "parts", "last", "gidx", "multi", "covm", "Ngm", "fpos", "fm", "fmm", "meyes")

    def __init__(self, pats, p):
        self.K, self.p = len(pats), p
        self.ns = np.array([pat.n for pat in pats])
        self.obs = np.zeros((self.K, p), dtype=bool)
        self.mean, self.cov = np.zeros((self.K, p)), np.zeros((self.K, p, p))
        for k, pat in enumerate(pats):
            self.obs[k, pat.obs] = True
            self.mean[k, pat.obs] = pat.mean
            self.cov[k][pat.ix] = pat.cov
        # the patterns with missing variables, their missing indices padded to the largest
        # number with the dummy index p (a zero row and column of the extended P, 1 on the
        # diagonal of P_mm: an identity block that changes neither the inverse nor the logdet)
        nmis = p - self.obs.sum(axis=1)
        self.mpos = np.flatnonzero(nmis)
        self.midx = np.full((len(self.mpos), int(nmis.max(initial=0))), p)
        for row, k in enumerate(self.mpos):
            self.midx[row, :nmis[k]] = np.flatnonzero(~self.obs[k])
        self._finish([self])

    def _finish(self, parts):
        """The derived arrays, and the groups of a stack (:meth:`stack`)."""
        self.parts, self.last = parts, None
        self.nf = self.ns.astype(float)
        self.outer = self.obs[:, :, None] & self.obs[:, None, :]
        self.eye = np.where(self.outer, 0.0, np.eye(self.p)[None])
        sizes = [part.K for part in parts]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        gidx = np.repeat(np.arange(len(parts)), sizes)
        self.Ng = np.zeros((len(parts), self.K))
        self.Ng[gidx, np.arange(self.K)] = self.nf
        self.gidx = gidx
        self.multi = np.flatnonzero(self.cov.reshape(self.K, -1).any(axis=1))   # S_k not zero: 2+ cases
        self.covm, self.Ngm = self.cov[self.multi], self.Ng[:, self.multi]
        self.fpos = self.fm = self.fmm = self.meyes = None        # :meth:`positions`, when first needed

    def positions(self):
        """``(fpos, fm, fmm, meyes)``: the flat positions, in the groups' ``P`` (lower triangles,
        ``G x p x p``, then one zero: :func:`_one_inverse`), of each pattern's ``P``, its rows ``m`` (``P_m.``) and its block
        ``P_mm``, for every pattern (the missing indices of a complete one all the dummy ``p``: a
        zero ``P_m.``, an identity ``P_mm``), and the identities of the padding; worked out when
        first read (a group's own batch inside a stack never is)."""
        if self.fpos is not None:
            return self.fpos, self.fm, self.fmm, self.meyes
        p, s, gidx, G = self.p, self.midx.shape[1], self.gidx, len(self.parts)
        midx = np.full((self.K, s), p)
        midx[self.mpos] = self.midx
        ext = np.arange(p + 1)

        def pos(g, i, j):                 # (i, j) of group g's P by its lower triangle; p: the zero
            hi, lo = np.maximum(i, j), np.minimum(i, j)
            return np.where(hi == p, G * p * p, g * p * p + hi * p + lo)

        g3 = gidx[:, None, None]
        self.fpos = pos(g3, ext[None, :p, None], ext[None, None, :p])
        self.fm = pos(g3, midx[:, :, None], ext[None, None, :p])
        self.fmm = pos(g3, midx[:, :, None], midx[:, None, :])
        self.meyes = np.where(midx == p, 1.0, 0.0)[:, :, None] * np.eye(s)[None]
        return self.fpos, self.fm, self.fmm, self.meyes

    @classmethod
    def stack(cls, parts):
        """The patterns of several groups (:class:`Padded` each, the same ``p``) in one batch: one
        evaluation of every group's moments by one set of array operations
        (:func:`lean_group_moments`)."""
        out = object.__new__(cls)
        out.p = parts[0].p
        out.K = sum(part.K for part in parts)
        for name in ("ns", "obs", "mean", "cov"):
            setattr(out, name, np.concatenate([getattr(part, name) for part in parts]))
        smax = max(part.midx.shape[1] for part in parts)
        out.mpos = np.concatenate([part.mpos + off for part, off in
                                   zip(parts, np.cumsum([0] + [part.K for part in parts[:-1]]))]).astype(int)
        out.midx = np.concatenate([np.pad(part.midx, ((0, 0), (0, smax - part.midx.shape[1])),
                                          constant_values=out.p) for part in parts]).astype(int)
        out._finish(list(parts))
        return out


@lru_cache(maxsize=16)
def _lower_mask(n):
    return np.tri(n, dtype=bool)


def symmetric_from_lower(X):
    """The symmetric matrices (the last two axes) whose lower triangles are those of ``X``: the bits
    of ``np.tril(X) + np.tril(X, -1).T`` (``+ 0.0``: a ``-0.0`` becomes ``0.0`` as there) without
    its four temporaries (LAPACK ``potri`` fills one triangle)."""
    out = np.where(_lower_mask(X.shape[-1]), X, np.swapaxes(X, -1, -2))
    out += 0.0
    return out


def inverse_from_cholesky(L):
    """The inverses of the matrices whose lower Cholesky factors are stacked in ``L`` (LAPACK
    ``potri`` per matrix: half the cost of numpy's batched general inverse of ``L`` and the
    product ``L^-T L^-1`` for the small matrices of a lean fit)."""
    out = np.empty_like(L)
    for k in range(L.shape[0]):
        out[k], info = lapack.dpotri(L[k], lower=1)
        if info != 0:
            raise np.linalg.LinAlgError("potri failed")
    return symmetric_from_lower(out)


def _from_inverses(si, logdet, mu, pad, keep):
    """The :class:`Moments` of the patterns of ``pad`` from their embedded inverses ``si`` and
    log-determinants."""
    d = np.where(pad.obs, pad.mean - mu[None], 0.0)
    T = pad.cov + d[:, :, None] * d[:, None, :]
    sT = si @ T
    n = pad.ns
    terms = n * (logdet + np.trace(sT, axis1=1, axis2=2))
    b = sT @ si
    SD = (si @ d[:, :, None])[:, :, 0]
    out = Moments()
    out.f = float(terms.sum())
    out.GS = (n.astype(float) @ (si - b).reshape(pad.K, -1)).reshape(si.shape[1:])
    out.gmu = -(2.0 * n) @ SD
    if keep:
        out.SI, out.B, out.SD, out.n = si, b, SD, n.astype(float)
    return out


def padded_moments(sigma, mu, pad, keep=False):
    """The patterns' moments computed on the full-size embedded patterns of :class:`Padded`, one
    Cholesky factor per pattern (one batched call; equal to the per-size batches of
    :mod:`rsnprop.sem.fiml_engine` to rounding); None when a pattern's ``Sigma_oo`` is not
    positive definite."""
    sig = np.where(pad.outer, sigma[None], pad.eye)
    try:
        L = np.linalg.cholesky(sig)
        si = inverse_from_cholesky(L) * pad.outer
    except np.linalg.LinAlgError:
        return None
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    return _from_inverses(si, logdet, mu, pad, keep)


def lean_moments(sigma, mu, pad):
    """:func:`padded_moments` (with the per-pattern matrices kept) from one inverse of ``Sigma``:
    each pattern's ``Sigma_oo^-1 = P_oo - P_om P_mm^-1 P_mo`` and ``log|Sigma_oo| = log|Sigma| +
    log|P_mm|`` (``P = Sigma^-1``; equal to the per-pattern factorisations to about 1e-13
    relative).  When ``Sigma`` itself is not positive definite, the per-pattern computation
    decides (its observed blocks may be).  The result is kept in ``pad.last`` and returned again
    for the same ``(sigma, mu)``."""
    out = lean_group_moments([sigma], [mu], pad)
    return None if out is None else out[0]


def lean_group_moments(sigmas, mus, pad):
    """:func:`lean_moments` of every group of a stack (:meth:`Padded.stack`) at once: a list of
    :class:`Moments` (one per group, their per-pattern arrays views of the stack's), or None when
    a group's patterns are not all positive definite."""
    key = b"".join(a.tobytes() for a in (*sigmas, *mus))
    if pad.last is not None and pad.last[0] == key:
        return pad.last[1]
    Ls = [lapack.dpotrf(sigma, lower=1, clean=1) for sigma in sigmas]
    out = _one_inverse([L for L, _ in Ls], np.array(mus), pad) if all(i == 0 for _, i in Ls) else None
    if out is None:                    # a Sigma (or a block P_mm) not positive definite
        out = [padded_moments(sigma, mu, part, keep=True) for sigma, mu, part in zip(sigmas, mus, pad.parts)]
        out = None if any(mo is None for mo in out) else out
    pad.last = (key, out)
    return out


def _one_inverse(Ls, mus, pad):
    """:func:`lean_group_moments` from the lower Cholesky factors ``Ls`` of the groups' ``Sigma``;
    None when a block ``P_mm`` is not positive definite (rounding; the caller factors per pattern
    then).  Every pattern's ``P_mm^-1`` by one batched call, a complete pattern's an identity (``W =
    0``: its ``P`` unchanged to the bit)."""
    Ps = []
    for L in Ls:
        P, info = lapack.dpotri(L, lower=1)               # P's lower triangle (the gathers' half)
        if info != 0:
            return None
        Ps.append(P.reshape(-1))
    flat = np.concatenate(Ps + [_ZERO])
    flat += 0.0                                           # -0.0 -> 0.0, as P + tril(P, -1).T did
    gidx = pad.gidx
    logdet = (2.0 * np.log(np.diagonal(np.array(Ls), axis1=1, axis2=2)).sum(axis=1))[gidx]
    fpos, fm, fmm, meyes = pad.positions()
    si = flat.take(fpos)
    if len(pad.mpos):
        Pmm = flat.take(fmm)
        Pmm += meyes
        try:
            Lm = np.linalg.cholesky(Pmm)
        except np.linalg.LinAlgError:
            return None
        W = np.linalg.inv(Lm) @ flat.take(fm)               # P_.m P_mm^-1 P_m. = W'W
        si -= W.transpose(0, 2, 1) @ W
        logdet += 2.0 * np.log(np.diagonal(Lm, axis1=1, axis2=2)).sum(axis=1)
    si *= pad.outer
    return _stack_from_inverses(si, logdet, mus[gidx], pad)


_ZERO = np.zeros(1)


def _stack_from_inverses(si, logdet, mu, pad):
    """The :class:`Moments` of each group of ``pad`` from the embedded inverses ``si``, the
    log-determinants and the model means ``mu`` of the patterns.  With ``T = S_k + d d'``:
    ``tr(W T) = tr(W S_k) + d' W d`` and ``W T W = W S_k W + (W d)(W d)'``, the products with
    ``S_k`` only for the patterns of two or more cases (``S_k = 0`` for one case; ``pad.multi``),
    the sums of the outer products by one product per group (``B`` is not kept: a lean engine
    never computes the observed information)."""
    d = np.where(pad.obs, pad.mean - mu, 0.0)
    SD = (si @ d[:, :, None])[:, :, 0]
    terms = logdet + np.einsum("ki,ki->k", d, SD)
    K, p, Ng = pad.K, pad.p, pad.Ng
    GS = (Ng @ si.reshape(K, -1)).reshape(-1, p, p)
    if len(pad.multi):
        sim = si[pad.multi]
        sC = sim @ pad.covm
        terms[pad.multi] += np.trace(sC, axis1=1, axis2=2)
        GS -= (pad.Ngm @ (sC @ sim).reshape(len(pad.multi), -1)).reshape(-1, p, p)
    GS -= (Ng[:, :, None] * SD[None]).transpose(0, 2, 1) @ SD
    f = Ng @ terms
    gmu = -2.0 * (Ng @ SD)
    out = []
    for g in range(len(pad.parts)):
        a, z = pad.bounds[g], pad.bounds[g + 1]
        mo = Moments()
        mo.f, mo.GS, mo.gmu = float(f[g]), GS[g], gmu[g]
        mo.SI, mo.B, mo.SD, mo.n = si[a:z], None, SD[a:z], pad.nf[a:z]
        out.append(mo)
    return out


def _entry_vectors(gm, theta):
    """``(U, V, Dm)`` of the RAM group model ``gm`` at ``theta``: for every free matrix entry (the
    rows of ``gm.P``: paths, (co)variances, means) ``dSigma = u v' + v u'`` (columns of ``U`` and
    ``V``; zero for means) and ``dmu`` (columns of ``Dm``)."""
    A, S, m, IA = gm._solved(theta)
    p = gm.p
    G = IA[:p]
    C = (IA @ S @ IA.T)[:, :p]
    eta = IA @ m
    na, ns_, nm = len(gm.ap), len(gm.sp), len(gm.mp)
    E = na + ns_ + nm
    U, V, Dm = np.zeros((p, E)), np.zeros((p, E)), np.zeros((p, E))
    if na:
        U[:, :na] = G[:, gm.ai]
        V[:, :na] = C[gm.aj].T
        Dm[:, :na] = G[:, gm.ai] * eta[gm.aj]
    if ns_:
        U[:, na:na + ns_] = G[:, gm.si]
        V[:, na:na + ns_] = G[:, gm.sj] * np.where(gm.si == gm.sj, 0.5, 1.0)
    if nm:
        Dm[:, na + ns_:] = G[:, gm.mi]
    return U, V, Dm


def _rank_two_sum(U, V, SI, n):
    """``sum_k n_k [(u_a'W_k u_b)(v_a'W_k v_b) + (u_a'W_k v_b)(v_a'W_k u_b)]`` for the columns of
    ``U``, ``V`` and the stacked ``W_k = SI[k]``: the three blocks ``U'WU``, ``V'WV``, ``U'WV`` of
    every pattern (``V'WU`` is the transpose of ``U'WV``), not the whole ``[U V]' W [U V]``."""
    WV = SI @ V
    prod = U.T @ (SI @ U)
    prod *= V.T @ WV
    uv = U.T @ WV
    prod += uv * uv.transpose(0, 2, 1)
    return np.tensordot(n, prod, axes=1)


def lean_hessian(gm, theta, used, mo):
    """Twice the expected information (the Fisher-scoring Hessian of -2 log L, summed over the
    cases of the group) with respect to the parameters ``used`` of the group model ``gm``, from
    the kept per-pattern inverses of ``mo`` (:func:`lean_moments`):
    ``sum_k n_k [tr(W_k dS_a W_k dS_b) + 2 dmu_a' W_k dmu_b]``, the same numbers as ``2 Delta' H
    Delta`` of :mod:`rsnprop.sem.fiml_engine` (expected ``H``) to rounding."""
    U, V, Dm = _entry_vectors(gm, theta)
    E = U.shape[1]
    ke = len(gm.ap) + len(gm.sp)                   # entries with a derivative of Sigma
    he = np.zeros((E, E))
    he[:ke, :ke] = 2.0 * _rank_two_sum(U[:, :ke], V[:, :ke], mo.SI, mo.n)
    he += 2.0 * Dm.T @ np.tensordot(mo.n, mo.SI, axes=1) @ Dm
    Pu = gm.P[:, used]
    return Pu.T @ he @ Pu


def complete_information(engine, theta):
    """The optimiser's curvature of a lean fit (:func:`rsnprop.sem.lean_fit.lean_fit`): the
    information of ``-2 log L / N`` as if no value were missing (:func:`lean_hessian` with one
    pattern per group, ``Sigma^-1`` and the group's size), instead of the patterns' (one
    ``Sigma_oo^-1`` per pattern: ~50 in a check).  Both are approximations of the curvature (the
    expected information of complete data overstates it by the missing information, as the
    patterns' expected information misses what the observed one adds); on the power replications'
    checks the optimiser takes the same number of steps with either to the same stop rule.  The
    score tests keep the patterns' information.  None when a group's ``Sigma`` is not positive
    definite."""
    hess = 0.0
    for g, gm in enumerate(engine.groups):
        L, info = lapack.dpotrf(gm.implied(theta)[0], lower=1, clean=1)
        if info != 0:
            return None
        W, _ = lapack.dpotri(L, lower=1)
        W = symmetric_from_lower(W)
        hess = hess + float(engine.ns[g]) * _one_pattern_information(gm, theta, W)
    return hess / engine.ntotal


def _one_pattern_information(gm, theta, W):
    """:func:`lean_hessian` of one complete pattern of one case (``W = Sigma^-1``), with respect to
    every parameter (``gm.P``'s columns: zero for the other groups')."""
    U, V, Dm = _entry_vectors(gm, theta)
    ke = len(gm.ap) + len(gm.sp)
    Us, Vs = U[:, :ke], V[:, :ke]
    WV = W @ Vs
    uv = Us.T @ WV
    he = Dm.T @ W @ Dm
    he[:ke, :ke] += (Us.T @ W @ Us) * (Vs.T @ WV) + uv * uv.T
    return gm.P.T @ (2.0 * he) @ gm.P
