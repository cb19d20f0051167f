"""Missing data: Little's MCAR test and EM against lavaan (tests/reference/data_missing.R),
Rubin's rules against mice::pool.scalar, multiple imputation, pattern summaries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.data.missing import (em_normal, little_mcar_test, missing_summary,
                                  multiple_imputation, pool_rubin)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "data_missing.json").read_text())


@pytest.mark.parametrize("name,file", [("airquality", "data_missing_airquality.csv"),
                                       ("hs_mar", "data_missing_hs.csv")])
def test_little_and_em_match_lavaan(ref, name, file):
    data = pd.read_csv(REF / file)
    r = ref[name]
    got = little_mcar_test(data)
    # EM convergence tolerances differ (lavaan's optimiser vs our EM): 1e-5 relative
    assert got["statistic"] == pytest.approx(r["statistic"], rel=1e-5)
    assert got["df"] == r["df"] and got["missing_patterns"] == r["missing_patterns"]
    assert got["p_value"] == pytest.approx(r["p_value"], rel=1e-3)
    mu, sigma, info = em_normal(data.to_numpy(dtype=float))
    assert info["converged"]
    np.testing.assert_allclose(mu, r["mu"], rtol=1e-5)
    p = data.shape[1]
    np.testing.assert_allclose(sigma, np.array(r["sigma"]).reshape(p, p, order="F"), rtol=1e-4)


def test_airquality_published_value(ref):
    """naniar's documentation: mcar_test(airquality) = 35.1, df 14, p = 0.00142, 4 patterns."""
    got = little_mcar_test(pd.read_csv(REF / "data_missing_airquality.csv"))
    assert round(got["statistic"], 1) == 35.1 and got["df"] == 14
    assert round(got["p_value"], 5) == 0.00142 and got["missing_patterns"] == 4


@pytest.mark.parametrize("key,n", [("pool_n200", 200), ("pool_inf", None)])
def test_pool_rubin_matches_mice(ref, key, n):
    got = pool_rubin(ref["pool_Q"], ref["pool_U"], df_complete=None if n is None else n - 1)
    r = ref[key]
    for ours, theirs in [("qbar", "qbar"), ("ubar", "ubar"), ("b", "b"), ("t", "t"),
                         ("df", "df"), ("riv", "r"), ("fmi", "fmi")]:
        assert float(got[ours]) == pytest.approx(r[theirs], rel=1e-10), ours


def test_mcar_not_rejected_under_mcar_and_rejected_under_mar():
    rng = np.random.default_rng(11)
    z = rng.multivariate_normal(np.zeros(4), 0.5 * np.eye(4) + 0.5, size=800)
    mcar = z.copy()
    mcar[rng.random(800) < 0.2, 0] = np.nan
    mar = z.copy()
    mar[z[:, 1] > 0.5, 0] = np.nan
    assert little_mcar_test(pd.DataFrame(mcar))["p_value"] > 0.001
    assert little_mcar_test(pd.DataFrame(mar))["p_value"] < 1e-6


def test_multiple_imputation_pooled_mean_near_ml(ref):
    data = pd.read_csv(REF / "data_missing_hs.csv")
    imps = multiple_imputation(data, m=20, seed=5)
    again = multiple_imputation(data, m=20, seed=5)
    assert all(a.equals(b) for a, b in zip(imps, again))           # seeded
    assert not imps[0].isna().any().any()
    obs = data.notna()
    assert all((d[obs] == data[obs]).sum().sum() == obs.sum().sum() for d in imps[:3])
    est = [d["x1"].mean() for d in imps]
    var = [d["x1"].var(ddof=1) / len(d) for d in imps]
    pooled = pool_rubin(est, var, df_complete=len(data) - 1)
    ml_mean = ref["hs_mar"]["mu"][0]           # lavaan FIML/EM estimate (MAR-consistent)
    assert abs(pooled["qbar"] - ml_mean) < 2 * pooled["se"]
    complete_case = data["x1"].mean()          # biased under this MAR mechanism
    assert abs(pooled["qbar"] - ml_mean) < abs(complete_case - ml_mean)


def test_missing_summary():
    df = pd.DataFrame({"a": [1, None, 3, None], "b": [1, 2, None, None]})
    s = missing_summary(df)
    assert s["per_item"]["a"] == {"n_missing": 2, "share": 0.5}
    assert s["per_respondent"] == {"0": 1, "1": 2, "2": 1}
    assert s["n_patterns"] == 4 and s["complete_rows"] == 1
    assert {p["pattern"]: p["n"] for p in s["top_patterns"]} == {"00": 1, "10": 1, "01": 1, "11": 1}


def _incomplete(seed=3, n=300, p=8, share=0.15):
    """Correlated normal data, ~share of the values missing completely at random (many
    patterns), plus one row with every value missing."""
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(p), 0.4 * np.eye(p) + 0.6, size=n)
    z[rng.random(z.shape) < share] = np.nan
    z[5] = np.nan
    return z


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", ["synthetic", "hs_mar", "airquality"])
def test_em_normal_equals_plain_per_pattern_em(case, weighted):
    """The batched EM (rsnprop.em.EMPatterns) gives the estimates of the per-pattern EM it
    replaced (_em_normal_plain), with and without frequency weights, and from a warm start."""
    from rsnprop.em import EMPatterns
    from rsnprop.data.missing import _em_normal_plain

    if case == "synthetic":
        x = _incomplete()
    else:
        file = {"hs_mar": "data_missing_hs.csv", "airquality": "data_missing_airquality.csv"}
        x = pd.read_csv(REF / file[case]).to_numpy(dtype=float)
    assert np.isnan(x).any()
    n = len(x)
    w = (np.bincount(np.random.default_rng(7).integers(0, n, n), minlength=n).astype(float)
         if weighted else None)
    tight = {"tol": 1e-12, "max_iter": 5000}
    mu0, s0, i0 = _em_normal_plain(x, weights=w, **tight)
    mu1, s1, i1 = em_normal(x, weights=w, **tight)
    assert i0["converged"] and i1["converged"]
    np.testing.assert_allclose(mu1, mu0, rtol=0, atol=1e-8)
    np.testing.assert_allclose(s1, s0, rtol=0, atol=1e-8)
    # patterns prepared once, warm start from the unweighted estimate (the MI bootstrap)
    em = EMPatterns(x)
    start = em_normal(x, patterns=em)[:2]
    mu2, s2, i2 = em_normal(x, weights=w, patterns=em, start=start, **tight)
    np.testing.assert_allclose(mu2, mu0, rtol=0, atol=1e-8)
    np.testing.assert_allclose(s2, s0, rtol=0, atol=1e-8)
    # the default tolerance (1e-9) stays within 1e-7 of the tight estimate
    mu3, s3, _ = em_normal(x, weights=w)
    assert max(abs(mu3 - mu0).max(), abs(s3 - s0).max()) < 1e-7


def test_em_normal_no_usable_row():
    x = np.array([[np.nan, np.nan], [1.0, np.nan], [2.0, 3.0]])
    mu, sigma, info = em_normal(x, weights=[5.0, 0.0, 0.0])
    assert np.isnan(mu).all() and np.isnan(sigma).all() and not info["converged"]


@pytest.mark.parametrize("case", ["synthetic", "hs_mar"])
def test_multiple_imputation_equals_per_pattern_implementation(case):
    """Same seed, same imputations as the per-pattern implementation it replaced (EM by
    _em_normal_plain from the available-case start, one draw loop per pattern): equal up to
    the EM convergence tolerance."""
    from rsnprop.data.missing import _multiple_imputation

    if case == "synthetic":
        data = pd.DataFrame(_incomplete(p=6), columns=[f"v{j}" for j in range(6)])
        data["id"] = np.arange(len(data))              # not imputed: copied unchanged
        kw = {"columns": [f"v{j}" for j in range(6)], "bounds": {"v0": (-1.5, 1.5)}}
    else:
        data = pd.read_csv(REF / "data_missing_hs.csv")
        kw = {"columns": None, "bounds": None}
    new = multiple_imputation(data, m=6, seed=3, **kw)
    old = _multiple_imputation(data, kw["columns"], m=6, seed=3, bounds=kw["bounds"],
                               round_integers=False, reference=True)
    assert len(new) == len(old) == 6
    for a, b in zip(new, old):
        assert list(a.columns) == list(b.columns)
        assert not a[kw["columns"] or list(data.columns)].isna().any().any()
        np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=1e-6)
    rounded = multiple_imputation(data, m=2, seed=3, round_integers=True, **kw)
    assert all(np.allclose(r.to_numpy(float), np.where(data.isna(), np.round(a.to_numpy(float)),
                                                         a.to_numpy(float)))
               for r, a in zip(rounded, new))


def test_collinear_columns_fall_back_to_per_pattern_em():
    """A singular covariance (b = 2a) cannot go through the batched E-step (it inverts
    Sigma): em_normal and the draws fall back to the per-pattern code, same results."""
    from rsnprop.data.missing import _em_normal_plain, _multiple_imputation

    df = pd.DataFrame({"a": [1., 2., 3., 4., np.nan, 2.5], "b": [2., 4., 6., 8., 10., np.nan]})
    x = df.to_numpy()
    mu, sigma, info = em_normal(x)
    mu0, sigma0, _ = _em_normal_plain(x)
    np.testing.assert_allclose(mu, mu0, atol=1e-12)
    np.testing.assert_allclose(sigma, sigma0, atol=1e-12)
    new = multiple_imputation(df, m=3, seed=2)
    old = _multiple_imputation(df, None, m=3, seed=2, bounds=None, round_integers=False,
                               reference=True)
    for a, b in zip(new, old):
        assert np.isfinite(a.to_numpy()).all()
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-6)
