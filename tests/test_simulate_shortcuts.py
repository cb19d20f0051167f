"""The simulator's shortcuts give what the plain code gave (issue 21).

The routing reads each ``select_multiple`` column once per set of answers
(``condition_holds(..., choices)``): the same rows as a condition read on its own, and a
column replaced in the answers is read again.  The answers counted per row for the durations
(``_answered_count``) count the float columns as one block: the counts of a loop over every
cell."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.simulate.answers import condition_holds
from rsnprop.simulate.study import _answered_count, _isblank


def _cond(item, op, value):
    return {"item": item, "op": op, "value": value}


def test_kept_choices_give_the_rows_of_each_condition_alone():
    rng = np.random.default_rng(3)
    codes = ["linkedin", "x", "facebook", "other", "xing"]
    col = np.array([" ".join(c for c in codes if rng.random() < 0.4) for _ in range(200)], dtype=object)
    col[rng.random(200) < 0.1] = None
    col[rng.random(200) < 0.05] = ""
    col[:3] = [np.nan, 7, "linkedin  x"]       # a float NaN, a number, two spaces
    values = {"p": col}
    choices: dict = {}
    for code in [*codes, "link", "9", 7, "linkedin x"]:
        alone = condition_holds(_cond("p", "selected", code), values, 200)
        kept = condition_holds(_cond("p", "selected", code), values, 200, choices)
        loop = np.array([isinstance(x, str) and str(code) in x.split() for x in col])
        assert np.array_equal(alone, loop) and np.array_equal(kept, loop), code
    assert set(choices) == {"p"}


def test_a_replaced_column_is_read_again():
    choices: dict = {}
    values = {"p": np.array(["a b", "b", None], dtype=object)}
    first = condition_holds(_cond("p", "selected", "a"), values, 3, choices)
    values["p"] = np.array([None, "a", "a c"], dtype=object)     # routed: a new array
    second = condition_holds(_cond("p", "selected", "a"), values, 3, choices)
    assert first.tolist() == [True, False, False]
    assert second.tolist() == [False, True, True]
    missing = condition_holds(_cond("q", "selected", "a"), values, 3, choices)
    assert missing.tolist() == [True, True, True]


def test_answered_count_is_a_count_of_the_cells_answered():
    rng = np.random.default_rng(5)
    n = 60
    values = {f"f{j}": np.where(rng.random(n) < 0.3, np.nan, rng.integers(1, 6, n)).astype(float)
              for j in range(9)}
    values["int"] = rng.integers(0, 3, n)
    values["bool"] = rng.random(n) < 0.5
    text = np.array(rng.choice(["a b", "", "x"], n), dtype=object)
    text[rng.random(n) < 0.2] = None
    text[:2] = [np.nan, 3]
    values["text"] = text
    values["f32"] = np.where(rng.random(n) < 0.5, np.nan, 1.0).astype(np.float32)
    values["list"] = [None if i % 3 == 0 else "t" for i in range(n)]
    loop = np.array([sum(not _isblank(values[c][i].item() if isinstance(values[c][i], np.generic)
                                      else values[c][i]) for c in values) for i in range(n)])
    got = _answered_count(values, n)
    assert got.dtype == np.int64 and got.tolist() == loop.tolist()
    assert _answered_count({}, 4).tolist() == [0, 0, 0, 0]


def _invalid_loop(cols, ranges, rng, n, rate):
    """``invalid_arrays`` as it was (3714c94): a column of ``hit`` and ``which`` per column."""
    names = list(ranges)
    hit = rng.random((n, len(names))) < rate
    which = rng.integers(0, 4, size=(n, len(names)))
    new = {}
    for j, col in enumerate(names):
        lo, hi = ranges[col]
        codes = np.array([lo - 1, hi + 1, 99, -9], dtype=float)
        vals = np.array(cols[col], dtype=float)
        mask = hit[:, j] & ~np.isnan(vals)
        vals[mask] = codes[which[mask, j]]
        new[col] = vals
    return new


@pytest.mark.parametrize("n, rate", [(1, 0.5), (30, 0.0001), (300, 0.01), (200, 0.3)])
def test_invalid_codes_as_column_by_column(n, rate):
    from rsnprop.simulate.quirks import invalid_arrays

    data = np.random.default_rng(n)
    cols = {f"c{j}": np.where(data.random(n) < 0.2, np.nan, data.integers(1, 8, n)).astype(float)
            for j in range(12)}
    cols["ints"] = data.integers(1, 6, n)
    ranges = {c: ((1, 7) if c != "ints" else (1, 5)) for c in cols}
    got = invalid_arrays(cols, ranges, np.random.default_rng(7), n, rate=rate)
    ref = _invalid_loop(cols, ranges, np.random.default_rng(7), n, rate)
    assert list(got) == list(ref)
    for c in ref:
        assert got[c].dtype == ref[c].dtype and np.array_equal(got[c], ref[c], equal_nan=True)
