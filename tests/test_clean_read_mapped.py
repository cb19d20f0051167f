"""The million-row read path: a big ASCII CSV is parsed by pyarrow from the mapped file
(no bytes copy, no UTF-8 check of every cell) and gives exactly the frame of the general
path; a file that is not ASCII, or UTF-8 that was not checked, still goes through the checks."""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_same_read

from rsnprop.data import read as rd
from rsnprop.data import read_csv
from rsnprop.errors import DataFileError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"


def _texts():
    base = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    junk = base.copy()
    idx = rng.choice(len(junk), 30, replace=False)
    junk.loc[idx[:10], "rel_1"] = " NA "
    junk.loc[idx[10:20], "rel_2"] = "abc"
    junk.loc[idx[20:], "employees"] = "1,5"
    junk.loc[3, "role"] = 'He said "hi", then\nleft; ok'
    text = base.to_csv(index=False)
    return {"plain.csv": text, "junk.csv": junk.to_csv(index=False),
            "semicolon.csv": junk.to_csv(index=False, sep=";"),
            "crlf.csv": text.replace("\n", "\r\n"), "tab.tsv": base.to_csv(index=False, sep="\t"),
            "short_row.csv": text + "A1,2\n"}


def _read(path, monkeypatch, *, mapped, **kw):
    """read_table with the mapped path on or off (every file counts as big)."""
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0)
    if not mapped:
        monkeypatch.setattr(read_csv, "_map_ascii", lambda path: None)
    try:
        return rd.read_table(path, **kw)
    except DataFileError as err:
        return (type(err).__name__, str(err))
    finally:
        monkeypatch.undo()


_same = assert_same_read


@pytest.mark.parametrize("name", sorted(_texts()))
def test_mapped_read_equals_bytes_read(name, tmp_path, monkeypatch):
    path = tmp_path / name
    path.write_bytes(_texts()[name].encode("ascii"))
    _same(_read(path, monkeypatch, mapped=True), _read(path, monkeypatch, mapped=False))
    # and the general (pandas) path
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 1 << 62)
    _same(rd.read_table(path) if name != "short_row.csv" else
          _read(path, monkeypatch, mapped=False), _read(path, monkeypatch, mapped=True))


def test_mapped_path_is_taken_for_ascii_only(tmp_path, monkeypatch):
    """The spy sees a mapped file for an ASCII export, bytes for a UTF-8 one (the test
    fails if the mapped path is never used)."""
    seen = []
    real = read_csv._read_csv_arrow

    def spy(raw, *args, **kw):
        seen.append((type(raw), kw.get("valid_utf8")))
        return real(raw, *args, **kw)

    text = _texts()["plain.csv"]
    ascii_path, utf8_path = tmp_path / "a.csv", tmp_path / "u.csv"
    ascii_path.write_bytes(text.encode())
    utf8_path.write_bytes(text.replace("resp_id\n", "resp_id\n").encode()
                          + "Z9,Société".encode() + b"\n")
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(read_csv, "_read_csv_arrow", spy)
    rd.read_table(ascii_path)
    assert seen == [(mmap.mmap, True)]
    seen.clear()
    try:
        rd.read_table(utf8_path)
    except DataFileError:
        pass
    assert seen and seen[0][0] is bytes and seen[0][1] is True   # decoded by detect_encoding


@pytest.mark.parametrize("bom", [True, False])
def test_unchecked_utf8_is_still_checked(bom, tmp_path, monkeypatch):
    """UTF-8 that detect_encoding did not decode (a byte-order mark, or the encoding given
    by the caller) keeps pyarrow's check: an invalid byte is refused as before, never read
    as text."""
    text = _texts()["plain.csv"].encode()
    cut = text.index(b"\n", len(text) // 2) + 1
    data = (b"\xef\xbb\xbf" if bom else b"") + text[:cut] + b"\xff" + text[cut + 1:]
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0)
    with pytest.raises(DataFileError, match="cannot decode"):
        rd.read_table(path, **({} if bom else {"encoding": "utf-8"}))


@pytest.mark.parametrize("name", ["plain.csv", "junk.csv", "crlf.csv", "semicolon.csv"])
def test_quote_free_file_parsed_without_quoting(name, tmp_path, monkeypatch):
    """A file without a quote character is parsed without quote handling (blocks split at
    the last newline); one with quotes keeps it (a quoted value may hold a newline). Both
    give the general path's frame (the junk file's quoted newline fails without quoting)."""
    import pyarrow.csv as pcsv

    text = _texts()[name]
    if name == "plain.csv":
        assert '"' not in text
    path = tmp_path / name
    path.write_bytes(text.encode("ascii"))
    seen = []
    real = pcsv.ParseOptions

    def spy(**kw):
        seen.append((kw["quote_char"], kw["newlines_in_values"]))
        return real(**kw)

    monkeypatch.setattr(pcsv, "ParseOptions", spy)
    fast = _read(path, monkeypatch, mapped=True)
    quoted = '"' in text
    assert seen == [('"', True) if quoted else (False, False)]
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 1 << 62)
    _same(fast, rd.read_table(path))
