"""``rsnprop.sem.fit``: one entry point for CFA / SEM / multigroup models.

:func:`fit` checks the options, calls one estimator (:mod:`rsnprop.sem.ml`,
:mod:`rsnprop.sem.fiml` or :mod:`rsnprop.sem.ordinal`; the protocol is
:mod:`rsnprop.sem.estimate`), assembles the result (:mod:`rsnprop.sem.assemble`), then
bootstraps it when asked (:mod:`rsnprop.sem.bootstrap`).  The estimators never call back here.

Missing data
    ``missing="auto"`` (default, see ``docs/missing-data.md``): full-information ML (lavaan
    ``missing = "ml"``) for ML/MLR fits when a model variable has a missing value, else the
    complete data (lavaan's default call); ordinal indicators (WLSMV) use the complete cases,
    as lavaan.  ``"fiml"`` always uses every available value (and a mean structure);
    ``"listwise"`` the complete cases.  The method used is ``res.missing``; ``res.n`` rows of
    ``res.n_total`` were used, per group ``res.n_per_group`` of ``res.n_total_per_group``, and a
    :class:`~rsnprop.errors.DataQualityWarning` (also in ``res.warnings``) says whenever rows
    were dropped.
Ordinal indicators
    ``estimator="WLSMV"``: ordinal indicators (``ordered``), polychoric correlations, DWLS with
    mean-and-variance adjusted (scaled-shifted) chi-square; single or multigroup (equal
    thresholds free the scaling factors and latent means of groups 2..G).  Naming only some of
    the observed variables in ``ordered`` mixes ordinal and continuous ones (as lavaan's
    ``ordered = c(...)``, single or multigroup): the continuous ones get intercepts, residual
    variances and Pearson or polyserial covariances inside the WLSMV statistics and their NACOV;
    ``"thresholds"`` or ``"intercepts"`` in ``group_equal`` equates both the thresholds and the
    continuous variables' intercepts (as lavaan 0.6-14).  ``parameterization="delta"``: the
    latent responses have unit variance, scaling factors ``~*~`` are parameters; ``"theta"``:
    their residual variances are parameters (1 in group 1 and, unless thresholds are equal, in
    every group; ``group_equal`` ``"residuals"`` keeps them 1 in every group: strict
    invariance), the scaling factors follow from the model.  Same fit, estimates on another
    scale.
Bootstrap
    With ``bootstrap`` draws, ``se`` and the CIs of the table come from the bootstrap
    (percentile); ``res.bootstrap["intervals"]`` also has the bias-corrected (lavaan
    ``"bca.simple"``) and BCa (jackknife acceleration) limits.  Complete data (ML/MLR), FIML and
    WLSMV (every draw recomputes thresholds, polychoric correlations and weights; draws with an
    empty category are dropped, as lavaan does; BCa without acceleration for FIML and WLSMV).
    ``bootstrap_type="bollen.stine"`` puts its p-value in ``res.fit["bollen_stine_pvalue"]``
    (the bootstrap chi-squares in ``res.boot_chi2``).  With missing data (FIML) the data are
    transformed as semTools' ``bsBootMiss(transformation = 2)`` does (Savalei & Yuan 2009;
    lavaan has no Bollen-Stine bootstrap for missing data) and every draw is refitted by FIML.
    ``n_jobs`` worker processes (joblib) start only when the estimated work exceeds five seconds
    (starting them costs about a second).

Examples
--------
>>> import pandas as pd
>>> from rsnprop.sem import fit
>>> from rsnprop.datasets import holzinger_swineford
>>> hs = holzinger_swineford()

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

from __future__ import annotations

import copy as _copy
import warnings as _warnings

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, InputError, ModelSyntaxError
from .assemble import assemble_result, blank_fixed  # noqa: F401  (blank_fixed: importable here, as before)
from .data import prepare_data
from .frame_arrays import frame_arrays
from .engine import GroupData
from .ml import estimate_ml, fit_core, ml_vcov  # noqa: F401  (fit_core, ml_vcov: importable here, as before)
from .moments import moments_groups
from .partable import build_partable

__all__ = ["fit", "fit_estimates"]

ESTIMATORS = ("ML", "MLR", "WLSMV", "DWLS")


def fit(model: str, data=None, *, group: str | None = None, group_equal=(), group_partial=(),
        estimator: str = "ML", missing: str = "auto", ordered=None, std_lv: bool = False,
        meanstructure: bool | None = None, bootstrap: int = 0, bootstrap_type: str = "nonparametric",
        seed=None, n_jobs=None, progress: bool = False, level: float = 0.95,
        parameterization: str = "delta", sample_cov=None, sample_nobs=None, sample_mean=None,
        sample_sd=None, se: str = "standard"):
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
        ``"WLSMV"``: ordinal indicators (module docstring, *Ordinal indicators*).
    missing : {"auto", "fiml", "listwise"}
        ``"auto"`` (default): full-information ML (lavaan ``missing = "ml"``) for ML/MLR fits
        when a model variable has a missing value, else the complete data; ``"fiml"`` always
        every available value, ``"listwise"`` the complete cases (module docstring, *Missing data*).
    ordered : list of str or True, optional
        Ordinal indicators (``True``: every observed variable; naming only some mixes ordinal and
        continuous ones, as lavaan's ``ordered = c(...)``).
    std_lv : bool
        Identify factors by fixing their variances to 1 instead of the first loading.
    meanstructure : bool, optional
        Model means/intercepts; default on for multigroup models and FIML, as in lavaan.
    bootstrap : int
        Number of bootstrap draws (0: none): ``se`` and the CIs of the table then come from the
        bootstrap (percentile; module docstring, *Bootstrap*).
    bootstrap_type : {"nonparametric", "bollen.stine"}
        Bollen-Stine puts its p-value in ``res.fit["bollen_stine_pvalue"]``.
    seed : int, optional
        Seed of the bootstrap (results do not depend on ``n_jobs``).
    n_jobs : int, optional
        Parallel workers for the bootstrap (``None``: 1).
    progress : bool
        Show a progress bar during the bootstrap.
    level : float
        Confidence level of ``ci_lower``/``ci_upper``.
    parameterization : {"delta", "theta"}
        Ordinal indicators only (lavaan's ``parameterization``; module docstring).
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
    se : {"standard", "none"}
        ``"none"`` (lavaan's ``se = "none"``; ML only): no standard errors (NaN ``se``, z, p, CIs),
        nor, with FIML, robust CFI/TLI/RMSEA; the same estimates and standard fit measures.

    Returns
    -------
    SEMResult

    Examples
    --------
    >>> from rsnprop.sem import fit
    >>> from rsnprop.datasets import holzinger_swineford
    >>> hs = holzinger_swineford()
    >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9", hs)
    >>> round(res.fit["chi2"], 3), res.fit["df"], round(res.fit["cfi"], 3)
    (85.306, 24, 0.931)

    The same numbers in R: ``fitMeasures(cfa(model, data = HolzingerSwineford1939),
    c("chisq", "df", "cfi"))``.

    More examples (ordinal indicators, groups, a covariance matrix): the module docstring.
    """
    estimator = str(estimator).upper()
    if sample_cov is not None:
        return _fit_moments(model, data, sample_cov, sample_nobs, sample_mean, sample_sd, group=group,
                            group_equal=group_equal, group_partial=group_partial, estimator=estimator,
                            std_lv=std_lv, meanstructure=meanstructure, ordered=ordered, bootstrap=bootstrap,
                            missing=missing, level=level)
    estimator, missing, group_equal, group_partial = _checked_options(
        model, data, estimator=estimator, missing=missing, group_equal=group_equal, group_partial=group_partial,
        bootstrap=bootstrap, bootstrap_type=bootstrap_type, ordered=ordered, parameterization=parameterization, se=se)
    if estimator in ("WLSMV", "DWLS"):
        from .ordinal import estimate_ordinal

        est = estimate_ordinal(model, data, ordered=ordered, group=group, group_equal=group_equal,
                               group_partial=group_partial, std_lv=std_lv, estimator=estimator,
                               parameterization=parameterization)
        method = "listwise"  # WLSMV uses the complete cases, as lavaan
    else:
        est, method = _estimate_continuous(model, data, group=group, group_equal=group_equal,
                                           group_partial=group_partial, estimator=estimator, missing=missing,
                                           std_lv=std_lv, meanstructure=meanstructure, se=se)
    res = assemble_result(est, level=level, model=model)
    if bootstrap:
        from .bootstrap import bootstrap_result

        bootstrap_result(res, est.data, R=int(bootstrap), kind=bootstrap_type, seed=seed, n_jobs=n_jobs,
                         progress=progress, level=level)
    return _sample_sizes(res, data, group, method, missing)


def fit_estimates(model, data, *, group, group_equal=(), group_partial=(), missing="auto", std_lv=False,
                  previous=None, memo=None):
    """An ML fit for a decision by score tests (:func:`rsnprop.sem.invariance` with
    ``detail=False``): the estimates only.  As ``fit(..., se="none")`` but, with missing values
    (FIML), without the saturated and baseline models (``chi2``, ``cfi``, ``tli``, ``rmsea``,
    ``srmr`` and ``loglik`` NaN); the estimates table and R-squared are built when first read;
    ``previous`` (an :class:`SEMResult` of a nested model of the same data, e.g. the previous
    step) gives the start values of the parameters it has (a warm start: fewer iterations, the
    same maximum to the optimiser's tolerance, so the estimates differ in their last digits).
    ``memo``: a dict kept between fits of the same ``model``, ``data``, ``group`` and
    ``missing`` (the steps of a sequence): the data arrays are prepared once.

    >>> from rsnprop.datasets import holzinger_swineford
    >>> m = "visual =~ x1 + x2 + x3"
    >>> r0 = fit_estimates(m, holzinger_swineford(), group="school")
    >>> r1 = fit_estimates(m, holzinger_swineford(), group="school", group_equal=["loadings"], previous=r0)
    >>> r2 = fit(m, holzinger_swineford(), group="school", group_equal=["loadings"])
    >>> bool(abs(r1.theta - r2.theta).max() < 1e-6), r1.fit["df"] == r2.fit["df"]
    (True, True)

    In R: ``cfa(model, data, group = "school", group.equal = "loadings", se = "none", start = r0)``.
    """
    estimator, missing, group_equal, group_partial = _checked_options(
        model, data, estimator="ML", missing=missing, group_equal=group_equal, group_partial=group_partial,
        bootstrap=0, bootstrap_type="nonparametric", ordered=None, parameterization="delta", se="none")
    start = None if previous is None else (previous.partable, previous.theta)
    est, method = _estimate_continuous(model, data, group=group, group_equal=group_equal,
                                       group_partial=group_partial, estimator=estimator, missing=missing,
                                       std_lv=std_lv, meanstructure=None, se="none", lean=True, previous=start,
                                       memo=memo)
    return _sample_sizes(assemble_result(est, level=0.95, model=model, lazy=True), data, group, method, missing,
                         memo=memo)


def _names(value):
    """``group_equal`` / ``group_partial`` given as one comma-separated string: a list."""
    if isinstance(value, str):
        return [g.strip() for g in value.split(",") if g.strip()]
    return value


def _checked_options(model, data, *, estimator, missing, group_equal, group_partial, bootstrap, bootstrap_type,
                     ordered, parameterization, se="standard"):
    """Check the options of a fit to raw data (InputError / ModelSyntaxError as soon as one is
    wrong); return ``(estimator, missing, group_equal, group_partial)`` normalised: ``"ML"`` becomes
    ``"WLSMV"`` with ordinal indicators, ``missing="ml"`` is ``"fiml"``."""
    if data is None:
        raise InputError("give the data (or a sample covariance matrix with sample_cov=)", parameter="data")
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {', '.join(ESTIMATORS)}", parameter="estimator", value=estimator)
    if missing == "ml":
        missing = "fiml"
    if missing not in ("auto", "listwise", "fiml"):
        raise InputError("missing must be 'auto', 'fiml' or 'listwise'", parameter="missing", value=missing)
    group_equal, group_partial = _names(group_equal), _names(group_partial)
    if bootstrap and (not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0):
        raise InputError("bootstrap must be a non-negative integer", parameter="bootstrap", value=bootstrap)
    if bootstrap_type not in ("nonparametric", "bollen.stine"):
        raise InputError("bootstrap_type must be 'nonparametric' or 'bollen.stine'", parameter="bootstrap_type",
                         value=bootstrap_type)
    if not isinstance(model, str):
        raise ModelSyntaxError("model must be a string of lavaan syntax", parameter="model", value=type(model).__name__)
    # ordinal indicators (ordered=True: every observed variable of the model)
    if ordered is True or bool(list(ordered or [])):
        if estimator == "MLR":
            raise InputError("ordered indicators need estimator='WLSMV'", parameter="estimator", value=estimator)
        estimator = "WLSMV" if estimator == "ML" else estimator
    elif estimator in ("WLSMV", "DWLS"):
        raise InputError("estimator WLSMV is for ordinal indicators: name them with ordered=[...] "
                         "(or ordered=True)", parameter="ordered", value=None)
    if estimator in ("WLSMV", "DWLS"):
        if missing == "fiml":
            raise InputError("full-information ML is not available for ordinal indicators (WLSMV uses the "
                             "complete cases, as lavaan); use missing='auto' or 'listwise'", parameter="missing",
                             value=missing)
        if bootstrap and bootstrap_type == "bollen.stine":
            raise InputError("the Bollen-Stine bootstrap is not implemented for ordinal indicators (WLSMV); "
                             "use the nonparametric bootstrap", parameter="bootstrap_type", value=bootstrap_type)
    elif parameterization != "delta":
        raise InputError("parameterization is for ordinal indicators (ordered=[...])", parameter="parameterization",
                         value=parameterization)
    if se not in ("standard", "none") or (se == "none" and (estimator != "ML" or bootstrap)):
        raise InputError("se must be 'standard', or 'none' with estimator='ML' and no bootstrap", parameter="se",
                         value=se)
    return estimator, missing, group_equal, group_partial


def _estimate_continuous(model, data, *, group, group_equal, group_partial, estimator, missing, std_lv,
                         meanstructure, se="standard", lean=False, previous=None, memo=None):
    """ML/MLR of the complete cases, or FIML when ``missing`` asks for it and a value is missing:
    ``(Estimate, the missing-data method used)``; ``lean``, ``previous``, ``memo``: :func:`fit_estimates`."""
    columns = list(getattr(data, "columns", []))
    if group is not None and group not in columns:
        raise InputError("group column not found in the data", column=group, parameter="group")
    if memo is not None and "prepared" in memo:
        probe, missing, arrays, labels, n_dropped = memo["prepared"]
    else:
        # first pass to learn the observed variables
        probe = build_partable(model, ngroups=1, data_columns=[c for c in columns if c != group], probe=True)
        if missing == "auto":
            missing = "fiml" if _incomplete(data, probe.ov, group) else "listwise"
        found = None if memo is None else frame_arrays(data, probe.ov, group, missing)   # the frame's builder's
        if found is not None:
            memo["totals"] = found[3]                 # the group counts of _sample_sizes
        arrays, labels, n_dropped = found[:3] if found else prepare_data(data, probe.ov, group=group, missing=missing)
        if memo is not None:
            memo["prepared"] = (probe, missing, arrays, labels, n_dropped)
    if meanstructure is None:
        # lavaan: on for multigroup models, FIML, or when the model mentions intercepts
        meanstructure = len(labels) > 1 or missing == "fiml" or any(r.op == "~1" for r in probe.rows)
    if len(labels) == 1 and not std_lv and not meanstructure and not group_partial and "c(" not in model:
        pt = probe  # same options: no need to build it again
    else:
        pt = (_lean_partable if lean else build_partable)(
            model, ngroups=len(labels), std_lv=std_lv, meanstructure=bool(meanstructure), group_equal=group_equal,
            group_partial=group_partial, data_columns=[c for c in columns if c != group])
    if missing == "fiml" and any(np.isnan(a).any() for a in arrays):
        from .fiml import estimate_fiml

        return estimate_fiml(pt, arrays, labels, estimator=estimator, n_dropped=n_dropped, se=se, lean=lean,
                             previous=previous), "fiml"
    gdata = [GroupData.from_array(a) for a in arrays]
    return estimate_ml(pt, gdata, labels, estimator=estimator, arrays=arrays, n_dropped=n_dropped,
                       se=se, previous=previous), missing


#: the parameter tables of the last lean fits, by their options (a power replication fits the
#: same steps of the same model every time)
_LEAN_TABLES: dict = {}


def _lean_partable(model, **kw):
    """:func:`build_partable` for a lean fit (:func:`fit_estimates`): a copy of the table built for
    the same model and options before (its rows copied: a fit may write to its table)."""
    key = (model, repr(sorted((k, list(v) if isinstance(v, (list, tuple)) else v) for k, v in kw.items())))
    pt = _LEAN_TABLES.get(key)
    if pt is None:
        if len(_LEAN_TABLES) >= 32:
            _LEAN_TABLES.clear()
        pt = _LEAN_TABLES[key] = build_partable(model, **kw)
        pt.kept_structure = []      # its rows' structure, shared by its copies (assemble._row_structure)
    out = _copy.copy(pt)
    out.rows = [_row_copy(r) for r in pt.rows]
    out.check_structure = (pt.kept_structure, out.rows)       # valid while the copy has these rows
    for name in ("ov", "lv", "ov_x", "definitions", "constraints", "equalities"):
        setattr(out, name, list(getattr(pt, name)))
    return out


def _row_copy(row):
    """A shallow copy of a table row (its fields are plain values)."""
    new = object.__new__(type(row))
    new.__dict__ = row.__dict__.copy()         # (0.26 us a row against 0.46 for an update)
    return new


def _fit_moments(model, data, sample_cov, sample_nobs, sample_mean, sample_sd, *, group, group_equal,
                 group_partial, estimator, std_lv, meanstructure, ordered, bootstrap, missing, level):
    """:func:`fit` from summary statistics (lavaan's ``sample.cov``, ``sample.nobs``, ``sample.mean``)."""

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
    group_equal, group_partial = _names(group_equal), _names(group_partial)
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
    res = assemble_result(estimate_ml(pt, gdata, labels, estimator="ML"), level=level, model=model)
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


def _sample_sizes(res, data, group, missing, requested, memo=None):
    """Record rows used / rows given (in total and per group, lavaan's "Used / Total") and the
    missing-data method; warn (DataQualityWarning and ``res.warnings``) when rows were dropped
    (``memo``: :func:`fit_estimates`'s, the group counts of the data counted once)."""

    n_total = int(len(data))
    if group is None:
        totals = {res.groups[0]: n_total}
    elif memo is not None and "totals" in memo:
        totals = memo["totals"]
    else:
        codes, uniques = pd.factorize(data[group], use_na_sentinel=True)
        counts = np.bincount(np.asarray(codes)[np.asarray(codes) >= 0], minlength=len(uniques))
        labels = [u.item() if hasattr(u, "item") else u for u in uniques]
        totals = dict(zip(labels, (int(c) for c in counts)))
        if memo is not None:
            memo["totals"] = totals
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
