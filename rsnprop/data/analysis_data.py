"""The analysis-ready data set, the last step of cleaning before the log: the kept firms'
answers with Likert items reverse keyed, one 0/1 column per option of each
``select_multiple`` item, the identifying columns' hashes (``pii: hash``), the born-global
classification (:mod:`.classify`) and the construct scores (:mod:`.scores`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.data.analysis_data import kept_rows
>>> vals = pd.DataFrame({"a": [1.0, 2.0, 7.0], "b": [3.0, 4.0, 5.0]})
>>> kept_rows(vals, np.array([True, False, True]), ["a", "b"], {"a": 8.0}).values.tolist()
[[7.0, 3.0], [1.0, 5.0]]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from ..instrument.scoring import construct_scores, mean_of_answered_floats
from .classify import born_global_columns, classify_born_global
from .validate import LANGUAGE_COLUMN
from .frames import column_index
from .owned_columns import give_back_bytes
from .small_frames import (
    block_frame,
    column_names,
    concat_columns,
    default_index,
    frame_dtypes,
    frame_in_order,
    frame_of_dict,
)
from .validate_small import SMALL_ROWS, columns_array, kept_factorized, kept_text

__all__ = ["analysis_data", "kept_rows", "kept_rows_small"]

_OBJECT = np.dtype(object)


def analysis_data(values, kept, ids, cols, instrument, rules, *, languages, cache,
                  reuse_values=False, flags=None):
    """The clean data: one row per kept firm (``kept``: boolean array over the input rows).

    Columns: ``resp_id``, ``survey_language`` (when exported: ``languages``), the validated
    items (``cols``: :class:`~rsnprop.data.columns.Columns`) reverse keyed, the
    ``select_multiple`` indicators (``cache``: factorisations made for the skip logic, reused),
    the hashed identifying columns, the classification and the scores. ``reuse_values``:
    ``values`` is not used afterwards, so its float block may hold the kept rows
    (:func:`kept_rows`). ``flags``: the flags table (:func:`.log.apply_exclusions`), whose
    ``resp_id`` column a large export's kept ids are taken from (:func:`_kept_ids`).
    """

    items = instrument.items
    reverse = {c: it.scale.min + it.scale.max for c, it in items.items()
               if it.type == "likert" and getattr(it, "reverse", False)}
    present = set(column_names(values))     # (a set: the str index's lookups cost more)
    columns = [c for c in cols.value_cols + cols.absent if c in present]
    floats: dict = {}      # the float columns kept_rows_small gathered, by name
    texts: dict = {}       # and its object columns
    if len(values) <= SMALL_ROWS:
        out = kept_rows_small(values, kept, columns, reverse, floats=floats, texts=texts)
    else:
        out = kept_rows(values, kept, columns, reverse, reuse=reuse_values)
    multi = _select_multiple_indicators(out, items, kept, cache, texts, values)
    scores = _scores(out, floats, instrument, rules.min_items_for_score)
    bg = classify_born_global(_facts_of(out, floats), rules.classification, index=out.index)
    rid = {"resp_id": _kept_ids(ids, kept, flags)}
    pieces = [frame_of_dict(rid, len(out)) if len(out) <= SMALL_ROWS and
              default_index(out.index, len(out)) else pd.DataFrame(rid, index=out.index), out]
    if languages is not None:   # one object column: the frame of an object Series
        lang = np.asarray(languages[kept], dtype=object).reshape(-1, 1)
        pieces.insert(1, _block_frame(lang, [LANGUAGE_COLUMN], out.index))
    if multi:   # one column-major block filled in place (no consolidation copy)
        block = np.empty((len(out), len(multi)), order="F")
        for j, (hit, codes_c) in enumerate(multi.values()):
            np.take(hit, codes_c, out=block[:, j], mode="wrap")   # -1 -> NaN
        pieces.append(_block_frame(block, multi, out.index))
    if cols.hashed:
        pieces.append(pd.DataFrame({c: h[kept] for c, h in cols.hashed.items()}, index=out.index))
    pieces += [bg, scores]
    if len(out) <= SMALL_ROWS:     # the same frame from the pieces' blocks
        return concat_columns(pieces, len(out))
    return pd.concat(pieces, axis=1).reset_index(drop=True)


def _kept_ids(ids, kept, flags):
    """The kept rows' ids, ``ids.to_numpy()[kept]``: for a large export whose flags table
    holds them as pandas' Arrow text (what pandas makes of the same objects, one text array
    when one id is not missing), the kept rows of that array, which pandas would otherwise
    make again from 800,000 Python strings (0.1-0.17 s on one core). Objects when the
    kept ids are all missing or none is kept (pandas keeps those as objects)."""
    if flags is None or len(kept) <= SMALL_ROWS or "resp_id" not in flags.columns:
        return ids.to_numpy()[kept]
    text = flags["resp_id"].array
    if not (isinstance(text, pd.arrays.ArrowStringArray) and len(text) == len(kept)):
        return ids.to_numpy()[kept]
    taken = text[np.asarray(kept, dtype=bool)]
    return taken if len(taken) and not taken.isna().all() else ids.to_numpy()[kept]


def _scores(out, floats, instrument, min_fraction):
    """``construct_scores(out, instrument, min_fraction, sums=False, partial=True)`` (the
    clean data's ``score_<construct>`` columns): from ``floats`` (the kept float columns,
    :func:`kept_rows_small`) when it holds every item column of ``out`` that is scored, the
    same sums in the same order; else through
    :func:`~rsnprop.instrument.scoring.construct_scores`."""
    present = set(column_names(out))
    cons = [(cid, [c for c in con.items if c in present], len(con.items))
            for cid, con in instrument.constructs.items()
            if (getattr(con, "scoring", "mean") or "mean") not in ("none", "sum")]
    if not out.columns.is_unique or any(c not in floats for _, cs, _ in cons for c in cs):
        return construct_scores(out, instrument, min_fraction, sums=False, partial=True)
    scores = {f"score_{cid}": _mean_of_answered(floats, present, k, min_fraction, len(out))
              for cid, present, k in cons}
    if not scores or any(a.dtype != np.float64 or a.shape != (len(out),) for a in scores.values()):
        return pd.DataFrame(scores, index=out.index)
    # the one float block the frame of these columns consolidates into, filled here
    block = np.empty((len(out), len(scores)), order="F")
    for j, a in enumerate(scores.values()):
        block[:, j] = a
    return _block_frame(block, scores, out.index)


def _block_frame(arr, names, index):
    """``pd.DataFrame(arr, columns=names, index=index, copy=False)`` (``dtype=object`` for
    an object array), from its one block on a small default index
    (:func:`.small_frames.block_frame`)."""
    if len(index) <= SMALL_ROWS and default_index(index, len(index)):
        return block_frame(arr, names, len(index))
    return pd.DataFrame(arr, columns=column_index(names), index=index, copy=False,
                        dtype=object if arr.dtype == object else None)


def _mean_of_answered(floats, columns, k, min_fraction, n):
    """:func:`rsnprop.instrument.scoring._mean_of_answered` on ``{column: floats}``: the
    answered values added column by column in order, NaN where fewer than
    ``max(1, ceil(min_fraction k))`` are answered."""
    return mean_of_answered_floats((floats[c] for c in columns), k, min_fraction, n)


def _facts_of(out, floats):
    """The facts the classification reads, as ``{column: floats}`` (the gathered arrays
    where there are, else the column as ``classify_born_global`` reads it); ``out`` itself
    when its column names repeat."""
    if not out.columns.is_unique:
        return out
    return {c: floats[c] if c in floats else out[c].to_numpy(dtype="float64", na_value=np.nan)
            for c in born_global_columns(column_names(out))}


def _select_multiple_indicators(out, items, kept, cache, texts=None, values=None) -> dict:
    """``{"<item>_<code>": (hit, codes)}`` for every option of every ``select_multiple`` item:
    ``hit[codes]`` is the 0/1 column (NaN where unanswered: code -1 picks the last entry).
    ``texts``: ``{column: its kept objects}`` (:func:`kept_rows_small`), factorised as they
    are instead of the frame's column; a column of ``values`` (the rows before ``kept``)
    factorised when it was validated (:func:`.validate_small.kept_factorized`) is taken from
    there (``hit[codes]`` is the same whichever codes a factorisation gives)."""
    texts = {} if texts is None else texts

    multi = {}
    for c in column_names(out):
        it = items[c]
        if it.type == "select_multiple":
            whole = cache.get(("factorize", c))   # factorised for the skip logic already
            if whole is None and values is not None and c in texts:
                whole = kept_factorized(values, c)
            if whole is not None:
                codes_c, uniq = whole
                codes_c = codes_c[kept]
            elif c in texts:
                codes_c, uniq = pd.factorize(texts[c], use_na_sentinel=True)
            else:
                codes_c, uniq = pd.factorize(out[c], use_na_sentinel=True)
                codes_c = np.asarray(codes_c)
            choices = list(getattr(it, "choices", {}) or {})
            hits = _option_hits(uniq, choices)
            for j, code in enumerate(choices):
                multi[f"{c}_{code}"] = (hits[:, j], codes_c)   # hit[codes_c]: code -1 -> NaN
    return multi


def _option_hits(uniq, choices):
    """``(len(uniq) + 1, len(choices))`` floats: 1.0 where the distinct answer ``uniq[i]``
    (space-separated codes) holds ``str(choices[j])``, else 0.0; a last row of NaN (the
    unanswered). Each answer's options found once per list of choices and kept (a power
    replication meets the same few dozen answers each time), the ones set in one call."""
    key = tuple(str(code) for code in choices)
    memo = _HITS.get(key)
    if memo is None or len(memo) > 4096:
        if len(_HITS) >= 64:
            _HITS.clear()
        memo = _HITS[key] = {}
    rows, cols = [], []
    for i, u in enumerate(uniq):
        u = str(u)
        js = memo.get(u)
        if js is None:
            toks = set(u.split(" "))
            js = memo[u] = [j for j, code in enumerate(key) if code in toks]
        rows += [i] * len(js)
        cols += js
    hits = np.zeros((len(uniq) + 1, len(choices)))
    hits[-1] = np.nan
    hits[rows, cols] = 1.0
    return hits


#: the codes of a list of choices (as text) -> {answer: the positions of its options}
_HITS: dict = {}


def kept_rows(values, kept, columns, reverse, *, reuse=False):
    """``values.loc[kept, columns]`` with Likert columns reverse keyed (``lo + hi - x``, as
    :func:`~rsnprop.data.recode.reverse_key`): the float columns are gathered straight into
    one column-major block and reversed in place there, the others inserted beside it.

    ``reuse=True``: ``values`` is discarded afterwards, so when its float columns are the
    leading columns of one column-major array that nothing else refers to (as
    :func:`.validate.validate_items` builds it), the kept rows are moved to the top of that
    array in place and the result is a view of it: no second copy of the answers (a million
    rows: 0.5 GB less at the peak). Otherwise, or when anything else holds a view of it,
    they are copied; the values are the same either way."""

    rows = np.flatnonzero(kept)
    num = [c for c in columns if values[c].dtype == np.float64]
    block = _compact_in_place(values, rows, num, reverse) if reuse else None
    if block is None:
        block = np.empty((len(rows), len(num)), order="F")
        for j, c in enumerate(num):
            np.take(values[c].to_numpy(), rows, out=block[:, j], mode="clip")  # unbuffered
            if c in reverse:
                np.subtract(reverse[c], block[:, j], out=block[:, j])
    out = pd.DataFrame(block, columns=num, copy=False)
    is_num = set(num)
    for pos, c in enumerate(columns):
        if c not in is_num:
            col = values[c]
            x = col.to_numpy()[rows]
            if c in reverse:      # a Likert column not held as float64 (all missing...)
                x = reverse[c] - pd.to_numeric(pd.Series(x), errors="coerce").to_numpy()
            out.insert(pos, c, pd.Series(x, dtype=col.dtype if c not in reverse else None))
    return out


def kept_rows_small(values, kept, columns, reverse, *, reuse=False, floats=None, texts=None):
    """:func:`kept_rows` for a small ``values`` (a power replication's few hundred rows): the
    same frame (the same columns, dtypes and values), the float columns taken together in one
    array and the columns put in order by position, instead of one pandas column access (and
    a column inserted) each. ``reuse`` is ignored (a copy of a small array costs nothing).
    ``floats``: a dict that receives ``{column: its kept floats}`` of the float columns (the
    frame's own columns); ``texts`` likewise the object columns taken from the kept text
    block (:func:`.validate_small.kept_text`).

    >>> vals = pd.DataFrame({"a": [1.0, 2.0, 7.0], "t": ["x", None, "z"], "b": [3.0, 4.0, 5.0]})
    >>> kept_rows_small(vals, np.array([True, False, True]), ["a", "t", "b"], {"a": 8.0}).values.tolist()
    [[7.0, 'x', 3.0], [1.0, 'z', 5.0]]
    """
    if not values.columns.is_unique:
        return kept_rows(values, kept, columns, reverse)
    rows = np.flatnonzero(kept)
    floats = {} if floats is None else floats
    pos = {c: i for i, c in enumerate(column_names(values))}
    dtypes = frame_dtypes(values)
    num = [c for c in columns if dtypes[pos[c]] == np.float64]
    block = (np.asfortranarray(columns_array(values, num)[rows]) if num
             else np.empty((len(rows), 0), order="F"))
    for j, c in enumerate(num):
        if c in reverse:
            np.subtract(reverse[c], block[:, j], out=block[:, j])
    floats.update((c, block[:, j]) for j, c in enumerate(num))
    if len(num) == len(columns):
        return _frame(block, num)
    is_num = set(num)
    others = [c for c in columns if c not in is_num]
    obj = kept_text(values, others)
    if obj is not None and not any(c in reverse or dtypes[pos[c]] != _OBJECT for c in others):
        # the validated text columns as they were kept (the objects pandas holds), the rows
        # taken at once: the frame of one object Series per column below
        obj = np.asfortranarray(obj[rows])
        if texts is not None:
            texts.update((c, obj[:, j]) for j, c in enumerate(others))
        both = frame_in_order([(block, num), (obj, others)], columns, len(rows))
        if both is not None:
            return both
        text = pd.DataFrame(obj, columns=column_index(others), dtype=object, copy=False)
        return _in_order(pd.concat([_frame(block, num), text], axis=1), columns)
    text = {}
    for c in columns:
        if c in is_num:
            continue
        col = values[c]
        x = col.to_numpy()[rows]
        if c in reverse:      # a Likert column not held as float64 (all missing...)
            x = reverse[c] - pd.to_numeric(pd.Series(x), errors="coerce").to_numpy()
        text[c] = pd.Series(x, dtype=col.dtype if c not in reverse else None)
    return _in_order(pd.concat([_frame(block, num), pd.DataFrame(text)], axis=1), columns)


def _frame(block, names):
    return pd.DataFrame(block, columns=column_index(names), copy=False)


def _in_order(both, columns):
    """``both[columns]``, the columns taken by position."""
    at = {c: i for i, c in enumerate(both.columns.tolist())}
    return both.take([at[c] for c in columns], axis=1)


def _compact_in_place(values, rows, num, reverse):
    """The kept ``rows`` of the float columns ``num`` moved to the top of the array that
    holds them, reverse keyed there: a view ``(len(rows), len(num))`` of it, or None when
    the columns are not the leading columns of one column-major array in order, or when
    something besides ``values`` refers to that array (it would see the rows move)."""
    if not num:
        return None
    arrays = [values[c].to_numpy() for c in num]
    root = arrays[0].base
    n = len(values)
    if not isinstance(root, np.ndarray) or root.base is not None or root.ndim != 2 \
            or not root.flags.f_contiguous or not root.flags.writeable \
            or root.shape[0] != n or root.dtype != np.float64 or root.shape[1] < len(num):
        return None
    start = root.ctypes.data
    for j, a in enumerate(arrays):
        if a.base is not root or a.ctypes.data != start + j * n * 8 or a.strides != (8,):
            return None
    # references to the array: ours (root, the column views, getrefcount's argument) and
    # the one block of ``values``; any other is a view someone still reads
    if sys.getrefcount(root) != len(arrays) + 3:
        return None
    del arrays
    k, m = len(rows), len(num)
    # column j moves from offset j n to j k of the array: the kept rows become one
    # column-major (k, m) block at its start and the pages after it are given back (the
    # excluded rows and unused columns: 0.1-0.2 GB at a million rows). Column j's rows are
    # gathered whole before they are written (``take`` copies first when its output overlaps
    # the column, else gathers straight into place), and nothing written reaches a later
    # column.
    flat = root.reshape(-1, order="F")
    for j, c in enumerate(num):
        dest = flat[j * k:(j + 1) * k]
        np.take(root[:, j], rows, out=dest, mode="clip")
        if c in reverse:
            np.subtract(reverse[c], dest, out=dest)
    _release_pages(flat, m * k)
    return flat[:m * k].reshape((k, m), order="F")


def _release_pages(flat, used):
    """Give the pages of ``flat`` past its first ``used`` floats back to the system (Linux
    ``madvise(MADV_DONTNEED)``; nothing elsewhere). Only for an array nobody reads there
    again: those pages then read as zeros."""
    give_back_bytes(flat.ctypes.data + used * 8, flat.ctypes.data + flat.size * 8, 64)
