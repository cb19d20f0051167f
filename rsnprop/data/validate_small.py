"""Recode and validate the item columns of a *small* export (a Monte Carlo replication's few
hundred firms): :func:`validate_items_small`, the same values, problems and recodes as
:func:`.validate.validate_items`, with the columns that are already numeric checked together.

:func:`.validate.validate_items` handles one column at a time (built for a million rows, where
a column is a lot of work); at 300 rows that costs more in pandas column access and per-column
NumPy calls than in checking. Here the numeric columns are read as one float array, their
minima, maxima and fractional parts found at once, and only a column that something could be
wrong with (a missing-value code within its range, a value out of range, a fraction where an
integer is expected, a code not among its choices) is checked, all such columns together
(:func:`_check_suspects`), as :func:`.validate._validate_numeric_fast`, the column-wise check,
checks each: the others are copied as they are, which is what that check does with them.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.data import CleaningRules
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> df = pd.DataFrame({"rel_1": [1.0, 9.0, 4.0], "inf_1": [2.0, 3.0, -99.0]})
>>> values, problems, recodes = validate_items_small(df, ins, CleaningRules(), ["rel_1", "inf_1"])
>>> values.to_numpy().tolist()
[[1.0, 2.0], [nan, 3.0], [4.0, nan]]
>>> problems.values.tolist(), recodes
([[1, 'rel_1', '9', 'out_of_range']], {'inf_1': {'recoded_missing': 1}})
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from .frames import column_index, kept_per_columns
from .recode import _norm, split_multi, to_codes
from .small_frames import column_names, default_index, frame_dtypes, frame_in_order
from .validate import (
    _bounds,
    _fmt_num,
    _merge_problems,
    _numeric_tokens,
    problems_frame,
    valid_numbers,
    validate_items,
)
from .validate_text import _validate_others

__all__ = ["validate_items_small", "columns_array", "float_column", "forget_floats", "kept_text",
           "kept_float_names", "kept_factorized",
           "SMALL_ROWS", "ProblemRows", "answered_block"]

#: up to this many rows :func:`.item_values.validated_values` validates with
#: :func:`validate_items_small` (beyond, :func:`.validate.validate_items`)
SMALL_ROWS = 20_000


def columns_array(frame, cols):
    """``frame[cols].to_numpy(dtype="float64", na_value=nan)`` with the columns taken by
    position (``frame`` has unique column names): a selection by name through the string
    column index costs more than the data of a few hundred rows.

    >>> columns_array(pd.DataFrame({"a": [1, 2], "b": [0.5, None], "c": ["x", "y"]}), ["b", "a"]).tolist()
    [[0.5, 1.0], [nan, 2.0]]
    """
    kept = _kept_floats(frame, cols)
    if kept is not None:
        return kept
    pos = {c: i for i, c in enumerate(column_names(frame))}
    return frame.take([pos[c] for c in cols], axis=1).to_numpy(dtype="float64", na_value=np.nan)


#: id(frame) -> (weak reference to the frame, {column: position}, float block, {text
#: column: position}, object block): the float and text columns of the values
#: :func:`validate_items_small` returned, as the arrays it filled (:func:`columns_array` and
#: :func:`kept_text` read them from there instead of through pandas)
_FLOATS: dict = {}


def _remember_floats(frame, names, block, text=(), obj=None, facts=None) -> None:
    """Keep ``block`` (rows x ``names``, the floats of those columns of ``frame``), ``obj``
    (rows x ``text``, its object columns) and ``facts`` (``{text column: (codes,
    uniques)}``, their factorisations) while ``frame`` lives; :func:`forget_floats` when its
    values are changed in place."""
    key = id(frame)
    ref = weakref.ref(frame, lambda _r, key=key: _FLOATS.pop(key, None))
    _FLOATS[key] = (ref, {c: j for j, c in enumerate(names)}, block,
                    {c: j for j, c in enumerate(text)}, obj, facts or {})


def kept_factorized(frame, name):
    """``pd.factorize(frame[name], use_na_sentinel=True)`` as ``(codes, uniques)`` (uniques
    an object array) of a text column of the values :func:`validate_items_small` returned,
    made from its distinct values (:func:`.validate_text.factorized_from`); None when it was
    not kept."""
    hit = _FLOATS.get(id(frame))
    if hit is None or hit[0]() is not frame:
        return None
    return hit[5].get(name)


def kept_text(frame, cols):
    """``frame[cols]``'s values as a column-major object array from the kept object block
    (:func:`_remember_floats`; the objects pandas holds), or None when ``frame`` has none or
    a column is not in it."""
    hit = _FLOATS.get(id(frame))
    if hit is None or hit[0]() is not frame or hit[4] is None:
        return None
    try:
        idx = [hit[3][c] for c in cols]
    except (KeyError, TypeError):
        return None
    return hit[4][:, idx]


def answered_block(frame):
    """``frame.notna().to_numpy()`` column-major (answered cells), from the kept blocks when
    the frame's columns are exactly the kept float then text columns (NaN test of the
    floats, pandas' ``isna`` of the objects: what ``notna`` runs on each block); else
    through pandas."""
    hit = _FLOATS.get(id(frame))
    cols = column_names(frame)
    if hit is not None and hit[0]() is frame and hit[4] is not None \
            and len(cols) == len(hit[1]) + len(hit[3]) \
            and all(hit[1].get(c) == j for j, c in enumerate(cols[:len(hit[1])])) \
            and all(hit[3].get(c) == j for j, c in enumerate(cols[len(hit[1]):])):
        m = len(hit[1])
        out = np.empty((len(frame), len(cols)), dtype=bool, order="F")
        np.isnan(hit[2], out=out[:, :m])
        out[:, m:] = pd.isna(hit[4])
        return np.logical_not(out, out=out)
    return np.asfortranarray(frame.notna().to_numpy())


def forget_floats(frame) -> None:
    """Drop what :func:`columns_array` keeps of ``frame``: call it before changing its values
    in place (as :func:`.consistency.apply_consistency_checks` may)."""
    _FLOATS.pop(id(frame), None)


def float_column(frame, name):
    """``frame[name].to_numpy(dtype="float64", na_value=nan)``: a read-only view of the kept
    block (:func:`columns_array`) when it holds the column, else through pandas.

    >>> float_column(pd.DataFrame({"a": [1, None]}), "a").tolist()
    [1.0, nan]
    """
    hit = _FLOATS.get(id(frame))
    if hit is not None and hit[0]() is frame and name in hit[1]:
        col = hit[2][:, hit[1][name]].view()
        col.flags.writeable = False
        return col
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def kept_float_names(frame):
    """The names of ``frame``'s columns whose floats are kept (:func:`_remember_floats`;
    empty when none)."""
    hit = _FLOATS.get(id(frame))
    return hit[1] if hit is not None and hit[0]() is frame else {}


def _kept_floats(frame, cols):
    """``frame[cols]``'s floats from the kept block (a column-major copy, as pandas' own
    ``to_numpy`` of a one-block selection), or None when ``frame`` has none or a column is
    not in it."""
    hit = _FLOATS.get(id(frame))
    if hit is None or hit[0]() is not frame:
        return None
    pos = hit[1]
    try:
        idx = [pos[c] for c in cols]
    except (KeyError, TypeError):
        return None
    out = np.empty((hit[2].shape[0], len(idx)), order="F")
    return np.take(hit[2], idx, axis=1, out=out)


def _export_floats(frame, cols):
    """:func:`columns_array` of the export's numeric columns ``cols``, gathered from the
    frame's NumPy blocks (the same floats: a copy of float64 values, integers converted as
    ``astype`` does) instead of a pandas ``take`` of them and its ``to_numpy``; through
    :func:`columns_array` when a column is in another kind of block."""
    try:
        mgr = frame._mgr
        blknos, blklocs = mgr.blknos, mgr.blklocs
        pos = {c: i for i, c in enumerate(column_names(frame))}
        by_block: dict = {}
        for j, c in enumerate(cols):
            k = pos[c]
            js, locs = by_block.setdefault(int(blknos[k]), ([], []))
            js.append(j)
            locs.append(int(blklocs[k]))
        out = np.empty((len(frame), len(cols)), order="F")
        for b, (js, locs) in by_block.items():
            v = mgr.blocks[b].values
            if not isinstance(v, np.ndarray) or v.ndim != 2 or v.dtype.kind not in "iuf":
                return columns_array(frame, cols)
            out[:, js] = v[locs].T
        return out
    except (AttributeError, KeyError, TypeError, IndexError):   # other pandas internals
        return columns_array(frame, cols)


#: dtype -> numeric and not boolean (pandas' dtype tests cost more than the check of a column)
_NUMERIC_DTYPE: dict = {}


def _numeric_dtype(dt) -> bool:
    hit = _NUMERIC_DTYPE.get(dt)
    if hit is None:
        hit = bool(pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt))
        if len(_NUMERIC_DTYPE) < 256:
            _NUMERIC_DTYPE[dt] = hit
    return hit


def _is_numeric_item(item) -> bool:
    itype = getattr(item, "type", "")
    return item.numeric if hasattr(item, "numeric") else itype in (
        "likert", "integer", "decimal", "constant_sum")


#: tuple of columns -> (their items, the numeric ones): :func:`_numeric_columns`
_NUMERIC: dict = {}


def _numeric_columns(columns, items) -> list:
    """The ``columns`` whose items take numbers (not ``select_multiple``), in order: read once
    per list of columns (kept while the same item objects come: the instrument's items are
    frozen; at most 64 lists)."""
    return kept_per_columns(_NUMERIC, columns, items, lambda key, its: [
        c for c, item in zip(key, its)
        if getattr(item, "type", "") != "select_multiple" and _is_numeric_item(item)])


#: tuple of item ids -> (the items, their bounds and kinds as arrays): :func:`_item_checks`
_CHECKS: dict = {}


def _item_checks(items):
    """``(lo, hi, intlike, choice_cols, allowed)`` of ``items``: the scale bounds as floats
    (NaN: none), whether a fraction is a problem, and the select_one items with choices
    (positions, allowed codes). Read once per list of items (kept while the same item objects
    are passed: the instrument's items are frozen; at most 64 lists)."""
    key = tuple(map(id, items))
    hit = _CHECKS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], items)):
        return hit[1]
    lo, hi, intlike, choice_cols, allowed = [], [], [], [], []
    for j, item in enumerate(items):
        a, b = _bounds(item)
        lo.append(np.nan if a is None else float(a))
        hi.append(np.nan if b is None else float(b))
        itype = getattr(item, "type", "")
        choices = getattr(item, "choices", {}) or {}
        intlike.append(itype in ("likert", "integer") or bool(choices and itype == "select_one"))
        if choices and itype == "select_one":
            choice_cols.append(j)
            allowed.append(np.array([float(c) for c in choices], dtype="float64"))
    checks = (np.array(lo, dtype="float64"), np.array(hi, dtype="float64"),
              np.array(intlike, dtype=bool), choice_cols, allowed)
    if len(_CHECKS) >= 64:
        _CHECKS.clear()
    _CHECKS[key] = (list(items), checks)
    return checks


def _suspect(arr, items, tokens):
    """Boolean per column of ``arr`` (rows x columns, floats): True where the column-wise
    check could change a value or find a problem (conservative: False only when it cannot):
    a numeric missing-value code within the column's range, a value out of the scale, a
    fraction where an integer is expected, a code not among a select_one item's choices."""
    num_tokens = np.array(_numeric_tokens(frozenset(tokens)), dtype="float64")
    lo, hi, intlike, choice_cols, allowed = _item_checks(items)
    with np.errstate(invalid="ignore"):
        vmin = np.nanmin(arr, axis=0, initial=np.inf)
        vmax = np.nanmax(arr, axis=0, initial=-np.inf)
        frac = ((arr - np.floor(arr)) > 0).any(axis=0)
        out = (vmin < lo) | (vmax > hi) | (frac & intlike)     # NaN bounds compare False
        if len(num_tokens):
            out |= ((num_tokens[:, None] >= vmin) & (num_tokens[:, None] <= vmax)).any(axis=0)
    if choice_cols:
        out[choice_cols] |= _not_a_choice(arr[:, choice_cols], allowed).any(axis=0)
    return out


def _not_a_choice(sub, allowed):
    """``~np.isin(sub[:, k], allowed[k]) & ~np.isnan(sub[:, k])`` for every column ``k`` of
    ``sub`` at once: the values compared with each column's i-th code in turn (the codes
    padded with NaN, which equals nothing), as ``isin`` compares them."""
    codes = np.full((len(allowed), max(map(len, allowed), default=0)), np.nan)
    for k, a in enumerate(allowed):
        codes[k, :len(a)] = a
    hit = np.isnan(sub)
    for i in range(codes.shape[1]):
        hit |= sub == codes[:, i]
    return ~hit


def _check_suspects(arr, items, idx, tokens, positions) -> dict:
    """:func:`.validate._validate_numeric_fast` of the columns ``idx`` of ``arr`` (rows x
    columns of floats, ``items`` its items; not changed), on all of them at once: ``{j:
    (values, problems, recodes)}`` as that check gives them (missing-value codes outside the
    valid values, then values with a problem, NaN in ``values``)."""
    if not len(idx):
        return {}
    lo, hi, intlike, choice_cols, allowed = _item_checks(items)
    sub = arr[:, idx]
    its = [items[j] for j in idx.tolist()]
    rcs = _recode_tokens(sub, its, tokens)
    choices = dict(zip(choice_cols, allowed))
    with np.errstate(invalid="ignore"):
        oor = (sub < lo[idx]) | (sub > hi[idx])              # NaN bounds compare False
        frac = ((sub - np.floor(sub)) > 0) & intlike[idx] & ~oor
        bad = np.zeros(sub.shape, dtype=bool)
        ks = [k for k, j in enumerate(idx.tolist()) if j in choices]
        if ks:
            bad[:, ks] = _not_a_choice(sub[:, ks], [choices[j] for j in idx[ks].tolist()])
        bad &= ~(oor | frac)
    taken = oor | frac | bad
    checks = [(m, m.any(axis=0).tolist(), reason) for m, reason in
              ((oor, "out_of_range"), (frac, "not_integer"), (bad, "invalid_code"))]
    out = {}
    for k, (j, hit) in enumerate(zip(idx.tolist(), taken.any(axis=0).tolist())):
        probs = []
        if hit:
            for m, found, reason in checks:
                if found[k]:
                    mask = m[:, k]
                    probs.append((positions[mask], its[k].id,
                                  [_fmt_num(v) for v in sub[mask, k]], reason))
            sub[taken[:, k], k] = np.nan
        out[j] = (sub[:, k], probs, rcs[k])
    return out


def _recode_tokens(sub, items, tokens) -> list:
    """The numeric missing-value codes of ``tokens`` that a column of ``sub`` holds and
    that are not valid values of its item (its choices, else its scale; every value when it
    has neither) set to NaN in place, as :func:`.validate._validate_numeric_fast` does:
    ``[recodes]`` per column."""
    rcs = [{} for _ in items]
    num_tokens = _numeric_tokens(frozenset(tokens))
    if not num_tokens:
        return rcs
    with np.errstate(invalid="ignore"):
        vmin = np.nanmin(sub, axis=0, initial=np.inf)
        vmax = np.nanmax(sub, axis=0, initial=-np.inf)
    cand = np.zeros(sub.shape, dtype=bool)
    for t in num_tokens:
        near = (t >= vmin) & (t <= vmax)
        if near.any():
            cand |= (sub == t) & near
    for k in np.flatnonzero(cand.any(axis=0)).tolist():
        vals, item = sub[:, k], items[k]
        lo, hi = _bounds(item)
        choices = getattr(item, "choices", {}) or {}
        recode = cand[:, k] & ~valid_numbers(vals, choices, lo, hi)
        if recode.any():
            vals[recode] = np.nan
            rcs[k]["recoded_missing"] = int(recode.sum())
    return rcs


class ProblemRows:
    """The problems found, counted but not tabled: their rows (0-based, one per problem, in
    the table's order). What :func:`rsnprop.data.clean` with ``diagnostics=False`` reads of
    the problems table: its length (the log's ``problems_total``) and its rows (the
    ``invalid_value`` exclusions)."""

    def __init__(self, rows):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)


def _problem_rows(parts) -> ProblemRows:
    """The rows of the problem ``parts`` (frames and ``(rows, column, values, reason)``
    tuples, :func:`.validate._merge_problems`) without their table."""
    rows = [np.asarray(p[0] if isinstance(p, tuple) else p["row"].to_numpy(), dtype=np.int64)
            for p in parts]
    return ProblemRows(np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64))


#: tuple of missing-value tokens -> their normalised texts (:func:`_norm_tokens`)
_TOKENS: dict = {}


def _norm_tokens(tokens) -> set:
    """``{_norm(t) for t in tokens}`` (a new set), normalised once per list of tokens (a
    power replication's rules give the same thirty each time: 2 us of regular expressions
    each)."""
    key = tuple(tokens)
    try:
        hit = _TOKENS.get(key)
    except TypeError:     # (tokens that are not hashable: normalised each time)
        return {_norm(t) for t in key}
    if hit is None:
        if len(_TOKENS) >= 64:
            _TOKENS.clear()
        hit = _TOKENS[key] = frozenset(_norm(t) for t in key)
    return set(hit)


def validate_items_small(df, instrument, rules, columns, *, table=True):
    """:func:`.validate.validate_items` for a small ``df``: the same ``(values, problems,
    recodes)`` (see there), the numeric columns checked together (module docstring).
    A frame whose column names repeat goes to :func:`.validate.validate_items`.
    ``table=False``: ``problems`` is a :class:`ProblemRows` (the same rows, no table)."""
    if not df.columns.is_unique:
        return validate_items(df, instrument, rules, columns)
    tokens = _norm_tokens(rules.missing_tokens)
    items = instrument.items
    dtypes = dict(zip(map(str, column_names(df)), frame_dtypes(df)))
    positions = np.arange(len(df))
    slot, fast = {}, []
    for col in _numeric_columns(columns, items):
        slot[col] = len(slot)
        if _numeric_dtype(dtypes[col]):
            fast.append(col)
    block = np.empty((len(df), len(columns)), dtype="float64", order="F")
    out, col_probs, col_recodes = {}, {}, {}
    fast_set, facts = set(fast), {}
    _validate_others(df, instrument, columns, tokens, positions, block, slot, fast_set,
                     out, col_probs, col_recodes, split_multi, to_codes, series=False,
                     facts=facts, arrays=_arrow_text(df, [c for c in columns if c not in fast_set]))
    if fast:
        arr = _export_floats(df, fast)
        fast_items = [items[c] for c in fast]
        suspect = _suspect(arr, fast_items, tokens)
        # the suspect columns checked together (the floats read above, not a pandas column
        # access each); each column's values, problems and recodes as the column-wise check
        checked = _check_suspects(arr, fast_items, np.flatnonzero(suspect), tokens, positions)
        for j, col in enumerate(fast):
            dest = block[:, slot[col]]
            vals, pr, rc = checked.get(j, (arr[:, j], [], {}))
            dest[...] = vals
            out[col] = dest
            col_probs[col] = pr
            if rc:
                col_recodes[col] = rc
    parts = [f for col in columns for f in col_probs.get(col, ())]
    recodes = {col: col_recodes[col] for col in columns if col in col_recodes}
    if table:
        probs = _merge_problems(parts)
        problems = pd.concat(probs, ignore_index=True) if probs else problems_frame()
    else:
        problems = _problem_rows(parts)
    num = sorted(slot, key=slot.get)
    text = [c for c in columns if c not in slot]
    obj = _text_block(out, text)
    values = _values_frame(block[:, :len(num)], num, obj, text, df.index)
    _remember_floats(values, num, block[:, :len(num)], text, obj,
                     {c: f for c, f in facts.items() if c in text})
    return values, problems, recodes


def _arrow_text(df, cols) -> dict:
    """``{column: its values}`` of the ``cols`` of ``df`` held as pyarrow strings (the
    arrays of the block manager, not a column Series each); ``{}`` when pandas' internals
    are not as expected."""
    try:
        mgr, pos = df._mgr, {c: i for i, c in enumerate(column_names(df))}
        arrays = {c: mgr.iget_values(pos[c]) for c in cols}
    except (AttributeError, KeyError, TypeError, IndexError):
        return {}
    return {c: a for c, a in arrays.items() if isinstance(a.dtype, pd.StringDtype)
            and getattr(a.dtype, "storage", "") == "pyarrow" and hasattr(a, "__arrow_array__")}


def _values_frame(floats, num, obj, text, index):
    """The frame of the column-major blocks ``floats`` (columns ``num``) and ``obj``
    (``text``) side by side: built from the two blocks on the default index (the frame
    ``pd.concat`` of their frames gives), else by that concatenation."""
    if default_index(index, len(index)):
        values = frame_in_order([(floats, num), (obj, text)], num + text, len(index))
        if values is not None:
            return values
    values = pd.DataFrame(floats, columns=column_index(num), index=index, copy=False)
    if text:
        values = pd.concat([values, pd.DataFrame(obj, columns=column_index(text), index=index,
                                                 dtype=object, copy=False)], axis=1)
    return values


def _text_block(out, text):
    """The text columns ``out[c]`` (object arrays or Series of the validated values) as one
    column-major object array: the block ``pd.DataFrame({c: out[c] for c in text})`` makes
    (the same objects), without a pandas step per column."""
    obj = np.empty((len(out[text[0]]) if text else 0, len(text)), dtype=object, order="F")
    for j, c in enumerate(text):
        obj[:, j] = out[c] if isinstance(out[c], np.ndarray) else out[c].to_numpy()
    return obj
