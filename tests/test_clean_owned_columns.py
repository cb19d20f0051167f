"""The export's float columns given back once validated (the million-row clean's peak and
page faults): only when nothing but the recipe's own frame holds them, the same results as
without, and a caller's frame never touched."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import CleaningRules, clean, read_table
from rsnprop.data import item_values, validate
from rsnprop.data.owned_columns import give_back, owned_columns
from rsnprop.instrument import load_instrument
from rsnprop.io import json_text

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"


def _frame(n=3000, k=4):
    block = np.asfortranarray(np.random.default_rng(0).random((n, k)))
    return pd.DataFrame(block, columns=[f"c{j}" for j in range(k)], copy=False)


def test_owned_only_when_nothing_else_holds_the_block():
    df = _frame()
    assert sorted(owned_columns(df, list(df.columns))) == ["c0", "c1", "c2", "c3"]
    other = df.reset_index(drop=True)          # another frame sharing the block
    assert owned_columns(other, ["c0"]) == {} and owned_columns(df, ["c0"]) == {}
    del other
    col = df["c1"]                               # a live column
    assert owned_columns(df, ["c0"]) == {}
    del col
    arr = df["c2"].to_numpy()                    # a live array view
    assert owned_columns(df, ["c0"]) == {}
    del arr
    assert list(owned_columns(df, ["c3"])) == ["c3"]
    dup = pd.DataFrame(np.ones((5, 2), order="F"), columns=["a", "a"], copy=False)
    assert owned_columns(dup, ["a"]) == {}
    mixed = pd.DataFrame({"x": np.arange(5), "t": list("abcde")})
    assert owned_columns(mixed, ["x", "t"]) == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="madvise")
def test_given_back_pages_read_as_zeros():
    df = _frame(n=200_000, k=2)
    col = owned_columns(df, ["c1"])["c1"]
    give_back(col)
    page = 4096
    first = -(-col.ctypes.data // page) * page - col.ctypes.data
    inner = col[first // 8:][:(len(col) - first // 8) // 512 * 512 - 512]
    assert len(inner) > 100_000 and not inner.any()      # nothing released: random values
    assert df["c0"].to_numpy().all()                      # the other column untouched


def _cleans(monkeypatch, path, release):
    monkeypatch.setattr(validate, "RELEASE_MIN_ROWS", 0 if release else 1 << 62)
    monkeypatch.setattr(item_values, "SMALL_ROWS", 10)   # the large-export validation
    ins = load_instrument(INSTRUMENT)
    raws = [read_table(path)]
    return clean(raws.pop(), ins, CleaningRules(), source=path)


@pytest.mark.filterwarnings("ignore")
def test_clean_with_release_equals_without(monkeypatch, tmp_path):
    """12,000 rows (columns of 96 KB: pages really given back, reading zeros after)."""
    base = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    big = pd.concat([base] * (12_000 // len(base) + 1), ignore_index=True)
    big["resp_id"] = [f"R{i}" for i in range(len(big))]
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    released = []
    real = validate.give_back
    monkeypatch.setattr(validate, "give_back", lambda col: (released.append(col.nbytes),
                                                            real(col)))
    a = _cleans(monkeypatch, path, True)
    assert len(released) > 20 and min(released) > 16 * 4096   # the path ran
    b = _cleans(monkeypatch, path, False)
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    assert json_text(a.log) == json_text(b.log)
    pd.testing.assert_frame_equal(a.problems, b.problems)


@pytest.mark.filterwarnings("ignore")
def test_a_frame_the_caller_keeps_is_not_released(monkeypatch):
    monkeypatch.setattr(validate, "RELEASE_MIN_ROWS", 0)
    monkeypatch.setattr(item_values, "SMALL_ROWS", 10)
    released = []
    real = validate.give_back
    monkeypatch.setattr(validate, "give_back", lambda col: (released.append(1), real(col)))
    raw = read_table(EXAMPLE)
    before = raw.copy(deep=True)
    clean(raw, load_instrument(INSTRUMENT), CleaningRules(), source=EXAMPLE)
    assert not released
    pd.testing.assert_frame_equal(raw, before, check_exact=True)
