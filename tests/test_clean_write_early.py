"""The large clean's data file written to its temporary file by the thread that made its
bytes (:func:`rsnprop.io.write_temp`), renamed with the log by ``atomic_write_many``: the
same files, and no temporary file left when anything fails."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import pytest

from rsnprop import io as rio
from rsnprop.commands import clean as clean_cmd

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"


def _args(out):
    return argparse.Namespace(raw=str(EXAMPLE), instrument=str(INSTRUMENT), plan=None,
                              platform=None, output=str(out / "c.parquet"),
                              log=str(out / "c.json"), flags=None, missing_tokens=None)


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_temp_file_renamed_with_the_others(tmp_path):
    early = rio.write_temp(tmp_path / "a.parquet", b"PAR1")
    assert Path(early.tmp).exists() and not (tmp_path / "a.parquet").exists()
    rio.atomic_write_many({tmp_path / "a.parquet": early, tmp_path / "a.json": "{}\n"})
    assert _digests(tmp_path).keys() == {"a.parquet", "a.json"}
    assert (tmp_path / "a.parquet").read_bytes() == b"PAR1"


def test_temp_file_removed_when_another_write_fails(tmp_path):
    (tmp_path / "old.parquet").write_bytes(b"old")
    early = rio.write_temp(tmp_path / "old.parquet", b"new")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        rio.atomic_write_many({tmp_path / "file" / "a.json": "{}", tmp_path / "old.parquet": early})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "old.parquet"]
    assert (tmp_path / "old.parquet").read_bytes() == b"old"


def test_temp_file_of_another_path_refused(tmp_path):
    early = rio.write_temp(tmp_path / "a.parquet", b"x")
    with pytest.raises(ValueError):
        rio.atomic_write_many({tmp_path / "b.parquet": early})
    assert list(tmp_path.iterdir()) == []


def test_command_same_files_with_the_early_write(tmp_path, monkeypatch):
    out, calls, real = {}, [], clean_cmd._data_temp_file
    monkeypatch.setattr(clean_cmd, "_data_temp_file", lambda *a: calls.append(1) or real(*a))
    for early in (False, True):
        monkeypatch.setattr(clean_cmd, "OUTPUT_THREAD_MIN_ROWS", 1 if early else 1 << 40)
        calls.clear()
        folder = tmp_path / str(early)
        folder.mkdir()
        clean_cmd.run(_args(folder))
        assert calls == ([1] if early else [])
        out[early] = _digests(folder)
    assert out[True] == out[False] and set(out[True]) == {"c.parquet", "c.json"}


def test_command_failing_after_the_data_leaves_no_temp_file(tmp_path, monkeypatch):
    monkeypatch.setattr(clean_cmd, "OUTPUT_THREAD_MIN_ROWS", 1)

    def fail(obj):
        raise KeyboardInterrupt
    monkeypatch.setattr(rio, "json_text", fail)
    with pytest.raises(KeyboardInterrupt):
        clean_cmd.run(_args(tmp_path))
    assert list(tmp_path.iterdir()) == []
