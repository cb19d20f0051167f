"""Reading CSV files: encoding and delimiter detected, the header and the row widths
checked, big UTF-8 files read by pyarrow's multi-threaded reader (the same cells as pandas
gives), every cell as text first (:mod:`.read_cells` converts the numeric columns). A big
ASCII file's columns whose first cells are plain numbers are parsed by pyarrow straight to
numbers, the values the rules give them; any cell that is not a finite number in them, a
decimal comma or a missing-value token with a digit sends the file to the all-text parse.

Examples
--------
>>> from rsnprop.data.read_csv import detect_delimiter
>>> detect_delimiter("resp_id;rel_1\\nA;5\\n")
';'
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import DataFileError, DataQualityWarning
from ..io_csv import (
    DELIMITERS,
    detect_delimiter,
    head_text,
    header_names,
    map_ascii,
    parse_text_table,
    take_parse,
)
from .read_cells import (
    MISSING_TOKENS,
    _blank_missing_tokens,
    _check_header,
    _convert_table,
    numbers_finite,
    to_numeric_columns,
)

__all__ = ["detect_encoding", "detect_delimiter"]





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
    if raw.isascii():       # ASCII is UTF-8 (checked without decoding a big file)
        return "utf-8"
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



def _read_csv(path: Path, *, encoding=None, delimiter=None, decimal=None,
              missing_tokens=MISSING_TOKENS):
    if encoding is None:
        df = _read_mapped_ascii(path, delimiter, decimal, missing_tokens)
        if df is not None:
            return df
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
    # UTF-8 that detect_encoding decoded (or found ASCII), or text encoded here, is valid:
    # pyarrow need not check every cell again (2.3 s of CPU for the million-row export)
    valid = encoding is None and enc == "utf-8" or enc not in ("utf-8", "utf-8-sig")
    tables = [_read_csv_arrow(raw, text, enc, delim, valid_utf8=valid)]
    if tables[0] is not None:
        del raw, text
        return _arrow_frame(tables, enc, delim, decimal, missing_tokens)
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



def _arrow_frame(tables, enc, delim, decimal, missing_tokens, numbers=False):
    """The frame of the text table popped from ``tables`` (the conversion then holds the only
    reference and releases it column by column), with its read info; None when a column of
    it is pyarrow's numbers (:func:`rsnprop.io_csv.number_columns`) and these are not what
    the rules give (``numbers`` false: :func:`_numbers_as_parsed`; or a cell NaN or
    infinite, as ``nan`` or ``inf`` are parsed): the file is then parsed again, all text."""
    if _has_numbers(tables[0]) and not (numbers and numbers_finite(tables[0])):
        return None
    df, comma_cols, counts = _convert_table(tables.pop(), decimal, missing_tokens)
    df.attrs["rsnprop_read"] = {"format": "csv", "encoding": enc, "delimiter": delim,
                                "decimal_comma_columns": comma_cols, "missing_tokens": counts}
    return df


def _read_mapped_ascii(path: Path, delimiter, decimal, missing_tokens):
    """A big ASCII file read by pyarrow straight from the page cache (the file mapped, not
    copied into a bytes object: 0.3 s and as many megabytes less for the million-row
    export), or None: the general path reads the file (not ASCII, small, or anything
    pyarrow does not read as pandas would). ASCII is UTF-8 as :func:`detect_encoding`
    says, so the cells need no UTF-8 check either; the same frame as that path.

    A parse of the file that ``rsnprop clean`` started before its imports
    (:func:`rsnprop.io_csv.start_parse`) is taken when it used the delimiter detected here:
    the same call on the same bytes."""
    early = take_parse(path, _ARROW_MIN_BYTES, _BLOCK_BYTES)
    numbers = _numbers_as_parsed(decimal, missing_tokens)
    if early is not None and early[1] == (delimiter or early[1]):
        (text, delim, table), early = early, None
        if delimiter is None:
            _check_header_delimiter(text, delim, path)
        if table is None:
            return None
        tables = [table]
        del table
        df = _arrow_frame(tables, "utf-8", delim, decimal, missing_tokens, numbers)
        if df is not None:
            return df
        numbers = False       # its number columns are not the rules' numbers: all text
    del early
    mapped = _map_ascii(path)
    if mapped is None:
        return None
    text = head_text(mapped)
    if not text.strip():
        return None      # blank first megabyte: the general path's checks
    delim = delimiter or (detect_delimiter(text) if path.suffix.lower() != ".tsv" else "\t")
    if delimiter is None:
        _check_header_delimiter(text, delim, path)
    df = None
    for numbers in ([True, False] if numbers else [False]):   # all text when not numbers
        tables = [_read_csv_arrow(mapped, text, "utf-8", delim, valid_utf8=True,
                                  numbers=numbers)]
        if tables[0] is None:
            return None
        df = _arrow_frame(tables, "utf-8", delim, decimal, missing_tokens, numbers)
        if df is not None:
            break
    return df


def _numbers_as_parsed(decimal, missing_tokens) -> bool:
    """True when columns that pyarrow parsed to numbers (:func:`rsnprop.io_csv.number_columns`)
    are what the cell rules give: numbers with a decimal point (``decimal`` None or ``"."``)
    and no missing-value token that could be a number (one without a digit cannot)."""
    return decimal != "," and not any(ch.isdigit() for tok in missing_tokens or () for ch in tok)


def _has_numbers(table) -> bool:
    """True when a column of the parsed ``table`` is numbers, not text."""
    return any(pa.types.is_floating(t) for t in table.schema.types)


def _map_ascii(path: Path):
    """The file mapped read-only when it is at least ``_ARROW_MIN_BYTES`` long and ASCII
    (every byte below 128), else None (:func:`rsnprop.io_csv.map_ascii`)."""
    return map_ascii(path, _ARROW_MIN_BYTES)


def _check_header_delimiter(text: str, delim: str, path) -> None:
    """Refuse a file whose header is split by one delimiter and its rows by another (every
    row would otherwise be read as one field, i.e. all missing)."""

    lines = [ln for ln in text[:1 << 20].splitlines()[:50] if ln.strip()]
    if len(lines) < 2:
        return
    try:
        widths = {d: [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=d)]
                  for d in DELIMITERS}
    except csv.Error:
        return
    header, rows = widths[delim][0], widths[delim][1:]
    if header < 2 or sum(w == header for w in rows) * 2 >= len(rows):
        return
    for other in DELIMITERS:
        if other == delim:
            continue
        w = widths[other][1:]
        if w and w[0] >= 2 and sum(x == w[0] for x in w) * 2 > len(w):
            raise DataFileError(f"the header is delimited by {delim!r} but the rows by "
                                f"{other!r}: save the file with one delimiter", file=path)



def _check_row_widths(text: str, delim: str, path) -> None:
    """A data row with fewer fields than the header is a problem of that row (pandas would
    pad it with missing values silently).  Rows are 1-based data rows (after the header)."""

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

    sample = raw[:1 << 22]
    if re.search(rb"[\xc3\xc2\xc5][\x80-\xbf]", sample):
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as err:
            line = sample[: err.start].count(b"\n")
            warnings.warn(f"{path}: the file mixes UTF-8 and another encoding (first non-UTF-8 "
                          f"byte on data row {max(line, 1)}): read as cp1252, so some accented "
                          "letters are garbled; save the file as UTF-8", DataQualityWarning,
                          stacklevel=4)   # read_table



def _decode(raw: bytes, enc: str, path):
    try:
        return raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as err:
        raise DataFileError(f"cannot decode the file as {enc}: {err}", file=path) from None



def _read_csv_arrow(raw: bytes, text: str, enc: str, delim: str, valid_utf8=False,
                    numbers=False):
    """All columns as text with ``pyarrow.csv``, dictionary-encoded (None: let pandas read
    the file).

    Used for files of at least ``_ARROW_MIN_BYTES`` whose header names are unique and
    non-empty; every row must have the header's number of fields (pandas pads short rows
    silently, so such files go to pandas too). Cells are those of
    ``pd.read_csv(sep=delim, dtype=str, keep_default_na=False, na_values=[""])``:
    empty -> missing, everything else verbatim. ``valid_utf8``: the bytes are known to be
    valid UTF-8 (pyarrow's check of every cell skipped; an invalid file is still refused by
    it otherwise). ``numbers``: the columns whose first cells are numbers parsed as
    numbers (:func:`rsnprop.io_csv.parse_text_table`).
    """

    if len(raw) < _ARROW_MIN_BYTES:
        return None
    names = header_names(text, delim)
    if names is None:
        return None      # pandas renames or reports these (_check_header)
    if enc in ("utf-8", "utf-8-sig"):
        # (a slice, not startswith: ``raw`` may be a mapped file)
        data = raw[3:] if raw[:3] == b"\xef\xbb\xbf" else raw
    else:
        data = text.encode("utf-8")     # the whole text (only UTF-8 comes as a head)
    return parse_text_table(data, names, delim, valid_utf8, _BLOCK_BYTES, numbers=numbers)



#: files smaller than this are read by pandas alone (the fast reader pays off on big files)
_ARROW_MIN_BYTES = 1 << 20

#: the pyarrow reader's block (each block parsed by a thread, its own dictionary per column)
_BLOCK_BYTES = 1 << 20
