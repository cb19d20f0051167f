"""The two-thread paths of cleaning (large files) give exactly the single-thread results.

Validation of numeric columns runs on two threads from ``PARALLEL_MIN_ROWS`` rows on, and the
duplicate-submission keys are computed on two halves of the row blocks when there is more
than one block (65,536 rows). These tests run both paths on the same data and compare.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import CleaningRules, clean, read_table
from rsnprop.data import validate as val
from rsnprop.data.duplicates import find_duplicates
from rsnprop.instrument import load_instrument
from rsnprop.results import dumps

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
N = 70_000


@pytest.fixture(scope="module")
def ins():
    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def big(ins):
    """The example tiled to N rows, unique ids, with junk planted in numeric columns."""
    base = read_table(EXAMPLE)
    df = pd.concat([base] * (-(-N // len(base))), ignore_index=True).iloc[:N].copy()
    df["resp_id"] = [f"P{i:06d}" for i in range(N)]
    rng = np.random.default_rng(7)
    num = [c for c in df.columns if c in ins.items and pd.api.types.is_float_dtype(df[c])]
    for c in num[::3]:
        x = df[c].to_numpy(dtype="float64").copy()
        pick = rng.random(N) < 0.01
        x[pick] = rng.choice([-99.0, 2.5, 1e6, -3.0], int(pick.sum()))
        df[c] = x
    return df


def _validate(df, ins, threshold, monkeypatch):
    monkeypatch.setattr(val, "PARALLEL_MIN_ROWS", threshold)
    cols = [c for c in df.columns if c in ins.items and c != "resp_id"
            and ins.items[c].type not in val.DROP_TYPES and not getattr(ins.items[c], "pii", False)]
    return val.validate_items(df, ins, CleaningRules(), cols)


def test_threaded_validation_equals_serial(big, ins, monkeypatch):
    v1, p1, r1 = _validate(big, ins, 10 ** 12, monkeypatch)
    v2, p2, r2 = _validate(big, ins, 0, monkeypatch)
    pd.testing.assert_frame_equal(v1, v2)
    pd.testing.assert_frame_equal(p1, p2)
    assert r1 == r2
    # the planted junk was found (the test can fail): out-of-range and fractional values
    assert {"out_of_range", "not_integer"} <= set(p1["reason"])
    assert any(rc.get("recoded_missing") for rc in r1.values())


def test_split_duplicate_keys_equal_pandas(ins):
    """Keys hashed on two threads: same duplicates as pandas' ``duplicated`` would give."""
    rng = np.random.default_rng(3)
    n = 3 * 65_536 + 17
    x = rng.integers(1, 8, (n, 6)).astype(float)
    x[rng.random((n, 6)) < 0.05] = np.nan
    copies = rng.choice(n // 2, 500, replace=False)
    targets = rng.choice(np.arange(n // 2, n), 500, replace=False)
    x[targets] = x[copies]
    items = pd.DataFrame(x, columns=list("abcdef"))
    items["t"] = pd.Series(np.where(rng.random(n) < 0.5, "u", "v"), dtype=object)
    items.loc[targets, "t"] = items.loc[copies, "t"].to_numpy()
    ids = pd.Series([f"i{i}" for i in range(n)], dtype=object)
    ids[10] = ids[n - 1] = "i5"
    dup_id, dup_sub = find_duplicates(ids, items)
    answered = items.notna().sum(axis=1).to_numpy() * 2 >= items.shape[1]
    expected = items.duplicated(keep="first").to_numpy() & answered
    np.testing.assert_array_equal(dup_sub, expected)
    assert dup_sub.sum() >= 500
    assert dup_id.sum() == 2 and dup_id[10] and dup_id[n - 1]


def test_clean_large_file_same_with_and_without_threads(big, ins, monkeypatch):
    monkeypatch.setattr(val, "PARALLEL_MIN_ROWS", 10 ** 12)
    a = clean(big, ins)
    monkeypatch.setattr(val, "PARALLEL_MIN_ROWS", 0)
    b = clean(big, ins)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.flags, b.flags)
    pd.testing.assert_frame_equal(a.problems, b.problems)
    assert dumps(a.log) == dumps(b.log)
    assert a.log["n_in"] == N == a.log["n_kept"] + a.log["n_excluded"]
