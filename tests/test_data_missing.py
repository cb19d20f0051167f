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
