"""The pattern index's counting paths give the same numbers (the R comparison is in
tests/test_data_careless.py): one-byte comparisons for Likert-like spans
(``_pattern_counted``) and row-offset ``bincount`` codes (``_pattern_coded``, the path
before it, still used for spans 21-50). Counts are integers, so the shares must be equal,
not merely close."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.data import careless_invariance as ci


def _random_answers(rng):
    n, p = int(rng.integers(1, 60)), int(rng.integers(1, 45))
    span = int(rng.integers(0, 25))
    x = rng.integers(0, span + 1, (n, p)).astype(float) + rng.integers(-3, 4)
    if rng.random() < 0.3:                       # fractions (rounded by the index)
        x += rng.random((n, p)) * 0.9 - 0.45
    x[rng.random((n, p)) < rng.random() * 0.5] = np.nan
    if rng.random() < 0.1:                       # straight-lining, missing cells included
        x[:, :] = x[:, :1]
    return x, int(rng.integers(1, 15)), int(rng.integers(1, 8))


def _both(monkeypatch, x, **kw):
    monkeypatch.setattr(ci, "_COUNTED_MIN_ROWS", 0)       # small blocks counted too
    got = ci.pattern(x, **kw)
    monkeypatch.setattr(ci, "_COUNTED_MAX_SPAN", -1)     # every span to the bincount codes
    coded = ci.pattern(x, **kw)
    monkeypatch.undo()
    return got, coded


def test_pattern_paths_by_block_size(monkeypatch):
    """Likert answers: counted from _COUNTED_MIN_ROWS rows on, bincount codes below."""
    used = []
    for name in ("_pattern_counted", "_pattern_coded"):
        fn = getattr(ci, name)
        monkeypatch.setattr(ci, name, lambda *a, _f=fn, _n=name: used.append(_n) or _f(*a))
    rng = np.random.default_rng(4)
    ci.pattern(rng.integers(1, 8, (ci._COUNTED_MIN_ROWS, 20)).astype(float))
    ci.pattern(rng.integers(1, 8, (ci._COUNTED_MIN_ROWS - 1, 20)).astype(float))
    assert used == ["_pattern_counted", "_pattern_coded"]


@pytest.mark.parametrize("seed", [1, 2])
def test_pattern_counted_equals_coded(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    spans = set()
    for _ in range(500):
        x, lag, pairs = _random_answers(rng)
        got, coded = _both(monkeypatch, x, max_lag=lag, min_pairs=pairs)
        np.testing.assert_array_equal(got, coded)
        spans.add(int(np.nanmax(np.rint(x)) - np.nanmin(np.rint(x))) if np.isfinite(x).any() else -1)
    assert {0, 6, 20} <= spans       # straight lines, 7-point scales, the widest counted span


def test_pattern_counted_more_than_255_items(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.integers(1, 3, (40, 300)).astype(float)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[0] = 1.0
    got, coded = _both(monkeypatch, x)
    assert got[0] == 1.0
    np.testing.assert_array_equal(got, coded)


def test_column_means_equal_nanmean(monkeypatch):
    """careless._nanmean_columns gives np.nanmean(x, axis=0) bit for bit (column-major
    answers, fractions, empty columns and their warning) without copying the matrix."""
    import warnings

    from rsnprop.data.careless import _nanmean_columns

    from rsnprop.data import careless

    monkeypatch.setattr(careless, "_THREAD_MIN_ROWS", 1)   # the column loop at every size
    rng = np.random.default_rng(21)
    for t in range(200):
        n, p = int(rng.integers(1, 5000)), int(rng.integers(1, 40))
        a = rng.normal(size=(n, p)) * 10 ** rng.uniform(-3, 6)
        a[rng.random((n, p)) < rng.uniform(0, 0.9)] = np.nan
        if t % 7 == 0:
            a[:, 0] = np.nan
        for x in (np.asfortranarray(a), a):
            with warnings.catch_warnings(record=True) as ours:
                warnings.simplefilter("always")
                got = _nanmean_columns(x)
            with warnings.catch_warnings(record=True) as numpy:
                warnings.simplefilter("always")
                want = np.nanmean(x, axis=0)
            assert got.tobytes() == want.tobytes()
            assert [str(w.message) for w in ours] == [str(w.message) for w in numpy]
