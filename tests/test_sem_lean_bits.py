"""The twelfth round's rewrites of a lean fit's arithmetic (:mod:`rsnprop.sem.fiml_lean`,
:mod:`rsnprop.sem.lean_fit`) give the bits of the code they replaced (kept here as the reference):
the same operations on the same numbers, fewer temporaries and numpy calls."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import lapack

from rsnprop.sem import fiml_lean
from rsnprop.sem.fiml_engine import patterns
from rsnprop.sem.fiml_lean import Padded, _stack_from_inverses, symmetric_from_lower
from rsnprop.sem.lean_fit import _bfgs_inverse
from rsnprop.sem.lean_patterns import padded_from_data


def _old_one_inverse(Ls, mus, pad):
    """``fiml_lean._one_inverse`` of main ``db8071e`` (P padded with a zero row and column, the
    patterns with missing values only)."""
    G, p = len(Ls), pad.p
    Px = np.zeros((G, p + 1, p + 1))
    for g, L in enumerate(Ls):
        P, info = lapack.dpotri(L, lower=1)
        Px[g, :p, :p] = P + np.tril(P, -1).T
    gidx = pad.gidx
    logdet = (2.0 * np.log(np.diagonal(np.array(Ls), axis1=1, axis2=2)).sum(axis=1))[gidx]
    flat = Px.reshape(-1)
    q1, ar = p + 1, np.arange(p)
    mgidx = gidx[pad.mpos]
    base = mgidx[:, None, None] * q1 * q1 + pad.midx[:, :, None] * q1
    fpos = gidx[:, None, None] * q1 * q1 + ar[None, :, None] * q1 + ar[None, None, :]
    si = flat[fpos]
    if len(pad.mpos):
        meye = np.where(pad.midx == p, 1.0, 0.0)[:, :, None] * np.eye(pad.midx.shape[1])[None]
        Pm = flat[base + ar[None, None, :]]
        Pmm = flat[base + pad.midx[:, None, :]] + meye
        Lm = np.linalg.cholesky(Pmm)
        W = np.linalg.inv(Lm) @ Pm
        si[pad.mpos] -= W.transpose(0, 2, 1) @ W
        logdet[pad.mpos] += 2.0 * np.log(np.diagonal(Lm, axis1=1, axis2=2)).sum(axis=1)
    return _stack_from_inverses(si * pad.outer, logdet, mus[gidx], pad)


def _data(rng, n, p, share, case):
    x = rng.normal(size=(n, p)) @ (np.eye(p) + 0.4 * rng.normal(size=(p, p)))
    x[rng.random(x.shape) < share] = np.nan
    if case == "complete_rows":
        x[: n // 2] = rng.normal(size=(n // 2, p))          # many complete rows beside the others
    elif case == "n2":
        x = x[:2]
    x = x[~np.isnan(x).all(axis=1)]
    return x


@pytest.mark.parametrize("case,share", [("plain", 0.15), ("complete", 0.0), ("complete_rows", 0.3),
                                        ("many_missing", 0.5), ("n2", 0.2)])
def test_one_inverse_has_the_bits_of_the_padded_one(case, share):
    rng = np.random.default_rng(len(case) + int(100 * share))
    p = 6
    groups = [_data(rng, 80, p, share, case) for _ in range(2)]
    parts = [padded_from_data(x) if k else Padded(patterns(x), p) for k, x in enumerate(groups)]
    pad = Padded.stack(parts)
    for trial in range(3):
        B = rng.normal(size=(2, p, p))
        sigmas = [b @ b.T + (1.0 + trial) * np.eye(p) for b in B]
        mus = np.array([rng.normal(size=p) for _ in range(2)])
        Ls = [lapack.dpotrf(s, lower=1, clean=1)[0] for s in sigmas]
        new, old = fiml_lean._one_inverse(Ls, mus, pad), _old_one_inverse(Ls, mus, pad)
        for a, b in zip(new, old):
            assert a.f == b.f
            for name in ("GS", "gmu", "SI", "SD", "n"):
                assert np.array_equal(getattr(a, name), getattr(b, name)), name
        single = fiml_lean._one_inverse(Ls[:1], mus[:1], parts[0])[0]     # one group's own batch
        ref = _old_one_inverse(Ls[:1], mus[:1], parts[0])[0]
        assert single.f == ref.f and np.array_equal(single.SI, ref.SI) and np.array_equal(single.GS, ref.GS)


def test_symmetric_from_lower_has_the_bits_of_tril():
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (5, 5), (3, 7, 7), (0, 4, 4)]:
        X = rng.normal(size=shape)
        if X.size:
            X.reshape(-1)[::3] = -0.0                       # signed zeros: tril's sum makes them 0.0
            X.reshape(-1)[-1] = X.reshape(-1)[X.size // 2] = np.nan
        ref = np.tril(X) + np.swapaxes(np.tril(X, -1), -1, -2)
        out = symmetric_from_lower(X)
        assert out.shape == ref.shape
        assert np.array_equal(out.view(np.int64), ref.view(np.int64))     # the bits, NaN and signs too


def _old_bfgs(H, s_, y_):
    sy = s_ @ y_
    if sy <= 1e-16:
        return H
    Hy = H @ y_
    s_col, s_row = s_[:, None], s_[None, :]
    return H + ((sy + y_ @ Hy) / (sy * sy)) * (s_col * s_row) - (Hy[:, None] * s_row + s_col * Hy[None, :]) / sy


@pytest.mark.parametrize("q", [1, 2, 17, 98])
def test_bfgs_inverse_in_place_has_the_bits_of_the_formula(q):
    rng = np.random.default_rng(q)
    A = rng.normal(size=(q, q))
    H = A @ A.T + np.eye(q)
    for _ in range(4):
        s_, y_ = rng.normal(size=q), rng.normal(size=q)
        y_ = y_ if s_ @ y_ > 0 else -y_
        new, old = _bfgs_inverse(H, s_, y_), _old_bfgs(H, s_, y_)
        assert np.array_equal(new, old)
        assert np.array_equal(new, new.T)                  # symmetric to the bit, as H
        H = new
    assert _bfgs_inverse(H, np.zeros(q), np.ones(q)) is H  # s'y <= 1e-16: unchanged
