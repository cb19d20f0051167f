"""The row-wise careless indices of a large export's blocks with few numpy calls
(:mod:`rsnprop.data.careless_rowwise`): the same bits as
:func:`rsnprop.data.careless.row_wise_indices` on random answers with NaN, whole numbers or
not, and through the early thread on both sides of its 65,536-row threshold."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.data import careless_early
from rsnprop.data.careless import row_wise_indices
from rsnprop.data.careless_rowwise import longstring_runs, row_wise_block, whole_number_sums
from rsnprop.data.rules import CarelessRules


def _bits(a):
    a = np.ascontiguousarray(a, dtype=np.float64)
    return a.view(np.uint64)


def _reference(x, cr):
    return {k: np.asarray(get()) for k, get in row_wise_indices(x, cr).items()}


def _answers(rng, n, p, lo, hi, missing, *, order="F"):
    x = rng.integers(lo, hi + 1, size=(n, p)).astype(float)
    x[rng.random((n, p)) < missing] = np.nan
    if n:
        straight = rng.random(n) < 0.1                  # straight-liners and patterns
        x[straight] = x[straight, :1]
        saw = rng.random(n) < 0.1
        x[saw] = np.arange(p) % (hi - lo + 1) + lo
    x[rng.random(n) < 0.03] = np.nan                    # rows without an answer
    return np.asarray(x, order=order)


def _assert_same(got, ref):
    assert list(got) == list(ref)
    for k in ref:
        assert got[k].dtype == ref[k].dtype, k
        assert got[k].shape == ref[k].shape, k
        assert np.array_equal(_bits(got[k]), _bits(ref[k])), k


@pytest.mark.parametrize("p,lo,hi,missing", [(38, 1, 7, 0.05), (38, 1, 5, 0.4), (12, 0, 6, 0.3),
                                             (11, 1, 7, 0.1), (13, -3, 3, 0.2), (5, 0, 60, 0.1),
                                             (2, 1, 1, 0.0), (1, 1, 4, 0.2), (9, 0, 0, 0.5),
                                             (60, 1, 10, 0.6), (0, 1, 5, 0.0)])
@pytest.mark.parametrize("order", ["F", "C"])
def test_whole_numbers_give_the_same_bits(p, lo, hi, missing, order):
    rng = np.random.default_rng(p * 1000 + hi * 10 + int(missing * 10))
    x = _answers(rng, 9_000, p, lo, hi, missing, order=order)
    cr = CarelessRules()
    _assert_same(row_wise_block(x, cr), _reference(x, cr))


@pytest.mark.parametrize("case", ["fractions", "inf", "huge", "negative zero", "few items"])
def test_other_answers_give_the_same_bits(case):
    """Answers that are not whole numbers (or too big for exact sums) go to the general
    path: the same bits as it; signed zeros and blocks under 3 items per IRV block too."""
    rng = np.random.default_rng(11)
    x = _answers(rng, 5_000, 38, 1, 7, 0.1)
    if case == "fractions":
        x[rng.random(x.shape) < 0.2] += 0.37
        assert whole_number_sums(x, [slice(0, 38)]) is None
    elif case == "inf":
        x[7, 3] = np.inf
        assert whole_number_sums(x, [slice(0, 38)]) is None
        for fn in (row_wise_block, _reference):      # the general path's error, as before
            with pytest.raises(OverflowError):
                fn(x, CarelessRules())
        return
    elif case == "huge":
        x[9, 5] = 2.0 ** 26
        assert whole_number_sums(x, [slice(0, 38)]) is None
    elif case == "negative zero":
        x[rng.random(x.shape) < 0.3] = -0.0
        x[:50] = -0.0
    else:
        x = np.asfortranarray(x[:, :11])
    cr = CarelessRules()
    _assert_same(row_wise_block(x, cr), _reference(x, cr))


def test_other_rules_give_the_same_bits():
    rng = np.random.default_rng(3)
    x = _answers(rng, 3_000, 38, 1, 7, 0.2)
    for cr in (CarelessRules(irv_blocks=3, pattern_max_lag=5), CarelessRules(irv_blocks=13),
               CarelessRules(irv_blocks=2, pattern_max_lag=40)):
        _assert_same(row_wise_block(x, cr), _reference(x, cr))


def test_longstring_runs_counts_runs_broken_by_missing_answers():
    x = np.array([[1, 1, np.nan, 1, 1, 1], [2, 2, 2, 2, 2, 2], [np.nan] * 6,
                  [1, 2, 1, 2, 1, 2]])
    assert longstring_runs(x).tolist() == [3.0, 6.0, 1.0, 1.0]
    assert longstring_runs(np.empty((3, 0))).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("n", [careless_early.EARLY_MIN_ROWS - 1, careless_early.EARLY_MIN_ROWS,
                               careless_early.EARLY_MIN_ROWS + 1])
def test_early_thread_on_both_sides_of_the_threshold(n):
    """The early thread's blocks (65,536 rows) on 65,535 / 65,536 / 65,537 rows: the bits
    of the general path on the whole matrix."""
    rng = np.random.default_rng(n)
    x = _answers(rng, n, 38, 1, 7, 0.08)
    cr = CarelessRules()
    early = careless_early._row_wise_all([x[:, j].copy() for j in range(38)], n, cr)
    _assert_same(early, _reference(x, cr))
