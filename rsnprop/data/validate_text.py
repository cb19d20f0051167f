"""Validation of the item columns read as text (the step of :func:`.validate.validate_items`
for every column that is not already numeric): ``select_multiple`` answers normalised to the
instrument's codes, labels and "don't know" recoded, numeric text converted and checked
(not a number, out of range, not an integer, invalid code), text codes matched.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.validate_text import _distinct
>>> _distinct(pd.Series(["b", None, "a", "b"]))        # distinct values, then row -> value
(['b', 'a', None], array([0, 2, 1, 0]))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .object_codes import MIN_ROWS, factorize_objects
from .recode import _norm, label_map
from .validate import _bounds, _is_float, _valid_number, problems_frame

__all__: list[str] = []


def _validate_others(df, instrument, columns, tokens, positions, block, slot, skip, out,
                     col_probs, col_recodes, split_multi, to_codes, *, series=True, facts=None,
                     arrays=None):
    """The columns of :func:`validate_items` not in ``skip``: select_multiple, text codes and
    numeric columns read as text (results into ``out``, ``col_probs``, ``col_recodes``; a
    text column's values as an object Series on ``df``'s index, or with ``series=False`` as
    the object array it holds). ``facts``: a dict that receives the factorisation of each
    text column's values made from its distinct values (:func:`factorized_from`);
    ``arrays``: ``{column: its pyarrow string array}`` of a small export (read as they are,
    not through a pandas column each; ``series=False`` only)."""

    arrays = arrays or {}
    for col in columns:
        if col in skip:
            continue
        item = instrument.items[col]
        s = arrays.get(col) if not series else None
        if s is None or not 0 < len(s) <= SMALL_TEXT_ROWS:
            s = df[col]
        itype = getattr(item, "type", "")
        probs = col_probs.setdefault(col, [])
        if itype == "select_multiple":
            keep = None if facts is None else (
                lambda vals_u, inv, col=col: _keep_factorized(facts, col, vals_u, inv))
            vals, pr, rc = _validate_multi(s, item, tokens, positions, split_multi,
                                           series=series, keep=keep)
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
            block[:, slot[col]] = _numeric_codes(col, item, mapped, codes_u, inv, bad_u, tokens,
                                                 positions, rc, probs)
            out[col] = block[:, slot[col]]
        else:
            vals = _text_codes(col, item, mapped, codes_u, inv, positions, probs, facts)
            out[col] = pd.Series(vals, index=df.index, dtype=object) if series else \
                np.asarray(vals, dtype=object)
        if rc:
            col_recodes[col] = rc



def _numeric_codes(col, item, mapped, codes_u, inv, bad_u, tokens, positions, rc, probs):
    """Values of a numeric column read as text (``mapped``: its distinct values as numbers,
    ``inv``: row -> distinct value): numeric missing codes (-99...) outside the valid range
    recoded (counted in ``rc``), then the first failed check of each value -- not a number,
    out of range, not an integer, invalid code -- a problem (into ``probs``) and missing."""

    n = len(inv)
    itype = getattr(item, "type", "")
    arr = np.array([np.nan if c is None else c for c in mapped], dtype="float64")
    # numeric missing codes (-99, -9 ...) outside the valid range
    lo, hi = _bounds(item)
    choices = getattr(item, "choices", {}) or {}
    num_tokens = {float(t) for t in tokens if _is_float(t)}
    for k, c in enumerate(arr):
        if c in num_tokens and not _valid_number(c, lo, hi, choices):
            arr[k] = np.nan
            rc["recoded_missing"] = rc.get("recoded_missing", 0) + int((inv == k).sum())
    vals = arr[inv] if len(arr) else np.full(n, np.nan)
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
    taken = np.zeros(n, dtype=bool)
    for mask, reason in checks:
        mask = mask & ~taken
        if mask.any():
            probs.append(problems_frame(positions[mask], col, raw_u[inv[mask]], reason))
            taken |= mask
    return np.where(taken, np.nan, vals)



def _text_codes(col, item, mapped, codes_u, inv, positions, probs, facts=None):
    """Values of a text column: for a ``select_one`` item with text codes, codes matched
    case-insensitively and the others an ``invalid_code`` problem (into ``probs``) and
    missing. ``facts`` receives the values' factorisation (:func:`factorized_from`)."""

    itype = getattr(item, "type", "")
    arr = np.array(mapped, dtype=object)
    vals = arr[inv] if len(arr) else np.array([None] * len(inv), dtype=object)
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
            arr[bad] = None         # each distinct value as it ends in ``vals``
    if facts is not None:
        _keep_factorized(facts, col, arr, inv)
    return vals


def _keep_factorized(facts, col, vals_u, inv) -> None:
    """``facts[col] = factorized_from(vals_u, inv)`` when it can be made."""
    hit = factorized_from(vals_u, inv)
    if hit is not None:
        facts[col] = hit


def factorized_from(vals_u, inv):
    """``pd.factorize(vals_u[inv], use_na_sentinel=True)`` made from the distinct values
    ``vals_u`` (what each distinct answer became; ``inv``: row -> distinct answer, in
    first-seen order but for the last, the missing answers' entry): ``(codes, uniques)``,
    the same codes and uniques (a value's first row is that of its first distinct answer
    held by a row), from a few dozen values instead of every row. None unless each value
    is a ``str`` or None (missing: code -1; equal values are then equal ``str`` values, as
    for pandas' hash table) and the last entry, when a row holds it, is None.

    >>> codes, uniq = factorized_from(["b a", None, "c", "b a", None], np.array([0, 1, 2, 3, 4, 0]))
    >>> codes.tolist(), uniq.tolist()
    ([0, -1, 1, 0, -1, 0], ['b a', 'c'])
    """
    at: dict = {}
    remap = np.empty(len(vals_u), dtype=np.intp)
    met = np.bincount(inv, minlength=len(vals_u)).tolist()
    if len(vals_u) and vals_u[-1] is not None and met[-1]:
        return None       # the missing answers' entry (last) holds a value: its order unknown
    for k, v in enumerate(vals_u):
        if v is None or not met[k]:      # (a distinct answer no row holds: no value)
            remap[k] = -1
        elif type(v) is str:
            remap[k] = at.setdefault(v, len(at))
        else:
            return None
    uniq = np.empty(len(at), dtype=object)
    uniq[:] = list(at)
    return remap[inv], uniq



def _distinct(s):
    """Distinct values of a column (None for missing) and the inverse index (a column, or a
    small export's pyarrow string array: :func:`_arrow_distinct`)."""

    if isinstance(s, pd.api.extensions.ExtensionArray):
        return _arrow_distinct(s)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
        uniq = [float(u) for u in uniq]
    elif isinstance(s.dtype, pd.StringDtype):
        # string columns factorised as they are (same codes and first-seen order as on
        # their object image, without building a million Python strings)
        if 0 < len(s) <= SMALL_TEXT_ROWS and getattr(s.dtype, "storage", "") == "pyarrow":
            codes, uniq = _arrow_factorize(s.array)
        else:
            codes, uniq = pd.factorize(s, use_na_sentinel=True)
            uniq = [str(u) for u in uniq.tolist()]
    elif s.dtype == object and len(s) >= MIN_ROWS:
        # a large export's text column: its distinct objects factorised (the same codes)
        codes, uniq = factorize_objects(s.to_numpy())
        uniq = list(uniq)
    else:
        codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
        uniq = [u for u in uniq]
    codes = np.asarray(codes)
    uniq.append(None)
    codes = np.where(codes < 0, len(uniq) - 1, codes)
    return uniq, codes



#: up to this many rows (:data:`.validate_small.SMALL_ROWS`) a pyarrow string column is
#: factorised by :func:`_arrow_factorize` (pandas' own steps cost more than 300 values)
SMALL_TEXT_ROWS = 20_000


def _arrow_factorize(arr):
    """``pd.factorize(arr, use_na_sentinel=True)`` of a pyarrow-backed string array as
    ``(codes, distinct values as str)``: the steps pandas takes (a dictionary encoding of the
    chunked array, its chunks combined, missing values -1), without its wrappers. The
    missing value is encoded as a value of its own (no pyarrow ``fill_null`` call, which costs
    more than the rest), then taken out of the distinct values and its code made -1."""
    combined = arr.__arrow_array__().dictionary_encode(null_encoding="encode").combine_chunks()
    codes = combined.indices.to_numpy(zero_copy_only=False).astype(np.intp)
    uniq = combined.dictionary.to_pylist()
    if combined.dictionary.null_count:
        k = uniq.index(None)
        del uniq[k]
        codes = np.where(codes == k, -1, codes - (codes > k))
    return codes, uniq


def _arrow_distinct(arr):
    """:func:`_distinct` of a pyarrow-backed string array of up to ``SMALL_TEXT_ROWS`` values
    (its factorisation, :func:`_arrow_factorize`, then None last): the missing value's
    dictionary entry moved last by one lookup table instead of two ``where`` passes."""
    combined = arr.__arrow_array__().dictionary_encode(null_encoding="encode").combine_chunks()
    codes = combined.indices.to_numpy(zero_copy_only=False)
    uniq = combined.dictionary.to_pylist()
    if combined.dictionary.null_count:
        k, m = uniq.index(None), len(uniq)
        del uniq[k]
        lut = np.empty(m, dtype=np.intp)      # entries after the missing one move down
        lut[:k] = np.arange(k)
        lut[k + 1:] = np.arange(k, m - 1)
        lut[k] = m - 1
        codes = lut[codes]
    else:
        codes = codes.astype(np.intp)
    uniq.append(None)
    return uniq, codes


#: item -> what each distinct select_multiple answer became (:func:`_multi_answers`)
_MULTI_MEMO: dict = {}


def _multi_answers(item, tokens, split_multi) -> dict:
    """A memo for one ``select_multiple`` item and set of missing tokens: ``(type, value) ->
    (normalised answer or None, "missing" / "bad" / None)``, kept across calls (a power
    replication meets the same few hundred distinct answers each time; each costs some
    regular-expression work). Kept while the item object lives (it is held here, so its
    ``id`` is not reused), at most 256 items and 4096 answers each."""
    entry = _MULTI_MEMO.get(id(item))
    if entry is None or entry[0] is not item or entry[1] != tokens or entry[2] is not split_multi:
        if len(_MULTI_MEMO) >= 256:
            _MULTI_MEMO.clear()
        entry = (item, frozenset(tokens), split_multi, {})
        _MULTI_MEMO[id(item)] = entry
    if len(entry[3]) > 4096:
        entry[3].clear()
    return entry[3]


def _multi_answer(v, item, tokens, split_multi, lmap, order):
    """One distinct answer of a ``select_multiple`` item: ``(normalised, status)``."""
    if _norm(v) in tokens:
        return None, "missing"
    if isinstance(v, float) and v.is_integer():
        v = str(int(v))
    toks, bad = [], False
    for t in split_multi(v):
        code = lmap.get(_norm(t))
        if code is None or (order and str(code) not in order):
            bad = True
        else:
            toks.append(str(code))
    toks = sorted(set(toks), key=lambda c: order.get(c, 10**6))
    return (" ".join(toks) if toks else None), ("bad" if bad else None)


def _validate_multi(s, item, tokens, positions, split_multi, *, series=True, keep=None):
    """One ``select_multiple`` column: ``(values, problems, recodes)``; ``keep(distinct
    values, inverse)`` is called with what each distinct answer became."""
    memo = _multi_answers(item, tokens, split_multi)
    lmap = order = None
    uniq, inv = _distinct(s)
    norm_u, bad_u, rc = [], [], {}
    miss_u = []
    for k, v in enumerate(uniq):
        if v is None:
            norm_u.append(None)
            continue
        hit = memo.get((type(v), v))
        if hit is None:
            if lmap is None:
                lmap = label_map(item)
                order = {str(c): k for k, c in enumerate(getattr(item, "choices", {}) or {})}
            hit = memo[(type(v), v)] = _multi_answer(v, item, tokens, split_multi, lmap, order)
        norm, status = hit
        if status == "missing":
            miss_u.append(k)
        elif status == "bad":
            bad_u.append(k)
        norm_u.append(norm)
    arr = np.array(norm_u, dtype=object)
    vals = pd.Series(arr[inv], index=s.index, dtype=object) if series else arr[inv]
    if keep is not None:
        keep(norm_u, inv)
    probs = []
    if bad_u:
        mask = np.isin(inv, bad_u)
        probs.append(problems_frame(positions[mask], item.id,
                                    np.array(uniq, dtype=object)[inv[mask]], "invalid_code"))
    if miss_u:
        rc["recoded_missing"] = int(np.isin(inv, miss_u).sum())
    return vals, probs, rc
