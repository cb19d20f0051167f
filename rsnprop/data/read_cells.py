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
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(s, (pa.Array, pa.ChunkedArray)):
            a, index = s, None
        else:
            a, index = pa.array(s, type=pa.string(), from_pandas=True), s.index
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks() if a.num_chunks else pa.array([], pa.string())
        enc = pc.dictionary_encode(a)
    except Exception:  # noqa: BLE001 - non-string objects: the general rules decide
        return None
    n = len(a)
    index = pd.RangeIndex(n) if index is None else index
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)   # -1: missing
    t = pc.utf8_trim(enc.dictionary, characters=_PY_WHITESPACE)   # distinct values, stripped
    valid_d = np.asarray(pc.not_equal(t, "").to_numpy(zero_copy_only=False), dtype=bool)
    if not valid_d.any():
        return None                       # empty or whitespace-only column: general rules
    t = pc.if_else(pa.array(valid_d), t, pa.scalar(None, pa.string()))

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
        x = np.append(xd, np.nan)[codes]          # code -1 -> NaN
        if not np.isnan(x).any() and np.all(np.abs(xd) < 2 ** 53) and np.all(xd % 1 == 0):
            return pd.Series(x.astype("int64"), index=index)
        return pd.Series(x, index=index)

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
    txt = np.append(t.to_numpy(zero_copy_only=False), None)[codes]   # None: empty cell
    return pd.Series(txt, index=index, dtype=object), False



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



def _blank_missing_tokens_arrow(table, tokens):
    """:func:`_blank_missing_tokens` for a pyarrow table of text columns."""

    counts: dict = {}
    if not tokens:
        return table, counts
    values = pa.array(sorted(set(tokens)), type=pa.string())
    cols = []
    for col in table.columns:
        t = pc.utf8_trim(col, characters=_PY_WHITESPACE)
        hit = pc.fill_null(pc.is_in(t, value_set=values), False)
        if pc.any(hit).as_py():
            vc = pc.value_counts(pc.filter(t, hit))
            for item in vc.to_pylist():
                counts[item["values"]] = counts.get(item["values"], 0) + int(item["counts"])
            col = pc.if_else(hit, pa.scalar(None, pa.string()), col)
        cols.append(col)
    return pa.table(cols, names=table.column_names), dict(sorted(counts.items()))



def _convert_table(table, decimal):
    """:func:`to_numeric_columns` of a pyarrow table of text columns (the general rules get a
    pandas text column, as ``pd.read_csv(dtype=str)`` gives)."""

    def convert(col):
        res = _convert_column_fast(col, decimal)
        if res is None:
            res = _convert_column_general(pd.Series(col.to_pandas(), dtype="str"), decimal)
        return res

    # both cores: the arrow kernels release the GIL; results are collected in column order
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(convert, table.columns))
    names = table.column_names
    comma_cols = [n for n, (_, is_comma) in zip(names, results) if is_comma]
    # float columns in one column-major block (no consolidation copy), the others inserted
    floats = [j for j, (x, _) in enumerate(results) if x.dtype == "float64"]
    block = np.empty((table.num_rows, len(floats)), order="F")
    for k, j in enumerate(floats):
        block[:, k] = results[j][0].to_numpy()
    df = pd.DataFrame(block, columns=[names[j] for j in floats], copy=False)
    is_float = set(floats)
    for j, (x, _) in enumerate(results):
        if j not in is_float:
            df.insert(j, names[j], x.reset_index(drop=True))
    return df, comma_cols



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
