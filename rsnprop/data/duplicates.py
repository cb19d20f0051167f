"""Duplicates: later copies of a respondent id and later identical submissions
(``duplicate_id``, ``duplicate_submission``), found on 64-bit row keys and confirmed exactly
(a small export's rows compared whole at once: :func:`_exact_duplicates_small`).

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.duplicates import find_duplicates
>>> ids = pd.Series(["a", "b", "a"])
>>> items = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
>>> dup_id, dup_sub = find_duplicates(ids, items)
>>> dup_id.tolist(), dup_sub.tolist()
([False, False, True], [False, False, False])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .object_codes import MIN_ROWS, factorize_objects
from .small_frames import column_names, frame_dtypes
from .validate import problems_frame
from .validate_small import (
    SMALL_ROWS,
    _numeric_dtype,
    columns_array,
    kept_factorized,
    kept_text,
)

__all__ = ["screen_duplicates", "find_duplicates"]


def screen_duplicates(values, instrument, ids, rules, found):
    """Duplicate ids and submissions, as a step of cleaning.

    Later copies are problems in ``found`` (a :class:`~rsnprop.data.log.Findings`) and, with
    ``exclude_duplicates`` (the default), exclusion reasons (``duplicate_id``, then
    ``duplicate_submission`` for the copies under another id); else a warning.  Submissions
    are compared on the item answers (no consent or screening item) or, with
    ``duplicate_submission_columns: all``, on every column.

    Returns
    -------
    numpy.ndarray of bool
        The duplicates excluded (all ``False`` when they are kept): left out of the sample
        statistics of the careless screen.
    """

    items = instrument.items
    item_cols = [c for c in column_names(values) if items[c].type != "meta"]
    subst = [c for c in item_cols if getattr(items[c], "role", None) not in ("consent", "screening")]
    if rules.duplicate_submission_columns == "all":
        subst = [c for c in column_names(values) if c != "resp_id"]
    dup_id, dup_sub = find_duplicates(ids, values, subst)
    if rules.exclude_duplicates:
        found.reasons["duplicate_id"] = dup_id
        found.reasons["duplicate_submission"] = dup_sub & ~dup_id
    elif dup_id.any():
        found.warn(f"{int(dup_id.sum())} duplicate respondent id(s) kept (exclude_duplicates=false)")
    for mask, reason in ((dup_id, "duplicate_id"), (dup_sub & ~dup_id, "duplicate_submission")):
        if mask.any():
            found.problems.append(problems_frame(np.flatnonzero(mask), "resp_id",
                                                 ids.to_numpy()[mask], reason))
    return (dup_id | dup_sub) if rules.exclude_duplicates else np.zeros(len(values), dtype=bool)


def find_duplicates(ids, items, columns=None):
    """Later copies of a respondent id, and later identical submissions.

    ``ids`` is a Series of respondent ids (missing ids are never duplicates); ``items`` the
    answers compared for duplicate submissions (rows with no answer at all are never
    duplicates). The first occurrence is kept in both cases.
    """

    dup_id = ids.notna().to_numpy() & ids.duplicated(keep="first").to_numpy()
    cols = list(items.columns if columns is None else columns)
    n, p = len(items), len(cols)
    if not p or not n:
        return dup_id, np.zeros(n, dtype=bool)
    # a submission counts only with at least half of the compared items answered;
    # 64-bit row keys built column by column (no n x p matrix), then exact confirmation.
    # Both are computed on blocks of rows, so the temporaries stay in the cache.
    srcs = []
    # a small frame (a power replication): the numeric columns read as one array, not one
    # pandas column access each (the same floats)
    names, nblock = _numeric_array(items, cols) if n <= SMALL_ROWS else ([], None)
    small = {c: nblock[:, j] for j, c in enumerate(names)}
    texts = _text_bits(items, [c for c in cols if c not in small]) if small else {}
    for c in cols:
        if c in small:
            srcs.append((True, small[c], None))
            continue
        if c in texts:
            srcs.append((False, texts[c], texts[c] != 0))
            continue
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

    if small and n <= (1 << 16):    # one block of rows: the rows compared at once
        return dup_id, _exact_duplicates_small(srcs, nblock, small, n, p)
    else:
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
    answered = np.multiply(answered, 2, out=answered) >= max(1, p)    # (no temporary)
    # first occurrence of each key: factor codes are numbered in order of appearance
    codes = np.asarray(pd.factorize(h)[0])
    seen = np.maximum.accumulate(codes)
    is_first = np.ones(n, dtype=bool)
    is_first[1:] = codes[1:] > seen[:-1]
    cand = ~is_first & answered      # = pd.Series(h).duplicated(keep="first")
    if cand.any():
        rows = np.flatnonzero(cand)
        # = groupby(h).transform("first") on the candidate rows (not on every row)
        first = np.flatnonzero(is_first)[codes[rows]]
        same = np.ones(len(rows), dtype=bool)
        both = np.concatenate([rows, first])
        for c in cols:
            # compared on the candidate rows and their first copies only (factor codes of
            # that subset: equal codes <=> equal values, as on the whole column)
            bits = _column_bits(items[c].iloc[both])
            same &= bits[:len(rows)] == bits[len(rows):]
        cand[rows[~same]] = False
    return dup_id, cand



_NAN_KEY = -1.7976931348623157e308


def _numeric_array(frame, cols):
    """``(names, block)``: the numeric (not boolean) ``cols`` of ``frame`` and their floats as
    one column-major array (``([], None)`` when none, or when column names repeat)."""
    dtypes = dict(zip(column_names(frame), frame_dtypes(frame)))
    num = [c for c in cols if _numeric_dtype(dtypes[c])]     # numeric, not boolean
    if not num or not frame.columns.is_unique:
        return [], None
    return num, np.asfortranarray(columns_array(frame, num))


def _text_bits(frame, cols) -> dict:
    """``{column: _column_bits(frame[column])}`` of the object ``cols`` held in the kept text
    block of a small values frame (:func:`.validate_small.kept_text`): each column's objects
    factorised as they are (the codes of the column's factorisation); ``{}`` when a column
    is not there."""
    obj = kept_text(frame, cols) if cols else None
    if obj is None:
        return {}
    # a column factorised when it was validated: those codes (equal values <=> equal codes,
    # all the comparison reads)
    return {c: np.asarray(_codes_of(frame, c, obj[:, j]), dtype=np.int64).view(np.uint64)
            + np.uint64(1) for j, c in enumerate(cols)}


def _codes_of(frame, name, objs):
    """The factor codes of the object column ``name`` of ``frame`` (its values ``objs``):
    kept from its validation (:func:`.validate_small.kept_factorized`), else factorised."""
    kept = kept_factorized(frame, name)
    return kept[0] if kept is not None else pd.factorize(objs, use_na_sentinel=True)[0]


def _exact_duplicates_small(srcs, nblock, small, n, p):
    """The later identical submissions of :func:`find_duplicates` for one block of rows: the
    rows' 64-bit images (``srcs``: float bit patterns with NaN as ``_NAN_KEY`` and -0.0 as
    0.0, factor codes) compared whole, each row with the first row of its equal rows (a
    stable sort of the rows as bytes), instead of 64-bit row keys confirmed after: a row is a
    duplicate when an earlier row holds the same values (as there, where equal rows have
    equal keys and the first row of a key is checked value by value) and half of the
    compared items are answered."""
    nan = np.isnan(nblock)
    answered = (~nan).sum(axis=1)
    keys = (np.where(nan, _NAN_KEY, nblock) + 0.0).view(np.uint64)
    col = {id(a): j for j, a in enumerate(small.values())}
    image = np.empty((n, len(srcs)), dtype=np.uint64)
    at, of = [], []     # the block's columns: copied into the image in one call
    for k, (is_num, a, ok) in enumerate(srcs):
        if is_num and id(a) in col:
            at.append(k)
            of.append(col[id(a)])
        elif is_num:
            nan_a = np.isnan(a)
            answered += ~nan_a
            image[:, k] = (np.where(nan_a, _NAN_KEY, a) + 0.0).view(np.uint64)
        else:
            answered += ok
            image[:, k] = a
    image[:, at] = keys[:, of]
    rows = image.view(np.dtype((np.void, 8 * image.shape[1]))).ravel()
    order = np.argsort(rows, kind="stable")
    ranked = rows[order]
    new = np.ones(n, dtype=bool)
    new[1:] = ranked[1:] != ranked[:-1]
    first = order[new][np.cumsum(new) - 1]        # the first row of each row's equals
    later = np.empty(n, dtype=bool)
    later[order] = order != first
    return later & (answered * 2 >= max(1, p))


def _column_bits(s):
    """uint64 image of a column: float bit patterns (one NaN pattern) or factor codes."""

    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        a = s.to_numpy(dtype="float64", na_value=np.nan)
        a = np.where(np.isnan(a), _NAN_KEY, a) + 0.0   # + 0.0: -0.0 == 0.0
        return a.view(np.uint64)
    if s.dtype == object and len(s) >= MIN_ROWS:    # a large export's text column
        codes, _ = factorize_objects(s.to_numpy())
    else:
        codes, _ = pd.factorize(s, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64).view(np.uint64) + np.uint64(1)
