"""careless.spread_to_rows (the indices of the sample's rows spread back to every row) gives
the arrays of ``DataFrame.reindex(range(n))``: values, missing cells and dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.data.careless import spread_to_rows


def _frame(rng, rows):
    m = len(rows)
    return pd.DataFrame({
        "irv": np.where(rng.random(m) < .1, np.nan, rng.normal(size=m)),
        "longstring": rng.integers(0, 9, m),
        "flag_irv": rng.random(m) < .3,
        "label": rng.choice(["a", "b"], m).astype(object),
    }, index=rows)


@pytest.mark.parametrize("seed", range(12))
def test_spread_equals_reindex(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    kind = seed % 4
    if kind == 0:      # a sorted subset of the rows (the sample)
        rows = np.sort(rng.choice(n, int(rng.integers(0, n + 1)), replace=False)) if n else []
    elif kind == 1:    # every row, shuffled
        rows = rng.permutation(n)
    elif kind == 2:    # labels outside 0..n-1 (dropped by reindex)
        rows = rng.choice(np.arange(-5, n + 5), min(n + 10, 8), replace=False)
    else:              # labels that are not integers
        rows = [f"r{i}" for i in range(min(n, 5))]
    frame = _frame(rng, rows)
    for fill, cols in ((np.nan, ["irv", "longstring", "label"]), (False, ["flag_irv"])):
        got = spread_to_rows(frame[cols], n, fill)
        want = frame[cols].reindex(range(n), fill_value=fill)
        assert list(got) == cols
        for c in cols:
            assert got[c].dtype == want[c].to_numpy().dtype, (c, kind)
            pd.testing.assert_series_equal(pd.Series(got[c]), pd.Series(want[c].to_numpy()))


def test_spread_of_repeated_rows_raises_as_reindex():
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=[1, 1])
    with pytest.raises(ValueError):
        frame.reindex(range(3))
    with pytest.raises(ValueError):
        spread_to_rows(frame, 3)
