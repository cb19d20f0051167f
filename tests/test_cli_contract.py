"""The command-line contract under adversarial input (issue 14), one regression test per case.

Every case runs a real command line (in a fork of one warm rsnprop process, see
tests/cli_contract_runner.py) and checks: the exit status (2 for every user mistake, never 1 or
a signal), no traceback, a first stderr line naming the file/option/column/row/value, and that
no input file changed (SHA-256 of every file in the folder before and after).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from cli_contract_runner import Server, build_corpus, make_bad_files, snapshot


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    server = Server()
    folder = tmp_path_factory.mktemp("contract")
    build_corpus(server, folder)
    make_bad_files(folder)
    yield server, folder
    server.close()


def run_case(env, argv, *, code=2, first=(), timeout=120):
    """Run ``argv``; check the contract; return the completed run."""
    server, folder = env
    before = snapshot(folder)
    start = time.perf_counter()
    res = server.run(argv, folder, timeout=timeout)
    elapsed = time.perf_counter() - start
    after = snapshot(folder)
    changed = sorted(k for k, h in before.items() if after.get(k) != h)
    assert not changed, f"{argv}: input files changed or deleted: {changed}"
    assert res.returncode == code, f"{argv}: exit {res.returncode}\n{res.stderr[-2000:]}"
    assert "Traceback" not in res.stderr, res.stderr
    for token in first:
        assert token in res.first_line, f"{argv}: {token!r} not in {res.first_line!r}"
    res.elapsed = elapsed
    return res


# ---- 1. no command overwrites or deletes an input -------------------------------------------

OVERWRITE = [
    ("test_o_raw", ["test", "clean.parquet", "--plan", "plan.yaml", "--raw", "raw.csv",
                    "--instrument", "ins.yaml", "-o", "raw.csv"], ["raw.csv", "--output", "--raw"]),
    ("test_o_clean", ["test", "clean.parquet", "--plan", "plan.yaml", "-o", "clean.parquet"],
     ["clean.parquet", "--output", "CLEAN"]),
    ("test_o_clean_dotted", ["test", "clean.parquet", "--plan", "plan.yaml", "-o",
                             "build/../clean.parquet"], ["--output", "CLEAN"]),
    ("measure_o_instrument", ["measure", "clean.parquet", "--instrument", "ins.yaml", "-o",
                              "ins.yaml"], ["ins.yaml", "--instrument"]),
    ("measure_o_data", ["measure", "clean.parquet", "--instrument", "ins.yaml", "-o",
                        "clean.parquet"], ["clean.parquet", "CLEAN"]),
    ("clean_log_instrument", ["clean", "raw.csv", "--instrument", "ins.yaml", "-o", "c.parquet",
                              "--log", "ins.yaml"], ["ins.yaml", "--log"]),
    ("clean_log_plan", ["clean", "raw.csv", "--instrument", "ins.yaml", "--plan", "plan.yaml",
                        "-o", "c.parquet", "--log", "plan.yaml"], ["plan.yaml", "--log", "--plan"]),
    ("clean_o_equals_flags", ["clean", "raw.csv", "--instrument", "ins.yaml", "-o", "x.csv",
                              "--flags", "x.csv"], ["x.csv", "--flags", "--output"]),
    ("clean_o_equals_log", ["clean", "raw.csv", "--instrument", "ins.yaml", "-o", "x.parquet",
                            "--log", "x.parquet"], ["x.parquet", "--log"]),
    ("clean_o_raw", ["clean", "raw.csv", "--instrument", "ins.yaml", "-o", "raw.csv"],
     ["raw.csv", "RAW"]),
    ("export_o_instrument", ["instrument", "export", "ins.yaml", "--format", "xlsform", "-o",
                             "ins.yaml"], ["ins.yaml", "--output"]),
    ("power_restart_csv", ["power", "--plan", "plan.yaml", "--n", "50", "--reps", "1",
                           "--stream", "stream.jsonl", "--restart"],
     ["stream.jsonl", "--restart"]),
    ("power_stream_plan", ["power", "--plan", "plan.yaml", "--n", "50", "--reps", "1",
                           "--stream", "plan.yaml", "--restart"], ["plan.yaml", "--stream"]),
    ("simulate_o_instrument", ["simulate", "--instrument", "ins.yaml", "-o", "ins.yaml"],
     ["ins.yaml"]),
    ("report_user_table", ["report", "build", "-o", "rep/r.html", "--tables-dir", "tbl"],
     ["tbl/table01_exclusion_reasons.csv", "--tables-dir"]),
    ("report_o_power", ["report", "build", "-o", "build/clean.parquet"], ["--output"]),
]


@pytest.mark.parametrize("argv,first", [c[1:] for c in OVERWRITE], ids=[c[0] for c in OVERWRITE])
def test_no_command_overwrites_an_input(env, argv, first):
    run_case(env, argv, first=first, timeout=60)  # refused before any work (timing: make bench)


def test_same_file_through_a_symlink_and_a_hard_link_is_refused(env):
    _, folder = env
    for name, make in (("raw_sym.csv", os.symlink), ("raw_hard.csv", os.link)):
        if not (folder / name).exists():
            make(folder / "raw.csv", folder / name)
        run_case(env, ["clean", "raw.csv", "--instrument", "ins.yaml", "-o", name],
                 first=[name, "--output", "RAW"])


# ---- 2. every user mistake exits 2 ----------------------------------------------------------

MISTAKES = [
    ("clean_o_folder", ["clean", "raw.csv", "--instrument", "ins.yaml", "-o", "build"],
     ["build", "--output", "folder"]),
    ("measure_o_folder", ["measure", "clean.parquet", "--instrument", "ins.yaml", "-o", "build"],
     ["build", "folder"]),
    ("export_o_folder", ["instrument", "export", "ins.yaml", "-f", "xlsform", "-o", "build"],
     ["build"]),
    ("simulate_o_folder", ["simulate", "--instrument", "ins.yaml", "-o", "build/"], ["build"]),
    ("test_o_folder", ["test", "clean.parquet", "--plan", "plan.yaml", "-o", "build"], ["build"]),
    ("power_o_folder", ["power", "--plan", "plan.yaml", "--n", "50", "--reps", "1", "-o",
                        "build"], ["build"]),
    ("o_under_a_file", ["measure", "clean.parquet", "--instrument", "ins.yaml", "-o",
                        "raw.csv/m.json"], ["raw.csv/m.json", "--output"]),
    ("o_unwritable", ["measure", "clean.parquet", "--instrument", "ins.yaml", "-o",
                      "/proc/rsnprop/m.json"], ["/proc/rsnprop/m.json", "--output"]),
    ("input_is_folder", ["reliability", "build", "--items", "x1,x2,x3"], ["build", "folder"]),
    ("plan_not_utf8", ["test", "clean.parquet", "--plan", "latin1.yaml"],
     ["latin1.yaml", "UTF-8", "row 1"]),
    ("scenario_not_utf8", ["simulate", "--instrument", "ins.yaml", "--scenario", "latin1.yaml",
                           "-o", "s.csv"], ["latin1.yaml", "UTF-8"]),
    ("instrument_not_utf8", ["instrument", "validate", "ins_latin1.yaml"],
     ["ins_latin1.yaml", "UTF-8"]),
    ("run_plan_list", ["run", "list.yaml"], ["list.yaml", "mapping"]),
    ("run_plan_scalar", ["run", "scalar.yaml"], ["scalar.yaml", "mapping"]),
    ("test_plan_list", ["test", "clean.parquet", "--plan", "list.yaml"], ["list.yaml"]),
    ("plan_nested_too_deeply", ["test", "clean.parquet", "--plan", "deep.yaml"], ["deep.yaml"]),
    ("invariance_levels_empty", ["invariance", "hs.csv", "--model", "model.lav", "--group", "sex",
                                 "--levels", ""], ["--levels"]),
    ("fit_defined_text", ["fit", "hs.csv", "--model", "v =~ x1 + x2 + x3\nd := 'aaa'"],
     ["--model", "'aaa'"]),
    ("fit_defined_overflow", ["fit", "hs.csv", "--model", "v =~ x1 + x2 + x3\nd := 10^400"],
     ["--model", "10^400"]),
    ("measure_five_rows", ["measure", "five.parquet", "--instrument", "ins.yaml", "--n-boot",
                           "0"], ["five.parquet"]),
    ("validity_inf_cell", ["validity", "hsinf.csv", "--model", "model.lav", "--n-boot", "0"],
     ["hsinf.csv", "column 'x2'", "row 4", "inf"]),
    ("validity_huge_cell", ["validity", "hsbig.csv", "--model", "model.lav", "--n-boot", "0"],
     ["hsbig.csv", "column 'x2'", "row 4", "1e+300"]),
    ("simulate_huge_n", ["simulate", "--instrument", "ins.yaml", "--n", "100000000000", "-o",
                         "big.csv"], ["--n", "100000000000"]),
    ("power_bogus_scheduler", ["power", "--plan", "plan.yaml", "--n", "50", "--reps", "1",
                               "--backend", "dask", "--scheduler", "bogus"],
     ["--scheduler", "bogus"]),
    ("power_scheduler_without_dask", ["power", "--plan", "plan.yaml", "--n", "50", "--reps", "1",
                                      "--scheduler", "tcp://127.0.0.1:1"], ["--scheduler"]),
    ("power_negative_jobs", ["power", "--plan", "plan.yaml", "--n", "50", "--jobs", "-3"],
     ["--jobs"]),
    ("reliability_omega_factors_negative", ["reliability", "hs.csv", "--items", "x1,x2,x3",
                                            "--omega-factors", "-1", "--n-boot", "0"],
     ["--omega-factors", "-1"]),
    ("reliability_huge_cell", ["reliability", "hsbig.csv", "--items", "x1,x2,x3", "--n-boot",
                               "0"], ["hsbig.csv", "column 'x2'", "row 4"]),
    ("efa_inf_cell", ["efa", "hsinf.csv", "--items", "x1,x2,x3,x4", "--nfactors", "1"],
     ["hsinf.csv", "column 'x2'", "row 4"]),
    ("fit_equal_without_group", ["fit", "hs.csv", "--model", "model.lav", "--equal", "loadings"],
     ["--equal", "--group"]),
    ("fit_partial_unknown", ["fit", "hs.csv", "--model", "model.lav", "--group", "sex", "--equal",
                             "loadings", "--partial", "zz=~x1"], ["--partial", "zz=~x1"]),
    ("fit_partial_without_equal", ["fit", "hs.csv", "--model", "model.lav", "--group", "sex",
                                   "--partial", "visual=~x2"], ["--partial"]),
    ("fit_fiml_all_missing_item", ["fit", "hsmiss.csv", "--model", "model.lav", "--missing",
                                   "fiml"], ["hsmiss.csv", "column 'x8'"]),
    ("fit_negative_bootstrap", ["fit", "hs.csv", "--model", "model.lav", "--bootstrap", "-5"],
     ["--bootstrap"]),
    ("data_empty_file", ["reliability", "empty.csv", "--items", "a,b,c"], ["empty.csv"]),
    ("data_binary_file", ["efa", "binary.csv", "--items", "a,b,c"], ["binary.csv"]),
    ("data_not_parquet", ["reliability", "not_parquet.parquet", "--items", "a,b,c"],
     ["not_parquet.parquet"]),
    ("data_not_xlsx", ["reliability", "not_xlsx.xlsx", "--items", "a,b,c"], ["not_xlsx.xlsx"]),
    ("data_header_only", ["reliability", "header_only.csv", "--items", "rel_1,rel_2,rel_3"],
     ["header_only.csv"]),
    ("missing_model_file_column", ["fit", "hs.csv", "--model", "visual =~ x1 + x2 + nosuch"],
     ["nosuch"]),
]


@pytest.mark.parametrize("argv,first", [c[1:] for c in MISTAKES], ids=[c[0] for c in MISTAKES])
def test_every_user_mistake_exits_2(env, argv, first):
    run_case(env, argv, first=first)


@pytest.mark.parametrize("command", [
    ["fit", "hs.csv", "--model", "model.lav"],
    ["validity", "hs.csv", "--model", "model.lav", "--n-boot", "0"],
    ["reliability", "hs.csv", "--items", "x1,x2,x3", "--n-boot", "0"],
    ["efa", "hs.csv", "--items", "x1,x2,x3,x4"],
    ["measure", "clean.parquet", "--instrument", "ins.yaml", "--n-boot", "0"],
    ["simulate", "--instrument", "ins.yaml", "-o", "s.csv"],
    ["power", "--plan", "plan.yaml", "--n", "50"],
    ["test", "clean.parquet", "--plan", "plan.yaml"],
])
def test_negative_seed_is_refused_by_every_command(env, command):
    run_case(env, [*command, "--seed", "-1"], first=["--seed", "-1"])


# ---- 3. bombs are refused in seconds --------------------------------------------------------

@pytest.mark.parametrize("argv,first", [
    (["test", "clean.parquet", "--plan", "bomb.yaml"], ["bomb.yaml", "alias"]),
    (["run", "bomb.yaml"], ["bomb.yaml", "alias"]),
    (["instrument", "validate", "ins_bomb.yaml"], ["ins_bomb.yaml", "alias"]),
    (["clean", "raw.csv", "--instrument", "ins_bomb.yaml", "-o", "c.parquet"], ["ins_bomb.yaml"]),
    (["simulate", "--instrument", "ins.yaml", "--scenario", "bomb.yaml", "-o", "s.csv"],
     ["bomb.yaml", "alias"]),
    (["fit", "hs.csv", "--model", "v =~ x1 + x2 + x3\nd := 9^9^9"], ["--model", "9^9^9"]),
    (["fit", "hs.csv", "--model", "v =~ x1 + x2 + x3\nd := 'a'*10^10"], ["--model"]),
], ids=["plan", "run_plan", "instrument", "clean_instrument", "scenario", "defined_power_tower",
        "defined_string_product"])
def test_bombs_are_refused_in_seconds(env, argv, first):
    run_case(env, argv, first=first, timeout=30)  # a bomb that is not refused times out


# ---- 4. no silent wrong reading -------------------------------------------------------------

READING = [
    ("delimiter_mismatch", ["clean", "delim.csv", "--instrument", "ins.yaml", "-o", "d.parquet"],
     ["delim.csv", "';'", "','"]),
    ("short_row", ["clean", "short.csv", "--instrument", "ins.yaml", "-o", "d.parquet"],
     ["short.csv", "row 10", "field"]),
    ("extra_field_row_is_the_data_row", ["clean", "long.csv", "--instrument", "ins.yaml", "-o",
                                         "d.parquet"], ["long.csv", "row 10"]),
    ("qualtrics_without_platform", ["clean", "qualtrics.csv", "--instrument", "ins.yaml", "-o",
                                    "d.parquet"], ["qualtrics.csv", "--platform qualtrics"]),
    ("duplicate_plan_key", ["test", "clean.parquet", "--plan", "dup.yaml"],
     ["dup.yaml", "'alpha'", "duplicate key"]),
    ("duplicate_plan_key_in_clean", ["clean", "raw.csv", "--instrument", "ins.yaml", "--plan",
                                     "dup.yaml", "-o", "d.parquet"], ["dup.yaml", "'alpha'"]),
    ("section_id_equals_item_id", ["instrument", "validate", "secitem.yaml"],
     ["secitem.yaml", "'consent'"]),
]


@pytest.mark.parametrize("argv,first", [c[1:] for c in READING], ids=[c[0] for c in READING])
def test_no_silent_wrong_reading(env, argv, first):
    run_case(env, argv, first=first)


def test_mixed_encoding_is_reported(env):
    res = run_case(env, ["clean", "mixed.csv", "--instrument", "ins.yaml", "-o", "m.parquet"],
                   code=0)
    assert "mixes UTF-8" in res.stdout


def test_r_missing_tokens_are_read_as_missing_and_counted(env):
    _, folder = env
    res = run_case(env, ["reliability", "hsna.csv", "--items", "x1,x2,x3,x9", "--n-boot", "0",
                         "--json"], code=0)
    import json

    out = json.loads(res.stdout)
    assert "NA" not in res.stderr
    n_used = [v for k, v in out.items() if k in ("n", "n_used", "n_complete")]
    assert n_used and min(n_used) == 38  # 40 rows, 2 with a missing token in an item
    run_case(env, ["clean", "na.csv", "--instrument", "ins.yaml", "-o", "na.parquet", "--log",
                   "na_log.json"], code=0)
    log = json.loads((folder / "na_log.json").read_text())
    assert log["read"]["missing_tokens"]["NA"] > 0


def test_multi_problem_error_keeps_a_one_line_first_line(env):
    _, folder = env
    bad = (folder / "ins.yaml").read_text().replace("  - id: intro", "  - id: consent", 1)
    bad = bad.replace("  - id: firm", "  - id: role", 1)
    (folder / "two_problems.yaml").write_text(bad)
    res = run_case(env, ["instrument", "export", "two_problems.yaml", "-f", "xlsform", "-o",
                         "x.xlsx"], first=["two_problems.yaml", "more problem"])
    assert len(res.stderr.strip().splitlines()) >= 2


def test_warnings_print_as_one_line_without_source(env):
    res = run_case(env, ["clean", "mixed.csv", "--instrument", "ins.yaml", "-o", "m2.parquet"],
                   code=0)
    res = run_case(env, ["reliability", "hsmiss.csv", "--items", "x1,x2,x3", "--n-boot", "0"],
                   code=0)
    for line in res.stderr.splitlines():
        assert line.startswith("warning: "), res.stderr
    assert "x8" in res.stderr  # the empty column


# ---- 5. outputs safe to open ----------------------------------------------------------------

def test_csv_outputs_neutralise_formulas(env):
    _, folder = env
    lines = (folder / "raw.csv").read_text().splitlines()
    col = lines[0].split(",").index("resp_id")
    rows = [ln.split(",") for ln in lines[1:]]
    cells = ["=HYPERLINK(\"\"http://x\"\")", "-2+3", "@SUM(A1)", "+CMD"]
    for i, cell in enumerate(cells):  # kept firms' ids, as a platform might export them
        rows[i][col] = f'"{cell}"' if '"' in cell else cell
    (folder / "formula.csv").write_text("\n".join([lines[0]] + [",".join(r) for r in rows]) + "\n")
    run_case(env, ["clean", "formula.csv", "--instrument", "ins.yaml", "-o", "formula_clean.csv",
                   "--flags", "formula_flags.csv"], code=0)
    import pandas as pd

    for out in ("formula_clean.csv", "formula_flags.csv"):
        ids = set(pd.read_csv(folder / out, dtype=str)["resp_id"])
        shown = [c for c in ('=HYPERLINK("http://x")', "-2+3", "@SUM(A1)", "+CMD")
                 if c in ids or "'" + c in ids]
        assert shown, out  # at least some of those firms are in the file
        for c in shown:
            assert "'" + c in ids and c not in ids, (out, c)
        assert not any(i.startswith(("=", "+", "-", "@")) for i in ids)


def test_report_tables_are_csv_safe_and_manifest_kept(env):
    _, folder = env
    run_case(env, ["report", "build", "-o", "rep2/r.html"], code=0)
    tables = folder / "rep2" / "tables"
    manifest = tables / "rsnprop-tables.json"
    assert manifest.is_file()
    before = {p.name for p in tables.iterdir()}
    # a second run replaces its own files; a file of the user's in the folder stays
    (tables / "notes.txt").write_text("mine")
    run_case(env, ["report", "build", "-o", "rep2/r.html"], code=0)
    assert {p.name for p in tables.iterdir()} == before | {"notes.txt"}
    # an edited table is the user's now: refused, nothing replaced
    first = sorted(p for p in tables.iterdir() if p.suffix == ".csv")[0]
    first.write_text(first.read_text() + "edited\n")
    run_case(env, ["report", "build", "-o", "rep2/r.html"], first=[first.name, "changed"])
    assert first.read_text().endswith("edited\n")


def test_xlsform_text_beginning_with_equals_is_text(tmp_path):
    import io
    import zipfile

    from rsnprop.instrument.exporters._xlsx import write_xlsx

    data = write_xlsx({"survey": [["type", "label"], ["note", "=1+1"]]})
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "=1+1" in xml


def test_clean_outputs_are_replaced_together(tmp_path, monkeypatch):
    from rsnprop import io as rio

    a, b = tmp_path / "a.csv", tmp_path / "a.json"
    a.write_text("old a")
    b.write_text("old b")
    real = rio._write_temp

    def failing(path, data):
        if path.name == "a.json":
            raise OSError(28, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(rio, "_write_temp", failing)
    with pytest.raises(OSError):
        rio.atomic_write_many({a: "new a", b: "new b"})
    assert a.read_text() == "old a" and b.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.json"]  # no temp files


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_report_exits_130_and_leaves_no_temp_files(env, tmp_path, sig):
    _, folder = env
    out = tmp_path / "r.html"
    code = ("import time, rsnprop.report.build as b, sys\n"
            "real = b._render\n"
            "def slow(*a, **k):\n"
            "    print('rendering', flush=True); time.sleep(30); return real(*a, **k)\n"
            "b._render = slow\n"
            "from rsnprop.cli import main\n"
            f"sys.exit(main(['report', {str(folder / 'build')!r}, '-o', {str(out)!r}]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert proc.stdout.readline().strip() == "rendering"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_internal_errors_still_exit_1(monkeypatch, capsys):
    from rsnprop import cli
    from rsnprop.commands import efa

    def boom(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(efa, "run", boom)
    monkeypatch.delenv("RSNPROP_DEBUG", raising=False)
    assert cli.main(["efa", "x.csv", "--items", "a,b,c"]) == 1
    assert "internal error" in capsys.readouterr().err


def test_permission_error_while_writing_exits_2(monkeypatch, capsys, tmp_path):
    from rsnprop import cli
    from rsnprop.commands import instrument

    def denied(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.xlsx"))

    monkeypatch.setattr(instrument, "run", denied)
    assert cli.main(["instrument", "show", "x.yaml"]) == 2
    err = capsys.readouterr().err
    assert "out.xlsx" in err.splitlines()[0] and "permission denied" in err


def test_restart_removes_a_real_stream_only(tmp_path):
    from rsnprop.commands.power import _remove_stream
    from rsnprop.errors import InputError
    from rsnprop.power.montecarlo import STREAM_KIND

    stream = tmp_path / "runs.jsonl"
    stream.write_text('{"kind": "%s", "config_hash": "x"}\n{"rep": 1}\n' % STREAM_KIND)
    _remove_stream(str(stream))
    assert not stream.exists()
    other = tmp_path / "data.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(InputError):
        _remove_stream(str(other))
    assert other.read_text() == "a,b\n1,2\n"


def test_excel_formulas_without_saved_values_and_empty_columns_warn(tmp_path):
    import openpyxl

    from rsnprop.data import read_table
    from rsnprop.errors import DataQualityWarning

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["resp_id", "rel_1", "rel_2", "note"])
    for i in range(4):
        ws.append([f"R{i}", f"=1+{i}", i + 1, None])  # openpyxl saves formulas without values
    path = tmp_path / "formulas.xlsx"
    wb.save(path)
    with pytest.warns(DataQualityWarning) as record:
        df = read_table(path)
    text = " ".join(str(w.message) for w in record)
    assert "4 cell(s) hold a formula without a saved value" in text
    assert "rel_1" in text and "note" in text  # the columns with no value at all
    assert df["rel_1"].isna().all()


def test_missing_tokens_are_configurable(tmp_path):
    from rsnprop.data import read_table

    path = tmp_path / "r.csv"
    path.write_text("id,x\n1,NA\n2,3\n3,N/A\n4,#N/A\n")
    df = read_table(path)
    assert df["x"].isna().sum() == 3 and df["x"].dtype == "float64"
    assert df.attrs["rsnprop_read"]["missing_tokens"] == {"#N/A": 1, "N/A": 1, "NA": 1}
    kept = read_table(path, missing_tokens=())
    assert kept["x"].tolist() == ["NA", "3", "N/A", "#N/A"]


def test_report_does_not_overwrite_a_users_tables_docx(env):
    _, folder = env
    tables = folder / "rep3" / "tables"
    tables.mkdir(parents=True)
    (tables / "tables.docx").write_bytes(b"my own document")
    res = run_case(env, ["report", "build", "-o", "rep3/r.html"], first=["tables.docx"])
    assert (tables / "tables.docx").read_bytes() == b"my own document"
    assert not (folder / "rep3" / "r.html").exists()  # nothing written: the pair or nothing
    assert res.returncode == 2


def test_clean_missing_tokens_option(env):
    import json

    _, folder = env
    run_case(env, ["clean", "na.csv", "--instrument", "ins.yaml", "-o", "tok.parquet", "--log",
                   "tok.json", "--missing-tokens", "N/A"], code=0)
    assert "NA" not in json.loads((folder / "tok.json").read_text())["read"]["missing_tokens"]
