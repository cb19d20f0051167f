"""Full-information ML for incomplete data (lavaan ``missing = "ml"``): the estimator.

The likelihood of the missing-data patterns is :mod:`rsnprop.sem.fiml_engine` (Fisher scoring,
then BFGS).  The saturated model (h1) is estimated once, by EM polished to the exact maximum by
Newton steps, the baseline (independence) model in closed form
(:mod:`rsnprop.sem.fiml_saturated`).  They give lavaan's chi-square ``2 (logL_h1 - logL)``, the
baseline chi-square and ``srmr`` (from the h1 moments).  Standard errors use the observed
information (lavaan's default with missing data): the analytic observed h1 information in the
moments (lavaan's ``lav_mvnorm_missing_information_observed_samplestats``) sandwiched by the
moment Jacobian, plus the model's second-order term (central differences of the analytic
gradient map); ``MLR`` adds the sandwich and the Yuan-Bentler scaled test from casewise scores;
both get lavaan's FIML-corrected robust CFI/TLI/RMSEA.

:func:`estimate_fiml` follows the estimator protocol of :mod:`rsnprop.sem.estimate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from ..distributions import chi2_sf
from .engine import GroupData, moment_jacobian
from .estimate import Estimate, note_convergence
from .fiml_engine import FIMLEngine, Pattern, patterns  # noqa: F401  (Pattern, patterns: public here too)
from .fiml_saturated import available_moments, saturated_model
from .fitmeasures import incremental, rmsea_ci, rmsea_point, srmr_group
from .lean_cache import lean_groups
from .lean_patterns import LazyPatterns, padded_from_data
from .lean_warm import fit_lean
from .model import build_engine, start_values
from .robust import h1_information

__all__ = ["estimate_fiml", "fiml_corrected", "FIMLEngine", "patterns"]


@dataclass
class _Comparison:
    """The saturated (h1) and baseline models at their FIML estimates, and their log-likelihoods."""

    h1: FIMLEngine
    th1: np.ndarray
    conv1: bool
    base: FIMLEngine
    thb: np.ndarray
    convb: bool
    ll1: float = float("nan")
    llb: float = float("nan")


def estimate_fiml(pt, arrays, labels, *, estimator, n_dropped, se="standard", lean=False, previous=None):
    """Fit ``pt`` by FIML to incomplete ``arrays`` (one per group): an :class:`Estimate`.

    ``se="none"`` (lavaan's ``se = "none"``): no standard errors, hence no sandwich and no
    FIML-corrected robust indices either (the covariance matrix of the estimates is NaN).
    ``lean=True`` (with ``se="none"``; for decisions by score tests): the estimates only, no
    saturated and baseline models, so chi-square, CFI, TLI, RMSEA and SRMR are NaN, and the
    start values come from the pairwise-complete moments (``engine.data``) or, ``previous``
    (``(partable, theta)`` of a nested fit to the same data), from its estimates
    (:func:`rsnprop.sem.model.start_values`).  A model with fixed exogenous covariates
    (``fixed.x``, whose moments are the saturated model's) is fitted in full."""
    if lean and not pt.ov_x:
        return _estimate_lean(pt, arrays, labels, estimator=estimator, n_dropped=n_dropped, previous=previous)
    pats, cmp = _data_models(len(pt.ov), arrays)
    ns = [x.shape[0] for x in arrays]
    gdata = _h1_group_data(cmp, ns)
    eng, theta, fmin, conv, it = _fit_model(pt, pats, ns, gdata)
    warn = []
    if not cmp.conv1:
        warn.append("FIML: the saturated (h1) model did not converge; chi-square is unreliable")
    fitm, df, df_b = _fit_measures(pt, eng, theta, cmp, gdata, pats)
    vcov, E_inv = _observed_vcov(eng, theta, warn) if se != "none" else (None, None)
    if estimator == "MLR" and vcov is not None:
        vcov = _mlr_sandwich(eng, theta, cmp, E_inv, fitm, df, df_b)
    if df > 0 and vcov is not None and cmp.conv1 and cmp.convb:
        try:
            fitm.update(fiml_corrected(eng, theta, E_inv, cmp.h1, cmp.th1, cmp.base, cmp.thb, gdata, df, df_b,
                                       "V3" if estimator == "MLR" else "V6"))
        except (np.linalg.LinAlgError, ValueError):
            warn.append("FIML: robust CFI/RMSEA could not be computed")
    note_convergence(conv, warn)
    return Estimate(pt=pt, engine=eng, theta=theta, fmin=fmin, converged=bool(conv), iterations=it,
                    gdata=gdata, labels=labels, estimator=estimator,
                    vcov=vcov if vcov is not None else np.full((pt.npar, pt.npar), np.nan), fit=fitm,
                    warnings=warn, n_dropped=n_dropped, data=arrays, attributes={"missing": "fiml"})


#: the optimiser's stop of a lean fit (largest absolute gradient element of F = -2 log L / N; the
#: full fits stop at 1e-8): about one BFGS step of ten less per fit; the score statistics move by
#: at most ~6e-5 relative (120 simulated checks), which the close-call margin of
#: :func:`rsnprop.sem.invariance_steps.close_call` (2e-3) absorbs
LEAN_TOL = 1e-6

#: the missing-data patterns and comparison models of the last data sets fitted, by their bytes:
#: the steps of an invariance sequence (and a partial search) fit several models to one data set,
#: whose saturated and baseline models are the same (computed once, the same numbers)
_DATA_MODELS: dict = {}
_DATA_MODELS_KEPT = 4


def _data_models(p, arrays, comparison=True):
    """``(patterns per group, _Comparison)`` of the data ``arrays`` (``p`` variables), computed
    once per data set and kept for the next models fitted to the same data (``comparison=False``:
    the comparison models are not computed if they are not kept already, None then)."""
    hit = _data_hit(p, arrays)
    if hit[1] is None and comparison:
        hit[1] = _comparison_models(p, arrays, hit[0], [x.shape[0] for x in arrays])
    return hit[0], hit[1]


def _data_hit(p, arrays):
    """The entry of :data:`_DATA_MODELS` of the data ``arrays``: ``[patterns per group (found when
    first read: :class:`rsnprop.sem.lean_patterns.LazyPatterns`), _Comparison or None, the lean fits' embedded patterns by group, their
    pairwise-complete moments or None]`` (the embedded patterns shared by the lean engines of the
    data set and their score tests: :attr:`FIMLEngine.padded`, built from the data by
    :func:`rsnprop.sem.lean_patterns.padded_from_data`)."""
    key = (p, tuple((x.shape, x.tobytes()) for x in arrays))
    hit = _DATA_MODELS.get(key)
    if hit is None:
        while len(_DATA_MODELS) >= _DATA_MODELS_KEPT:
            _DATA_MODELS.pop(next(iter(_DATA_MODELS), None), None)   # oldest first
        hit = _DATA_MODELS[key] = [LazyPatterns(arrays), None, {}, None]
    return hit


def _estimate_lean(pt, arrays, labels, *, estimator, n_dropped, previous):
    """:func:`estimate_fiml` with ``lean=True``: the estimates only."""
    hit = _data_hit(len(pt.ov), arrays)
    pats, batches = hit[0], hit[2]
    if not batches:                      # the engines' embedded patterns (FIMLEngine._batches's keys)
        batches.update({(g, True): padded_from_data(x) for g, x in enumerate(arrays)})
    ns = [x.shape[0] for x in arrays]
    if hit[3] is None:                   # the start values' moments, once per data set
        hit[3] = [_pairwise_moments(x) for x in arrays]
    gdata = list(hit[3])
    # a warm start (``previous``) is near the maximum: one Fisher step, then BFGS
    eng, theta, fmin, conv, it = _fit_model(pt, pats, ns, gdata, previous, fisher_steps=2 if previous is None else 1,
                                            padded=batches, tol=LEAN_TOL)
    p, G, nan = len(pt.ov), len(arrays), float("nan")
    px = len(pt.ov_x)
    df = G * (p * (p + 1) // 2 + p) - G * (px * (px + 1) // 2 + px) - pt.npar
    fitm = {"npar": int(pt.npar), "n": int(eng.ntotal), "ngroups": G, "chi2": nan, "df": int(df), "pvalue": nan,
            "cfi": nan, "tli": nan, "rmsea": nan, "srmr": nan, "loglik": nan, "missing": "fiml",
            "n_patterns": int(sum(batches[(g, True)].K for g in range(G)))}
    warn = []
    note_convergence(conv, warn)
    return Estimate(pt=pt, engine=eng, theta=theta, fmin=fmin, converged=bool(conv), iterations=it,
                    gdata=gdata, labels=labels, estimator=estimator, vcov=np.full((pt.npar, pt.npar), np.nan),
                    fit=fitm, warnings=warn, n_dropped=n_dropped, data=arrays,
                    attributes={"missing": "fiml", "lean": True})


def _pairwise_moments(x):
    """Pairwise-complete means and ML covariances of ``x`` (start values of a lean fit; not a
    sample covariance matrix: ``logdet_cov`` is left NaN)."""
    obs = ~np.isnan(x)
    z = np.where(obs, x, 0.0)
    n1 = obs.sum(axis=0)
    mean = z.sum(axis=0) / np.maximum(n1, 1)
    zc = np.where(obs, x - mean, 0.0)
    o = obs.astype(float)
    cov = (zc.T @ zc) / np.maximum(o.T @ o, 1.0)
    return GroupData(n=x.shape[0], cov=cov, mean=mean, logdet_cov=float("nan"))


def _comparison_models(p, arrays, pats, ns):
    """The saturated and baseline models, from the available-case moments."""
    G = len(arrays)
    starts = [available_moments(x) for x in arrays]
    h1, th1, conv1 = saturated_model(p, G, "h1", pats, ns, starts)
    base, thb, convb = saturated_model(p, G, "baseline", pats, ns, starts)
    return _Comparison(h1, th1, conv1, base, thb, convb, h1.loglik(th1), base.loglik(thb))


def _h1_group_data(cmp, ns):
    """The h1 moments act as the 'sample' statistics (start values, srmr, residuals)."""
    gdata = []
    for g in range(len(ns)):
        sig, mu = cmp.h1.groups[g].implied(cmp.th1)
        sign, ld = np.linalg.slogdet(sig)
        gdata.append(GroupData(n=ns[g], cov=sig, mean=mu, logdet_cov=float(ld)))
    return gdata


def _fit_model(pt, pats, ns, gdata, previous=None, fisher_steps=4, padded=False, tol=1e-8):
    """Minimise -2 log L from the usual start values, or those of ``previous`` (L-BFGS-B, then
    again, if that fails): ``(engine, theta, fmin, converged, iterations)``.  ``fisher_steps``,
    ``tol``: :meth:`rsnprop.sem.engine.Engine.fit` (a lean fit takes 2 Fisher steps, 1 from a warm
    start: each evaluates the information, dearer than the BFGS steps that replace it; and
    :data:`LEAN_TOL`; a lean fit's start and information: :func:`rsnprop.sem.lean_warm.fit_lean`);
    ``padded``: the engine's (:attr:`FIMLEngine.padded`); a dict: True, with the embedded
    patterns kept there (those of the other lean fits to the same data)."""

    groups = lean_groups(pt, gdata) if padded is not False else build_engine(pt, gdata).groups
    eng = FIMLEngine(groups, pats, pt.npar, ns)
    eng.data, eng.padded = gdata, padded is not False
    if isinstance(padded, dict):
        eng.share_batches(padded)
    if eng.padded:                       # a lean fit: projected warm start (rsnprop.sem.lean_warm)
        theta, fmin, conv, it = fit_lean(eng, pt, gdata, previous, fisher_steps, tol)
    else:
        theta0 = start_values(pt, gdata, previous)
        theta, fmin, conv, it = eng.fit(theta0, fisher_steps=fisher_steps, tol=tol)
    if not conv:
        from scipy import optimize

        def fun(t):
            f, g, _ = eng.grad_info(t, need_hess=False)
            return (f, g) if np.isfinite(f) else (1e10, np.zeros_like(t))

        opt = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B", options={"maxiter": 5000})
        theta, fmin, conv, it2 = eng.fit(opt.x, maxit=200)
        it += it2
    return eng, theta, fmin, conv, it


def _fit_measures(pt, eng, theta, cmp, gdata, pats):
    """Chi-square against h1, baseline, CFI/TLI/RMSEA/SRMR, log-likelihood and information
    criteria: ``(fit, df, baseline df)``."""

    G, p = len(gdata), len(pt.ov)
    ns = eng.ns
    N = eng.ntotal
    npar = pt.npar
    ll0, ll1, llb = eng.loglik(theta), cmp.ll1, cmp.llb
    chi2 = max(2 * (ll1 - ll0), 0.0)
    chi2_b = 2 * (ll1 - llb)
    px = len(pt.ov_x)
    ndat = G * (p * (p + 1) // 2 + p) - G * (px * (px + 1) // 2 + px)
    df = ndat - npar
    df_b = G * (p * (p - 1) // 2)
    cfi, tli = incremental(chi2, df, chi2_b, df_b)
    lo, hi, pclose = rmsea_ci(chi2, df, N, G)
    srmr = sum(ns[g] / N * srmr_group(gdata[g].cov, gdata[g].mean, *eng.groups[g].implied(theta), True)
               for g in range(G))
    fitm = {
        "npar": int(npar), "n": int(N), "ngroups": G, "chi2": chi2, "df": int(df),
        "pvalue": float(chi2_sf(chi2, df)) if df > 0 else float("nan"),
        "baseline_chi2": chi2_b, "baseline_df": int(df_b),
        "baseline_pvalue": float(chi2_sf(chi2_b, df_b)) if df_b > 0 else float("nan"),
        "cfi": cfi, "tli": tli, "rmsea": rmsea_point(chi2, df, N, G), "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi, "rmsea_pvalue": pclose, "srmr": srmr,
        "loglik": ll0, "loglik_h1": ll1, "aic": -2 * ll0 + 2 * npar, "bic": -2 * ll0 + npar * math.log(N),
        "fmin": chi2 / (2 * N), "missing": "fiml",
        "n_patterns": int(sum(len(pp) for pp in pats)),
    }
    return fitm, df, df_b


def _observed_vcov(eng, theta, warn):
    """``(vcov, E_inv)`` from the observed information (``(None, None)`` when singular)."""
    info = eng.observed_information(theta)
    vcov = E_inv = None
    if info is not None:
        try:
            E_inv = np.linalg.inv(info)
            vcov = E_inv / eng.ntotal
        except np.linalg.LinAlgError:
            warn.append("the information matrix is singular: standard errors are unreliable")
    return vcov, E_inv


def _mlr_sandwich(eng, theta, cmp, E_inv, fitm, df, df_b):
    """MLR: the sandwich covariance matrix (returned) and the Yuan-Bentler scaled test with its
    scaled CFI/TLI/RMSEA (added to ``fitm``), from casewise scores."""

    h1, th1, base, thb = cmp.h1, cmp.th1, cmp.base, cmp.thb
    G, N, q = len(eng.groups), eng.ntotal, len(theta)
    B0 = np.zeros((q, q))
    trace = 0.0
    info1 = h1.observed_information(th1)
    A1_inv = np.linalg.inv(info1)
    for g in range(G):
        s0 = eng.casewise_scores(theta, g)
        B0 += s0.T @ s0 / N
        s1 = h1.casewise_scores(th1, g)
        B1 = s1.T @ s1 / N
        trace += np.sum(B1 * A1_inv.T)
    trace -= np.sum(B0 * E_inv.T)
    vcov = E_inv @ B0 @ E_inv / N
    if df > 0:
        chi2, chi2_b = fitm["chi2"], fitm["baseline_chi2"]
        c = trace / df
        chi2_s = chi2 / c
        fitm.update({"chi2_scaled": chi2_s, "df_scaled": df, "pvalue_scaled": float(chi2_sf(chi2_s, df)),
                     "chi2_scaling_factor": c, "test": "yuan.bentler.mplus"})
        # baseline scaling for the scaled CFI/TLI
        binfo = base.observed_information(thb)
        Bb = sum((lambda s: s.T @ s / N)(base.casewise_scores(thb, g)) for g in range(G))
        trace_b = sum(np.sum((lambda s: s.T @ s / N)(h1.casewise_scores(th1, g)) * A1_inv.T) for g in range(G))
        trace_b -= np.sum(Bb * np.linalg.inv(binfo).T)
        c_b = trace_b / df_b
        cfi_s, tli_s = incremental(chi2_s, df, chi2_b / c_b, df_b)
        fitm.update({"baseline_chi2_scaled": chi2_b / c_b, "cfi_scaled": cfi_s, "tli_scaled": tli_s,
                     "rmsea_scaled": rmsea_point(chi2_s, df, N, G)})
    return vcov


def _fml_at(gm, theta, mean, cov):
    sigma, mu = gm.implied(theta)
    si = np.linalg.inv(sigma)
    r = mean - mu
    p = len(mean)
    return np.linalg.slogdet(sigma)[1] + np.sum(cov * si) - np.linalg.slogdet(cov)[1] - p + r @ si @ r


def _moment_jacobian(gm, theta):
    """d(mu, vech Sigma) / d theta (rows: means, then lavaan's column-wise vech)."""
    _, _, ds, dm = gm.derivatives(theta, True)
    return moment_jacobian(ds, dm)


def fiml_corrected(eng, theta, E_inv, h1, th1, base, thb, gdata, df, df_b, version):
    """lavaan's (0.6.14) FIML-corrected robust CFI/TLI/RMSEA (``lav_fit_fiml_corrected``):
    ``version="V6"`` for ML, ``"V3"`` for MLR.  The model and the baseline are evaluated (not
    refitted) against the saturated-model moments; ``U = Wm - Wm D (D' Wm D)^-1 D' Wm`` with ``Wm``
    the observed h1 information under missingness and ``Wc`` the complete-data information at the
    h1 moments; V6: ``k = tr(Wc Wm^-1 U Wm^-1)``, V3: ``k = tr(U Wm^-1 Wc Wm^-1 U Gamma)`` with
    ``Gamma = Wm^-1 Jm Wm^-1`` (``Jm``: casewise h1 scores); ``c = k / df``.  What depends on the
    data alone (the h1 and baseline parts: :func:`_h1_parts`) is computed once per data set."""

    G = len(eng.groups)
    N = eng.ntotal
    Wm, k_of, x3_null, c3_null = _h1_parts(eng, h1, th1, base, thb, gdata, df_b, version)
    D = np.vstack([_moment_jacobian(eng.groups[g], theta) for g in range(G)])
    # lavaan switches to observed.information = "h1" (unstructured) before inverting: E = D' Wm D
    E_inv = np.linalg.inv(D.T @ Wm @ D)
    x3 = sum(eng.ns[g] * _fml_at(eng.groups[g], theta, gdata[g].mean, gdata[g].cov) for g in range(G))
    c3 = k_of(D, E_inv) / df
    t1 = max(x3 - c3 * df, 0.0)
    t2 = max(x3 - c3 * df, x3_null - c3_null * df_b, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = 1.0 - ((x3 - c3 * df) * df_b) / ((x3_null - c3_null * df_b) * df)
    rmsea = math.sqrt(max(x3 / N / df - c3 / N, 0.0)) * math.sqrt(G)
    lo, hi, _ = rmsea_ci(x3 / c3, df, N, G)
    return {"cfi_robust": cfi, "tli_robust": tli, "rmsea_robust": rmsea,
            "rmsea_ci_lower_robust": lo * math.sqrt(c3), "rmsea_ci_upper_robust": hi * math.sqrt(c3),
            "fiml_corrected": version}


def _h1_parts(eng, h1, th1, base, thb, gdata, df_b, version):
    """The parts of :func:`fiml_corrected` that depend on the data alone (its saturated and
    baseline models and the groups' sizes), kept on the h1 engine for the next model fitted to
    the same data (the steps of an invariance sequence, the panel's models): ``(Wm, k_of,
    x3_null, c3_null)`` (``k_of(D, E_inv)``: the correction's ``k`` of a model), the same numbers
    as computing them again."""

    key = (th1.tobytes(), thb.tobytes(), id(base), tuple(eng.ns), df_b, version)
    memo = h1.__dict__.setdefault("_corrected_parts", {})
    if key in memo:
        return memo[key]
    G = len(eng.groups)
    N = eng.ntotal
    fg = [n / N for n in eng.ns]
    Wm = h1.observed_information(th1)
    Wmi = np.linalg.inv(Wm)
    Wc = block_diag(*[fg[g] * h1_information(gdata[g].mean, gdata[g].cov, True) for g in range(G)])
    Db = np.vstack([_moment_jacobian(base.groups[g], thb) for g in range(G)])
    Eb_inv = np.linalg.inv(Db.T @ Wm @ Db)
    x3_null = sum(eng.ns[g] * _fml_at(base.groups[g], thb, gdata[g].mean, gdata[g].cov) for g in range(G))
    gamma = None
    if version == "V3":
        # casewise h1 scores span every group's parameters (zero outside the case's group)
        Jm = sum((lambda s_: s_.T @ s_ / N)(h1.casewise_scores(th1, g)) for g in range(G))
        gamma = Wmi @ Jm @ Wmi

    def k_of(Dx, Ex):
        # with U = Wm - R Ex Dx' Wm (R = Wm Dx): Wm^-1 U Wm^-1 = Wm^-1 - Dx Ex Dx' and
        # U Wm^-1 = I - R Ex Dx' (low-rank forms, no products of two h1-sized matrices)
        WcD = Wc @ Dx
        if version == "V3":
            RE = Wm @ Dx @ Ex
            M = Wc - RE @ WcD.T - WcD @ RE.T + RE @ (Dx.T @ WcD) @ RE.T
            return float(np.sum(M * gamma.T))
        return float(np.sum(Wc * Wmi.T) - np.sum((Dx.T @ WcD) * Ex.T))

    memo.clear()
    memo[key] = out = (Wm, k_of, x3_null, k_of(Db, Eb_inv) / df_b)
    return out
