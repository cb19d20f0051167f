"""Tests of rsnprop.report and `rsnprop report` (fixtures: tests/data/report/).

The browser test (headless Chromium) is in test_report_browser.py; helpers defined here are
shared with it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_rsnprop

FIXTURES = Path(__file__).parent / "data" / "report"
#: outputs of the real pipeline on the bundled simulated example (pipeline/regenerate.sh)
PIPELINE = FIXTURES / "pipeline"
#: small hand-written inputs (every file follows its stage's schema)
MINIMAL = FIXTURES / "minimal"
SCRIPT = '<script>alert("x")</script>'
EPOCH = "1767225600"


# --------------------------------------------------------------------------- helpers
def make_results(dest: Path, *, source: Path = PIPELINE, files=None, clean: bool = True,
                 edit=None) -> Path:
    """Copy the JSON fixtures of ``source`` (and its clean data as clean.parquet) into ``dest``.

    ``edit(name, data)`` returns the (modified) JSON dict, or DataFrame for name "clean".
    """
    import pandas as pd

    dest.mkdir(parents=True, exist_ok=True)
    names = files if files is not None else sorted(p.name for p in source.glob("*.json"))
    for name in names:
        data = json.loads((source / name).read_text(encoding="utf-8"))
        if edit:
            data = edit(name, data)
        (dest / name).write_text(json.dumps(data, indent=2), encoding="utf-8")
    if clean:
        if (source / "clean.parquet").is_file():
            df = pd.read_parquet(source / "clean.parquet")
        else:
            df = pd.read_csv(source / "clean.csv")
            df["other_platform_text"] = df["other_platform_text"].astype("object")
        if edit:
            df = edit("clean", df)
        df.to_parquet(dest / "clean.parquet", index=False)
    return dest


def hostile_edit(name, data):
    """Put a <script> into a free-text answer, a raw response value, labels, a category and the
    raw file name (pipeline-structured fixtures)."""
    if name == "clean":
        data = data.copy()
        data["rsn_other_text"] = None
        data["rsn_other_text"] = data["rsn_other_text"].astype("object")
        data.loc[0, "rsn_other_text"] = f"LinkedIn {SCRIPT}"
        data["sector"] = data["sector"].astype("object")
        data.loc[data.index[1], "sector"] = "<b>bold</b>"
        return data
    if name == "propositions.json":
        data["propositions"]["P1"]["evidence"][0]["test"] = f"label {SCRIPT}"
        data["multiverse"] = None  # not needed here; saves three figures
    if name == "measurement.json":
        data["reliability_table"][0]["label"] = f"construct {SCRIPT}"
    if name == "cleaning_log.json":
        data["source"] = f"{SCRIPT}.csv"
        data["excluded"][0]["reasons"] = [f"reason {SCRIPT}"]
        data["problems"][0]["value"] = f"value {SCRIPT}"
    return data


def _report_argv(results: Path, out: Path, *extra):
    # the output is given relative to its folder: the command line is part of the provenance
    return ["report", str(results), "-o", out.name, *map(str, extra), "--json"]


def _report_env(epoch: str | None = EPOCH, hashseed: str = "0") -> dict:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    env.pop("RSNPROP_DEBUG", None)
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    return env


def report_cli(results: Path, out: Path, *extra, epoch: str | None = EPOCH, hashseed="0"):
    env = _report_env(epoch, hashseed)
    return run_rsnprop(*_report_argv(results, out, *extra), env=env, cwd=out.parent)


_BUILT: dict[str, dict] = {}


def built_report(kind: str = "full") -> dict:
    """Reports written once per test session through the CLI (shared with
    test_report_browser.py): "full" (the pipeline fixtures), "rerun" (the same inputs again, in
    another folder, by a process with another hash seed) and "hostile" (hostile text).  The
    three are built concurrently on first use."""
    if not _BUILT:
        import tempfile

        import atexit
        import shutil

        base = Path(tempfile.mkdtemp(prefix="rsnprop-report-"))
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        full = make_results(base / "results")
        hostile = make_results(base / "res<img src=x onerror=alert(1)>", edit=hostile_edit)
        jobs = {"full": (full, base / "full", "0"), "rerun": (full, base / "again", "12345"),
                "hostile": (hostile, base / "hostile", "0")}
        procs = {}
        for k, (res, folder, seed) in jobs.items():
            out = folder / "reports" / "report.html"
            out.parent.mkdir(parents=True)
            procs[k] = (res, out, subprocess.Popen(
                [sys.executable, "-m", "rsnprop", *_report_argv(res, out)], cwd=out.parent,
                env=_report_env(hashseed=seed), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True))
        for k, (res, out, proc) in procs.items():
            stdout, stderr = proc.communicate(timeout=600)
            assert proc.returncode == 0, stderr
            _BUILT[k] = {"results": res, "out": out, "html": out.read_text(encoding="utf-8"),
                         "json": json.loads(stdout), "tables": out.parent / "tables"}
    return _BUILT[kind]


@pytest.fixture
def full_report():
    return built_report("full")


@pytest.fixture
def hostile_report():
    return built_report("hostile")


# --------------------------------------------------------------------------- formatting
def test_apa_number_formats():
    from rsnprop.report import fmt

    assert fmt.fmt_p(0.00049) == "< .001"
    assert fmt.fmt_p(0.0456) == ".046"
    assert fmt.fmt_p(None) == fmt.DASH
    assert fmt.fmt_bounded(-0.456) == "\u2212.46"
    assert fmt.fmt_num(-0.001) == "0.00"  # no negative zero
    assert fmt.fmt_num(float("nan")) == fmt.DASH
    assert fmt.fmt_ci(-0.14, 0.76) == "[\u22120.14, 0.76]"
    assert fmt.fmt_int(1234.0) == "1,234"


def test_table_csv_keeps_raw_values_and_latex_escapes():
    import io

    import pandas as pd

    from rsnprop.report.tables import Column, Table

    rows = [{"name": "R&D_50%", "est": 0.123456789, "ci": (0.1, 0.2), "p": 0.0004}]
    t = Table("x", "A & B", [Column("name", "Name"), Column("est", "b", "num"),
                             Column("ci", "95% CI", "ci"), Column("p", "p", "p")], rows, note="#1")
    back = pd.read_csv(io.StringIO(t.to_csv()))
    assert list(back.columns) == ["name", "est", "ci_lower", "ci_upper", "p"]
    assert back.loc[0, "est"] == pytest.approx(round(rows[0]["est"], 6))
    assert back.loc[0, "ci_upper"] == pytest.approx(0.2)
    tex = t.to_latex()
    assert "R\\&D\\_50\\%" in tex and "A \\& B" in tex and "\\#1" in tex
    assert "\\textless{} .001" in tex and "\\toprule" in tex
    assert t.cells() == [["R&D_50%", "0.12", "[0.10, 0.20]", "< .001"]]


# --------------------------------------------------------------------------- figures
def test_figures_are_deterministic_svg_and_change_with_data():
    import numpy as np
    import pandas as pd

    from rsnprop.report import figures as F

    df = pd.read_csv(MINIMAL / "clean.csv")
    a = F.paired_scores_plot(df, "bg_ms20", {0: "Traditional", 1: "Born global"})
    b = F.paired_scores_plot(df.copy(), "bg_ms20", {0: "Traditional", 1: "Born global"})
    assert a.svg == b.svg
    assert a.svg.lstrip().startswith(b"<?xml") and b"<svg" in a.svg
    assert b"<dc:date>" not in a.svg and b"<script" not in a.svg
    assert a.width > 100 and a.height > 100
    # the alt text states the group means, computed independently here
    m = df[df.bg_ms20 == 1].score_relational.mean()
    assert f"mean relational {m:.2f}" in a.alt
    df2 = df.copy()
    df2.loc[0, "score_relational"] = 1.0 if df.loc[0, "score_relational"] != 1.0 else 7.0
    c = F.paired_scores_plot(df2, "bg_ms20")
    assert c.svg != a.svg
    assert F.paired_scores_plot(df.drop(columns="score_relational"), "bg_ms20") is None
    assert F.forest_plot([]) is None
    heat = F.loadings_heatmap(pd.DataFrame({"f": [0.8, np.nan]}, index=["a", "b"]))
    assert "loadings range from 0.80 to 0.80" in heat.alt


# --------------------------------------------------------------------------- tolerance
def test_empty_results_folder_gives_not_run_sections(tmp_path):
    from rsnprop.report import build_report
    from rsnprop.report.sections import SECTION_IDS

    html = build_report(tmp_path)
    for sid in SECTION_IDS:
        assert f'id="sec-{sid}"' in html
    statuses = dict(re.findall(r'data-section="(\w+)" data-status="([^"]+)"', html))
    assert statuses.pop("provenance") == "ok"
    assert set(statuses.values()) == {"not run"}
    assert "<img" not in html


def test_broken_and_partial_inputs_do_not_crash(tmp_path):
    from rsnprop.report import build_report

    def edit(name, data):
        if name == "measurement.json":  # no EFA, no CFA, no validity
            return dict(data, efa=None, cfa=None, validity=None, validity_matrix=None, items=[])
        if name == "propositions.json":
            data["propositions"]["P2"] = {
                "statement": "P2", "verdict": "equivalent", "reason": "within the bounds",
                "evidence": [{"test": "tost", "status": "ok", "estimate": 0.01, "ci_lower": -0.1,
                              "ci_upper": 0.12, "p_value": 0.01}]}
            data["auxiliary"] = {}
            data["multiverse"] = None
        return data

    res = make_results(tmp_path, source=MINIMAL, edit=edit,
                       files=("measurement.json", "propositions.json"))
    (res / "cleaning_log.json").write_text("{not json", encoding="utf-8")
    html = build_report(res)
    status = dict(re.findall(r'data-section="(\w+)" data-status="([^"]+)"', html))
    assert status["cleaning"] == "not run" and "could not be read (unreadable (JSONDecodeError" in html
    assert status["measurement"] == "ok" and "Loadings: not run" in html
    assert "Validity matrix: not run" in html
    assert status["multiverse"] == "not run" and status["power"] == "not run"
    # evidence is read by the keys `rsnprop test` writes (docs/schemas.md)
    assert "[\u22120.10, 0.12]" in html and "0.01" in html
    assert "lies within the preregistered equivalence bounds" in html


def test_bad_destinations_exit_2_with_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = report_cli(tmp_path, tmp_path / "r.html", "--tables-dir", str(tmp_path / "afile"))
    assert proc.returncode == 2 and "--tables-dir" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    out = tmp_path / "afile" / "r.html"  # a folder that cannot exist under a file
    proc = run_rsnprop("report", str(tmp_path), "-o", str(out), env=_report_env())
    assert proc.returncode == 2 and "'--output'" in proc.stderr and "cannot write" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, doc, needles", [
    ("measurement.json", {"reliability": [{"construct": "relational", "alpha": 0.7}]},
     ["expected schema 'rsnprop.measurement/1', found no 'schema' key"]),
    ("measurement.json", {"schema": "rsnprop.measurement/0"},
     ["expected schema 'rsnprop.measurement/1', found 'rsnprop.measurement/0'",
      "another version of rsnprop"]),
    ("invariance.json", {"schema": "rsnprop.fit/1", "steps": []},
     ["expected schema 'rsnprop.invariance/1', found 'rsnprop.fit/1'"]),
])
def test_older_or_foreign_stage_outputs_are_named_not_guessed(tmp_path, name, doc, needles):
    """A measurement or invariance file of another schema is not read: its section says which
    schema it expected and which it found."""
    from rsnprop.report import build_report
    from rsnprop.report.inputs import load_results

    res = make_results(tmp_path, source=MINIMAL, files=("measurement.json", "invariance.json"),
                       clean=False)
    (res / name).write_text(json.dumps(doc), encoding="utf-8")
    inputs = load_results(res)
    assert getattr(inputs, name.replace(".json", "_model")) is None
    for needle in needles:
        assert needle in inputs.problems[name]
    html = build_report(res).replace("&#39;", "'")
    assert needles[0] in html
    if name == "measurement.json":
        status = dict(re.findall(r'data-section="(\w+)" data-status="([^"]+)"', html))
        assert status["measurement"] == "not run"
    else:
        assert "Invariance table: not run" in html


def test_minimal_fixture_fills_every_section(tmp_path):
    from rsnprop.report import build_report
    from rsnprop.report.sections import SECTION_IDS

    html = build_report(make_results(tmp_path, source=MINIMAL))
    status = dict(re.findall(r'data-section="(\w+)" data-status="([^"]+)"', html))
    assert status == {sid: "ok" for sid in SECTION_IDS}
    assert 'id="tab-htmt"' in html and 'id="tab-invariance"' in html  # dict-of-dict, steps
    assert 'id="fig-loadings"' in html and 'id="fig-power"' in html  # CFA estimates, power rows


def test_missing_results_folder_exits_2(tmp_path):
    proc = report_cli(tmp_path / "nope", tmp_path / "r.html")
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["error"] == "MissingFileError"
    proc = report_cli(tmp_path, tmp_path / "r.txt")
    assert proc.returncode == 2
    assert "r.txt" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["parameter"] == "--output"


# --------------------------------------------------------------------------- full report
def test_cli_json_and_sections(full_report):
    from rsnprop.report.sections import SECTION_IDS

    out = full_report["json"]
    assert out["sections"] == {sid: "ok" for sid in SECTION_IDS}
    assert out["figures"] == full_report["html"].count("<img ")
    assert out["figures"] >= 6  # loadings, forest, scores, 2 specification curves, power
    assert out["sha256"] == __import__("hashlib").sha256(full_report["out"].read_bytes()).hexdigest()
    assert Path(out["output"]).name == "report.html"


def test_verdicts_and_evidence_from_propositions(full_report):
    html = full_report["html"]
    data = json.loads((full_report["results"] / "propositions.json").read_text())
    props = {**data["propositions"], "joint": data["joint"]}
    for pid, entry in props.items():
        m = re.search(rf'data-proposition="{pid}">\s*<h3>{pid} <span class="badge">(\w+)</span>', html)
        assert m and m.group(1) == entry["verdict"]
    first = html.index('id="sec-summary"')
    assert first < html.index('id="sec-plan"') < html.index('id="sec-provenance"')
    assert data["plan_hash"] in html


def test_self_contained_and_strict_csp(full_report):
    html = full_report["html"]
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and "default-src &#39;none&#39;" in csp.group(1)
    assert "<script" not in html.lower()
    assert not re.search(r'\s(src|href)="(?!data:|#)', html)  # only data: URIs and anchors
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"\sstyle=", html)  # inline style attributes would break the CSP
    # the CSP's style hash is the hash of the one <style> block
    import base64
    import hashlib

    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"sha256-{digest}" in csp.group(1)
    for alt in re.findall(r'<img [^>]*alt="([^"]*)"', html):
        assert len(alt) > 40


def test_tables_exported_match_data(full_report):
    import pandas as pd

    tdir = full_report["tables"]
    csvs = sorted(p.name for p in tdir.glob("*.csv"))
    texs = sorted(p.name for p in tdir.glob("*.tex"))
    assert len(csvs) == len(texs) == full_report["html"].count('class="apa-table"')
    desc = pd.read_csv(next(tdir.glob("table*_descriptives.csv")))
    clean = pd.read_parquet(full_report["results"] / "clean.parquet")
    row = desc[desc.variable == "Relational benefits (score)"].iloc[0]
    bg = clean[clean.bg_ms20 == 1].score_relational.dropna()
    assert row.bg_n == len(bg)
    assert row.bg_m == pytest.approx(bg.mean(), abs=1e-6)
    assert row.bg_sd == pytest.approx(bg.std(ddof=1), abs=1e-6)
    phase = pd.read_csv(next(tdir.glob("table*_phase.csv")))
    assert phase.bg.sum() == int(((clean.bg_ms20 == 1) & clean.phase.notna()).sum())
    assert phase.trad.sum() == int(((clean.bg_ms20 == 0) & clean.phase.notna()).sum())
    from rsnprop.report.sections.base import words

    reasons = pd.read_csv(next(tdir.glob("table*_exclusion_reasons.csv")))
    log = json.loads((full_report["results"] / "cleaning_log.json").read_text())
    expected = {}
    for e in log["excluded"]:
        for r in e["reasons"]:
            expected[words(r)] = expected.get(words(r), 0) + 1   # codes printed as words
    assert dict(zip(reasons.reason, reasons.n)) == expected


def test_provenance_records_date_hashes_and_versions(full_report):
    import datetime as dt
    import hashlib

    html = full_report["html"]
    date = dt.datetime.fromtimestamp(int(EPOCH), dt.timezone.utc).strftime("%Y-%m-%d")
    assert date in html
    parquet = full_report["results"] / "clean.parquet"
    assert hashlib.sha256(parquet.read_bytes()).hexdigest() in html
    log = json.loads((full_report["results"] / "cleaning_log.json").read_text())
    assert log["instrument"]["hash"] in html and log["raw_sha256"] in html
    from importlib.metadata import version

    assert f"<dt>pandas</dt><dd>{version('pandas')}</dd>" in html
    assert "rsnprop report" in html  # the command line


# --------------------------------------------------------------------------- escaping
def test_script_in_free_text_label_and_file_name_is_escaped(hostile_report):
    html = hostile_report["html"]
    out = hostile_report["out"]
    assert "<script" not in html.lower()
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for where in ("LinkedIn ", "value ", "label ", "construct ", "reason "):  # answers, labels
        assert where + escaped in html
    assert escaped + ".csv" in html  # a file name
    assert "res&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    # the LaTeX export escapes too
    tex = "".join(p.read_text() for p in (out.parent / "tables").glob("*.tex"))
    assert "\\textless{}script\\textgreater{}" in tex and "<script" not in tex


# --------------------------------------------------------------------------- determinism
def test_rerun_gives_identical_bytes(full_report):
    # same inputs, another process with another hash seed, written elsewhere, then compared
    again = built_report("rerun")
    assert again["out"] != full_report["out"]
    assert again["out"].read_bytes() == full_report["out"].read_bytes()
    names = sorted(p.name for p in full_report["tables"].iterdir())
    assert names and names == sorted(p.name for p in again["tables"].iterdir())
    for name in names:
        assert (again["tables"] / name).read_bytes() == (full_report["tables"] / name).read_bytes()


def test_changed_input_changes_output(tmp_path):
    from rsnprop.report import build_report

    res = make_results(tmp_path / "res", files=("cleaning_log.json",), clean=False)
    assert 'class="flow-step flow-final"' in build_report(res)
    first = build_report(res)
    assert build_report(res) == first
    log = json.loads((res / "cleaning_log.json").read_text())
    log["n_in"] += 1
    (res / "cleaning_log.json").write_text(json.dumps(log))
    assert build_report(res) != first


def test_docx_export_holds_every_table(full_report):
    docx = pytest.importorskip("docx") if os.environ.get("CI", "").lower() != "true" else __import__("docx")
    path = full_report["tables"] / "tables.docx"
    assert path.is_file()
    doc = docx.Document(str(path))
    html = full_report["html"]
    assert len(doc.tables) == html.count('class="apa-table"')
    first_headers = re.search(r'<thead><tr>(.*?)</tr></thead>', html).group(1)
    heads = re.findall(r"<th scope=\"col\">(.*?)</th>", first_headers)
    assert [c.text for c in doc.tables[0].rows[0].cells] == heads
    titles = [p.text for p in doc.paragraphs if p.runs and p.runs[0].italic and p.text != "Note."]
    assert "Reasons for exclusion" in titles


def test_provenance_warns_when_results_come_from_different_plans(tmp_path, full_report):
    from rsnprop.report import build_report

    assert "different study plans" not in full_report["html"]
    assert "different instrument versions" not in full_report["html"]

    def edit(name, data):
        if name == "power.json":
            data["plan_hash"] = "0" * 64
        if name == "measurement.json":
            data["instrument"]["hash"] = "f" * 64
        return data

    results = make_results(tmp_path, edit=edit, clean=False,
                           files=("measurement.json", "propositions.json", "power.json",
                                  "cleaning_log.json"))
    html = build_report(results, allow_plan_mismatch=True)   # refused by default (test_report_plans.py)
    assert "different study plans" in html and "power.json 000000000000" in html
    assert "different instrument versions" in html and "measurement.json ffffffffffff" in html


def test_power_section_reads_monte_carlo_results(full_report):
    import pandas as pd

    power = json.loads((full_report["results"] / "power.json").read_text())
    # table<NN>_power.csv, not table<NN>_n_for_power.csv (glob order is the directory's)
    table = pd.read_csv(next(full_report["tables"].glob("table[0-9][0-9]_power.csv")))
    got = {(r.label, int(r.n)): r.power for r in table.itertuples()}
    want = {(r["proposition"], int(r["n"])): r["power"] for r in power["results"]}
    assert got == pytest.approx(want)
    assert 'id="fig-power"' in full_report["html"]


def _json_values():
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                        st.sampled_from(["supported", "P1", "estimate", "<script>", "n"]))
    keys = st.sampled_from(["propositions", "P1", "P2", "joint", "evidence", "verdict", "estimate",
                            "ci_lower", "ci_upper", "effect_size", "steps", "n_in", "n_kept",
                            "excluded", "reasons", "reliability", "reliability_table", "cfa",
                            "fit", "loadings", "validity", "htmt", "validity_matrix",
                            "constructs", "values", "multiverse", "specifications", "results",
                            "power", "n", "instrument", "hash", "plan", "sesoi", "warnings",
                            "descriptives", "auxiliary", "efa", "items", "cmv", "x"])
    return st.recursive(scalars, lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
        max_leaves=25)


def test_report_never_crashes_on_malformed_json(tmp_path_factory):
    """Whatever structure the JSON files have, the report is built (sections say not run)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from rsnprop.report import build_report

    names = ("cleaning_log.json", "measurement.json", "propositions.json", "power.json",
             "invariance.json")

    @settings(max_examples=int(os.environ.get("RSNPROP_FUZZ", "25")), deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.fixed_dictionaries({n: st.one_of(_json_values(), st.dictionaries(
        st.sampled_from(["propositions", "steps", "reliability", "results", "cfa", "validity",
                         "multiverse", "n_in", "excluded", "evidence"]), _json_values(),
        max_size=4)) for n in names}))
    def check(payload):
        d = tmp_path_factory.mktemp("fuzz")
        for name, value in payload.items():
            (d / name).write_text(json.dumps(value), encoding="utf-8")
        html = build_report(d)
        assert html.rstrip().endswith("</html>")
        assert "<script" not in html

    check()


def test_simulated_data_is_flagged_at_the_top(full_report, tmp_path):
    from rsnprop.report import build_report

    import pandas as pd

    ids = pd.read_parquet(full_report["results"] / "clean.parquet")["resp_id"]
    assert ids.str.startswith("SIM-").all()  # the fixture is the simulated example
    html = full_report["html"]
    assert "SIMULATED DATA" in html
    assert html.index("SIMULATED DATA") < html.index('<nav')  # right under the title

    def edit(name, data):
        if name == "clean":
            data = data.copy()
            data["resp_id"] = [f"F{i}" for i in range(len(data))]
        if name == "cleaning_log.json":
            for e in data["excluded"]:
                e["id"] = "F"
        return data

    res = make_results(tmp_path, edit=edit, files=("cleaning_log.json",))
    assert "SIMULATED DATA" not in build_report(res)


def test_table_file_names_from_data_stay_in_the_tables_folder(tmp_path):
    from rsnprop.report import write_report_result

    def edit(name, data):
        if name == "propositions.json":
            data["propositions"]["../../escape<x>"] = data["propositions"].pop("P2")
            data["multiverse"] = None
        return data

    res = make_results(tmp_path / "res", edit=edit, clean=False,
                       files=("propositions.json",))
    result = write_report_result(res, tmp_path / "out" / "r.html")
    tables = tmp_path / "out" / "tables"
    assert result.tables and all(Path(p).parent == tables for p in result.tables)
    assert any("escape_x" in Path(p).name for p in result.tables)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "res"]


def test_stale_tables_of_earlier_runs_are_removed(tmp_path):
    # only files an earlier run wrote (listed in the folder's manifest) are removed (issue 14)
    from rsnprop.report.tables import Column, Table, export_tables

    d = tmp_path / "tables"
    d.mkdir()
    (d / "table09_mine.csv").write_text("x")  # the user's own file with a table-like name
    (d / "notes.txt").write_text("mine")
    old = Table("old", "Old", [Column("a", "A")], [{"a": "x"}], number=2)
    export_tables([old], d)
    t = Table("new", "New", [Column("a", "A")], [{"a": "x"}], number=1)
    written = export_tables([t], d)
    names = sorted(p.name for p in d.iterdir())
    assert "table02_old.csv" not in names and "table01_new.csv" in names
    assert "table09_mine.csv" in names and "notes.txt" in names
    assert {p.name for p in written} <= set(names)


@pytest.mark.parametrize("module", ["fmt", "tables", "figures", "inputs", "build", "docx_export",
                                    "sections.base"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"rsnprop.report.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_scores_figure_samples_large_groups_but_not_the_statistics():
    import numpy as np
    import pandas as pd

    from rsnprop.report import figures as F

    rng = np.random.default_rng(3)
    n = 900
    df = pd.DataFrame({"g": rng.integers(0, 2, n), "score_relational": rng.normal(4, 1, n),
                       "score_informational": rng.normal(4.5, 1, n)})
    small = F.paired_scores_plot(df, "g", max_firms=100)
    full = F.paired_scores_plot(df, "g", max_firms=1000)
    assert "random sample of 100 firms" in small.caption and "random sample" not in full.caption
    assert len(small.svg) < len(full.svg)
    m = df[df.g == 0].score_informational.mean()
    assert f"mean informational {m:.2f}" in small.alt and f"mean informational {m:.2f}" in full.alt
