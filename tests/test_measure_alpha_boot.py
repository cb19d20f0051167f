"""The alpha bootstrap's resamples computed in blocks (issue 21: the study rebuild): the same
generator calls and, for every resample, the bits of one resample at a time
(``cov_columns`` of ``X[idx]``, then the trace and the sum of its covariance matrix)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.measure import internal_consistency as ic


def _one_at_a_time(X, n_boot, seed):
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    vals = np.empty(n_boot)
    for b in range(n_boot):
        C = np.cov(X[rng.integers(0, n, n)], rowvar=False)
        k = C.shape[0]
        vals[b] = (1 - np.trace(C) / C.sum()) * (k / (k - 1))
    return vals


@pytest.mark.parametrize("n,k,scale", [(250, 6, 1.0), (257, 7, 1e-3), (2, 2, 1.0), (40, 3, 1e4),
                                       (1000, 12, 1.0)])
def test_block_alphas_are_one_resample_at_a_time(n, k, scale):
    rng = np.random.default_rng(n + k)
    X = np.round(rng.normal(3, 1, (n, k))) if scale == 1.0 else rng.normal(3, 1, (n, k)) * scale
    ref = _one_at_a_time(X, 300, 7)
    rng = np.random.default_rng(7)
    draws = [rng.integers(0, n, n) for _ in range(300)]
    for size in (1 << 21, n * k * 7, 1):                # blocks of many, 7 and 1 resamples
        got = ic._alphas_of_resamples(X, draws, size=size)
        assert got.tobytes() == ref.tobytes()


def test_interval_is_the_loop_interval(monkeypatch):
    rng = np.random.default_rng(3)
    X = np.round(rng.normal(3, 1, (120, 5))) + np.round(rng.normal(0, 1, (120, 1)))
    fast = ic._boot_alpha(X, 500, 11, "listwise", 0.95)
    monkeypatch.setattr(ic, "_alphas_of_resamples", lambda X, draws: np.array(
        [(1 - np.trace(C) / C.sum()) * (X.shape[1] / (X.shape[1] - 1))
         for C in (ic.cov_columns(X[i]) for i in draws)]))
    assert fast == ic._boot_alpha(X, 500, 11, "listwise", 0.95)
    vals = _one_at_a_time(X, 500, 11)
    assert fast == tuple(float(v) for v in np.nanquantile(vals, [0.025, 0.975]))


def test_missing_values_and_integers_take_the_loop():
    rng = np.random.default_rng(5)
    X = np.round(rng.normal(3, 1, (80, 4)))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    lo, hi = ic._boot_alpha(Xn, 50, 2, "pairwise", 0.9)
    r = np.random.default_rng(2)
    vals = []
    for _ in range(50):
        C = pd.DataFrame(Xn[r.integers(0, 80, 80)]).cov().to_numpy()
        vals.append((1 - np.trace(C) / C.sum()) * (4 / 3))
    assert (lo, hi) == tuple(float(v) for v in np.nanquantile(vals, [0.05, 0.95]))
    assert ic._boot_alpha(X.astype(int), 50, 2, "listwise", 0.9) == ic._boot_alpha(X, 50, 2, "listwise", 0.9)
