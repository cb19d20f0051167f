"""Skip logic and routing applied to the answers, as the exported forms apply them: which
items each respondent was shown (``show_if``, routing rules), the ``required_missing`` and
``answered_when_hidden`` problems, and the share of shown items left unanswered.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.data.skip_logic import token_mask
>>> token_mask(pd.Series(["linkedin x", None, "x"]), "x").tolist()
[True, False, True]
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .frames import kept_per_columns
from .object_codes import MIN_ROWS, factorize_objects, isna_objects
from .small_frames import column_names, frame_dtypes
from .validate import problems_frame
from .validate_small import (
    SMALL_ROWS,
    _kept_floats,
    answered_block,
    columns_array,
    kept_factorized,
)

__all__ = ["Routing", "apply_skip_logic", "shown_mask", "routing_masks", "check_skip_logic",
           "shown_missing_share", "notna_array", "token_mask"]


@dataclass
class Routing:
    """Who was shown what (:func:`check_skip_logic`): ``shown`` item id -> boolean array,
    ``routed`` rule id -> boolean array of the rules that fired, ``not_shown_answered`` item
    id -> rows answered although a fired rule hides the item, and ``cache`` the conditions
    (and factorised ``select_multiple`` columns) computed on the way, for later steps."""

    shown: dict
    routed: dict
    not_shown_answered: dict
    cache: dict


def apply_skip_logic(values, instrument, found) -> Routing:
    """The skip logic and routing rules applied to the answers, as a step of cleaning: the
    ``required_missing`` and ``answered_when_hidden`` problems go to ``found`` (a
    :class:`~rsnprop.data.log.Findings`), and a warning when answers to hidden questions are
    kept (a form without the screen-outs)."""

    cache: dict = {}
    shown, routed, probs, not_shown_answered = check_skip_logic(values, instrument, cache=cache)
    found.problems += probs
    if not_shown_answered:
        late = np.zeros(len(values), dtype=bool)        # rows counted once (no sort)
        for rows in not_shown_answered.values():   # (not concatenated: 4 million rows at 1M)
            late[rows] = True
        n_late = int(late.sum())
        found.warn(f"{n_late} row(s) answered questions their routing rules hide (a form without "
                   "the screen-outs?): answers kept, listed in log.routing.not_shown_answered")
    return Routing(shown, routed, not_shown_answered, cache)


def shown_mask(values, instrument, item, *, cache=None, routed=None):
    """Boolean array: was ``item`` shown to each respondent under the skip logic?

    Conditions (``eq ne gt ge lt le selected not_selected answered``) are all required (AND);
    a condition on an unanswered item is false. Items without ``show_if`` are always shown.
    With ``routed`` (:func:`routing_masks`), an item is also hidden from the respondents for
    whom one of its routing rules (``item.routed_by``: screen-outs, the "none" answer) fired.
    """

    n = len(values)
    mask = np.ones(n, dtype=bool)
    cache = {} if cache is None else cache
    for cond in getattr(item, "show_if", ()) or ():
        if cond.item in values.columns:
            mask &= _cached_condition(values, cond, cache)
    for rule_id in (getattr(item, "routed_by", ()) or ()) if routed is not None else ():
        mask &= ~routed[rule_id]
    return mask



def _cached_condition(values, cond, cache):
    """One skip-logic or routing condition, computed once per (column, op, value)."""
    src, op, val = cond.item, cond.op, cond.value
    key = (src, op, repr(val))
    if key not in cache:
        if op in ("selected", "not_selected"):    # one factorisation per column
            fkey = ("factorize", src)
            if fkey not in cache:    # a small export's: made when its values were validated
                kept = kept_factorized(values, src)
                cache[fkey] = kept if kept is not None else _factorize(values[src])
                cache[("tokens", src)] = [str(u).split(" ") for u in cache[fkey][1]]
            # "selected" reads the factorisation only (not the column)
            cache[key] = _condition(values[src] if op == "not_selected" else None, op, val,
                                    factorized=cache[fkey], tokens=cache[("tokens", src)])
        else:
            floats = _kept_floats(values, [src])       # a small export: its floats
            cache[key] = (_condition(values[src], op, val) if floats is None
                          else _float_condition(floats[:, 0], op, val))
    return cache[key]


def _float_condition(a, op, val):
    """:func:`_condition` of a float64 column given as its array ``a`` (the kept floats of
    a small export, :func:`.validate_small.columns_array`)."""
    if op == "answered":
        return ~np.isnan(a)
    with np.errstate(invalid="ignore"):
        return np.asarray(_cmp(a, op, float(val)), dtype=bool) & ~np.isnan(a)



def routing_masks(values, instrument, *, cache=None) -> dict:
    """Which routing rules fired for each respondent, evaluated as the exported forms do.

    A rule fires when all its conditions hold; a condition on an unanswered (or absent) item
    does not hold, so a respondent who skipped the trigger question is never routed by it
    (the same rule as :func:`rsnprop.instrument.logic.routed_out`).

    Returns
    -------
    dict
        rule id -> boolean array (n,), in the instrument's order.

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> vals = pd.DataFrame({"employees": [10.0, 300.0, None],
    ...                      "rsn_platforms": ["linkedin", None, "no_social_media"]})
    >>> fired = routing_masks(vals, ins)
    >>> fired["not_sme"].tolist(), fired["no_rsn_use"].tolist()
    ([False, True, False], [False, False, True])
    """

    cache = {} if cache is None else cache
    out = {}
    for rule in getattr(instrument, "routing", ()) or ():
        mask = np.ones(len(values), dtype=bool)
        for cond in rule.conditions:
            if cond.item not in values.columns:
                mask[:] = False
                break
            mask &= _cached_condition(values, cond, cache)
        out[rule.id] = mask
    return out



def check_skip_logic(values, instrument, *, cache=None):
    """Skip logic and routing applied to the answers, as the exported forms apply them.

    An item is shown when its ``show_if`` conditions hold and none of its routing rules
    (``item.routed_by``) fired. A required item that was not shown is not required; an
    answer that ``show_if`` hides is an ``answered_when_hidden`` problem (as before); an
    answer that only a fired routing rule hides is *kept* and returned as
    ``not_shown_answered`` (data from a form without the screen-outs, e.g. the bundled
    example export: the firm is excluded under the rule's own reason anyway).

    Returns
    -------
    shown : dict
        item id -> boolean array, for the items with ``show_if`` or a routing rule that fired
        (every other item was shown to everyone).
    routed : dict
        rule id -> boolean array, :func:`routing_masks`.
    problems : list of pandas.DataFrame
        ``required_missing`` and ``answered_when_hidden`` problems (0-based rows).
    not_shown_answered : dict
        item id -> 0-based rows (int array) whose answer is kept although a fired routing
        rule hides the item (row indices, not masks: few rows, little memory).

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> vals = pd.DataFrame({"consent": [1.0, 1.0], "decision_maker": [1.0, 1.0],
    ...                      "employees": [300.0, 300.0], "sector": [None, "C"]})
    >>> shown, routed, probs, late = check_skip_logic(vals, ins)
    >>> shown["sector"].tolist(), routed["not_sme"].tolist(), late["sector"].tolist()
    ([False, False], [True, True], [1])
    >>> any((p["column"] == "sector").any() for p in probs)   # not required once screened out
    False
    """
    items = instrument.items
    cache = {} if cache is None else cache
    routed = routing_masks(values, instrument, cache=cache)
    if len(values) <= SMALL_ROWS and values.columns.is_unique:
        return _check_small(values, instrument, routed, cache)
    shown, probs, late = {}, [], {}
    masks: dict = {}     # items of a section share their conditions and rules: once each
    # a small frame (a power replication): every column's answered mask at once, not one
    # pandas column access per column (the same masks: notna)
    answered = (np.asfortranarray(values.notna().to_numpy()) if len(values) <= SMALL_ROWS
                else None)
    present = set(values.columns.tolist())
    fired = {r: bool(m.any()) for r, m in routed.items()}   # once per rule, not per item
    for j, c in enumerate(values.columns.tolist()):
        it = items[c]
        conds = tuple((k.item, k.op, repr(k.value)) for k in getattr(it, "show_if", ()) or ()
                      if k.item in present)
        rules = tuple(r for r in getattr(it, "routed_by", ()) or () if fired[r])
        if (conds, rules) not in masks:
            skip = shown_mask(values, instrument, it, cache=cache) if conds else None
            off = None
            for rule_id in rules:
                off = routed[rule_id] if off is None else (off | routed[rule_id])
            sh = skip if off is None else (~off if skip is None else skip & ~off)
            masks[(conds, rules)] = skip, off, sh
        skip, off, sh = masks[(conds, rules)]
        if sh is not None:
            shown[c] = sh
        ans = notna_array(values[c]) if answered is None else answered[:, j]
        if getattr(it, "required", False):
            miss = ~ans if sh is None else (sh & ~ans)
            if miss.any():
                probs.append(problems_frame(_flat(miss), c, None, "required_missing"))
        if skip is not None:
            hidden = ans & ~skip
            if hidden.any():
                probs.append(problems_frame(_flat(hidden), c, values[c].to_numpy()[hidden],
                                            "answered_when_hidden"))
        if off is not None:
            kept = ans & off if skip is None else (ans & off & skip)
            if kept.any():
                late[c] = _flat(kept)
    return shown, routed, probs, late



#: tuple of column names -> (their items, :func:`_column_groups`' groups)
_GROUPS: dict = {}


def _column_groups(columns, items):
    """The columns of a frame grouped by what decides who was shown them: ``[(conds,
    shown_if, rules, cols, req)]`` in the order of each group's first column, ``conds`` the
    ``show_if`` conditions on present columns as :func:`check_skip_logic` keys them
    (``shown_if``: those conditions), ``rules`` the item's routing rules, ``cols`` the
    positions of its columns and ``req`` those of its required items (int arrays). Read once
    per list of columns (kept while the same item objects come: the instrument's items are
    frozen; at most 64 lists)."""
    return kept_per_columns(_GROUPS, columns, items, _groups_of)


def _groups_of(columns, its):
    """:func:`_column_groups` worked out (``columns`` a tuple, ``its`` their items)."""
    present, groups, objs = set(columns), {}, {}
    for j, it in enumerate(its):
        shown_if = [k for k in getattr(it, "show_if", ()) or () if k.item in present]
        conds = tuple((k.item, k.op, repr(k.value)) for k in shown_if)
        rules = tuple(getattr(it, "routed_by", ()) or ())
        groups.setdefault((conds, rules), []).append(j)
        objs.setdefault(conds, tuple(shown_if))
    out = [(conds, objs[conds], rules, np.array(js, dtype=np.intp),
            np.array([j for j in js if getattr(its[j], "required", False)], dtype=np.intp))
           for (conds, rules), js in groups.items()]
    return out


def _check_small(values, instrument, routed, cache):
    """:func:`check_skip_logic` of a small frame with unique column names (a power
    replication's): the same ``(shown, routed, problems, not_shown_answered)``, every column
    checked at once on three boolean blocks (required and shown, hidden by ``show_if``, hidden
    only by a fired rule), each group of columns that share their conditions and routing
    rules writing its masks into them, instead of one check per column or group."""
    cols = column_names(values)
    answered = answered_block(values)
    fired = {r: bool(m.any()) for r, m in routed.items()}
    n, p = answered.shape
    need = np.zeros((n, p), dtype=bool, order="F")     # required and shown
    seen = np.ones((n, p), dtype=bool, order="F")      # shown by show_if (skip)
    late_m = np.zeros((n, p), dtype=bool, order="F")   # hidden by a fired rule only
    masks, sh_at = {}, [None] * p
    for conds, shown_if, rules, js, req in _column_groups(cols, instrument.items):
        key = (conds, tuple(r for r in rules if fired[r]))
        if key not in masks:
            masks[key] = _group_masks(values, shown_if, key[1], routed, cache)
        skip, off, sh = masks[key]
        for j in js.tolist():
            sh_at[j] = sh
        if len(req):
            need[:, req] = True if sh is None else sh[:, None]
        if skip is not None:
            seen[:, js] = skip[:, None]
        if off is not None:
            late_m[:, js] = (off if skip is None else off & skip)[:, None]
    need &= ~answered                                  # required_missing
    late_m &= answered
    np.logical_not(seen, out=seen)
    seen &= answered                                   # answered_when_hidden
    probs, late = [], {}
    hit_need, hit_seen = need.any(axis=0), seen.any(axis=0)
    for j in np.flatnonzero(hit_need | hit_seen).tolist():
        c = cols[j]
        if hit_need[j]:
            probs.append(problems_frame(np.flatnonzero(need[:, j]), c, None, "required_missing"))
        if hit_seen[j]:
            rows = np.flatnonzero(seen[:, j])
            probs.append(problems_frame(rows, c, _column_values(values, c)[rows],
                                        "answered_when_hidden"))
    for j in np.flatnonzero(late_m.any(axis=0)).tolist():
        late[cols[j]] = np.flatnonzero(late_m[:, j])
    shown = {c: m for c, m in zip(cols, sh_at) if m is not None}
    return shown, routed, probs, late


def _column_values(values, name):
    """``values[name].to_numpy()``."""
    return values[name].to_numpy()


def _group_masks(values, shown_if, rules, routed, cache):
    """``(skip, off, shown)`` of the items that share their ``show_if`` conditions on present
    columns (``shown_if``) and fired routing ``rules``, as :func:`check_skip_logic` computes
    them (``skip``: :func:`shown_mask` without the rules)."""
    skip = None
    for cond in shown_if:
        hit = _cached_condition(values, cond, cache)
        skip = (np.ones(len(values), dtype=bool) & hit) if skip is None else (skip & hit)
    off = None
    for rule_id in rules:
        off = routed[rule_id] if off is None else (off | routed[rule_id])
    return skip, off, (skip if off is None else (~off if skip is None else skip & ~off))


def shown_missing_share(values, columns, shown):
    """Share of the ``columns`` shown to each respondent that were left unanswered.

    Questions a respondent was not shown (skip logic, routing: ``shown`` from
    :func:`check_skip_logic`) are neither missing nor counted; NaN where none was shown.

    >>> import numpy as np, pandas as pd
    >>> vals = pd.DataFrame({"a": [1.0, np.nan, np.nan], "b": [np.nan, np.nan, np.nan]})
    >>> shown_missing_share(vals, ["a", "b"], {"b": np.array([True, False, False])}).tolist()
    [0.5, 1.0, 1.0]
    """

    n = len(values)
    n_miss, n_shown = np.zeros(n), np.zeros(n)
    block, pos = _answered_block(values, columns)
    answered = {c: block[:, j] for c, j in pos.items()}
    if columns and all(c in pos for c in columns):
        return _missing_share_block(block, [pos[c] for c in columns], columns, shown, n)
    for c in columns:
        miss = ~(answered[c] if c in answered else notna_array(values[c]))
        sh = shown.get(c)
        if sh is None:
            n_miss += miss
            n_shown += 1.0
        else:
            n_miss += miss & sh
            n_shown += sh
    with np.errstate(invalid="ignore", divide="ignore"):
        return n_miss / n_shown     # = isna().mean(axis=1) when every column was shown



def _missing_share_block(block, idx, columns, shown, n):
    """:func:`shown_missing_share` from ``block`` (a small frame's answered masks,
    :func:`_answered_block`; column ``idx[j]`` for ``columns[j]``): the unanswered and shown
    counts of all the columns at once (whole numbers, so the same floats as added column by
    column)."""
    sh = np.ones((n, len(columns)), dtype=bool)
    for j, c in enumerate(columns):
        if c in shown:
            sh[:, j] = shown[c]
    n_shown = sh.sum(axis=1).astype(np.float64)
    sh &= ~block[:, idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sh.sum(axis=1).astype(np.float64) / n_shown


def _answered_block(values, columns):
    """``(answered, {column: position})``: the answered masks of the float64 ``columns`` of a
    small ``values`` as one array (read at once: the masks ``notna_array`` gives, without a
    pandas column access each); ``(None, {})`` for a big frame or one whose column names
    repeat, or without float columns."""
    if len(values) > SMALL_ROWS or not values.columns.is_unique:
        return None, {}
    pos = {c: i for i, c in enumerate(column_names(values))}
    dtypes = frame_dtypes(values)
    num = list(dict.fromkeys(c for c in columns if dtypes[pos[c]] == np.float64))
    if not num:
        return None, {}
    return ~np.isnan(columns_array(values, num)), {c: j for j, c in enumerate(num)}


def _flat(mask):
    return np.flatnonzero(mask)



def notna_array(s):
    """Boolean array of answered values (``s.notna()``; NaN test on float64 columns)."""

    if s.dtype == np.float64:
        return ~np.isnan(s.to_numpy())
    if s.dtype == object and len(s) >= MIN_ROWS:    # a large export's text column
        return ~isna_objects(s.to_numpy())
    return s.notna().to_numpy()



def _factorize(col):
    if col.dtype == object and len(col) >= MIN_ROWS:    # a large export's text column
        return factorize_objects(col.to_numpy())
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    return np.asarray(codes), uniq



def token_mask(col, token, *, factorized=None, tokens=None):
    """Boolean array: does each space-separated answer contain ``token``? (computed on the
    distinct answers, then mapped back; ``tokens``: each distinct answer's
    ``str(u).split(" ")`` when already made)"""

    codes, uniq = _factorize(col) if factorized is None else factorized
    tok = str(token)
    if tokens is None:
        tokens = [str(u).split(" ") for u in uniq]
    hit = np.array([tok in t for t in tokens] + [False], dtype=bool)
    return hit[np.asarray(codes)]



def _condition(col, op, val, *, factorized=None, tokens=None):
    """Boolean array of one skip-logic condition on one column (unanswered -> False)."""

    if op in ("selected", "not_selected"):
        has = token_mask(col, val, factorized=factorized, tokens=tokens)
        return has if op == "selected" else (notna_array(col) & ~has)
    if op == "answered":
        return notna_array(col)
    if col.dtype == object or not hasattr(col.dtype, "kind") or col.dtype.kind not in "biuf":
        a = col.astype(object).to_numpy()
        uniq = {x for x in a if x is not None and not (isinstance(x, (float, np.floating)) and np.isnan(x))}
        hits = {x for x in uniq if _cmp(x, op, val)}
        return np.isin(a, list(hits)) if hits else np.zeros(len(a), dtype=bool)
    a = col.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        return np.asarray(_cmp(a, op, float(val)), dtype=bool) & ~np.isnan(a)



def _cmp(a, op, v):
    return {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
            "lt": operator.lt, "le": operator.le}[op](a, v)
