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

import numpy as np
from scipy import optimize, special

__all__ = ["bvn_cdf", "ordinal_stats", "OrdinalStats"]

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
    """P(X <= x, Y <= y), standard bivariate normal, correlation ``r``; x, y may be +-inf."""
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


def ordinal_stats(x: np.ndarray, names) -> OrdinalStats:
    """Compute thresholds, polychoric correlations and NACOV of the integer-coded ``x``."""
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
        ti, tj = ext[i], ext[j]
        Ki, Kj = len(ti) - 1, len(tj) - 1
        tab = _pair_tables(codes[:, i], codes[:, j], Ki, Kj)
        with np.errstate(invalid="ignore", divide="ignore"):
            start = np.corrcoef(codes[:, i], codes[:, j])[0, 1]
        r = _polychoric(tab, ti, tj, start=0.0 if not np.isfinite(start) else start)
        cor[i, j] = cor[j, i] = r
        P = _cell_probs(ti, tj, r)
        dens = _bvn_pdf(ti[:, None], tj[None, :], r)
        dP = dens[1:, 1:] - dens[:-1, 1:] - dens[1:, :-1] + dens[:-1, :-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            s_rho = np.where(P > 0, dP / P, 0.0)
        sc = s_rho[codes[:, i], codes[:, j]]
        sc_cor[:, k] = sc
        s = math.sqrt(1 - r * r)
        # d P_ab / d tau_i,m  (m-th threshold of item i: upper bound of category m)
        with np.errstate(invalid="ignore"):
            Gi = _phi(ti[1:-1])[:, None] * _Phi((tj[None, :] - r * ti[1:-1][:, None]) / s)  # (Ki-1, Kj+1)
            Gj = _phi(tj[1:-1])[:, None] * _Phi((ti[None, :] - r * tj[1:-1][:, None]) / s)  # (Kj-1, Ki+1)
        Gi = np.nan_to_num(Gi)
        Gj = np.nan_to_num(Gj)
        for m in range(Ki - 1):
            diff = Gi[m, 1:] - Gi[m, :-1]  # over categories b of j
            dcell = np.zeros((Ki, Kj))
            dcell[m, :] += diff
            dcell[m + 1, :] -= diff
            with np.errstate(divide="ignore", invalid="ignore"):
                dlog = np.where(P > 0, dcell / P, 0.0)
            a21[k, th_start[i] + m] = np.sum(tab * s_rho * dlog)
        for m in range(Kj - 1):
            diff = Gj[m, 1:] - Gj[m, :-1]  # over categories a of i
            dcell = np.zeros((Ki, Kj))
            dcell[:, m] += diff
            dcell[:, m + 1] -= diff
            with np.errstate(divide="ignore", invalid="ignore"):
                dlog = np.where(P > 0, dcell / P, 0.0)
            a21[k, th_start[j] + m] = np.sum(tab * s_rho * dlog)
    SC = np.hstack([sc_th, sc_cor])
    inner = SC.T @ SC
    a11 = np.zeros((nth, nth))
    for j in range(p):
        sl = slice(th_start[j], th_start[j + 1])
        a11[sl, sl] = inner[sl, sl]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1.0 / np.sum(sc_cor ** 2, axis=0))
    b_inv = np.zeros((nth + pstar, nth + pstar))
    b_inv[:nth, :nth] = a11_inv
    b_inv[nth:, nth:] = a22_inv
    b_inv[nth:, :nth] = -a22_inv @ a21 @ a11_inv
    wls_w = b_inv @ inner @ b_inv.T
    return OrdinalStats(list(names), codes, levels, th, cor, n * wls_w, n)
