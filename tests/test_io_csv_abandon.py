"""A ``rsnprop clean`` that fails while its early parse of a big export runs
(:mod:`rsnprop.io_csv`) ends at once: a YAML file that does not parse starts no parse, and
the command line ends its process as soon as the error is reported (exit 2, or 130 for
Ctrl-C), instead of waiting seconds for the abandoned parse at the interpreter's exit."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from rsnprop import io_csv
from rsnprop.cli import main
from rsnprop.commands import clean as clean_cmd

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"

#: the parse in the child processes below takes this long (the bug waited for it)
SLOW_PARSE_S = 60


def _bad_yaml(tmp_path, name="bad.yaml"):
    path = tmp_path / name
    path.write_text("items:\n  - id: a\n    type: [\n")
    return path


@pytest.fixture
def spy_start(monkeypatch):
    calls = []

    def spy(path, **kw):
        calls.append(path)
        return False
    monkeypatch.setattr(io_csv, "start_parse", spy)
    return calls


def _cli(raw, out, *extra):
    return main(["clean", str(raw), *extra, "-o", str(out / "c.parquet"),
                 "--log", str(out / "c.json")])


def test_broken_instrument_yaml_starts_no_parse(tmp_path, spy_start, capsys):
    rc = _cli(EXAMPLE, tmp_path, "--instrument", str(_bad_yaml(tmp_path)))
    assert rc == 2 and spy_start == []
    assert "bad.yaml: line 4, column 1: not valid YAML" in capsys.readouterr().err


def test_broken_plan_yaml_starts_no_parse(tmp_path, spy_start, capsys):
    rc = _cli(EXAMPLE, tmp_path, "--instrument", str(INSTRUMENT), "--plan",
              str(_bad_yaml(tmp_path, "plan.yaml")))
    assert rc == 2 and spy_start == []
    assert "plan.yaml: row 4: not valid YAML" in capsys.readouterr().err


def test_valid_yaml_starts_the_parse(tmp_path, spy_start):
    plan = tmp_path / "plan.yaml"
    plan.write_text("cleaning: {}\n")
    assert clean_cmd._yaml_parses(INSTRUMENT, None, plan)
    assert not clean_cmd._yaml_parses(INSTRUMENT, _bad_yaml(tmp_path))
    assert not clean_cmd._yaml_parses(tmp_path / "none.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    assert not clean_cmd._yaml_parses(latin)
    args = argparse.Namespace(raw=str(EXAMPLE), instrument=str(INSTRUMENT), plan=None,
                              platform=None, output=str(tmp_path / "c.parquet"),
                              log=str(tmp_path / "c.json"), flags=None, missing_tokens=None)
    clean_cmd.run(args)
    assert spy_start == [EXAMPLE]


def test_abandoned_parse_is_known_while_it_runs(tmp_path, monkeypatch):
    go = threading.Event()

    def slow(path, min_bytes, block_bytes):
        go.wait(30)
    monkeypatch.setattr(io_csv, "_parse_mapped", slow)
    monkeypatch.setattr(io_csv, "EARLY_MIN_BYTES", 0)
    raw = tmp_path / "raw.csv"
    raw.write_bytes(EXAMPLE.read_bytes())
    assert io_csv.start_parse(raw, min_bytes=0, block_bytes=4096)
    assert not io_csv.abandoned_running()       # started, not given up
    io_csv.drop_parse(raw)
    assert io_csv.abandoned_running()
    go.set()
    for _ in range(300):
        if not io_csv.abandoned_running():
            break
        time.sleep(0.01)
    assert not io_csv.abandoned_running()
    assert io_csv._STARTED == {}


def test_ctrl_c_while_waiting_for_the_table(tmp_path, monkeypatch):
    go = threading.Event()
    monkeypatch.setattr(io_csv, "_parse_mapped", lambda *a: go.wait(30))
    monkeypatch.setattr(io_csv, "EARLY_MIN_BYTES", 0)
    raw = tmp_path / "raw.csv"
    raw.write_bytes(EXAMPLE.read_bytes())
    assert io_csv.start_parse(raw, min_bytes=0, block_bytes=4096)
    main_id = threading.get_ident()
    timer = threading.Timer(0.3, signal.pthread_kill, (main_id, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            io_csv.take_parse(raw, 0, 4096)
        # the thread still runs (though a join interrupted in Python 3.11 says it does not)
        assert io_csv.abandoned_running()
    finally:
        go.set()
        timer.join()
    for _ in range(300):
        if not io_csv.abandoned_running():
            break
        time.sleep(0.01)
    assert not io_csv.abandoned_running()


# The command line in a child process whose early parse sleeps SLOW_PARSE_S seconds without
# the GIL (as pyarrow's parse does): it must end as soon as its error is reported.
_CHILD = textwrap.dedent(f"""
    import sys, time
    from rsnprop import io_csv
    def slow(path, min_bytes, block_bytes):
        sys.stderr.write("parse started\\n"); sys.stderr.flush()
        time.sleep({SLOW_PARSE_S})
    io_csv._parse_mapped = slow
    io_csv.EARLY_MIN_BYTES = 0
    from rsnprop.commands import clean
    clean._CSV_ARROW_MIN_BYTES = 0
    from rsnprop.cli import main
    sys.argv = ["rsnprop"] + sys.argv[1:]
    raise SystemExit(main())
""")


def _child(tmp_path, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", _CHILD, "clean", str(EXAMPLE), *args,
           "-o", str(tmp_path / "c.parquet"), "--log", str(tmp_path / "c.json")]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=SLOW_PARSE_S / 3):
    start = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the command waited for the abandoned parse")
    return proc.returncode, err, time.perf_counter() - start


def test_invalid_instrument_ends_at_once(tmp_path):
    bad = tmp_path / "notins.yaml"
    bad.write_text("just: a mapping\n")                # YAML, not an instrument
    rc, err, _ = _finish(_child(tmp_path, "--instrument", str(bad)))
    assert rc == 2, err
    assert "parse started" in err and "notins.yaml: invalid instrument: just (line 1)" in err
    assert "Traceback" not in err


def test_invalid_plan_ends_at_once(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("cleaning:\n  careless: 5\n")      # YAML, not a study plan
    rc, err, _ = _finish(_child(tmp_path, "--instrument", str(INSTRUMENT), "--plan",
                                str(plan)))
    assert rc == 2, err
    assert "parse started" in err and "plan.yaml" in err and "Traceback" not in err


def test_ctrl_c_during_the_parse_ends_at_once(tmp_path):
    proc = _child(tmp_path, "--instrument", str(INSTRUMENT))
    time.sleep(0.3)
    os.set_blocking(proc.stderr.fileno(), True)
    assert proc.stderr.readline() == "parse started\n"
    time.sleep(3)          # the instrument loaded, the command waits for the table
    proc.send_signal(signal.SIGINT)
    rc, err, waited = _finish(proc)
    assert rc == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert waited < 10
