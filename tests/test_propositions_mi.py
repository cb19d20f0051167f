"""missing: multiple_imputation in the proposition tests (rsnprop.propositions.imputation).

Reference values: tests/reference/propositions_mi.R pools, with mice::pool.scalar, the
per-imputation estimates rsnprop computes on propositions_mi_data.csv
(propositions_mi_estimates.csv, written by propositions_mi_data.py).  Tolerances: 1e-10
against the complete-data analysis, 1e-12 for the stored per-imputation estimates, 1e-8
against R (jsonlite writes 15 significant digits).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.errors import PlanError
from rsnprop.propositions import StudyPlan, load_plan, plan_from_dict, test_propositions
from rsnprop.propositions.evaluate import evaluate_spec
from rsnprop.propositions.multiverse import run_multiverse
from rsnprop.propositions.plan import DEFAULT_MI_SEED, MISSING_METHODS
from rsnprop.propositions.synthetic import synthetic_clean

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"

ROW_KEYS = ("estimate", "ci_lower", "ci_upper", "statistic", "df", "p_value", "p_opposite",
            "effect_size", "es_ci_lower", "es_ci_upper", "n")
TOST_KEYS = ("estimate", "ci_lower", "ci_upper", "statistic", "df", "p_value", "bound", "n")


def _mi_plan(**kw):
    base = {"name": "mi", "missing": "multiple_imputation", "imputation": {"m": 4, "seed": 5}}
    base.update(kw)
    return plan_from_dict(base)


# ---------------------------------------------------------------- plan
def test_plan_accepts_multiple_imputation_with_defaults():
    assert "multiple_imputation" in MISSING_METHODS
    plan = plan_from_dict({"name": "x", "missing": "multiple_imputation"})
    assert plan.imputation.m == 20 and plan.imputation.seed is None
    assert plan.imputation.effective_seed == DEFAULT_MI_SEED
    assert plan_from_dict({"name": "x", "imputation": {"seed": 3}}).imputation.effective_seed == 3
    mv = plan_from_dict({"name": "x", "multiverse": {"missing": ["available", "multiple_imputation"]}})
    assert mv.uses_imputation
    # not in the default grid: the default multiverse stays available x complete_cases
    assert StudyPlan(name="x").multiverse.missing == ["available", "complete_cases"]


@pytest.mark.parametrize("data, param, value", [
    ({"imputation": {"m": 1}}, "imputation.m", "1"),
    ({"imputation": {"m": 0}}, "imputation.m", "0"),
    ({"imputation": {"seed": -4}}, "imputation.seed", "-4"),
    ({"imputation": {"bounds": [7, 1]}}, "imputation.bounds", "[7, 1]"),
    ({"missing": "imputation"}, "missing", "imputation"),
    ({"multiverse": {"missing": ["mice"]}}, "multiverse.missing.0", "mice"),
])
def test_bad_imputation_settings_name_field_and_value(data, param, value):
    with pytest.raises(PlanError) as info:
        plan_from_dict({"name": "x", **data}, file="plan.yaml")
    assert info.value.parameter == param
    assert info.value.value == value
    assert param in str(info.value) and value in str(info.value)


def test_plan_hash_unchanged_unless_imputation_is_used():
    plain = StudyPlan(name="x")
    # the imputation section cannot change a result when no specification imputes
    assert plain.with_(imputation={"m": 50}).hash == plain.hash
    assert "imputation" not in json.loads(plain.canonical_json())
    mi = plain.with_(missing="multiple_imputation")
    assert mi.hash != plain.hash
    assert mi.with_(imputation={"m": 50}).hash != mi.hash
    assert mi.with_(imputation={"seed": 1}).hash != mi.hash
    assert load_plan(ROOT / "analysis" / "study.yaml").hash == load_plan(ROOT / "analysis" / "study.yaml").hash


# ---------------------------------------------------------------- (1) no missing values
@pytest.mark.parametrize("estimator, controls", [("t", False), ("hc3", False), ("t", True)])
def test_without_missing_values_mi_equals_available(estimator, controls):
    df = synthetic_clean(150, "p1p2", 0.4, seed=8, n_rel=4, n_inf=4)
    plan = _mi_plan(controls=["b2b", "phase"])
    mi = evaluate_spec(df, plan, estimator=estimator, with_controls=controls, bayes=False)
    av = evaluate_spec(df, plan, missing="available", estimator=estimator, with_controls=controls,
                       bayes=False)
    assert mi["mi"]["n_imputed"] == 0
    for k in av["primary"]:
        a, b = av["primary"][k], mi["primary"][k]
        assert b["status"] == "ok" and b["fmi"] == 0.0 and b["mi_m"] == 4
        per = b["per_imputation"]
        assert len(set(per["estimate"])) == 1 and len(set(per["variance"])) == 1   # identical imputations
        for key in ROW_KEYS:
            assert b[key] == pytest.approx(a[key], rel=1e-10, abs=1e-10), (k, key)
        ta, tb = av["tost"][k], mi["tost"][k]
        for key in TOST_KEYS:
            assert tb[key] == pytest.approx(ta[key], rel=1e-10, abs=1e-10), (k, "TOST", key)
    assert mi["decision"]["verdicts"] == av["decision"]["verdicts"]


# ---------------------------------------------------------------- (2) against R
@pytest.fixture(scope="module")
def reference():
    data = pd.read_csv(REF / "propositions_mi_data.csv")
    spec = {}
    import importlib.util

    s = importlib.util.spec_from_file_location("propositions_mi_data", REF / "propositions_mi_data.py")
    mod = importlib.util.module_from_spec(s)
    s.loader.exec_module(mod)
    plan = plan_from_dict(mod.PLAN)
    for est in ("t", "hc3"):
        spec[est] = evaluate_spec(data, plan, estimator=est, bayes=False)
    return {"data": data, "plan": plan, "spec": spec,
            "estimates": pd.read_csv(REF / "propositions_mi_estimates.csv"),
            "r": json.loads((REF / "propositions_mi.json").read_text())}


def test_reference_data_has_missing_items(reference):
    data = reference["data"]
    items = [c for c in data.columns if c[:4] in ("rel_", "inf_")]
    share = data[items].isna().to_numpy().mean()
    assert len(data) == 150 and len(items) == 8 and 0.12 < share < 0.18
    assert reference["spec"]["t"]["mi"]["n_imputed"] == int(data[items].isna().to_numpy().sum())


@pytest.mark.parametrize("estimator", ["t", "hc3"])
@pytest.mark.parametrize("key", ["P1", "P2", "joint"])
def test_per_imputation_estimates_are_the_stored_ones(reference, estimator, key):
    row = reference["spec"][estimator]["primary"][key]
    est = reference["estimates"]
    s = est[(est.key == key) & (est.estimator == estimator)].sort_values("imputation")
    np.testing.assert_allclose(row["per_imputation"]["estimate"], s["estimate"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(row["per_imputation"]["variance"], s["variance"], rtol=1e-12, atol=0)
    assert row["df_complete"] == s["df_complete"].iloc[0]


@pytest.mark.parametrize("estimator", ["t", "hc3"])
@pytest.mark.parametrize("key", ["P1", "P2", "joint"])
def test_pooled_rows_match_mice_pool_scalar(reference, estimator, key):
    r = reference["r"][f"{key}_{estimator}"]
    row = reference["spec"][estimator]["primary"][key]
    assert row["mi_m"] == r["m"] == 20 and row["mi_seed"] == 11
    pairs = {"estimate": "qbar", "df": "df", "statistic": "statistic", "p_value": "p_value",
             "p_opposite": "p_opposite", "ci_lower": "ci_lower", "ci_upper": "ci_upper",
             "fmi": "fmi", "riv": "riv"}
    for ours, theirs in pairs.items():
        assert row[ours] == pytest.approx(r[theirs], rel=1e-8, abs=1e-10), ours
    assert row["se"] ** 2 == pytest.approx(r["t"], rel=1e-8)
    assert "m = 20 (seed 11)" in row["note"] and "fmi = " in row["note"]
    assert "mean over the imputations" in row["note"]


def test_pool_rubin_on_stored_estimates_matches_r(reference):
    from rsnprop.data import pool_rubin

    est = reference["estimates"]
    worst = 0.0
    for name, r in reference["r"].items():
        key, estimator = name.rsplit("_", 1)
        s = est[(est.key == key) & (est.estimator == estimator)].sort_values("imputation")
        p = pool_rubin(s["estimate"].to_numpy(), s["variance"].to_numpy(),
                       df_complete=float(s["df_complete"].iloc[0]))
        for a, b in (("qbar", "qbar"), ("ubar", "ubar"), ("b", "b"), ("t", "t"), ("df", "df"),
                     ("fmi", "fmi"), ("riv", "riv")):
            worst = max(worst, abs(float(p[a]) - r[b]) / max(1.0, abs(r[b])))
    assert worst < 1e-8


def test_tost_rows_use_pooled_estimate_se_and_df(reference):
    from scipy import stats

    spec = reference["spec"]["t"]
    plan = reference["plan"]
    for key in ("P1", "P2", "joint"):
        t, p = spec["tost"][key], spec["primary"][key]
        assert t["estimate"] == pytest.approx(p["estimate"], rel=1e-12)
        if key != "joint":   # within groups: same Q_i and U_i as the primary paired t
            assert t["se"] == pytest.approx(p["se"], rel=1e-12) and t["df"] == pytest.approx(p["df"], rel=1e-12)
        b = t["bound"]
        expect = max(stats.t.sf((t["estimate"] + b) / t["se"], t["df"]),
                     stats.t.cdf((t["estimate"] - b) / t["se"], t["df"]))
        assert t["p_value"] == pytest.approx(expect, rel=1e-12)
        assert t["ci_upper"] - t["estimate"] == pytest.approx(stats.t.ppf(1 - plan.alpha, t["df"]) * t["se"])
        assert 0 < t["fmi"] < 1 and t["mi_m"] == 20


# ---------------------------------------------------------------- (3) determinism
def test_same_seed_same_bytes():
    df = synthetic_clean(150, "p1p2", 0.3, seed=4, n_rel=4, n_inf=4, missing_rate=0.15)
    plan = _mi_plan()
    a = test_propositions(df, plan, secondary=True, latent=False, seed=1)
    b = test_propositions(df, plan, secondary=True, latent=False, seed=1)
    ja = json.dumps(a.to_dict(), sort_keys=True)
    assert ja == json.dumps(b.to_dict(), sort_keys=True)
    row = a.to_dict()["propositions"]["P2"]["evidence"][0]
    assert row["role"] == "primary" and row["mi_seed"] == 5 and 0 < row["fmi"] < 1
    other = test_propositions(df, plan.with_(imputation={"m": 4, "seed": 6}), secondary=False)
    assert json.dumps(other.to_dict(), sort_keys=True) != json.dumps(
        test_propositions(df, plan, secondary=False).to_dict(), sort_keys=True)


# ---------------------------------------------------------------- (4) rank
def test_rank_estimator_with_mi_is_not_available():
    df = synthetic_clean(120, "p1p2", 0.4, seed=9, n_rel=4, n_inf=4, missing_rate=0.1)
    spec = evaluate_spec(df, _mi_plan(estimator="rank"), bayes=False)
    for key in ("P1", "P2", "joint"):
        assert spec["primary"][key]["status"] == "not_available"
        assert "no accepted rule for pooling" in spec["primary"][key]["note"]
        assert spec["tost"][key]["status"] == "not_available"
    assert set(spec["decision"]["verdicts"].values()) == {"inconclusive"}


def test_multiverse_lists_multiple_imputation():
    df = synthetic_clean(150, "p1p2", 0.5, seed=2, n_rel=4, n_inf=4, missing_rate=0.1)
    plan = _mi_plan(missing="available", multiverse={
        "born_global_definitions": ["bg_ms20"], "missing": ["available", "multiple_imputation"],
        "estimators": ["t", "rank"], "controls": [False]})
    mv = run_multiverse(df, plan)
    assert mv["n_specifications"] == 4 and mv["n_available"] == 3
    cells = {(r["missing"], r["estimator"]): r for r in mv["specifications"]}
    assert cells[("multiple_imputation", "rank")]["status"] == "not_available"
    ok = cells[("multiple_imputation", "t")]
    assert ok["status"] == "ok" and ok["n"] == 150 and "m = 4" in ok["note"]
    assert ok["verdict_P2"] == "supported"
    assert cells[("available", "t")]["n"] <= 150


def test_result_plan_records_imputation_only_when_used():
    df = synthetic_clean(100, "p1p2", 0.5, seed=1, n_rel=4, n_inf=4, missing_rate=0.1)
    plain = test_propositions(df, StudyPlan(name="x"), secondary=False).to_dict()["plan"]
    assert "imputation" not in plain
    mi = test_propositions(df, _mi_plan(), secondary=False).to_dict()["plan"]
    assert mi["imputation"] == {"m": 4, "seed": 5, "bounds": None} and mi["missing"] == "multiple_imputation"
