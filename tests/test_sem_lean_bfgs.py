"""The inverse BFGS update of a lean fit (:func:`rsnprop.sem.lean_fit._bfgs_inverse`) against the
formula with ``np.outer``: the same bits on random matrices and steps, ``H`` unchanged when
``s'y <= 1e-16``."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.sem.lean_fit import _bfgs_inverse


def _outer_formula(H, s, y):
    sy = s @ y
    Hy = H @ y
    return H + ((sy + y @ Hy) / (sy * sy)) * np.outer(s, s) - (np.outer(Hy, s) + np.outer(s, Hy)) / sy


@pytest.mark.parametrize("q", [1, 2, 7, 84, 98])
def test_update_is_the_outer_formula(q):
    rng = np.random.default_rng(q)
    for scale in (1e-8, 1.0, 1e6):
        a = rng.normal(size=(q, q))
        H = a @ a.T + np.eye(q)
        s, y = scale * rng.normal(size=q), rng.normal(size=q)
        if s @ y <= 1e-16:
            y = -y
        assert _bfgs_inverse(H, s, y).tobytes() == _outer_formula(H, s, y).tobytes()


def test_no_update_without_curvature():
    H = np.eye(3)
    assert _bfgs_inverse(H, np.array([1.0, 0, 0]), np.array([-1.0, 0, 0])) is H
    assert _bfgs_inverse(H, np.zeros(3), np.ones(3)) is H
