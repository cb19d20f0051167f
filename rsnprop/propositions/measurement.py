"""What measurement non-invariance does to the verdicts (the plan's ``measurement:`` section).

Before the verdicts are final, the benefit items are checked for measurement invariance
between born globals and traditional firms: a two-factor CFA (``relational =~`` the items of
the relational constructs, ``informational =~`` the informational ones), groups = the
born-global column, the sequence configural -> metric -> scalar of
:func:`rsnprop.sem.invariance` with ``rule="score"``: a step fails when a score test of one of
its equality constraints (:func:`rsnprop.sem.scoretest.score_tests`, lavaan's
``lavTestScore``) is significant after the plan's ``measurement.correction`` (Holm) at
``measurement.alpha``; non-invariant parameters are located by freeing the flagged constraint
with the largest score statistic, refitting, and testing again (``locate: score``; ``lrt``:
the likelihood-ratio search).  An item with a freed loading or intercept is *set aside*.

Policies (``measurement.policy``)
---------------------------------
``partial`` (default)
    The propositions are tested again on the invariant part: scale scores without the items
    set aside (mean of the remaining items, same minimum share of answered items); the latent
    cross-check frees the flagged parameters.  The verdict is the one on the invariant part
    and names the items set aside.  When a scale keeps fewer than
    ``measurement.min_invariant_items`` (2) invariant items or more than
    ``measurement.max_set_aside_share`` (half) of its items are set aside (the invariant items
    must stay the majority, else the search may have anchored on the deviant ones), or the search ends without
    reaching even partial invariance at the required level, partial invariance is not
    established and every verdict relying on it becomes ``inconclusive``.
``inconclusive``
    Any verdict relying on a scale whose required level (``required_invariance``) fails
    becomes ``inconclusive``, with the reason "measurement not invariant".
``report_only``
    The verdicts are those of all items; the invariance level is reported only (the
    behaviour before the policy existed).

Every proposition compares the relational with the informational scale, so every verdict
relies on both.  When the check cannot be run (no item columns, fewer than 2 items per
scale, a group too small, a model that fails) the verdicts are left as they are and the
reason is given (``status`` "not_available" or "failed").

Examples
--------
>>> import pandas as pd
>>> from rsnprop.propositions.plan import StudyPlan
>>> chk = check_measurement(pd.DataFrame({"bg_ms20": [0, 1]}), StudyPlan(name="demo"))
>>> chk["status"], chk["level"]
('not_available', None)
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import warnings

import numpy as np
import pandas as pd

from ..sem import invariance
from ..sem.frame_arrays import keep_frame_arrays
from .latent import latent_model
from .prepare import items_of

__all__ = ["check_measurement", "invariant_part", "apply_policy", "benefit_items", "POLICIES", "verdicts_only"]

POLICIES = ("partial", "inconclusive", "report_only")
_RANK = {"none": -1, "configural": 0, "partial_metric": 0.5, "metric": 1, "partial_scalar": 1.5,
         "scalar": 2}


#: False inside :func:`verdicts_only`: the checks run only the score tests the verdicts use
_DETAIL = contextvars.ContextVar("rsnprop_measurement_detail", default=True)


@contextlib.contextmanager
def verdicts_only():
    """Within this block :func:`check_measurement` computes only what the verdicts use: the
    univariate score tests of each step (no total and cumulative tests, which the rule and the
    partial search never read; their entries in ``steps`` are NaN and empty).  The level, the
    constraints freed, the items set aside and the verdicts are the same; the Monte Carlo power of
    the pipeline (:mod:`rsnprop.power.pipeline`) runs its replications this way.

    >>> with verdicts_only():
    ...     _DETAIL.get()
    False
    """
    token = _DETAIL.set(False)
    try:
        yield
    finally:
        _DETAIL.reset(token)


def benefit_items(columns, plan) -> dict:
    """``{"relational": [items], "informational": [items]}`` present in ``columns``."""

    return {kind: [i for c in getattr(plan.benefits, kind) for i in items_of(columns, c)]
            for kind in ("relational", "informational")}


def _empty(plan, status, note, **kw):
    m = plan.measurement
    out = {"policy": m.policy, "required": m.required_invariance, "status": status, "note": note,
           "level": None, "held": None, "freed": [], "items_set_aside": [], "scales": {},
           "n": None, "n_total": None, "steps": [], "rule": None}
    out.update(kw)
    return out


def check_measurement(clean_df, plan, *, bg_definition=None) -> dict:
    """Invariance of the benefit items between the groups (see module docstring).

    Returns a dict: ``policy, required, status`` ("ok", "not_available", "failed"), ``note``,
    ``level`` (highest level held in sequence: configural, metric, partial_metric, scalar,
    partial_scalar), ``held`` (the required level holds without freeing anything),
    ``freed`` (constraints freed, lavaan's ``group.partial`` notation), ``items_set_aside``,
    ``scales`` ({kind: {"items", "set_aside", "invariant_items", "partial_ok"}}), ``n`` (firms
    in the model) of ``n_total`` (firms given with a group), ``steps`` (the invariance steps
    with their score tests), ``rule``.
    """

    m = plan.measurement
    bg = bg_definition or plan.born_global_definition
    names = clean_df.columns.tolist()       # the column names once (not an Index read per pattern)
    if bg not in names:
        return _empty(plan, "not_available", f"born-global column {bg!r} not in the data")
    items = benefit_items(names, plan)
    if min(len(v) for v in items.values()) < 2:
        return _empty(plan, "not_available", "fewer than 2 item columns per benefit scale in the data")
    cols = items["relational"] + items["informational"]
    sub, n_total = _model_rows(clean_df, cols, bg, m.missing)
    counts = np.unique(sub[bg].to_numpy(), return_counts=True)[1]     # the groups present (value_counts)
    if len(counts) < 2 or counts.min() < plan.min_group_size:
        return _empty(plan, "not_available", "a group has fewer firms than the plan's min_group_size",
                      n=int(len(sub)), n_total=n_total)

    levels = ("configural", "metric", "scalar")[: 1 + ("metric", "scalar").index(m.required_invariance) + 1]
    try:
        inv, caught = _run_check(latent_model(items["relational"], items["informational"]), sub, bg, levels, m,
                                 _DETAIL.get())
    except Exception as err:  # noqa: BLE001 - a failing check must not stop the verdicts
        return _empty(plan, "failed", f"invariance check failed: {type(err).__name__}: {err}",
                      n=int(len(sub)), n_total=n_total)
    return _summarise(plan, inv, items, len(sub), n_total, [str(w.message) for w in caught])


def _model_rows(clean_df, cols, bg, missing):
    """``(rows of the model, firms with a group)``: the item columns ``cols`` and the group column
    ``bg`` (as int) of the firms with a group (0/1) and, by ``missing``, every item (listwise) or
    at least one item (FIML) answered, sorted by group (stable: traditional = group 1), index
    0..n-1.  Float columns (the clean data's) are selected on their arrays: the same frame as
    pandas' selection, without a frame per step."""
    columns = [clean_df[c] for c in cols + [bg]]
    if not all(s.dtype == np.float64 for s in columns):
        sub = clean_df[cols + [bg]].copy()
        sub = sub[sub[bg].isin([0, 1, True, False])]
        n_total = int(len(sub))
        sub = sub.dropna() if missing == "listwise" else sub[sub[cols].notna().any(axis=1)]
        sub[bg] = sub[bg].astype(int)
        return sub.sort_values(bg, kind="stable").reset_index(drop=True), n_total
    x = np.column_stack([s.to_numpy() for s in columns])
    g = x[:, -1]
    keep = (g == 0) | (g == 1)
    n_total = int(keep.sum())
    answered = ~np.isnan(x[:, :-1])
    keep &= answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    x = x[keep]
    x = x[np.argsort(x[:, -1], kind="stable")]
    # one block of floats and the group, built from a dict (the same frame as setting the group
    # column on a frame of the floats, in 0.11 ms instead of 0.2); its array kept for the lean
    # fits' data arrays (rsnprop.sem.frame_arrays: not read again from the frame's columns)
    group = x[:, -1].astype(int)
    frame = pd.DataFrame({**dict(zip(cols, x[:, :-1].T)), bg: group})
    keep_frame_arrays(frame, cols, x[:, :-1], bg, group)
    return frame, n_total


def _run_check(model, sub, bg, levels, m, detail):
    """The invariance sequence of the check and the warnings it raised.  ``detail=False``
    (:func:`verdicts_only`): lean warm-started fits first (``invariance(..., detail=False)``),
    the full fits when one of its decisions is within rounding (``close_call``), so that the
    decisions are those of the full fits."""
    opts = dict(levels=levels, estimator="ML", missing=m.missing, rule="score", partial_search=True,
                locate=m.locate, correction=m.correction, alpha=m.alpha,
                se="none", cumulative=detail)      # judged by score tests: no SEs needed
    # lean fits have no chi-square: the likelihood-ratio search (locate: lrt) needs the full ones
    for lean in ((True, False) if not detail and m.locate == "score" else (False,)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            inv = invariance(model, sub, bg, detail=not lean, **opts)
        if not getattr(inv, "close_call", False):
            break
    return inv, caught


def _item_of(constraint: str) -> str:
    """``"rel_1~1"`` -> ``rel_1``; ``"relational=~rel_2"`` -> ``rel_2``."""
    return constraint.split("=~", 1)[1] if "=~" in constraint else constraint.split("~", 1)[0]


def _summarise(plan, inv, items, n, n_total, warn):
    m = plan.measurement
    steps = inv.steps
    freed = list(steps[-1].get("freed") or []) if steps else []
    aside = sorted({_item_of(c) for c in freed})
    scales = {}
    for kind, its in items.items():
        bad = [i for i in its if i in aside]
        scales[kind] = {"items": its, "set_aside": bad, "invariant_items": len(its) - len(bad),
                        "partial_ok": (len(its) - len(bad) >= m.min_invariant_items
                                       and len(bad) <= m.max_set_aside_share * len(its))}
    level = inv.level
    held = _RANK.get(level, -1) >= _RANK[m.required_invariance]
    short = [{k: s.get(k) for k in ("name", "held", "freed", "chi2", "df", "cfi", "rmsea", "srmr")}
             | {"score_tests": s.get("score_tests")} for s in steps]
    note = (f"invariance level held: {level} (required: {m.required_invariance}); "
            + (f"set aside: {', '.join(aside)}" if aside else "no item set aside"))
    return {"policy": m.policy, "required": m.required_invariance, "status": "ok", "note": note,
            "level": level, "held": bool(held), "freed": freed, "items_set_aside": aside,
            "scales": scales, "n": int(n), "n_total": int(n_total), "steps": short, "rule": inv.rule,
            "min_invariant_items": m.min_invariant_items, "max_set_aside_share": m.max_set_aside_share,
            "warnings": warn}


def invariant_part(clean_df, plan, set_aside):
    """The clean data without the items ``set_aside``: their columns dropped and the
    ``score_<construct>`` of the benefit constructs recomputed from the remaining items (mean
    of the answered ones, missing when fewer than the cleaning's ``min_items_for_score``
    share, default half, are answered; R: ``ifelse(rowSums(!is.na(X)) >= ceiling(k / 2),
    rowMeans(X, na.rm = TRUE), NA)``)."""

    share = float((plan.cleaning or {}).get("min_items_for_score", 0.5))
    out = clean_df.drop(columns=[c for c in set_aside if c in clean_df.columns])
    for c in [*plan.benefits.relational, *plan.benefits.informational]:
        its = [i for i in items_of(clean_df.columns, c) if i not in set_aside]
        if not its or not set(items_of(clean_df.columns, c)) & set(set_aside):
            continue
        X = out[its].apply(lambda s: s.astype(float))
        n = X.notna().sum(axis=1)
        need = max(1, math.ceil(share * len(its) - 1e-12))
        out[f"score_{c}"] = np.where(n >= need, X.mean(axis=1), np.nan)
    return out


def apply_policy(decision_verdicts: dict, check: dict, policy: str) -> dict:
    """``{key: (verdict or None, reason or None)}``: the verdict a policy imposes on each key
    (None = keep the verdict computed on the data the policy chose)."""
    out = {k: (None, None) for k in decision_verdicts}
    if check.get("status") != "ok" or policy == "report_only":
        return out
    if policy == "inconclusive":
        failing = [] if check["held"] else (
            [k for k, s in check["scales"].items() if s["set_aside"]] or list(check["scales"]))
    else:
        failing = [k for k, s in check["scales"].items() if not s["partial_ok"]]
        if not failing and _RANK.get(check["level"], -1) < _RANK["partial_" + check["required"]]:
            failing = list(check["scales"])      # not even partial invariance was reached
    if not failing:
        return out
    why = (f"measurement not invariant: {check['required']} invariance fails for the "
           f"{' and '.join(failing)} scale" + ("s" if len(failing) > 1 else "")
           + (f" (level held: {check['level']}"
              + (f"; items flagged: {', '.join(check['items_set_aside'])}" if check["items_set_aside"] else "")
              + ")"))
    if policy == "partial" and any(not check["scales"][k]["partial_ok"] for k in failing):
        why += (f"; partial invariance needs at least {check['min_invariant_items']} invariant items "
                f"per scale and at most {check.get('max_set_aside_share', 0.5):.0%} of a scale's items "
                "set aside")
    return {k: ("inconclusive", why) for k in decision_verdicts}
