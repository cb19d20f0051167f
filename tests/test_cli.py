"""The command-line contract: help, version, exit codes, JSON on stdout only."""

import json
import os
import subprocess
import sys


import rsnprop
from rsnprop import cli


def test_version(rsnprop_cli):
    proc = rsnprop_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"rsnprop {rsnprop.__version__}"


def test_help_lists_only_real_commands(rsnprop_cli):
    proc = rsnprop_cli("--help")
    assert proc.returncode == 0
    for mod in cli._command_modules():
        assert mod.NAME in proc.stdout
        assert callable(mod.run) and callable(mod.add_arguments)


def test_no_command_prints_help_and_exits_2(rsnprop_cli):
    proc = rsnprop_cli()
    assert proc.returncode == 2
    assert "usage: rsnprop" in proc.stdout


def test_unknown_command_exits_2_with_one_line(rsnprop_cli):
    proc = rsnprop_cli("frobnicate")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_help_does_not_import_heavy_libraries():
    code = ("import sys, rsnprop.cli as c\n"
            "c.build_parser()\n"
            "heavy = [m for m in ('pandas','numpy','semopy','pingouin','statsmodels','seaborn',"
            "'matplotlib','scipy','sklearn','pyarrow') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_bug_exits_1_without_traceback(monkeypatch, capsys):
    class Boom:
        NAME = "boom"

        @staticmethod
        def run(args):
            raise ZeroDivisionError("oops")

    parser_args = type("A", (), {"command_module": Boom, "command": "boom", "json": False})()
    monkeypatch.setattr(cli, "build_parser", lambda: type("P", (), {
        "parse_args": staticmethod(lambda argv: parser_args)})())
    monkeypatch.delenv("RSNPROP_DEBUG", raising=False)
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err


def test_input_error_exits_2_with_json(monkeypatch, capsys):
    from rsnprop.errors import InputError

    class Bad:
        @staticmethod
        def run(args):
            raise InputError("not numeric", file="d.csv", column="x1", row=3, value="a")

    parser_args = type("A", (), {"command_module": Bad, "command": "bad", "json": True})()
    monkeypatch.setattr(cli, "build_parser", lambda: type("P", (), {
        "parse_args": staticmethod(lambda argv: parser_args)})())
    assert cli.main([]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["column"] == "x1"
    assert captured.err.strip() == "rsnprop bad: error: d.csv: column 'x1', row 3, value 'a': not numeric"


def test_fit_on_bad_input_names_file_column_row_value(rsnprop_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,x3\n1,2,3\n2,3,abc\n3,4,5\n4,6,5\n", encoding="utf-8")
    proc = rsnprop_cli("fit", bad, "--model", "f =~ x1 + x2 + x3")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == (f"rsnprop fit: error: {bad}: column 'x3', row 2, value 'abc': "
                                   "column is not numeric")
    proc = rsnprop_cli("fit", tmp_path / "missing.csv", "--model", "f =~ x1 + x2 + x3", "--json")
    assert proc.returncode == 2 and proc.json()["error"] == "MissingFileError"


def test_commands_pin_blas_threads_for_byte_identical_outputs():
    """Matrix products on 2 BLAS threads differ from 1 thread in the last bits (the example's
    invariance.json did, between a 2-core CI run and OMP_NUM_THREADS=1): every command pins
    the thread variables before numpy loads, to RSNPROP_BLAS_THREADS (default 1)."""
    from rsnprop.cli import BLAS_THREAD_VARIABLES, pin_blas_threads

    env = {"OMP_NUM_THREADS": "8"}
    assert pin_blas_threads(env) == "1"
    assert all(env[name] == "1" for name in BLAS_THREAD_VARIABLES)
    env = {"RSNPROP_BLAS_THREADS": "4", "OPENBLAS_NUM_THREADS": "1"}
    assert pin_blas_threads(env) == "4" and env["OPENBLAS_NUM_THREADS"] == "4"
    code = ("import os, sys; from rsnprop import cli; sys.argv = ['rsnprop', '--version'];\n"
            "try:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "2"}).stdout.split()
    assert out[-2:] == ["1", "False"]  # pinned, and before numpy was imported
