"""The small export's row-wise careless indices (:mod:`rsnprop.data.careless_small`) against
:func:`rsnprop.data.careless.row_wise_indices`, bit for bit, and the clean that uses them."""

import numpy as np
import pytest

from rsnprop.data.careless_small import MAX_ROWS, longstring_small, reference, row_wise_given
from rsnprop.data.careless_invariance import longstring
from rsnprop.data.rules import CarelessRules


def _answers(rng, n, p):
    lo, hi = sorted(rng.integers(-3, 12, 2)) if rng.random() < 0.9 else (0, 300)
    x = rng.integers(lo, hi + 1, (n, p)).astype(float)
    if rng.random() < 0.5:
        x[rng.random((n, p)) < rng.random() * 0.6] = np.nan
    if rng.random() < 0.2 and n:
        x[rng.random(n) < 0.3] = x[0]                    # straight copies
    if rng.random() < 0.1:
        x += rng.random((n, p)) * 0.4                    # not whole numbers
    if rng.random() < 0.05:
        x[:] = np.nan
    return x


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_row_wise_given_is_row_wise_indices(seed):
    rng = np.random.default_rng(seed)
    for t in range(150):
        n = int(rng.integers(0, 1200 if t % 25 == 0 else 320))
        p = int(rng.integers(0, 45))
        x = _answers(rng, n, p)
        rules = CarelessRules().model_copy(update={"pattern_max_lag": int(rng.integers(1, 15))})
        ref = reference(x, rules)
        got = row_wise_given(np.asfortranarray(x) if t % 2 else x, rules)()
        assert set(got) == set(ref)
        for k in ref:
            assert _same(ref[k], got[k]), (k, n, p)


@pytest.mark.parametrize("x", [[[1.0, 1.0, 1.0, 2.0], [3.0, 4.0, 3.0, 4.0]],
                               [[np.nan, np.nan, 1.0]], [[2.0]], np.zeros((0, 4)),
                               np.zeros((3, 0)), [[1.0, np.nan, 1.0, 1.0, -0.0, 0.0]]])
def test_longstring_small_edges(x):
    x = np.asarray(x, dtype=float)
    assert _same(longstring_small(x), longstring(x))


def test_above_max_rows_is_left_to_the_general_path():
    assert row_wise_given(np.zeros((MAX_ROWS + 1, 5)), CarelessRules()) is None
