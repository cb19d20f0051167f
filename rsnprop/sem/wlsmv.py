"""WLSMV inference of a DWLS fit (lavaan ``estimator = "WLSMV"``): robust standard errors, the
mean-and-variance adjusted test, fit indices and the Satorra (2000) difference test.

With ``W = diag(Gamma)^-1`` and ``D`` the Jacobian of the model statistics:

* ``chi2 = N F``; ``vcov = (D'WD)^-1 D'W Gamma W D (D'WD)^-1 / N`` (robust.sem);
* mean-and-variance adjusted (scaled-shifted) test: ``U = W - W D (D'WD)^-1 D'W``,
  ``a = sqrt(df / tr((U Gamma)^2))``, ``b = df - a tr(U Gamma)``, ``chi2_scaled = a chi2 + b``
  (lavaan reports ``chisq.scaling.factor = 1/a`` and ``chisq.shift.parameters = b``);
* scaled CFI/TLI/RMSEA from the scaled statistics of the model and of the baseline
  (independence: thresholds only);
* robust CFI/TLI/RMSEA as lavaan's ``lav_fit_catml_dwls`` (Savalei 2021): the ML discrepancy
  of the polychoric matrix at the DWLS solution, rescaled by ``tr(U' V U Gamma) / df``.

With several groups (ordinal only or mixed) the sandwich, the scaled test and the difference
tests weigh groups as lavaan (comment in :func:`robust_inference`); the RMSEAs use ``N - G``
(``N - 1`` for one group), as lavaan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from ..distributions import chi2_sf
from .dwls import offdiag_index, scaling_factors
from .fitmeasures import incremental, rmsea_ci, rmsea_point

__all__ = ["WLSMVInference", "robust_inference", "wlsmv_fit_measures", "satorra2000"]


@dataclass
class WLSMVInference:
    """Per group Jacobians ``J`` and model statistics ``sig`` at the estimates, the inference
    weights ``w_inf`` / ``gamma_inf``, the stacked weight and NACOV matrices ``Wb`` / ``Gb``, the
    stacked Jacobian ``Jall``, the information ``E = Jall' Wb Jall``, its inverse and ``vcov``."""

    J: list
    sig: list
    w_inf: list
    gamma_inf: list
    Wb: np.ndarray
    Gb: np.ndarray
    Jall: np.ndarray
    E: np.ndarray
    E_inv: np.ndarray
    vcov: np.ndarray


def robust_inference(problem, theta, sample, warn):
    """The robust (sandwich) covariance matrix of the DWLS estimates and what the tests need.

    lavaan weighs the groups with ``n_g / N``, ``WLS.V = 1 / diag(NACOV)``, ``Gamma = NACOV`` and
    divides the sandwich by ``N - G``, while the estimates and chi-square use the group weights
    ``(n_g - 1) / N`` (here folded into ``sample.w`` and ``sample.gamma`` as ``n_g / (n_g - 1)``).
    The two agree in a single group; with several groups (checked against lavaan 0.6.14, ordinal
    only and mixed with continuous variables) the former is used."""

    G, N, fgs, sts = len(sample.s), sample.N, sample.fg, sample.sts
    Js, sigs = [], []
    for g in range(G):
        sig, J = problem.jacobian(theta, g)
        Js.append(J)
        sigs.append(sig)
    if G > 1:
        ws_inf = [1.0 / np.diag(st.nacov) for st in sts]
        gammas_inf = [st.nacov for st in sts]
        n_vcov = N - G
    else:
        ws_inf, gammas_inf, n_vcov = sample.w, sample.gamma, N
    Wb = block_diag(*[fgs[g] * np.diag(ws_inf[g]) for g in range(G)])
    Gb = block_diag(*[gammas_inf[g] / fgs[g] for g in range(G)])
    Jall = np.vstack(Js)
    E = Jall.T @ Wb @ Jall
    try:
        E_inv = np.linalg.inv(E)
    except np.linalg.LinAlgError:
        E_inv = np.linalg.pinv(E)
        warn.append("the information matrix is singular: the model may not be identified")
    meat = sum(fgs[g] * (Js[g].T * ws_inf[g]) @ gammas_inf[g] @ (Js[g] * ws_inf[g][:, None]) for g in range(G))
    vcov = E_inv @ meat @ E_inv / n_vcov
    return WLSMVInference(J=Js, sig=sigs, w_inf=ws_inf, gamma_inf=gammas_inf, Wb=Wb, Gb=Gb, Jall=Jall, E=E,
                          E_inv=E_inv, vcov=vcov)


def wlsmv_fit_measures(problem, theta, sample, inf, estimator):
    """Chi-square ``N F``, the baseline (thresholds only), CFI/TLI/RMSEA, their scaled-shifted and
    (ordinal only) cat-ML robust versions, and SRMR on the correlations."""

    s_list, ws, ns, N, numeric = sample.s, sample.w, sample.ns, sample.N, sample.numeric
    G, q, p = len(s_list), len(theta), len(numeric)
    ri, ci = offdiag_index(p)
    resid = [s_list[g] - inf.sig[g] for g in range(G)]
    chi2 = sum(ns[g] * float(resid[g] @ (ws[g] * resid[g])) for g in range(G))
    nstat = sum(len(s_) for s_ in s_list)
    df = nstat - q
    # baseline: thresholds only (no equality constraints)
    # leading rows of the statistics: thresholds (and minus the means), variances of continuous variables
    nths = [len(problem.th_par[g]) + int(numeric.sum()) for g in range(G)]
    Db = block_diag(*[np.vstack([np.eye(nths[g]), np.zeros((len(ri), nths[g]))]) for g in range(G)])
    chi2_b = sum(ns[g] * float(np.sum(ws[g][nths[g]:] * s_list[g][nths[g]:] ** 2)) for g in range(G))
    df_b = G * len(ri)
    fitm = {"npar": q, "n": N, "ngroups": G, "chi2": chi2, "df": df,
            "pvalue": float(chi2_sf(chi2, df)) if df > 0 else float("nan"),
            "baseline_chi2": chi2_b, "baseline_df": df_b, "estimator": estimator, "test": "scaled.shifted"}
    cfi, tli = incremental(chi2, df, chi2_b, df_b)
    # lavaan's RMSEA (also the robust one) uses N - G (checked against lavaan 0.6.14: with
    # several groups, continuous variables, and a single group of ordinal indicators, where N
    # gave 1.3e-5 and N - 1 gives 1e-9 on the bfi reference)
    n_rmsea = N - G
    lo, hi, pc = rmsea_ci(chi2, df, n_rmsea, G)
    fitm.update({"cfi": cfi, "tli": tli, "rmsea": rmsea_point(chi2, df, n_rmsea, G), "rmsea_ci_lower": lo,
                 "rmsea_ci_upper": hi, "rmsea_pvalue": pc})
    cor_rows = np.concatenate([np.arange(len(ri)) + sum(len(s_) for s_ in s_list[:g]) + nths[g] for g in range(G)])
    if df > 0:
        a, b = _scaled_shifted(inf.Jall, inf.Wb, inf.Gb, df)
        ab, bb = _scaled_shifted(Db, inf.Wb, inf.Gb, df_b)
        chi2_s = float(a * chi2 + b)
        chi2_bs = float(ab * chi2_b + bb)
        cfi_s, tli_s = incremental(chi2_s, df, chi2_bs, df_b)
        lo_s, hi_s, pc_s = rmsea_ci(chi2_s, df, n_rmsea, G)
        fitm.update({"chi2_scaled": chi2_s, "df_scaled": df, "pvalue_scaled": float(chi2_sf(chi2_s, df)),
                     "chi2_scaling_factor": 1 / a, "chi2_shift": b, "baseline_chi2_scaled": chi2_bs,
                     "cfi_scaled": cfi_s, "tli_scaled": tli_s, "rmsea_scaled": rmsea_point(chi2_s, df, n_rmsea, G),
                     "rmsea_ci_lower_scaled": lo_s, "rmsea_ci_upper_scaled": hi_s, "rmsea_pvalue_scaled": pc_s})
        if not sample.mixed:  # lavaan: NA with continuous variables
            fitm.update(_catml(problem, theta, sample, inf, cor_rows, df, n_rmsea))
    fitm["srmr"] = _srmr(problem, theta, sample, resid, nths)
    for key in ("loglik", "aic", "bic"):
        fitm[key] = float("nan")
    return fitm


def _catml(problem, theta, sample, inf, cor_rows, df, n_rmsea):
    """The cat-ML robust CFI/TLI/RMSEA (ordinal indicators only)."""
    implied = []
    for g in range(len(sample.s)):
        sigma, _ = problem.engine.groups[g].implied(theta)
        delta, _ = scaling_factors(sigma, None, theta, problem.dl_par[g], problem.parameterization)
        implied.append(sigma * np.outer(delta, delta))
    # lavaan's cat-ML trace uses lavTech(fit, "gamma"), the NACOV without the N / (N - 1)
    # of the single-group estimation weights (several groups: already without it)
    N, G = sample.N, len(sample.s)
    Gc = inf.Gb if G > 1 else inf.Gb * (N - 1) / N
    return _catml_robust([st.cor for st in sample.sts], implied, inf.Jall, inf.Wb, Gc, inf.E_inv, cor_rows,
                         sample.fg, sample.ns, df, n_rmsea)


def _srmr(problem, theta, sample, resid, nths):
    """SRMR on the correlations (weighted over groups); continuous variables: residuals of the
    correlations, as lavaan."""
    numeric, fgs = sample.numeric, sample.fg
    p = len(numeric)
    ri, ci = offdiag_index(p)
    srmr = 0.0
    for g in range(len(sample.s)):
        rc = resid[g][nths[g]:]
        if sample.mixed:
            sigma, _ = problem.engine.groups[g].implied(theta)
            delta, _ = scaling_factors(sigma, None, theta, problem.dl_par[g], problem.parameterization,
                                       np.flatnonzero(numeric))
            implied_g = sigma * np.outer(delta, delta)
            implied_g[np.diag_indices(p)] = np.where(numeric, np.diag(sigma), 1.0)
            sd_m = np.sqrt(np.diag(implied_g))
            sd_s = np.sqrt(np.diag(sample.sts[g].cov))
            rc = (sample.sts[g].cov / np.outer(sd_s, sd_s) - implied_g / np.outer(sd_m, sd_m))[ri, ci]
        srmr += fgs[g] * math.sqrt(float(np.sum(rc ** 2)) / (p * (p + 1) / 2))
    return srmr


def _scaled_shifted(D, W, Gamma, df):
    WD = W @ D
    M = np.linalg.inv(D.T @ WD)
    U = W - WD @ M @ WD.T
    UG = U @ Gamma
    tr1 = np.trace(UG)
    tr2 = np.sum(UG * UG.T)
    a = math.sqrt(df / tr2)
    b = df - a * tr1
    return a, b


def _catml_robust(Rs, sigmas, J, Wb, Gb, E_inv, cor_rows, fgs, ns, df, n_rmsea=None):
    """lavaan's robust CFI/TLI/RMSEA for categorical data (Savalei 2021, ``lav_fit_catml_dwls``):
    the normal-theory ML discrepancy between the polychoric matrices and the DWLS solution,
    rescaled with the DWLS sandwich (all groups stacked, weights ``f_g = n_g / N``); the RMSEA
    divides by ``n_rmsea`` (default ``N``)."""

    N = sum(ns) if n_rmsea is None else n_rmsea
    G = len(Rs)
    x3 = 0.0
    x3_null = 0.0
    Vs = []
    for R, sig, fg, n in zip(Rs, sigmas, fgs, ns):
        p = R.shape[0]
        sig = sig.copy()
        np.fill_diagonal(sig, 1.0)
        sign, ld_r = np.linalg.slogdet(R)
        if sign <= 0 or np.linalg.eigvalsh(R).min() < np.sqrt(np.finfo(float).eps):
            return {}
        si = np.linalg.inv(sig)
        x3 += n * (np.linalg.slogdet(sig)[1] + np.sum(R * si) - ld_r - p)
        x3_null += n * (-ld_r)
        ri, ci = offdiag_index(p)
        Vs.append(fg * (si[np.ix_(ri, ri)] * si[np.ix_(ci, ci)] + si[np.ix_(ri, ci)] * si[np.ix_(ci, ri)]))
    V = block_diag(*Vs)
    Dc = J[cor_rows]
    Wc = Wb[np.ix_(cor_rows, cor_rows)]
    Gc = Gb[np.ix_(cor_rows, cor_rows)]
    WiU = np.eye(len(cor_rows)) - Dc @ E_inv @ Dc.T @ Wc
    c3 = np.trace(WiU.T @ V @ WiU @ Gc) / df
    df_null = len(cor_rows)
    c3_null = np.trace(Gc) / df_null
    t1 = max(x3 - c3 * df, 0.0)
    t2 = max(x3 - c3 * df, x3_null - c3_null * df_null, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = 1.0 - ((x3 - c3 * df) * df_null) / ((x3_null - c3_null * df_null) * df)
    rmsea = math.sqrt(max(x3 / N / df - c3 / N, 0.0)) * math.sqrt(G)
    return {"cfi_robust": cfi, "tli_robust": tli, "rmsea_robust": rmsea, "catml_chi2": x3,
            "catml_scaling_factor": c3}


def satorra2000(res1, res0):
    """Scaled-shifted chi-square difference test of nested DWLS models (lavaan's
    ``lavTestLRT(..., method = "satorra.2000")``, the default for WLSMV): ``res1`` is the less
    constrained model, ``res0`` the more constrained one.  The constraints are found from the
    Jacobians (lavaan's ``A.method = "delta"``): ``A`` spans the orthogonal complement of
    ``ginv(D1) D0``."""

    w1, w0 = res1._wls, res0._wls
    t1, r1 = res1.fit["chi2"], res1.fit["df"]
    t0, r0 = res0.fit["chi2"], res0.fit["df"]
    m = r0 - r1
    if m <= 0:
        return {"chi2_diff": t0 - t1, "df_diff": m, "pvalue": float("nan"), "method": "satorra.2000"}
    D1 = np.vstack(w1["J"])
    D0 = np.vstack(w0["J"])
    H = np.linalg.pinv(D1) @ D0
    U, sv, _ = np.linalg.svd(H, full_matrices=True)
    rank = int(np.sum(sv > max(H.shape) * np.finfo(float).eps * (sv[0] if len(sv) else 0)))
    A = U[:, rank:].T
    P_inv = np.linalg.inv(w1["info"])
    APA = A @ P_inv @ A.T
    PAAPAAP = P_inv @ A.T @ np.linalg.pinv(APA) @ A @ P_inv
    fg = w1["fg"]
    K_all = 0.0
    tr1 = 0.0
    for g, (J, w, Gm) in enumerate(zip(w1["J"], w1.get("w_inf", w1["w"]), w1.get("gamma_inf", w1["gamma"]))):
        VP = J * w[:, None]
        K = VP.T @ Gm @ VP
        tr1 += fg[g] * np.sum(PAAPAAP * K)
        K_all = K_all + fg[g] * K
    mk = PAAPAAP @ K_all
    tr2 = np.sum(mk * mk.T)
    a = math.sqrt(m / tr2)
    b = m - a * tr1
    t_delta = (t0 - t1) * a + b
    return {"chi2_diff": float(t_delta), "df_diff": int(m), "pvalue": float(chi2_sf(t_delta, m)),
            "method": "satorra.2000 (scaled-shifted)", "a": a, "b": b}
