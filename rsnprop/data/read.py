"""Read survey data files: CSV (any common encoding, delimiter and decimal mark), XLSX,
SPSS ``.sav`` and Parquet, into a DataFrame.

Everything is read as text first and a column becomes numeric only when *every* non-empty
value parses as a number (so junk values such as ``"abc"`` in a Likert column survive to the
validation step, which reports them by row and column instead of silently losing them).

Information about how the file was read (encoding, delimiter, decimal mark, SPSS value labels)
is stored in ``df.attrs["rsnprop_read"]``.

Examples
--------
>>> import tempfile, os
>>> from rsnprop.data import read_table
>>> path = os.path.join(tempfile.mkdtemp(), "raw.csv")
>>> _ = open(path, "wb").write("resp_id;rel_1;foreign_share_now\\nA;5;12,5\\n".encode("cp1252"))
>>> df = read_table(path)
>>> df.loc[0, "foreign_share_now"], df.attrs["rsnprop_read"]["delimiter"]
(np.float64(12.5), ';')
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import DataFileError, MissingFileError

__all__ = ["read_table", "detect_encoding", "detect_delimiter", "to_numeric_columns",
           "SUPPORTED_SUFFIXES", "MISSING_TOKENS"]

#: cell texts read as missing by default (R's ``NA``, spreadsheets' ``#N/A``...); empty cells
#: are missing too.  ``read_table(..., missing_tokens=())`` keeps them as text.
MISSING_TOKENS = ("NA", "N/A", "n/a", "NaN", "nan", "#N/A", "NULL")

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".sav", ".zsav", ".parquet", ".pq")
_DELIMITERS = (",", ";", "\t", "|")
_NUM_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_COMMA_DEC_RE = r"^\s*[+-]?\d*,\d+\s*$"
_THOUSANDS_COMMA_DEC_RE = r"^\s*[+-]?\d{1,3}(\.\d{3})+(,\d+)?\s*$"


def detect_encoding(raw: bytes) -> str:
    """Name of the text encoding of ``raw`` (a CSV file's bytes).

    Byte-order marks decide first (UTF-8-SIG, UTF-16); then strict UTF-8; then
    ``charset_normalizer`` for multi-byte encodings it is sure about; otherwise cp1252 (the
    Windows superset of latin-1 that Excel writes in Western Europe), and latin-1 when cp1252
    cannot decode a byte (latin-1 decodes anything).

    Examples
    --------
    >>> detect_encoding("Société".encode("utf-8")), detect_encoding("Société".encode("cp1252"))
    ('utf-8', 'cp1252')
    >>> detect_encoding(b"\\xef\\xbb\\xbfid")
    'utf-8-sig'
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = raw[:200_000]
    if b"\x00" in sample:  # UTF-16 without a BOM
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(sample).best()
            if best is not None and best.encoding.startswith("utf_16"):
                return best.encoding.replace("_", "-")
        except Exception:  # pragma: no cover - detection is best effort
            pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(text: str) -> str:
    """The field delimiter of CSV ``text``: the candidate among ``, ; TAB |`` that splits the
    first lines into the most, and equally many, fields (quoted fields are respected).

    Examples
    --------
    >>> detect_delimiter("a;b;c\\n1;2,5;3\\n")
    ';'
    >>> detect_delimiter('a,b\\n"x;y",2\\n')
    ','
    """
    import csv
    import io

    head = text[:1 << 20]     # the first lines only (no split of a whole big file)
    lines = head.splitlines()[:50]
    if len(head) < len(text) and len(lines) < 50 and len(lines) > 1:
        lines = lines[:-1]      # the last line may be cut
    sample = "\n".join(lines)
    best, best_key = ",", (-1, -1)
    for delim in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        widths = [len(r) for r in rows]
        header = widths[0]
        if header < 2:
            continue
        consistent = sum(w == header for w in widths)
        key = (consistent, header)
        if key > best_key:
            best, best_key = delim, key
    return best


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
    import pandas as pd

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
    import numpy as np
    import pandas as pd

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
    import math

    import pandas as pd

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
    import numpy as np
    import pandas as pd

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


def _read_csv(path: Path, *, encoding=None, delimiter=None, decimal=None,
              missing_tokens=MISSING_TOKENS):
    import io

    import pandas as pd

    raw = path.read_bytes()
    if not raw or raw.isspace():       # (= not raw.strip(), without copying the file)
        raise DataFileError("the file is empty", file=path)
    enc = encoding or detect_encoding(raw)
    if encoding is None and enc in ("cp1252", "latin-1"):
        _warn_mixed_encoding(raw, path)
    # a big UTF-8 file is decoded by pyarrow itself (which checks it): only its first
    # megabyte here, for the delimiter and the header; the whole text if pandas reads it
    head_only = enc in ("utf-8", "utf-8-sig") and len(raw) >= _ARROW_MIN_BYTES
    if head_only:
        text = raw[:1 << 20].decode(enc, errors="ignore")
        text = text[:text.rfind("\n") + 1] or text           # whole lines only
    else:
        text = _decode(raw, enc, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = delimiter or (detect_delimiter(text) if path.suffix.lower() != ".tsv" else "\t")
    if delimiter is None:
        _check_header_delimiter(text, delim, path)
    # fast path: pyarrow's multi-threaded reader, every column as text (the same cells as
    # pandas below); anything it does not read exactly as pandas would (short or long rows,
    # duplicate or empty header names, parse errors, invalid UTF-8) goes to pandas, which
    # reports them
    table = _read_csv_arrow(raw, text, enc, delim)
    if table is not None:
        del raw, text
        table, counts = _blank_missing_tokens_arrow(table, missing_tokens)
        df, comma_cols = _convert_table(table, decimal)
        df.attrs["rsnprop_read"] = {"format": "csv", "encoding": enc, "delimiter": delim,
                                    "decimal_comma_columns": comma_cols,
                                    "missing_tokens": counts}
        return df
    if head_only:
        text = _decode(raw, enc, path)
        if text.startswith("\ufeff"):
            text = text[1:]
    _check_row_widths(text, delim, path)
    try:
        df = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                         na_values=[""], skip_blank_lines=True, engine="c")
    except pd.errors.ParserError as err:
        msg = str(err).strip().splitlines()[-1]
        m = re.search(r"line (\d+)", msg)
        line = int(m.group(1)) if m else None
        raise DataFileError(f"malformed CSV ({msg})", file=path,
                            row=None if line is None else max(line - 1, 1)) from None
    except pd.errors.EmptyDataError:
        raise DataFileError("the file has no columns", file=path) from None
    df = _check_header(df, path)
    df, counts = _blank_missing_tokens(df, missing_tokens)
    # decimal=None: auto, per column (a comma-delimited file can hold quoted decimal commas)
    df, comma_cols = to_numeric_columns(df, decimal=decimal)
    df.attrs["rsnprop_read"] = {"format": "csv", "encoding": enc, "delimiter": delim,
                                "decimal_comma_columns": comma_cols, "missing_tokens": counts}
    return df


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
    import pyarrow as pa
    import pyarrow.compute as pc

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


def _check_header_delimiter(text: str, delim: str, path) -> None:
    """Refuse a file whose header is split by one delimiter and its rows by another (every
    row would otherwise be read as one field, i.e. all missing)."""
    import csv
    import io

    lines = [ln for ln in text[:1 << 20].splitlines()[:50] if ln.strip()]
    if len(lines) < 2:
        return
    try:
        widths = {d: [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=d)]
                  for d in _DELIMITERS}
    except csv.Error:
        return
    header, rows = widths[delim][0], widths[delim][1:]
    if header < 2 or sum(w == header for w in rows) * 2 >= len(rows):
        return
    for other in _DELIMITERS:
        if other == delim:
            continue
        w = widths[other][1:]
        if w and w[0] >= 2 and sum(x == w[0] for x in w) * 2 > len(w):
            raise DataFileError(f"the header is delimited by {delim!r} but the rows by "
                                f"{other!r}: save the file with one delimiter", file=path)


def _check_row_widths(text: str, delim: str, path) -> None:
    """A data row with fewer fields than the header is a problem of that row (pandas would
    pad it with missing values silently).  Rows are 1-based data rows (after the header)."""
    import csv
    import io

    try:
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        header = None
        row = 0
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank lines are skipped, as pandas does
            if header is None:
                header = len(fields)
                continue
            row += 1
            if len(fields) < header:
                raise DataFileError(f"the row has {len(fields)} field(s) and the header "
                                    f"{header}: a field is missing (or a delimiter)",
                                    file=path, row=row)
    except csv.Error:
        return  # pandas reports malformed quoting itself


def _warn_mixed_encoding(raw: bytes, path) -> None:
    """Warn when a file that is not valid UTF-8 still holds UTF-8 sequences (a file edited
    with two encodings): its accented letters come out garbled either way."""
    import warnings

    from ..errors import DataQualityWarning

    sample = raw[:1 << 22]
    if re.search(rb"[\xc3\xc2\xc5][\x80-\xbf]", sample):
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as err:
            line = sample[: err.start].count(b"\n")
            warnings.warn(f"{path}: the file mixes UTF-8 and another encoding (first non-UTF-8 "
                          f"byte on data row {max(line, 1)}): read as cp1252, so some accented "
                          "letters are garbled; save the file as UTF-8", DataQualityWarning,
                          stacklevel=3)


def _decode(raw: bytes, enc: str, path):
    try:
        return raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as err:
        raise DataFileError(f"cannot decode the file as {enc}: {err}", file=path) from None


def _read_csv_arrow(raw: bytes, text: str, enc: str, delim: str):
    """All columns as text with ``pyarrow.csv`` (None: let pandas read the file).

    Used for files of at least ``_ARROW_MIN_BYTES`` whose header names are unique and
    non-empty; every row must have the header's number of fields (pandas pads short rows
    silently, so such files go to pandas too). Cells are those of
    ``pd.read_csv(sep=delim, dtype=str, keep_default_na=False, na_values=[""])``:
    empty -> missing, everything else verbatim.
    """
    import csv
    import io

    if len(raw) < _ARROW_MIN_BYTES:
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    try:
        head = text[:1 << 20]
        names = next(csv.reader(io.StringIO(head), delimiter=delim))
    except (StopIteration, csv.Error):
        return None
    if not names or len(set(names)) != len(names) or any(not n.strip() for n in names) \
            or any(re.search(r"\.\d+$", n) or n.startswith("Unnamed: ") for n in names):
        return None      # pandas renames or reports these (_check_header)
    if enc in ("utf-8", "utf-8-sig"):
        data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    else:
        data = text.encode("utf-8")     # the whole text (only UTF-8 comes as a head)
    if data[:1] in (b"\n", b"\r"):
        return None      # blank lines before the header: pandas' rules
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(block_size=1 << 24, encoding="utf8"),
            parse_options=pcsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                            newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=True,
                                                quoted_strings_can_be_null=True,
                                                null_values=[""]))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, ValueError):
        return None
    if table.column_names != names:
        return None
    return table


def _convert_table(table, decimal):
    """:func:`to_numeric_columns` of a pyarrow table of text columns (the general rules get a
    pandas text column, as ``pd.read_csv(dtype=str)`` gives)."""
    import numpy as np
    import pandas as pd

    from concurrent.futures import ThreadPoolExecutor

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


#: files smaller than this are read by pandas alone (the fast reader pays off on big files)
_ARROW_MIN_BYTES = 1 << 20


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


def _looks_like_qualtrics(df) -> bool:
    """Qualtrics' second extra header row: ``{"ImportId": ...}`` in most cells of data row 2."""
    if df.shape[0] < 2 or df.shape[1] == 0:
        return False
    row = df.iloc[1].astype(str)
    return int(row.str.startswith('{"ImportId"').sum()) * 2 > df.shape[1]


def _warn_empty_columns(df, path) -> None:
    """A column without any value (an export filter, formulas without saved values...) is
    worth a word: it is read as 100 % missing."""
    import warnings

    from ..errors import DataQualityWarning

    if df.shape[0] == 0:
        return
    empty = [str(c) for c in df.columns if df[c].isna().all()]
    if empty:
        shown = ", ".join(empty[:8]) + (f" and {len(empty) - 8} more" if len(empty) > 8 else "")
        warnings.warn(f"{path}: {len(empty)} column(s) have no value in any row: {shown}",
                      DataQualityWarning, stacklevel=3)


def _warn_formulas_without_values(path: Path, sheet) -> None:
    """Cells holding a formula whose value Excel did not save read as empty: say so."""
    import warnings

    from ..errors import DataQualityWarning

    try:
        import openpyxl

        wb_f = openpyxl.load_workbook(path, read_only=True, data_only=False)
        wb_v = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws_f = wb_f.worksheets[sheet] if isinstance(sheet, int) else wb_f[sheet]
        ws_v = wb_v.worksheets[sheet] if isinstance(sheet, int) else wb_v[sheet]
        n = 0
        for row_f, row_v in zip(ws_f.iter_rows(values_only=True), ws_v.iter_rows(values_only=True)):
            n += sum(isinstance(f, str) and f.startswith("=") and v is None
                     for f, v in zip(row_f, row_v))
        wb_f.close()
        wb_v.close()
    except Exception:  # noqa: BLE001 - a best-effort check; pandas reported unreadable files
        return
    if n:
        warnings.warn(f"{path}: {n} cell(s) hold a formula without a saved value and are read "
                      "as missing: open the file in Excel and save it again", DataQualityWarning,
                      stacklevel=3)


def _read_excel(path: Path, *, sheet=0, missing_tokens=MISSING_TOKENS):
    import zipfile

    import pandas as pd

    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise DataFileError(f"not a readable .xlsx workbook ({type(err).__name__}: {err})",
                            file=path) from None
    if df.shape[1] == 0:
        raise DataFileError("the first sheet is empty", file=path)
    df.columns = [str(c) for c in df.columns]
    df = _check_header(df, path)
    obj = df.astype(object).where(df.notna(), None)
    txt = obj.apply(lambda s: s.map(lambda v: None if v is None else str(v)))
    txt, counts = _blank_missing_tokens(txt, missing_tokens)
    df, comma_cols = to_numeric_columns(txt)
    df.attrs["rsnprop_read"] = {"format": "xlsx", "sheet": sheet,
                                "decimal_comma_columns": comma_cols, "missing_tokens": counts}
    _warn_formulas_without_values(path, sheet)
    return df


def _read_sav(path: Path):
    try:
        import pyreadstat
    except ImportError as err:  # pragma: no cover - dependency of rsnprop
        raise DataFileError(f"reading .sav needs pyreadstat ({err})", file=path) from None
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False,
                                       user_missing=False)
    except Exception as err:  # pyreadstat raises its own ReadstatError / PyreadstatError
        raise DataFileError(f"not a readable SPSS .sav file ({type(err).__name__}: {err})",
                            file=path) from None
    labels = {str(col): {_num_key(k): str(v) for k, v in vl.items()}
              for col, vl in (meta.variable_value_labels or {}).items()}
    df.attrs["rsnprop_read"] = {
        "format": "sav",
        "value_labels": labels,
        "column_labels": {str(k): v for k, v in zip(meta.column_names, meta.column_labels) if v},
    }
    return df


def _num_key(k):
    try:
        f = float(k)
        return int(f) if f.is_integer() else f
    except (TypeError, ValueError):
        return k


def _read_parquet(path: Path):
    import pandas as pd

    try:
        df = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError...
        raise DataFileError(f"not a readable Parquet file ({type(err).__name__}: {err})",
                            file=path) from None
    df.attrs["rsnprop_read"] = {"format": "parquet"}
    return df


def read_table(path, *, platform: str | None = None, instrument=None, sheet=0,
               encoding: str | None = None, delimiter: str | None = None,
               decimal: str | None = None, missing_tokens=MISSING_TOKENS):
    """Read a data file into a DataFrame (one row per respondent).

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.tsv``/``.txt`` (UTF-8, UTF-8 with BOM, UTF-16, cp1252/latin-1, detected;
        delimiter ``,`` ``;`` TAB or ``|``, detected; decimal commas recognised), ``.xlsx``
        (first sheet unless ``sheet``), SPSS ``.sav`` (codes kept; value labels in
        ``df.attrs["rsnprop_read"]["value_labels"]``), or ``.parquet``.
    platform : {"generic", "xlsform", "limesurvey", "qualtrics"}, optional
        When given (with ``instrument``), the platform's export quirks are undone (Qualtrics'
        extra header rows, Kobo group prefixes, LimeSurvey ``CODE[SQ]`` names, meta columns)
        and the columns are renamed to the instrument's item ids; see
        :func:`rsnprop.data.platforms.map_platform_columns`.
    instrument : Instrument, optional
        Needed to map platform column names to item ids.
    sheet, encoding, delimiter, decimal : optional
        Override the detection.
    missing_tokens : sequence of str
        Cell texts read as missing in CSV and Excel files (default :data:`MISSING_TOKENS`:
        ``NA``, ``N/A``, ``NaN``...; ``()`` keeps them as text).  How many cells each token
        accounted for is ``df.attrs["rsnprop_read"]["missing_tokens"]``.

    Returns
    -------
    pandas.DataFrame
        Columns as in the file (or mapped to item ids); numbers as float/int, text as
        ``object`` with ``None`` for empty cells.

    Raises
    ------
    MissingFileError
        The file does not exist.
    DataFileError
        Unknown format, unreadable or malformed file, duplicate column names (the message
        names the file and, where known, the row and column).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "raw.csv")
    >>> _ = open(path, "w", encoding="utf-8-sig").write("resp_id,rel_1\\nA,5\\nB,\\n")
    >>> read_table(path)
      resp_id  rel_1
    0       A    5.0
    1       B    NaN
    """
    p = Path(os.fspath(path))
    if not p.exists():
        raise MissingFileError("data file does not exist", file=p)
    if p.is_dir():
        raise DataFileError("is a folder, expected a data file", file=p)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        df = _read_csv(p, encoding=encoding, delimiter=delimiter, decimal=decimal,
                       missing_tokens=missing_tokens)
    elif suffix in (".xlsx", ".xlsm"):
        df = _read_excel(p, sheet=sheet, missing_tokens=missing_tokens)
    elif suffix in (".sav", ".zsav"):
        df = _read_sav(p)
    elif suffix in (".parquet", ".pq"):
        df = _read_parquet(p)
    else:
        raise DataFileError(
            f"unsupported file type '{suffix or '(none)'}'; expected one of "
            + ", ".join(SUPPORTED_SUFFIXES), file=p)
    if df.shape[0] == 0:
        import warnings

        from ..errors import DataQualityWarning

        warnings.warn(f"{p}: the file has a header but no data rows", DataQualityWarning,
                      stacklevel=2)
    if platform is None and _looks_like_qualtrics(df):
        raise DataFileError("this looks like a Qualtrics export (data rows 1 and 2 are its "
                            "question-text and ImportId header rows): give --platform qualtrics",
                            file=p, row=2)
    _warn_empty_columns(df, p)
    if platform is not None and platform != "generic" or (platform == "generic" and instrument):
        from .platforms import map_platform_columns

        info = df.attrs.get("rsnprop_read", {})
        df = map_platform_columns(df, platform, instrument, file=p)
        df.attrs["rsnprop_read"] = {**info, **df.attrs.get("rsnprop_read", {})}
    return df
