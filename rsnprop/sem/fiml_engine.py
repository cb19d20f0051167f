"""The FIML likelihood of incomplete data (lavaan ``missing = "ml"``): missing-data patterns and
the engine that evaluates ``-2 log L``, its gradient and information.

Cases are grouped by missing-data pattern; pattern ``k`` (``n_k`` cases, observed variables
``o``) contributes ``n_k [log|Sigma_oo| + tr(Sigma_oo^-1 (S_k + d d'))]`` with ``d = xbar_k -
mu_o`` to ``-2 log L``.  Every evaluation factors each pattern's ``Sigma_oo`` once (Cholesky)
and sums the gradient with respect to the moments (``Sigma``, ``mu``) over patterns; the RAM
chain rule in matrix form turns it into the parameter gradient.  Fisher scoring (expected h1
information under missingness, ``Delta' H Delta``) then BFGS minimises.
Cost per evaluation: one ``p_o x p_o`` Cholesky per pattern; the information matrices use
``O(p^4)`` memory (36 items: 13 MB).  The estimation (saturated models, fit measures, standard
errors) is :mod:`rsnprop.sem.fiml`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from .batch import stacked_matrices
from .engine import Engine, moment_jacobian
from .fiml_lean import Moments as _Moments
from .fiml_lean import Padded as _Padded
from .fiml_lean import inverse_from_cholesky as _inverse_from_cholesky  # noqa: F401  (tests)
from .fiml_lean import lean_group_moments, lean_hessian, lean_moments
from .fiml_lean import padded_moments as _padded_moments
from .lean_stack import stacked_groups
from .robust import _vech_index

__all__ = ["FIMLEngine", "Pattern", "patterns"]

LOG2PI = math.log(2 * math.pi)


class Pattern:
    __slots__ = ("obs", "mis", "n", "mean", "cov", "x", "ix")

    def __init__(self, obs, x, p=None):
        self.obs = obs
        self.mis = None
        if p is not None:
            missing = np.ones(p, dtype=bool)
            missing[obs] = False
            self.mis = np.flatnonzero(missing)      # np.setdiff1d(np.arange(p), obs), sorted
        self.ix = np.ix_(obs, obs)
        self.x = x
        self.n = x.shape[0]
        self.mean = x.mean(axis=0)
        xc = x - self.mean
        self.cov = xc.T @ xc / self.n


def patterns(x):
    """Split the rows of ``x`` (NaN = missing) by missing-data pattern, in the lexicographic order
    of the patterns' masks (``np.unique(mask, axis=0)``'s)."""
    mask = ~np.isnan(x)
    keys, inv = _unique_rows(mask)
    out = []
    for k, key in enumerate(keys):
        if not key.any():
            continue
        obs = np.flatnonzero(key)
        rows = x[inv == k][:, obs]
        out.append(Pattern(obs, rows, x.shape[1]))
    return out


def _unique_rows(mask):
    """``np.unique(mask, axis=0, return_inverse=True)`` of a boolean matrix (the inverse raveled):
    the rows packed into bytes (first column the most significant bit, so that the byte strings
    sort as the rows do) and the byte strings made unique, instead of numpy's sort of the rows
    as records."""
    n, p = mask.shape
    if n == 0 or p == 0:
        keys, inv = np.unique(mask, axis=0, return_inverse=True)
        return keys, inv.ravel()
    packed = np.ascontiguousarray(np.packbits(mask, axis=1))
    if packed.shape[1] <= 8:                 # one unsigned integer per row, big-endian
        wide = np.zeros((n, 8), dtype=np.uint8)
        wide[:, :packed.shape[1]] = packed
        codes = wide.view(">u8").ravel()
    else:
        codes = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inv = np.unique(codes, return_index=True, return_inverse=True)
    return mask[first], inv.ravel()


def _vech_weights(p):
    r, c = _vech_index(p)
    return r, c, np.where(r == c, 0.5, 1.0)


@functools.lru_cache(maxsize=8)
def _t4_index(p):
    """The four gathers of :func:`_t4` as flat indices into ``Z`` and the weights, per ``p``."""
    r, c, w = _vech_weights(p)
    i, j = r[:, None], c[:, None]
    k, l_ = r[None, :], c[None, :]
    pp = p * p
    flat = [(a * p + b) * pp + (d * p + e) for a, b, d, e in
            ((i, l_, j, k), (i, k, j, l_), (j, l_, i, k), (j, k, i, l_))]
    return flat, w[:, None] * w[None, :]


def _t4(Z, p, r, c, w):
    """sum_k n_k tr(X_k E_a Y_k E_b) over vech elements a, b from Z = sum_k n_k vec(X_k) vec(Y_k)'
    (E_a: symmetric unit matrix of vech element a; X_k, Y_k symmetric).  ``r, c, w``:
    :func:`_vech_weights` of ``p`` (the gathers are indexed once per ``p``)."""
    (f1, f2, f3, f4), ww = _t4_index(p)
    z = Z.ravel()
    return ww * (z[f1] + z[f2] + z[f3] + z[f4])


class _Batches:
    """The patterns of one group stacked by number of observed variables (so that every
    pattern's ``Sigma_oo`` is factored by one batched LAPACK call per size): for each size, the
    patterns' positions in the list, their observed indices, means, covariances and sizes."""

    __slots__ = ("K", "p", "ns", "sizes")

    def __init__(self, pats, p):
        self.K, self.p = len(pats), p
        self.ns = np.array([pat.n for pat in pats])
        self.sizes = []
        for s in sorted({len(pat.obs) for pat in pats}):
            pos = np.array([k for k, pat in enumerate(pats) if len(pat.obs) == s], dtype=int)
            idx = np.array([pats[k].obs for k in pos], dtype=int).reshape(len(pos), s)
            self.sizes.append((pos, idx, np.array([pats[k].mean for k in pos]).reshape(len(pos), s),
                               np.array([pats[k].cov for k in pos]).reshape(len(pos), s, s)))


def _pattern_moments(sigma, mu, batches, keep=False):
    """``-2 log L`` (up to constants) of the patterns in ``batches`` at ``(sigma, mu)``, its
    gradient in (Sigma, mu) and (``keep``) the embedded per-pattern matrices: a :class:`_Moments`,
    or None when a pattern's ``Sigma_oo`` is not positive definite.  Each pattern's numbers are
    computed by the same LAPACK/BLAS calls as one pattern at a time; the sums over patterns run
    in pattern order."""
    p, K = batches.p, batches.K
    terms = np.zeros(K)
    GSk = np.zeros((K, p, p))      # n_k (Sigma_oo^-1 - Sigma_oo^-1 T Sigma_oo^-1), embedded
    SDk = np.zeros((K, p))         # Sigma_oo^-1 d, embedded
    SI = np.zeros((K, p, p)) if keep else None
    B = np.zeros((K, p, p)) if keep else None
    for pos, idx, mean, cov in batches.sizes:
        r, c = idx[:, :, None], idx[:, None, :]
        try:
            L = np.linalg.cholesky(sigma[r, c])
        except np.linalg.LinAlgError:
            return None
        Li = np.linalg.inv(L)
        si = Li.transpose(0, 2, 1) @ Li
        logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        d = mean - mu[idx]
        T = cov + d[:, :, None] * d[:, None, :]
        sT = si @ T
        n = batches.ns[pos]
        terms[pos] = n * (logdet + np.trace(sT, axis1=1, axis2=2))
        b = sT @ si
        kk = pos[:, None, None]
        GSk[kk, r, c] = n[:, None, None] * (si - b)
        SDk[pos[:, None], idx] = (si @ d[:, :, None])[:, :, 0]
        if keep:
            SI[kk, r, c] = si
            B[kk, r, c] = b
    out = _Moments()
    f = 0.0
    for t in terms.tolist():
        f += t
    out.f, out.GS = f, GSk.sum(axis=0)
    out.gmu = -((2.0 * batches.ns)[:, None] * SDk).sum(axis=0)
    if keep:
        out.SI, out.B, out.SD = SI, B, SDk
        out.n = batches.ns.astype(float)
    return out


def _moment_hessian(mo, p, observed):
    """Half the Hessian of -2 log L (summed over cases) with respect to (mu, vech Sigma):
    observed (at the data) or expected (E[T] = Sigma) -- lavaan's
    lav_mvnorm_missing_information_{observed,expected} times N."""
    r, c, w = _vech_weights(p)
    m = len(r)
    K = len(mo.n)
    X = mo.SI.reshape(K, p * p)
    Xn = X * mo.n[:, None]
    H = np.zeros((p + m, p + m))
    H[:p, :p] = np.tensordot(mo.n, mo.SI, axes=1)
    Zss = _t4(Xn.T @ X, p, r, c, w)
    if observed:
        Zsb = _t4(Xn.T @ mo.B.reshape(K, p * p), p, r, c, w)
        H[p:, p:] = Zsb - 0.5 * Zss
        Y3 = np.einsum("k,kai,kj->aij", mo.n, mo.SI, mo.SD)
        ms = w[None, :] * (Y3[:, r, c] + Y3[:, c, r])
        H[:p, p:] = ms
        H[p:, :p] = ms.T
    else:
        H[p:, p:] = 0.5 * Zss
    return H


def sandwich(D, H):
    """``D.T @ H @ D``; when ``D`` only selects (each column one 1.0, each row at most one
    non-zero: a saturated model's moments) and ``H`` is finite, the rows and columns of ``H``
    it selects, which is what the two products give: each entry one product by 1.0 plus
    products by 0.0 (a zero entry comes out +0.0), without the two ``O(k^3)`` products
    (``tests/test_sem_observed_info_batch.py`` compares the bits)."""
    rows = _selected_rows(D)
    if rows is None or not np.isfinite(H).all():
        return D.T @ H @ D
    return H[np.ix_(rows, rows)] + 0.0


def _selected_rows(D):
    """For each column of ``D``, the row of its single 1.0 (None unless every column has exactly
    one non-zero, equal to 1.0, and no row has more than one)."""
    nz = D != 0
    if D.ndim != 2 or D.shape[1] == 0 or not (nz.sum(axis=0) == 1).all():
        return None
    rows = nz.argmax(axis=0)
    if not (D[rows, np.arange(D.shape[1])] == 1.0).all() or len(set(rows.tolist())) < len(rows):
        return None
    return rows


def _second_order(gm, theta, used, GS, gmu, h):
    """Central differences of the moment Jacobian for the model's second-order term:
    column ``j`` is ``(J(theta + s_j e_k) - J(theta - s_j e_k)) / (2 s_j)`` with ``k = used[j]``,
    ``s_j = h max(1, |theta_k|)`` and ``J(t) = gm.moment_gradient(t, GS, gmu)[used]``, all
    ``2 len(used)`` gradients at once (:func:`moment_gradients`: the same numbers)."""
    used = np.asarray(used)
    steps = h * np.maximum(1.0, np.abs(theta[used]))
    rows = np.arange(len(used))
    tp = np.repeat(theta[None, :], len(used), axis=0)
    tm = tp.copy()
    tp[rows, used] += steps
    tm[rows, used] -= steps
    J = moment_gradients(gm, np.concatenate([tp, tm]), GS, gmu)[:, used]
    return ((J[: len(used)] - J[len(used):]) / (2 * steps)[:, None]).T


def moment_gradients(gm, thetas, GS, gmu):
    """``gm.moment_gradient(t, GS, gmu)`` (:meth:`rsnprop.sem.engine._GroupModel.moment_gradient`)
    for every row ``t`` of ``thetas``, with the same NumPy and LAPACK calls on stacked arrays
    (each slice the numbers of one call; ``tests/test_sem_observed_info_batch.py``)."""
    R, q, p = len(thetas), gm.q, gm.p
    A, S, m = stacked_matrices(gm, thetas)
    IA = gm.eye + A if gm.keep_solved and gm._paths_one_step() else np.linalg.inv(gm.eye - A)
    G = IA[:, : p]
    Gt = G.transpose(0, 2, 1)
    GtGS = Gt @ GS
    gG = Gt @ gmu
    grad = np.zeros((R, q))
    if len(gm.ap):
        C = IA @ S @ Gt
        eta = (IA @ m[:, :, None])[:, :, 0]
        MA = 2.0 * GtGS @ C.transpose(0, 2, 1)
        grad += _bincounts(gm.ap, MA[:, gm.ai, gm.aj] + gG[:, gm.ai] * eta[:, gm.aj], q)
    if len(gm.sp):
        Q = GtGS @ G
        grad += _bincounts(gm.sp, Q[:, gm.si, gm.sj] * (1.0 + gm.offdiag), q)
    if len(gm.mp):
        grad += _bincounts(gm.mp, gG[:, gm.mi], q)
    return grad


def _bincounts(index, weights, q):
    """``np.bincount(index, w, minlength=q)`` of every row ``w`` of ``weights`` (each bin summed
    in the order of ``index``, as the one-row call sums it)."""
    R = len(weights)
    flat = (index[None, :] + q * np.arange(R)[:, None]).ravel()
    return np.bincount(flat, weights.ravel(), minlength=q * R).reshape(R, q)


class FIMLEngine(Engine):
    """Engine whose data are missing-data patterns (list per group).

    Every evaluation factors each pattern's ``Sigma_oo`` once (Cholesky) and accumulates the
    gradient with respect to the model moments (``Sigma``, ``mu``); the chain rule through the
    analytic RAM derivatives gives the gradient in the parameters.  Fisher scoring uses the
    expected h1 information under missingness, standard errors the observed one (analytic in
    the moments, plus the second-order term of the model, by central differences of the
    moment Jacobian)."""

    def __init__(self, groups, pats, q, n_per_group):
        self.groups = groups
        self.pats = pats
        self.q = q
        self.meanstructure = True
        self.ns = list(n_per_group)
        self.ntotal = sum(self.ns)
        self.data = None  # set to h1 moments later (GroupData) for srmr/residuals

    def _used(self, g):
        """Parameters that enter group ``g`` (the others have zero derivatives there)."""
        if not hasattr(self, "_used_cache"):
            self._used_cache = {}
        if g not in self._used_cache:
            self._used_cache[g] = np.flatnonzero(self.groups[g].P.any(axis=0))
        return self._used_cache[g]

    #: True: every evaluation factors the patterns embedded at full size in one batch
    #: (:class:`_Padded`, a lean fit's: equal to rounding); False: by pattern size, in the same
    #: LAPACK calls as one pattern at a time
    padded = False

    def _batches(self, g):
        """The patterns of group ``g`` stacked by size (:class:`_Batches`) or embedded at full
        size (:class:`_Padded`, ``padded``), built once."""
        cache = self.__dict__.setdefault("_batch_cache", {})
        key = (g, self.padded)
        if key not in cache:
            cache[key] = (_Padded if self.padded else _Batches)(self.pats[g], self.groups[g].p)
        return cache[key]

    def share_batches(self, cache):
        """Keep the batches of the patterns in the dict ``cache``, shared with the other engines of
        the same patterns (``self.pats``; the steps of a lean invariance sequence and their score
        tests): built once, and the last evaluation's moments found again
        (:func:`rsnprop.sem.fiml_lean.lean_moments`)."""
        self.__dict__["_batch_cache"] = cache

    def _group(self, theta, g, need_grad, need_hess, observed=False):
        gm = self.groups[g]
        p = gm.p
        used = self._used(g)
        if self.padded:
            return self._lean_group(theta, g, need_grad, need_hess)
        if need_hess:
            sigma, mu, ds, dm = gm.derivatives_used(theta, used)
        else:
            sigma, mu = gm.implied(theta)
        mo = (_padded_moments if self.padded else _pattern_moments)(sigma, mu, self._batches(g), keep=need_hess)
        if mo is None:
            return np.inf, None, None
        grad = hess = None
        if need_grad:
            grad = gm.moment_gradient(theta, mo.GS, mo.gmu)
        if need_hess:
            D = moment_jacobian(ds, dm)
            H = _moment_hessian(mo, p, observed)
            hess = np.zeros((self.q, self.q))
            hess[np.ix_(used, used)] = 2.0 * sandwich(D, H)
            self._last_mo = mo
        return mo.f, grad, hess

    def _lean_group(self, theta, g, need_grad, need_hess):
        """:meth:`_group` of a lean fit (:mod:`rsnprop.sem.fiml_lean`): the patterns' inverses from
        one inverse of Sigma, the expected information from the rank-two derivatives."""
        gm = self.groups[g]
        sigma, mu = gm.implied(theta)
        mo = lean_moments(sigma, mu, self._batches(g))
        if mo is None:
            return np.inf, None, None
        grad = gm.moment_gradient(theta, mo.GS, mo.gmu) if need_grad else None
        hess = None
        if need_hess:
            used = self._used(g)
            hess = np.zeros((self.q, self.q))
            hess[np.ix_(used, used)] = lean_hessian(gm, theta, used, mo)
        return mo.f, grad, hess

    def _lean_grad_info(self, theta, need_hess):
        """:meth:`grad_info` of a lean fit: the moments of every group's patterns in one batch
        (:func:`rsnprop.sem.fiml_lean.lean_group_moments`)."""
        cache = self.__dict__.setdefault("_batch_cache", {})
        if "stack" not in cache:
            cache["stack"] = _Padded.stack([self._batches(g) for g in range(len(self.groups))])
        if not self.__dict__.get("_kept"):
            for gm in self.groups:               # fixed values set once: the inverse kept per theta
                gm.keep_solved = True
            self._kept = True
        stacked = self.__dict__.get("_stacked")
        if stacked is None:         # every group's algebra at once (same variables: a multigroup model)
            stacked = self._stacked = stacked_groups(self.groups, self.q)
        if stacked:
            sigmas, mus, state = stacked.implied(theta)
        else:
            implied = [gm.implied(theta) for gm in self.groups]
            sigmas, mus = [s for s, _ in implied], [m for _, m in implied]
        mos = lean_group_moments(sigmas, mus, cache["stack"])
        if mos is None:
            return np.inf, None, None
        f = sum(mo.f for mo in mos)
        if stacked:
            grad = stacked.gradient(state, np.array([mo.GS for mo in mos]), np.array([mo.gmu for mo in mos]))
        else:
            grad = sum(gm.moment_gradient(theta, mo.GS, mo.gmu) for gm, mo in zip(self.groups, mos))
        hess = np.zeros((self.q, self.q)) if need_hess else None
        for g, (gm, mo) in enumerate(zip(self.groups, mos) if need_hess else ()):
            used = self._used(g)
            hess[np.ix_(used, used)] += lean_hessian(gm, theta, used, mo)
        N = self.ntotal
        return f / N, grad / N, (hess / N if need_hess else None)

    def observed_information(self, theta, h=1e-5):
        """Observed unit information (half the Hessian of -2 log L / N): analytic in the
        moments (Delta' H Delta) plus the model's second-order term sum_j g_j d2 m_j, the
        latter by central differences of the moment Jacobian (zero for models linear in theta)."""
        key = (np.asarray(theta, dtype=float).tobytes(), h)
        cache = self.__dict__.setdefault("_obs_cache", {})
        if key not in cache:
            cache.clear()
            cache[key] = self._observed_information(theta, h)
        return None if cache[key] is None else cache[key].copy()

    def _observed_information(self, theta, h):
        q = self.q
        info = np.zeros((q, q))
        for g in range(len(self.groups)):
            f, _, hess = self._group(theta, g, True, True, observed=True)
            if not np.isfinite(f):
                return None
            mo = self._last_mo
            used = self._used(g)
            gm = self.groups[g]
            Hu = 0.5 * hess[np.ix_(used, used)]
            if len(gm.ap):  # Sigma, mu nonlinear in theta (paths): second-order term
                S2 = _second_order(gm, theta, used, 0.5 * mo.GS, 0.5 * mo.gmu, h)
                Hu += 0.5 * (S2 + S2.T)
            info[np.ix_(used, used)] += Hu
        info /= self.ntotal
        return 0.5 * (info + info.T)

    def fml(self, theta):
        tot = 0.0
        for g in range(len(self.groups)):
            f, _, _ = self._group(theta, g, False, False)
            tot += f
        return tot / self.ntotal

    def grad_info(self, theta, need_hess=True):
        if self.padded:
            return self._lean_grad_info(theta, need_hess)
        f = 0.0
        grad = np.zeros(self.q)
        hess = np.zeros((self.q, self.q)) if need_hess else None
        for g in range(len(self.groups)):
            fg, gg, hg = self._group(theta, g, True, need_hess)
            if not np.isfinite(fg):
                return np.inf, None, None
            f += fg
            grad += gg
            if need_hess:
                hess += hg
        N = self.ntotal
        return f / N, grad / N, (hess / N if need_hess else None)

    def loglik(self, theta):
        """Casewise log-likelihood (sum over all cases and groups)."""
        ll = 0.0
        for g in range(len(self.groups)):
            f, _, _ = self._group(theta, g, False, False)
            nobs = sum(p.n * len(p.obs) for p in self.pats[g])
            ll += -0.5 * (f + nobs * LOG2PI)
        return ll

    def casewise_scores(self, theta, g):
        """d log L_i / d theta for every case of group ``g`` (rows in pattern order)."""
        gm = self.groups[g]
        p = gm.p
        used = self._used(g)
        sigma, mu, ds, dm = gm.derivatives_used(theta, used)
        D = np.zeros((p + p * (p + 1) // 2, self.q))
        D[:, used] = moment_jacobian(ds, dm)
        r, c, w = _vech_weights(p)
        out = []
        for pat in self.pats[g]:
            o = pat.obs
            si = np.linalg.inv(sigma[pat.ix])
            a = np.zeros((pat.n, p))
            a[:, o] = (pat.x - mu[o]) @ si
            sif = np.zeros((p, p))
            sif[pat.ix] = si
            out.append(np.hstack([a, (a[:, r] * a[:, c] - sif[r, c]) * w]))
        return np.vstack(out) @ D
