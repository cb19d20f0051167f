"""Property tests of the measurement numerics (hypothesis; few examples to stay fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsnprop.measure import alpha, kmo
from rsnprop.measure.factor import fa_matrix
from rsnprop.measure.rotation import oblimin, promax, varimax

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _data(seed, n=120, k=5, loading=0.7):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = loading * f + np.sqrt(1 - loading ** 2) * rng.normal(size=(n, k))
    return pd.DataFrame(np.round(x * 1.5 + 4).clip(1, 7), columns=[f"i{j}" for j in range(k)])


@SETTINGS
@given(st.integers(0, 10_000), st.permutations(range(5)))
def test_alpha_does_not_depend_on_item_order(seed, perm):
    d = _data(seed)
    a = alpha(d, list(d.columns), n_boot=0, omega_nfactors=None)
    b = alpha(d, [d.columns[i] for i in perm], n_boot=0, omega_nfactors=None)
    assert np.isclose(a.alpha, b.alpha) and np.isclose(a.alpha_std, b.alpha_std)


@SETTINGS
@given(st.integers(0, 10_000))
def test_reversing_twice_is_identity(seed):
    d = _data(seed)
    rev = d.copy()
    rev["i0"] = 8 - rev["i0"]
    a = alpha(d, list(d.columns), n_boot=0, omega_nfactors=None)
    b = alpha(rev, list(d.columns), reverse=["i0"], scale_min=1, scale_max=7, n_boot=0,
              omega_nfactors=None)
    assert np.isclose(a.alpha, b.alpha)
    assert a.alpha_ci_lower <= a.alpha <= a.alpha_ci_upper


@SETTINGS
@given(st.integers(0, 10_000), st.sampled_from(["minres", "ml"]))
def test_rotations_keep_the_common_variance(seed, fm):
    rng = np.random.default_rng(seed)
    L = np.zeros((8, 2))
    L[:4, 0] = rng.uniform(0.5, 0.8, 4)
    L[4:, 1] = rng.uniform(0.5, 0.8, 4)
    phi = np.array([[1, 0.3], [0.3, 1]])
    r = L @ phi @ L.T
    np.fill_diagonal(r, 1.0)
    base = fa_matrix(r, 2, fm=fm, rotate="none")["loadings"]
    for rot in (varimax, oblimin, promax):
        Lr, ph, _ = rot(base)
        implied = Lr @ (np.eye(2) if ph is None else ph) @ Lr.T
        assert np.allclose(implied, base @ base.T, atol=1e-6)
    assert 0 < kmo(r)["msa"] <= 1
