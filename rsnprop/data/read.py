"""Read survey data files: CSV (any common encoding, delimiter and decimal mark), XLSX,
SPSS ``.sav`` and Parquet, into a DataFrame.

Everything is read as text first and a column becomes numeric only when *every* non-empty
value parses as a number (so junk values such as ``"abc"`` in a Likert column survive to the
validation step, which reports them by row and column instead of silently losing them).

Information about how the file was read (encoding, delimiter, decimal mark, SPSS value labels)
is stored in ``df.attrs["rsnprop_read"]``.  The readers live in :mod:`.read_csv` and
:mod:`.read_formats` (Excel, SPSS, Parquet), the cell rules they share in :mod:`.read_cells`.

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
import warnings
from pathlib import Path

from ..errors import DataFileError, DataQualityWarning, MissingFileError
from .read_cells import MISSING_TOKENS, to_numeric_columns
from .read_csv import _read_csv, detect_delimiter, detect_encoding
from .read_formats import _read_excel, _read_parquet, _read_sav

__all__ = ["read_table", "detect_encoding", "detect_delimiter", "to_numeric_columns",
           "SUPPORTED_SUFFIXES", "MISSING_TOKENS"]


SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".sav", ".zsav", ".parquet", ".pq")


def _looks_like_qualtrics(df) -> bool:
    """Qualtrics' second extra header row: ``{"ImportId": ...}`` in most cells of data row 2."""
    if df.shape[0] < 2 or df.shape[1] == 0:
        return False
    row = df.iloc[1].astype(str)
    return int(row.str.startswith('{"ImportId"').sum()) * 2 > df.shape[1]


def _warn_empty_columns(df, path) -> None:
    """A column without any value (an export filter, formulas without saved values...) is
    worth a word: it is read as 100 % missing."""

    if df.shape[0] == 0:
        return
    # (a column's first cells decide for nearly every column, without a pass over the rest)
    empty = [str(c) for c in df.columns
             if not df[c].iloc[:64].notna().any() and df[c].isna().all()]
    if empty:
        shown = ", ".join(empty[:8]) + (f" and {len(empty) - 8} more" if len(empty) > 8 else "")
        warnings.warn(f"{path}: {len(empty)} column(s) have no value in any row: {shown}",
                      DataQualityWarning, stacklevel=3)


def _read_by_suffix(p: Path, *, sheet, encoding, delimiter, decimal, missing_tokens):
    """The reader of the file's format (:mod:`.read_csv`, :mod:`.read_formats`)."""
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(p, encoding=encoding, delimiter=delimiter, decimal=decimal,
                         missing_tokens=missing_tokens)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(p, sheet=sheet, missing_tokens=missing_tokens)
    if suffix in (".sav", ".zsav"):
        return _read_sav(p)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(p)
    raise DataFileError(f"unsupported file type '{suffix or '(none)'}'; expected one of "
                        + ", ".join(SUPPORTED_SUFFIXES), file=p)


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
    df = _read_by_suffix(p, sheet=sheet, encoding=encoding, delimiter=delimiter, decimal=decimal,
                         missing_tokens=missing_tokens)
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
