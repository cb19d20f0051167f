"""Validation against the instrument: every problem is collected (row, id, column, value,
reason code), nothing stops at the first.

Reason codes
------------
Column level: ``unknown_column``, ``missing_column``.
Survey language (``survey_language``, the questionnaire version answered): ``unknown_language``
(not a language of the instrument; the value becomes missing).
Value level (the value becomes missing, or excludes the firm with
``CleaningRules.invalid_values="exclude"``): ``not_a_number``, ``not_integer``,
``out_of_range``, ``invalid_code``.
Recodes (not problems, counted in the log): ``recoded_missing``, ``label_recoded``.
Row level: ``required_missing`` (a required item shown but unanswered), ``answered_when_hidden``
(skip logic says the item was not shown), ``duplicate_id``, ``duplicate_submission``.
Routing notes (not problems; the answers are kept and listed in the log's ``routing`` block):
``not_shown_answered`` (an answer to an item that a routing rule that fired for this
respondent hides: data from a form without the screen-outs).
Impossible facts: ``sale_before_founding``, ``founded_after_survey``, ``sale_after_survey``,
``more_continents_than_countries``, ``share_without_foreign_sale``; constant sums:
``constant_sum``.

Columns already numeric are validated here (on two threads for big files), the columns read
as text in :mod:`.validate_text`.  The row-level screens live in their own modules:
:mod:`.skip_logic` (``required_missing``, ``answered_when_hidden``, routing),
:mod:`.duplicates`, :mod:`.consistency` (impossible facts, constant sums) and
:mod:`.survey_language` (``unknown_language``).

Examples
--------
>>> from rsnprop.data.validate import problems_frame
>>> problems_frame([2], "employees", ["abc"], "not_a_number").values.tolist()
[[2, 'employees', 'abc', 'not_a_number']]
"""

from __future__ import annotations

import functools

from ..errors import DataFileError
from .owned_columns import give_back, owned_columns

__all__ = ["check_columns", "validate_items", "problems_frame", "QUIET_META", "DROP_TYPES",
           "LANGUAGE_COLUMN"]

#: export columns that are known bookkeeping (dropped without a warning)
QUIET_META = {"submitted_at", "submitdate", "start", "end", "startdate", "enddate",
              "recordeddate", "status", "progress", "finished"}
#: the questionnaire version each respondent answered (kept in the clean data when exported)
LANGUAGE_COLUMN = "survey_language"
#: item types never written to the clean data (free text)
DROP_TYPES = ("text",)
#: from this many rows on, numeric columns are validated on two threads
PARALLEL_MIN_ROWS = 1 << 16
#: from this many rows on, ``validate_items(release_read=True)`` gives the export's validated
#: float columns back to the system
RELEASE_MIN_ROWS = 1 << 16


_EMPTY_PROBLEMS = []    # the empty table, built once (a copy is handed out each time)


def problems_frame(rows=None, column=None, values=None, reason=None):
    """A problems table (row, column, value, reason); empty when called without arguments.

    The empty table is built once per process and a (deep) copy of it returned each time:
    the same frame as building it, for about 20 instead of 400 microseconds (a clean meets
    it two or three times), and a caller may still change what it gets."""
    import pandas as pd

    if rows is None:
        if not _EMPTY_PROBLEMS:
            _EMPTY_PROBLEMS.append(pd.DataFrame({
                "row": pd.Series(dtype="int64"), "column": pd.Series(dtype=object),
                "value": pd.Series(dtype=object), "reason": pd.Series(dtype=object)}))
        return _EMPTY_PROBLEMS[0].copy()
    rows = list(rows) if not hasattr(rows, "__len__") else rows
    n = len(rows)
    vals = [None] * n if values is None else [None if v is None else str(v) for v in values]
    return pd.DataFrame({"row": pd.Series(rows, dtype="int64"), "column": [column] * n,
                         "value": vals, "reason": [reason] * n})


def check_columns(df, instrument, *, file=None, allow_missing_required=False):
    """Compare the data's columns with the instrument.

    Returns ``(known, unknown, missing_optional)``: the columns that are items, the unknown
    column names (reported, then dropped: they may hold identifying data), and the
    non-required items absent from the file (added as empty). Raises
    :class:`~rsnprop.errors.DataFileError` naming every required item that is absent, or when
    no column at all is an item (wrong file or platform).
    """
    items = instrument.items
    cols = [str(c) for c in df.columns]
    known = [c for c in cols if c in items]
    meta = {str(c).lower() for c in df.attrs.get("rsnprop_read", {}).get("meta_columns", [])}
    unknown = [c for c in cols if c not in items and c.lower() not in QUIET_META
               and c.lower() not in meta and c != LANGUAGE_COLUMN]
    measured = [i for i, it in items.items() if getattr(it, "construct", None)]
    if not any(c in measured for c in known):
        raise DataFileError(
            "none of the instrument's construct items is a column (wrong file, or a platform "
            f"export read without --platform?); columns found: {', '.join(cols[:12])}"
            + (" ..." if len(cols) > 12 else ""), file=file)
    absent = [i for i in items if i not in cols]
    req_absent = [i for i in absent if getattr(items[i], "required", False)]
    if req_absent and not allow_missing_required:
        raise DataFileError(
            f"{len(req_absent)} required item column(s) missing: " + ", ".join(req_absent),
            file=file, column=req_absent[0],
            problems=[{"message": f"missing required column '{c}'", "column": c}
                      for c in req_absent])
    return known, unknown, [i for i in absent if i not in req_absent]


def _bounds(item):
    scale = getattr(item, "scale", None)
    lo = getattr(scale, "min", None) if scale is not None else None
    hi = getattr(scale, "max", None) if scale is not None else None
    return lo, hi


def validate_items(df, instrument, rules, columns, *, release_read=False):
    """Recode and validate the item columns.

    ``release_read=True`` (the cleaning recipe, whose ``df`` is its own copy of the export):
    from ``RELEASE_MIN_ROWS`` rows, the pages of each float column of ``df`` that nothing
    else holds are given back to the system once the column is validated (they then read as
    zeros; :mod:`.owned_columns`). The same results either way.

    Returns
    -------
    values : pandas.DataFrame
        One column per item in ``columns`` (numeric items first, then text): floats for numeric
        items (invalid -> NaN), strings (``None`` missing) for text codes; select_multiple
        answers normalised to space-separated codes in the instrument's order.
    problems : pandas.DataFrame
        ``row`` (0-based position), ``column``, ``value``, ``reason``.
    recodes : dict
        column -> {"recoded_missing": n, "label_recoded": n}.
    """
    import numpy as np
    import pandas as pd

    from concurrent.futures import ThreadPoolExecutor

    from .recode import _norm, split_multi, to_codes
    from .validate_text import _validate_others

    tokens = {_norm(t) for t in rules.missing_tokens}
    out = {}
    col_probs = {}      # column -> its problem frames (assembled in column order at the end)
    col_recodes = {}
    positions = np.arange(len(df))
    # numeric columns are written straight into one column-major block (pages of unused
    # trailing columns are never touched, so they cost no memory), each in its own slot
    slot, fast = {}, []
    for col in columns:
        item = instrument.items[col]
        itype = getattr(item, "type", "")
        if itype == "select_multiple":
            continue
        numeric = item.numeric if hasattr(item, "numeric") else itype in (
            "likert", "integer", "decimal", "constant_sum")
        if numeric:
            slot[col] = len(slot)
            s = df[col]
            if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
                fast.append(col)
            del s          # (a live column is a reference to the export's block)
    block = np.empty((len(df), len(columns)), dtype="float64", order="F")
    num = sorted(slot, key=slot.get)
    # columns already numeric are validated on both cores (numpy releases the GIL; each
    # column writes only its own slot, so the result does not depend on the threading)
    pool = (ThreadPoolExecutor(max_workers=2) if len(fast) > 1 and len(df) >= PARALLEL_MIN_ROWS
            else None)
    fast_set = set(fast)

    owned = (owned_columns(df, [c for c in fast if c != LANGUAGE_COLUMN])
             if release_read and len(df) >= RELEASE_MIN_ROWS else {})

    def _fast(col):
        res = _validate_numeric_fast(df[col], instrument.items[col], tokens, positions,
                                     out=block[:, slot[col]])
        if col in owned:     # copied and checked: its pages back before the next column's
            give_back(owned.pop(col))
        return res

    futures = {c: pool.submit(_fast, c) for c in fast} if pool is not None else {}
    try:
        _validate_others(df, instrument, columns, tokens, positions, block, slot, fast_set,
                         out, col_probs, col_recodes, split_multi, to_codes)
        for col in fast:
            vals, pr, rc = futures[col].result() if pool is not None else _fast(col)
            out[col] = vals
            col_probs[col] = pr
            if rc:
                col_recodes[col] = rc
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    probs = _merge_problems([f for col in columns for f in col_probs.get(col, ())])
    recodes = {col: col_recodes[col] for col in columns if col in col_recodes}
    problems = pd.concat(probs, ignore_index=True) if probs else problems_frame()
    # numeric columns go straight into one column-major block (no consolidation copy), the
    # text columns beside it; the caller restores the instrument's column order on output
    for c in num:
        out[c] = None
    values = pd.DataFrame(block[:, :len(num)], columns=num, index=df.index, copy=False)
    text = [c for c in columns if c not in set(num)]
    if text:
        values = pd.concat([values, pd.DataFrame({c: out[c] for c in text}, index=df.index)],
                           axis=1)
    return values, problems, recodes


def _merge_problems(parts):
    """Problem frames in order, each run of ``(rows, column, values, reason)`` tuples (the
    numeric columns' problems, values always text) made one frame: the rows of
    ``pd.concat`` of their :func:`problems_frame` s with one frame built instead of dozens."""
    import numpy as np
    import pandas as pd

    out, run = [], []

    def flush():
        if run:
            out.append(pd.DataFrame({
                "row": pd.Series(np.concatenate([np.asarray(r[0], dtype=np.int64) for r in run]),
                                 dtype="int64"),
                "column": [r[1] for r in run for _ in range(len(r[0]))],
                "value": [v for r in run for v in r[2]],
                "reason": [r[3] for r in run for _ in range(len(r[0]))]}))
            run.clear()

    for part in parts:
        if isinstance(part, tuple):
            run.append(part)
        else:
            flush()
            out.append(part)
    flush()
    return out


def _fmt_num(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _value_checks(vals, item, vmin=None, vmax=None):
    """(mask, reason) checks of numeric values against the item's range, type and codes.

    Cheap whole-column tests come first (min, max, any fractional value), so a clean column
    costs a few passes; masks are only built when something is wrong. ``vmin``/``vmax``: the
    column's ``nanmin``/``nanmax`` when already known.
    """
    import numpy as np

    itype = getattr(item, "type", "")
    lo, hi = _bounds(item)
    choices = getattr(item, "choices", {}) or {}
    checks = []
    if not len(vals):
        return checks
    with np.errstate(invalid="ignore"):
        if vmin is None or vmax is None:
            vmin, vmax = np.nanmin(vals, initial=np.inf), np.nanmax(vals, initial=-np.inf)
        if (lo is not None and vmin < lo) or (hi is not None and vmax > hi):
            out = np.zeros(len(vals), dtype=bool)
            if lo is not None:
                out |= vals < lo
            if hi is not None:
                out |= vals > hi
            checks.append((out, "out_of_range"))
        if itype in ("likert", "integer") or (choices and itype == "select_one"):
            if _any_fraction(vals):
                frac = (vals - np.floor(vals)) > 0      # NaN compares False
                checks.append((frac, "not_integer"))
        if choices and itype == "select_one":
            allowed = np.array([float(c) for c in choices], dtype="float64")
            bad = ~np.isin(vals, allowed) & ~np.isnan(vals)
            if bad.any():
                checks.append((bad, "invalid_code"))
    return checks


def _any_fraction(vals, block=1 << 15):
    """``((vals - floor(vals)) > 0).any()``, on cache-sized blocks with one reused buffer."""
    import numpy as np

    buf = np.empty(min(len(vals), block))
    for start in range(0, len(vals), block):
        v = vals[start:start + block]
        b = buf[:len(v)]
        np.floor(v, out=b)
        np.subtract(v, b, out=b)
        if (b > 0).any():
            return True
    return False


def valid_numbers(vals, choices, lo, hi):
    """Which of the float array ``vals`` an item accepts: its numeric ``choices`` when it has
    any, else the values within ``[lo, hi]`` (either bound may be ``None``); none when it has
    neither. The mask a missing-value token needs to stay a value."""
    import numpy as np

    if choices:
        return np.isin(vals, np.array([float(c) for c in choices if not isinstance(c, str)]))
    valid = np.zeros(len(vals), dtype=bool) if lo is None and hi is None else np.ones(len(vals), dtype=bool)
    if lo is not None:
        valid &= vals >= lo
    if hi is not None:
        valid &= vals <= hi
    return valid


def _validate_numeric_fast(s, item, tokens, positions, out=None):
    """Validation of a column that is already numeric: fully vectorised (the values are
    written to ``out`` when given)."""
    import numpy as np

    vals = np.empty(len(s)) if out is None else out
    src = s.to_numpy()
    if src.dtype == np.float64:
        vals[...] = src                      # one copy, no temporary
    else:
        vals[...] = s.to_numpy(dtype="float64", na_value=np.nan)
    rc = {}
    num_tokens = np.array(_numeric_tokens(frozenset(tokens)), dtype="float64")
    lo, hi = _bounds(item)
    choices = getattr(item, "choices", {}) or {}
    with np.errstate(invalid="ignore"):
        vmin = np.nanmin(vals, initial=np.inf) if len(vals) else np.inf
        vmax = np.nanmax(vals, initial=-np.inf) if len(vals) else -np.inf
    near = num_tokens[(num_tokens >= vmin) & (num_tokens <= vmax)]
    cand = np.isin(vals, near) if len(near) else None
    if cand is not None and cand.any():
        recode = cand & ~valid_numbers(vals, choices, lo, hi)
        if recode.any():
            vals[recode] = np.nan
            rc["recoded_missing"] = int(recode.sum())
            vmin = vmax = None                # recompute: the extremes may be gone
    probs = []
    taken = None
    # the problem values are those of the column as read: a recoded value is NaN in vals and
    # never part of a check's mask, so vals[mask] is the original value
    for mask, reason in _value_checks(vals, item, vmin, vmax):
        if taken is not None:
            mask = mask & ~taken
        if mask.any():
            # (rows, column, values, reason): one frame for a run of them (_merge_problems)
            probs.append((positions[mask], item.id, [_fmt_num(v) for v in vals[mask]], reason))
            taken = mask if taken is None else (taken | mask)
    if taken is not None and taken.any():
        vals[taken] = np.nan
    return vals, probs, rc


@functools.lru_cache(maxsize=32)
def _numeric_tokens(tokens):
    """The missing-value tokens that are numbers, sorted (parsed once per set of tokens, not
    once per column)."""
    return tuple(sorted({float(t) for t in tokens if _is_float(t)}))


def _is_float(t):
    try:
        float(t)
        return True
    except ValueError:
        return False


def _valid_number(c, lo, hi, choices):
    if choices:
        return any(float(c) == float(k) for k in choices if not isinstance(k, str))
    if lo is not None and c < lo:
        return False
    if hi is not None and c > hi:
        return False
    return lo is not None or hi is not None
