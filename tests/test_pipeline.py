"""End to end: the example study's Makefile DAG and `rsnprop run`, in temporary folders.

Nothing committed goes stale: the committed ``reports/report.html`` and ``reports/tables/`` must
be what ``make analysis`` builds from the committed inputs, and ``analysis/power.json`` must have
been computed with the committed plan and instrument.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RSNPROP = str(Path(sys.executable).with_name("rsnprop"))
TARGETS = ["build/clean.parquet", "build/cleaning_log.json", "build/measurement.json",
           "build/invariance.json", "build/propositions.json",
           # the two-wave panel (second wave of the SIMULATED example)
           "build/clean_w2.parquet", "build/cleaning_log_w2.json", "build/panel.parquet",
           "build/panel.json", "build/panel_wide.parquet",
           "build/panel_invariance_relational.json", "build/panel_invariance_informational.json",
           "../reports/report.html"]

pytestmark = pytest.mark.slow


def _layout(root: Path) -> Path:
    """Copy what the example study reads into ``root`` with the repository's layout."""
    shutil.copytree(REPO / "analysis", root / "analysis",
                    ignore=shutil.ignore_patterns("build"))
    shutil.copytree(REPO / "instruments", root / "instruments")
    (root / "rsnprop" / "datasets").mkdir(parents=True)
    for name in ("example_raw.csv", "example_raw_w2.csv"):  # the two waves of the example
        shutil.copy2(REPO / "rsnprop" / "datasets" / name, root / "rsnprop" / "datasets")
    (root / "reports").mkdir()
    return root / "analysis"


def _make(analysis: Path, *args: str) -> subprocess.CompletedProcess:
    # the example's published panel salt (the Makefile's default), not one from the environment
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MAKE") and k != "RSNPROP_PANEL_SALT"}
    return subprocess.run(["make", "--no-print-directory", f"RSNPROP={RSNPROP}", *args],
                          cwd=analysis, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    analysis = _layout(tmp_path_factory.mktemp("study"))
    raw_hash = hashlib.sha256((analysis.parent / "rsnprop/datasets/example_raw.csv").read_bytes()).hexdigest()
    proc = _make(analysis)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return analysis, raw_hash


def test_every_target_is_built(built):
    analysis, _ = built
    for target in TARGETS:
        assert (analysis / target).stat().st_size > 0, target


def test_raw_data_is_not_modified(built):
    analysis, raw_hash = built
    raw = analysis.parent / "rsnprop/datasets/example_raw.csv"
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == raw_hash
    raw_w2 = analysis.parent / "rsnprop/datasets/example_raw_w2.csv"
    assert raw_w2.read_bytes() == (REPO / "rsnprop/datasets/example_raw_w2.csv").read_bytes()
    assert json.loads((analysis / "build/cleaning_log_w2.json").read_text())["raw_sha256"] == \
        hashlib.sha256(raw_w2.read_bytes()).hexdigest()
    log = json.loads((analysis / "build/cleaning_log.json").read_text())
    assert log["raw_sha256"] == raw_hash
    assert log["n_in"] == log["n_kept"] + log["n_excluded"]
    assert len(log["excluded"]) == log["n_excluded"]


def test_second_run_rebuilds_nothing(built):
    analysis, _ = built
    assert _make(analysis, "-q").returncode == 0  # -q: exit 0 iff everything is up to date
    proc = _make(analysis)
    assert proc.returncode == 0
    assert RSNPROP not in proc.stdout


def test_touching_one_input_reruns_only_its_dependants(built):
    analysis, _ = built
    os.utime(analysis / "build/measurement.json")
    dry = _make(analysis, "-n").stdout
    assert " report " in dry
    assert " clean " not in dry and " test " not in dry and " measure " not in dry
    os.utime(analysis / "build/measurement.json", (0, 0))  # older than its inputs now
    dry = _make(analysis, "-n").stdout
    assert " measure " in dry and " clean " not in dry and " test " not in dry
    _make(analysis)


def test_verdicts_and_report(built):
    analysis, _ = built
    result = json.loads((analysis / "build/propositions.json").read_text())
    # the example export is simulated with P1 and P2 true (scenario p1p2)
    assert result["verdicts"] == {"P1": "supported", "P2": "supported", "joint": "supported"}
    html = (analysis / "../reports/report.html").read_text(encoding="utf-8")
    assert "SIMULATED" in html.upper()
    # issue 20: the example report shows the two-wave section and the language check it links to
    assert 'data-section="panel" data-status="ok"' in html
    assert "Change between waves (two-wave panel)" in html and '<a href="#sec-measurement">' in html
    assert "Language versions: invariance and differential item functioning" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_rebuild_from_scratch_is_byte_identical(built, tmp_path):
    analysis, _ = built
    again = _layout(tmp_path)
    assert _make(again).returncode == 0
    for target in TARGETS:
        assert (again / target).read_bytes() == (analysis / target).read_bytes(), target


def test_rsnprop_run_gives_the_same_results(built, tmp_path):
    analysis, _ = built
    out = tmp_path / "report.html"
    proc = subprocess.run(
        [RSNPROP, "run", str(analysis / "study.yaml"), "--raw",
         str(analysis.parent / "rsnprop/datasets/example_raw.csv"), "--instrument",
         str(analysis.parent / "instruments/rsn_internationalisation.yaml"),
         "--build", str(tmp_path / "build"), "-o", str(out), "--json"],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [s["step"] for s in json.loads(proc.stdout)["steps"]] == [
        "clean", "measure", "invariance", "test", "report"]
    assert (tmp_path / "build/invariance.json").read_bytes() == (analysis / "build/invariance.json").read_bytes()
    assert out.stat().st_size > 0
    # file names in provenance differ between the two runs; the statistics must not
    ours = json.loads((tmp_path / "build/propositions.json").read_text())
    make = json.loads((analysis / "build/propositions.json").read_text())
    assert {p: v["verdict"] for p, v in ours["propositions"].items()} == \
        {p: v["verdict"] for p, v in make["propositions"].items()}
    assert (tmp_path / "build/clean.parquet").read_bytes() == (analysis / "build/clean.parquet").read_bytes()


# --- committed artefacts are fresh ---------------------------------------------------------

REGENERATE = "regenerate it with `make analysis` and commit reports/"


def test_committed_report_is_what_make_analysis_builds(built):
    analysis, _ = built
    fresh = (analysis / "../reports/report.html").read_bytes()
    committed = (REPO / "reports" / "report.html").read_bytes()
    assert fresh == committed, f"reports/report.html is stale: {REGENERATE}"


def test_committed_tables_are_what_make_analysis_builds(built):
    analysis, _ = built
    fresh_dir = analysis / "../reports/tables"
    committed_dir = REPO / "reports" / "tables"
    fresh = {p.name: p.read_bytes() for p in fresh_dir.iterdir() if p.is_file()}
    committed = {p.name: p.read_bytes() for p in committed_dir.iterdir() if p.is_file()}
    assert sorted(fresh) == sorted(committed), f"reports/tables differs in its files: {REGENERATE}"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale tables {stale}: {REGENERATE}"


def test_committed_power_results_come_from_the_committed_plan_and_instrument():
    from rsnprop.instrument import load_instrument
    from rsnprop.propositions import load_plan

    power = json.loads((REPO / "analysis" / "power.json").read_text())
    plan = load_plan(REPO / "analysis" / "study.yaml")
    ins = load_instrument(REPO / "instruments" / "rsn_internationalisation.yaml")
    how = "regenerate it with `make -C analysis power` and commit analysis/power.json"
    assert power["plan_hash"] == plan.hash, f"analysis/power.json was made with another plan: {how}"
    assert power["instrument"]["hash"] == ins.hash, f"analysis/power.json was made with another instrument: {how}"


def test_committed_panel_power_comes_from_the_committed_plan_and_instrument():
    from rsnprop.instrument import load_instrument
    from rsnprop.propositions import load_plan

    power = json.loads((REPO / "analysis" / "panel_power.json").read_text())
    plan = load_plan(REPO / "analysis" / "study.yaml")
    ins = load_instrument(REPO / "instruments" / "rsn_internationalisation.yaml")
    how = "regenerate it with `make -C analysis panel-power` and commit analysis/panel_power.json"
    assert power["schema"] == "rsnprop.panel_power/1"
    assert power["plan_hash"] == plan.hash, f"analysis/panel_power.json was made with another plan: {how}"
    assert power["instrument"]["hash"] == ins.hash, f"analysis/panel_power.json was made with another instrument: {how}"
    settings = plan.panel.power
    assert [int(n) for n in power["ns"]] == [int(n) for n in settings.n_wave1], how
    assert (power["reps"], power["seed"], power["attrition"]) == (settings.reps, settings.seed, settings.attrition), how
    assert power["failed"] == 0


def test_every_stage_output_follows_its_schema(built):
    """The example study's real outputs validate against rsnprop/schemas/ (docs/schemas.md)."""
    from rsnprop import load_result
    from rsnprop.schemas import CleaningLog, Invariance, Measurement, Propositions

    analysis, _ = built
    for name, model in [("cleaning_log", CleaningLog), ("measurement", Measurement),
                        ("invariance", Invariance), ("propositions", Propositions)]:
        res = load_result(analysis / "build" / f"{name}.json", expect=model)
        assert isinstance(res, model) and res.schema_id == model.SCHEMA
    log = load_result(analysis / "build/cleaning_log.json")
    assert log.n_in == log.n_kept + log.n_excluded == sum(s.n_excluded for s in log.steps) + log.n_kept
    props = load_result(analysis / "build/propositions.json")
    assert set(props.verdicts) == {"P1", "P2", "joint"}
    from rsnprop.schemas.panel_log import read_panel_log

    panel = read_panel_log(json.loads((analysis / "build/panel.json").read_text()))
    assert panel.link.waves == ["2013", "2014"] and panel.attrition is not None
    for scale in ("relational", "informational"):
        inv = load_result(analysis / f"build/panel_invariance_{scale}.json", expect=Invariance)
        assert inv.repeated == [f"{scale}_w1", f"{scale}_w2"]
    assert load_result(analysis / "build/cleaning_log_w2.json", expect=CleaningLog).n_in > 0


def test_makefile_cleans_the_waves_the_plan_declares():
    """The plan's panel: section names each wave's raw export; the Makefile cleans RAW (wave 1)
    and RAW_W2 (wave 2): they must be the same files, or the panel verdicts would rest on
    other data than the preregistered plan says."""
    import re

    from rsnprop.panel import wave_paths
    from rsnprop.propositions import load_plan

    make = (REPO / "analysis" / "Makefile").read_text()
    declared = [Path(p).resolve() for p in wave_paths(load_plan(REPO / "analysis" / "study.yaml")).values()]
    built = [(REPO / "analysis" / re.search(rf"(?m)^{var} \?= (\S+)", make).group(1)).resolve()
             for var in ("RAW", "RAW_W2")]
    assert built == declared, "analysis/Makefile's RAW/RAW_W2 and study.yaml's panel waves differ"
