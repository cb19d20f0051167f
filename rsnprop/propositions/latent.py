"""Latent version: multigroup SEM (born global vs traditional) behind an invariance gate.

Model: ``relational =~ rel_*`` and ``informational =~ inf_*`` (items of the plan's benefit
constructs), groups = the born-global column.  :func:`rsnprop.sem.invariance` tests
configural -> metric -> scalar (-> strict); latent means are compared only when the level
the plan requires (``latent.required_invariance``, default scalar) holds.  The contrast is

``(kappa_rel - kappa_inf | born global) - (kappa_rel - kappa_inf | traditional)``

(latent means of the traditional group fixed at 0, loadings and intercepts equal, freed
intercepts of a partial-scalar solution kept free), the latent analogue of the
interaction; its SE comes from the covariance matrix of the estimates (R:
``lavaan::cfa(..., group.equal = c("loadings", "intercepts"))`` then the contrast of the
two latent means with ``vcov(fit)``); ``p_value`` is one-sided (z) in the expected direction.  A within-group latent "relational minus informational" is not identified
without assuming the two scales share an origin, so it is not reported.

Whatever goes wrong (the SEM module missing, non-convergence, invariance not reached) the
result is an evidence row with ``status`` "not_interpretable", "not_available" or "failed"
and a note: the latent test never stops the analysis.

Examples
--------
>>> import pandas as pd
>>> row = latent_interaction(pd.DataFrame({"bg": [0, 1]}), relational_items=[],
...                          informational_items=[], group="bg")
>>> row["status"]
'not_available'
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..distributions import norm_cdf, norm_ppf, norm_sf
from ..sem import fit
from .paired import evidence_row as base

__all__ = ["latent_interaction", "latent_model"]

_LEVELS = {"configural": 0, "metric": 1, "partial_scalar": 1.5, "scalar": 2, "strict": 3}


def _row(**kw):
    r = base("latent mean difference (multigroup SEM)", **kw)
    r["group"] = "born_global vs traditional"
    return r


def _get_invariance():
    """``rsnprop.sem.invariance``, or None when the SEM module is not installed."""
    try:
        from ..sem import invariance
    except ImportError:
        return None
    return invariance


def latent_model(relational_items, informational_items) -> str:
    """lavaan syntax of the two-factor measurement model."""
    return (f"relational =~ {' + '.join(relational_items)}\n"
            f"informational =~ {' + '.join(informational_items)}\n")


def _level_rank(level) -> float:
    if not level:
        return -1
    level = str(level)
    if level in _LEVELS:
        return _LEVELS[level]
    if level.startswith("partial_"):
        base = level[len("partial_"):]
        return _LEVELS.get(base, 0) - 0.5
    return -1


def latent_interaction(data, *, relational_items, informational_items, group, sign=1,
                       required="scalar", estimator="ML", missing="listwise", measurement=None):
    """Latent mean contrast between groups behind the invariance gate (see module doc).

    ``measurement``: the check of the plan's ``partial`` non-invariance policy
    (:func:`rsnprop.propositions.measurement.check_measurement`); when given, its level is the
    gate (partial scalar is enough when every scale keeps enough invariant items) and the
    contrast model frees its flagged parameters (lavaan's ``group.partial``)."""

    if len(relational_items) < 2 or len(informational_items) < 2:
        return _row(status="not_available", note="fewer than 2 items per benefit factor in the data")
    invariance = _get_invariance()
    if invariance is None:
        return _row(status="not_available", note="rsnprop.sem.invariance is not available")
    cols = [*relational_items, *informational_items, group]
    sub = data[cols].copy()
    if missing == "listwise":
        sub = sub.dropna()
    sub[group] = sub[group].astype(int)
    # groups are taken in order of first appearance: traditional (0) first = reference group
    sub = sub.sort_values(group, kind="stable").reset_index(drop=True)
    model = latent_model(relational_items, informational_items)
    if measurement is not None:
        return _partial_contrast(sub, model, group, measurement, estimator=estimator, missing=missing,
                                 sign=sign)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            inv = invariance(model, sub, group, estimator=estimator, missing=missing,
                             partial_search=required == "partial_scalar")
        d = inv.to_dict() if hasattr(inv, "to_dict") else dict(inv)
    except Exception as err:  # noqa: BLE001 - a failing latent model must not stop the verdicts
        return _row(n=len(sub), status="failed", note=f"invariance testing failed: {type(err).__name__}: {err}")
    level = d.get("level")
    warn = [str(w.message) for w in caught]
    if _level_rank(level) < _level_rank(required):
        return _row(n=len(sub), status="not_interpretable",
                    note=f"invariance level reached: {level!r}; {required!r} is required to compare latent means",
                    invariance_level=level, warnings=warn)
    freed = []
    for step in d.get("steps") or []:
        if str(step.get("name", "")).endswith("scalar"):
            freed = list(step.get("freed") or [])
    try:
        row = _contrast_fit(sub, model, group, freed=freed, estimator=estimator, missing=missing, sign=sign)
    except Exception as err:  # noqa: BLE001
        return _row(n=len(sub), status="failed", invariance_level=level,
                    note=f"invariance level {level}; latent-mean model failed: {type(err).__name__}: {err}")
    row.update(invariance_level=level, warnings=warn + row.get("warnings", []))
    row["note"] = (f"invariance level {level} (required: {required}); traditional group = reference; "
                   + row["note"])
    return row


def _partial_contrast(sub, model, group, check, *, estimator, missing, sign):
    """The contrast under the ``partial`` policy: the check's level gates, its freed
    parameters stay free."""
    level, freed = check["level"], list(check["freed"])
    ok = all(s["partial_ok"] for s in check["scales"].values())
    if _level_rank(level) < _level_rank("partial_" + check["required"]) or not ok:
        return _row(n=len(sub), status="not_interpretable", invariance_level=level,
                    note=f"invariance level reached: {level!r} (score tests, {check['rule']}); partial "
                         f"{check['required']} invariance with enough invariant items is required")
    try:
        row = _contrast_fit(sub, model, group, freed=freed, estimator=estimator, missing=missing, sign=sign)
    except Exception as err:  # noqa: BLE001
        return _row(n=len(sub), status="failed", invariance_level=level,
                    note=f"invariance level {level}; latent-mean model failed: {type(err).__name__}: {err}")
    row.update(invariance_level=level)
    row["note"] = (f"invariance level {level} (score tests; non-invariance policy 'partial'); traditional "
                   "group = reference; " + row["note"])
    return row


def _contrast_fit(sub, model, group, *, freed, estimator, missing, sign):
    """Scalar-invariant model; contrast of the born globals' latent means, SE from the
    covariance matrix of the free parameters (``res.vcov``, as lavaan's ``vcov(fit)``)."""

    res = fit(model, sub, group=group, group_equal=("loadings", "intercepts"),
              group_partial=tuple(freed), estimator=estimator, missing=missing)
    warn = [str(w) for w in getattr(res, "warnings", []) or []]
    if not getattr(res, "converged", True):
        return _row(n=int(res.n), status="failed", note="latent-mean model did not converge", warnings=warn)
    est = res.estimates
    g2 = sorted(est["group"].unique())[-1]
    sel = est[(est["op"] == "~1") & (est["group"] == g2)].set_index("lhs")
    k_rel, k_inf = float(sel.loc["relational", "est"]), float(sel.loc["informational", "est"])
    rows = est[(est["op"] == "~1") & (est["group"] == g2)]
    idx = {r.lhs: k for k, r in zip(rows.index, rows.itertuples())}
    # parameter index of a table row (rsnprop.sem keeps lavaan's partable order; ``par`` is
    # the position in theta / vcov, shared by parameters constrained equal)
    i_rel = res.partable.rows[idx["relational"]].par
    i_inf = res.partable.rows[idx["informational"]].par
    V = np.asarray(res.vcov, dtype=float)
    if not (np.isclose(math.sqrt(V[i_rel, i_rel]), float(sel.loc["relational", "se"]))
            and np.isclose(math.sqrt(V[i_inf, i_inf]), float(sel.loc["informational", "se"]))):
        raise RuntimeError("cannot locate the latent means in the covariance matrix")
    a = np.zeros(V.shape[0])
    a[i_rel] += 1.0
    a[i_inf] -= 1.0
    se = float(math.sqrt(max(a @ V @ a, 0.0)))
    e = sign * (k_rel - k_inf)
    z = e / se if se > 0 else math.nan
    half = norm_ppf(0.975) * se
    return _row(n=int(res.n), estimate=e, ci_lower=e - half, ci_upper=e + half, ci_level=0.95, statistic=z,
                statistic_name="z", p_value=float(norm_sf(z)), p_opposite=float(norm_cdf(z)),
                se=se, note=f"estimator {estimator}, missing {missing}"
                + (f", freed: {', '.join(freed)}" if freed else ""), warnings=warn,
                latent_means={"relational": k_rel, "informational": k_inf})
