"""The missing-data summary of a large export (:func:`rsnprop.data.missing.missing_summary`
from 65,536 rows, at most 64 columns: 64-bit pattern keys) is the dict the general path
gives, key for key and in the same order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import missing as mm
from rsnprop.data.log import _id_list


def _general(df, cols):
    saved = mm._KEY_MIN_ROWS
    mm._KEY_MIN_ROWS = 1 << 62
    try:
        return mm.missing_summary(df, cols)
    finally:
        mm._KEY_MIN_ROWS = saved


@pytest.mark.parametrize("n,p,share,seed", [(70_000, 60, 0.03, 1), (65_536, 64, 0.5, 2),
                                            (65_536, 1, 0.2, 3), (66_000, 9, 0.0, 4),
                                            (66_000, 8, 1.0, 5), (80_000, 17, 0.3, 6)])
def test_large_summary_is_the_general_one(n, p, share, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, (n, p)).astype(float)
    x[rng.random((n, p)) < share] = np.nan
    df = pd.DataFrame(x, columns=[f"c{j}" for j in range(p)])
    df["txt"] = pd.array(np.where(rng.random(n) < 0.1, None, "a"), dtype="string")
    if p > 3:     # a few rows with whole blocks missing (fewer, more frequent patterns)
        df.iloc[::7, : p // 2] = np.nan
    cols = list(df.columns)[-min(len(df.columns), 64):]
    fast, slow = mm.missing_summary(df, cols), _general(df, cols)
    assert repr(fast) == repr(slow)
    assert fast["top_patterns"] == slow["top_patterns"] and fast["n_patterns"] > 0


def test_pattern_keys_are_packbits_read_big_endian():
    rng = np.random.default_rng(7)
    for p in (1, 7, 8, 13, 64):
        m = np.asfortranarray(rng.random((300, p)) < 0.4)
        packed = np.zeros((300, 8), dtype=np.uint8)
        packed[:, : (p + 7) // 8] = np.packbits(m, axis=1)
        assert np.array_equal(mm._pattern_keys(m), packed.view(">u8").ravel().astype(np.uint64))


def test_over_64_columns_take_the_general_path():
    rng = np.random.default_rng(8)
    x = rng.random((65_536, 65))
    x[x < 0.05] = np.nan
    df = pd.DataFrame(x)
    assert repr(mm.missing_summary(df)) == repr(_general(df, list(df.columns)))


def test_id_list_is_list_of_ids():
    ids = pd.Series(["a", None, "c"] * 30_000, dtype=object)
    got = _id_list(ids)
    assert got == list(ids) and all(a is b for a, b in zip(got, list(ids)))
    small = pd.Series([1, 2, 3])
    assert _id_list(small) == [1, 2, 3]
    assert _id_list(["x", "y"]) == ["x", "y"]
