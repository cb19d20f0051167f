"""Fit measures with lavaan's formulas (``lavaan::fitMeasures``) for ML.

* ``chi2 = sum_g n_g F_g`` (N, not N - 1), ``df = moments - free parameters``;
* baseline: independence model per group (means and variances saturated);
* ``cfi = 1 - max(chi2 - df, 0) / max(chi2 - df, chi2_b - df_b, 0)``,
  ``tli = (chi2_b/df_b - chi2/df) / (chi2_b/df_b - 1)``;
* ``rmsea = sqrt(max(chi2 - df, 0) / (N df)) * sqrt(G)``, 90 % CI by inverting the noncentral
  chi-square, ``rmsea_pvalue`` (p-close) = ``P(chi2 >= X2 | ncp = N df 0.05^2 / G)``;
* ``srmr`` (Bentler): root mean square of the residual correlations (and standardised mean
  residuals with a mean structure), averaged over groups with weights n_g / N;
* ``loglik``, ``aic = -2 loglik + 2 npar``, ``bic = -2 loglik + npar log N``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from ..distributions import chi2_sf, ncx2_cdf

__all__ = ["rmsea_ci", "ml_fit_measures", "incremental", "srmr_group"]


def rmsea_point(chi2, df, n, ngroups=1):
    if df <= 0:
        return 0.0
    return math.sqrt(max(chi2 - df, 0.0) / (n * df)) * math.sqrt(ngroups)


def rmsea_ci(chi2, df, n, ngroups=1, level=0.90):
    """Lower and upper RMSEA confidence limits and p-close (lavaan's algorithm).

    The noncentrality ``lambda`` with ``P(X2 <= chi2 | df, lambda) = 0.95`` (lower) or ``0.05``
    (upper) is found by ``scipy.special.chndtrinc``; 0 when even ``lambda = 0`` is below.
    """

    if df <= 0 or not np.isfinite(chi2):
        return float("nan"), float("nan"), float("nan")
    lo_p, hi_p = (1 + level) / 2, (1 - level) / 2
    cdf0 = special.chdtr(df, chi2)

    def solve(target):
        if cdf0 < target:
            return 0.0
        try:
            lam = float(special.chndtrinc(chi2, df, target))
        except Exception:  # pragma: no cover - fall back to root finding
            lam = float("nan")
        if not np.isfinite(lam):
            upper = max(chi2, 1.0)
            while ncx2_cdf(chi2, df, upper) > target:
                upper *= 2
            lam = optimize.brentq(lambda x: ncx2_cdf(chi2, df, x) - target, 1e-12, upper, xtol=1e-12)
        return lam

    lam_lo, lam_hi = solve(lo_p), solve(hi_p)
    lower = math.sqrt(lam_lo / (n * df)) * math.sqrt(ngroups)
    upper = math.sqrt(lam_hi / (n * df)) * math.sqrt(ngroups)
    ncp = n * df * 0.05 ** 2 / ngroups
    pclose = 1.0 - float(special.chndtr(chi2, df, ncp))
    return lower, upper, float(pclose)


def incremental(chi2, df, chi2_b, df_b):
    """CFI and TLI."""
    t1 = max(chi2 - df, 0.0)
    t2 = max(chi2 - df, chi2_b - df_b, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    if df > 0 and df_b > 0:
        tli = (chi2_b / df_b - chi2 / df) / (chi2_b / df_b - 1.0)
    else:
        tli = 1.0
    return cfi, tli


def srmr_group(S, mean, sigma, mu, meanstructure):
    """Bentler's SRMR of one group (residual correlations; mean residuals with a mean structure)."""
    sd = np.sqrt(np.diag(S))
    R = (S - sigma) / np.outer(sd, sd)
    p = S.shape[0]
    iu = np.triu_indices(p)
    vals = R[iu]
    if meanstructure:
        vals = np.concatenate([vals, (mean - mu) / sd])
    return math.sqrt(float(np.mean(vals ** 2)))


def ml_fit_measures(engine, theta, npar, data_x_moments=0, fmin=None, x_idx=()):
    """Compute the ML fit measures of a fitted model (dict keyed by lavaan's names).

    ``x_idx``: positions of observed exogenous covariates (``fixed.x``): as lavaan, the
    log-likelihoods are conditional on them and the baseline keeps their covariances.
    """
    data = engine.data
    G = len(data)
    N = engine.ntotal
    p = engine.groups[0].p
    ms = engine.meanstructure
    chi2 = 0.0
    loglik = 0.0
    loglik_h1 = 0.0
    chi2_b = 0.0
    srmr = 0.0
    ndat = 0
    for g, d in enumerate(data):
        gm = engine.groups[g]
        sigma, mu = gm.implied(theta)
        sign, logdet = np.linalg.slogdet(sigma)
        sinv = np.linalg.inv(sigma)
        fg = logdet + np.sum(d.cov * sinv) - d.logdet_cov - p
        r = d.mean - mu
        if ms:
            fg += r @ sinv @ r
        chi2 += d.n * fg
        ll = -0.5 * d.n * (p * math.log(2 * math.pi) + logdet + np.sum(d.cov * sinv) + (r @ sinv @ r if ms else 0.0))
        loglik += ll
        loglik_h1 += -0.5 * d.n * (p * math.log(2 * math.pi) + d.logdet_cov + p)
        x_idx = list(x_idx)
        if x_idx:
            sxx = d.cov[np.ix_(x_idx, x_idx)]
            ld_x = np.linalg.slogdet(sxx)[1]
            px = len(x_idx)
            ll_x = -0.5 * d.n * (px * math.log(2 * math.pi) + ld_x + px)
            ll -= ll_x
            loglik -= ll_x
            loglik_h1 -= ll_x
            y_idx = [j for j in range(p) if j not in x_idx]
            chi2_b += d.n * (np.sum(np.log(np.diag(d.cov)[y_idx])) + ld_x - d.logdet_cov)
        else:
            chi2_b += d.n * (np.sum(np.log(np.diag(d.cov))) - d.logdet_cov)
        srmr += d.n / N * srmr_group(d.cov, d.mean, sigma, mu, ms)
        ndat += p * (p + 1) // 2 + (p if ms else 0)
    ndat -= data_x_moments
    df = ndat - npar
    px = len(list(x_idx))
    df_b = G * (p * (p - 1) // 2 - px * (px - 1) // 2)
    chi2 = max(chi2, 0.0)
    pvalue = float(chi2_sf(chi2, df)) if df > 0 else float("nan")
    cfi, tli = incremental(chi2, df, chi2_b, df_b)
    rmsea = rmsea_point(chi2, df, N, G)
    lo, hi, pclose = rmsea_ci(chi2, df, N, G)
    out = {
        "npar": int(npar), "n": int(N), "ngroups": G,
        "chi2": float(chi2), "df": int(df), "pvalue": pvalue,
        "baseline_chi2": float(chi2_b), "baseline_df": int(df_b),
        "baseline_pvalue": float(chi2_sf(chi2_b, df_b)) if df_b > 0 else float("nan"),
        "cfi": float(cfi), "tli": float(tli),
        "rmsea": float(rmsea), "rmsea_ci_lower": float(lo), "rmsea_ci_upper": float(hi), "rmsea_pvalue": pclose,
        "srmr": float(srmr),
        "loglik": float(loglik), "loglik_h1": float(loglik_h1),
        "aic": float(-2 * loglik + 2 * npar), "bic": float(-2 * loglik + npar * math.log(N)),
        "fmin": float(chi2 / (2 * N)),
    }
    return out
