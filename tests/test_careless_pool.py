"""The careless indices' work moved onto the thread pool for a large block (the item means'
two halves of columns, the chi-square p-values of Mahalanobis D2 on two halves of rows, the
answer counts): the same bits as the one-thread computations, on random answers with NaN."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rsnprop.data.careless import _answered, _compute_indices, _nanmean_columns
from rsnprop.data.careless_blocks import _THREAD_MIN_ROWS
from rsnprop.data.chisq import chi2_sf
from rsnprop.data.rules import CarelessRules


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def _answers(seed, n, p, missing, whole):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, size=(n, p)).astype(float)
    if not whole:
        x += rng.normal(scale=0.3, size=(n, p))
    x[rng.random((n, p)) < missing] = np.nan
    x[: n // 50] = np.nan                                # rows without an answer
    return np.asfortranarray(x)


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("p", [1, 2, 7, 38])
def test_item_means_on_two_threads(whole, p):
    x = _answers(p, _THREAD_MIN_ROWS + 3, p, 0.2, whole)
    with ThreadPoolExecutor(max_workers=2) as pool:
        two = _nanmean_columns(x, pool)
    assert _bits(two).tolist() == _bits(_nanmean_columns(x)).tolist()
    assert _bits(two).tolist() == _bits(np.nanmean(x, axis=0)).tolist()
    assert _answered(x).tolist() == (~np.isnan(x)).sum(1).tolist()


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("n", [_THREAD_MIN_ROWS - 1, _THREAD_MIN_ROWS, 3 * _THREAD_MIN_ROWS + 1])
def test_large_block_p_values_and_counts_as_one_thread_gives(whole, n):
    """On both sides of the pool's threshold: ``mahad_p`` (when given) is ``chi2_sf`` of the
    whole D2 column, ``answered`` the row counts; with ``given`` row-wise indices (the early
    thread's) the item means come from the pool: the same person-total bits."""
    p = 12
    x = _answers(n, n, p, 0.15, whole)
    factors = [[f"q{j}" for j in range(6)], [f"q{j}" for j in range(6, 12)]]
    cols = [f"q{j}" for j in range(p)]
    cr = CarelessRules()
    plain = _compute_indices(x.copy(order="F"), None, cols, factors, cr, {0: 8, 5: 8})
    xg = x.copy(order="F")
    rw = {k: np.zeros(n) for k in ("longstring", "irv", "pattern", "irv_block")}
    given = _compute_indices(xg, None, cols, factors, cr, {0: 8, 5: 8}, lambda: rw)
    for vals in (plain, given):
        assert vals["answered"].tolist() == (~np.isnan(x)).sum(1).tolist()
        if "mahad_p" in vals:
            assert _bits(vals["mahad_p"]).tolist() == _bits(chi2_sf(vals["mahad"], p)).tolist()
        else:
            assert n < _THREAD_MIN_ROWS
    for k in ("person_total", "mahad", "evenodd"):
        assert _bits(given[k]).tolist() == _bits(plain[k]).tolist(), k
