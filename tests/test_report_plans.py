"""Issue 15: the report refuses inputs made with different study plans (exit 2 naming the files
and their plan hashes) unless told otherwise, and then says so on the summary page."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from conftest import run_rsnprop
from test_report import make_results

ROOT = Path(__file__).resolve().parents[1]


def _other_plan(name):
    def edit(fname, data):
        if fname == name:
            data["plan_hash"] = "0" * 64
        return data
    return edit


JSONS = ("cleaning_log.json", "measurement.json", "propositions.json", "power.json")


@pytest.mark.parametrize("name", ["power.json", "cleaning_log.json"])
def test_report_refuses_results_of_another_plan_naming_files_and_hashes(tmp_path, name):
    results = make_results(tmp_path / "res", edit=_other_plan(name), clean=False, files=JSONS)
    props_hash = json.loads((results / "propositions.json").read_text())["plan_hash"]
    out = tmp_path / "report.html"
    proc = run_rsnprop("report", results, "-o", out)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "different study plans" in err and name in err and "propositions.json" in err
    assert "000000000000" in err and props_hash[:12] in err
    assert "--allow-plan-mismatch" in err
    assert not out.exists()


def test_allow_plan_mismatch_builds_and_says_so_on_the_summary_page(tmp_path):
    results = make_results(tmp_path / "res", edit=_other_plan("power.json"), clean=False, files=JSONS)
    out = tmp_path / "report.html"
    proc = run_rsnprop("report", results, "-o", out, "--allow-plan-mismatch")
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    summary = html[html.index('id="sec-summary"'):html.index('id="sec-plan"')]
    assert "different study plans" in summary and "--allow-plan-mismatch" in summary
    assert "power.json (plan 000000000000" in summary
    assert "--allow-plan-mismatch" in html[html.index('id="sec-provenance"'):]   # command line


def test_one_plan_everywhere_is_accepted_without_a_banner(tmp_path):
    from rsnprop.report import build_report

    same = json.loads((make_results(tmp_path / "a", clean=False, files=("propositions.json",))
                       / "propositions.json").read_text())["plan_hash"]

    def edit(fname, data):
        if fname == "cleaning_log.json":
            data["plan_hash"] = same
        return data

    html = build_report(make_results(tmp_path / "b", edit=edit, clean=False, files=JSONS))
    assert "different study plans" not in html


def test_clean_records_the_plan_hash_the_report_checks(tmp_path):
    from rsnprop.propositions import load_plan

    plan = ROOT / "analysis" / "study.yaml"
    log = tmp_path / "log.json"
    proc = run_rsnprop("clean", ROOT / "rsnprop" / "datasets" / "example_raw.csv", "--instrument",
                       ROOT / "instruments" / "rsn_internationalisation.yaml", "--plan", plan,
                       "-o", tmp_path / "clean.parquet", "--log", log)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(log.read_text())["plan_hash"] == load_plan(plan).hash


def test_run_passes_allow_plan_mismatch_to_the_report_step(tmp_path):
    from rsnprop.commands import run

    plan = tmp_path / "study.yaml"
    plan.write_text("name: x\ninputs: {raw: raw.csv, instrument: ins.yaml}\n")
    args = Namespace(plan=str(plan), raw=None, instrument=None, build=None, output=None,
                     invariance_model=None, power=None, allow_plan_mismatch=True)
    assert run.steps(args)[-1][-1] == "--allow-plan-mismatch"
    args.allow_plan_mismatch = False
    assert "--allow-plan-mismatch" not in run.steps(args)[-1]
