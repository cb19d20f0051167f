"""Small I/O helpers used at the edges of the pipeline (atomic writes, hashes, safe CSV cells).

Every file rsnprop writes goes through :func:`atomic_write` or :func:`atomic_write_many`: the
bytes go to a temporary file in the destination folder, which is renamed over the destination
only once complete, so a reader never sees half a file and an interrupted run leaves the old
file in place.  The temporary file is removed on any exception, on Ctrl-C and on SIGTERM (the
command line turns SIGTERM and SIGHUP into an interruption).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from itertools import chain, repeat
from pathlib import Path

from pandas.api import types

from .errors import InputError

__all__ = ["atomic_write", "atomic_write_many", "write_temp", "TempFile", "sha256_file",
           "sha256_bytes", "csv_safe", "csv_safe_cell", "json_text"]

_TMP_SUFFIX = ".rsnprop-tmp"


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _write_temp(path: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file beside ``path``; return its name."""

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> atomic_write(p, "hello"); p.read_text()
    'hello'
    """
    atomic_write_many({path: data})


def atomic_write_many(files: dict) -> None:
    """Replace several files together: every temporary file is written first, and only when
    all are complete are they renamed over their destinations (in the order given).  If
    anything fails before the renames, no destination is touched and no temporary file stays.
    A value may be a :class:`TempFile` already written for that path (:func:`write_temp`):
    it is renamed with the others, or removed with them.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_many({d / "a.csv": "x\\n", d / "a.json": write_temp(d / "a.json", "{}\\n")})
    >>> sorted(p.name for p in d.iterdir()), (d / "a.json").read_text()
    (['a.csv', 'a.json'], '{}\\n')
    """
    written = [data for data in files.values() if isinstance(data, TempFile)]
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            if isinstance(data, TempFile):
                if data.path != path:
                    raise ValueError(f"{data.tmp} was written for {data.path}, not {path}")
                written.remove(data)
                temps.append((data.tmp, path))
            else:
                temps.append((_write_temp(path, _as_bytes(data)), path))
        while temps:
            tmp, path = temps[0]
            os.replace(tmp, path)
            temps.pop(0)
    finally:
        for tmp, _ in temps:
            _unlink_quietly(tmp)
        for data in written:
            data.discard()


class TempFile:
    """Bytes written to a temporary file beside ``path`` (:func:`write_temp`) and not yet
    renamed: a value of :func:`atomic_write_many`, which renames it with the other files (or
    removes it), or :meth:`discard`-ed."""

    def __init__(self, path: Path, tmp: str):
        self.path, self.tmp = path, tmp

    def discard(self) -> None:
        """Remove the temporary file (nothing if it is gone)."""
        _unlink_quietly(self.tmp)


def write_temp(path: str | os.PathLike, data: bytes | str) -> TempFile:
    """Write ``data`` now to a temporary file beside ``path`` (for :func:`atomic_write_many`
    later): a thread that made a file's bytes writes them while others are still being made
    (the write releases the GIL)."""
    path = Path(path)
    return TempFile(path, _write_temp(path, _as_bytes(data)))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_bytes(data: bytes | str) -> str:
    """Hex SHA-256 of ``data`` (text is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value):
    """A CSV cell that a spreadsheet will not run as a formula (OWASP "CSV injection").

    Text beginning with ``= + - @``, a tab or a carriage return gets a leading single quote,
    unless it is a number (``-1.5``, ``+3``), which stays as it is.  Non-text is returned as is.

    >>> csv_safe_cell("=HYPERLINK(\\"http://x\\")"), csv_safe_cell("-2.5"), csv_safe_cell("ok")
    ('\\'=HYPERLINK("http://x")', '-2.5', 'ok')
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def csv_safe(frame):
    """A copy of the DataFrame ``frame`` whose text cells (and column names) pass through
    :func:`csv_safe_cell`; numeric columns are unchanged.

    >>> import pandas as pd
    >>> csv_safe(pd.DataFrame({"note": ["=1+1", "fine"], "x": [1, -2]})).to_dict("list")
    {'note': ["'=1+1", 'fine'], 'x': [1, -2]}
    """

    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if not (types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype)
                or types.is_datetime64_any_dtype(dtype)):
            out[col] = out[col].astype(object).map(csv_safe_cell, na_action="ignore")
    out.columns = [csv_safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


MANIFEST_KIND = "rsnprop-owned-files"


def plan_owned_files(directory, files: dict, *, manifest: str, writer: str,
                     option: str) -> tuple[dict, list]:
    """Plan the replacement of the files rsnprop keeps in a folder it shares with the user.

    ``files`` maps file names to their new bytes.  The folder's ``manifest`` (JSON) lists the
    files rsnprop wrote there, with their SHA-256.  A file is replaced only when it is absent
    or listed with an unchanged hash; a file of the user's (not listed, or edited since) makes
    this raise :class:`~rsnprop.errors.InputError` naming it, before anything is written.
    Returns ``(writes, stale)``: ``{path: bytes}`` to pass to :func:`atomic_write_many`
    (the new manifest included) and the listed, unchanged files of earlier runs that this run
    does not write (to delete after the writes).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> writes, stale = plan_owned_files(d, {"t1.csv": b"a"}, manifest="m.json", writer="x",
    ...                                  option="--dir")
    >>> atomic_write_many(writes); sorted(p.name for p in d.iterdir())
    ['m.json', 't1.csv']
    >>> _ = (d / "mine.csv").write_text("user")
    >>> plan_owned_files(d, {"mine.csv": b"b"}, manifest="m.json", writer="x", option="--dir")
    Traceback (most recent call last):
    ...
    rsnprop.errors.InputError: .../mine.csv: parameter '--dir': exists and was not written by x ...
    """

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError("is a file, not a folder", file=directory, parameter=option)
    owned = _read_manifest(directory / manifest, option)
    if not files and not owned:
        return {}, []
    for name in files:
        path = directory / name
        if not path.exists() and not path.is_symlink():
            continue
        if path.is_dir() or path.is_symlink():
            raise InputError(f"is a folder or a link where {writer} writes a file; move it away",
                             file=path, parameter=option)
        if name not in owned:
            raise InputError(f"exists and was not written by {writer} (not in {manifest}): "
                             "move it away or choose another folder", file=path, parameter=option)
        if sha256_file(path) != owned[name]:
            raise InputError(f"was changed since {writer} wrote it: move it away (or delete it) "
                             "to let it be written again", file=path, parameter=option)
    stale = [directory / n for n, h in owned.items() if n not in files
             and (directory / n).is_file() and sha256_file(directory / n) == h]
    record = {"kind": MANIFEST_KIND, "writer": writer,
              "files": {n: sha256_bytes(_as_bytes(b)) for n, b in files.items()}}
    writes = {directory / n: _as_bytes(b) for n, b in files.items()}
    writes[directory / manifest] = json.dumps(record, indent=1, sort_keys=True) + "\n"
    return writes, stale


def _read_manifest(path: Path, option: str) -> dict:
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("kind") != MANIFEST_KIND or not isinstance(doc.get("files"), dict):
            raise ValueError
        return {str(k): str(v) for k, v in doc["files"].items()}
    except (OSError, ValueError, AttributeError):
        raise InputError("is not an rsnprop manifest: move it away", file=path,
                         parameter=option) from None


def json_text(obj) -> str:
    """The JSON text of ``obj`` that :func:`rsnprop.results.dumps` gives (``jsonsafe``,
    2-space indent, UTF-8 kept, no NaN), built faster and with less memory.

    ``json.dumps`` with an indent runs Python's pure-Python encoder, which yields every
    bracket, comma and value as its own string; a cleaning log of a million rows lists
    hundreds of thousands of excluded rows (tens of millions of such pieces). Here each
    container is joined at once, the scalars encoded by the C helpers ``json`` itself uses,
    and values that are not plain JSON types go through ``jsonsafe`` first: the text is the
    same, byte for byte.

    Examples
    --------
    >>> import numpy as np
    >>> from rsnprop.results import dumps
    >>> obj = {"n": np.int64(3), "x": [1.5, float("nan"), True, None], "e": {}, "é": ["a"]}
    >>> json_text(obj) == dumps(obj)
    True
    >>> print(json_text({"a": [1, {"b": []}]}))
    {
      "a": [
        1,
        {
          "b": []
        }
      ]
    }
    """
    return _json_value(obj, "\n")


_ENCODE_STR = json.encoder.encode_basestring     # what json.dumps(ensure_ascii=False) uses
_FLOAT_REPR = float.__repr__
_INT_REPR = int.__repr__
_isfinite = math.isfinite


class _NonTextKey(Exception):
    """A dict key that is not a ``str`` (see :func:`_json_value`)."""


def _not_text(key):
    raise _NonTextKey


def _json_value(v, nl: str) -> str:
    """The JSON text of ``v`` whose container items start at ``nl`` + two spaces."""
    t = type(v)
    if t is str:
        return _ENCODE_STR(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return _INT_REPR(v)
    if t is float:
        return _FLOAT_REPR(v) if _isfinite(v) else "null"
    inner = nl + "  "
    if t is list:
        if not v:
            return "[]"
        if type(v[0]) is dict and len(v) >= _RECORDS_MIN:
            return _json_records(v, nl, inner)
        # (the commonest items, text and integers, encoded inline: no call per item)
        return _wrapped("[", [
            _ENCODE_STR(x) if type(x) is str else _INT_REPR(x) if type(x) is int
            else _json_value(x, inner) for x in v], inner, nl + "]")
    if t is dict:
        if not v:
            return "{}"
        try:
            items = [(_ENCODE_STR(k) if type(k) is str else _not_text(k)) + ": " + (
                _ENCODE_STR(x) if type(x) is str else _INT_REPR(x) if type(x) is int
                else _json_value(x, inner)) for k, x in v.items()]
        except _NonTextKey:
            # keys as jsonsafe makes them: str(k), and keys that read alike become one
            # (the last value, at the first key's place), as rsnprop.results.dumps gives
            return _json_value({k if type(k) is str else str(k): x for k, x in v.items()}, nl)
        return _wrapped("{", items, inner, nl + "}")
    return _json_other(v, nl)


def _wrapped(opening: str, items: list, inner: str, closing: str) -> str:
    """``opening + inner + ("," + inner).join(items) + closing`` with the text copied once:
    the brackets joined to the first and last item (a million-row log's excluded rows, 21 MB
    of text, were copied four times at each level of the log by the concatenations)."""
    items[0] = opening + inner + items[0]
    items[-1] = items[-1] + closing
    return ("," + inner).join(items)


#: lists of at least this many items whose first is a dict go through _json_records
_RECORDS_MIN = 16


def _json_records(v, nl: str, inner: str) -> str:
    """The JSON text of the list ``v`` whose first item is a dict: when every item is a dict
    with the same text keys in the same order (the log's excluded rows, routing lists), the
    items are written column by column (each key's text made once, each column's values
    encoded by one C call per value, lists of text once per distinct list); otherwise item
    by item as :func:`_json_value` does."""
    keys = list(v[0])
    if (not keys or set(map(type, v)) != {dict} or len(set(map(tuple, v))) != 1
            or any(type(k) is not str for k in keys)):
        return _wrapped("[", [_json_value(x, inner) for x in v], inner, nl + "]")
    deeper, n = inner + "  ", len(v)
    # the text streamed into one join: per row each key's text and value, the rows' commas
    # and the list's brackets included (no text per row, no copy of the whole to wrap it)
    cols = []
    for j, k in enumerate(keys):
        head = ("{" if j == 0 else ",") + deeper + _ENCODE_STR(k) + ": "
        cols.append(chain(("[" + inner + head,), repeat("," + inner + head, n - 1)) if j == 0
                    else repeat(head))
        cols.append(_json_column([d[k] for d in v], deeper))
    cols.append(chain(repeat(inner + "}", n - 1), (inner + "}" + nl + "]",)))
    return "".join(chain.from_iterable(zip(*cols)))


def _json_column(col: list, nl: str) -> list:
    """The JSON texts of the values ``col`` whose container items start at ``nl`` + two
    spaces (:func:`_json_records`)."""
    kinds = set(map(type, col))
    if kinds == {str}:
        return list(map(_ENCODE_STR, col))
    if kinds == {int}:
        return list(map(_INT_REPR, col))
    if kinds != {list}:
        return [_json_value(x, nl) for x in col]
    known: dict = {}      # lists of text by their items (a tuple equal to one is all text)
    out = []
    for x in col:
        key = tuple(x)
        if set(map(type, key)) <= {str}:
            text = known.get(key)
            if text is None:
                text = known[key] = _json_value(x, nl)
        else:
            text = _json_value(x, nl)
        out.append(text)
    return out


def _json_other(v, nl: str) -> str:
    """A value that is not a plain JSON type: through ``jsonsafe`` first."""
    from .results import jsonsafe

    safe = jsonsafe(v)
    if type(safe) in (str, bool, int, float, list, dict) or safe is None:
        return _json_value(safe, nl)
    return json.dumps(safe, allow_nan=False)      # raises as rsnprop.results.dumps does

