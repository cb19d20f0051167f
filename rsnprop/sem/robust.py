"""MLR: Huber-White (sandwich) standard errors and the Yuan-Bentler (Mplus variant) scaled test,
with lavaan's scaled and robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei 2014; Savalei 2018).

For each group ``g`` (``f_g = n_g / N``), with casewise scores of the saturated normal model
(``B1``: their cross-product, ``A1``: its information at the sample moments) and casewise
scores of the fitted model (``B0``), and ``E`` the model's unit information:

    trace(U Gamma) = sum_g [ tr(B1_g A1_g^-1) - f_g tr(B0_g E^-1) ],   c = trace / df,
    chi2_scaled = chi2 / c,
    vcov = E^-1 (sum_g f_g B0_g) E^-1 / N,

where ``E`` is the *observed* information (lavaan's default for MLR).

``cfi_robust``/``tli_robust`` use ``chi2 - c df`` for the model and the baseline (each with its
own ``c``); ``rmsea_robust = sqrt(max(chi2 / N / df - c / N, 0)) sqrt(G)``; its CI inverts the
noncentral chi-square at ``chi2_scaled`` and multiplies ``lambda`` by ``c`` (lavaan
``lav_fit_rmsea_ci``).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..distributions import chi2_sf
from .engine import Engine, _GroupModel
from .fitmeasures import incremental, ml_fit_measures, rmsea_ci

__all__ = ["mlr_adjust", "casewise_h1_scores", "model_scores"]


@functools.lru_cache(maxsize=16)
def _vech_index(p):
    # lavaan's vech: lower triangle, column by column (read-only arrays, built once per p)
    rows, cols = [], []
    for j in range(p):
        for i in range(j, p):
            rows.append(i)
            cols.append(j)
    rows, cols = np.array(rows), np.array(cols)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


def casewise_h1_scores(x, mean, cov, meanstructure=True):
    """Casewise scores of the saturated normal model at (mean, cov): (n, [p +] p*)."""
    p = cov.shape[0]
    ci = np.linalg.inv(cov)
    d = x - mean
    a = d @ ci  # (n, p)
    r, c = _vech_index(p)
    outer = a[:, r] * a[:, c]  # (S^-1 d d' S^-1)_rc
    cov_part = outer - ci[r, c]
    cov_part = np.where(r == c, 0.5 * cov_part, cov_part)
    if meanstructure:
        return np.hstack([a, cov_part])
    return cov_part


def h1_information(mean, cov, meanstructure=True):
    """Unit information of the saturated normal model at (mean, cov), vech parametrisation."""
    p = cov.shape[0]
    ci = np.linalg.inv(cov)
    r, c = _vech_index(p)
    # I_ab = 0.5 tr(C E_a C E_b), E_a the symmetric unit matrix of vech element a = (r, c):
    # = 0.25 m_a m_b (C_rs C_ct + C_rt C_cs), m = 2 off the diagonal, 1 on it
    m = 1.0 + (r != c)
    I = 0.25 * np.outer(m, m) * (ci[np.ix_(r, r)] * ci[np.ix_(c, c)] + ci[np.ix_(r, c)] * ci[np.ix_(c, r)])
    if meanstructure:
        q = len(r)
        out = np.zeros((p + q, p + q))
        out[:p, :p] = ci
        out[p:, p:] = I
        return out
    return I


def model_scores(gm, theta, x, meanstructure, mean_sat):
    """Casewise scores (n, q) of the fitted model in one group (d log L_i / d theta)."""
    sigma, mu, ds, dm = gm.derivatives(theta, meanstructure)
    si = np.linalg.inv(sigma)
    d = x - (mu if meanstructure else mean_sat)
    a = d @ si  # (n, p)
    # 0.5 * [a' dSigma_k a - tr(Sigma^-1 dSigma_k)]
    quad = np.einsum("ni,kij,nj->nk", a, ds, a)
    tr = np.einsum("ij,kji->k", si, ds)
    s = 0.5 * (quad - tr[None, :])
    if meanstructure:
        s = s + a @ dm.T
    return s


def _keep_moments(p, x_idx, ms):
    """Moments that are not fixed by ``fixed.x`` (x means and x-x covariances are dropped)."""
    r, c = _vech_index(p)
    xs = set(x_idx)
    keep = np.array([not (a in xs and b in xs) for a, b in zip(r, c)])
    if ms:
        keep = np.concatenate([np.array([j not in xs for j in range(p)]), keep])
    return keep


def _trace_ugamma(engine, theta, arrays, E_inv, x_idx=()):
    N = engine.ntotal
    tr_total = 0.0
    B0_sum = 0.0
    ms = engine.meanstructure
    for g, (gm, x) in enumerate(zip(engine.groups, arrays)):
        d = engine.data[g]
        fg = d.n / N
        keep = _keep_moments(gm.p, x_idx, ms)
        s1 = casewise_h1_scores(x, d.mean, d.cov, ms)[:, keep]
        B1 = s1.T @ s1 / d.n
        A1 = h1_information(d.mean, d.cov, ms)[np.ix_(keep, keep)]
        s0 = model_scores(gm, theta, x, ms, d.mean)
        B0 = s0.T @ s0 / d.n
        tr_total += np.sum(B1 * np.linalg.inv(A1).T) - fg * np.sum(B0 * E_inv.T)
        B0_sum = B0_sum + fg * B0
    return tr_total, B0_sum


def _baseline_engine(engine, arrays, x_idx=()):
    """Independence model (variances, and means when modelled) for each group; with fixed.x
    the covariates' (co)variances and means stay at their sample values."""

    p = engine.groups[0].p
    ms = engine.meanstructure
    G = len(arrays)
    xs = set(x_idx)
    free_vars = [j for j in range(p) if j not in xs]
    per = len(free_vars) * (2 if ms else 1)
    q = G * per
    groups = []
    theta = np.zeros(q)
    for g in range(G):
        gm = _GroupModel(p, p, q)
        d = engine.data[g]
        for a in xs:
            for b in xs:
                gm.S0[a, b] = d.cov[a, b]
            gm.m0[a] = d.mean[a]
        k = g * per
        for j in free_vars:
            gm.s[0].append(j)
            gm.s[1].append(j)
            gm.s[2].append(k)
            theta[k] = d.cov[j, j]
            k += 1
        if ms:
            for j in free_vars:
                gm.mm[0].append(j)
                gm.mm[1].append(k)
                theta[k] = d.mean[j]
                k += 1
        gm.finalize()
        groups.append(gm)
    return Engine(groups, engine.data, q, ms), theta


def mlr_adjust(pt, engine, theta, arrays, npar, x_moments, warn_list):
    """Return (sandwich vcov, fit-measure dict with the scaled/robust entries)."""

    fitm = ml_fit_measures(engine, theta, npar, x_moments, x_idx=[pt.ov.index(v) for v in pt.ov_x])

    N = engine.ntotal
    G = len(arrays)
    info = engine.observed_information(theta)  # lavaan: MLR uses the observed information
    try:
        E_inv = np.linalg.inv(info)
    except (np.linalg.LinAlgError, TypeError):
        warn_list.append("MLR: the information matrix is singular; robust quantities unavailable")
        return None, fitm
    x_idx = [pt.ov.index(v) for v in pt.ov_x]
    trace, B0 = _trace_ugamma(engine, theta, arrays, E_inv, x_idx)
    vcov = E_inv @ B0 @ E_inv / N
    df = fitm["df"]
    chi2 = fitm["chi2"]
    if df > 0:
        c = trace / df
        chi2_s = chi2 / c
        # baseline
        beng, btheta = _baseline_engine(engine, arrays, x_idx)
        b_info = beng.observed_information(btheta)
        b_trace, _ = _trace_ugamma(beng, btheta, arrays, np.linalg.inv(b_info), x_idx)
        df_b = fitm["baseline_df"]
        chi2_b = fitm["baseline_chi2"]
        c_b = b_trace / df_b
        chi2_bs = chi2_b / c_b
        cfi_s, tli_s = incremental(chi2_s, df, chi2_bs, df_b)
        # robust (lavaan lav_fit_cfi with c_hat)
        t1 = max(chi2 - c * df, 0.0)
        t2 = max(chi2 - c * df, chi2_b - c_b * df_b, 0.0)
        cfi_r = 1.0 if t2 == 0 else 1.0 - t1 / t2
        tli_r = 1.0 - ((chi2 - c * df) * df_b) / ((chi2_b - c_b * df_b) * df)
        rmsea_s = math.sqrt(max(chi2_s / N / df - 1.0 / N, 0.0)) * math.sqrt(G)
        rmsea_r = math.sqrt(max(chi2 / N / df - c / N, 0.0)) * math.sqrt(G)
        lo_s, hi_s, p_s = rmsea_ci(chi2_s, df, N, G)
        lo_r, hi_r, _ = rmsea_ci(chi2_s, df, N, G)
        lo_r, hi_r = lo_r * math.sqrt(c), hi_r * math.sqrt(c)
        fitm.update({
            "chi2_scaled": chi2_s, "df_scaled": df, "pvalue_scaled": float(chi2_sf(chi2_s, df)),
            "chi2_scaling_factor": c, "baseline_chi2_scaled": chi2_bs, "baseline_chi2_scaling_factor": c_b,
            "cfi_scaled": cfi_s, "tli_scaled": tli_s, "rmsea_scaled": rmsea_s,
            "rmsea_ci_lower_scaled": lo_s, "rmsea_ci_upper_scaled": hi_s, "rmsea_pvalue_scaled": p_s,
            "cfi_robust": cfi_r, "tli_robust": tli_r, "rmsea_robust": rmsea_r,
            "rmsea_ci_lower_robust": lo_r, "rmsea_ci_upper_robust": hi_r,
            "test": "yuan.bentler.mplus",
        })
    return vcov, fitm
