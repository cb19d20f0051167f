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

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.validate import find_duplicates
>>> ids = pd.Series(["a", "b", "a"])
>>> items = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
>>> dup_id, dup_sub = find_duplicates(ids, items)
>>> dup_id.tolist(), dup_sub.tolist()
([False, False, True], [False, False, False])
"""

from __future__ import annotations

import functools

from ..errors import DataFileError

__all__ = ["check_columns", "validate_items", "shown_mask", "routing_masks", "check_skip_logic",
           "shown_missing_share", "find_duplicates", "check_facts",
           "check_constant_sums", "problems_frame", "check_survey_language", "language_counts",
           "QUIET_META", "DROP_TYPES", "LANGUAGE_COLUMN"]

#: export columns that are known bookkeeping (dropped without a warning)
QUIET_META = {"submitted_at", "submitdate", "start", "end", "startdate", "enddate",
              "recordeddate", "status", "progress", "finished"}
#: the questionnaire version each respondent answered (kept in the clean data when exported)
LANGUAGE_COLUMN = "survey_language"
#: item types never written to the clean data (free text)
DROP_TYPES = ("text",)
#: from this many rows on, numeric columns are validated on two threads
PARALLEL_MIN_ROWS = 1 << 16


def problems_frame(rows=None, column=None, values=None, reason=None):
    """A problems table (row, column, value, reason); empty when called without arguments."""
    import pandas as pd

    if rows is None:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype=object),
                             "value": pd.Series(dtype=object), "reason": pd.Series(dtype=object)})
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


def check_survey_language(values, languages):
    """Language codes of the ``survey_language`` column, checked against the instrument's.

    A value is read case-insensitively as a language code of the instrument (``fr``, ``FR``),
    a code with a region or variant (``fr-BE``, ``en_GB``, LimeSurvey ``de-informal``: the
    part before ``-``/``_``) or a label ending in the code in brackets (``French (fr)``, as
    ODK names languages).  Missing values stay missing; any other value becomes missing and
    is an ``unknown_language`` problem (0-based row, value).

    Parameters
    ----------
    values : pandas.Series
    languages : sequence of str
        The instrument's ``languages``.

    Returns
    -------
    (numpy.ndarray of object, DataFrame)
        The codes (``None`` when missing or unknown) and the problems table.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, probs = check_survey_language(pd.Series(["EN", "fr-BE", None, "French (fr)", "de"]),
    ...                                      ["en", "fr"])
    >>> codes.tolist(), probs[["row", "value", "reason"]].values.tolist()
    (['en', 'fr', None, 'fr', None], [[4, 'de', 'unknown_language']])
    """
    import re

    import numpy as np
    import pandas as pd

    known = {str(lg).casefold(): str(lg) for lg in languages}
    uniq, inv = np.unique(values.astype(object).where(values.notna(), "").astype(str)
                          .to_numpy(), return_inverse=True)
    mapped = []
    for u in uniq:                      # distinct values only
        t = u.strip().casefold()
        m = re.search(r"\(([^()]+)\)\s*$", t)
        t = m.group(1).strip() if m else t
        mapped.append(known.get(t, known.get(re.split(r"[-_]", t, maxsplit=1)[0])) if t else "")
    codes = np.asarray(mapped, dtype=object)[inv.ravel()]
    bad = np.asarray([c is None for c in codes])
    codes[codes == ""] = None
    rows = np.flatnonzero(bad)
    probs = problems_frame(rows, LANGUAGE_COLUMN, pd.Series(values).to_numpy()[rows],
                           "unknown_language") if len(rows) else problems_frame()
    return codes, probs


def language_counts(codes, kept, languages) -> dict:
    """The cleaning log's ``survey_language`` block: firms per version among all rows
    (``n_in``) and among the kept ones (``n_kept``), ``missing`` counting unknown codes too.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array(["en", "fr", None, "fr"], dtype=object)
    >>> language_counts(c, np.array([True, True, True, False]), ["en", "fr"])["n_kept"]
    {'en': 1, 'fr': 1, 'missing': 1}
    """
    import numpy as np

    def count(c):
        return {lg: int(np.sum(c == lg)) for lg in languages} | \
            {"missing": int(sum(x is None for x in c))}

    return {"column": LANGUAGE_COLUMN, "languages": list(languages), "n_in": count(codes),
            "n_kept": count(codes[np.asarray(kept, dtype=bool)])}


def _bounds(item):
    scale = getattr(item, "scale", None)
    lo = getattr(scale, "min", None) if scale is not None else None
    hi = getattr(scale, "max", None) if scale is not None else None
    return lo, hi


def validate_items(df, instrument, rules, columns):
    """Recode and validate the item columns.

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
    block = np.empty((len(df), len(columns)), dtype="float64", order="F")
    num = sorted(slot, key=slot.get)
    # columns already numeric are validated on both cores (numpy releases the GIL; each
    # column writes only its own slot, so the result does not depend on the threading)
    pool = (ThreadPoolExecutor(max_workers=2) if len(fast) > 1 and len(df) >= PARALLEL_MIN_ROWS
            else None)
    fast_set = set(fast)

    def _fast(col):
        return _validate_numeric_fast(df[col], instrument.items[col], tokens, positions,
                                      out=block[:, slot[col]])

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


def _validate_others(df, instrument, columns, tokens, positions, block, slot, skip, out,
                     col_probs, col_recodes, split_multi, to_codes):
    """The columns of :func:`validate_items` not in ``skip``: select_multiple, text codes and
    numeric columns read as text (results into ``out``, ``col_probs``, ``col_recodes``)."""
    import numpy as np
    import pandas as pd

    for col in columns:
        if col in skip:
            continue
        item = instrument.items[col]
        s = df[col]
        itype = getattr(item, "type", "")
        probs = col_probs.setdefault(col, [])
        if itype == "select_multiple":
            vals, pr, rc = _validate_multi(s, item, tokens, positions, split_multi)
            out[col] = vals
            probs.extend(pr)
            if rc:
                col_recodes[col] = rc
            continue
        numeric = col in slot
        codes_u, inv = _distinct(s)
        mapped, reasons = to_codes(codes_u, item, tokens)
        rc = {}
        for r in ("recoded_missing", "label_recoded"):
            idx = [k for k, x in enumerate(reasons) if x == r]
            if idx:
                rc[r] = int(np.isin(inv, idx).sum())
        bad_u = [k for k, x in enumerate(reasons) if x == "not_a_number"]
        if numeric:
            arr = np.array([np.nan if c is None else c for c in mapped], dtype="float64")
            # numeric missing codes (-99, -9 ...) outside the valid range
            lo, hi = _bounds(item)
            choices = getattr(item, "choices", {}) or {}
            num_tokens = {float(t) for t in tokens if _is_float(t)}
            for k, c in enumerate(arr):
                if c in num_tokens and not _valid_number(c, lo, hi, choices):
                    arr[k] = np.nan
                    rc["recoded_missing"] = rc.get("recoded_missing", 0) + int((inv == k).sum())
            vals = arr[inv] if len(arr) else np.full(len(s), np.nan)
            raw_u = np.array(codes_u, dtype=object)
            checks = []
            if bad_u:
                checks.append((np.isin(inv, bad_u), "not_a_number"))
            has = ~np.isnan(vals)
            if lo is not None:
                checks.append((has & ((vals < lo) | (vals > hi if hi is not None else False)),
                               "out_of_range"))
            elif hi is not None:
                checks.append((has & (vals > hi), "out_of_range"))
            if itype in ("likert", "integer") or (choices and itype == "select_one"):
                checks.append((has & (vals != np.round(vals)), "not_integer"))
            if choices and itype == "select_one":
                allowed = np.array([float(c) for c in choices], dtype="float64")
                checks.append((has & ~np.isin(vals, allowed), "invalid_code"))
            taken = np.zeros(len(s), dtype=bool)
            for mask, reason in checks:
                mask = mask & ~taken
                if mask.any():
                    probs.append(problems_frame(positions[mask], col, raw_u[inv[mask]], reason))
                    taken |= mask
            vals = np.where(taken, np.nan, vals)
            block[:, slot[col]] = vals
            out[col] = block[:, slot[col]]
        else:
            arr = np.array(mapped, dtype=object)
            vals = arr[inv] if len(arr) else np.array([None] * len(s), dtype=object)
            choices = getattr(item, "choices", {}) or {}
            if choices and itype == "select_one":
                allowed = {str(c) for c in choices}
                upper = {str(c).casefold(): str(c) for c in choices}
                fixed = [None if c is None else (c if c in allowed else upper.get(str(c).casefold(), c))
                         for c in arr]
                arr = np.array(fixed, dtype=object)
                bad = [k for k, c in enumerate(arr) if c is not None and c not in allowed]
                vals = arr[inv]
                if bad:
                    mask = np.isin(inv, bad)
                    probs.append(problems_frame(positions[mask], col,
                                                np.array(codes_u, dtype=object)[inv[mask]],
                                                "invalid_code"))
                    vals = np.where(mask, None, vals)
            out[col] = pd.Series(vals, index=df.index, dtype=object)
        if rc:
            col_recodes[col] = rc


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
        if choices:
            valid = np.isin(vals, np.array([float(c) for c in choices if not isinstance(c, str)]))
        elif lo is None and hi is None:
            valid = np.zeros(len(vals), dtype=bool)
        else:
            valid = np.ones(len(vals), dtype=bool)
            if lo is not None:
                valid &= vals >= lo
            if hi is not None:
                valid &= vals <= hi
        recode = cand & ~valid
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


def _distinct(s):
    """Distinct values of a column (None for missing) and the inverse index."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
        uniq = [float(u) for u in uniq]
    elif isinstance(s.dtype, pd.StringDtype):
        # string columns factorised as they are (same codes and first-seen order as on
        # their object image, without building a million Python strings)
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        uniq = [str(u) for u in uniq]
    else:
        codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
        uniq = [u for u in uniq]
    codes = np.asarray(codes)
    uniq.append(None)
    codes = np.where(codes < 0, len(uniq) - 1, codes)
    return uniq, codes


def _validate_multi(s, item, tokens, positions, split_multi):
    import numpy as np
    import pandas as pd

    from .recode import _norm, label_map

    lmap = label_map(item)
    order = {str(c): k for k, c in enumerate(getattr(item, "choices", {}) or {})}
    uniq, inv = _distinct(s)
    norm_u, bad_u, rc = [], [], {}
    miss_u = []
    for k, v in enumerate(uniq):
        if v is None:
            norm_u.append(None)
            continue
        if _norm(v) in tokens:
            norm_u.append(None)
            miss_u.append(k)
            continue
        if isinstance(v, float) and v.is_integer():
            v = str(int(v))
        toks, bad = [], False
        for t in split_multi(v):
            code = lmap.get(_norm(t))
            if code is None or (order and str(code) not in order):
                bad = True
            else:
                toks.append(str(code))
        if bad:
            bad_u.append(k)
        toks = sorted(set(toks), key=lambda c: order.get(c, 10**6))
        norm_u.append(" ".join(toks) if toks else None)
    arr = np.array(norm_u, dtype=object)
    vals = pd.Series(arr[inv], index=s.index, dtype=object)
    probs = []
    if bad_u:
        mask = np.isin(inv, bad_u)
        probs.append(problems_frame(positions[mask], item.id,
                                    np.array(uniq, dtype=object)[inv[mask]], "invalid_code"))
    if miss_u:
        rc["recoded_missing"] = int(np.isin(inv, miss_u).sum())
    return vals, probs, rc


def shown_mask(values, instrument, item, *, cache=None, routed=None):
    """Boolean array: was ``item`` shown to each respondent under the skip logic?

    Conditions (``eq ne gt ge lt le selected not_selected answered``) are all required (AND);
    a condition on an unanswered item is false. Items without ``show_if`` are always shown.
    With ``routed`` (:func:`routing_masks`), an item is also hidden from the respondents for
    whom one of its routing rules (``item.routed_by``: screen-outs, the "none" answer) fired.
    """
    import numpy as np

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
            if fkey not in cache:
                cache[fkey] = _factorize(values[src])
            cache[key] = _condition(values[src], op, val, factorized=cache[fkey])
        else:
            cache[key] = _condition(values[src], op, val)
    return cache[key]


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
    import numpy as np

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
    shown, probs, late = {}, [], {}
    masks: dict = {}     # items of a section share their conditions and rules: once each
    for c in values.columns:
        it = items[c]
        conds = tuple((k.item, k.op, repr(k.value)) for k in getattr(it, "show_if", ()) or ()
                      if k.item in values.columns)
        rules = tuple(r for r in getattr(it, "routed_by", ()) or () if routed[r].any())
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
        ans = notna_array(values[c])
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


def shown_missing_share(values, columns, shown):
    """Share of the ``columns`` shown to each respondent that were left unanswered.

    Questions a respondent was not shown (skip logic, routing: ``shown`` from
    :func:`check_skip_logic`) are neither missing nor counted; NaN where none was shown.

    >>> import numpy as np, pandas as pd
    >>> vals = pd.DataFrame({"a": [1.0, np.nan, np.nan], "b": [np.nan, np.nan, np.nan]})
    >>> shown_missing_share(vals, ["a", "b"], {"b": np.array([True, False, False])}).tolist()
    [0.5, 1.0, 1.0]
    """
    import numpy as np

    n = len(values)
    n_miss, n_shown = np.zeros(n), np.zeros(n)
    for c in columns:
        miss = ~notna_array(values[c])
        sh = shown.get(c)
        if sh is None:
            n_miss += miss
            n_shown += 1.0
        else:
            n_miss += miss & sh
            n_shown += sh
    with np.errstate(invalid="ignore", divide="ignore"):
        return n_miss / n_shown     # = isna().mean(axis=1) when every column was shown


def _flat(mask):
    import numpy as np

    return np.flatnonzero(mask)


def notna_array(s):
    """Boolean array of answered values (``s.notna()``; NaN test on float64 columns)."""
    import numpy as np

    if s.dtype == np.float64:
        return ~np.isnan(s.to_numpy())
    return s.notna().to_numpy()


def _factorize(col):
    import numpy as np
    import pandas as pd

    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    return np.asarray(codes), uniq


def token_mask(col, token, *, factorized=None):
    """Boolean array: does each space-separated answer contain ``token``? (computed on the
    distinct answers, then mapped back)"""
    import numpy as np

    codes, uniq = _factorize(col) if factorized is None else factorized
    tok = str(token)
    hit = np.array([tok in str(u).split(" ") for u in uniq] + [False], dtype=bool)
    return hit[np.asarray(codes)]


def _condition(col, op, val, *, factorized=None):
    """Boolean array of one skip-logic condition on one column (unanswered -> False)."""
    import numpy as np

    if op in ("selected", "not_selected"):
        has = token_mask(col, val, factorized=factorized)
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
    import operator

    return {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
            "lt": operator.lt, "le": operator.le}[op](a, v)


def find_duplicates(ids, items, columns=None):
    """Later copies of a respondent id, and later identical submissions.

    ``ids`` is a Series of respondent ids (missing ids are never duplicates); ``items`` the
    answers compared for duplicate submissions (rows with no answer at all are never
    duplicates). The first occurrence is kept in both cases.
    """
    import numpy as np
    import pandas as pd

    dup_id = ids.notna().to_numpy() & ids.duplicated(keep="first").to_numpy()
    cols = list(items.columns if columns is None else columns)
    n, p = len(items), len(cols)
    if not p or not n:
        return dup_id, np.zeros(n, dtype=bool)
    # a submission counts only with at least half of the compared items answered;
    # 64-bit row keys built column by column (no n x p matrix), then exact confirmation.
    # Both are computed on blocks of rows, so the temporaries stay in the cache.
    srcs = []
    for c in cols:
        s = items[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            srcs.append((True, s.to_numpy(dtype="float64", na_value=np.nan), None))
        else:
            bits = _column_bits(s)
            srcs.append((False, bits, bits != 0))   # factor code 0 = missing (= notna)
    answered = np.zeros(n, dtype=np.int64)
    h = np.full(n, 0x9E3779B97F4A7C15, dtype=np.uint64)
    mult, shift = np.uint64(0xBF58476D1CE4E5B9), np.uint64(31)

    def _hash_rows(starts):
        for start in starts:
            sl = slice(start, min(n, start + (1 << 16)))
            hb, ab = h[sl], answered[sl]
            for is_num, a, ok in srcs:
                if is_num:
                    nan = np.isnan(a[sl])
                    ab += ~nan
                    hb ^= (np.where(nan, _NAN_KEY, a[sl]) + 0.0).view(np.uint64)  # _column_bits
                else:
                    ab += ok[sl]
                    hb ^= a[sl]
                hb *= mult
                hb ^= hb >> shift

    starts = list(range(0, n, 1 << 16))
    if len(starts) > 1:
        # both cores, on disjoint row blocks: a row's key does not depend on the split
        from concurrent.futures import ThreadPoolExecutor

        half = len(starts) // 2
        with ThreadPoolExecutor(max_workers=2) as pool:
            for f in [pool.submit(_hash_rows, starts[:half]), pool.submit(_hash_rows,
                                                                          starts[half:])]:
                f.result()
    else:
        _hash_rows(starts)
    srcs.clear()  # the column copies are no longer needed
    answered = answered * 2 >= max(1, p)
    # first occurrence of each key: factor codes are numbered in order of appearance
    codes = np.asarray(pd.factorize(h)[0])
    seen = np.maximum.accumulate(codes)
    is_first = np.ones(n, dtype=bool)
    is_first[1:] = codes[1:] > seen[:-1]
    cand = ~is_first & answered      # = pd.Series(h).duplicated(keep="first")
    if cand.any():
        first = np.flatnonzero(is_first)[codes]   # = groupby(h).transform("first")
        rows = np.flatnonzero(cand)
        same = np.ones(len(rows), dtype=bool)
        both = np.concatenate([rows, first[rows]])
        for c in cols:
            # compared on the candidate rows and their first copies only (factor codes of
            # that subset: equal codes <=> equal values, as on the whole column)
            bits = _column_bits(items[c].iloc[both])
            same &= bits[:len(rows)] == bits[len(rows):]
        cand[rows[~same]] = False
    return dup_id, cand


_NAN_KEY = -1.7976931348623157e308


def _column_bits(s):
    """uint64 image of a column: float bit patterns (one NaN pattern) or factor codes."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        a = s.to_numpy(dtype="float64", na_value=np.nan)
        a = np.where(np.isnan(a), _NAN_KEY, a) + 0.0   # + 0.0: -0.0 == 0.0
        return a.view(np.uint64)
    codes, _ = pd.factorize(s, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64).view(np.uint64) + np.uint64(1)


def check_facts(values, *, survey_year=None):
    """Impossible or inconsistent facts: list of ``(mask, columns, reason)``.

    * first foreign sale before founding (``sale_before_founding``);
    * founding or first foreign sale after the survey year (``founded_after_survey``,
      ``sale_after_survey``);
    * more continents than countries (``more_continents_than_countries``);
    * a foreign-sales share at year 3 above 0 while the first foreign sale came more than 3
      years after founding (``share_without_foreign_sale``).
    """
    import numpy as np

    def col(name):
        if name in values.columns:
            return values[name].to_numpy(dtype="float64", na_value=np.nan)
        return np.full(len(values), np.nan)

    found, first = col("founding_year"), col("first_foreign_sale_year")
    year = col("survey_year") if survey_year is None else np.full(len(values), survey_year)
    with np.errstate(invalid="ignore"):
        out = [
            (first < found, ["founding_year", "first_foreign_sale_year"], "sale_before_founding"),
            (found > year, ["founding_year"], "founded_after_survey"),
            (first > year, ["first_foreign_sale_year"], "sale_after_survey"),
            (col("n_continents") > col("n_countries"), ["n_continents", "n_countries"],
             "more_continents_than_countries"),
            ((col("foreign_share_y3") > 0) & (first - found > 3),
             ["foreign_share_y3"], "share_without_foreign_sale"),
        ]
    return [(np.asarray(m, dtype=bool), c, r) for m, c, r in out]


def check_constant_sums(values, instrument, total_default=100.0, tol=1.0):
    """Constant-sum groups whose answered parts do not add up: list of (mask, columns, total)."""
    import numpy as np

    groups = {}
    for iid, it in instrument.items.items():
        cs = getattr(it, "constant_sum", None)
        if cs is not None and iid in values.columns:
            groups.setdefault(cs.group, (cs.total or total_default, []))[1].append(iid)
    out = []
    for _, (total, cols) in sorted(groups.items()):
        block = values[cols].to_numpy(dtype="float64", na_value=np.nan)
        complete = ~np.isnan(block).any(axis=1)
        with np.errstate(invalid="ignore"):
            off = complete & (np.abs(np.nansum(block, axis=1) - total) > tol)
        out.append((off, cols, total))
    return out
