"""Ordinal indicators: DWLS estimation on polychoric correlations with WLSMV inference
(lavaan ``cfa(..., ordered = ..., estimator = "WLSMV")``, delta parametrisation), single and
multigroup (``group_equal`` ``"loadings"``, ``"thresholds"``; with equal thresholds the latent
means and the scaling factors ``~*~`` are free in groups 2..G, as lavaan).  Theta parametrisation
(lavaan ``parameterization = "theta"``): the residual variances of the latent responses are
parameters (1 in group 1 and, unless thresholds are equal, in every group; ``group_equal``
``"residuals"`` keeps them 1 everywhere: strict invariance) and the scaling factors are
``Delta = 1 / sqrt(diag(Sigma))`` (reported as the fixed ``~*~`` rows).

Sample statistics ``s = (thresholds, polychoric correlations)`` and ``Gamma = NACOV`` come from
:mod:`rsnprop.sem.polychoric`.  Continuous observed variables may be mixed in (as lavaan's
``ordered = c(...)`` naming only some variables): ``s`` then holds minus their means among
the thresholds, their variances, and covariances (Pearson, polyserial times the standard
deviation) instead of correlations; their intercepts and residual variances are parameters and
their scaling factors are 1.  With several groups, statistics and NACOV are per group; equal
thresholds (``group_equal`` ``"thresholds"`` or ``"intercepts"``) also equate the continuous
intercepts, ``"residuals"`` (theta) their residual variances.  With several groups (ordinal only
or mixed) the sandwich, the scaled test and the difference tests weigh groups as lavaan (comment
in ``fit_ordinal``); the RMSEAs use ``N - G`` (``N - 1`` for one group), as lavaan.  The model implies ``tau`` (free thresholds) and the off-diagonal
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
from .partable import Row, assign_parameters, build_partable

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


def _catml_robust(Rs, sigmas, J, Wb, Gb, E_inv, cor_rows, fgs, ns, df, n_rmsea=None):
    """lavaan's robust CFI/TLI/RMSEA for categorical data (Savalei 2021, ``lav_fit_catml_dwls``):
    the normal-theory ML discrepancy between the polychoric matrices and the DWLS solution,
    rescaled with the DWLS sandwich (all groups stacked, weights ``f_g = n_g / N``); the RMSEA
    divides by ``n_rmsea`` (default ``N``)."""
    from scipy.linalg import block_diag

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
        ri, ci = _offdiag(p)
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
    from scipy import stats

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
    return {"chi2_diff": float(t_delta), "df_diff": int(m), "pvalue": float(stats.chi2.sf(t_delta, m)),
            "method": "satorra.2000 (scaled-shifted)", "a": a, "b": b}


def _offdiag(p):
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]  # lavaan's vech order
    return np.array([a for a, _ in pairs], dtype=int), np.array([b for _, b in pairs], dtype=int)


NUMERIC = -2  # th_par entry of a continuous variable: its "threshold" is minus its mean (lavaan)


def _layout(pt):
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


def _scaling(sigma, ds, theta, dpar, param, num=None):
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


def _model_vec(engine, theta, g, th_par, th_item, dl_par, param="delta"):
    """Model statistics of group ``g``: thresholds, then the off-diagonal correlations."""
    sigma, mu = engine.groups[g].implied(theta)
    ri, ci = _offdiag(sigma.shape[0])
    it, tp = th_item[g], th_par[g]
    isnum = tp == NUMERIC
    num = it[isnum]
    delta, _ = _scaling(sigma, None, theta, dl_par[g], param, num)
    tau = np.where(isnum, -mu[it], delta[it] * (theta[np.maximum(tp, 0)] - mu[it]))
    return np.concatenate([tau, sigma[num, num], delta[ri] * delta[ci] * sigma[ri, ci]])


def _jacobian(engine, theta, g, th_par, th_item, dl_par, param="delta"):
    """Model statistics of group ``g`` and their analytic Jacobian (RAM derivatives, thresholds,
    scaling factors: parameters in the delta, functions of Sigma in the theta parametrisation)."""
    gm = engine.groups[g]
    q = len(theta)
    sigma, mu, ds, dm = gm.derivatives(theta, True)
    ri, ci = _offdiag(sigma.shape[0])
    dpar = dl_par[g]
    it, tp = th_item[g], th_par[g]
    isnum = tp == NUMERIC
    num = it[isnum]
    delta, ddelta = _scaling(sigma, ds, theta, dpar, param, num)
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


class _WLSProblem:
    """What the DWLS estimation of one model needs, picklable for the bootstrap workers: the
    engine, the layout of the statistics and the observed categories of the ordinal variables."""

    def __init__(self, engine, th_par, th_item, dl_par, parameterization, numeric, levels, cors):
        self.engine = engine
        self.th_par, self.th_item, self.dl_par = th_par, th_item, dl_par
        self.parameterization = parameterization
        self.numeric = numeric  # None: every variable ordinal
        self.levels = levels  # per group, per variable (empty for a continuous one)
        self.cors = cors  # per group: the sample correlations (starting values of the polychorics)

    def statistics(self, arrays):
        """``(s_list, ws, ns)`` of the data ``arrays``, or ``None`` when a group lacks a category
        of an ordinal variable (lavaan drops such bootstrap draws)."""
        from .polychoric import mixed_stats, ordinal_stats

        s_list, ws, ns = [], [], []
        for x, lv, cor in zip(arrays, self.levels, self.cors):
            for j, levels in enumerate(lv):
                if len(levels) and not np.array_equal(np.unique(x[:, j]), levels):
                    return None
            names = [str(j) for j in range(x.shape[1])]
            if self.numeric is None:
                st = ordinal_stats(x, names, start=cor)
                ri, ci = _offdiag(x.shape[1])
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
                r = s_list[g] - _model_vec(engine, th, g, *args)
                tot += fgs[g] * float(r @ (ws[g] * r))
            return tot

        converged = False
        F = objective(theta)
        it = 0
        for it in range(1, 200):
            E = np.zeros((q, q))
            grad = np.zeros(q)
            for g in range(G):
                sig, J = _jacobian(engine, theta, g, *args)
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


def _wls_chunk_worker(problem, theta0, arrays, seeds, want_chi2=False, hess0=None):
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


def _repeated_ties(rows, repeated, theta_param):
    """Longitudinal invariance of ordinal items (one group; :mod:`rsnprop.sem.longitudinal`).

    ``repeated = {"factors": [F1, F2, ...], "waves": [[items of F1], ...], "step": 0..3, "freed":
    [...]}``.  From the scalar step (2) on, the thresholds of matched items are equal (except
    ``"item|tk"`` in ``freed``, named by the first wave's item) and, as lavaan frees them in groups
    2..G, the later waves' latent means and scaling factors (delta) or residual variances (theta)
    are free; the strict step (3, theta) fixes those residual variances at 1 (except
    ``"item~~item"`` in ``freed``)."""
    waves, factors, step = repeated["waves"], repeated["factors"], repeated["step"]
    freed = set(repeated.get("freed", ()))
    later = {v: first for w in waves[1:] for first, v in zip(waves[0], w)}
    if step < 2:
        return
    ths = {}
    for r in rows:
        if r.op == "|":
            ths.setdefault(r.lhs, []).append(r)
    for j, first in enumerate(waves[0]):
        for w in waves[1:]:
            if len(ths.get(w[j], [])) != len(ths.get(first, [])):
                raise InputError(f"equal thresholds need the same observed categories at every wave: {first} has "
                                 f"{len(ths.get(first, [])) + 1}, {w[j]} has {len(ths.get(w[j], [])) + 1}",
                                 column=w[j], parameter="repeated")
        for m, r0 in enumerate(ths.get(first, [])):
            if f"{first}|{r0.rhs}" in freed:
                continue
            for w in waves:
                ths[w[j]][m].eq = f".long.{first}|{r0.rhs}"
    for r in rows:
        if r.op == "~1" and r.lhs in factors[1:]:
            r.free = True
        elif r.lhs in later and r.lhs == r.rhs and r.op == ("~~" if theta_param else "~*~"):
            strict = step >= 3 and f"{later[r.lhs]}~~{later[r.lhs]}" not in freed
            r.free, r.value = not strict, 1.0


def fit_ordinal(model, data, *, ordered, group=None, group_equal=(), group_partial=(), std_lv=False,
                estimator="WLSMV", level=0.95, parameterization="delta", repeated=None):
    from scipy import stats
    from scipy.linalg import block_diag

    from .api import finish
    from .data import prepare_data
    from .fitmeasures import incremental, rmsea_ci, rmsea_point
    from .model import build_engine, start_values
    from .polychoric import mixed_stats, ordinal_stats

    columns = [c for c in getattr(data, "columns", []) if c != group]
    if group is not None and group not in getattr(data, "columns", []):
        raise InputError("group column not found in the data", column=group, parameter="group")
    probe = build_partable(model, data_columns=columns, probe=True)
    if ordered is True:
        ordered = list(probe.ov)
    ordered = list(ordered or [])
    missing_cols = [c for c in ordered if c not in columns]
    if missing_cols:
        raise InputError("ordered variable is not a column of the data", column=missing_cols[0], parameter="ordered")
    not_in_model = [c for c in ordered if c not in probe.ov]
    if not_in_model:
        raise InputError("ordered variable is not in the model", column=not_in_model[0], parameter="ordered")
    numeric = np.array([v not in ordered for v in probe.ov], dtype=bool)
    mixed = bool(numeric.any())
    if mixed and probe.ov_x:
        raise InputError("observed exogenous covariates with ordinal indicators (lavaan's conditional.x) "
                         "are not implemented; regress the covariate on the factor instead (e.g. 'x ~ f')",
                         parameter="model", value=probe.ov_x[0])
    if parameterization not in ("delta", "theta"):
        raise InputError("parameterization must be 'delta' or 'theta'", parameter="parameterization",
                         value=parameterization)
    theta_param = parameterization == "theta"
    known = ("loadings", "thresholds", "intercepts", "lv.variances", "lv.covariances", "regressions", "means")
    unsupported = [g for g in group_equal if g not in known + (("residuals",) if theta_param else ())]
    if unsupported:
        hint = (" (equal residual variances need parameterization='theta')" if unsupported[0] == "residuals"
                else "")
        raise InputError(f"group_equal type not supported with ordinal indicators ({parameterization} "
                         f"parametrisation){hint}", parameter="group_equal", value=unsupported[0])
    arrays, labels, n_dropped = prepare_data(data, probe.ov, group=group, ordered=ordered)
    G = len(labels)
    for x in arrays:
        bad = np.flatnonzero(np.any(np.abs(x - np.round(x)) > 0, axis=0) & ~numeric)
        if len(bad):
            raise InputError("ordered variables must hold integer category codes", parameter="ordered",
                             column=probe.ov[bad[0]])
        for j, v in enumerate(probe.ov):
            if len(np.unique(x[:, j])) < 2 and not numeric[j]:
                raise InputError("ordered variable has a single category" + (" in a group" if G > 1 else ""),
                                 column=v, parameter="ordered")
    if mixed:
        sts = [mixed_stats(x, probe.ov, numeric) for x in arrays]
    else:
        sts = [ordinal_stats(x, probe.ov) for x in arrays]
    th_equal = G > 1 and ("thresholds" in group_equal or "intercepts" in group_equal)
    if th_equal:
        for j, v in enumerate(probe.ov):
            if any(not np.array_equal(st.levels[j], sts[0].levels[j]) for st in sts[1:]):
                raise InputError("equal thresholds need the same observed categories in every group",
                                 column=v, parameter="group_equal")
    th_partial = {p_.replace(" ", "") for p_ in group_partial if "|" in p_}
    resid_partial = {p_.replace(" ", "") for p_ in group_partial if "|" not in p_ and "~~" in p_
                     and len(set(p_.replace(" ", "").split("~~"))) == 1} if theta_param else set()
    int_partial = {p_.replace(" ", "") for p_ in group_partial if p_.replace(" ", "").endswith("~1")
                   and p_.replace(" ", "")[:-2] in probe.ov and p_.replace(" ", "")[:-2] not in ordered}
    other_partial = [p_ for p_ in group_partial if "|" not in p_ and p_.replace(" ", "") not in int_partial
                     and (p_.replace(" ", "") not in resid_partial or p_.replace(" ", "").split("~~")[0] not in ordered)]
    resid_equal = theta_param and "residuals" in group_equal
    # equal residual variances (theta): fixed at 1 for the latent responses (below), equal for the
    # continuous variables
    ge = [g for g in group_equal if g not in ("thresholds", "intercepts", "means", "residuals")
          or (g == "residuals" and mixed)]
    pt = build_partable(model, ngroups=G, std_lv=std_lv, meanstructure=False, group_equal=ge,
                        group_partial=other_partial, data_columns=columns, ordered=ordered)
    p = len(pt.ov)
    resid_rows = [r for r in pt.rows if r.op == "~~" and r.lhs == r.rhs and r.lhs in ordered]
    for r in resid_rows:
        # delta: residual variances are 1/Delta^2 - explained variance (set after the fit);
        # theta: parameters, 1 in the first group and, unless thresholds are equal, in every group
        # (lavaan); equal residual variances are 1 in every group
        r.free, r.value, r.eq = False, (1.0 if theta_param else 0.0), ""
        if theta_param and r.group > 1 and th_equal and (not resid_equal or f"{r.lhs}~~{r.lhs}" in resid_partial):
            r.free = True
    extra = []
    free_means = th_equal and "means" not in group_equal
    for g in range(1, G + 1):
        st = sts[g - 1]
        for j, v in enumerate(pt.ov):
            for m in range(len(st.th[j])):  # none for a continuous variable
                name = f"t{m + 1}"
                eq = f".eq.{v}|{name}" if th_equal and f"{v}|{name}" not in th_partial else ""
                extra.append(Row(v, "|", name, group=g, free=True, user=0, eq=eq))
        extra += [Row(v, "~*~", v, group=g, free=(g > 1 and th_equal and not theta_param), value=1.0, user=0)
                  for v in pt.ov if v in ordered]
        # intercepts: 0 for the latent responses, free for continuous variables (lavaan); equal
        # thresholds make the continuous intercepts equal too (lavaan 0.6-14: "thresholds" or
        # "intercepts" in group.equal each equate both)
        extra += [Row(v, "~1", "", group=g, free=v not in ordered, value=0.0 if v in ordered else None, user=0,
                      eq=f".eq.{v}~1" if th_equal and v not in ordered and f"{v}~1" not in int_partial else "")
                  for v in pt.ov]
        extra += [Row(f, "~1", "", group=g, free=(g > 1 and free_means), value=0.0, user=0) for f in pt.lv]
    pt.rows = pt.rows + extra
    if repeated is not None:
        _repeated_ties(pt.rows, repeated, theta_param)
    pt.npar = q = assign_parameters(pt.rows)
    if mixed:
        gds = [GroupData(n=st.n, cov=st.cov, mean=np.where(numeric, st.mean, 0.0),
                         logdet_cov=float(np.linalg.slogdet(st.cov)[1])) for st in sts]
    else:
        gds = [GroupData(n=st.n, cov=st.cor, mean=np.zeros(p), logdet_cov=float(np.linalg.slogdet(st.cor)[1]))
               for st in sts]
    engine = build_engine(pt, gds)
    ri, ci = _offdiag(p)
    pos = {v: i for i, v in enumerate(pt.ov)}
    th_par, th_item, dl_par = _layout(pt)
    s_list = [st.stats if mixed else np.concatenate([st.th_flat, st.cor[ri, ci]]) for st in sts]
    # lavaan's NACOV carries a factor N / (N - 1) (checked against lavaan 0.6.14: chi-square,
    # scaled chi-square and SEs all agree only with it)
    gammas = [st.nacov * st.n / (st.n - 1) for st in sts]
    ws = [1.0 / np.diag(Gm) for Gm in gammas]
    ns = [st.n for st in sts]
    N = sum(ns)
    fgs = [n / N for n in ns]

    problem = _WLSProblem(engine, th_par, th_item, dl_par, parameterization, numeric if mixed else None,
                          [[st.levels[j] for j in range(p)] for st in sts], [st.cor for st in sts])

    def jac(theta, g):
        return _jacobian(engine, theta, g, th_par, th_item, dl_par, parameterization)

    theta = start_values(pt, gds)
    th_free = [tp != NUMERIC for tp in th_par]
    for g in range(G):
        theta[th_par[g][th_free[g]]] = sts[g].th_flat
    theta[np.concatenate(dl_par)[np.concatenate(dl_par) >= 0]] = 1.0
    if theta_param:  # residual variances 1; thresholds on the scale of the implied variances
        for r in resid_rows:
            if r.par >= 0:
                theta[r.par] = 1.0
        for g in range(G):
            sigma0, _ = engine.groups[g].implied(theta)
            theta[th_par[g][th_free[g]]] = sts[g].th_flat * np.sqrt(np.diag(sigma0))[th_item[g][th_free[g]]]
    theta, F, converged, it = problem.estimate(s_list, ws, fgs, theta)
    # final quantities
    Js, sigs = [], []
    for g in range(G):
        sig, J = jac(theta, g)
        Js.append(J)
        sigs.append(sig)
    # inference (robust SEs, scaled test, difference tests): lavaan weighs the groups with n_g / N,
    # WLS.V = 1 / diag(NACOV), Gamma = NACOV and divides the sandwich by N - G, while the estimates
    # and chi-square use the group weights (n_g - 1) / N (here folded into ws and gammas as
    # n_g / (n_g - 1)).  The two agree in a single group; with several groups (checked against
    # lavaan 0.6.14, ordinal only and mixed with continuous variables) the former is used.
    if G > 1:
        ws_inf = [1.0 / np.diag(st.nacov) for st in sts]
        gammas_inf = [st.nacov for st in sts]
        n_vcov = N - G
    else:
        ws_inf, gammas_inf, n_vcov = ws, gammas, N
    Wb = block_diag(*[fgs[g] * np.diag(ws_inf[g]) for g in range(G)])
    Gb = block_diag(*[gammas_inf[g] / fgs[g] for g in range(G)])
    Jall = np.vstack(Js)
    E = Jall.T @ Wb @ Jall
    warn = []
    try:
        E_inv = np.linalg.inv(E)
    except np.linalg.LinAlgError:
        E_inv = np.linalg.pinv(E)
        warn.append("the information matrix is singular: the model may not be identified")
    meat = sum(fgs[g] * (Js[g].T * ws_inf[g]) @ gammas_inf[g] @ (Js[g] * ws_inf[g][:, None]) for g in range(G))
    vcov = E_inv @ meat @ E_inv / n_vcov
    resid = [s_list[g] - sigs[g] for g in range(G)]
    chi2 = sum(ns[g] * float(resid[g] @ (ws[g] * resid[g])) for g in range(G))
    nstat = sum(len(s_) for s_ in s_list)
    df = nstat - q
    # baseline: thresholds only (no equality constraints)
    # leading rows of the statistics: thresholds (and minus the means), variances of continuous variables
    nths = [len(th_par[g]) + int(numeric.sum()) for g in range(G)]
    Db = block_diag(*[np.vstack([np.eye(nths[g]), np.zeros((len(ri), nths[g]))]) for g in range(G)])
    chi2_b = sum(ns[g] * float(np.sum(ws[g][nths[g]:] * s_list[g][nths[g]:] ** 2)) for g in range(G))
    df_b = G * len(ri)
    fitm = {"npar": q, "n": N, "ngroups": G, "chi2": chi2, "df": df,
            "pvalue": float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan"),
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
        a, b = _scaled_shifted(Jall, Wb, Gb, df)
        ab, bb = _scaled_shifted(Db, Wb, Gb, df_b)
        chi2_s = float(a * chi2 + b)
        chi2_bs = float(ab * chi2_b + bb)
        cfi_s, tli_s = incremental(chi2_s, df, chi2_bs, df_b)
        lo_s, hi_s, pc_s = rmsea_ci(chi2_s, df, n_rmsea, G)
        fitm.update({"chi2_scaled": chi2_s, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(chi2_s, df)),
                     "chi2_scaling_factor": 1 / a, "chi2_shift": b, "baseline_chi2_scaled": chi2_bs,
                     "cfi_scaled": cfi_s, "tli_scaled": tli_s, "rmsea_scaled": rmsea_point(chi2_s, df, n_rmsea, G),
                     "rmsea_ci_lower_scaled": lo_s, "rmsea_ci_upper_scaled": hi_s, "rmsea_pvalue_scaled": pc_s})
        implied = []
        for g in range(G):
            sigma, _ = engine.groups[g].implied(theta)
            delta, _ = _scaling(sigma, None, theta, dl_par[g], parameterization)
            implied.append(sigma * np.outer(delta, delta))
        if not mixed:  # lavaan: NA with continuous variables
            # lavaan's cat-ML trace uses lavTech(fit, "gamma"), the NACOV without the N / (N - 1)
            # of the single-group estimation weights (several groups: already without it)
            Gc = Gb if G > 1 else Gb * (N - 1) / N
            fitm.update(_catml_robust([st.cor for st in sts], implied, Jall, Wb, Gc, E_inv, cor_rows, fgs, ns, df,
                                     n_rmsea))
    # srmr on the correlations (weighted over groups)
    srmr = 0.0
    for g in range(G):
        rc = resid[g][nths[g]:]
        if mixed:  # continuous variables: residuals of the correlations, as lavaan
            sigma, _ = engine.groups[g].implied(theta)
            delta, _ = _scaling(sigma, None, theta, dl_par[g], parameterization, np.flatnonzero(numeric))
            implied_g = sigma * np.outer(delta, delta)
            implied_g[np.diag_indices(p)] = np.where(numeric, np.diag(sigma), 1.0)
            sd_m = np.sqrt(np.diag(implied_g))
            sd_s = np.sqrt(np.diag(sts[g].cov))
            rc = (sts[g].cov / np.outer(sd_s, sd_s) - implied_g / np.outer(sd_m, sd_m))[ri, ci]
        srmr += fgs[g] * math.sqrt(float(np.sum(rc ** 2)) / (p * (p + 1) / 2))
    fitm["srmr"] = srmr
    for key in ("loglik", "aic", "bic"):
        fitm[key] = float("nan")
    # residual variances of y* (delta parametrisation): 1 / delta^2 - explained variance
    # theta parametrisation: the scaling factors 1 / sd(y*) (reported as the fixed ~*~ rows)
    for g in range(G):
        gm = engine.groups[g]
        sigma_hat, _ = gm.implied(theta)
        if theta_param:
            delta, _ = _scaling(sigma_hat, None, theta, dl_par[g], parameterization)
            for rr in pt.rows:
                if rr.group == g + 1 and rr.op == "~*~":
                    rr.value = float(delta[pos[rr.lhs]])
            continue
        delta = np.where(dl_par[g] >= 0, theta[np.maximum(dl_par[g], 0)], 1.0)
        for rr in resid_rows:
            if rr.group != g + 1:
                continue
            j = pos[rr.lhs]
            rr.value = float(1.0 / delta[j] ** 2 - sigma_hat[j, j])
            gm.S0[j, j] = rr.value
    core = dict(engine=engine, theta=theta, fmin=F / 2, converged=converged, iterations=it)
    res = finish(pt, core, gds, labels, estimator=estimator, level=level, arrays=None, n_dropped=n_dropped,
                 model=model, vcov=vcov, fitm=fitm, extra_warnings=warn)
    res.ordinal = {"thresholds": {v: sts[0].th[j].tolist() for j, v in enumerate(pt.ov)},
                   "levels": {v: sts[0].levels[j].tolist() for j, v in enumerate(pt.ov)},
                   "thresholds_by_group": [{v: st.th[j].tolist() for j, v in enumerate(pt.ov)} for st in sts]}
    res.polychoric = sts[0].cor if G == 1 else [st.cor for st in sts]
    res._wls = {"problem": problem, "arrays": arrays, "J": Js, "w": ws, "gamma": gammas, "fg": fgs, "info": E,
                "w_inf": ws_inf, "gamma_inf": gammas_inf, "s": s_list, "ns": ns,
                "gds": gds, "parameterization": parameterization}
    return res
