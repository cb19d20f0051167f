"""rsnprop.distributions gives scipy.stats' bits and types (the functions replace it in the
modules a power replication imports, so that the command does not import scipy.stats)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from rsnprop import distributions as dist

RNG = np.random.default_rng(20261204)

EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e-12,
                  1e300, -1e300, 1.7976931348623157e308, 0.5, -0.5, 1.0, -1.0, 3.0, 38.5, -38.5,
                  40.0, 1e5, 8.3, -8.3])
VALUES = np.concatenate([EDGES, RNG.normal(0, 3, 400), RNG.exponential(20, 200),
                         RNG.uniform(-1e-6, 1e-6, 50), 10.0 ** RNG.uniform(-300, 300, 100)])
PROBS = np.concatenate([[np.nan, 0.0, -0.0, 1.0, 0.5, 1e-300, 5e-324, 1 - 1e-16, 1 + 1e-16, -1e-300,
                         2.0, -1.0, np.inf, -np.inf, 0.975, 0.8, 0.025],
                        RNG.uniform(0, 1, 400), 10.0 ** RNG.uniform(-320, 0, 100)])
DFS = np.array([np.nan, -1.0, 0.0, -0.0, 1e-300, 0.5, 1.0, 2.0, 3.0, 7.5, 30.0, 1e3, 1e10, np.inf])


def same(a, b):
    """The same type, shape and bits (NaN equal to NaN, -0.0 not equal to 0.0)."""
    assert type(a) is type(b), (type(a), type(b))
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes(), np.flatnonzero(a.view("u8") != b.view("u8"))[:5]


def quiet(f, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return f(*args)


@pytest.mark.parametrize("name, ours", [("sf", dist.norm_sf), ("cdf", dist.norm_cdf)])
def test_normal_tails(name, ours):
    theirs = getattr(stats.norm, name)
    same(quiet(ours, VALUES), quiet(theirs, VALUES))
    for x in [*EDGES, *VALUES[30:60]]:
        same(quiet(ours, float(x)), quiet(theirs, float(x)))
        same(quiet(ours, np.float64(x)), quiet(theirs, np.float64(x)))
    for x in (0, 3, -2, [1, 2], [[0.5, np.nan]]):
        same(quiet(ours, x), quiet(theirs, x))


def test_normal_quantile():
    same(quiet(dist.norm_ppf, PROBS), quiet(stats.norm.ppf, PROBS))
    for q in [*PROBS[:20], 0, 1, 2, [0, 1], [0.2, 0.8]]:
        same(quiet(dist.norm_ppf, q), quiet(stats.norm.ppf, q))


@pytest.mark.parametrize("df", DFS)
def test_chi_square_upper_tail(df):
    same(quiet(dist.chi2_sf, VALUES, df), quiet(stats.chi2.sf, VALUES, df))
    for x in EDGES:
        same(quiet(dist.chi2_sf, float(x), df), quiet(stats.chi2.sf, float(x), df))
    same(quiet(dist.chi2_sf, 3.84, int(df) if np.isfinite(df) else df),
         quiet(stats.chi2.sf, 3.84, int(df) if np.isfinite(df) else df))


def test_chi_square_upper_tail_broadcasts_df_and_integers():
    x, df = np.abs(VALUES[:200]), RNG.integers(1, 40, 200)
    same(quiet(dist.chi2_sf, x, df), quiet(stats.chi2.sf, x, df))
    same(quiet(dist.chi2_sf, 5, 2), quiet(stats.chi2.sf, 5, 2))
    same(quiet(dist.chi2_sf, np.array([3.0, 9.0]), 1), quiet(stats.chi2.sf, np.array([3.0, 9.0]), 1))


@pytest.mark.parametrize("nc", [np.nan, -1.0, 0.0, -0.0, 1e-300, 0.3, 2.0, 17.0, 1e3, np.inf])
@pytest.mark.parametrize("df", [np.nan, -1.0, 0.0, 0.5, 1.0, 4.0, 63.0, 1e4, np.inf])
def test_noncentral_chi_square(df, nc):
    x = np.concatenate([EDGES, np.abs(RNG.normal(df if np.isfinite(df) else 1, 5, 40))])
    same(quiet(dist.ncx2_cdf, x, df, nc), quiet(stats.ncx2.cdf, x, df, nc))
    for xi in x[:30]:
        same(quiet(dist.ncx2_cdf, float(xi), df, nc), quiet(stats.ncx2.cdf, float(xi), df, nc))


def test_noncentral_chi_square_arrays_of_parameters():
    x, df, nc = np.abs(VALUES[:300]), RNG.integers(1, 60, 300), RNG.exponential(5, 300)
    nc[::7] = 0.0
    same(quiet(dist.ncx2_cdf, x, df, nc), quiet(stats.ncx2.cdf, x, df, nc))
    # the RMSEA interval's call: scalar chi2 and df, the noncentrality searched
    for lam in (1e-12, 0.5, 3.0, 250.0):
        same(quiet(dist.ncx2_cdf, 312.4, 87, lam), quiet(stats.ncx2.cdf, 312.4, 87, lam))


@pytest.mark.parametrize("name, ours", [("logpdf", dist.t_logpdf), ("logcdf", dist.t_logcdf)])
@pytest.mark.parametrize("df", DFS)
def test_student_t_logs(name, ours, df):
    theirs = getattr(stats.t, name)
    same(quiet(ours, VALUES, df), quiet(theirs, VALUES, df))
    for x in [*EDGES, -60.0, -200.0, -1e4]:
        same(quiet(ours, float(x), df), quiet(theirs, float(x), df))


def test_student_t_logs_broadcast():
    x, df = VALUES[:300], RNG.uniform(0.2, 80, 300)
    df[::11] = np.inf
    for ours, theirs in ((dist.t_logpdf, stats.t.logpdf), (dist.t_logcdf, stats.t.logcdf)):
        same(quiet(ours, x, df), quiet(theirs, x, df))


def test_the_comparison_can_fail():
    with pytest.raises(AssertionError):
        same(dist.norm_sf(1.0), stats.norm.cdf(1.0))
    with pytest.raises(AssertionError):
        same(np.float64(0.0), np.float64(-0.0))
