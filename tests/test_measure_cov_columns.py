"""``cov_columns`` (the alpha bootstrap's covariance of each resample) is ``np.cov(x,
rowvar=False)`` to the bit, and the bootstrap interval is the one ``np.cov`` gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.measure.internal_consistency import _boot_alpha, cov_columns


@pytest.mark.parametrize("n, k", [(2, 2), (3, 5), (40, 3), (250, 6), (251, 12), (1, 3), (5, 1)])
def test_cov_columns_is_numpy(n, k):
    rng = np.random.default_rng(n * 100 + k)
    for scale in (1.0, 1e-8, 1e8):
        x = np.round(rng.normal(size=(n, k)) * scale * 3) / 3
        for arr in (x, np.asfortranarray(x), x.astype(np.float32), x[:, ::-1]):
            want = np.cov(arr, rowvar=False)
            got = cov_columns(arr.copy(order="K"))
            assert got.dtype == want.dtype and got.shape == want.shape
            assert got.tobytes() == want.tobytes()


def _boot_alpha_reference(X, n_boot, seed, level):
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    vals = np.empty(n_boot)
    complete = not np.isnan(X).any()
    for b in range(n_boot):
        xb = X[rng.integers(0, n, n)]
        C = np.cov(xb, rowvar=False) if complete else pd.DataFrame(xb).cov().to_numpy()
        k = C.shape[0]
        vals[b] = (1 - np.trace(C) / C.sum()) * (k / (k - 1))
    lo, hi = np.nanquantile(vals, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


@pytest.mark.parametrize("missing", [False, True])
def test_boot_alpha_unchanged(missing):
    rng = np.random.default_rng(8)
    X = rng.integers(1, 8, size=(120, 5)).astype(float) + rng.normal(size=(120, 1)).round()
    if missing:
        X[rng.random(X.shape) < 0.05] = np.nan
    for arr in (X, np.asfortranarray(X)):
        assert _boot_alpha(arr, 300, 12345, "listwise", 0.95) == _boot_alpha_reference(arr, 300, 12345, 0.95)
