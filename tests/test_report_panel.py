"""The report's "Change between waves (two-wave panel)" section (rsnprop.report.sections.panel),
the `rsnprop report --panel/--panel-propositions` overrides, `rsnprop panel --wide-output`, and
the panel targets of analysis/Makefile on the bundled SIMULATED example (temporary copy).

Fixtures: tests/data/report/minimal/panel*.json (hand-written, every file in its schema; the
panel_propositions.json follows the issue-20 contract's layout) and
tests/data/report/pipeline/panel*.json (real outputs of the Makefile's panel steps).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_rsnprop

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "report"
MINIMAL, PIPELINE = FIXTURES / "minimal", FIXTURES / "pipeline"
PANEL_FILES = ("panel.json", "panel_propositions.json", "panel_invariance_relational.json",
               "panel_invariance_informational.json")
TABLES = ["panel_linking", "panel_retention", "panel_attrition", "panel_missingness",
          "panel_staying", "panel_invariance_relational", "panel_invariance_informational",
          "panel_invariance_levels", "panel_change", "panel_verdicts", "panel_evidence_c1",
          "panel_evidence_c2", "panel_evidence_c3", "panel_clpm_observed", "panel_multiverse"]


def _results(dest: Path, source: Path = MINIMAL, names=None, edit=None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names if names is not None else [p.name for p in source.glob("*.json")]:
        data = json.loads((source / name).read_text(encoding="utf-8"))
        if edit:
            data = edit(name, data)
        (dest / name).write_text(json.dumps(data), encoding="utf-8")
    return dest


def _section(results: Path):
    from rsnprop.report.inputs import load_results
    from rsnprop.report.sections import panel_section

    return panel_section(load_results(results))


def _tables(section) -> dict:
    return {b.data.id: b.data for b in section.blocks if b.kind == "table"}


def _text(section) -> str:
    out = [section.reason]
    for b in section.blocks:
        if b.kind == "table":
            t = b.data
            out += [t.title, t.note, " | ".join(c.label for c in t.columns)]
            out += [" | ".join(row) for row in t.cells()]
        elif b.kind in ("p", "note"):
            out.append(b.data)
        elif b.kind in ("dl",):
            out += [b.title] + [f"{k}: {v}" for k, v in b.data]
        elif b.kind == "warnings":
            out += b.data
        elif b.kind == "link":
            out.append(" ".join(b.data))
    return "\n".join(out)


def test_section_renders_every_table_from_the_fixtures(tmp_path):
    s = _section(_results(tmp_path / "r", names=PANEL_FILES))
    assert s.status == "ok" and s.title == "Change between waves (two-wave panel)"
    tables = _tables(s)
    assert [t for t in TABLES if t not in tables] == []
    # counts as written in panel.json
    linking = {row[0]: row for row in tables["panel_linking"].cells()}
    assert linking["2014"][1:] == ["33", "1", "1", "31", "30", "1"]
    assert tables["panel_retention"].cells() == [["2014", "40", "30", "10", "75.0%"]]
    text = _text(s)
    assert "no key: 1" in text and "not in the first wave: 1" in text  # problems by reason
    # verdicts with the primary p and its Holm-corrected value
    verdicts = {row[0]: row for row in tables["panel_verdicts"].cells()}
    assert verdicts["C1"][2:5] == ["supported", ".004", ".011"]
    assert verdicts["C3"][2] == "inconclusive"
    # latent rows beside the observed ones; reverse path two-sided
    c1 = tables["panel_evidence_c1"]
    assert [r["role"] for r in c1.rows] == ["primary", "latent"]
    assert "[latent]" in c1.rows[1]["label"] and "not available" in c1.note
    c3 = tables["panel_evidence_c3"]
    labels = [c.label for c in c3.columns]
    assert "p (one-sided)" in labels and "p (two-sided)" in labels
    assert c3.rows[1]["role"] == "reverse" and c3.rows[1]["p_sided"] == "two-sided"
    levels = {row[0]: row for row in tables["panel_invariance_levels"].cells()}
    assert levels["relational"][1:] == ["metric", "metric", "scalar", "no"]
    assert levels["informational"][1:] == ["scalar", "scalar", "scalar", "yes"]


def test_labels_say_interval_level_sidedness_and_n_used_of_given(tmp_path):
    s = _section(_results(tmp_path / "r", names=PANEL_FILES))
    tables = _tables(s)
    change = tables["panel_change"]
    assert [r["ci_label"] for r in change.rows] == ["95% CI, two-sided", "95% CI, two-sided",
                                                    "95% one-sided CI"]
    assert [r["sided"] for r in change.rows][-1] == "one-sided, greater"
    assert [r["used"] for r in change.rows] == ["16 of 16", "29 of 30", "30 of 30"]
    attrition = tables["panel_attrition"]
    assert "p (two-sided)" in [c.label for c in attrition.columns]
    assert [r["used"] for r in attrition.rows] == ["40 of 40", "39 of 40"]
    assert "(two-sided)" in attrition.rows[0]["test"]
    missing = tables["panel_missingness"]
    assert [r["used"] for r in missing.rows] == ["40 of 40", "39 of 40"]
    assert "upper tail" in missing.note
    staying = tables["panel_staying"]
    assert "95% CI (OR)" in [c.label for c in staying.columns] and "39 of 40" in staying.note
    clpm = tables["panel_clpm_observed"]
    assert "95% CI (two-sided)" in [c.label for c in clpm.columns]
    assert "reverse path" in clpm.note
    inv = tables["panel_invariance_relational"]
    assert "n = 40 of 40 firms" in inv.note and "Highest level held: metric" in inv.note
    assert "Holm" in tables["panel_evidence_c2"].note


def test_language_check_is_linked(tmp_path):
    s = _section(_results(tmp_path / "r", source=PIPELINE,
                          names=["panel.json", "propositions.json"]))
    link = next(b for b in s.blocks if b.kind == "link")
    text, href, _ = link.data
    assert href == "#sec-measurement" and "is checked in the measurement section" in text
    from rsnprop.report import build_report

    html = build_report(_results(tmp_path / "m", names=PANEL_FILES))
    assert '<a href="#sec-measurement">' in html and 'id="sec-panel"' in html
    assert 'data-section="panel" data-status="ok"' in html


def test_not_run_without_panel_json_and_with_another_schema(tmp_path):
    s = _section(_results(tmp_path / "none", names=[]))
    assert s.status == "not run" and "panel.json is missing" in s.reason

    def old(name, data):
        data["link"]["schema"] = "rsnprop.panel/0"
        return data

    s = _section(_results(tmp_path / "old", names=["panel.json"], edit=old))
    assert s.status == "not run"
    assert "expected schema 'rsnprop.panel/1', found 'rsnprop.panel/0'" in s.reason


def test_other_inputs_missing_or_foreign_make_their_part_not_run(tmp_path):
    s = _section(_results(tmp_path / "only", names=["panel.json"]))
    text = _text(s)
    assert s.status == "ok"
    assert "Longitudinal hypotheses C1-C3" in text and "panel_propositions.json is missing" in text
    assert "expected schema 'rsnprop.panel_propositions/1'" in text
    assert "relational scale: not run: panel_invariance_relational.json is missing" in text
    assert "panel_verdicts" not in _tables(s)

    def foreign(name, data):
        if name == "panel_propositions.json":
            return dict(data, schema="rsnprop.propositions/1")
        if name == "panel_invariance_relational.json":
            return dict(data, schema="rsnprop.fit/1")
        return data

    s = _section(_results(tmp_path / "foreign", names=PANEL_FILES, edit=foreign))
    text = _text(s)
    assert "expected schema 'rsnprop.panel_propositions/1', found 'rsnprop.propositions/1'" in text
    assert "expected schema 'rsnprop.invariance/1', found 'rsnprop.fit/1'" in text
    assert "panel_invariance_informational" in _tables(s)


def test_real_pipeline_outputs_fill_the_section(tmp_path):
    """tests/data/report/pipeline: the Makefile's panel steps on the SIMULATED example."""
    s = _section(_results(tmp_path / "r", source=PIPELINE,
                          names=["panel.json", "panel_invariance_relational.json",
                                 "panel_invariance_informational.json"]))
    tables = _tables(s)
    assert {"panel_linking", "panel_attrition", "panel_missingness", "panel_change",
            "panel_invariance_relational", "panel_invariance_informational"} <= set(tables)
    log = json.loads((PIPELINE / "panel.json").read_text())
    retention = tables["panel_retention"].rows[0]
    assert retention["stayed"] == log["attrition"]["counts"][0]["stayed"]
    assert "SIM-" not in _text(s)  # pseudonymised: no firm key in the report


def test_report_cli_panel_overrides(tmp_path):
    res = _results(tmp_path / "r", names=[])
    out = tmp_path / "report.html"
    proc = run_rsnprop("report", str(res), "-o", str(out), "--panel", str(MINIMAL / "panel.json"),
                       "--panel-propositions", str(MINIMAL / "panel_propositions.json"), "--json",
                       env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["sections"]["panel"] == "ok"
    html = out.read_text(encoding="utf-8")
    assert 'id="tab-panel-verdicts"' in html or "Longitudinal hypotheses: verdicts" in html
    assert "--panel-propositions" in html  # the command line is part of the provenance
    proc = run_rsnprop("report", str(res), "-o", str(out), "--panel", str(tmp_path / "nope.json"))
    assert proc.returncode == 2 and "nope.json" in proc.stderr


def test_panel_wide_output_names_columns_by_wave(tmp_path):
    import pandas as pd

    waves = REPO / "tests" / "data" / "panel"
    out, wide = tmp_path / "panel.parquet", tmp_path / "wide.csv"
    proc = run_rsnprop("panel", str(waves / "wave1.csv"), str(waves / "wave2.csv"),
                       "--key", "firm", "--salt", "t", "-o", str(out),
                       "--wide-output", str(wide))
    assert proc.returncode == 0, proc.stderr
    w = pd.read_csv(wide)
    long = pd.read_parquet(out)
    first = long[long.wave == long.wave.iloc[0]]
    assert len(w) == len(first) and w.columns[0] == "panel_id"
    other = [c for c in long.columns if c not in ("panel_id", "wave")]
    assert [f"{c}_w1" for c in other] + [f"{c}_w2" for c in other] == list(w.columns[1:])
    proc = run_rsnprop("panel", str(waves / "wave1.csv"), str(waves / "wave2.csv"),
                       "--key", "firm", "--salt", "t", "-o", str(out),
                       "--wide-output", str(tmp_path / "wide.txt"))
    assert proc.returncode == 2 and "--wide-output" in proc.stderr


# --------------------------------------------------------------------------- Makefile
def _layout(root: Path) -> Path:
    shutil.copytree(REPO / "analysis", root / "analysis", ignore=shutil.ignore_patterns("build"))
    shutil.copytree(REPO / "instruments", root / "instruments")
    (root / "rsnprop" / "datasets").mkdir(parents=True)
    for name in ("example_raw.csv", "example_raw_w2.csv"):
        shutil.copy2(REPO / "rsnprop" / "datasets" / name, root / "rsnprop" / "datasets")
    return root / "analysis"


def _make(analysis: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MAKE") and k != "RSNPROP_PANEL_SALT"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(["make", "--no-print-directory", f"RSNPROP={sys.executable} -m rsnprop",
                           *args], cwd=analysis, env=env, capture_output=True, text=True,
                          timeout=300)


def test_makefile_builds_the_panel_targets(tmp_path):
    """`make panel` on a copy of the example: wave 2 cleaned with the same instrument and plan,
    the waves linked with the documented example salt, attrition, the verdicts of C1-C3,
    longitudinal invariance; raw files untouched."""
    from rsnprop.schemas import Invariance, validate_result
    from rsnprop.schemas.panel_log import read_panel_log

    analysis = _layout(tmp_path)
    raw = {p: p.read_bytes() for p in (tmp_path / "rsnprop" / "datasets").iterdir()}
    dry = _make(analysis, "-n", "panel").stdout
    assert "clean ../rsnprop/datasets/example_raw_w2.csv" in dry and "--plan study.yaml" in dry
    assert "--repeated relational_w1,relational_w2" in dry
    assert "--plan study.yaml" in dry and "--verdicts build/panel_propositions.json" in dry
    proc = _make(analysis, "panel")  # about 10 s of CPU (no wall-clock assert: issue 19)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {p: p.read_bytes() for p in raw} == raw
    log = read_panel_log(json.loads((analysis / "build/panel.json").read_text()))
    assert log.link.waves == ["2013", "2014"] and log.link.salted
    assert log.attrition.counts[0].stayed == log.link.counts[1].linked
    assert log.change is not None and len(log.change.tests) == 4
    from rsnprop.schemas import PanelPropositions, load_result

    verdicts = load_result(analysis / "build/panel_propositions.json", expect=PanelPropositions)
    assert set(verdicts.hypotheses) == {"C1", "C2", "C3"} and verdicts.correction == "holm"
    for scale in ("relational", "informational"):
        inv = validate_result(json.loads((analysis / f"build/panel_invariance_{scale}.json")
                                         .read_text()), Invariance)
        assert inv.repeated == [f"{scale}_w1", f"{scale}_w2"] and inv.steps[0].held
    cleaning = json.loads((analysis / "build/cleaning_log_w2.json").read_text())
    assert cleaning["n_in"] == len((analysis.parent / "rsnprop/datasets/example_raw_w2.csv")
                                   .read_text().splitlines()) - 1
    assert _make(analysis, "-q", "panel").returncode == 0  # up to date: nothing to redo
    helptext = _make(analysis, "help").stdout
    assert re.search(r"^  panel\s+the two-wave panel steps", helptext, re.M)
    makefile = (analysis / "Makefile").read_text()
    assert "RSNPROP_PANEL_SALT ?= example-only-not-secret" in makefile
    assert "must set its\n# own secret salt" in makefile or "own secret salt" in makefile


def test_example_salt_is_only_a_default(tmp_path):
    """A real study's salt (environment) wins over the example's; the Makefile exports it."""
    analysis = _layout(tmp_path)
    env_salt = {**os.environ, "RSNPROP_PANEL_SALT": "s3cret"}
    env_salt = {k: v for k, v in env_salt.items() if not k.startswith("MAKE")}
    out = subprocess.run(["make", "--no-print-directory", "-p", "-n", "help"], cwd=analysis,
                         env=env_salt, capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"^RSNPROP_PANEL_SALT = s3cret$", out, re.M)
    out = _make(analysis, "-p", "-n", "help").stdout
    assert re.search(r"^RSNPROP_PANEL_SALT = example-only-not-secret$", out, re.M)


@pytest.mark.parametrize("name", PANEL_FILES)
def test_fixture_files_follow_their_layout(name):
    from rsnprop.report.typed import FILE_MODELS
    from rsnprop.schemas import validate_result
    from rsnprop.schemas.panel_log import read_panel_log

    doc = json.loads((MINIMAL / name).read_text())
    if name == "panel.json":
        assert read_panel_log(doc).link.key == "resp_id"
    else:
        assert validate_result(doc, FILE_MODELS[name]).schema_id == doc["schema"]
