"""The panel hypotheses C1-C3: observed tests equal R, decision rules on hand-built rows, small
groups give not_available rows (never a crash), and simulated panels get the right verdicts.

Reference values: tests/reference/panel_hypotheses.R (R 4.2: t.test, lm, p.adjust) on
tests/data/panel/hyp_wave1.csv, hyp_wave2.csv (tests/data/panel/make_panel_hypotheses.py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rsnprop
from rsnprop.errors import InputError, PlanError
from rsnprop.panel import link_waves, panel_verdicts, test_panel
from rsnprop.panel.hypotheses import observed_rows
from rsnprop.panel.verdicts import panel_decide
from rsnprop.propositions.plan import StudyPlan
from rsnprop.schemas import validate_result

HERE = Path(__file__).parent
DATA = HERE / "data" / "panel"
REF = json.loads((HERE / "reference" / "panel_hypotheses.json").read_text())
TOL = 1e-8


def _plan(**panel):
    return StudyPlan(name="t", panel={"key": "firm", "waves": [{"label": "2013", "raw": "a"},
                                                               {"label": "2014", "raw": "b"}],
                                      **panel})


@pytest.fixture(scope="module")
def link():
    read = lambda f: pd.read_csv(DATA / f, dtype={"firm": "string", "phase": "string"})  # noqa: E731
    return link_waves({"2013": read("hyp_wave1.csv"), "2014": read("hyp_wave2.csv")}, "firm",
                      salt="s")


@pytest.fixture(scope="module")
def rows(link):
    return observed_rows(link, _plan())


def _close(row, ref, keys):
    for k in keys:
        assert row[k] == pytest.approx(ref[k], rel=TOL, abs=TOL), k


WELCH = ("estimate", "se", "statistic", "df", "p_value", "p_opposite", "ci_lower", "ci_upper",
         "p_tost")


@pytest.mark.parametrize("hyp", ["C1", "C2"])
def test_welch_hypotheses_equal_r(rows, hyp):
    row = rows[hyp][0]
    assert row["role"] == "primary" and row["version"] == "observed" and row["status"] == "ok"
    _close(row, REF[hyp], WELCH)
    assert row["sesoi_bound"] == pytest.approx(REF[hyp]["bound"], rel=TOL)
    assert (row["n"], row["n_total"]) == (REF[hyp]["n"], REF["n_first"])
    assert row["p_sided"] == "one-sided" and row["ci_label"] == "95 % CI, two-sided"
    assert row["ci_level"] == 0.95


def test_change_within_groups_equal_r(rows):
    by = {r["group"]: r for r in rows["C1"] if r["role"] == "descriptive"}
    for name, key in (("born globals", "C1_group1"), ("traditional", "C1_group0")):
        _close(by[name], REF[key], ("estimate", "statistic", "df", "p_value", "ci_lower", "ci_upper"))
        assert by[name]["n"] == REF[key]["n"] and by[name]["p_sided"] == "two-sided"


def test_cross_lagged_paths_equal_r(rows):
    fwd, rev = rows["C3"]
    assert (fwd["role"], rev["role"]) == ("primary", "reverse")
    _close(fwd, REF["C3"], ("estimate", "se", "statistic", "df", "p_value", "p_opposite",
                            "ci_lower", "ci_upper", "p_tost"))
    assert fwd["effect_size"] == pytest.approx(REF["C3"]["std"], rel=TOL)
    assert fwd["sesoi_bound"] == pytest.approx(REF["C3"]["bound"], rel=TOL)
    _close(rev, REF["C3_reverse"], ("estimate", "se", "statistic", "df", "p_value", "ci_lower",
                                    "ci_upper"))
    assert rev["p_sided"] == "two-sided" and rev["p_opposite"] is None
    assert fwd["n"] == REF["C3"]["n"] and rev["n"] == REF["C3_reverse"]["n"]


def test_holm_family_equals_r(link):
    out = panel_verdicts(link, _plan())
    for hyp in ("C1", "C2", "C3"):
        prim = out["hypotheses"][hyp]["evidence"][0]
        assert prim["p_corrected"] == pytest.approx(REF["holm"]["p_value"][hyp], rel=TOL)
        assert prim["p_opposite_corrected"] == pytest.approx(REF["holm"]["p_opposite"][hyp], rel=TOL)
        assert prim["p_tost_corrected"] == pytest.approx(REF["holm"]["p_tost"][hyp], rel=TOL)
    # C1 p = .0137 (Holm x2 = .027), C2 p < .001, C3 TOST p = .040 (Holm x1 ... ) per R's numbers
    expect = {h: ("supported" if REF["holm"]["p_value"][h] < 0.05 else
                  "contradicted" if REF["holm"]["p_opposite"][h] < 0.05 else
                  "equivalent" if REF["holm"]["p_tost"][h] < 0.05 else "inconclusive")
              for h in ("C1", "C2", "C3")}
    assert out["verdicts"] == expect
    assert out["verdicts"]["C1"] == "supported" and out["verdicts"]["C2"] == "supported"
    assert out["n"] == {"first_wave": 150, "linked": 82, "analysed": {"C1": 82, "C2": 82, "C3": 82}}


def _r(p, p_opp=None, tost=0.9, status="ok"):
    return [{"role": "primary", "status": status, "p_value": p,
             "p_opposite": p_opp if p_opp is not None or p is None else 1 - p, "p_tost": tost, "estimate": 0.1,
             "n": 50, "n_total": 60, "note": "too few" if status != "ok" else ""}]


def test_decision_rules_first_rule_that_applies():
    rows = {"C1": _r(0.01), "C2": _r(0.9, 0.001), "C3": _r(0.5, 0.5, tost=0.001)}
    out = panel_decide(rows, alpha=0.05)
    assert out["verdicts"] == {"C1": "supported", "C2": "contradicted", "C3": "equivalent"}
    assert rows["C1"][0]["p_corrected"] == pytest.approx(0.03)          # Holm: 0.01 x 3
    assert out["reasons"]["C1"].startswith("Holm-corrected one-sided p = 0.03 < 0.05")
    assert "n = 50 of 60" in out["reasons"]["C1"]
    # a small p alone is not enough once Holm multiplies it: 0.02 x 3 = 0.06
    out = panel_decide({"C1": _r(0.02), "C2": _r(0.5), "C3": _r(0.5)}, alpha=0.05)
    assert out["verdicts"]["C1"] == "inconclusive"
    out = panel_decide({"C1": _r(0.02), "C2": _r(0.5), "C3": _r(0.5)}, alpha=0.05,
                       correction="none")
    assert out["verdicts"]["C1"] == "supported" and "uncorrected" in out["reasons"]["C1"]


def test_a_test_that_could_not_run_is_inconclusive_and_leaves_the_family():
    rows = {"C1": _r(0.02), "C2": _r(None, None, None, status="not_available"), "C3": _r(0.5)}
    out = panel_decide(rows)
    assert out["verdicts"]["C2"] == "inconclusive"
    assert "could not be run" in out["reasons"]["C2"] and "too few" in out["reasons"]["C2"]
    assert rows["C1"][0]["p_corrected"] == pytest.approx(0.04)          # Holm over 2 tests


def test_reverse_and_latent_rows_never_decide():
    rows = {"C3": [{"role": "reverse", "status": "ok", "p_value": 1e-9, "p_opposite": None},
                   {"role": "latent", "status": "ok", "p_value": 1e-9, "p_opposite": 1.0},
                   *_r(0.4)]}
    assert panel_decide(rows)["verdicts"]["C3"] == "inconclusive"


def test_tiny_groups_give_not_available_rows_not_a_crash(link):
    data = link.data.copy()
    data["bg_ms20"] = np.where(data.index % 60 == 0, 1, 0)          # 2-3 born globals only
    data["phase"] = "2"                                              # nobody moves
    small = link.__class__(data=data, waves=link.waves, key=link.key, counts=link.counts)
    out = panel_verdicts(small, _plan())
    c1, c2 = out["hypotheses"]["C1"]["evidence"][0], out["hypotheses"]["C2"]["evidence"][0]
    assert c1["status"] == "not_available" and "at least 3" in c1["note"]
    assert c2["status"] == "not_available" and c2["n"] == 82
    assert out["verdicts"]["C1"] == out["verdicts"]["C2"] == "inconclusive"
    assert out["hypotheses"]["C3"]["evidence"][0]["status"] == "ok"


def test_missing_columns_and_plans_are_named(link):
    with pytest.raises(InputError) as err:
        panel_verdicts(link, _plan(approach_column="score_speed"))
    assert err.value.column == "score_speed"
    with pytest.raises(PlanError, match="no 'panel:' section"):
        panel_verdicts(link, StudyPlan(name="x"))


def test_full_result_labels_latent_rows_and_follows_its_schema(link):
    res = test_panel(link, _plan(multiverse={"born_global_definitions": ["bg_ms20", "bg_true"]}))
    doc = json.loads(json.dumps(rsnprop.results.jsonsafe(res.to_dict())))
    model = validate_result(doc, expect="panel_propositions")
    assert model.plan_hash == _plan().hash or len(model.plan_hash) == 64
    latent = [r for h in doc["hypotheses"].values() for r in h["evidence"] if r["role"] == "latent"]
    assert latent and all(r["status"] == "not_available" and r["estimate"] is None for r in latent)
    assert doc["invariance"]["latent_allowed"] is False
    mv = doc["multiverse"]
    assert [(r["bg_definition"], r["missing"], r["version"], r["status"]) for r in mv["rows"]][:3] == [
        ("bg_ms20", "available", "observed", "ok"), ("bg_ms20", "complete_cases", "observed", "ok"),
        ("bg_true", "available", "observed", "not_available")]
    assert "bg_true" in mv["rows"][2]["note"]
    assert mv["summary"]["C1"]["n_specs"] == 8 and mv["summary"]["C1"]["n_run"] == 2
    observed = doc["cross_lagged"]["observed"]
    assert {p["lhs"] for p in observed["ols"]["paths"]} == {"D_2", "X_2"}
    assert {"lean_t2", "score_intl_approach_t2"} <= {p["lhs"] for p in observed["paths"]}
    assert all("latent versions not computed" in r["note"] for r in latent)  # no item columns
    assert doc["cross_lagged"]["latent"] is None
    assert "C1 (change_by_group): SUPPORTED" in res.summary()


INS = rsnprop.load_instrument()


def _simulated(change, n=260, seed=3):
    from rsnprop.simulate.panel import simulate_panel

    exports = simulate_panel(INS, n=n, seed=seed, change=change, attrition=0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = {str(2013 + i): rsnprop.clean(raw, INS).data for i, raw in enumerate(exports)}
    link = link_waves(clean, "resp_id", salt="t")
    return panel_verdicts(link, _plan(key="resp_id"))


def test_simulated_change_is_supported_and_no_change_is_not():
    # simulated: the relational factor rises by 0.6 for born globals and 0.5 for phase movers,
    # plus a random change of every firm (Holm-corrected p of C1 about .003 at n = 260, seed 3)
    change = _simulated("change")
    assert change["verdicts"]["C1"] == "supported" and change["verdicts"]["C2"] == "supported"
    assert change["hypotheses"]["C1"]["evidence"][0]["p_corrected"] < 0.01
    # Holm keeps a false "supported" among C1-C3 to at most 5 % of samples (3.2 % measured by
    # the panel power benchmark at N = 400); seed 3 is not such a sample
    none = _simulated("none")
    assert "supported" not in none["verdicts"].values(), none["verdicts"]
    assert abs(none["estimates"]["C1"]) < 0.15


PLAN_YAML = """name: t
panel:
  key: firm
  waves: [{label: "2013", raw: w1.csv}, {label: "2014", raw: w2.csv}]
  attrition: {variables: [score_relational, bg_ms20], categorical: [bg_ms20]}
  multiverse: {born_global_definitions: [bg_ms20], versions: [observed]}
"""


def _cli(*args, cwd):
    from conftest import run_rsnprop

    # this checkout's rsnprop, whatever the working directory
    return run_rsnprop("panel", *args, cwd=cwd, timeout=120,
                       env={"RSNPROP_PANEL_SALT": "s", "PYTHONPATH": str(HERE.parent)})


@pytest.fixture()
def folder(tmp_path):
    for f in ("hyp_wave1.csv", "hyp_wave2.csv"):
        (tmp_path / f).write_bytes((DATA / f).read_bytes())
    (tmp_path / "plan.yaml").write_text(PLAN_YAML, encoding="utf-8")
    return tmp_path


def test_cli_writes_the_verdicts_with_the_plan_settings(folder):
    r = _cli("hyp_wave1.csv", "hyp_wave2.csv", "--plan", "plan.yaml", "--verdicts", "v.json",
             "-o", "p.csv", "--log", "log.json", cwd=folder)
    assert r.returncode == 0, r.stderr
    doc = json.loads((folder / "v.json").read_text())
    model = validate_result(doc, expect="panel_propositions")
    from rsnprop.propositions import load_plan

    assert model.plan_hash == load_plan(folder / "plan.yaml").hash
    assert doc["waves"] == ["2013", "2014"] and doc["verdicts"]["C1"] == "supported"
    assert doc["n"]["analysed"] == {"C1": 82, "C2": 82, "C3": 82}
    log = json.loads((folder / "log.json").read_text())   # key, labels, attrition, lean from the plan
    assert log["link"]["key"] == "firm" and log["link"]["waves"] == ["2013", "2014"]
    assert [v["variable"] for v in log["attrition"]["profile"]] == ["score_relational", "bg_ms20"]
    assert log["change"]["tests"][-1]["question"].startswith("stage")
    assert "C1 (change_by_group): SUPPORTED" in r.stdout


def test_cli_explicit_options_win_over_the_plan(folder):
    r = _cli("hyp_wave1.csv", "hyp_wave2.csv", "--plan", "plan.yaml", "--labels", "a,b",
             "--variables", "score_informational", "-o", "p.csv", "--log", "log.json", cwd=folder)
    assert r.returncode == 0, r.stderr
    log = json.loads((folder / "log.json").read_text())
    assert log["link"]["waves"] == ["a", "b"]
    assert [v["variable"] for v in log["attrition"]["profile"]] == ["score_informational"]


@pytest.mark.parametrize("plan_text, extra, needle", [
    ("name: t\n", [], "no 'panel:' section"),
    (PLAN_YAML.replace("  multiverse:", "  approach_column: score_speed\n  multiverse:"), [],
     "column 'score_speed': no such column in the panel"),
    (PLAN_YAML.replace("key: firm", "key: firm_id"), [], "firm_id"),
    (PLAN_YAML.replace("test: stage", "test: x") + "  hypotheses: {C1: {statement: s, test: x}}\n",
     [], "unknown hypothesis test 'x'"),
])
def test_cli_bad_plans_exit_2_with_a_clear_message(folder, plan_text, extra, needle):
    (folder / "plan.yaml").write_text(plan_text, encoding="utf-8")
    r = _cli("hyp_wave1.csv", "hyp_wave2.csv", "--plan", "plan.yaml", "--verdicts", "v.json",
             "-o", "p.csv", *extra, cwd=folder)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert not (folder / "v.json").exists() and not (folder / "p.csv").exists()


def test_cli_verdicts_need_a_plan_and_linking_needs_a_key(folder):
    r = _cli("hyp_wave1.csv", "hyp_wave2.csv", "--key", "firm", "--verdicts", "v.json",
             "-o", "p.csv", cwd=folder)
    assert r.returncode == 2 and "'--verdicts'" in r.stderr and "needs --plan" in r.stderr
    r = _cli("hyp_wave1.csv", "hyp_wave2.csv", "-o", "p.csv", cwd=folder)
    assert r.returncode == 2 and "'--key'" in r.stderr and "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def items_link():
    waves = {w: pd.read_csv(DATA / f"items_w{i}.csv", dtype={"firm": "string"})
             for i, w in ((1, "2013"), (2, "2014"))}
    return link_waves(waves, "firm", salt="s")


def _items_plan(**panel):
    return StudyPlan(name="t", born_global_definition="bg",
                     panel={"key": "firm", "approach_column": "approach",
                            "waves": [{"label": "2013", "raw": "a"}, {"label": "2014", "raw": "b"}],
                            "multiverse": {"born_global_definitions": ["bg"], "missing": ["available"]},
                            **panel})


def test_latent_rows_are_the_latent_models_of_the_plan(items_link):
    """The wiring: each hypothesis gets the latent model of its test, fitted on the plan's
    columns (tests/test_panel_latent.py checks the models against lavaan)."""
    from rsnprop.panel.clpm import cross_lagged
    from rsnprop.panel.latent import latent_change_rows, longitudinal_benefit_invariance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = test_panel(items_link, _items_plan(required_invariance="configural")).to_dict()
        items = {"relational": [f"rel_{i}" for i in range(1, 5)],
                 "informational": [f"inf_{i}" for i in range(1, 5)]}
        gate = longitudinal_benefit_invariance(items_link, items, required="configural")
        c1 = latent_change_rows(items_link, items, "bg", hypothesis="C1", gate=gate)[0]
        c2 = latent_change_rows(items_link, items, "phase", hypothesis="C2", moved=True, gate=gate)[0]
        c3 = cross_lagged(items_link, "approach", version="latent", items=items, gate=gate)["rows"]
    assert res["invariance"]["latent_allowed"] is True
    for label, expected in (("C1", [c1]), ("C2", [c2]), ("C3", c3)):
        got = [r for r in res["hypotheses"][label]["evidence"] if r["version"] == "latent"]
        assert [(r["role"], r["status"]) for r in got] == [(e["role"], e["status"]) for e in expected]
        for r, e in zip(got, expected):
            assert r["estimate"] == pytest.approx(e["estimate"], rel=1e-10), label
    # verdicts stay those of the observed rows
    assert res["verdicts"] == panel_verdicts(items_link, _items_plan())["verdicts"]
    latent_specs = [r for r in res["multiverse"]["rows"] if r["version"] == "latent"]
    assert latent_specs and latent_specs[0]["estimates"]["C1"] == pytest.approx(c1["estimate"])


def test_latent_rows_are_gated_by_longitudinal_invariance(items_link):
    data = items_link.data.copy()
    data.loc[data["wave"] == "2014", "rel_1"] += 1.5        # one item reads higher at wave 2
    shifted = items_link.__class__(data=data, waves=items_link.waves, key=items_link.key,
                                   counts=items_link.counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = test_panel(shifted, _items_plan(), multiverse=False).to_dict()
    level = {k: c["level"] for k, c in res["invariance"]["constructs"].items()}
    assert level["relational"] in ("configural", "metric"), level
    assert res["invariance"]["latent_allowed"] is False
    latent = [r for h in res["hypotheses"].values() for r in h["evidence"] if r["version"] == "latent"]
    assert latent and all(r["status"] == "not_available" for r in latent)
    assert all("level reached" in r["note"] for r in latent)


def test_complete_cases_leave_out_firms_with_an_unanswered_item(items_link):
    items = [f"{k}_{i}" for k in ("rel", "inf") for i in range(1, 5)]
    w1, w2 = (pd.read_csv(DATA / f"items_w{i}.csv") for i in (1, 2))
    full = set(w1.firm[w1[items].notna().all(axis=1)]) & set(w2.firm[w2[items].notna().all(axis=1)])
    plan = _items_plan()
    avail = panel_verdicts(items_link, plan)["n"]["analysed"]
    complete = panel_verdicts(items_link, plan, missing="complete_cases")["n"]["analysed"]
    assert avail["C1"] == len(set(w1.firm) & set(w2.firm)) and len(full) < avail["C1"]
    assert complete == {"C1": len(full), "C2": len(full), "C3": len(full)}


def test_a_perfect_fit_decides_nothing():
    """Hostile: wave 2 a copy of wave 1: the cross-lagged OLS fits perfectly and its t is
    rounding noise (R's summary.lm warns): C3 is not available, never "supported"."""
    from rsnprop.panel.hypotheses import _slope_row
    from rsnprop.propositions.panel_plan import PanelSesoi

    rng = np.random.default_rng(1)
    d1, x1 = rng.normal(size=50), rng.normal(size=50)
    row, fit = _slope_row("C3", "primary", "q", d1.copy(), d1, x1, 50, PanelSesoi(), False)
    assert row["status"] == "not_available" and fit is None and "perfect fit" in row["note"]

