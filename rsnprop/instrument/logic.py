"""Evaluate skip logic on answers: was an item shown to a respondent?

Cleaning needs this to tell *skipped by design* (not shown: structurally missing) from
*not answered* (shown but left empty).  Conditions are those of the instrument
(``item.show_if``, section conditions included), evaluated on clean-coded answers.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.logic import shown
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> df = pd.DataFrame({"consent": [1, 1, 0], "decision_maker": [1, 1, None], "phase": [1, 3, None]})
>>> shown(df, ins, "first_foreign_sale_year").tolist()
[False, True, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["shown", "shown_frame", "routed_out"]


def _condition_mask(df, ins, cond):
    item = ins.items[cond.item]
    n = len(df)
    if item.type == "select_multiple" and cond.op in ("selected", "not_selected"):
        dummy = f"{item.id}_{cond.value}"
        if dummy in df.columns:
            hit = pd.to_numeric(df[dummy], errors="coerce").fillna(0).to_numpy() > 0
        elif item.id in df.columns:
            tokens = df[item.id].astype("string").fillna("").str.replace(",", " ")
            hit = tokens.str.split().apply(lambda xs: str(cond.value) in xs).to_numpy(dtype=bool)
        else:
            hit = np.zeros(n, dtype=bool)
        return hit if cond.op == "selected" else ~hit
    if item.id not in df.columns:
        return np.zeros(n, dtype=bool)
    col = df[item.id]
    if cond.op == "answered":
        return col.notna().to_numpy() & (col.astype("string").fillna("").str.strip() != "").to_numpy()
    if isinstance(cond.value, (int, float)) and not isinstance(cond.value, bool):
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        v = float(cond.value)
        with np.errstate(invalid="ignore"):
            res = {"eq": x == v, "ne": x != v, "gt": x > v, "ge": x >= v, "lt": x < v, "le": x <= v}[cond.op]
        return res & ~np.isnan(x) if cond.op != "ne" else res | np.isnan(x)
    s = col.astype("string")
    if cond.op == "eq":
        return (s == str(cond.value)).fillna(False).to_numpy(dtype=bool)
    if cond.op == "ne":
        return (s != str(cond.value)).fillna(True).to_numpy(dtype=bool)
    return np.zeros(n, dtype=bool)


def routed_out(df, ins, rule_id: str):
    """Boolean array: did routing rule ``rule_id`` fire for each respondent?

    A rule fires when all its conditions hold; a condition on a missing answer does not
    hold, so a respondent who skipped the trigger question is never screened out by it.

    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> routed_out(pd.DataFrame({"employees": [10, 300, None]}), ins, "not_sme").tolist()
    [False, True, False]
    """

    rule = next(r for r in ins.routing if r.id == rule_id)
    mask = np.ones(len(df), dtype=bool)
    for cond in rule.conditions:
        if cond.op == "not_selected" or cond.op == "ne":
            mask &= _condition_mask(df, ins, cond) & _answered(df, ins, cond.item)
        else:
            mask &= _condition_mask(df, ins, cond)
    return mask


def _answered(df, ins, item_id):
    item = ins.items[item_id]
    cols = [f"{item_id}_{c}" for c in item.choices] if item.type == "select_multiple" else []
    cols = [c for c in cols if c in df.columns] or ([item_id] if item_id in df.columns else [])
    if not cols:
        return np.zeros(len(df), dtype=bool)
    return df[cols].notna().any(axis=1).to_numpy()


def shown(df, ins, item_id: str):
    """Boolean Series: was ``item_id`` shown to each respondent (row of ``df``)?

    Items without skip logic are always shown.  A condition on an item absent from ``df``
    counts as not met.  Items hidden by a routing rule (screen-out, "none" answer) are not
    shown to the respondents for whom the rule fired (:func:`routed_out`).
    """

    mask = np.ones(len(df), dtype=bool)
    item = ins.items[item_id]
    for cond in item.show_if:
        mask &= _condition_mask(df, ins, cond)
    for rule_id in getattr(item, "routed_by", ()):
        mask &= ~routed_out(df, ins, rule_id)
    return pd.Series(mask, index=df.index, name=item_id)


def shown_frame(df, ins, items=None):
    """DataFrame of :func:`shown` for ``items`` (default: every non-meta item)."""

    ids = items or [i for i, it in ins.items.items() if it.type != "meta"]
    return pd.DataFrame({i: shown(df, ins, i) for i in ids}, index=df.index)
