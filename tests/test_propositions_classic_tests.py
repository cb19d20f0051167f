"""rsnprop.propositions.classic_tests gives scipy.stats' tests to the bit (the analysis modules a
power replication imports call them, so that it does not import scipy.stats)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from rsnprop.propositions import classic_tests as ct

RNG = np.random.default_rng(11)


def same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape and a.tobytes() == b.tobytes(), (a, b)


def quiet(f, *args, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return f(*args, **kw)


def _samples():
    """1-d samples: continuous, Likert-like with ties, zeros, tiny and huge scales, n = 2..300."""
    for n in (2, 3, 4, 5, 7, 8, 9, 12, 30, 51, 120, 300):
        for _ in range(6):
            kind = RNG.integers(0, 5)
            if kind == 0:
                x = RNG.normal(0.3, 1, n)
            elif kind == 1:
                x = RNG.integers(-3, 4, n) / 3.0                 # ties and zeros
            elif kind == 2:
                x = np.round(RNG.normal(0, 1, n), 1)
            elif kind == 3:
                x = RNG.normal(0, 1, n) * 10.0 ** RNG.integers(-8, 8)
            else:
                x = 4.0 + RNG.normal(0, 1e-15, n)                # nearly identical: SciPy's warning
            yield x


SAMPLES = list(_samples())


@pytest.mark.parametrize("x", SAMPLES)
def test_ranks_and_paired_t(x):
    same(ct.rankdata(x), stats.rankdata(x))
    same(quiet(ct.paired_t_statistic, x, np.zeros(x.size)),
         quiet(stats.ttest_rel, x, np.zeros(x.size), alternative="greater").statistic)
    y = RNG.normal(0, 1, x.size)
    same(quiet(ct.paired_t_statistic, x, y), quiet(stats.ttest_rel, x, y).statistic)


@pytest.mark.parametrize("x", SAMPLES)
def test_wilcoxon_signed_rank(x):
    nz = x[x != 0]
    if nz.size < 1:
        return
    for alt in ("greater", "less"):
        ours = quiet(ct.wilcoxon_signed_rank, nz, alt)
        theirs = quiet(stats.wilcoxon, nz, alternative=alt, correction=True, method="approx")
        same(ours.statistic, theirs.statistic)
        same(ours.pvalue, theirs.pvalue)


@pytest.mark.parametrize("i", range(len(SAMPLES) - 1))
def test_mann_whitney_and_welch(i):
    x, y = SAMPLES[i], SAMPLES[i + 1][: RNG.integers(2, SAMPLES[i + 1].size + 1)]
    if RNG.random() < 0.5:
        x, y = y, x
    for alt in ("greater", "less"):
        ours = quiet(ct.mann_whitney_u, x, y, alt)
        theirs = quiet(stats.mannwhitneyu, x, y, alternative=alt)
        same(ours.statistic, theirs.statistic)
        same(ours.pvalue, theirs.pvalue)
    same(quiet(ct.welch_t_statistic, x, y), quiet(stats.ttest_ind, x, y, equal_var=False).statistic)


@pytest.mark.parametrize("n1, n2", [(2, 2), (2, 9), (3, 5), (8, 8), (8, 40), (5, 7), (1, 6)])
def test_exact_mann_whitney(n1, n2):
    for _ in range(10):
        x, y = RNG.normal(0.5, 1, n1), RNG.normal(0, 1, n2)
        for alt in ("greater", "less"):
            ours, theirs = ct.mann_whitney_u(x, y, alt), stats.mannwhitneyu(x, y, alternative=alt)
            same(ours.statistic, theirs.statistic)
            same(ours.pvalue, theirs.pvalue)


def test_nan_gives_nan_as_scipy():
    x = np.array([1.0, np.nan, 2.0, -1.0, 3.0])
    for alt in ("greater", "less"):
        same(ct.wilcoxon_signed_rank(x, alt).pvalue, stats.wilcoxon(x, alternative=alt, correction=True,
                                                                    method="approx").pvalue)
        same(ct.mann_whitney_u(x, np.arange(4.0), alt).pvalue,
             stats.mannwhitneyu(x, np.arange(4.0), alternative=alt).pvalue)
    same(ct.rankdata(x), stats.rankdata(x))


@pytest.mark.parametrize("i", range(0, len(SAMPLES) - 1))
def test_spearman(i):
    x = SAMPLES[i]
    for y in (RNG.normal(0, 1, x.size) + x, np.round(RNG.normal(0, 1, x.size)), x[::-1].copy()):
        ours, theirs = quiet(ct.spearman, x, y), quiet(stats.spearmanr, x, y)
        same(ours.statistic, theirs.statistic)
        same(ours.pvalue, theirs.pvalue)


def test_spearman_edges():
    for x, y in (([1.0, 2.0], [2.0, 1.0]), ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]), ([1.0], [2.0]),
                 ([1.0, np.nan, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0]), ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])):
        ours, theirs = quiet(ct.spearman, x, y), quiet(stats.spearmanr, x, y)
        same(ours.statistic, theirs.statistic)
        same(ours.pvalue, theirs.pvalue)


def test_the_precision_warning_as_scipy():
    x = 4.0 + RNG.normal(0, 1e-15, 30)
    with pytest.warns(RuntimeWarning, match="Precision loss"):
        ct.paired_t_statistic(x, np.zeros(30))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ct.paired_t_statistic(RNG.normal(0, 1, 30), np.zeros(30))


def test_the_comparison_can_fail():
    x = RNG.normal(0, 1, 20)
    with pytest.raises(AssertionError):
        same(ct.wilcoxon_signed_rank(x, "greater").pvalue, ct.wilcoxon_signed_rank(x, "less").pvalue)
