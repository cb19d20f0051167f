"""The panel section of the study plan: validation errors name the field and value, a plan
without it keeps its hash, wave paths are taken from the plan's folder, and the example plan's
section loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsnprop.errors import PlanError
from rsnprop.panel.plan import PanelPlan, panel_section, wave_paths
from rsnprop.propositions import load_plan, plan_from_dict
from rsnprop.propositions.plan import StudyPlan

REPO = Path(__file__).resolve().parents[1]
WAVES = [{"label": "2013", "raw": "w1.csv"}, {"label": "2014", "raw": "w2.csv"}]


def _plan(**panel):
    return plan_from_dict({"name": "demo", "panel": {"key": "resp_id", "waves": WAVES, **panel}})


def test_defaults_are_the_contract():
    sec = _plan().panel
    assert isinstance(sec, PanelPlan)
    assert [(k, h.test) for k, h in sec.hypotheses.items()] == [
        ("C1", "change_by_group"), ("C2", "stage"), ("C3", "cross_lagged")]
    assert (sec.alpha, sec.correction, sec.sesoi.value, sec.sesoi.unit) == (0.05, "holm", 0.2, "dz")
    assert (sec.required_invariance, sec.missing, sec.phase_column) == ("scalar", "fiml", "phase")
    assert sec.approach_column == "score_intl_approach" and sec.labels == ["2013", "2014"]
    assert sec.multiverse.missing == ["available", "complete_cases"]


@pytest.mark.parametrize("panel, where, needle", [
    ({"hypotheses": {"C1": {"statement": "s", "test": "growth_curve"}}}, "panel.hypotheses.C1.test",
     "unknown hypothesis test 'growth_curve'"),
    ({"waves": WAVES[:1]}, "panel.waves", "needs at least 2 waves, got 1"),
    ({"waves": [WAVES[0], {"label": "2013", "raw": "x.csv"}]}, "panel.waves",
     "duplicate wave label(s) '2013'"),
    ({"approach_column": "intl approach"}, "panel.approach_column",
     "approach_column must be a column name"),
    ({"phase_column": "1phase"}, "panel.phase_column", "phase_column must be a column name"),
    ({"sesoi": {"value": 0}}, "panel.sesoi.value", "greater than 0"),
    ({"sesoi": {"value": 0.2, "unit": "d"}}, "panel.sesoi.unit", "'dz' or 'raw'"),
    ({"correction": "tukey"}, "panel.correction", "unknown correction 'tukey'"),
    ({"required_invariance": "partial"}, "panel.required_invariance", "'configural'"),
    ({"hypotheses": {}}, "panel.hypotheses", "states no hypothesis"),
    ({"colour": "red"}, "panel.colour", "Extra inputs are not permitted"),
])
def test_validation_errors_name_the_field_and_value(panel, where, needle):
    with pytest.raises(PlanError) as err:
        _plan(**panel)
    assert err.value.parameter == where
    assert needle in str(err.value)


def test_the_bad_value_is_named():
    with pytest.raises(PlanError) as err:
        _plan(hypotheses={"C9": {"statement": "s", "test": "nope"}})
    assert err.value.value == "nope" and "parameter 'panel.hypotheses.C9.test'" in err.value.compose()


def test_a_plan_without_panel_keeps_its_hash():
    # hashes of these plans before the panel section existed (commit 72f85ce)
    assert StudyPlan(name="x").hash == "0f90ce029a82db2669ab531fc5835a7dc41a40136e4fa72b830389996f584008"
    assert StudyPlan(name="demo", alpha=0.01, missing="complete_cases").hash == (
        "115850734a25f9b4a54b04ac33db53d1ea8854609a43fc012b3d749a6f48e921")
    assert "panel" not in StudyPlan(name="x").canonical_json()
    with_panel = _plan()
    assert with_panel.hash != StudyPlan(name="demo").hash
    assert _plan(alpha=0.01).hash != with_panel.hash          # the section is in the hash
    assert with_panel.with_(alpha=0.01).panel == with_panel.panel


def test_wave_paths_are_relative_to_the_plan_file(tmp_path, monkeypatch):
    folder = tmp_path / "analysis"
    folder.mkdir()
    (folder / "study.yaml").write_text(
        "name: demo\npanel:\n  key: resp_id\n  waves:\n    - {label: '1', raw: ../data/w1.csv}\n"
        "    - {label: '2', raw: /abs/w2.csv}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path.parent)                        # not the plan's folder
    paths = wave_paths(load_plan(folder / "study.yaml"))
    assert paths == {"1": (tmp_path / "data" / "w1.csv").resolve(), "2": Path("/abs/w2.csv")}
    assert wave_paths(_plan())["2013"] is None                 # relative, plan not read from a file


def test_a_plan_without_panel_section_is_refused_by_name():
    with pytest.raises(PlanError, match="no 'panel:' section") as err:
        panel_section(StudyPlan(name="x"))
    assert err.value.parameter == "panel"


def test_example_plan_declares_the_panel_study():
    plan = load_plan(REPO / "analysis" / "study.yaml")
    sec = panel_section(plan)
    assert sec.key == "resp_id" and sec.labels == ["2013", "2014"]
    assert list(sec.hypotheses) == ["C1", "C2", "C3"]
    assert sec.multiverse.versions == ["observed", "latent"]
    assert all(p is not None and p.is_absolute() for p in wave_paths(plan).values())
    assert wave_paths(plan)["2013"] == plan.input_path("raw")   # wave 1 is the study's raw export
