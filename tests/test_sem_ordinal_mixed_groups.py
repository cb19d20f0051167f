"""Multigroup WLSMV with mixed ordinal and continuous observed variables against lavaan 0.6.14
(tests/reference/sem_wlsmv_mixed_groups.json: Holzinger-Swineford by school, x1, x2, x4, x5 cut
at their quartiles, x3 and x6 continuous; configural, metric and scalar models in the delta
parametrisation, strict and partial strict in the theta parametrisation, scaled-shifted
difference tests).  Tolerance: as the single-group mixed tests (5e-4 on estimates, SEs, z,
std_all and fit measures; 1e-3 on chi-squares); the per-group sample statistics (WLS.obs) to
1e-6.  lavaan's SRMR of the theta strict models is not compared (it differs by 3e-3)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import estimate_diffs, fit_diffs, load, max_diff  # noqa: E402

from rsnprop.sem import fit, invariance  # noqa: E402
from rsnprop.sem.ordinal import satorra2000  # noqa: E402

STEPS = {"configural": {}, "metric": {}, "scalar": {},
         "theta_strict": {"parameterization": "theta"}, "theta_partial": {"parameterization": "theta"}}


@pytest.fixture(scope="module")
def ref():
    return load("sem_wlsmv_mixed_groups.json")


@pytest.fixture(scope="module")
def data(ref):
    return pd.DataFrame(ref["data"])


@pytest.fixture(scope="module")
def fits(ref, data):
    out = {}
    for step, kw in STEPS.items():
        r = ref[step]
        out[step] = fit(ref["model"], data, ordered=ref["ordered"], group=ref["group"], estimator="WLSMV",
                        group_equal=r["group_equal"], group_partial=r.get("group_partial", []), **kw)
    return out


@pytest.mark.parametrize("step", list(STEPS))
def test_mixed_groups_estimates(ref, fits, step):
    res = fits[step]
    assert res.converged
    diffs = max_diff(estimate_diffs(res.estimates, ref[step]["estimates"], cols=("est", "se", "z", "std_all")))
    assert all(v < 5e-4 for v in diffs.values()), diffs


@pytest.mark.parametrize("step", list(STEPS))
def test_mixed_groups_fit_measures(ref, fits, step):
    res, r = fits[step], ref[step]["fit"]
    skip = ("chi2", "baseline_chi2", "chi2_scaled") + (("srmr",) if step.startswith("theta") else ())
    f = fit_diffs(res.fit, r, skip=skip)
    assert all(v < 5e-4 for v in f.values()), f
    assert res.fit["df"] == r["df"] and res.fit["npar"] == r["npar"]
    assert res.fit["chi2"] == pytest.approx(r["chisq"], abs=1e-3)
    assert res.fit["chi2_scaled"] == pytest.approx(r["chisq.scaled"], abs=1e-3)
    assert res.fit["baseline_chi2"] == pytest.approx(r["baseline.chisq"], rel=1e-6)
    assert "cfi_robust" not in res.fit  # lavaan: NA with continuous variables


def test_mixed_groups_sample_statistics(ref, fits):
    for g, obs in enumerate(ref["configural"]["wls_obs"].values()):
        obs = np.array(obs)
        s = fits["configural"]._wls["s"][g]
        assert np.max(np.abs(s - obs) / np.maximum(1, np.abs(obs))) < 1e-6


def test_mixed_groups_equal_intercepts(fits):
    e = fits["scalar"].estimates
    for v in ("x3", "x6"):  # continuous intercepts equal across groups, latent means free
        est = e[(e.lhs == v) & (e.op == "~1")].est.to_numpy()
        assert len(est) == 2 and est[0] == pytest.approx(est[1], abs=1e-12)
    p = fits["theta_partial"].estimates
    x3 = p[(p.lhs == "x3") & (p.op == "~1")].est.to_numpy()
    assert abs(x3[0] - x3[1]) > 1e-3


def test_mixed_groups_difference_tests(ref, fits):
    d1 = satorra2000(fits["configural"], fits["metric"])
    d2 = satorra2000(fits["metric"], fits["scalar"])
    lrt = ref["lrt"]
    assert [d1["df_diff"], d2["df_diff"]] == lrt["df_diff"]
    assert d1["chi2_diff"] == pytest.approx(lrt["chisq_diff"][0], abs=1e-3)
    assert d2["chi2_diff"] == pytest.approx(lrt["chisq_diff"][1], abs=1e-3)
    assert d2["pvalue"] == pytest.approx(lrt["pvalue"][1], abs=1e-6)


def test_mixed_groups_invariance(ref, data):
    inv = invariance(ref["model"], data, ref["group"], ordered=ref["ordered"],
                     levels=("configural", "metric", "scalar"), rule="lrt")
    assert [s["name"] for s in inv.steps] == ["configural", "metric", "scalar"]
    for s in inv.steps:
        assert s["chi2_scaled"] == pytest.approx(ref[s["name"]]["fit"]["chisq.scaled"], abs=1e-3)
    assert inv.level == "metric"  # scalar fails the difference test (p = 3e-6)


def test_mixed_groups_partial_search_frees_intercepts(ref, data):
    inv = invariance(ref["model"], data, ref["group"], ordered=ref["ordered"],
                     levels=("configural", "metric", "scalar"), rule="lrt", partial_search=True)
    freed = inv.steps[-1]["freed"]
    assert inv.steps[-1]["name"] == "partial_scalar"
    assert any(f in ("x3~1", "x6~1") for f in freed), freed


def test_mixed_groups_deterministic(ref, data):
    a = fit(ref["model"], data, ordered=ref["ordered"], group=ref["group"], estimator="WLSMV")
    b = fit(ref["model"], data, ordered=ref["ordered"], group=ref["group"], estimator="WLSMV")
    assert a.estimates.equals(b.estimates)
