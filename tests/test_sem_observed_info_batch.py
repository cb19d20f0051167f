"""The FIML engine's observed information without its two slow parts (rsnprop.sem.fiml_engine):
the central differences of the moment Jacobian as one stacked evaluation
(``moment_gradients``) and ``D' H D`` of a saturated model as a gather (``sandwich``) give the
numbers of the loop of ``moment_gradient`` calls and of the two products, to the bit."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import HS_MODEL, hs_data  # noqa: E402

from rsnprop.sem import fiml, fiml_engine, fit  # noqa: E402

SEM_MODEL = HS_MODEL + "\ntextual ~ visual\nspeed ~ visual + textual"
SATURATED = "\n".join(f"x{i} ~~ x{j}" for i in range(1, 10) for j in range(i, 10))


def _data(seed=4):
    df = hs_data().copy()
    rng = np.random.default_rng(seed)
    for c in ("x1", "x4", "x5", "x8"):
        df.loc[rng.random(len(df)) < 0.12, c] = np.nan
    return df


def _old_second_order(gm, theta, used, GS, gmu, h):
    """The loop that ``_second_order`` replaced (one ``moment_gradient`` per difference)."""
    S2 = np.zeros((len(used), len(used)))
    for col, k in enumerate(used):
        step = h * max(1.0, abs(theta[k]))
        tp = theta.copy()
        tm = theta.copy()
        tp[k] += step
        tm[k] -= step
        S2[:, col] = (gm.moment_gradient(tp, GS, gmu)[used]
                      - gm.moment_gradient(tm, GS, gmu)[used]) / (2 * step)
    return S2


def _captured(monkeypatch, model, group=None, **kw):
    """The (engine, theta, h) of every observed information asked for by ``fit``."""
    seen = []
    real = fiml_engine.FIMLEngine._observed_information

    def grab(self, theta, h):
        seen.append((self, np.array(theta, dtype=float), h))
        return real(self, theta, h)

    monkeypatch.setattr(fiml_engine.FIMLEngine, "_observed_information", grab)
    fiml._DATA_MODELS.clear()
    fit(model, _data(), missing="fiml", group=group, **kw)
    monkeypatch.undo()
    return seen


@pytest.mark.parametrize("model, group", [(HS_MODEL, None), (SEM_MODEL, None),
                                          (HS_MODEL, "school"), (SATURATED, None)])
def test_observed_information_is_the_loops(monkeypatch, model, group):
    seen = _captured(monkeypatch, model, group)
    assert seen
    for engine, theta, h in seen:
        new = engine._observed_information(theta, h)
        with monkeypatch.context() as m:
            m.setattr(fiml_engine, "_second_order", _old_second_order)
            m.setattr(fiml_engine, "sandwich", lambda D, H: D.T @ H @ D)
            old = engine._observed_information(theta, h)
        assert np.array_equal(new, old)
        assert np.array_equal(np.signbit(new), np.signbit(old))


@pytest.mark.parametrize("model, group", [(HS_MODEL, None), (SEM_MODEL, None), (HS_MODEL, "school")])
@pytest.mark.parametrize("keep", [False, True])
def test_moment_gradients_are_moment_gradient(monkeypatch, model, group, keep):
    seen = _captured(monkeypatch, model, group)
    engine, theta, _ = seen[-1]
    rng = np.random.default_rng(7)
    for gm in engine.groups:
        gm.keep_solved = keep
        thetas = theta[None, :] + 0.05 * rng.standard_normal((9, len(theta)))
        p = gm.p
        GS = rng.standard_normal((p, p))
        GS = GS + GS.T
        gmu = rng.standard_normal(p)
        got = fiml_engine.moment_gradients(gm, thetas, GS, gmu)
        want = np.array([gm.moment_gradient(t, GS, gmu) for t in thetas])
        assert np.array_equal(got, want)
        assert np.array_equal(fiml_engine._second_order(gm, theta, np.arange(len(theta)), GS, gmu, 1e-5),
                              _old_second_order(gm, theta, np.arange(len(theta)), GS, gmu, 1e-5))


def _selection(k, n, rng):
    D = np.zeros((n, k))
    D[rng.permutation(n)[:k], np.arange(k)] = 1.0
    return D


@pytest.mark.parametrize("seed", range(6))
def test_sandwich_of_a_selection_is_the_products(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    k = int(rng.integers(1, n + 1))
    D = _selection(k, n, rng)
    H = rng.standard_normal((n, n)) * 10.0 ** rng.integers(-300, 300, size=(n, n))
    H[rng.random((n, n)) < 0.2] = 0.0
    H[rng.random((n, n)) < 0.2] = -0.0
    H[0] = -0.0
    got = fiml_engine.sandwich(D, H)
    want = D.T @ H @ D
    assert np.array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("change", ["two", "double", "shared", "nan", "inf", "empty"])
def test_sandwich_of_anything_else_is_the_products(change):
    rng = np.random.default_rng(3)
    D = _selection(6, 9, rng)
    H = rng.standard_normal((9, 9))
    if change == "two":                 # a parameter in two moments
        D[np.flatnonzero(D[:, 0] == 0)[0], 0] = 1.0
    elif change == "double":
        D[D[:, 1] == 1.0, 1] = 2.0
    elif change == "shared":            # two parameters of one moment
        D[:, 2] = D[:, 3]
    elif change == "nan":
        H[4, 5] = np.nan
    elif change == "inf":
        H[2, 2] = np.inf
    elif change == "empty":
        D = D[:, :0]
    assert fiml_engine._selected_rows(D) is None or change in ("nan", "inf")
    got = fiml_engine.sandwich(D, H)
    want = D.T @ H @ D
    assert np.array_equal(got, want, equal_nan=True)
