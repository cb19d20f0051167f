"""The lock step of :meth:`rsnprop.em.EMPatterns.fit_many` (the HTMT bootstrap's EM fits) with
its arrays allocated once per chunk and its 1 x 1 conditional variances as quotients (issue 21:
the study rebuild): the bytes of :meth:`EMPatterns.fit_info` and of ``np.linalg.inv``."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.em import EMPatterns, _inv_blocks


def test_one_by_one_blocks_are_lapack_inverses_to_the_bit():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(20000) * 10.0 ** rng.integers(-300, 300, 20000),
                        rng.random(2000), -rng.random(2000) * 1e-3,
                        [np.inf, -np.inf, np.nan, 1e-310, -5e-324, 1.7976931348623157e308, 2.0, -0.5]])
    G = x.reshape(-1, 4, 1, 1)
    with np.errstate(all="ignore"):
        assert _inv_blocks(G).tobytes() == np.linalg.inv(G).tobytes()
    H = rng.standard_normal((5, 3, 2, 2))          # larger blocks: LAPACK itself
    assert _inv_blocks(H).tobytes() == np.linalg.inv(H).tobytes()


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_a_zero_block_is_singular(zero):
    G = np.ones((2, 3, 1, 1))
    G[1, 2] = zero
    with pytest.raises(np.linalg.LinAlgError):
        _inv_blocks(G)


def _data(seed, n=120, p=7):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((p, p))
    X = rng.standard_normal((n, p)) @ A + rng.standard_normal(p)
    X[rng.random((n, p)) < 0.12] = np.nan
    X[3, :] = np.nan                                # an empty row
    X[4, :5] = np.nan                               # a pattern of 5 missing values
    X[9, 1] = np.nan                                # single-missing rows (1 x 1 blocks)
    return X


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_many_is_fit_info_bit_for_bit_as_fits_converge(seed):
    X = _data(seed)
    em = EMPatterns(X)
    assert any(M.shape[1] == 1 for M, *_ in em.buckets)
    rng = np.random.default_rng(seed + 10)
    W = np.stack([np.bincount(rng.integers(0, len(X), len(X)), minlength=len(X)) for _ in range(23)])
    W[4] = 0
    W[4, :30] = 1                                   # fewer rows: a fit that takes other steps
    for start, maxit in ((None, 1000), (em.fit()[:2], 1000), (None, 3)):
        one = [em.fit_info(weights=w, start=start, tol=1e-9, maxit=maxit) for w in W]
        assert len({f[3] for f in one}) > 1 or maxit == 3     # fits leave the lock step at different steps
        for chunk in (1, 5, 50):
            many = em.fit_many(W, start=start, tol=1e-9, maxit=maxit, chunk=chunk)
            for a, b in zip(one, many):
                assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
                assert a[2:] == b[2:]
