"""``bootstrap_em`` (the bootstrap EM fits of ``multiple_imputation`` in lock step) gives the
numbers of a loop of ``em_normal``, bit for bit, including its fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.data.missing import bootstrap_em, em_normal, multiple_imputation
from rsnprop.em import EMPatterns


def _data(n, p, frac, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))
    x[rng.random((n, p)) < frac] = np.nan
    x[0] = np.nan                      # a row with no value
    return x


def _outcomes(fits):
    """The fits of an iterable up to its first error, and that error's text."""
    out = []
    try:
        for mu, sigma in fits:
            out.append((mu, sigma))
    except np.linalg.LinAlgError as e:
        out.append(str(e))
    return out


def _assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        if isinstance(u, str) or isinstance(v, str):
            assert u == v
            continue
        np.testing.assert_array_equal(u[0], v[0])
        np.testing.assert_array_equal(u[1], v[1])


def _resamples(n, m, seed):
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(m)]).astype(float)


@pytest.mark.parametrize("n, p, frac", [(250, 8, 0.1), (60, 5, 0.3), (30, 12, 0.2), (40, 4, 0.0),
                                        (2, 2, 0.0), (200, 3, 0.05)])
def test_bootstrap_em_is_a_loop_of_em_normal(n, p, frac):
    x = _data(n, p, frac, n + p)
    W = _resamples(n, 20, p)
    W[3] = 0.0
    W[3, 0] = 5.0                      # weight on the empty row only: no fit (NaN)
    em = EMPatterns(x)
    start = em_normal(x, patterns=em)[:2]
    for st in (None, start):
        fits = _outcomes(bootstrap_em(x, W, patterns=em, start=st))
        ref = _outcomes(em_normal(x, weights=w, patterns=em, start=st)[:2] for w in W)
        _assert_same(fits, ref)
        assert len(fits) == len(W) or isinstance(fits[-1], str)


def test_bootstrap_em_singular_falls_back():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(80, 2))
    x = np.column_stack([a, a[:, 0] + a[:, 1]])          # collinear: (near-)singular sigma
    x[rng.random(x.shape) < 0.15] = np.nan
    W = _resamples(80, 6, 4)
    fits = _outcomes(bootstrap_em(x, W))
    _assert_same(fits, _outcomes(em_normal(x, weights=w)[:2] for w in W))
    assert len(fits) == len(W)


def test_multiple_imputation_same_as_a_loop(monkeypatch):
    """The imputations with the lock-step fits and with a loop of em_normal are the same."""
    from rsnprop.data import missing

    x = _data(120, 6, 0.15, 9)
    df = pd.DataFrame(x, columns=[f"c{i}" for i in range(6)])
    fast = multiple_imputation(df, m=7, seed=11, bounds={"c0": (-1.0, 1.0)})

    def loop(x, W, *, patterns=None, start=None):
        return [em_normal(x, weights=w, patterns=patterns, start=start)[:2] for w in W]

    monkeypatch.setattr(missing, "bootstrap_em", loop)
    slow = multiple_imputation(df, m=7, seed=11, bounds={"c0": (-1.0, 1.0)})
    assert len(fast) == len(slow) == 7
    for a, b in zip(fast, slow):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert multiple_imputation(df, m=0, seed=1) == []
