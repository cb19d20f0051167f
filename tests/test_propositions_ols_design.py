"""``ols_fit`` keeps what it finds from the design alone (pseudo-inverse, rank, HC3 leverages)
for the next fit with the same design (the imputed data sets of a pooled test): every fit is
still statsmodels' to the bit, whatever the order of designs, responses and covariance types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.regression.linear_model import OLS

from rsnprop.propositions.least_squares import ols_fit


def _check(y, X, cov_type):
    model = OLS(y, X)
    ref = model.fit() if cov_type == "nonrobust" else model.fit(cov_type=cov_type, use_t=True)
    mine = ols_fit(y, X, cov_type)
    assert np.array_equal(mine.params, ref.params)
    assert np.array_equal(mine.bse, ref.bse, equal_nan=True)
    assert mine.rank == ref.model.rank and mine.df_resid == ref.df_resid
    assert np.array_equal(mine.cov_params, ref.cov_params(), equal_nan=True)
    assert np.array_equal(mine.resid, ref.resid)


@pytest.mark.parametrize("n", [3, 8, 250])
def test_same_design_many_responses(n):
    rng = np.random.default_rng(n)
    bg = (rng.random(n) < 0.5).astype(float)
    X1 = np.column_stack([np.ones(n), bg, rng.normal(size=n)])
    X2 = X1.copy()
    X2[0, 2] += 1e-9                         # a design one bit away from X1
    x = rng.normal(size=n)
    X3 = np.column_stack([np.ones(n), x, x])  # rank-deficient
    X4 = np.ones((n, 1))
    X5 = X4.copy()
    X5[0, 0] = -0.0 + 1.0                    # equal to X4 (cache hit, same numbers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(3):
            for X in (X1, X1, X2, X1, X3, X3, X4, X5, X1):
                y = rng.normal(size=n) + rep
                for cov_type in ("HC3", "nonrobust", "HC3"):
                    _check(y, X, cov_type)


def test_a_design_changed_in_place_is_found_again():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(30), rng.normal(size=30)])
    y = rng.normal(size=30)
    _check(y, X, "HC3")
    X[:, 1] *= 2.0                           # the same array object, other values
    _check(y, X, "HC3")
    _check(y, X, "nonrobust")
