"""Thresholds, polychoric correlations and their asymptotic covariance (lavaan's ``muthen1984``).

Step 1: thresholds of every ordinal item, ``tau_k = Phi^-1(cumulative proportion)``.
Step 2: for every pair, the polychoric correlation maximises the bivariate-probit likelihood of
the contingency table with the thresholds held at their step-1 values.
``NACOV`` (N times the asymptotic covariance of (thresholds, correlations)) is the two-step
sandwich of Muthen (1984) built from casewise scores, exactly as lavaan:
``B^-1 (SC' SC) B^-T`` with ``A11`` the per-item blocks of ``SC_th' SC_th``, ``A21`` the
cross-products of correlation scores and the bivariate threshold scores, ``A22`` the diagonal
of ``SC_rho' SC_rho``.

The bivariate normal CDF is Genz's (2004) ``bvnu`` (Gauss-Legendre, vectorised).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

__all__ = ["bvn_cdf", "ordinal_stats", "OrdinalStats", "mixed_stats", "MixedStats"]

_GL = {n: np.polynomial.legendre.leggauss(n) for n in (6, 12, 20)}


def _phi(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _Phi(x):
    return special.ndtr(x)


def _bvnu(h, k, r):
    """P(X > h, Y > k) for a standard bivariate normal with correlation ``r`` (finite h, k)."""
    h = np.asarray(h, float)
    k = np.asarray(k, float)
    ar = abs(r)
    n = 6 if ar < 0.3 else 12 if ar < 0.75 else 20
    x, w = _GL[n]
    x, w = x[: n // 2], w[: n // 2]
    hk = h * k
    if ar < 0.925:
        hs = (h * h + k * k) / 2
        asr = math.asin(r)
        sn1 = np.sin(asr * (1 - x) / 2)
        sn2 = np.sin(asr * (1 + x) / 2)
        bvn = (w[None, :] * (np.exp((sn1[None, :] * hk.reshape(-1, 1) - hs.reshape(-1, 1)) / (1 - sn1 ** 2)[None, :])
                             + np.exp((sn2[None, :] * hk.reshape(-1, 1) - hs.reshape(-1, 1)) / (1 - sn2 ** 2)[None, :]))
               ).sum(axis=1).reshape(h.shape)
        return bvn * asr / (4 * math.pi) + _Phi(-h) * _Phi(-k)
    kk = -k if r < 0 else k
    hk = h * kk
    bvn = np.zeros_like(h)
    if ar < 1:
        as_ = (1 - r) * (1 + r)
        a = math.sqrt(as_)
        bs = (h - kk) ** 2
        c = (4 - hk) / 8
        d = (12 - hk) / 16
        asr = -(bs / as_ + hk) / 2
        bvn = np.where(asr > -100, a * np.exp(asr) * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5), 0.0)
        b = np.sqrt(bs)
        sp = math.sqrt(2 * math.pi) * _Phi(-b / a)
        bvn = bvn - np.where(hk > -100, np.exp(-hk / 2) * sp * b * (1 - c * bs * (1 - d * bs / 5) / 3), 0.0)
        a2 = a / 2
        for i in range(len(x)):
            for sgn in (-1.0, 1.0):
                xs = (a2 + a2 * sgn * x[i]) ** 2
                rs = math.sqrt(1 - xs)
                asr2 = -(bs / xs + hk) / 2
                sp2 = 1 + c * xs * (1 + d * xs)
                ep = np.exp(-hk * xs / (2 * (1 + rs) ** 2)) / rs
                bvn = bvn + np.where(asr2 > -100, a2 * w[i] * np.exp(asr2) * (ep - sp2), 0.0)
        bvn = -bvn / (2 * math.pi)
    if r > 0:
        return bvn + _Phi(-np.maximum(h, kk))
    L = np.where(h < 0, _Phi(kk) - _Phi(h), _Phi(-h) - _Phi(-kk))
    return np.where(h >= kk, -bvn, L - bvn)


def bvn_cdf(x, y, r):
    """P(X <= x, Y <= y) for a standard bivariate normal with correlation ``r``.

    The one bivariate normal CDF of the package (Genz 2004, ``bvnu``; also behind
    :func:`rsnprop.measure.polychoric`): vectorised over ``x`` and ``y``, which may be +-inf.

    Parameters
    ----------
    x, y : float or array_like
        Upper limits (broadcast against each other).
    r : float
        Correlation, ``-1 < r < 1``.

    Returns
    -------
    numpy.ndarray
        The probabilities, clipped to [0, 1].

    Examples
    --------
    >>> round(float(bvn_cdf(0.0, 0.0, 0.5)), 12)
    0.333333333333
    >>> [float(v) for v in bvn_cdf([float("inf"), float("-inf")], 0.0, 0.3)]
    [0.5, 0.0]

    In R: ``pbivnorm::pbivnorm(0, 0, rho = 0.5)`` (or ``mvtnorm::pmvnorm``).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    x, y = np.broadcast_arrays(x, y)
    out = np.zeros(x.shape)
    fin = np.isfinite(x) & np.isfinite(y)
    if fin.any():
        out[fin] = _bvnu(-x[fin], -y[fin], r)
    xinf = np.isposinf(x)
    yinf = np.isposinf(y)
    out[xinf & np.isfinite(y)] = _Phi(y[xinf & np.isfinite(y)])
    out[yinf & np.isfinite(x)] = _Phi(x[yinf & np.isfinite(x)])
    out[xinf & yinf] = 1.0
    out[np.isneginf(x) | np.isneginf(y)] = 0.0
    return np.clip(out, 0.0, 1.0)


def _bvn_pdf(x, y, r):
    s = 1 - r * r
    with np.errstate(invalid="ignore", over="ignore"):
        val = np.exp(-(x * x - 2 * r * x * y + y * y) / (2 * s)) / (2 * math.pi * math.sqrt(s))
    return np.where(np.isfinite(x) & np.isfinite(y), val, 0.0)


class OrdinalStats:
    """Sample statistics of ordinal items: thresholds, polychoric correlations, NACOV."""

    def __init__(self, names, codes, levels, th, cor, nacov, n):
        self.names = names
        self.codes = codes  # (n, p) 0..K-1
        self.levels = levels
        self.th = th  # list of arrays
        self.cor = cor
        self.nacov = nacov
        self.n = n

    @property
    def th_flat(self):
        return np.concatenate(self.th)


def _pair_tables(ci, cj, ki, kj):
    tab = np.zeros((ki, kj))
    np.add.at(tab, (ci, cj), 1.0)
    return tab


def _cell_probs(ti, tj, r):
    """Cell probabilities of a (Ki x Kj) table given extended thresholds (with +-inf)."""
    F = bvn_cdf(ti[:, None], tj[None, :], r)
    return F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]


def _polychoric(tab, ti, tj, start=0.0):
    """ML polychoric correlation of a contingency table (thresholds fixed): Fisher scoring on
    rho with the analytic score, bounded fallback when it does not settle."""
    n = tab.sum()
    r = float(np.clip(start, -0.95, 0.95))
    for _ in range(100):
        P = _cell_probs(ti, tj, r)
        dens = _bvn_pdf(ti[:, None], tj[None, :], r)
        dP = dens[1:, 1:] - dens[:-1, 1:] - dens[1:, :-1] + dens[:-1, :-1]
        ok = P > 1e-300
        score = float(np.sum(tab[ok] * dP[ok] / P[ok]))
        info = float(n * np.sum(dP[ok] ** 2 / P[ok]))
        if not np.isfinite(score) or info <= 0:
            break
        step = score / info
        new = float(np.clip(r + step, -0.999, 0.999))
        if abs(new - r) < 1e-12:
            return new
        r = new
    # fallback: bounded 1-d search on the log-likelihood

    def nll(x):
        return -np.sum(tab * np.log(np.clip(_cell_probs(ti, tj, x), 1e-300, None)))

    res = optimize.minimize_scalar(nll, bounds=(-0.995, 0.995), method="bounded",
                                   options={"xatol": 1e-10, "maxiter": 500})
    return float(res.x)


def _ord_pair(ci_, cj_, ti, tj, start=None):
    """Polychoric correlation of two ordinal items (codes, extended thresholds), the casewise
    score of rho, and the cross-products of that score with the bivariate threshold scores
    (rows of lavaan's ``A21``) for the thresholds of item i and of item j."""
    Ki, Kj = len(ti) - 1, len(tj) - 1
    tab = _pair_tables(ci_, cj_, Ki, Kj)
    if start is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            start = np.corrcoef(ci_, cj_)[0, 1]
    r = _polychoric(tab, ti, tj, start=0.0 if not np.isfinite(start) else start)
    P = _cell_probs(ti, tj, r)
    dens = _bvn_pdf(ti[:, None], tj[None, :], r)
    dP = dens[1:, 1:] - dens[:-1, 1:] - dens[1:, :-1] + dens[:-1, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_rho = np.where(P > 0, dP / P, 0.0)
    sc = s_rho[ci_, cj_]
    s = math.sqrt(1 - r * r)
    # d P_ab / d tau_i,m  (m-th threshold of item i: upper bound of category m)
    with np.errstate(invalid="ignore"):
        Gi = _phi(ti[1:-1])[:, None] * _Phi((tj[None, :] - r * ti[1:-1][:, None]) / s)  # (Ki-1, Kj+1)
        Gj = _phi(tj[1:-1])[:, None] * _Phi((ti[None, :] - r * tj[1:-1][:, None]) / s)  # (Kj-1, Ki+1)
    Gi = np.nan_to_num(Gi)
    Gj = np.nan_to_num(Gj)
    d_i = np.zeros(Ki - 1)
    d_j = np.zeros(Kj - 1)
    for m in range(Ki - 1):
        diff = Gi[m, 1:] - Gi[m, :-1]  # over categories b of j
        dcell = np.zeros((Ki, Kj))
        dcell[m, :] += diff
        dcell[m + 1, :] -= diff
        with np.errstate(divide="ignore", invalid="ignore"):
            dlog = np.where(P > 0, dcell / P, 0.0)
        d_i[m] = np.sum(tab * s_rho * dlog)
    for m in range(Kj - 1):
        diff = Gj[m, 1:] - Gj[m, :-1]  # over categories a of i
        dcell = np.zeros((Ki, Kj))
        dcell[:, m] += diff
        dcell[:, m + 1] -= diff
        with np.errstate(divide="ignore", invalid="ignore"):
            dlog = np.where(P > 0, dcell / P, 0.0)
        d_j[m] = np.sum(tab * s_rho * dlog)
    return r, sc, d_i, d_j


def ordinal_stats(x: np.ndarray, names, start=None) -> OrdinalStats:
    """Compute thresholds, polychoric correlations and NACOV of the integer-coded ``x``
    (``start``: optional matrix of starting correlations, e.g. the full sample's for a bootstrap
    draw)."""
    n, p = x.shape
    codes = np.empty((n, p), dtype=int)
    levels, th, ext = [], [], []
    for j in range(p):
        lv, c = np.unique(x[:, j], return_inverse=True)
        codes[:, j] = c.ravel()
        levels.append(lv)
        K = len(lv)
        counts = np.bincount(codes[:, j], minlength=K)
        cum = np.cumsum(counts)[:-1] / n
        t = special.ndtri(cum)
        th.append(t)
        ext.append(np.concatenate([[-np.inf], t, [np.inf]]))
    # step 1 scores
    nth = sum(len(t) for t in th)
    th_start = np.cumsum([0] + [len(t) for t in th])
    sc_th = np.zeros((n, nth))
    for j in range(p):
        e = ext[j]
        Pc = _Phi(e[1:]) - _Phi(e[:-1])
        c = codes[:, j]
        K = len(e) - 1
        for k in range(K - 1):  # threshold k separates categories k and k+1
            dens = _phi(e[k + 1])
            col = th_start[j] + k
            sc_th[c == k, col] = dens / Pc[k]
            sc_th[c == k + 1, col] = -dens / Pc[k + 1]
    # step 2
    cor = np.eye(p)
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]  # lavaan's vech order
    pstar = len(pairs)
    sc_cor = np.zeros((n, pstar))
    a21 = np.zeros((pstar, nth))
    for k, (i, j) in enumerate(pairs):
        r, sc, d_i, d_j = _ord_pair(codes[:, i], codes[:, j], ext[i], ext[j],
                                    None if start is None else start[i, j])
        cor[i, j] = cor[j, i] = r
        sc_cor[:, k] = sc
        a21[k, th_start[i]:th_start[i] + len(d_i)] = d_i
        a21[k, th_start[j]:th_start[j] + len(d_j)] = d_j
    SC = np.hstack([sc_th, sc_cor])
    inner = SC.T @ SC
    a11 = np.zeros((nth, nth))
    for j in range(p):
        sl = slice(th_start[j], th_start[j + 1])
        a11[sl, sl] = inner[sl, sl]
    wls_w = _sandwich(inner, a11, a21, sc_cor)
    return OrdinalStats(list(names), codes, levels, th, cor, n * wls_w, n)


class MixedStats(OrdinalStats):
    """Sample statistics of ordinal and continuous variables (lavaan's ``muthen1984`` with
    ``ov.types`` mixing "ordered" and "numeric"): ``stats`` is lavaan's ``WLS.obs``, i.e. the
    thresholds of the ordinal variables and minus the means of the continuous ones (in variable
    order), the variances of the continuous variables, then the off-diagonal elements of ``cov``
    (polychoric correlations, polyserial correlations times the standard deviation, Pearson
    covariances; ML moments, denominator n)."""

    def __init__(self, names, codes, levels, th, cor, nacov, n, *, numeric, mean, var, cov, stats):
        super().__init__(names, codes, levels, th, cor, nacov, n)
        self.numeric = numeric
        self.mean = mean
        self.var = var
        self.cov = cov
        self.stats = stats


_TOO_SMALL = math.sqrt(np.finfo(float).eps)


def _root_kept(score_kept, start, lo, hi):
    """Root of the summed casewise score over the cases lavaan keeps (its ``lav_bvreg`` /
    ``lav_bvmix`` likelihoods drop cases whose bivariate density is below ``sqrt(eps)``, at the
    current rho): bracket from ``start``, then Brent."""
    g0 = score_kept(start)
    if g0 == 0:
        return start
    step = 0.01
    a = start
    while True:
        b = float(np.clip(a + (step if g0 > 0 else -step), lo, hi))
        gb = score_kept(b)
        if np.sign(gb) != np.sign(g0) or b in (lo, hi):
            break
        a, step = b, step * 2
    if np.sign(gb) == np.sign(g0):
        return b
    return float(optimize.brentq(score_kept, min(a, b), max(a, b), xtol=1e-14, rtol=1e-14, maxiter=500))


def _pearson(z1, z2, var1, var2):
    """lavaan's two-step bivariate-normal correlation (means and variances fixed): the Pearson
    correlation unless some cases have a density below ``sqrt(eps)`` (dropped by lavaan)."""
    sd12 = math.sqrt(var1 * var2)

    def parts(r):
        R = 1 - r * r
        q = z1 * z1 - 2 * r * z1 * z2 + z2 * z2
        lik = np.exp(-math.log(2 * math.pi) - 0.5 * math.log(sd12 * sd12 * R) - 0.5 * q / R)
        return r / R + z1 * z2 / R - q * r / (R * R), lik >= _TOO_SMALL

    r0 = float(np.mean(z1 * z2))
    if parts(r0)[1].all():
        return r0

    def score_kept(r):
        sc, keep = parts(r)
        return float(np.sum(sc[keep]))

    return _root_kept(score_kept, r0, -0.999, 0.999)


def _polyserial_parts(r, z, sd, hi_t, lo_t):
    eps = np.finfo(float).eps
    R = math.sqrt(1 - r * r)
    up = (hi_t - r * z) / R
    lo = (lo_t - r * z) / R
    f_up = np.where(np.isfinite(up), _phi(np.where(np.isfinite(up), up, 0.0)), 0.0)
    f_lo = np.where(np.isfinite(lo), _phi(np.where(np.isfinite(lo), lo, 0.0)), 0.0)
    pr = np.maximum(_Phi(up) - _Phi(lo), eps)
    tu = np.where(np.isfinite(hi_t), hi_t, 0.0)
    tl = np.where(np.isfinite(lo_t), lo_t, 0.0)
    sc = (f_up * (tu * r - z) - f_lo * (tl * r - z)) / (pr * R ** 3)
    keep = _phi(z) / sd * pr >= _TOO_SMALL
    return sc, keep, R, f_up, f_lo, pr


def _polyserial(z, sd, codes, t_ext, y_var):
    """Two-step ML polyserial correlation of the standardised continuous ``z`` (standard deviation
    ``sd``) and the ordinal ``codes`` (thresholds ``t_ext`` with +-inf held fixed), as lavaan's
    ``lav_bvmix`` (start ``cor * sd(y) / sum(dnorm(th))``; cases with a bivariate density below
    ``sqrt(eps)`` dropped)."""
    hi_t = t_ext[codes + 1]
    lo_t = t_ext[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        c0 = np.corrcoef(z, y_var)[0, 1]
    start = c0 * np.std(y_var) / np.sum(_phi(t_ext[1:-1]))
    start = 0.0 if not np.isfinite(start) else (start / 2 if abs(start) > 0.9 else float(start))

    def score_kept(r):
        sc, keep = _polyserial_parts(r, z, sd, hi_t, lo_t)[:2]
        return float(np.sum(sc[keep]))

    return _root_kept(score_kept, start, -0.995, 0.995)


def mixed_stats(x: np.ndarray, names, numeric) -> MixedStats:
    """Thresholds / means / variances, polychoric, polyserial and Pearson correlations and the
    NACOV of their two-step estimates (lavaan's ``muthen1984``, including its Jacobian ``H``
    from correlations to covariances and the sign of the mean rows).  ``numeric``: one bool per
    column, True for a continuous variable.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], 500)
    >>> x = np.column_stack([np.digitize(z[:, 0], [-1, 0, 1]), np.digitize(z[:, 1], [0]), z[:, 2]])
    >>> st = mixed_stats(x, ["a", "b", "c"], [False, False, True])
    >>> [round(float(v), 2) for v in (st.cor[0, 1], st.cor[0, 2], st.cor[1, 2])]
    [0.47, 0.45, 0.35]

    In R: ``lavaan::lavCor(data, ordered = c("a", "b"), output = "cor")`` (and
    ``lavInspect(fit, "wls.obs")`` / ``"gamma"`` of a WLSMV fit for ``stats`` and ``nacov``).
    """
    n, p = x.shape
    m = _marginals(x, numeric)
    sc_1 = _first_step_scores(x, m)
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]  # lavaan's vech order
    cor = np.eye(p)
    sc_cor = np.zeros((n, len(pairs)))
    a21 = np.zeros((len(pairs), m.nth + m.nnum))
    h21 = np.zeros((len(pairs), m.nth + m.nnum))
    h22 = np.ones(len(pairs))
    for k, (i, j) in enumerate(pairs):
        r, sc, h22[k] = _second_step(x, m, i, j, a21[k], h21[k])
        cor[i, j] = cor[j, i] = r
        sc_cor[:, k] = sc
    wls_w = _mixed_nacov(m, sc_1, sc_cor, a21, h21, h22)
    cov = cor * np.outer(m.sd, m.sd)
    ri = np.array([a for a, _ in pairs], dtype=int)
    ci = np.array([b for _, b in pairs], dtype=int)
    th_vec = np.concatenate([[-m.mean[j]] if m.numeric[j] else m.th[j] for j in range(p)])
    stats = np.concatenate([th_vec, m.var[m.num_idx], cov[ri, ci]])
    return MixedStats(list(names), m.codes, m.levels, m.th, cor, n * wls_w, n, numeric=m.numeric, mean=m.mean,
                      var=m.var, cov=cov, stats=stats)


@dataclass
class _Marginals:
    """First-step statistics of mixed variables: thresholds of the ordinal ones (``th``, and
    ``ext`` with +-inf; ``codes`` 0..K-1), ML mean and variance of the continuous ones (``z``
    standardised).  First-step columns: variable ``j``'s thresholds (or its mean) start at
    ``th_start[j]``; the variance of continuous ``j`` is column ``var_col[j]`` (after all
    thresholds and means, ``nth`` of them; ``nnum`` continuous variables)."""

    numeric: np.ndarray
    num_idx: np.ndarray
    codes: np.ndarray
    levels: list
    th: list
    ext: list
    mean: np.ndarray
    var: np.ndarray
    sd: np.ndarray
    z: np.ndarray
    th_start: np.ndarray
    var_col: dict
    nth: int
    nnum: int


def _marginals(x, numeric) -> _Marginals:
    n, p = x.shape
    numeric = np.asarray(numeric, dtype=bool)
    num_idx = np.flatnonzero(numeric)
    codes = np.zeros((n, p), dtype=int)
    levels, th, ext = [], [], []
    mean = np.zeros(p)
    var = np.ones(p)
    nth_j = []
    for j in range(p):
        if numeric[j]:
            mean[j] = x[:, j].mean()
            var[j] = np.mean((x[:, j] - mean[j]) ** 2)
            levels.append(np.array([]))
            th.append(np.array([]))
            ext.append(None)
            nth_j.append(1)
            continue
        lv, c = np.unique(x[:, j], return_inverse=True)
        codes[:, j] = c.ravel()
        levels.append(lv)
        t = special.ndtri(np.cumsum(np.bincount(codes[:, j], minlength=len(lv)))[:-1] / n)
        th.append(t)
        ext.append(np.concatenate([[-np.inf], t, [np.inf]]))
        nth_j.append(len(t))
    sd = np.sqrt(var)
    nth = sum(nth_j)
    return _Marginals(numeric=numeric, num_idx=num_idx, codes=codes, levels=levels, th=th, ext=ext, mean=mean,
                      var=var, sd=sd, z=(x - mean) / sd, th_start=np.cumsum([0] + nth_j),
                      var_col={j: nth + k for k, j in enumerate(num_idx)}, nth=nth, nnum=len(num_idx))


def _first_step_scores(x, m: _Marginals):
    """Casewise scores of the first-step statistics: thresholds (probit) or mean and variance
    (normal)."""
    n, p = x.shape
    th_start, var_col, mean, var = m.th_start, m.var_col, m.mean, m.var
    sc_1 = np.zeros((n, m.nth + m.nnum))
    for j in range(p):
        if m.numeric[j]:
            e = x[:, j] - mean[j]
            sc_1[:, th_start[j]] = e / var[j]
            sc_1[:, var_col[j]] = -0.5 / var[j] + e * e / (2 * var[j] ** 2)
            continue
        e = m.ext[j]
        Pc = _Phi(e[1:]) - _Phi(e[:-1])
        c = m.codes[:, j]
        for k in range(len(e) - 2):
            dens = _phi(e[k + 1])
            sc_1[c == k, th_start[j] + k] = dens / Pc[k]
            sc_1[c == k + 1, th_start[j] + k] = -dens / Pc[k + 1]
    return sc_1


def _second_step(x, m: _Marginals, i, j, a21_row, h21_row):
    """Correlation of variables ``i`` and ``j`` (polychoric, Pearson or polyserial, first-step
    statistics held fixed): ``(r, casewise score of r, h22)``; fills this pair's row of ``A21``
    (cross-products with the first-step scores) and of the Jacobian ``H`` (``h21_row``, and
    ``h22`` the derivative of the covariance by the correlation)."""
    th_start, var_col, sd, var, z = m.th_start, m.var_col, m.sd, m.var, m.z
    if not m.numeric[i] and not m.numeric[j]:
        r, sc, d_i, d_j = _ord_pair(m.codes[:, i], m.codes[:, j], m.ext[i], m.ext[j])
        a21_row[th_start[i]:th_start[i] + len(d_i)] = d_i
        a21_row[th_start[j]:th_start[j] + len(d_j)] = d_j
        return r, sc, 1.0
    if m.numeric[i] and m.numeric[j]:  # Pearson (bivariate normal, means and variances fixed)
        z1, z2 = z[:, i], z[:, j]
        r = _pearson(z1, z2, var[i], var[j])
        R = 1 - r * r
        q = z1 * z1 - 2 * r * z1 * z2 + z2 * z2
        sc = r / R + z1 * z2 / R - q * r / (R * R)
        d_mu1 = (z1 - r * z2) / (R * sd[i])
        d_mu2 = (z2 - r * z1) / (R * sd[j])
        d_v1 = -(0.5 / var[i] - (z1 * z1 - r * z1 * z2) / (2 * R * var[i]))
        d_v2 = -(0.5 / var[j] - (z2 * z2 - r * z1 * z2) / (2 * R * var[j]))
        a21_row[th_start[i]] = sc @ d_mu1
        a21_row[th_start[j]] = sc @ d_mu2
        a21_row[var_col[i]] = sc @ d_v1
        a21_row[var_col[j]] = sc @ d_v2
        h21_row[var_col[i]] = sd[j] * r / (2 * sd[i])
        h21_row[var_col[j]] = sd[i] * r / (2 * sd[j])
        return r, sc, sd[i] * sd[j]
    # polyserial: a continuous, b ordinal
    a, b = (i, j) if m.numeric[i] else (j, i)
    za, cb, tb = z[:, a], m.codes[:, b], m.ext[b]
    r = _polyserial(za, sd[a], cb, tb, x[:, b])
    sc, _, R, f_up, f_lo, pr = _polyserial_parts(r, za, sd[a], tb[cb + 1], tb[cb])
    dd = f_up - f_lo
    d_mu = (za + r / R * dd / pr) / sd[a]
    d_v = ((za * za - 1) + r * za / R * dd / pr) / (2 * var[a])
    for t in range(len(tb) - 2):
        d_th = ((cb == t) * f_up - (cb == t + 1) * f_lo) / (R * pr)
        a21_row[th_start[b] + t] = sc @ d_th
    a21_row[th_start[a]] = sc @ d_mu
    a21_row[var_col[a]] = sc @ d_v
    h21_row[var_col[a]] = r / (2 * sd[a])
    return r, sc, sd[a]


def _mixed_nacov(m: _Marginals, sc_1, sc_cor, a21, h21, h22):
    """Asymptotic covariance of ``WLS.obs`` (divided by n): the two-step sandwich of the
    thresholds / means / variances and correlations, through ``H`` to covariances, with the
    rows of the means negated (lavaan's ``WLS.obs`` holds minus the means)."""
    SC = np.hstack([sc_1, sc_cor])
    inner = SC.T @ SC
    m1 = m.nth + m.nnum
    a11 = np.zeros((m1, m1))
    for j in range(len(m.numeric)):
        idx = list(range(m.th_start[j], m.th_start[j + 1])) + ([m.var_col[j]] if m.numeric[j] else [])
        a11[np.ix_(idx, idx)] = inner[np.ix_(idx, idx)]
    wls_w = _sandwich(inner, a11, a21, sc_cor)
    H = np.eye(m1 + sc_cor.shape[1])
    H[m1:, :m1] = h21
    H[m1:, m1:] = np.diag(h22)
    wls_w = H @ wls_w @ H.T
    flip = m.th_start[m.num_idx]  # lavaan's WLS.obs holds minus the means
    wls_w[flip, :] *= -1
    wls_w[:, flip] *= -1
    return wls_w


def _sandwich(inner, a11, a21, sc_cor):
    """Muthen (1984) asymptotic covariance of the two-step statistics, ``B^-1 inner B^-T``:
    ``a11`` the block-diagonal information of the first-step statistics (thresholds, and means
    and variances), ``a21`` the cross block and ``sc_cor`` the scores of the correlations."""
    m1 = a11.shape[0]
    pstar = sc_cor.shape[1]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1.0 / np.sum(sc_cor ** 2, axis=0))
    b_inv = np.zeros((m1 + pstar, m1 + pstar))
    b_inv[:m1, :m1] = a11_inv
    b_inv[m1:, m1:] = a22_inv
    b_inv[m1:, :m1] = -a22_inv @ a21 @ a11_inv
    return b_inv @ inner @ b_inv.T
