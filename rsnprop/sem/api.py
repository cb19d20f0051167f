"""``rsnprop.sem.fit``: one entry point for CFA / SEM / multigroup models."""

from __future__ import annotations

import warnings as _warnings

import numpy as np

from ..errors import (ConvergenceWarning, EstimationError, HeywoodCaseWarning, InputError,
                      ModelSyntaxError, NonPositiveDefiniteWarning)
from .data import prepare_data
from .engine import GroupData
from .model import build_engine, start_values
from .partable import build_partable

__all__ = ["fit"]

ESTIMATORS = ("ML", "MLR", "WLSMV", "DWLS")


def fit(model: str, data=None, *, group: str | None = None, group_equal=(), group_partial=(),
        estimator: str = "ML", missing: str = "auto", ordered=None, std_lv: bool = False,
        meanstructure: bool | None = None, bootstrap: int = 0, bootstrap_type: str = "nonparametric",
        seed=None, n_jobs=None, progress: bool = False, level: float = 0.95,
        parameterization: str = "delta", sample_cov=None, sample_nobs=None, sample_mean=None,
        sample_sd=None):
    """Fit a CFA/SEM written in lavaan syntax, as ``lavaan::sem()`` would.

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, ``~ 1``, ``:=``, labels ``a*x``, fixed
        values ``1*x``, free ``NA*x``; in multigroup models one modifier per group:
        ``c(a, b)*x``, ``c(0.5, NA)*x``, ``f ~ c(0, NA)*1``, ``start(c(0.5, NA))*x``).  As in
        lavaan, rows sharing a label or a ``group_equal`` class are one parameter, fixed in every
        group when fixed in one.
    data : pandas.DataFrame
        One row per case; the observed variables named in ``model`` must be numeric columns.
        Leave out when the model is fitted from summary statistics (``sample_cov``).
    group : str, optional
        Column defining the groups of a multigroup model, taken in order of first appearance
        in the data (lavaan's rule, also for categorical columns); group 1 is the reference
        for latent means.
    group_equal : sequence of str
        Parameter types constrained equal across groups: ``"loadings"``, ``"intercepts"``,
        ``"means"``, ``"residuals"``, ``"residual.covariances"``, ``"lv.variances"``,
        ``"lv.covariances"``, ``"regressions"``, ``"thresholds"``.
    group_partial : sequence of str
        Parameters exempted from ``group_equal`` (``"x3 ~ 1"``, ``"visual =~ x2"``,
        ``"A1|t2"`` for a threshold).
    estimator : {"ML", "MLR", "WLSMV"}
        ``"MLR"``: ML estimates with sandwich SEs and the Yuan-Bentler scaled chi-square.
        ``"WLSMV"``: ordinal indicators (``ordered``), polychoric correlations, DWLS with
        mean-and-variance adjusted (scaled-shifted) chi-square; single or multigroup (delta
        parametrisation; equal thresholds free the scaling factors and latent means of
        groups 2..G).
    missing : {"auto", "fiml", "listwise"}
        ``"auto"`` (default, see ``docs/missing-data.md``): full-information ML (lavaan
        ``missing = "ml"``) for ML/MLR fits when a model variable has a missing value, else the
        complete data (lavaan's default call); ordinal indicators (WLSMV) use the complete cases,
        as lavaan.  ``"fiml"`` always uses every available value (and a mean structure);
        ``"listwise"`` the complete cases.  The method used is ``res.missing``; ``res.n`` rows of
        ``res.n_total`` were used, per group ``res.n_per_group`` of ``res.n_total_per_group``,
        and a :class:`~rsnprop.errors.DataQualityWarning` (also in ``res.warnings``) says
        whenever rows were dropped.
    ordered : list of str or True, optional
        Ordinal indicators (``True``: every observed variable).  Naming only some of the observed
        variables mixes ordinal and continuous ones (as lavaan's ``ordered = c(...)``, single or
        multigroup): the continuous ones get intercepts, residual variances and Pearson or
        polyserial covariances inside the WLSMV statistics and their NACOV; ``"thresholds"`` or
        ``"intercepts"`` in ``group_equal`` equates both the thresholds and the continuous
        variables' intercepts (as lavaan 0.6-14).
    std_lv : bool
        Identify factors by fixing their variances to 1 instead of the first loading.
    meanstructure : bool, optional
        Model means/intercepts; default on for multigroup models and FIML, as in lavaan.
    bootstrap : int
        Number of bootstrap draws (0: none).  With draws, ``se`` and the CIs of the table
        come from the bootstrap (percentile); ``res.bootstrap["intervals"]`` also has the
        bias-corrected (lavaan ``"bca.simple"``) and BCa (jackknife acceleration) limits.
        Complete data (ML/MLR), FIML and WLSMV (every draw recomputes thresholds, polychoric
        correlations and weights; draws with an empty category are dropped, as lavaan does; BCa
        without acceleration for FIML and WLSMV).
    bootstrap_type : {"nonparametric", "bollen.stine"}
        Bollen-Stine puts its p-value in ``res.fit["bollen_stine_pvalue"]`` (the bootstrap
        chi-squares in ``res.boot_chi2``).  With missing data (FIML) the data are transformed as
        semTools' ``bsBootMiss(transformation = 2)`` does (Savalei & Yuan 2009; lavaan has no
        Bollen-Stine bootstrap for missing data) and every draw is refitted by FIML.
    seed : int, optional
        Seed of the bootstrap (results do not depend on ``n_jobs``).
    n_jobs : int, optional
        Parallel workers for the bootstrap (joblib processes, started only when the estimated
        work exceeds five seconds: starting them costs about a second); ``None``: 1.
    progress : bool
        Show a progress bar during the bootstrap.
    level : float
        Confidence level of ``ci_lower``/``ci_upper``.
    parameterization : {"delta", "theta"}
        Ordinal indicators only (lavaan's ``parameterization``).  ``"delta"``: the latent
        responses have unit variance, scaling factors ``~*~`` are parameters.  ``"theta"``: their
        residual variances are parameters (1 in group 1 and, unless thresholds are equal, in
        every group; ``group_equal`` ``"residuals"`` keeps them 1 in every group: strict
        invariance), the scaling factors follow from the model.  Same fit, estimates on another
        scale.

    sample_cov : pandas.DataFrame or dict, optional
        Fit from a published table instead of ``data`` (lavaan's ``sample.cov``): a covariance
        matrix with variable names as index and columns (full, or its lower triangle), taken as
        unbiased and rescaled by ``(N - 1) / N`` (ML estimator only); several groups as a dict
        ``{label: matrix}``.  See :mod:`rsnprop.sem.moments`.
    sample_nobs : int, or dict/list per group
        Number of observations (lavaan's ``sample.nobs``); required with ``sample_cov``.
    sample_mean : mapping or pandas.Series, or dict/list per group, optional
        Means by variable (``sample.mean``): the model then has a mean structure.
    sample_sd : mapping or pandas.Series, or dict/list per group, optional
        Standard deviations by variable: ``sample_cov`` is then a correlation matrix.

    Returns
    -------
    SEMResult

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.sem import fit
    >>> from rsnprop.datasets import holzinger_swineford
    >>> hs = holzinger_swineford()
    >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9", hs)
    >>> round(res.fit["chi2"], 3), res.fit["df"], round(res.fit["cfi"], 3)
    (85.306, 24, 0.931)

    The same numbers in R: ``fitMeasures(cfa(model, data = HolzingerSwineford1939),
    c("chisq", "df", "cfi"))``.

    Ordinal and continuous indicators together (R: ``cfa(model, hs4, ordered = c("x1", "x2",
    "x4", "x5"), estimator = "WLSMV")``):

    >>> hs4 = hs.copy()
    >>> for v in ("x1", "x2", "x4", "x5"):
    ...     hs4[v] = pd.qcut(hs4[v], 4, labels=False) + 1
    >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", hs4,
    ...           ordered=["x1", "x2", "x4", "x5"], estimator="WLSMV")
    >>> round(res.fit["chi2_scaled"], 2), res.fit["df"]
    (23.41, 8)

    The same model by school with equal loadings, thresholds and intercepts (R: add
    ``group = "school", group.equal = c("loadings", "thresholds", "intercepts")``):

    >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", hs4, group="school",
    ...           ordered=["x1", "x2", "x4", "x5"], estimator="WLSMV",
    ...           group_equal=["loadings", "thresholds", "intercepts"])
    >>> round(res.fit["chi2_scaled"], 2), res.fit["df"]
    (65.93, 28)

    From a covariance matrix, as printed in a paper (R: ``sem(model, sample.cov = S,
    sample.nobs = 75)``; ``S`` is the unbiased matrix, rescaled by (N-1)/N as lavaan does, so
    the fit equals the one from the raw data):

    >>> from rsnprop.datasets import political_democracy
    >>> S = political_democracy()[["y1", "y2", "y3", "y4"]].cov()
    >>> res = fit("dem60 =~ y1 + y2 + y3 + y4", sample_cov=S, sample_nobs=75)
    >>> round(res.fit["chi2"], 3), res.fit["df"], res.n
    (10.006, 2, 75)
    """
    estimator = str(estimator).upper()
    if sample_cov is not None:
        return _fit_moments(model, data, sample_cov, sample_nobs, sample_mean, sample_sd, group=group,
                            group_equal=group_equal, group_partial=group_partial, estimator=estimator,
                            std_lv=std_lv, meanstructure=meanstructure, ordered=ordered, bootstrap=bootstrap,
                            missing=missing, level=level)
    if data is None:
        raise InputError("give the data (or a sample covariance matrix with sample_cov=)", parameter="data")
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {', '.join(ESTIMATORS)}", parameter="estimator", value=estimator)
    if missing == "ml":
        missing = "fiml"
    if missing not in ("auto", "listwise", "fiml"):
        raise InputError("missing must be 'auto', 'fiml' or 'listwise'", parameter="missing", value=missing)
    missing_requested = missing
    if isinstance(group_equal, str):
        group_equal = [g.strip() for g in group_equal.split(",") if g.strip()]
    if isinstance(group_partial, str):
        group_partial = [g.strip() for g in group_partial.split(",") if g.strip()]
    if bootstrap and (not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0):
        raise InputError("bootstrap must be a non-negative integer", parameter="bootstrap", value=bootstrap)
    if bootstrap_type not in ("nonparametric", "bollen.stine"):
        raise InputError("bootstrap_type must be 'nonparametric' or 'bollen.stine'", parameter="bootstrap_type",
                         value=bootstrap_type)
    if not isinstance(model, str):
        raise ModelSyntaxError("model must be a string of lavaan syntax", parameter="model", value=type(model).__name__)
    columns = list(getattr(data, "columns", []))
    # ordinal indicators (ordered=True: every observed variable of the model)
    has_ordered = ordered is True or bool(list(ordered or []))
    if has_ordered:
        if estimator == "MLR":
            raise InputError("ordered indicators need estimator='WLSMV'", parameter="estimator", value=estimator)
        estimator = "WLSMV" if estimator == "ML" else estimator
    elif estimator in ("WLSMV", "DWLS"):
        raise InputError("estimator WLSMV is for ordinal indicators: name them with ordered=[...] "
                         "(or ordered=True)", parameter="ordered", value=None)
    if estimator in ("WLSMV", "DWLS"):
        from .ordinal import fit_ordinal

        if missing == "fiml":
            raise InputError("full-information ML is not available for ordinal indicators (WLSMV uses the "
                             "complete cases, as lavaan); use missing='auto' or 'listwise'", parameter="missing",
                             value=missing)

        if bootstrap and bootstrap_type == "bollen.stine":
            raise InputError("the Bollen-Stine bootstrap is not implemented for ordinal indicators (WLSMV); "
                             "use the nonparametric bootstrap", parameter="bootstrap_type", value=bootstrap_type)
        res = fit_ordinal(model, data, ordered=ordered, group=group, group_equal=group_equal,
                          group_partial=group_partial, std_lv=std_lv, estimator=estimator, level=level,
                          parameterization=parameterization)
        if bootstrap:
            from .bootstrap import bootstrap_result

            bootstrap_result(res, res._wls["arrays"], R=int(bootstrap), kind=bootstrap_type, seed=seed,
                             n_jobs=n_jobs, progress=progress, level=level)
        return _sample_sizes(res, data, group, "listwise", missing_requested)
    if parameterization != "delta":
        raise InputError("parameterization is for ordinal indicators (ordered=[...])", parameter="parameterization",
                         value=parameterization)

    if group is not None and group not in columns:
        raise InputError("group column not found in the data", column=group, parameter="group")
    # first pass to learn the observed variables
    probe = build_partable(model, ngroups=1, data_columns=[c for c in columns if c != group], probe=True)
    if missing == "auto":
        missing = "fiml" if _incomplete(data, probe.ov, group) else "listwise"
    arrays, labels, n_dropped = prepare_data(data, probe.ov, group=group, missing=missing)
    G = len(labels)
    if meanstructure is None:
        # lavaan: on for multigroup models, FIML, or when the model mentions intercepts
        meanstructure = G > 1 or missing == "fiml" or any(r.op == "~1" for r in probe.rows)
    if G == 1 and not std_lv and not meanstructure and not group_partial and "c(" not in model:
        pt = probe  # same options: no need to build it again
    else:
        pt = build_partable(model, ngroups=G, std_lv=std_lv, meanstructure=bool(meanstructure),
                            group_equal=group_equal, group_partial=group_partial,
                            data_columns=[c for c in columns if c != group])
    has_missing = any(np.isnan(a).any() for a in arrays)
    if missing == "fiml" and has_missing:
        from .fiml import fiml_fit

        res = fiml_fit(pt, arrays, labels, model=model, estimator=estimator, level=level, n_dropped=n_dropped)
        if bootstrap:
            from .bootstrap import bootstrap_result

            bootstrap_result(res, arrays, R=int(bootstrap), kind=bootstrap_type, seed=seed, n_jobs=n_jobs,
                             progress=progress, level=level)
        return _sample_sizes(res, data, group, "fiml", missing_requested)
    gdata = [GroupData.from_array(a) for a in arrays]
    core = fit_core(pt, gdata)
    res = finish(pt, core, gdata, labels, estimator=estimator, level=level, arrays=arrays,
                 n_dropped=n_dropped, model=model)
    if bootstrap:
        from .bootstrap import bootstrap_result

        bootstrap_result(res, arrays, R=int(bootstrap), kind=bootstrap_type, seed=seed, n_jobs=n_jobs,
                         progress=progress, level=level)
    return _sample_sizes(res, data, group, missing, missing_requested)


def _fit_moments(model, data, sample_cov, sample_nobs, sample_mean, sample_sd, *, group, group_equal,
                 group_partial, estimator, std_lv, meanstructure, ordered, bootstrap, missing, level):
    """:func:`fit` from summary statistics (lavaan's ``sample.cov``, ``sample.nobs``, ``sample.mean``)."""
    from .moments import moments_groups

    if data is not None:
        raise InputError("give either data or sample_cov, not both", parameter="sample_cov")
    if estimator != "ML":
        raise InputError("a model fitted from a covariance matrix uses estimator='ML' (MLR and WLSMV need the "
                         "raw data)", parameter="estimator", value=estimator)
    for name, value in (("group", group), ("ordered", ordered), ("bootstrap", bootstrap)):
        if value:
            raise InputError(f"{name} needs the raw data (several groups: give sample_cov as a dict "
                             "{label: matrix})", parameter=name, value=value)
    if missing not in ("auto", "listwise"):
        raise InputError("missing-data methods need the raw data", parameter="missing", value=missing)
    if sample_nobs is None:
        raise InputError("sample_nobs (the number of observations) is required with sample_cov",
                         parameter="sample_nobs")
    if isinstance(group_equal, str):
        group_equal = [g.strip() for g in group_equal.split(",") if g.strip()]
    if isinstance(group_partial, str):
        group_partial = [g.strip() for g in group_partial.split(",") if g.strip()]
    if not isinstance(model, str):
        raise ModelSyntaxError("model must be a string of lavaan syntax", parameter="model", value=type(model).__name__)
    probe = build_partable(model, ngroups=1, probe=True)
    gdata, labels = moments_groups(sample_cov, sample_nobs, probe.ov, sample_mean=sample_mean,
                                   sample_sd=sample_sd)
    if meanstructure is None:  # lavaan: only with means (or intercepts in the syntax)
        meanstructure = sample_mean is not None or any(r.op == "~1" for r in probe.rows)
    if meanstructure and sample_mean is None:
        raise InputError("a mean structure needs sample_mean", parameter="sample_mean")
    pt = build_partable(model, ngroups=len(labels), std_lv=std_lv, meanstructure=bool(meanstructure),
                        group_equal=group_equal, group_partial=group_partial)
    core = fit_core(pt, gdata)
    res = finish(pt, core, gdata, labels, estimator="ML", level=level, model=model)
    res.n_total = int(res.n)
    res.n_total_per_group = dict(res.n_per_group)
    res.missing = "none"  # summary statistics: no rows, no missing values
    res.missing_requested = missing
    return res


def _incomplete(data, variables, group):
    """True when a model variable has a missing value in a row whose group is known."""
    cols = [c for c in variables if c in data.columns]
    na = data[cols].isna().to_numpy().any(axis=1)
    if group is not None:
        na &= data[group].notna().to_numpy()
    return bool(na.any())


def _sample_sizes(res, data, group, missing, requested):
    """Record rows used / rows given (in total and per group, lavaan's "Used / Total") and the
    missing-data method; warn (DataQualityWarning and ``res.warnings``) when rows were dropped."""
    import pandas as pd

    from ..errors import DataQualityWarning

    n_total = int(len(data))
    if group is None:
        totals = {res.groups[0]: n_total}
    else:
        codes, uniques = pd.factorize(data[group], use_na_sentinel=True)
        counts = np.bincount(np.asarray(codes)[np.asarray(codes) >= 0], minlength=len(uniques))
        labels = [u.item() if hasattr(u, "item") else u for u in uniques]
        totals = dict(zip(labels, (int(c) for c in counts)))
    res.n_total = n_total
    res.n_total_per_group = {lab: int(totals.get(lab, 0)) for lab in res.groups}
    res.missing = missing
    res.missing_requested = requested
    dropped = n_total - int(res.n)
    if dropped > 0:
        why = {"listwise": "listwise deletion of incomplete rows",
               "fiml": "rows without any value of the model variables"}[missing]
        if group is not None and int(data[group].isna().sum()):
            why += f" and {int(data[group].isna().sum())} rows without a group"
        msg = f"{res.n} of {n_total} rows used: {dropped} dropped ({why})"
        if missing == "listwise" and res.estimator in ("ML", "MLR"):
            msg += "; missing='fiml' would use every available value"
        res.warnings.append(msg)
        _warnings.warn(msg, DataQualityWarning, stacklevel=3)
    return res


def fit_core(pt, gdata, theta0=None):
    """Estimate by ML; return dict(engine, theta, fmin, converged, iterations)."""
    engine = build_engine(pt, gdata)
    if pt.npar == 0:
        return dict(engine=engine, theta=np.zeros(0), fmin=engine.fml(np.zeros(0)), converged=True, iterations=0)
    for d in gdata:
        if not np.isfinite(d.logdet_cov):
            raise EstimationError("the sample covariance matrix is singular (a constant or duplicated "
                                  "variable?)", parameter="data")
    if theta0 is None:
        theta0 = start_values(pt, gdata)
    theta, fmin, converged, it = engine.fit(theta0)
    if not converged:
        # second attempt from a quasi-Newton optimiser
        from scipy import optimize

        def fun(t):
            f, g, _ = engine.grad_info(t)
            return (f, g) if np.isfinite(f) else (1e10, np.zeros_like(t))

        opt = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-9})
        theta2 = opt.x
        theta2, fmin2, converged2, it2 = engine.fit(theta2, maxit=200)
        if np.isfinite(fmin2) and (fmin2 <= fmin or not np.isfinite(fmin)):
            theta, fmin, converged, it = theta2, fmin2, converged2, it + it2
    return dict(engine=engine, theta=theta, fmin=fmin, converged=bool(converged), iterations=it)


def _x_moments(pt):
    px = len(pt.ov_x)
    return pt.ngroups * (px * (px + 1) // 2 + (px if pt.meanstructure else 0))


def finish(pt, core, gdata, labels, *, estimator, level, arrays=None, n_dropped=0, model="",
           vcov=None, fitm=None, extra_warnings=()):
    """Build the :class:`SEMResult` (SEs, table, standardised solution, fit measures)."""
    import pandas as pd
    from scipy import stats

    from .fitmeasures import ml_fit_measures
    from .results import SEMResult
    from .standardize import standardize_rows

    engine, theta = core["engine"], core["theta"]
    N = engine.ntotal
    warn_list = list(extra_warnings)
    if not core["converged"]:
        warn_list.append("the optimiser did not converge: estimates are not trustworthy")
        _warnings.warn("SEM did not converge", ConvergenceWarning, stacklevel=3)
    npar = pt.npar  # '==' constraints are already merged into shared parameters
    if vcov is None:
        vcov = ml_vcov(engine, theta, warn_list)
    if estimator == "MLR" and arrays is not None and fitm is None:
        from .robust import mlr_adjust

        vcov, fitm = mlr_adjust(pt, engine, theta, arrays, npar, _x_moments(pt), warn_list)
    if fitm is None:
        fitm = ml_fit_measures(engine, theta, npar, _x_moments(pt), x_idx=[pt.ov.index(v) for v in pt.ov_x])
    _identification(fitm, warn_list)
    fitm["converged"] = core["converged"]
    fitm["iterations"] = core["iterations"]
    se_par = np.sqrt(np.clip(np.diag(vcov), 0, None)) if vcov is not None else np.full(pt.npar, np.nan)
    # the table
    rows = pt.rows
    est = np.array([theta[r.par] if r.par >= 0 else _fixed_value(r, engine, pt) for r in rows])
    se = np.array([se_par[r.par] if r.par >= 0 else 0.0 for r in rows])
    names = pt.ov + pt.lv
    totals = []
    for g in range(pt.ngroups):
        sigma, mu, IA, S, m = engine.groups[g].implied(theta, full=True)
        totals.append(IA @ S @ IA.T)
    std_lv, std_all = standardize_rows(rows, est, totals, names, set(pt.lv), resid=_resid_by_group(engine, theta))
    zq = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(all="ignore"):
        z = np.where(se > 0, est / np.where(se > 0, se, 1), np.nan)
    pval = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
    free = np.array([r.par >= 0 for r in rows])
    table = pd.DataFrame({
        "lhs": [r.lhs for r in rows], "op": [r.op for r in rows], "rhs": [r.rhs for r in rows],
        "group": [r.group for r in rows],
        "group_label": [None if labels[r.group - 1] is None else str(labels[r.group - 1]) for r in rows],
        "label": [r.label for r in rows], "free": free,
        "est": est, "se": se, "z": z, "pvalue": pval,
        "ci_lower": est - zq * se, "ci_upper": est + zq * se,
        "std_lv": std_lv, "std_all": std_all,
    })
    # defined parameters
    if pt.definitions:
        from .defined import defined_rows

        table = pd.concat([table, defined_rows(pt, theta, vcov, table, zq)], ignore_index=True)
    blank_fixed(table, not_identified=fitm.get("df") is not None and fitm["df"] < 0)
    # R-squared
    r2 = _r2(pt, engine, theta, labels)
    # warnings
    nrow = len(rows)
    _check_solution(pt, table, engine, theta, gdata, warn_list, arrays={
        "op": np.array([r.op for r in rows], dtype=object), "lhs": np.array([r.lhs for r in rows], dtype=object),
        "rhs": np.array([r.rhs for r in rows], dtype=object), "est": est[:nrow],
        "group": np.array([r.group for r in rows]), "free": free, "std_all": std_all[:nrow]})
    res = SEMResult(
        converged=core["converged"], n=int(N),
        n_per_group={lab: d.n for lab, d in zip(labels, gdata)},
        groups=list(labels), ngroups=pt.ngroups, estimator=estimator, fit=fitm, estimates=table,
        r2=r2, warnings=warn_list, theta=theta, vcov=vcov, model=model, n_dropped=n_dropped,
        _pt=pt, _engine=engine, _core=core, bootstrap=None,
    )
    return res


_INDEX_PREFIXES = ("cfi", "tli", "rmsea")
_KEEP_NOT_IDENTIFIED = ("npar", "n", "ngroups", "df", "df_scaled", "estimator", "test", "missing", "converged",
                        "iterations", "loglik", "loglik_h1", "aic", "bic", "fmin")


def _identification(fitm, warn_list):
    """lavaan's treatment of models that should not be judged by fit indices.

    ``df < 0`` (more free parameters than moments): not identified; every test statistic and fit
    index becomes NaN (null in JSON; lavaan: ``chisq``, ``cfi``, ``tli`` NA) and the standard
    errors are blanked by :func:`blank_fixed`.  ``df = 0`` (saturated): chi-square 0 and no
    CFI/TLI/RMSEA, which are undefined without degrees of freedom (lavaan prints 1, 1 and 0).
    """
    df = fitm.get("df")
    if df is None:
        return
    if df < 0:
        for k in list(fitm):
            if k not in _KEEP_NOT_IDENTIFIED and not k.startswith("baseline") and isinstance(fitm[k], (int, float)) \
                    and not isinstance(fitm[k], bool):
                fitm[k] = float("nan")
        msg = (f"the model is not identified: {fitm.get('npar')} free parameters for {fitm.get('npar', 0) + df} "
               f"observed moments (df = {df}); no fit indices and no standard errors are reported")
        warn_list.append(msg)
        _warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=4)
    elif df == 0:
        for k in list(fitm):
            if k.startswith(_INDEX_PREFIXES) or k.startswith(tuple("baseline_" + p for p in _INDEX_PREFIXES)):
                fitm[k] = float("nan")
        warn_list.append("the model is saturated (df = 0): it fits perfectly by construction; CFI, TLI and "
                         "RMSEA are undefined and not reported")


def blank_fixed(table, not_identified=False):
    """Blank (NaN; null in JSON) the SE, z, p-value and CI of fixed parameters, as lavaan's summary
    does; of every parameter when the model is not identified (lavaan: SEs NA)."""
    rows = ~table["free"].astype(bool) & (table["op"] != ":=")
    if not_identified:
        rows[:] = True
    table.loc[rows, ["se", "z", "pvalue", "ci_lower", "ci_upper"]] = np.nan


def _resid_by_group(engine, theta):
    out = []
    for gm in engine.groups:
        A, S, m = gm.matrices(theta)
        out.append(S)
    return out


def _fixed_value(r, engine, pt):
    if r.fixed_x:
        g = r.group - 1
        d = engine.data[g]
        pos = {v: i for i, v in enumerate(pt.ov)}
        if r.op == "~~":
            return float(d.cov[pos[r.lhs], pos[r.rhs]])
        return float(d.mean[pos[r.lhs]])
    return 0.0 if r.value is None else float(r.value)


def ml_vcov(engine, theta, warn_list=None):
    """Inverse expected information / N (lavaan's default ML standard errors)."""
    if engine.q == 0:
        return np.zeros((0, 0))
    info = engine.information(theta)
    if info is None:
        return None
    try:
        vals = np.linalg.eigvalsh(info)
        if vals.min() <= 1e-10 * max(vals.max(), 1e-300):
            if warn_list is not None:
                warn_list.append("the information matrix is singular: the model may not be identified; "
                                 "standard errors are unreliable")
            _warnings.warn("singular information matrix", NonPositiveDefiniteWarning, stacklevel=4)
            return np.linalg.pinv(info) / engine.ntotal
        return np.linalg.inv(info) / engine.ntotal
    except np.linalg.LinAlgError:
        return None


def _r2(pt, engine, theta, labels):
    import pandas as pd

    names = pt.ov + pt.lv
    pos = {v: i for i, v in enumerate(names)}
    endo = []
    for r in pt.rows:
        if r.group != 1:
            continue
        if r.op == "=~" and r.rhs not in endo:
            endo.append(r.rhs)
        if r.op == "~" and r.lhs not in endo:
            endo.append(r.lhs)
    out = []
    for g, lab in enumerate(labels):
        A, S, m = engine.groups[g].matrices(theta)
        IA = np.linalg.inv(np.eye(len(names)) - A)
        tot = IA @ S @ IA.T
        for v in endo:
            i = pos[v]
            out.append({"group": g + 1, "group_label": None if lab is None else str(lab), "variable": v,
                        "r2": float(1 - S[i, i] / tot[i, i]) if tot[i, i] > 0 else float("nan")})
    return pd.DataFrame(out, columns=["group", "group_label", "variable", "r2"])


def _check_solution(pt, table, engine, theta, gdata, warn_list, arrays=None):
    if arrays is None:
        arrays = {k: table[k].to_numpy() for k in ("op", "lhs", "rhs", "est", "group", "free", "std_all")}
    op, lhs, rhs = arrays["op"], arrays["lhs"], arrays["rhs"]
    est, grp, free, std_all = arrays["est"], arrays["group"], arrays["free"], arrays["std_all"]
    neg = np.flatnonzero((op == "~~") & (lhs == rhs) & free & (est < 0))
    for k in neg:
        msg = f"Heywood case: negative variance {lhs[k]} ~~ {rhs[k]} = {est[k]:.4f} (group {grp[k]})"
        warn_list.append(msg)
        _warnings.warn(msg, HeywoodCaseWarning, stacklevel=4)
    with np.errstate(invalid="ignore"):
        big = np.flatnonzero((op == "=~") & (np.abs(std_all) > 1))
    for k in big:
        msg = f"Heywood case: standardised loading {lhs[k]} =~ {rhs[k]} = {std_all[k]:.3f} > 1 (group {grp[k]})"
        warn_list.append(msg)
        _warnings.warn(msg, HeywoodCaseWarning, stacklevel=4)
    m = len(pt.lv)
    for g, gm in enumerate(engine.groups):
        A, S, _ = gm.matrices(theta)
        if m:
            psi = S[gm.p:, gm.p:]
            if np.linalg.eigvalsh(psi).min() < -1e-10:
                msg = f"the covariance matrix of the latent variables is not positive definite (group {g + 1})"
                warn_list.append(msg)
                _warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=4)
        if not np.isfinite(gdata[g].logdet_cov):
            msg = f"the sample covariance matrix is not positive definite (group {g + 1})"
            warn_list.append(msg)
            _warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=4)
