"""Hommel's correction without statsmodels (whose ``multitest`` module imports scipy.stats):
the same bits as ``multipletests(p, method="hommel")`` (R: ``p.adjust(p, "hommel")``)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from rsnprop.sem.scoretest import p_adjust

RNG = np.random.default_rng(7)


def _cases():
    yield []
    yield [0.03]
    yield [0.0, 1.0, 0.5]
    yield [0.01, 0.04, 0.03]
    yield [0.02, 0.02, 0.02, 0.5, 0.5]                  # ties
    yield [np.nan, 0.01, 0.2]                           # R's NA, as a NaN
    yield [np.nan, np.nan]
    yield [1.0, 1.0, 1.0]
    yield [0.0, 0.0]
    yield [5e-324, 1e-300, 0.999999999999]
    for size in (2, 3, 7, 20, 64, 150):
        for _ in range(15):
            p = RNG.uniform(0, 1, size) ** RNG.uniform(0.5, 6)
            k = RNG.integers(0, size)
            p[RNG.integers(0, size, k)] = p[RNG.integers(0, size)]        # ties
            if RNG.random() < 0.3:
                p[RNG.integers(0, size)] = RNG.choice([0.0, 1.0, np.nan])
            yield p.round(RNG.integers(2, 17)).tolist()


@pytest.mark.parametrize("p", list(_cases()))
def test_hommel_is_statsmodels_bit_for_bit(p):
    ours = np.array(p_adjust(p, "hommel"), dtype=float)
    theirs = np.asarray(multipletests(np.asarray(p, dtype=float), method="hommel")[1], dtype=float) if p \
        else np.array([])
    assert ours.tobytes() == theirs.tobytes(), (p, ours, theirs)


def test_hommel_values_and_the_comparison_can_fail():
    # R: p.adjust(c(0.01, 0.04, 0.03), "hommel") -> 0.03 0.04 0.04
    assert p_adjust([0.01, 0.04, 0.03], "hommel") == [0.03, 0.04, 0.04]
    holm = np.array(p_adjust([0.01, 0.04, 0.03, 0.2], "holm"))
    hommel = np.array(p_adjust([0.01, 0.04, 0.03, 0.2], "hommel"))
    assert holm.tobytes() != hommel.tobytes()
