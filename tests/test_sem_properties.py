"""Properties of rsnprop.sem that hold for any data (hypothesis, few examples to stay fast) and
the statistical-trouble flags (Heywood cases, non-convergence) that must never crash."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsnprop.errors import HeywoodCaseWarning
from rsnprop.sem import fit


def _one_factor(loadings, n, seed):
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal(n)
    cols = {f"y{k + 1}": lam * eta + rng.standard_normal(n) * np.sqrt(max(1 - lam ** 2, 0.05))
            for k, lam in enumerate(loadings)}
    return pd.DataFrame(cols)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loadings=st.lists(st.floats(0.45, 0.9), min_size=4, max_size=6), seed=st.integers(0, 10_000))
def test_standardised_solution_and_round_trip(loadings, seed):
    data = _one_factor(loadings, 300, seed)
    names = list(data.columns)
    model = "f =~ " + " + ".join(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(model, data)
    assert res.converged
    p = len(names)
    assert res.fit["df"] == p * (p + 1) // 2 - 2 * p
    assert res.fit["chi2"] >= 0 and 0 <= res.fit["cfi"] <= 1
    e = res.estimates.set_index(["lhs", "op", "rhs"])
    for v in names:
        lam = e.loc[("f", "=~", v), "std_all"]
        theta = e.loc[(v, "~~", v), "std_all"]
        assert lam ** 2 + theta == pytest.approx(1.0, abs=1e-8)
    again = fit(res.to_lavaan(), data)
    assert again.fit["chi2"] == pytest.approx(res.fit["chi2"], abs=1e-4)


@settings(max_examples=5, deadline=None)
@given(scale=st.floats(0.1, 10.0), seed=st.integers(0, 1000))
def test_chi_square_is_scale_invariant(scale, seed):
    data = _one_factor([0.7, 0.6, 0.8, 0.5], 200, seed)
    a = fit("f =~ y1 + y2 + y3 + y4", data)
    b = fit("f =~ y1 + y2 + y3 + y4", data * scale)
    assert b.fit["chi2"] == pytest.approx(a.fit["chi2"], rel=1e-6, abs=1e-6)
    assert b.parameter("f", "=~", "y2", column="std_all") == pytest.approx(
        a.parameter("f", "=~", "y2", column="std_all"), abs=1e-6)


def test_heywood_case_is_flagged_not_raised():
    # sample correlations r12 = r13 = 0.85, r23 = 0.6 imply a standardised loading of y1 above 1
    R = np.array([[1, 0.85, 0.85], [0.85, 1, 0.6], [0.85, 0.6, 1]])
    rng = np.random.default_rng(1)
    z = rng.standard_normal((200, 3))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True)).T)
    x = z @ np.linalg.cholesky(R).T
    data = pd.DataFrame(x, columns=["y1", "y2", "y3"])
    with pytest.warns(HeywoodCaseWarning):
        res = fit("f =~ y1 + y2 + y3", data)
    assert any("Heywood" in w for w in res.warnings)
    assert res.parameter("y1", "~~", "y1") < 0
    assert res.to_dict()["warnings"]
