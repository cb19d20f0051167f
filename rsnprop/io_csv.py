"""The parse of a big ASCII CSV file by pyarrow, startable before the package's heavy imports.

``rsnprop clean`` spends its first second or so on one core: importing pandas, scipy and the
cleaning modules, then loading the instrument. The parse of the export (pyarrow's reader,
which releases the GIL) does not need any of them, so the command starts it first
(:func:`start_parse`), in a thread, and :mod:`rsnprop.data.read_csv` takes the parsed table
when it reads that file (:func:`take_parse`): the same call with the same arguments as it
would make itself (:func:`parse_text_table`), so the same table.

This module imports only the standard library, numpy and pyarrow (no pandas, no rsnprop
stage), so that importing it costs nearly nothing beyond pyarrow itself.

Examples
--------
>>> detect_delimiter("resp_id;rel_1\\nA;5\\n")
';'
>>> take_parse("/no/such/file.csv", 1 << 20, 1 << 20) is None     # nothing started for it
True
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import re
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

__all__ = ["DELIMITERS", "detect_delimiter", "map_ascii", "parse_text_table", "start_parse", "take_parse",
           "drop_parse", "abandoned_running", "EARLY_MIN_BYTES"]

#: the field delimiters :func:`detect_delimiter` chooses from
DELIMITERS = (",", ";", "\t", "|")

#: files from this size on are parsed early by ``rsnprop clean`` (below it the imports it
#: would overlap cost more than the parse, and a thread is not worth it)
EARLY_MIN_BYTES = 16 << 20


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

    head = text[:1 << 20]     # the first lines only (no split of a whole big file)
    lines = head.splitlines()[:50]
    if len(head) < len(text) and len(lines) < 50 and len(lines) > 1:
        lines = lines[:-1]      # the last line may be cut
    sample = "\n".join(lines)
    best, best_key = ",", (-1, -1)
    for delim in DELIMITERS:
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


def map_ascii(path: Path, min_bytes: int):
    """The file mapped read-only when it is at least ``min_bytes`` long and ASCII (every byte
    below 128), else None."""
    try:
        with open(path, "rb") as fh:
            if path.stat().st_size < min_bytes:
                return None
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            mapped = mmap.mmap(fh.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
    except (OSError, ValueError, AttributeError):   # no mmap here: read the bytes
        return None
    view = np.frombuffer(mapped, dtype=np.uint8)
    step = 1 << 24
    ascii_only = all(view[i:i + step].max() < 128 for i in range(0, len(view), step))
    del view
    if not ascii_only:
        mapped.close()
        return None
    return mapped


def head_text(mapped) -> str:
    """The whole lines of the first megabyte of a mapped ASCII file, as text."""
    head = mapped[:1 << 20]
    return head[:head.rfind(b"\n") + 1].decode("ascii") or head.decode("ascii")


def header_names(text: str, delim: str):
    """The header's field names, or None when pyarrow may not read the file as pandas would
    (repeated, empty or pandas-renamed names: :func:`rsnprop.data.read_cells._check_header`)."""
    try:
        names = next(csv.reader(io.StringIO(text[:1 << 20]), delimiter=delim))
    except (StopIteration, csv.Error):
        return None
    if not names or len(set(names)) != len(names) or any(not n.strip() for n in names) \
            or any(re.search(r"\.\d+$", n) or n.startswith("Unnamed: ") for n in names):
        return None
    return names


def parse_text_table(data, names, delim: str, valid_utf8: bool, block_bytes: int,
                     numbers: bool = False):
    """Every column of the CSV bytes ``data`` (UTF-8, no byte-order mark, header ``names``)
    as dictionary-encoded text with pyarrow's multi-threaded reader, or None when pyarrow
    refuses the file (see :func:`rsnprop.data.read_csv._read_csv_arrow`).

    ``numbers``: the columns whose first cells are all plain decimal numbers
    (:func:`number_columns`) are parsed by pyarrow straight to float64 (what
    :func:`rsnprop.data.read_cells._decide` gives such a column: the same parser); when a
    cell of them is not a number pyarrow reads (``NA``, text) the file is parsed again with
    that column as text, and if another such cell turns up, all text. Cells that pyarrow reads as NaN or infinite (``nan``, ``inf``) are the reader's to
    find (:func:`rsnprop.data.read_cells.numbers_finite`)."""
    if data[:1] in (b"\n", b"\r"):
        return None      # blank lines before the header: pandas' rules
    # without a quote character in the file no value is quoted, so none holds a newline:
    # the reader then splits its blocks at the last newline instead of lexing every byte
    # of the file on one thread first, and parses without quote handling (the same cells)
    quoted = data.find(b'"') >= 0
    options = (pcsv.ReadOptions(block_size=block_bytes, encoding="utf8"),
               pcsv.ParseOptions(delimiter=delim, quote_char='"' if quoted else False,
                                 double_quote=True, newlines_in_values=quoted,
                                 ignore_empty_lines=True))
    floats = number_columns(data, names, delim, quoted) if numbers else []
    table = _parse_table(data, names, options, valid_utf8, floats)
    if isinstance(table, _NotANumber) and table.column in floats:
        # one column's cell (a late NA, a typo): that column text, the others numbers still
        floats = [name for name in floats if name != table.column]
        table = _parse_table(data, names, options, valid_utf8, floats)
    if isinstance(table, _NotANumber):      # (again) a cell not a number: all text
        table = _parse_table(data, names, options, valid_utf8, [])
    if not isinstance(table, pa.Table) or table.column_names != names:
        return None
    return table


class _NotANumber:
    """What :func:`_parse_table` returns when a cell of a float64 column is not a number:
    ``column``, the column pyarrow names (None when its message does not say)."""

    def __init__(self, message: str, names):
        found = re.search(r"CSV column #(\d+)", message)
        k = int(found.group(1)) if found else -1
        self.column = names[k] if 0 <= k < len(names) else None


def _parse_table(data, names, options, valid_utf8, floats):
    """pyarrow's read of ``data`` with ``options`` (read, parse): the ``floats`` columns as
    float64, the others dictionary-encoded text; None when pyarrow refuses the file, a
    :class:`_NotANumber` when a cell of a float64 column is not a number."""
    text_codes = pa.dictionary(pa.int32(), pa.string())
    kinds = dict.fromkeys(names, text_codes)
    kinds.update(dict.fromkeys(floats, pa.float64()))
    try:
        return pcsv.read_csv(
            pa.py_buffer(data), read_options=options[0], parse_options=options[1],
            # dictionary columns: each block's distinct texts once, then codes (the
            # conversion works on distinct values; less memory than a string per cell)
            convert_options=pcsv.ConvertOptions(
                column_types=kinds, check_utf8=not valid_utf8, strings_can_be_null=True,
                quoted_strings_can_be_null=True, null_values=[""]))
    except pa.ArrowInvalid as err:
        if floats and "conversion error to double" in str(err):
            return _NotANumber(str(err), names)
        return None
    except (pa.ArrowNotImplementedError, UnicodeDecodeError, ValueError):
        return None


#: the head of a file that :func:`number_columns` reads
NUMBER_SAMPLE_BYTES = 1 << 16

#: a cell that makes its column a candidate for pyarrow's float parse
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def number_columns(data, names, delim: str, quoted: bool) -> list:
    """The names among ``names`` (the header of the CSV bytes ``data``) whose cells in the
    first :data:`NUMBER_SAMPLE_BYTES` of ``data`` (whole lines; ``quoted``: with quote
    handling) are all empty or plain decimal numbers (``-12``, ``3.5``), at least one a
    number. A guess only (pyarrow then parses these columns to numbers, and any other cell
    in them makes the whole file text again); ASCII or UTF-8 bytes.

    Examples
    --------
    >>> number_columns(b"a,b,c,d\\n1,x,,2.5\\n-3,4,,NA\\n", ["a", "b", "c", "d"], ",", False)
    ['a']
    """
    head = bytes(data[:NUMBER_SAMPLE_BYTES])
    if len(head) < len(data):
        head = head[:head.rfind(b"\n") + 1]
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    try:
        rows = [r for r in csv.reader(io.StringIO(head.decode("utf-8", "replace")),
                                      delimiter=delim, quoting=quoting) if r][1:]
    except csv.Error:
        return []
    if not rows or any(len(r) != len(names) for r in rows):
        return []
    return [name for name, cells in zip(names, zip(*rows))
            if any(cells) and all(not c or _PLAIN_NUMBER.fullmatch(c) for c in cells)]


class _Parse:
    """A parse started by :func:`start_parse`: its thread and, once done, its outcome."""

    def __init__(self, path, stamp, min_bytes, block_bytes):
        self.path, self.stamp = path, stamp
        self.args = (min_bytes, block_bytes)
        self.result = None           # (head text, delimiter, table) or None
        self.thread = threading.Thread(target=self._run, name="rsnprop-csv-parse")
        # set when the parse has returned: not ``thread.is_alive()``, which a Ctrl-C in
        # ``thread.join()`` makes false while the thread still runs (Python 3.11, bpo-45274)
        self.finished = threading.Event()

    def _run(self):
        try:
            self.result = _parse_mapped(self.path, *self.args)
        except Exception:  # noqa: BLE001 - the reader's own path then reads and reports
            self.result = None
        finally:
            self.finished.set()


#: the parses started and not yet taken, by file (one per command: ``rsnprop clean``)
_STARTED: dict = {}
_LOCK = threading.Lock()
#: the ``finished`` events of parses given up (a command that failed, or was interrupted,
#: before taking its table)
_ABANDONED: list = []


def _key(path) -> str:
    return os.path.realpath(os.fspath(path))


def _stamp(path):
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino


def _parse_mapped(path: Path, min_bytes: int, block_bytes: int):
    """``(head text, delimiter, table)`` of a big ASCII file, or None (what
    :func:`rsnprop.data.read_csv._read_mapped_ascii` does before its checks and conversion)."""
    mapped = map_ascii(path, min_bytes)
    if mapped is None:
        return None
    text = head_text(mapped)
    if not text.strip():
        return None
    delim = detect_delimiter(text) if path.suffix.lower() != ".tsv" else "\t"
    names = header_names(text, delim)
    if names is None:
        return None
    return text, delim, parse_text_table(mapped, names, delim, True, block_bytes, numbers=True)


def start_parse(path, *, min_bytes: int, block_bytes: int) -> bool:
    """Start parsing the CSV file ``path`` in a thread when it is a file of at least
    ``EARLY_MIN_BYTES`` (and ``min_bytes``) with a ``.csv``/``.tsv``/``.txt`` suffix; True
    when started. The thread is not a daemon (an interpreter that ends normally waits for
    it, never tearing down in the middle of pyarrow's threads); a command line that fails
    before reading the file ends its process at once instead (:func:`abandoned_running`)."""
    p = Path(os.fspath(path))
    try:
        if p.suffix.lower() not in (".csv", ".tsv", ".txt") or not p.is_file():
            return False
        stamp = _stamp(p)
    except OSError:
        return False
    if stamp[0] < max(EARLY_MIN_BYTES, min_bytes):
        return False
    job = _Parse(p, stamp, min_bytes, block_bytes)
    with _LOCK:
        if _key(p) in _STARTED:
            return False
        _STARTED[_key(p)] = job
    job.thread.start()
    return True


def take_parse(path, min_bytes: int, block_bytes: int):
    """The outcome of the parse started for ``path`` (waiting for it): ``(head text,
    delimiter, table)``, or None when none was started with these sizes, the file changed
    since, or the parse gave nothing (the caller then reads the file itself). Taken once."""
    with _LOCK:
        job = _STARTED.pop(_key(path), None)
    if job is None:
        return None
    try:
        job.thread.join()
    except BaseException:      # Ctrl-C while waiting: the parse is given up
        _abandon(job)
        raise
    result, job.result = job.result, None
    try:
        same = job.args == (min_bytes, block_bytes) and _stamp(path) == job.stamp
    except OSError:
        same = False
    return result if same else None


def drop_parse(path) -> None:
    """Forget a parse started for ``path`` and not taken (a command that failed before
    reading the file): its table is freed when its thread ends. Until then
    :func:`abandoned_running` is true."""
    with _LOCK:
        job = _STARTED.pop(_key(path), None)
    if job is not None:
        _abandon(job)


def _abandon(job) -> None:
    with _LOCK:
        _ABANDONED[:] = [done for done in _ABANDONED if not done.is_set()]
        if not job.finished.is_set():
            _ABANDONED.append(job.finished)     # not the job: its table is freed at its end


def abandoned_running() -> bool:
    """True while the thread of a parse given up (:func:`drop_parse`, or a Ctrl-C in
    :func:`take_parse`) still runs. The command line then ends its process at once
    (:func:`rsnprop.cli.main`) instead of waiting for the parse at exit: the thread is not a
    daemon, so that an interpreter that ends normally never tears down under pyarrow's
    threads, and a big export's parse takes seconds."""
    with _LOCK:
        return not all(done.is_set() for done in _ABANDONED)
