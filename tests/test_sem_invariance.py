"""Measurement invariance sequence against lavaan 0.6.14 (sem_hs.json: ML; sem_mlr.json: MLR with
Satorra-Bentler 2001 scaled differences), latent mean differences with SEs, partial search,
decision rules.  Tolerance: 3 decimals."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import HS_MODEL, hs_data, load  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import invariance  # noqa: E402

TOL = 5e-4


@pytest.fixture(scope="module")
def inv():
    return invariance(HS_MODEL, hs_data(), "school")


def test_steps_match_lavaan(inv):
    ref = load("sem_hs.json")["invariance"]
    names = [s["name"] for s in inv.steps]
    assert names == ["configural", "metric", "scalar", "strict"]
    for s in inv.steps:
        f = ref[s["name"]]["fit"]
        for mine, theirs in (("chi2", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("srmr", "srmr")):
            assert s[mine] == pytest.approx(f[theirs], abs=TOL), (s["name"], mine)
        assert s["df"] == f["df"]
    metric = inv.steps[1]
    assert metric["lrt"]["chi2_diff"] == pytest.approx(8.192, abs=1e-3) and metric["lrt"]["df_diff"] == 6
    assert metric["delta_cfi"] == pytest.approx(ref["metric"]["fit"]["cfi"] - ref["configural"]["fit"]["cfi"], abs=1e-6)


def test_decision_rule_and_level(inv):
    assert [s["held"] for s in inv.steps] == [True, True, False, True]
    assert inv.level == "metric"
    assert "Chen (2007)" in inv.rule
    lrt = invariance(HS_MODEL, hs_data(), "school", levels=("configural", "metric", "scalar"), rule="lrt")
    assert lrt.level == "metric" and "p <" in lrt.rule


def test_latent_means_with_se(inv):
    ref = pd.DataFrame(load("sem_hs.json")["invariance"]["scalar"]["estimates"])
    lm = inv.latent_mean_differences.set_index("factor")
    assert inv.latent_means_model == "scalar"
    for f in ("visual", "textual", "speed"):
        row = ref[(ref.lhs == f) & (ref.op == "~1") & (ref.group == 2)].iloc[0]
        assert lm.loc[f, "est"] == pytest.approx(row.est, abs=TOL)
        assert lm.loc[f, "se"] == pytest.approx(row.se, abs=TOL)
        assert inv.latent_means["Grant-White"][f] == pytest.approx(row.est, abs=TOL)
        assert inv.latent_means["Pasteur"][f] == 0.0


def test_partial_search_frees_intercepts():
    out = invariance(HS_MODEL, hs_data(), "school", levels=("configural", "metric", "scalar"), partial_search=True)
    names = [s["name"] for s in out.steps]
    assert names == ["configural", "metric", "scalar", "partial_scalar"]
    part = out.steps[-1]
    assert part["freed"] and part["freed"][0] == "x3~1" and part["held"]
    assert out.level == "partial_scalar" and out.latent_means_model == "partial_scalar"
    d = out.to_dict()
    assert d["steps"][-1]["lrt"]["df_diff"] == 6 - len(part["freed"])


def test_mlr_scaled_difference_tests():
    ref = load("sem_mlr.json")
    out = invariance(HS_MODEL, hs_data(), "school", levels=("configural", "metric", "scalar"), estimator="MLR")
    for k, step in enumerate(out.steps[1:]):
        assert step["lrt"]["method"] == "satorra.bentler.2001"
        assert step["lrt"]["chi2_diff"] == pytest.approx(ref["invariance_lrt"]["chisq_diff"][k], abs=1e-3)
        assert step["lrt"]["pvalue"] == pytest.approx(ref["invariance_lrt"]["pvalue"][k], abs=1e-4)
    for step in out.steps:
        f = ref["invariance_fit"][step["name"]]
        assert step["chi2_scaled"] == pytest.approx(f["chisq.scaled"], abs=1e-3)
        assert step["cfi"] == pytest.approx(f["cfi.robust"], abs=TOL)
        assert step["rmsea"] == pytest.approx(f["rmsea.robust"], abs=TOL)


def test_bad_arguments():
    with pytest.raises(InputError, match="levels"):
        invariance(HS_MODEL, hs_data(), "school", levels=("metric", "configural"))
    with pytest.raises(InputError, match="nope"):
        invariance(HS_MODEL, hs_data(), "nope")
    with pytest.raises(InputError, match="rule"):
        invariance(HS_MODEL, hs_data(), "school", rule="vibes")


def test_optional_equal_latent_means_step():
    ref = load("sem_hs.json")["invariance"]
    out = invariance(HS_MODEL, hs_data(), "school", levels=("configural", "metric", "scalar", "strict", "means"))
    step = out.steps[-1]
    assert step["name"] == "means"
    assert step["group_equal"] == ["loadings", "intercepts", "residuals", "means"]
    assert step["chi2"] == pytest.approx(ref["means"]["fit"]["chisq"], abs=1e-3)
    assert step["lrt"]["df_diff"] == 3 and step["lrt"]["pvalue"] < 0.001  # latent means differ
    assert out.level == "metric"  # the means step is not a level of measurement invariance
    with pytest.raises(InputError, match="means"):
        invariance(HS_MODEL, hs_data(), "school", levels=("configural", "means"))
