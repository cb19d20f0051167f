"""Ordinal indicators: DWLS estimation on polychoric correlations with WLSMV inference
(lavaan ``cfa(..., ordered = ..., estimator = "WLSMV")``, delta parametrisation).

Sample statistics ``s = (thresholds, polychoric correlations)`` and ``Gamma = NACOV`` come from
:mod:`rsnprop.sem.polychoric`.  The model implies ``tau`` (free thresholds) and the off-diagonal
elements of ``Lambda Psi Lambda' + Theta`` (latent-response variances fixed at 1, so residual
variances are ``1 - diag(Lambda Psi Lambda')``).  With ``W = diag(Gamma)^-1``:

* estimates minimise ``F = (s - sigma(theta))' W (s - sigma(theta))`` (Gauss-Newton);
* ``chi2 = N F``; ``vcov = (D'WD)^-1 D'W Gamma W D (D'WD)^-1 / N`` (robust.sem);
* mean-and-variance adjusted (scaled-shifted) test: ``U = W - W D (D'WD)^-1 D'W``,
  ``a = sqrt(df / tr((U Gamma)^2))``, ``b = df - a tr(U Gamma)``, ``chi2_scaled = a chi2 + b``
  (lavaan reports ``chisq.scaling.factor = 1/a`` and ``chisq.shift.parameters = b``);
* scaled CFI/TLI/RMSEA from the scaled statistics of the model and of the baseline
  (independence: thresholds only);
* robust CFI/TLI/RMSEA as lavaan's ``lav_fit_catml_dwls`` (Savalei 2021): the ML discrepancy
  of the polychoric matrix at the DWLS solution, rescaled by ``tr(U' V U Gamma) / df``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .engine import GroupData
from .partable import Row, build_partable

__all__ = ["fit_ordinal"]


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


def _catml_robust(R, sigma, D, W, Gamma, nth, ri, ci, N, df):
    """lavaan's robust CFI/TLI/RMSEA for categorical data (Savalei 2021, ``lav_fit_catml_dwls``):
    the normal-theory ML discrepancy between the polychoric matrix and the DWLS solution,
    rescaled with the DWLS sandwich."""
    p = R.shape[0]
    sig = sigma.copy()
    np.fill_diagonal(sig, 1.0)
    try:
        si = np.linalg.inv(sig)
        ld_s = np.linalg.slogdet(sig)[1]
        sign, ld_r = np.linalg.slogdet(R)
    except np.linalg.LinAlgError:
        return {}
    if sign <= 0 or np.linalg.eigvalsh(R).min() < np.sqrt(np.finfo(float).eps):
        return {}
    x3 = N * (ld_s + np.sum(R * si) - ld_r - p)
    # NT weight matrix of the correlations (off-diagonal vech), at the model
    V = si[np.ix_(ri, ri)] * si[np.ix_(ci, ci)] + si[np.ix_(ri, ci)] * si[np.ix_(ci, ri)]
    E_inv = np.linalg.inv(D.T @ W @ D)
    Dc = D[nth:]
    Wc = W[nth:, nth:]
    Gc = Gamma[nth:, nth:]
    WiU = np.eye(len(ri)) - Dc @ E_inv @ Dc.T @ Wc
    ks = np.trace(WiU.T @ V @ WiU @ Gc)
    c3 = ks / df
    x3_null = N * (-ld_r)
    df_null = len(ri)
    c3_null = np.trace(Gc) / df_null
    t1 = max(x3 - c3 * df, 0.0)
    t2 = max(x3 - c3 * df, x3_null - c3_null * df_null, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = 1.0 - ((x3 - c3 * df) * df_null) / ((x3_null - c3_null * df_null) * df)
    rmsea = math.sqrt(max(x3 / N / df - c3 / N, 0.0))
    return {"cfi_robust": cfi, "tli_robust": tli, "rmsea_robust": rmsea, "catml_chi2": x3,
            "catml_scaling_factor": c3}


def fit_ordinal(model, data, *, ordered, group=None, group_equal=(), group_partial=(), std_lv=False,
                estimator="WLSMV", level=0.95):
    from scipy import stats

    from .api import finish
    from .data import prepare_data
    from .fitmeasures import incremental, rmsea_ci, rmsea_point
    from .model import build_engine, start_values
    from .polychoric import ordinal_stats

    if group is not None:
        raise InputError("multigroup models with ordinal indicators are not implemented yet "
                         "(use estimator='MLR' on the item scores, or fit the groups separately)",
                         parameter="group", value=group)
    columns = list(getattr(data, "columns", []))
    probe = build_partable(model, data_columns=columns)
    if ordered is True:
        ordered = list(probe.ov)
    ordered = list(ordered or [])
    missing_cols = [c for c in ordered if c not in columns]
    if missing_cols:
        raise InputError("ordered variable is not a column of the data", column=missing_cols[0], parameter="ordered")
    not_in_model = [c for c in ordered if c not in probe.ov]
    if not_in_model:
        raise InputError("ordered variable is not in the model", column=not_in_model[0], parameter="ordered")
    if set(ordered) != set(probe.ov):
        raise InputError("models mixing ordinal and continuous indicators are not implemented yet; "
                         "declare every observed variable as ordered", parameter="ordered",
                         value=",".join(v for v in probe.ov if v not in ordered))
    arrays, labels, n_dropped = prepare_data(data, probe.ov, ordered=ordered)
    x = arrays[0]
    bad = np.flatnonzero(np.any(np.abs(x - np.round(x)) > 0, axis=0))
    if len(bad):
        raise InputError("ordered variables must hold integer category codes", parameter="ordered",
                         column=probe.ov[bad[0]])
    for j, v in enumerate(probe.ov):
        if len(np.unique(x[:, j])) < 2:
            raise InputError("ordered variable has a single category", column=v, parameter="ordered")
    st = ordinal_stats(x, probe.ov)
    pt = build_partable(model, std_lv=std_lv, meanstructure=False, data_columns=columns, ordered=ordered)
    p = len(pt.ov)
    # thresholds as extra free parameters; residual variances of y* are not parameters
    th_rows = []
    k = pt.npar
    for j, v in enumerate(pt.ov):
        for m in range(len(st.th[j])):
            th_rows.append(Row(v, "|", f"t{m + 1}", group=1, free=True, user=0, par=k))
            k += 1
    resid_rows = [r for r in pt.rows if r.op == "~~" and r.lhs == r.rhs and r.lhs in ordered]
    for r in resid_rows:
        r.free, r.value, r.par = False, 0.0, -1
    extra = ([Row(v, "~*~", v, group=1, free=False, value=1.0, user=0) for v in pt.ov]
             + [Row(v, "~1", "", group=1, free=False, value=0.0, user=0) for v in pt.ov + pt.lv])
    # renumber: existing free params keep their indices (resid rows were defaults, never free)
    pt.rows = pt.rows[: len(pt.rows)] + th_rows + extra
    # compact parameter indices
    used = sorted({r.par for r in pt.rows if r.par >= 0})
    remap = {old: new for new, old in enumerate(used)}
    for r in pt.rows:
        if r.par >= 0:
            r.par = remap[r.par]
    pt.npar = len(used)
    q = pt.npar
    th_par = np.array([r.par for r in th_rows])
    gd = GroupData(n=st.n, cov=st.cor, mean=np.zeros(p), logdet_cov=float(np.linalg.slogdet(st.cor)[1]))
    engine = build_engine(pt, [gd])
    gm = engine.groups[0]
    ri, ci = zip(*[(i, j) for j in range(p) for i in range(j + 1, p)])
    ri, ci = np.array(ri), np.array(ci)
    s = np.concatenate([st.th_flat, st.cor[ri, ci]])
    # lavaan's NACOV carries a factor N / (N - 1) (checked against lavaan 0.6.14: chi-square,
    # scaled chi-square and SEs all agree only with it)
    Gamma = st.nacov * st.n / (st.n - 1)
    w = 1.0 / np.diag(Gamma)
    nth = len(th_par)

    def model_vec(theta, deriv=False):
        if deriv:
            sigma, _, ds, _ = gm.derivatives(theta, False)
        else:
            sigma, _ = gm.implied(theta)
        sig = np.concatenate([theta[th_par], sigma[ri, ci]])
        if not deriv:
            return sig
        D = np.zeros((len(s), q))
        D[np.arange(nth), th_par] = 1.0
        D[nth:, :] = ds[:, ri, ci].T
        return sig, D

    theta = start_values(pt, [gd])
    theta[th_par] = st.th_flat
    converged = False
    F = np.inf
    it = 0
    for it in range(1, 300):
        sig, D = model_vec(theta, True)
        r = s - sig
        F = float(r @ (w * r))
        JW = D.T * w
        try:
            step = np.linalg.solve(JW @ D, JW @ r)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(JW @ D, JW @ r, rcond=None)[0]
        alpha = 1.0
        while alpha > 1e-8:
            cand = theta + alpha * step
            rc = s - model_vec(cand)
            Fc = float(rc @ (w * rc))
            if Fc <= F:
                break
            alpha /= 2
        theta = cand
        if np.max(np.abs(alpha * step)) < 1e-10 or abs(F - Fc) < 1e-15:
            converged = True
            break
    sig, D = model_vec(theta, True)
    r = s - sig
    F = float(r @ (w * r))
    N = st.n
    W = np.diag(w)
    warn = []
    try:
        M = np.linalg.inv(D.T @ W @ D)
    except np.linalg.LinAlgError:
        M = np.linalg.pinv(D.T @ W @ D)
        warn.append("the information matrix is singular: the model may not be identified")
    vcov = M @ (D.T @ W @ Gamma @ W @ D) @ M / N
    chi2 = N * F
    npar = q
    df = len(s) - npar
    # baseline: thresholds only
    Db = np.zeros((len(s), nth))
    Db[np.arange(nth), np.arange(nth)] = 1.0
    chi2_b = N * float(np.sum(w[nth:] * s[nth:] ** 2))
    df_b = len(s) - nth
    fitm = {"npar": npar, "n": N, "ngroups": 1, "chi2": chi2, "df": df,
            "pvalue": float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan"),
            "baseline_chi2": chi2_b, "baseline_df": df_b,
            "estimator": estimator, "test": "scaled.shifted"}
    cfi, tli = incremental(chi2, df, chi2_b, df_b)
    lo, hi, pc = rmsea_ci(chi2, df, N)
    fitm.update({"cfi": cfi, "tli": tli, "rmsea": rmsea_point(chi2, df, N), "rmsea_ci_lower": lo,
                 "rmsea_ci_upper": hi, "rmsea_pvalue": pc})
    if df > 0:
        a, b = _scaled_shifted(D, W, Gamma, df)
        ab, bb = _scaled_shifted(Db, W, Gamma, df_b)
        chi2_s = a * chi2 + b
        chi2_bs = ab * chi2_b + bb
        cfi_s, tli_s = incremental(chi2_s, df, chi2_bs, df_b)
        lo_s, hi_s, pc_s = rmsea_ci(chi2_s, df, N)
        fitm.update({"chi2_scaled": chi2_s, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(chi2_s, df)),
                     "chi2_scaling_factor": 1 / a, "chi2_shift": b, "baseline_chi2_scaled": chi2_bs,
                     "cfi_scaled": cfi_s, "tli_scaled": tli_s, "rmsea_scaled": rmsea_point(chi2_s, df, N),
                     "rmsea_ci_lower_scaled": lo_s, "rmsea_ci_upper_scaled": hi_s, "rmsea_pvalue_scaled": pc_s})
    if df > 0:
        fitm.update(_catml_robust(st.cor, gm.implied(theta)[0], D, W, Gamma, nth, ri, ci, N, df))
    # srmr on the correlations
    sigma_hat, _ = gm.implied(theta)
    resid = st.cor[ri, ci] - sigma_hat[ri, ci]
    fitm["srmr"] = math.sqrt(float(np.sum(resid ** 2)) / (p * (p + 1) / 2))
    for key in ("loglik", "aic", "bic"):
        fitm[key] = float("nan")
    # residual variances of y* (delta parametrisation): 1 - explained variance
    explained = np.diag(sigma_hat)
    pos = {v: i for i, v in enumerate(pt.ov)}
    for rr in resid_rows:
        rr.value = float(1.0 - explained[pos[rr.lhs]])
        gm.S0[pos[rr.lhs], pos[rr.lhs]] = rr.value
    core = dict(engine=engine, theta=theta, fmin=F / 2, converged=converged, iterations=it)
    res = finish(pt, core, [gd], [None], estimator=estimator, level=level, arrays=None, n_dropped=n_dropped,
                 model=model, vcov=vcov, fitm=fitm, extra_warnings=warn)
    res.ordinal = {"thresholds": {v: st.th[j].tolist() for j, v in enumerate(pt.ov)},
                   "levels": {v: st.levels[j].tolist() for j, v in enumerate(pt.ov)}}
    res.polychoric = st.cor
    return res
