"""Panel power (rsnprop.power.panel, ``rsnprop power --panel``): one replication, the rates,
the same bytes with 1 or 2 workers, failures recorded, the CLI.  Fast: a few replications of
small panels; the >= 500-replication benchmark is bench/bench_panel_power.py."""

from __future__ import annotations

import json

import pytest

import rsnprop
from conftest import REPO
from rsnprop.power.panel import (
    SCHEMA, by_n_table, panel_power, panel_replication, plan_hypotheses,
)
from rsnprop.propositions import load_plan
from rsnprop.schemas import PanelPower, validate_result
from rsnprop.simulate.scenarios import get_scenario

PLAN = REPO / "analysis" / "study.yaml"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
SMALL_POWER = {"n_wave1": [60, 80], "attrition": 0.3, "attrition_mechanism": "mar", "reps": 2,
               "seed": 9}
PANEL = {"key": "resp_id", "waves": [{"label": "2013", "raw": "w1.csv"},
                                     {"label": "2014", "raw": "w2.csv"}]}


def _plan_copy(folder, panel):
    """The example plan with its panel: section replaced by ``panel`` (None: removed)."""
    import yaml

    data = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    data.pop("panel", None)
    if panel is not None:
        data["panel"] = panel
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def panel_plan(tmp_path_factory):
    """The example plan with a small panel.power section (C1, C2, C3, the panel defaults)."""
    panel = yaml_panel() or dict(PANEL)
    return _plan_copy(tmp_path_factory.mktemp("plan"), dict(panel, power=SMALL_POWER))


@pytest.fixture(scope="module")
def plain_plan(tmp_path_factory):
    """The example plan without a panel: section."""
    return _plan_copy(tmp_path_factory.mktemp("plain"), None)


def yaml_panel():
    """The example plan's own panel: section (None when it has none)."""
    import yaml

    return yaml.safe_load(PLAN.read_text(encoding="utf-8")).get("panel")


def always_supported(panel, plan):
    """A verdict stub: every hypothesis supported, the firms of the panel's first wave."""
    n = len(panel.firms_in(panel.waves[0]))
    return {"hypotheses": {h: {"verdict": "supported", "evidence": [{"role": "primary", "n": n}]}
                           for h in ("C1", "C2", "C3")}}


def broken(panel, plan):
    raise ValueError("no variance in the change of D")


@pytest.fixture(scope="module")
def design():
    return rsnprop.load_instrument(), load_plan(PLAN), get_scenario("p1p2")


def test_one_replication_counts_the_firms_at_each_step(design):
    ins, plan, sc = design
    rec = panel_replication(ins, plan, sc, 150, 3, seed=7, attrition=0.4, verdicts=always_supported)
    assert rec["error"] is None and set(rec["verdicts"]) == set(plan_hypotheses(plan))
    assert all(v == "supported" for v in rec["verdicts"].values())
    # cleaning drops firms, 40 % leave before wave 2, linked = in both clean waves
    assert rec["n_linked"] < rec["n_wave1"] < 150 and rec["n_linked"] <= rec["n_wave2"]
    assert rec["n_linked"] < 0.8 * rec["n_wave1"]
    assert rec["n_analysed"]["C1"] == rec["n_wave1"]
    same = panel_replication(ins, plan, sc, 150, 3, seed=7, attrition=0.4, verdicts=always_supported)
    other = panel_replication(ins, plan, sc, 150, 4, seed=7, attrition=0.4, verdicts=always_supported)
    assert same == rec                              # seeded by (seed, n, rep)
    assert (other["n_wave1"], other["n_linked"]) != (rec["n_wave1"], rec["n_linked"])


def test_a_failed_replication_is_recorded_not_raised(design):
    ins, plan, sc = design
    rec = panel_replication(ins, plan, sc, 60, 0, seed=1, verdicts=broken)
    assert rec["error"] == "ValueError: no variance in the change of D"
    assert set(rec["verdicts"].values()) == {"inconclusive"}
    res = panel_power(PLAN, [40], reps=2, seed=1, jobs=1, verdicts=broken)
    d = res.to_dict()
    assert d["failed"] == 2 and d["results"][0]["failed"] == 2
    assert d["results"][0]["p_inconclusive"] == 1.0
    assert "2 of 2 replications failed" in d["warnings"][0] and "no variance" in d["warnings"][0]


def test_rates_and_any_false_supported():
    recs = [{"n": 100, "rep": i, "error": None, "n_wave1": 80, "n_wave2": 70, "n_linked": 60,
             "n_analysed": {"C1": 60, "C2": 58}, "verdicts": {"C1": v1, "C2": v2}}
            for i, (v1, v2) in enumerate([("supported", "inconclusive"), ("inconclusive", "supported"),
                                          ("supported", "supported"), ("inconclusive", "equivalent")])]
    none = by_n_table(recs, ("C1", "C2"), {"C1": "not supported", "C2": "not supported"})[0]
    assert none["any_supported"] == none["any_false_supported"] == 0.75
    assert none["any_false_supported_se"] == pytest.approx((0.75 * 0.25 / 4) ** 0.5)
    assert none["mean_analysed"] == {"C1": 60, "C2": 58} and none["mean_linked"] == 60
    half = by_n_table(recs, ("C1", "C2"), {"C1": "supported", "C2": "not supported"})[0]
    assert half["any_false_supported"] == 0.5          # only C2 has no effect
    both = by_n_table(recs, ("C1", "C2"), {"C1": "supported", "C2": "supported"})[0]
    assert both["any_false_supported"] is None and both["any_supported"] == 0.75


def test_same_bytes_with_one_or_two_workers_and_the_schema(tmp_path):
    one = panel_power(PLAN, [40, 60], reps=3, seed=11, jobs=1, verdicts=always_supported,
                      change="none")
    two = panel_power(PLAN, [40, 60], reps=3, seed=11, jobs=2, verdicts=always_supported,
                      change="none", stream=tmp_path / "runs.jsonl")
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(two.to_dict(), sort_keys=True)
    d = one.to_dict()
    assert d["schema"] == SCHEMA and d["ns"] == [40, 60] and d["change"] == "none"
    model = validate_result(d)
    assert isinstance(model, PanelPower) and len(model.results) == 2 * len(d["hypotheses"])
    assert all(b.any_false_supported == 1.0 for b in model.by_n)   # the stub supports all
    assert one.power["C1"] == {40: 1.0, 60: 1.0}
    assert "any false supported 100.0 % ± 0.0" in one.summary()


def test_the_real_verdicts_find_the_change_and_not_the_absence(panel_plan):
    """panel_verdicts (rsnprop.panel) in every replication: under 'change' C1 is supported in
    every one of 6 panels of 300 firms; under 'none' no hypothesis is, and 1 or 2 workers give
    the same bytes."""
    kw = dict(instrument=INSTRUMENT, seed=3)
    change = panel_power(panel_plan, [300], 6, change="change", jobs=1, **kw).to_dict()
    none1 = panel_power(panel_plan, [300], 6, change="none", jobs=1, **kw)
    none2 = panel_power(panel_plan, [300], 6, change="none", jobs=2, **kw)
    assert json.dumps(none1.to_dict(), sort_keys=True) == json.dumps(none2.to_dict(), sort_keys=True)
    assert change["failed"] == none1.data["failed"] == 0
    assert change["hypotheses"] == ["C1", "C2", "C3"]
    assert next(r for r in change["results"] if r["hypothesis"] == "C1")["power"] == 1.0
    assert none1.data["by_n"][0]["any_false_supported"] == 0.0
    rec = none1.records[0]
    assert 0 < rec["n_analysed"]["C1"] <= rec["n_linked"] < rec["n_wave1"] < 300
    assert rec["estimate"]["C1"] is not None and rec["p_corrected"]["C1"] is not None


def test_a_plan_without_panel_section_is_refused(plain_plan):
    from rsnprop.errors import PlanError

    with pytest.raises(PlanError, match="no panel: section"):
        panel_power(plain_plan, [100], 2, instrument=INSTRUMENT)


def test_cli_panel_power_takes_its_defaults_from_the_plan(rsnprop_cli, panel_plan, tmp_path):
    out = tmp_path / "panel_power.json"
    proc = rsnprop_cli("power", "--plan", panel_plan, "--instrument", INSTRUMENT, "--panel",
                       "--jobs", "1", "--change", "none", "-o", out, "--json")
    assert proc.returncode == 0, proc.stderr
    d = proc.json()
    assert json.loads(out.read_text()) == d and d["schema"] == "rsnprop.panel_power/1"
    assert (d["ns"], d["reps"], d["seed"], d["attrition"], d["attrition_mechanism"]) == \
        ([60, 80], 2, 9, 0.3, "mar")
    assert d["change"] == "none" and (tmp_path / "panel_power.runs.jsonl").is_file()
    validate_result(d)
    text = rsnprop_cli("power", "--plan", panel_plan, "--instrument", INSTRUMENT, "--panel",
                       "--jobs", "1", "--n", "50", "--reps", "1", "--attrition", "0.1")
    assert text.returncode == 0 and "1 simulated two-wave panels per N" in text.stdout
    assert "attrition 0.1 (mar)" in text.stdout


@pytest.mark.parametrize("args, needle", [
    (["--panel", "--figure", "x.svg"], "--figure"),
    (["--panel", "--full"], "--full"),
    (["--panel", "--attrition", "0.95"], "--attrition"),
    (["--n", "100", "--attrition", "0.2"], "--attrition"),
    (["--n", "100", "--change", "none"], "--change"),
    (["--reps", "3"], "--n"),
])
def test_cli_panel_options_misused_exit_2(rsnprop_cli, panel_plan, args, needle):
    proc = rsnprop_cli("power", "--plan", panel_plan, "--instrument", INSTRUMENT, *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_cli_panel_power_needs_a_panel_plan(rsnprop_cli, plain_plan):
    proc = rsnprop_cli("power", "--plan", plain_plan, "--instrument", INSTRUMENT, "--panel",
                       "--n", "100")
    assert proc.returncode == 2 and "no panel: section" in proc.stderr
