"""The Monte Carlo power's arithmetic of the tests equals SciPy's and statsmodels' to the bit.

:mod:`rsnprop.propositions.student_t` against :func:`scipy.stats.ttest_1samp`,
:func:`scipy.stats.ttest_rel` and :data:`scipy.stats.t`; :func:`rsnprop.propositions.least_squares.ols_fit`
against statsmodels' OLS (classical and HC3); and the evidence rows of the tests inside and
outside :func:`rsnprop.propositions.lean.lean_tests`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.regression.linear_model import OLS

from rsnprop.propositions.interaction import interaction_tost, ols_interaction_arrays
from rsnprop.propositions.lean import is_lean, lean_tests
from rsnprop.propositions.least_squares import fit_ols, ols_fit
from rsnprop.propositions.paired import paired_ols, paired_t, paired_tost
from rsnprop.propositions.student_t import one_sample_t, t_cdf, t_ppf, t_sf


def _same(a, b):
    """Equal to the bit (NaN equals NaN)."""
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def _samples():
    rng = np.random.default_rng(20261204)
    out = [np.array([1.0, 2.0]), np.array([0.5, 0.5000001, 0.4999999]), np.array([3.0, 3.0, 3.0]),
           np.array([1e8 + 1, 1e8 + 2, 1e8 + 4]), np.array([-0.0, 0.0, 1.0]),
           np.array([1.0, np.nan, 2.0]), np.array([1.0, np.inf, 2.0])]
    for n in (2, 3, 5, 17, 100, 300, 1001):
        for scale in (1e-6, 1.0, 30.0):
            out.append(rng.normal(0.2, scale, n))
            out.append(np.round(rng.normal(0, 2, n) * 3) / 3)        # Likert-like means, ties
    return out


def test_one_sample_t_is_scipy_to_the_bit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a in _samples():
            ref1 = stats.ttest_1samp(a, 0.0).statistic
            ref2 = stats.ttest_rel(a, np.zeros(a.size), alternative="greater").statistic
            with np.errstate(all="ignore"):
                mine = one_sample_t(a)
            assert _same(mine, ref1) and _same(mine, ref2), (a[:5], mine, ref1, ref2)


def test_t_distribution_is_scipy_to_the_bit():
    rng = np.random.default_rng(7)
    xs = [*rng.normal(0, 3, 200), 0.0, -0.0, 1e-300, 40.0, -40.0, math.inf, -math.inf, math.nan]
    dfs = [1, 2, 2.5, 9, 29, 298, 10 ** 6, math.inf, 0, -1, math.nan]
    for df in dfs:
        for x in xs:
            assert _same(t_sf(x, df), stats.t.sf(x, df)), (x, df)
            assert type(t_sf(x, df)) is type(stats.t.sf(x, df))
            assert _same(t_cdf(x, df), stats.t.cdf(x, df)), (x, df)
        for q in [0.0, 1e-12, 0.025, 0.05, 0.5, 0.9, 0.95, 0.975, 1 - 1e-12, 1.0, -0.1, 1.1, math.nan]:
            assert _same(t_ppf(q, df), stats.t.ppf(q, df)), (q, df)
            assert type(t_ppf(q, df)) is type(stats.t.ppf(q, df))


def _designs():
    rng = np.random.default_rng(11)
    for n in (5, 12, 60, 300):
        for k in (0, 1, 3):
            bg = (rng.random(n) < 0.4).astype(float)
            bg[:2], bg[2:4] = 1.0, 0.0
            X = np.column_stack([np.ones(n), bg, *(rng.normal(size=(k, n)) * rng.uniform(0.1, 50))])
            y = 0.3 * bg + rng.normal(0, 1, n) + (rng.random(n) < 0.1) * rng.normal(0, 5, n)
            yield y, X
    n = 40                                           # a rank-deficient design (a repeated column)
    x = rng.normal(size=n)
    yield rng.normal(size=n), np.column_stack([np.ones(n), x, x])


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC3"])
def test_ols_fit_is_statsmodels_to_the_bit(cov_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y, X in _designs():
            model = OLS(y, X)
            ref = model.fit() if cov_type == "nonrobust" else model.fit(cov_type=cov_type, use_t=True)
            mine = ols_fit(y, X, cov_type)
            assert np.array_equal(mine.params, ref.params)
            assert np.array_equal(mine.bse, ref.bse, equal_nan=True)
            assert mine.df_resid == ref.df_resid and mine.rank == ref.model.rank
            assert _same(mine.scale, ref.scale)
            assert type(mine.scale) is type(ref.scale) and type(mine.df_resid) is type(ref.df_resid)
            assert np.array_equal(mine.resid, ref.resid)
            assert np.array_equal(mine.cov_params, ref.cov_params(), equal_nan=True)
            for i in range(X.shape[1]):
                assert _same(mine.pvalue(i), ref.pvalues[i])
                lo, hi = mine.conf_int(i)
                assert _same(lo, ref.conf_int()[i, 0]) and _same(hi, ref.conf_int()[i, 1])


def test_fit_ols_switches_with_lean_tests():
    y, X = next(_designs())
    assert not is_lean() and type(fit_ols(y, X)).__name__ != "OLSFit"
    with lean_tests():
        assert is_lean() and type(fit_ols(y, X)).__name__ == "OLSFit"
    assert not is_lean()
    with pytest.raises(ValueError):
        ols_fit(y, X, "HC1")


def _rows_both_ways(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = fn(*args, **kw)
        with lean_tests():
            lean = fn(*args, **kw)
    return full, lean


def test_evidence_rows_are_the_same_inside_lean_tests():
    rng = np.random.default_rng(3)
    for n in (3, 4, 30, 150, 301):
        rel = np.round(rng.normal(4, 1, n) * 4) / 4
        inf = rel + np.where(rng.random(n) < 0.5, 0.3, -0.2) + rng.normal(0, 0.7, n)
        whole = rel.copy()                  # the controls need every pair
        rel[rng.random(n) < 0.05] = np.nan
        X = rng.normal(size=(n, 2))
        for expects in ("relational", "informational"):
            for fn, kw in [(paired_t, {"bayes": False}), (paired_t, {"effect_ci": False}),
                           (paired_tost, {}), (paired_tost, {"sesoi_unit": "raw"}),
                           (paired_ols, {"cov_type": "HC3"}), (paired_ols, {"cov_type": "nonrobust"}),
                           (paired_ols, {"cov_type": "HC3", "controls": X})]:
                rows = _rows_both_ways(fn, whole if "controls" in kw else rel, inf, expects=expects, **kw)
                assert str(rows[0]) == str(rows[1]), (fn.__name__, kw, n)   # values and types
        bg = (rng.random(n) < 0.4).astype(float)
        d = rel - inf
        ok = ~np.isnan(d)
        for cov_type in ("nonrobust", "HC3"):
            rows = _rows_both_ways(ols_interaction_arrays, d[ok], bg[ok], [X[ok, 0]], cov_type=cov_type, sign=-1)
            assert str(rows[0]) == str(rows[1])


def test_a_constant_difference_is_not_tested():
    rel = np.full(10, 4.0)
    with lean_tests():
        assert paired_t(rel, rel - 1, expects="relational")["status"] == "not_available"
        assert paired_tost(rel, rel, expects="relational")["status"] == "not_available"


def test_interaction_tost_unchanged():
    import pandas as pd

    rng = np.random.default_rng(9)
    f = pd.DataFrame({"bg": np.repeat([0, 1], 40)})
    f["D"] = 0.6 * f["bg"] - 0.3 + rng.normal(0, 1, 80)
    row = interaction_tost(f, sign=1)
    x, y = f.loc[f.bg == 1, "D"].to_numpy(), f.loc[f.bg == 0, "D"].to_numpy()
    v1, v2 = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    df = (v1 + v2) ** 2 / (v1 ** 2 / (x.size - 1) + v2 ** 2 / (y.size - 1))
    sp = math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2))
    est, se, b = x.mean() - y.mean(), math.sqrt(v1 + v2), 0.2 * sp
    assert row["p_value"] == float(max(stats.t.sf((est + b) / se, df), stats.t.cdf((est - b) / se, df)))
    assert row["ci_lower"] == float(est - stats.t.ppf(0.95, df) * se)
