"""Ordinal indicators (WLSMV: polychorics, DWLS, scaled-shifted test) against lavaan 0.6.14 on
psych::bfi agreeableness/conscientiousness items (tests/reference/sem_wlsmv.json; multigroup by
gender: sem_wlsmv_groups.json).
Tolerance: 3 decimals (also lavaan's cat-ML robust CFI/RMSEA, Savalei 2021)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, fit_diffs, load, max_diff  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import fit  # noqa: E402
from rsnprop.sem.polychoric import bvn_cdf  # noqa: E402

ITEMS = ["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "C4", "C5"]


@pytest.fixture(scope="module")
def ref():
    return load("sem_wlsmv.json")


@pytest.fixture(scope="module")
def res(ref):
    return fit(ref["model"], pd.read_csv(REF / "sem_wlsmv.csv"), ordered=ITEMS, estimator="WLSMV")


def test_polychoric_and_thresholds(ref, res):
    assert np.max(np.abs(res.polychoric - np.array(ref["polychoric"]))) < 1e-6
    th = np.concatenate([res.ordinal["thresholds"][v] for v in ITEMS])
    assert np.max(np.abs(th - np.array(list(ref["thresholds"].values())))) < 1e-8


def test_wlsmv_estimates(ref, res):
    d = max_diff(estimate_diffs(res.estimates, ref["estimates"], cols=("est", "se", "z", "std_all")))
    assert all(v < 5e-4 for v in d.values()), d


def test_wlsmv_fit_measures(ref, res):
    f = fit_diffs(res.fit, ref["fit"])
    assert all(v < 5e-4 for k, v in f.items() if k not in ("chi2", "baseline_chi2", "chi2_scaled")), f
    assert res.fit["chi2"] == pytest.approx(ref["fit"]["chisq"], abs=1e-3)
    assert res.fit["chi2_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], abs=1e-3)
    assert res.fit["baseline_chi2"] == pytest.approx(ref["fit"]["baseline.chisq"], rel=1e-6)


def test_bivariate_normal_cdf():
    from scipy import stats

    for r in (-0.97, -0.5, 0.0, 0.4, 0.8, 0.96):
        for x, y in ((0.3, -1.2), (-2.0, 1.5), (1.0, 1.0)):
            want = stats.multivariate_normal(cov=[[1, r], [r, 1]]).cdf([x, y])
            assert bvn_cdf(x, y, r) == pytest.approx(want, abs=1e-7)
    assert bvn_cdf(np.inf, 0.0, 0.3) == pytest.approx(0.5)
    assert bvn_cdf(-np.inf, 0.0, 0.3) == 0.0


def test_ordinal_input_errors():
    d = pd.read_csv(REF / "sem_wlsmv.csv")
    with pytest.raises(InputError, match="A1"):
        fit("f =~ A1 + A2 + A3", d.assign(A1=d.A1 + 0.5), ordered=["A1", "A2", "A3"])
    with pytest.raises(InputError, match="group"):
        fit("f =~ A1 + A2 + A3", d, ordered=["A1", "A2", "A3"], group="nope")
    with pytest.raises(InputError, match="residuals"):
        fit("f =~ A1 + A2 + A3", d, ordered=["A1", "A2", "A3"], group="gender", group_equal=["residuals"])


@pytest.fixture(scope="module")
def ref_groups():
    return load("sem_wlsmv_groups.json")


@pytest.fixture(scope="module")
def inv_ordinal(ref_groups):
    from rsnprop.sem import invariance

    return invariance(ref_groups["model"], pd.read_csv(REF / "sem_wlsmv.csv"), "gender", ordered=ITEMS)


@pytest.mark.parametrize("step", ["configural", "metric", "scalar"])
def test_multigroup_ordinal_matches_lavaan(ref_groups, inv_ordinal, step):
    """Multigroup WLSMV (delta parametrisation; scalar = equal loadings and thresholds with free
    scaling factors and latent means in group 2).  Robust SEs, scaled test and RMSEAs weigh the
    groups as lavaan (n_g / N, sandwich / (N - G), RMSEA with N - G).  Measured: est and std_all
    < 6e-6, se < 3.3e-7, fit indices < 5.4e-8, chi2 < 5.1e-6, scaled chi2 < 3.7e-8 relative;
    tolerances 3x these (5e-4 on est/std_all, 1e-3 on chi2: not affected by the group weights)."""
    res = inv_ordinal.fits[step]
    block = ref_groups[step]
    d = max_diff(estimate_diffs(res.estimates, block["estimates"], cols=("est", "se", "std_all")))
    assert d["d_se"] < 1e-6 and all(v < 5e-4 for v in d.values()), d
    f = fit_diffs(res.fit, block["fit"], skip=("chi2_scaled",))
    assert all(v < 2e-7 for k, v in f.items() if k not in ("chi2", "baseline_chi2")), f
    assert res.fit["chi2"] == pytest.approx(block["fit"]["chisq"], abs=1e-3)
    assert res.fit["chi2_scaled"] == pytest.approx(block["fit"]["chisq.scaled"], rel=1.2e-7)


def test_ordinal_invariance_latent_means(ref_groups, inv_ordinal):
    assert [s["name"] for s in inv_ordinal.steps] == ["configural", "metric", "scalar"]
    assert inv_ordinal.steps[2]["group_equal"] == ["loadings", "thresholds"]
    ref = pd.DataFrame(ref_groups["scalar"]["estimates"])
    lm = inv_ordinal.latent_mean_differences.set_index("factor")
    for f in ("agree", "consc"):
        row = ref[(ref.lhs == f) & (ref.op == "~1") & (ref.group == 2)].iloc[0]
        assert lm.loc[f, "est"] == pytest.approx(row.est, abs=5e-4)
        assert lm.loc[f, "se"] == pytest.approx(row.se, abs=1e-6)
    assert any("strict" in w for w in inv_ordinal.warnings)


def test_ordinal_invariance_steps_use_fit_keys(ref_groups, inv_ordinal):
    """WLSMV steps: chi2/cfi/rmsea are the standard statistics, as in fit(); the scaled and robust
    ones sit beside them under lavaan's names and the rule compares the robust CFI/RMSEA."""
    for step in inv_ordinal.steps:
        f = inv_ordinal.fits[step["name"]].fit
        for k in ("chi2", "chi2_scaled", "cfi", "cfi_robust", "rmsea", "rmsea_robust", "srmr"):
            assert step[k] == f[k], k
        assert step["fit_indices"] == "robust"
    conf = ref_groups["configural"]["fit"]
    assert inv_ordinal.steps[0]["chi2"] == pytest.approx(conf["chisq"], abs=1e-3)
    assert inv_ordinal.steps[0]["chi2_scaled"] == pytest.approx(conf["chisq.scaled"], abs=1e-3)
    frame = inv_ordinal.to_frame()
    assert {"chi2", "chi2_scaled", "cfi", "cfi_robust", "rmsea", "rmsea_robust"} <= set(frame.columns)


def test_ordinal_difference_tests_satorra2000(ref_groups, inv_ordinal):
    """Scaled-shifted difference tests as lavaan's lavTestLRT for WLSMV (method satorra.2000).
    Measured: chi-square differences < 9.3e-7, p-values < 3.3e-7 relative (tolerances 3x)."""
    for k, step in enumerate(inv_ordinal.steps[1:]):
        lrt = step["lrt"]
        assert lrt["method"].startswith("satorra.2000")
        assert lrt["df_diff"] == ref_groups["lrt"]["df_diff"][k]
        assert lrt["chi2_diff"] == pytest.approx(ref_groups["lrt"]["chisq_diff"][k], abs=3e-6)
        assert lrt["pvalue"] == pytest.approx(ref_groups["lrt"]["pvalue"][k], rel=1e-6)
