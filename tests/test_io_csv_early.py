"""The early parse of ``rsnprop clean`` (:mod:`rsnprop.io_csv`): the table parsed in a
thread before the command's imports is the one ``read_table`` would parse itself, taken only
when it fits (same file unchanged, same delimiter, same sizes), and the command writes the
same files with it as without it."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_same_read

from rsnprop import io_csv
from rsnprop.commands import clean as clean_cmd
from rsnprop.data import read as rd
from rsnprop.data import read_csv

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"


def _tiled(reps=20, quotes=True):
    base = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    big = pd.concat([base] * reps, ignore_index=True)
    rng = np.random.default_rng(5)
    idx = rng.choice(len(big), 60, replace=False)
    big.loc[idx[:20], "rel_1"] = "NA"
    if quotes:
        big.loc[idx[20:40], "role"] = 'said "yes", then\nleft'
    big.loc[idx[40:], "employees"] = rng.choice(["12", "7", " 9 "], 20)
    big["resp_id"] = [f"R{i:07d}" for i in range(len(big))]
    return big


def _write(tmp_path, name, *, line_end="\n", quotes=True, encoding="utf-8"):
    path = tmp_path / name
    text = _tiled(quotes=quotes).to_csv(index=False, lineterminator=line_end)
    if encoding != "utf-8":
        text = text.replace("left", "l\u00e9ft")
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def small_sizes(monkeypatch):
    """The fast reader and the early parse for small files, in 4 KiB blocks."""
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(read_csv, "_BLOCK_BYTES", 4096)
    monkeypatch.setattr(io_csv, "EARLY_MIN_BYTES", 0)
    yield
    io_csv._STARTED.clear()


def _start(path):
    return io_csv.start_parse(path, min_bytes=read_csv._ARROW_MIN_BYTES,
                              block_bytes=read_csv._BLOCK_BYTES)


def _spy_parse(monkeypatch):
    calls = []
    real = read_csv._read_csv_arrow

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr(read_csv, "_read_csv_arrow", spy)
    return calls


@pytest.mark.parametrize("name,line_end,quotes", [("lf.csv", "\n", True),
                                                  ("crlf.csv", "\r\n", True),
                                                  ("noquote.csv", "\n", False),
                                                  ("tabs.tsv", "\n", True)])
def test_early_table_is_taken_and_reads_the_same(tmp_path, monkeypatch, small_sizes, name,
                                                 line_end, quotes):
    path = _write(tmp_path, name, line_end=line_end, quotes=quotes)
    if name.endswith(".tsv"):
        path.write_bytes(pd.read_csv(path, dtype=str, keep_default_na=False)
                         .to_csv(index=False, sep="\t").encode())
    plain = rd.read_table(path)
    calls = _spy_parse(monkeypatch)
    assert _start(path)
    early = rd.read_table(path)
    assert calls == []            # the early table was used: no parse of its own
    assert_same_read(early, plain)
    assert early.attrs == plain.attrs
    assert io_csv._STARTED == {}


def test_not_taken_when_the_file_changed(tmp_path, monkeypatch, small_sizes):
    path = _write(tmp_path, "a.csv")
    assert _start(path)
    io_csv._STARTED[io_csv._key(path)].thread.join()
    text = path.read_text().replace("R0000001", "X0000001")
    path.write_text(text + "")
    calls = _spy_parse(monkeypatch)
    df = rd.read_table(path)
    assert calls == [1] and (df["resp_id"] == "X0000001").any()


def test_not_taken_with_another_delimiter_or_sizes(tmp_path, monkeypatch, small_sizes):
    path = _write(tmp_path, "a.csv")
    calls = _spy_parse(monkeypatch)
    assert _start(path)
    rd.read_table(path, delimiter=";")       # a different delimiter: read as asked
    assert calls == [1] and io_csv._STARTED == {}
    assert io_csv.start_parse(path, min_bytes=0, block_bytes=8192)
    assert_same_read(rd.read_table(path), rd.read_table(path))
    assert calls == [1, 1, 1]


def test_non_ascii_file_goes_the_general_way(tmp_path, monkeypatch, small_sizes):
    path = _write(tmp_path, "latin1.csv", encoding="cp1252")
    plain = rd.read_table(path)
    assert _start(path)
    assert_same_read(rd.read_table(path), plain)
    assert io_csv._STARTED == {}


def test_small_or_other_files_are_not_started(tmp_path):
    path = _write(tmp_path, "a.csv")
    assert not io_csv.start_parse(path, min_bytes=0, block_bytes=4096)   # under 16 MiB
    assert not io_csv.start_parse(tmp_path / "none.csv", min_bytes=0, block_bytes=4096)
    assert io_csv.take_parse(path, 0, 4096) is None


def test_command_sizes_are_the_readers():
    assert clean_cmd._CSV_ARROW_MIN_BYTES == read_csv._ARROW_MIN_BYTES
    assert clean_cmd._CSV_BLOCK_BYTES == read_csv._BLOCK_BYTES


def _args(raw, out, log, plan=None):
    return argparse.Namespace(raw=str(raw), instrument=str(INSTRUMENT), plan=plan, platform=None,
                              output=str(out), log=str(log), flags=None, missing_tokens=None)


def _digest(*paths):
    return [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths]


def test_command_writes_the_same_files(tmp_path, monkeypatch):
    path = _write(tmp_path, "raw.csv")
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(clean_cmd, "_CSV_ARROW_MIN_BYTES", 0)
    out = {}
    for early in (False, True):
        monkeypatch.setattr(io_csv, "EARLY_MIN_BYTES", 0 if early else 1 << 62)
        calls = _spy_parse(monkeypatch)
        o, g = tmp_path / f"c{early}.parquet", tmp_path / f"c{early}.json"
        clean_cmd.run(_args(path, o, g))
        assert calls == ([] if early else [1])
        out[early] = _digest(o, g)
    assert out[True] == out[False]
    assert io_csv._STARTED == {}


def test_command_error_forgets_the_parse(tmp_path, monkeypatch):
    from rsnprop.errors import RsnpropError

    path = _write(tmp_path, "raw.csv")
    monkeypatch.setattr(io_csv, "EARLY_MIN_BYTES", 0)
    with pytest.raises(RsnpropError):
        clean_cmd.run(_args(path, tmp_path / "c.parquet", tmp_path / "c.json",
                            plan=str(tmp_path / "no_plan.yaml")))
    assert io_csv._STARTED == {}
