"""Even-odd and the synonym/antonym indices in one call on a small block of whole-number
answers (``careless._ONE_CALL_WHOLE``): the bits of the two halves' calls."""

import numpy as np
import pytest

from rsnprop.data import careless
from rsnprop.data.careless import _whole_answers
from rsnprop.data.careless_blocks import _halves
from rsnprop.data.careless_consistency import evenodd, psychsyn, synonym_pairs


def _halved(fn, x, *args, **kw):
    return np.concatenate([fn(x[h], *args, **kw) for h in _halves(len(x))])


def _block(rng, t):
    n, p = int(rng.integers(1, 700)), int(rng.integers(2, 45))
    lo, hi = int(rng.integers(-3, 2)), int(rng.integers(2, 12))
    x = rng.integers(lo, hi, size=(n, p)).astype(float)
    if t % 3 == 0:
        x[rng.random((n, p)) < rng.random() * 0.4] = np.nan
    if t % 5 == 0 and n > 3:
        x[: n // 3] = x[0]          # straight copies
    if t % 4 == 0:
        x[int(rng.integers(n))] = np.nan    # an all-missing row
    return np.asfortranarray(x) if t % 7 == 0 else x


def test_one_call_is_the_halves_bit_for_bit():
    rng = np.random.default_rng(21)
    tried = 0
    for t in range(400):
        x = _block(rng, t)
        assert _whole_answers(x)
        p = x.shape[1]
        k = int(rng.integers(2, min(8, p) + 1))
        sizes = [p // k + (j < p % k) for j in range(k)]
        cols = rng.permutation(p).tolist()
        assert np.array_equal(evenodd(x, sizes, columns=cols),
                              _halved(evenodd, x, sizes, columns=cols), equal_nan=True)
        for anto in (False, True):
            pairs = synonym_pairs(x, 0.0, anto=anto)
            if len(pairs) >= 3:
                tried += 1
                assert np.array_equal(psychsyn(x, pairs=pairs),
                                      _halved(psychsyn, x, pairs=pairs), equal_nan=True)
    assert tried > 200


@pytest.mark.parametrize("x, whole", [
    (np.array([[1.0, 2.0], [np.nan, 7.0]]), True),
    (np.full((3, 2), np.nan), True),
    (np.array([[1.5, 2.0], [3.0, 4.0]]), False),
    (np.array([[1.0, np.inf], [3.0, 4.0]]), False),
    (np.array([[1.0, -np.inf], [3.0, 4.0]]), False),
    (np.array([[2.0 ** 30, 1.0], [3.0, 4.0]]), False),
    (np.empty((0, 3)), False),
    (np.empty((3, 0)), False),
])
def test_whole_answers(x, whole):
    assert _whole_answers(x) is whole


def test_fractional_answers_keep_the_halves(monkeypatch):
    """``_compute_indices`` calls even-odd once per half unless the answers are whole."""
    calls = []
    real = careless.evenodd

    def counted(*a, **kw):
        calls.append(len(a[0]))
        return real(*a, **kw)

    monkeypatch.setattr(careless, "evenodd", counted)
    monkeypatch.setattr(careless, "_ONE_CALL_WHOLE", frozenset({counted, careless.psychsyn}))
    rng = np.random.default_rng(3)
    rules = careless.CarelessRules()
    for frac, expected in ((0.0, 1), (0.5, 2)):
        calls.clear()
        x = rng.integers(1, 6, size=(40, 6)).astype(float) + frac
        careless._compute_indices(x, x.copy(), list("abcdef"), [list("abc"), list("def")],
                                  rules, None)
        assert len(calls) == expected
