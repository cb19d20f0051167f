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
           "SUPPORTED_SUFFIXES"]

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

    lines = text.splitlines()[:50]
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
    """
    import numpy as np
    import pandas as pd

    out = {}
    comma_cols = []
    for col in df.columns:
        s = df[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            out[col] = s
            continue
        txt = s.astype("string").str.strip()
        txt = txt.mask(txt == "")
        nonnull = txt.dropna()
        if nonnull.empty:
            out[col] = pd.Series(np.nan, index=s.index, dtype="float64") if s.isna().all() else s
            continue
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
                    comma_cols.append(col)
        if conv is None:
            out[col] = txt.astype(object).where(txt.notna(), None)
            continue
        full = pd.Series(np.nan, index=s.index, dtype="float64")
        full.loc[conv.index] = conv.astype("float64")
        if full.notna().any() and (full.dropna() % 1 == 0).all() and full.notna().all() \
                and full.abs().max() < 2**53:
            full = full.astype("int64")
        out[col] = full
    return pd.DataFrame(out, index=df.index), comma_cols


def _read_csv(path: Path, *, encoding=None, delimiter=None, decimal=None):
    import io

    import pandas as pd

    raw = path.read_bytes()
    if not raw.strip():
        raise DataFileError("the file is empty", file=path)
    enc = encoding or detect_encoding(raw)
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as err:
        raise DataFileError(f"cannot decode the file as {enc}: {err}", file=path) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = delimiter or (detect_delimiter(text) if path.suffix.lower() != ".tsv" else "\t")
    try:
        df = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                         na_values=[""], skip_blank_lines=True, engine="c")
    except pd.errors.ParserError as err:
        msg = str(err).strip().splitlines()[-1]
        m = re.search(r"line (\d+)", msg)
        raise DataFileError(f"malformed CSV ({msg})", file=path,
                            row=int(m.group(1)) if m else None) from None
    except pd.errors.EmptyDataError:
        raise DataFileError("the file has no columns", file=path) from None
    df = _check_header(df, path)
    # decimal=None: auto, per column (a comma-delimited file can hold quoted decimal commas)
    df, comma_cols = to_numeric_columns(df, decimal=decimal)
    df.attrs["rsnprop_read"] = {"format": "csv", "encoding": enc, "delimiter": delim,
                                "decimal_comma_columns": comma_cols}
    return df


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


def _read_excel(path: Path, *, sheet=0):
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
    df, comma_cols = to_numeric_columns(txt)
    df.attrs["rsnprop_read"] = {"format": "xlsx", "sheet": sheet,
                                "decimal_comma_columns": comma_cols}
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
               decimal: str | None = None):
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
        df = _read_csv(p, encoding=encoding, delimiter=delimiter, decimal=decimal)
    elif suffix in (".xlsx", ".xlsm"):
        df = _read_excel(p, sheet=sheet)
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
    if platform is not None and platform != "generic" or (platform == "generic" and instrument):
        from .platforms import map_platform_columns

        info = df.attrs.get("rsnprop_read", {})
        df = map_platform_columns(df, platform, instrument, file=p)
        df.attrs["rsnprop_read"] = {**info, **df.attrs.get("rsnprop_read", {})}
    return df
