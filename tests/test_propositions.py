"""Proposition tests: plan, paired/interaction tests, decision rules, verdicts, CLI.

Expected values come from independent computations (scipy, statsmodels, hand formulas)
or from R (tests/reference/propositions.R -> propositions.json, see test_propositions_r.py).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.errors import InputError, PlanError
from rsnprop.propositions import StudyPlan, load_plan, plan_from_dict, test_propositions
from rsnprop.propositions.decide import decide
from rsnprop.propositions.interaction import mixed_anova_interaction, ols_interaction
from rsnprop.propositions.paired import paired_t, paired_tost
from rsnprop.propositions.synthetic import synthetic_clean

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "analysis" / "study.yaml"


# ---------------------------------------------------------------- plan
def test_study_plan_loads_and_hash_is_stable():
    a, b = load_plan(PLAN), load_plan(PLAN)
    assert a.hash == b.hash and len(a.hash) == 64
    assert a.born_global_definition == "bg_ms20"
    assert a.hypotheses["P1"].group == "traditional" and a.hypotheses["P1"].expects == "informational"
    assert a.hypotheses["P2"].group == "born_global" and a.hypotheses["P2"].expects == "relational"
    assert a.with_(alpha=0.01).hash != a.hash


def test_plan_hash_ignores_yaml_formatting(tmp_path):
    p1 = tmp_path / "a.yaml"
    p2 = tmp_path / "b.yaml"
    p1.write_text("name: x\nalpha: 0.05\n")
    p2.write_text("# comment\nalpha: 0.050\nname: 'x'\n")
    assert load_plan(p1).hash == load_plan(p2).hash


@pytest.mark.parametrize("data, param", [
    ({"name": "x", "alpha": 0.7}, "alpha"),
    ({"name": "x", "correction": "magic"}, "correction"),
    ({"name": "x", "alpah": 0.05}, "alpah"),
    ({"name": "x", "benefits": {"relational": ["a"], "informational": ["a"]}}, "benefits"),
    ({"name": "x", "hypotheses": {"P1": {"statement": "s", "group": "uppsala", "expects": "relational"}}},
     "hypotheses.P1.group"),
])
def test_bad_plan_names_parameter(data, param):
    with pytest.raises(PlanError) as info:
        plan_from_dict(data, file="plan.yaml")
    assert info.value.parameter.startswith(param)
    assert "plan.yaml" in str(info.value)


# ---------------------------------------------------------------- tests vs independent computations
def test_paired_t_matches_scipy_one_sided():
    from scipy import stats

    rng = np.random.default_rng(11)
    rel = rng.normal(4, 1, 50)
    inf = rel + rng.normal(0.3, 1, 50)
    row = paired_t(rel, inf, expects="informational")
    ref = stats.ttest_rel(inf, rel, alternative="greater")
    assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert row["p_value"] + row["p_opposite"] == pytest.approx(1.0)
    d = inf - rel
    assert row["effect_size"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert row["es_ci_lower"] < row["effect_size"] < row["es_ci_upper"]


def test_tost_is_max_of_two_one_sided_tests():
    from scipy import stats

    rng = np.random.default_rng(12)
    rel = rng.normal(4, 1, 400)
    inf = rel + rng.normal(0.0, 1, 400)
    row = paired_tost(rel, inf, expects="relational", sesoi_value=0.3, sesoi_unit="raw")
    d = rel - inf
    p_lo = stats.ttest_1samp(d, -0.3, alternative="greater").pvalue
    p_hi = stats.ttest_1samp(d, 0.3, alternative="less").pvalue
    assert row["p_value"] == pytest.approx(max(p_lo, p_hi), rel=1e-10)
    assert row["p_value"] < 0.05  # 400 pairs with no difference: equivalent within 0.3


def test_ols_interaction_equals_mixed_anova_interaction():
    df = synthetic_clean(120, "p1p2", 0.3, seed=4)
    from rsnprop.propositions.prepare import analysis_frame

    frame, _ = analysis_frame(df, StudyPlan(name="x"))
    ols = ols_interaction(frame, cov_type="nonrobust")
    aov = mixed_anova_interaction(frame)
    assert ols["statistic"] ** 2 == pytest.approx(aov["statistic"], rel=1e-8)
    assert ols["p_value"] == pytest.approx(aov["p_value"], rel=1e-6)


def test_hc3_matches_hand_formula():
    import statsmodels.api as sm  # noqa: F401  (only to be sure it is importable)

    df = synthetic_clean(90, "p1p2", 0.4, seed=5)
    from rsnprop.propositions.prepare import analysis_frame

    frame, _ = analysis_frame(df, StudyPlan(name="x"))
    row = ols_interaction(frame, cov_type="HC3")
    X = np.column_stack([np.ones(len(frame)), frame["bg"].to_numpy(float)])
    y = frame["D"].to_numpy(float)
    XtXi = np.linalg.inv(X.T @ X)
    b = XtXi @ X.T @ y
    e = y - X @ b
    h = np.einsum("ij,jk,ik->i", X, XtXi, X)
    meat = X.T @ (X * (e ** 2 / (1 - h) ** 2)[:, None])
    V = XtXi @ meat @ XtXi
    assert row["estimate"] == pytest.approx(b[1], rel=1e-10)
    assert row["se"] == pytest.approx(math.sqrt(V[1, 1]), rel=1e-10)


# ---------------------------------------------------------------- decision rules
def _rows(p1, p2, pj):
    mk = lambda p: {"p_value": p, "p_opposite": 1 - p, "status": "ok"}  # noqa: E731
    return {"P1": mk(p1), "P2": mk(p2), "joint": mk(pj)}


def test_decision_rules_table():
    no_eq = {k: {"p_value": 0.9, "status": "ok"} for k in ("P1", "P2", "joint")}
    out = decide(_rows(0.001, 0.02, 0.001), no_eq)
    assert out["verdicts"] == {"P1": "supported", "P2": "supported", "joint": "supported"}
    # Holm: second smallest p compared at alpha/2 = 0.025 after the first, so 0.04 fails
    out = decide(_rows(0.001, 0.04, 0.001), no_eq)
    assert out["p_corrected"]["P2"] == pytest.approx(0.04 * 1)  # largest of three: x1
    out = decide(_rows(0.001, 0.03, 0.04), no_eq)
    assert out["p_corrected"]["P2"] == pytest.approx(0.06)
    assert out["verdicts"]["P2"] == "inconclusive" and out["verdicts"]["joint"] == "inconclusive"
    out = decide(_rows(0.9999, 0.5, 0.5), no_eq)
    assert out["verdicts"]["P1"] == "contradicted" and out["verdicts"]["joint"] == "contradicted"
    eq = dict(no_eq, P2={"p_value": 0.001, "status": "ok"})
    assert decide(_rows(0.3, 0.4, 0.5), eq)["verdicts"]["P2"] == "equivalent"
    missing = _rows(0.001, 0.001, 0.001)
    missing["P2"] = {"status": "not_available"}
    out = decide(missing, no_eq)
    assert out["verdicts"]["P2"] == "inconclusive" and out["verdicts"]["joint"] == "inconclusive"
    assert out["p_corrected"]["P1"] == pytest.approx(0.002)  # family of the two runnable tests


# ---------------------------------------------------------------- verdicts on known truth
@pytest.mark.parametrize("scenario, expected", [
    ("p1p2", {"P1": "supported", "P2": "supported", "joint": "supported"}),
    ("reversed", {"P1": "contradicted", "P2": "contradicted", "joint": "contradicted"}),
])
def test_verdicts_on_synthetic_truth(scenario, expected):
    df = synthetic_clean(300, scenario, 0.5, seed=21)
    res = test_propositions(df, StudyPlan(name="x"), secondary=False)
    assert res.verdicts == expected


def test_null_rarely_supported_few_reps():
    plan = StudyPlan(name="x")
    hits = 0
    for s in range(12):
        res = test_propositions(synthetic_clean(300, "null", 0.5, seed=100 + s), plan, secondary=False)
        hits += any(v == "supported" for v in res.verdicts.values())
    assert hits <= 3  # expected ~ 0.05 x 12; the 500-run rate is measured in bench/


def test_result_json_contract_and_determinism():
    df = synthetic_clean(200, "p1p2", 0.5, seed=8)
    plan = load_plan(PLAN)
    a = test_propositions(df, plan, latent=False, multiverse=False)
    b = test_propositions(df, plan, latent=False, multiverse=False)
    assert a.to_json() == b.to_json()
    d = json.loads(a.to_json())
    assert d["plan_hash"] == plan.hash
    assert plan.multiverse.enabled and d["multiverse"] is None  # multiverse=False overrides the plan
    for key in ("plan", "n", "verdicts", "propositions", "joint", "auxiliary", "continuous",
                "descriptives", "effects", "multiverse", "warnings", "question", "caveats"):
        assert key in d
    # simulated with P1 and P2 true (d = 0.5 within groups): the verdicts the data were made for
    assert d["verdicts"] == {"P1": "supported", "P2": "supported", "joint": "supported"}
    for p in ("P1", "P2"):
        roles = [r["role"] for r in d["propositions"][p]["evidence"]]
        assert roles[:2] == ["primary", "equivalence"]
    groups = {(r["group"], r["benefit"]) for r in d["descriptives"]}
    assert ("born_global", "relational") in groups and ("traditional", "informational") in groups
    assert all(r["es_ci_lower"] is None or r["es_ci_lower"] <= r["effect_size"] <= r["es_ci_upper"]
               for r in d["effects"])
    assert set(d["auxiliary"]) == {"A1", "A2"}


def test_missing_born_global_column_is_input_error():
    df = synthetic_clean(60, "p1p2", 0.5, seed=9).drop(columns=["bg_ms20"])
    with pytest.raises(InputError) as info:
        test_propositions(df, StudyPlan(name="x"))
    assert info.value.column == "bg_ms20"


def test_small_group_gives_inconclusive_not_crash():
    df = synthetic_clean(60, "p1p2", 0.5, seed=10, share_born_global=0.05)
    res = test_propositions(df, StudyPlan(name="x", min_group_size=10), latent=False)
    assert res.verdicts["P2"] == "inconclusive"
    assert res.verdicts["joint"] == "inconclusive"


def test_missing_latent_module_is_flagged_row(monkeypatch):
    import rsnprop.propositions.latent as latent

    df = synthetic_clean(80, "p1p2", 0.5, seed=12)
    row = latent.latent_interaction(df.assign(g=df.bg_ms20), relational_items=["rel_1", "rel_2"],
                                    informational_items=["inf_1", "inf_2"], group="g",
                                    required="strict")
    assert row["status"] in ("ok", "not_interpretable", "not_available", "failed")

    def boom(*a, **k):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(latent, "_get_invariance", lambda: boom)
    row = latent.latent_interaction(df.assign(g=df.bg_ms20), relational_items=["rel_1", "rel_2"],
                                    informational_items=["inf_1", "inf_2"], group="g")
    assert row["status"] == "failed" and "solver exploded" in row["note"]
    monkeypatch.setattr(latent, "_get_invariance", lambda: None)
    row = latent.latent_interaction(df.assign(g=df.bg_ms20), relational_items=["rel_1", "rel_2"],
                                    informational_items=["inf_1", "inf_2"], group="g")
    assert row["status"] == "not_available"


# ---------------------------------------------------------------- CLI
def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "rsnprop", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("prop") / "clean.parquet"
    synthetic_clean(300, "p1p2", 0.5, seed=31).to_parquet(p)
    return p


def test_cli_json_and_output_file(clean_file, tmp_path):
    out = tmp_path / "propositions.json"
    r = _cli("test", clean_file, "--plan", PLAN, "-o", out, "--json", "--no-latent")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["verdicts"] == {"P1": "supported", "P2": "supported", "joint": "supported"}
    assert json.loads(out.read_text()) == d
    # the plan enables the multiverse (3 definitions x 3 careless rules x 3 missing-data methods
    # x 3 estimators x 2 x 3 non-invariance policies); without the raw export the re-cleaning
    # rules are not available, and the rank estimator has no pooling rule under multiple
    # imputation: (18 + 18 + 12) x 3 specifications (available, complete cases, imputed) of the
    # as-cleaned rule remain
    mv = d["multiverse"]
    assert mv["n_specifications"] == 486 and mv["n_available"] == 144
    assert mv["dimensions"]["measurement_policy"] == ["partial", "inconclusive", "report_only"]
    assert mv["share_supported"]["joint"] is not None
    # the text output is the result's summary (same-bytes output is checked in-process above)
    res = test_propositions(pd.read_parquet(clean_file), load_plan(PLAN), latent=False,
                            source=clean_file.name, multiverse=False)
    mine = json.loads(res.to_json())
    assert {k: v for k, v in mine.items() if k not in ("multiverse", "caveats")} == \
        {k: v for k, v in d.items() if k not in ("multiverse", "caveats")}
    assert set(mine["caveats"]) < set(d["caveats"])  # + the multiverse agreement line
    assert "P1: SUPPORTED" in res.summary()


def test_cli_bad_input_exits_2_with_one_line(clean_file, tmp_path):
    r = _cli("test", tmp_path / "nope.parquet", "--plan", PLAN)
    assert r.returncode == 2 and "nope.parquet" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nalpha: 2\n")
    r = _cli("test", clean_file, "--plan", bad)
    assert r.returncode == 2 and "alpha" in r.stderr and "Traceback" not in r.stderr
    other = tmp_path / "other.yaml"
    other.write_text("name: x\nborn_global_definition: bg_nope\n")
    r = _cli("test", clean_file, "--plan", other, "--json")
    assert r.returncode == 2 and "bg_nope" in r.stderr
    assert json.loads(r.stdout)["column"] == "bg_nope"


# ---------------------------------------------------------------- corrections and multiverse
@pytest.mark.parametrize("method", ["holm", "bonferroni", "sidak", "holm-sidak", "fdr_bh"])
def test_own_p_adjust_matches_statsmodels(method):
    from statsmodels.stats.multitest import multipletests

    from rsnprop.sem.scoretest import p_adjust

    rng = np.random.default_rng(3)
    for _ in range(6):
        p = list(rng.random(int(rng.integers(2, 6))) ** 3)
        assert p_adjust(p, method) == pytest.approx(list(multipletests(p, method=method)[1]))


def test_multiverse_grid_shares_and_not_available_cells():
    from rsnprop.propositions.multiverse import run_multiverse

    plan = load_plan(PLAN).with_(multiverse={
        "born_global_definitions": ["bg_ms20", "bg_nope"],
        "careless": [{"name": "as_cleaned"}, {"name": "strict", "cleaning": {"careless": {"min_index_flags": 1}}}],
        "missing": ["available", "complete_cases"], "estimators": ["t", "rank"], "controls": [False, True]})
    df = synthetic_clean(200, "p1p2", 0.5, seed=41)
    mv = run_multiverse(df, plan)
    assert mv["n_specifications"] == 2 * 2 * 2 * 2 * 2
    ok = [s for s in mv["specifications"] if s["status"] == "ok"]
    assert mv["n_available"] == len(ok) == 8  # bg_nope and the re-cleaning rule (no raw) are n/a
    assert sum(s["primary"] for s in mv["specifications"]) == 1
    shares = mv["share"]["P1"]
    assert sum(v for v in shares.values()) == pytest.approx(1.0)
    assert mv["share_supported"]["P1"] == pytest.approx(
        sum(s["verdict_P1"] == "supported" for s in ok) / len(ok))
    est = [s["estimate_joint"] for s in mv["specifications"] if s["estimate_joint"] is not None]
    assert est == sorted(est)
    primary = next(s for s in mv["specifications"] if s["primary"])
    res = test_propositions(df, plan, secondary=False)
    assert primary["verdict_P1"] == res.verdicts["P1"] and primary["verdict_joint"] == res.verdicts["joint"]


def test_plan_cleaning_sections_validated_by_cleaning_rules():
    with pytest.raises(PlanError) as info:
        plan_from_dict({"name": "x", "cleaning": {"careless": {"min_index_flags": 0}}})
    assert info.value.parameter.startswith("cleaning.careless.min_index_flags")
    with pytest.raises(PlanError) as info:
        plan_from_dict({"name": "x", "multiverse": {"careless": [
            {"name": "odd", "cleaning": {"careless": {"no_such_rule": 1}}}]}})
    assert info.value.parameter.startswith("multiverse.careless.odd.cleaning.careless")


@pytest.mark.parametrize("module", ["plan", "prepare", "paired", "interaction", "continuous",
                                    "constant_sum", "decide", "effect_sizes", "auxiliary",
                                    "synthetic", "latent", "multiverse", "evaluate"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"rsnprop.propositions.{module}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


def test_single_hypothesis_plan_has_no_joint():
    plan = plan_from_dict({"name": "only P2", "hypotheses": {"P2": {
        "statement": "born globals lean relational", "group": "born_global", "expects": "relational"}}})
    res = test_propositions(synthetic_clean(150, "p1p2", 0.5, seed=3), plan, secondary=False)
    assert res.verdicts == {"P2": "supported"}
    assert res.to_dict()["joint"] is None


def test_statistical_trouble_is_warning_and_string():
    from rsnprop.errors import EmptyCellWarning

    df = synthetic_clean(60, "p1p2", 0.5, seed=10, share_born_global=0.05)
    with pytest.warns(EmptyCellWarning):
        res = test_propositions(df, StudyPlan(name="x"), latent=False)
    assert any("P2: primary test not run" in w for w in res.warnings)


def test_multiverse_recleans_raw_with_merged_rules(monkeypatch):
    import rsnprop.data as data_mod
    from rsnprop.propositions.multiverse import run_multiverse

    seen = []

    class Cleaned:
        def __init__(self, df):
            self.data = df

    def fake_clean(raw, instrument, rules, *, source=None, diagnostics=True):
        assert diagnostics is False           # the multiverse uses the data only
        seen.append((source, rules))
        return Cleaned(raw.iloc[: len(raw) - 10])  # a stricter rule drops some firms

    monkeypatch.setattr(data_mod, "clean", fake_clean, raising=False)
    plan = load_plan(PLAN).with_(multiverse={
        "born_global_definitions": ["bg_ms20"], "missing": ["available"], "estimators": ["t"],
        "controls": [False],
        "careless": [{"name": "as_cleaned"}, {"name": "strict", "cleaning": {"careless": {"min_index_flags": 1}}}]})
    df = synthetic_clean(200, "p1p2", 0.5, seed=43)
    mv = run_multiverse(df, plan, raw=df, instrument=object())
    assert [s for s, _ in seen] == ["multiverse:strict"]
    rules = seen[0][1]
    assert rules["careless"]["min_index_flags"] == 1
    assert rules["careless"]["max_failed_attention"] == plan.cleaning["careless"]["max_failed_attention"]
    by_rule = {s["careless"]: s for s in mv["specifications"]}
    assert by_rule["as_cleaned"]["n"] == 200 and by_rule["strict"]["n"] == 190


def test_caveats_state_detectable_effect_from_group_size():
    from scipy import stats

    res = test_propositions(synthetic_clean(200, "p1p2", 0.5, seed=44), StudyPlan(name="x"),
                            secondary=False)
    n1 = res.propositions["P1"]["n"]
    z = stats.norm.ppf(1 - 0.05 / 3) + stats.norm.ppf(0.8)
    assert f"d_z = {z / math.sqrt(n1):.2f}" in res.caveats()[0]


def test_decision_rules_properties():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from rsnprop.propositions.decide import adjust

    p = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

    @settings(max_examples=120, deadline=None)
    @given(p1=p, p2=p, pj=p, e1=p, e2=p, ej=p)
    def check(p1, p2, pj, e1, e2, ej):
        rows = {"P1": {"p_value": p1, "p_opposite": 1 - p1, "status": "ok"},
                "P2": {"p_value": p2, "p_opposite": 1 - p2, "status": "ok"},
                "joint": {"p_value": pj, "p_opposite": 1 - pj, "status": "ok"}}
        tost = {"P1": {"p_value": e1, "status": "ok"}, "P2": {"p_value": e2, "status": "ok"},
                "joint": {"p_value": ej, "status": "ok"}}
        out = decide(rows, tost)
        adj = adjust({"P1": p1, "P2": p2, "joint": pj})
        for k, raw in (("P1", p1), ("P2", p2), ("joint", pj)):
            assert raw <= adj[k] + 1e-12 <= 1 + 1e-12          # never below the raw p, never above 1
            assert adj[k] <= min(1.0, 3 * raw) + 1e-12            # never above Bonferroni
        for k in ("P1", "P2"):
            v = out["verdicts"][k]
            assert (v == "supported") == (out["p_corrected"][k] < 0.05)
        if out["verdicts"]["joint"] == "supported":
            assert out["verdicts"]["P1"] == out["verdicts"]["P2"] == "supported"

    check()


def test_effects_for_forest_plot_share_one_scale():
    res = test_propositions(synthetic_clean(200, "p1p2", 0.5, seed=45), StudyPlan(name="x"), latent=False)
    names = {e["effect_size_name"] for e in res.effects}
    assert names and names <= {"dz", "Hedges g", "d (coef / residual SD)"}
    assert {e["proposition"] for e in res.effects} == {"P1", "P2", "joint"}


def test_latent_gate_not_interpretable_without_scalar_invariance():
    from rsnprop.propositions.latent import latent_interaction

    df = synthetic_clean(300, "p1p2", 0.5, seed=9, n_rel=4, n_inf=4)
    bg = df.bg_ms20 == 1
    df.loc[bg, "rel_1"] += 1.2  # intercept bias (DIF) in two items for born globals
    df.loc[bg, "inf_2"] -= 1.2
    kw = dict(relational_items=[f"rel_{i}" for i in range(1, 5)],
              informational_items=[f"inf_{i}" for i in range(1, 5)], group="bg_ms20")
    row = latent_interaction(df, **kw)
    assert row["status"] == "not_interpretable" and row["estimate"] is None
    assert "scalar" in row["note"]
    row = latent_interaction(df, required="partial_scalar", **kw)
    assert row["status"] == "ok"
    assert "rel_1~1" in row["note"] and "inf_2~1" in row["note"]  # the biased intercepts are freed
    assert row["ci_lower"] < row["estimate"] < row["ci_upper"]


def test_multiverse_refuses_a_raw_export_of_other_firms():
    from rsnprop.propositions.multiverse import run_multiverse

    plan = load_plan(PLAN).with_(multiverse={
        "born_global_definitions": ["bg_ms20"], "missing": ["available"], "estimators": ["t"],
        "controls": [False],
        "careless": [{"name": "as_cleaned"}, {"name": "strict", "cleaning": {"careless": {"min_index_flags": 1}}}]})
    df = synthetic_clean(120, "p1p2", 0.5, seed=46)
    other = df.assign(resp_id=[f"X{i}" for i in range(len(df))])
    mv = run_multiverse(df, plan, raw=other, instrument=object())
    strict = next(s for s in mv["specifications"] if s["careless"] == "strict")
    assert strict["status"] == "not_available" and "respondents" in strict["note"]
    assert plan.inputs.raw.endswith("example_raw.csv")
