"""Measurement invariance sequence against lavaan 0.6.14 (sem_hs.json: ML; sem_mlr.json: MLR with
Satorra-Bentler 2001 scaled differences), latent mean differences with SEs, partial search,
decision rules.  Tolerance: 3 decimals."""

from __future__ import annotations

import math
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
        assert step["fit_indices"] == "robust"
        assert step["cfi_robust"] == pytest.approx(f["cfi.robust"], abs=TOL)
        assert step["rmsea_robust"] == pytest.approx(f["rmsea.robust"], abs=TOL)
    for prev, step in zip(out.steps, out.steps[1:]):  # the rule compares the robust indices
        assert step["delta_cfi_robust"] == pytest.approx(step["cfi_robust"] - prev["cfi_robust"], abs=1e-12)
        assert step["delta_cfi"] == pytest.approx(step["cfi"] - prev["cfi"], abs=1e-12)
    assert "robust" in out.rule


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


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_configural_step_equals_fit_key_by_key(estimator):
    """The configural step carries fit()'s measures under fit()'s keys (lavaan's names), with the
    same rows: here 8 % missing values per item, so both use FIML (missing='auto')."""
    import warnings

    from rsnprop.sem import fit
    from rsnprop.sem.invariance_steps import STEP_FIT_KEYS

    d = pd.read_csv(Path(__file__).resolve().parent / "reference" / "sem_fiml.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = invariance(HS_MODEL, d, "school", levels=("configural", "metric"), estimator=estimator)
        res = fit(HS_MODEL, d, group="school", estimator=estimator)
    step = out.steps[0]
    keys = [k for k in STEP_FIT_KEYS if k in res.fit]
    assert {"chi2", "cfi", "rmsea", "srmr"} <= set(keys)
    if estimator == "MLR":
        assert {"chi2_scaled", "cfi_scaled", "cfi_robust", "rmsea_scaled", "rmsea_robust"} <= set(keys)
    for k in keys:
        assert _same(step[k], res.fit[k]), (k, step[k], res.fit[k])
    assert not set(STEP_FIT_KEYS) - set(keys) & set(step)  # no fit key that fit() does not have
    assert (step["n"], step["n_total"], res.missing, out.missing) == (res.n, res.n_total, "fiml", "fiml")
    assert out.n_per_group == {str(k): v for k, v in res.n_per_group.items()}
    frame = out.to_frame()
    assert {"chi2", "cfi", "rmsea"} <= set(frame.columns)
    if estimator == "MLR":  # standard and robust side by side, labelled
        assert {"chi2_scaled", "cfi_robust", "rmsea_robust", "delta_cfi_robust"} <= set(frame.columns)
        assert frame.loc[0, "cfi"] == pytest.approx(res.fit["cfi"])
        assert frame.loc[0, "cfi"] != frame.loc[0, "cfi_robust"]


def test_rows_dropped_are_reported_once_per_group():
    """Listwise on incomplete data: n of n_total per group, one warning (not one per step)."""
    from rsnprop.errors import DataQualityWarning

    d = pd.read_csv(Path(__file__).resolve().parent / "reference" / "sem_fiml.csv")
    with pytest.warns(DataQualityWarning, match="rows used"):
        out = invariance(HS_MODEL, d, "school", levels=("configural", "metric"), missing="listwise")
    complete = d.dropna()
    assert (out.n, out.n_total, out.missing) == (len(complete), len(d), "listwise")
    assert out.n_per_group == {str(k): int(v) for k, v in complete["school"].value_counts(sort=False).items()}
    assert out.n_total_per_group == {str(k): int(v) for k, v in d["school"].value_counts(sort=False).items()}
    assert sum("rows used" in w for w in out.warnings) == 1
    assert f"rows used {len(complete)} of {len(d)}" in out.summary()
    assert all(s["n"] == len(complete) and s["n_total"] == len(d) for s in out.steps)
