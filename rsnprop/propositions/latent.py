"""Latent version: multigroup SEM (born global vs traditional) behind an invariance gate.

Model: ``relational =~ rel_*`` and ``informational =~ inf_*`` (items of the plan's benefit
constructs), groups = the born-global column.  :func:`rsnprop.sem.invariance` tests
configural -> metric -> scalar (-> strict); latent means are compared only when the level
the plan requires (``latent.required_invariance``, default scalar) holds.  The contrast is

``(kappa_rel - kappa_inf | born global) - (kappa_rel - kappa_inf | traditional)``

(latent means of the traditional group fixed at 0), the latent analogue of the
interaction.  A within-group latent "relational minus informational" is not identified
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

__all__ = ["latent_interaction", "latent_model"]

_LEVELS = {"configural": 0, "metric": 1, "partial_scalar": 1.5, "scalar": 2, "strict": 3}


def _row(**kw):
    from .paired import _row as base

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
                       required="scalar", estimator="ML", missing="listwise"):
    """Latent mean contrast between groups behind the invariance gate (see module doc)."""
    import warnings

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
    model = latent_model(relational_items, informational_items)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            inv = invariance(model, sub, group)
        d = inv.to_dict() if hasattr(inv, "to_dict") else dict(inv)
    except Exception as err:  # noqa: BLE001 - a failing latent model must not stop the verdicts
        return _row(n=len(sub), status="failed", note=f"invariance testing failed: {type(err).__name__}: {err}")
    level = d.get("level")
    warn = [str(w.message) for w in caught]
    if _level_rank(level) < _level_rank(required):
        return _row(n=len(sub), status="not_interpretable",
                    note=f"invariance level reached: {level!r}; {required!r} is required to compare latent means",
                    invariance_level=level, warnings=warn)
    means = d.get("latent_means") or {}
    try:
        keys = sorted(means, key=str)
        g1 = next(k for k in keys if str(k) in ("1", "1.0", "True", "born_global"))
        g0 = next(k for k in keys if str(k) in ("0", "0.0", "False", "traditional"))
        c1 = means[g1]["relational"] - means[g1]["informational"]
        c0 = means[g0]["relational"] - means[g0]["informational"]
    except (StopIteration, KeyError, TypeError) as err:
        return _row(n=len(sub), status="failed", note=f"latent means not reported as expected ({err!r})",
                    invariance_level=level)
    est = sign * float(c1 - c0)
    return _row(n=len(sub), estimate=est, status="ok", p_value=None,
                note=f"invariance level {level}; latent means (traditional = reference); no SE from "
                     "the invariance summary, so this row does not enter the decision",
                invariance_level=level, warnings=warn)
