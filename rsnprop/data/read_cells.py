"""Text cells to values, for every reader: missing-value tokens (``NA``, ``#N/A``...) blanked,
the header checked (duplicate or unnamed columns), and text columns whose every non-empty
value is a number converted (decimal commas and thousand separators recognised).

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.read_cells import to_numeric_columns
>>> df, comma_cols = to_numeric_columns(pd.DataFrame({"a": ["1,5", "2"], "b": ["x", "3"]}))
>>> df["a"].tolist(), df["b"].tolist(), comma_cols
([1.5, 2.0], ['x', '3'], ['a'])
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataFileError

__all__ = ["MISSING_TOKENS", "to_numeric_columns"]


#: cell texts read as missing by default (R's ``NA``, spreadsheets' ``#N/A``...); empty cells
#: are missing too.  ``read_table(..., missing_tokens=())`` keeps them as text.
MISSING_TOKENS = ("NA", "N/A", "n/a", "NaN", "nan", "#N/A", "NULL")



_NUM_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")



_COMMA_DEC_RE = r"^\s*[+-]?\d*,\d+\s*$"



_THOUSANDS_COMMA_DEC_RE = r"^\s*[+-]?\d{1,3}(\.\d{3})+(,\d+)?\s*$"



def to_numeric_columns(df, *, decimal: str | None = None):
    """Convert text columns whose every non-empty value is a number to floats (or ints).

    Decimal commas (``"3,5"``) and dot thousand separators with a decimal comma
    (``"1.234,5"``) are recognised when ``decimal`` is ``","`` or ``None`` (auto: a column
    converts only when all its values fit one convention). Returns a new DataFrame and the
    list of columns read with a decimal comma.

    Each column is decided with vectorised string kernels (pyarrow) when that is certain:
    every value a plain decimal number (or, for ``decimal=","``/auto, a decimal-comma number
    or an integer), or at least one value that no rule accepts (a text column). Anything
    else -- thousand separators, values such as ``"inf"`` -- goes through the general
    element-wise rules (:func:`_convert_column_general`), so the result is the same.
    """

    out = {}
    comma_cols = []
    for col in df.columns:
        s = df[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            out[col] = s
            continue
        res = _convert_column_fast(s, decimal)
        if res is None:
            res = _convert_column_general(s, decimal)
        out[col], is_comma = res
        if is_comma:
            comma_cols.append(col)
    return pd.DataFrame(out, index=df.index), comma_cols



#: Python's ``str.strip()`` whitespace (``str.isspace``), for the same trimming in pyarrow
_PY_WHITESPACE = "".join(chr(i) for i in (
    *range(0x9, 0xE), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028,
    0x2029, 0x202F, 0x205F, 0x3000))



_NUM_RE2 = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"



_COMMA_OR_INT_RE2 = r"^[+-]?[0-9]*,[0-9]+$|^[+-]?[0-9]+$"



def _convert_column_fast(s, decimal):
    """``(series, is_comma)`` decided with pyarrow kernels, or None when only the general
    rules can decide (see :func:`to_numeric_columns`). ``s`` is a Series or a pyarrow
    (chunked) string array.

    The rules run on the column's distinct values (dictionary encoding), then map back to
    the rows, so a Likert column costs one pass over its cells.
    """

    try:
        if isinstance(s, (pa.Array, pa.ChunkedArray)):
            a, index = s, None
        else:
            a, index = pa.array(s, type=pa.string(), from_pandas=True), s.index
        dictionary, codes = _encode(a)
    except Exception:  # noqa: BLE001 - non-string objects: the general rules decide
        return None
    res = _decide(dictionary, codes, decimal)
    if res is None:
        return None
    return _series(res[0], pd.RangeIndex(len(codes)) if index is None else index), res[1]


def _encode(a):
    """``(distinct values, codes)`` of a pyarrow string array (or of a dictionary-typed
    chunked column, as the CSV reader gives); code -1: missing cell."""
    if isinstance(a, pa.ChunkedArray) and pa.types.is_dictionary(a.type):
        return _unified_codes(a)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks() if a.num_chunks else pa.array([], pa.string())
    enc = pc.dictionary_encode(a)
    return enc.dictionary, pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)


def _unified_codes(a):
    """``(distinct values, codes)`` of a dictionary-typed chunked column whose chunks each
    have their own dictionary (the CSV reader's blocks): the chunks' dictionaries unified
    (pyarrow's ``unify_dictionaries``: the first chunk's values, then each later chunk's new
    ones, in order) and each chunk's codes mapped onto that union, in C for all chunks at
    once. The distinct values come in the order of their first cell, as
    :func:`pyarrow.compute.dictionary_encode` of the text column gives them; code -1:
    missing cell."""
    if not a.num_chunks:
        return pa.array([], pa.string()), np.empty(0, dtype=np.int32)
    unified = a.unify_dictionaries()
    codes = pa.chunked_array([c.indices for c in unified.chunks], type=pa.int32())
    codes = pc.fill_null(codes, -1).to_numpy()
    return unified.chunk(0).dictionary, codes


def _series(kind, index):
    """The Series of a decided column (``kind`` from :func:`_decide`)."""
    tag, values, codes = kind
    x = np.append(values, np.nan if tag == "float" else None)[codes]   # code -1: missing
    if tag == "int":
        return pd.Series(x.astype("int64"), index=index)
    return pd.Series(x, index=index, dtype="float64" if tag == "float" else object)


def _decide(dictionary, codes, decimal):
    """The rules of :func:`_convert_column_fast` on the distinct values ``dictionary`` of a
    column and its cells' ``codes`` (-1: missing; a value no cell refers to any more is
    ignored): ``((tag, values, codes), is_comma)`` with ``tag`` ``"int"``, ``"float"`` (the
    numbers of the distinct values) or ``"text"`` (the stripped distinct values, None for
    blank ones), or None when only the general rules can decide."""

    t = pc.utf8_trim(dictionary, characters=_PY_WHITESPACE)   # distinct values, stripped
    valid_d = np.asarray(pc.not_equal(t, "").to_numpy(zero_copy_only=False), dtype=bool)
    missing = codes < 0
    if missing.any():
        used = np.bincount(codes[~missing], minlength=len(valid_d)) > 0
        valid_d &= used[:len(valid_d)]
    if not valid_d.any():
        return None                       # empty or whitespace-only column: general rules
    t = pc.if_else(pa.array(valid_d), t, pa.scalar(None, pa.string()))
    if len(valid_d) >= _MANY_VALUES and _first_is_text(t, valid_d, decimal):
        return ("text", t.to_numpy(zero_copy_only=False), codes), False

    def _all(pattern):
        hit = np.asarray(pc.fill_null(pc.match_substring_regex(t, pattern), False)
                         .to_numpy(zero_copy_only=False), dtype=bool)
        return bool(np.all(hit | ~valid_d)), hit

    def _numbers(arr):
        try:
            xd = np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False),
                            dtype="float64")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        # int64 when no cell is missing and every number is a whole number below 2 ** 53
        # (a blank or blanked distinct value is NaN, so never whole)
        whole = not missing.any() and np.all(np.abs(xd) < 2 ** 53) and np.all(xd % 1 == 0)
        return ("int" if whole else "float", xd, codes)

    hit = np.zeros(len(valid_d), dtype=bool)
    if decimal != ",":
        ok, hit = _all(_NUM_RE2)
        if ok:
            x = _numbers(t)
            return None if x is None else (x, False)
    if decimal != ".":
        ok, _ = _all(_COMMA_OR_INT_RE2)
        if ok:
            x = _numbers(pc.replace_substring(t, ",", "."))
            return None if x is None else (x, True)
    # text for sure only when some value fails every rule of the general path
    cand = np.flatnonzero(valid_d & ~hit)[:64]
    sample = pc.take(t, pa.array(cand, type=pa.int64())).to_pylist()
    if not any(_rejected(v, decimal) for v in sample):
        return None
    return ("text", t.to_numpy(zero_copy_only=False), codes), False



#: from this many distinct values on, :func:`_decide` first looks at the first one alone
_MANY_VALUES = 4096


def _first_is_text(t, valid_d, decimal) -> bool:
    """True when the first valid distinct value of ``t`` (stripped) fails every rule of
    :func:`_decide` (neither pattern; :func:`_rejected`): its column is text, as ``_decide``
    finds after its patterns' passes over every value (this value is the first candidate it
    then looks at). An id or time column of a million distinct values: 0.1 s less."""
    first = t.slice(int(np.argmax(valid_d)), 1)
    for pattern, used in ((_NUM_RE2, decimal != ","), (_COMMA_OR_INT_RE2, decimal != ".")):
        if used and pc.match_substring_regex(first, pattern)[0].as_py():
            return False
    return _rejected(first[0].as_py(), decimal)


def _rejected(v, decimal):
    """True when the general rules cannot read ``v`` (stripped, non-empty) as a number."""

    if decimal != ",":
        x = pd.to_numeric(pd.Series([v], dtype=object), errors="coerce").iloc[0]
        if not (isinstance(x, float) and math.isnan(x)):
            return False
    if decimal != ".":
        for pattern in (_COMMA_DEC_RE + "|" + r"^\s*[+-]?\d+\s*$",
                        _THOUSANDS_COMMA_DEC_RE + "|" + _COMMA_DEC_RE + "|" + r"^\s*[+-]?\d+\s*$"):
            if re.match(pattern, v):
                return False
    return True



def _convert_column_general(s, decimal):
    """The element-wise rules of :func:`to_numeric_columns` for one column:
    ``(series, is_comma)``."""

    is_comma = False
    txt = s.astype("string").str.strip()
    txt = txt.mask(txt == "")
    nonnull = txt.dropna()
    if nonnull.empty:
        return (pd.Series(np.nan, index=s.index, dtype="float64") if s.isna().all() else s,
                False)
    conv = None
    if decimal != ",":
        num = pd.to_numeric(nonnull, errors="coerce")
        if not num.isna().any():
            conv = num
    if conv is None and decimal != ".":
        if nonnull.str.match(_COMMA_DEC_RE + "|" + r"^\s*[+-]?\d+\s*$").all():
            conv = pd.to_numeric(nonnull.str.replace(",", ".", regex=False), errors="coerce")
        elif nonnull.str.match(_THOUSANDS_COMMA_DEC_RE + "|" + _COMMA_DEC_RE + "|"
                               + r"^\s*[+-]?\d+\s*$").all():
            conv = pd.to_numeric(nonnull.str.replace(".", "", regex=False)
                                 .str.replace(",", ".", regex=False), errors="coerce")
        if conv is not None:
            if conv.isna().any():
                conv = None
            else:
                is_comma = True
    if conv is None:
        return txt.astype(object).where(txt.notna(), None), False
    full = pd.Series(np.nan, index=s.index, dtype="float64")
    full.loc[conv.index] = conv.astype("float64")
    if full.notna().any() and (full.dropna() % 1 == 0).all() and full.notna().all() \
            and full.abs().max() < 2**53:
        full = full.astype("int64")
    return full, is_comma



def _blank_missing_tokens(df, tokens):
    """Text cells equal (once stripped) to a missing-value token become missing; returns the
    frame and ``{token: number of cells}`` (tokens that occurred)."""
    counts: dict = {}
    if not tokens:
        return df, counts
    tokens = set(tokens)
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype != object and not str(s.dtype).startswith(("str", "string")):
            continue
        stripped = s.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        hit = stripped.isin(tokens)
        if hit.any():
            for tok, n in stripped[hit].value_counts().items():
                counts[tok] = counts.get(tok, 0) + int(n)
            out[col] = s.astype(object).where(~hit, None)
    return out, dict(sorted(counts.items()))



def _blank_codes(dictionary, codes, tokens, counts):
    """The codes with the cells whose stripped text is a missing-value token set to -1
    (missing), counting those cells by token in ``counts``."""

    if tokens is None:
        return codes
    t = pc.utf8_trim(dictionary, characters=_PY_WHITESPACE)
    hit = np.asarray(pc.fill_null(pc.is_in(t, value_set=tokens), False)
                     .to_numpy(zero_copy_only=False), dtype=bool)
    if not hit.any():
        return codes
    cells = np.bincount(codes[codes >= 0], minlength=len(hit))
    for j in np.flatnonzero(hit & (cells > 0)):
        tok = t[int(j)].as_py()
        counts[tok] = counts.get(tok, 0) + int(cells[j])
    codes = codes.copy()
    codes[np.append(hit, False)[codes]] = -1         # (code -1 reads the spare False)
    return codes



def _convert_table(table, decimal, tokens=MISSING_TOKENS):
    """:func:`to_numeric_columns` of a pyarrow table of text columns, after blanking the
    cells that are missing-value ``tokens`` (as :func:`_blank_missing_tokens`): the frame,
    the decimal-comma columns and ``{token: cells}``.

    Each column is dictionary encoded once; the tokens and the rules are decided on its
    distinct values. The general rules get a pandas text column, as
    ``pd.read_csv(dtype=str)`` gives. The table's columns are released as they are
    converted, and the number columns written straight into one column-major block."""

    token_set = pa.array(sorted(set(tokens)), type=pa.string()) if tokens else None
    names, columns, n = table.column_names, table.columns, table.num_rows
    del table

    def convert(j):
        if pa.types.is_floating(columns[j].type):   # parsed as numbers (io_csv.number_columns)
            col, columns[j] = columns[j], None
            return (_float_column(col), False), {}
        dictionary, codes = _encode(columns[j])
        columns[j] = None                            # the text of the column is released
        counts: dict = {}
        codes = _blank_codes(dictionary, codes, token_set, counts)
        res = _decide(dictionary, codes, decimal)
        if res is None:       # the general rules, on the column's cells (tokens blanked)
            cells = pc.take(dictionary, pa.array(codes, mask=codes < 0))
            res = _convert_column_general(pd.Series(cells.to_pandas(), dtype="str"), decimal)
        return res, counts

    # both cores: the arrow kernels release the GIL; results are collected in column order
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(convert, range(len(names))))
    counts: dict = {}
    for _, col_counts in done:
        for tok, k in col_counts.items():
            counts[tok] = counts.get(tok, 0) + k
    results = [res for res, _ in done]
    del done
    comma_cols = [name for name, (_, is_comma) in zip(names, results) if is_comma]
    # float columns in one column-major block (no consolidation copy), the others inserted
    floats = [j for j, (x, _) in enumerate(results)
              if (x[0] in ("float", "column") if isinstance(x, tuple) else x.dtype == "float64")]
    block = np.empty((n, len(floats)), order="F")

    def fill(k):   # one column of the block each (threads: np.take releases the GIL)
        j = floats[k]
        x = results[j][0]
        if isinstance(x, tuple) and x[0] == "column":   # pyarrow's float64 column, copied
            _copy_chunks(x[1], block[:, k])
        elif isinstance(x, tuple):     # the numbers of the distinct values, taken by code
            # (mode "wrap": code -1 reads the NaN slot, and no buffered copy as "raise" makes)
            np.take(np.append(x[1], np.nan), x[2], out=block[:, k], mode="wrap")
        else:
            block[:, k] = x.to_numpy()
        results[j] = None

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(fill, range(len(floats))))
    df = pd.DataFrame(block, columns=[names[j] for j in floats], copy=False)
    for j, res in enumerate(results):
        if res is not None:
            x = res[0]
            df.insert(j, names[j], _series(x, pd.RangeIndex(n)) if isinstance(x, tuple)
                      else x.reset_index(drop=True))
    # the memory of the text columns back to the system (the allocator keeps freed pages)
    pa.default_memory_pool().release_unused()
    return df, comma_cols, dict(sorted(counts.items()))



def numbers_finite(table) -> bool:
    """True when no cell of the float64 columns of ``table`` (pyarrow's numbers:
    :func:`rsnprop.io_csv.number_columns`) is NaN or infinite, texts such as ``nan``,
    ``NaN``, ``inf`` or ``1e999`` that the rules treat otherwise. One sum per column: a NaN
    or an infinity makes it NaN or infinite (a sum of finite numbers that overflows only
    sends the file to the text parse)."""
    for col in table.columns:
        if pa.types.is_floating(col.type) \
                and not math.isfinite(pc.sum(col, min_count=0).as_py()):
            return False
    return True


def _float_column(col):
    """The kind of a column that pyarrow parsed as float64 (every cell empty or a finite
    number: :func:`rsnprop.io_csv.parse_text_table`), as :func:`_decide` decides the same
    cells as text: a Series of int64 when no cell is missing and every number is a whole
    number below 2 ** 53, else ``("column", col, None)``, float64 (missing cells NaN)."""
    if col.null_count == 0 and len(col):
        x = col.to_numpy()
        if np.all(np.abs(x) < 2 ** 53) and np.all(x % 1 == 0):
            return pd.Series(x.astype("int64"))
    return "column", col, None


def _copy_chunks(col, out) -> None:
    """The float64 chunked column ``col`` written into the 1-d array ``out`` (missing
    cells NaN), chunk by chunk (no copy of the whole column first)."""
    start = 0
    for chunk in col.iterchunks():
        stop = start + len(chunk)
        out[start:stop] = chunk.to_numpy(zero_copy_only=False)
        start = stop


def _check_header(df, path):
    cols = [str(c) for c in df.columns]
    seen = set(cols)
    # pandas renames a repeated name "x" to "x.1", "x.2"...
    dup = sorted({c for c in cols if cols.count(c) > 1}
                 | {re.sub(r"\.\d+$", "", c) for c in cols
                    if re.search(r"\.\d+$", c) and re.sub(r"\.\d+$", "", c) in seen})
    if dup:
        raise DataFileError("duplicate column name(s) in the header: " + ", ".join(dup), file=path,
                            column=dup[0])
    unnamed = [c for c in cols if c.startswith("Unnamed: ")]
    if unnamed and df[unnamed].notna().any().any():
        raise DataFileError(f"{len(unnamed)} column(s) without a name hold data", file=path)
    return df.drop(columns=unnamed)
