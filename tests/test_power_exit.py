"""``rsnprop power`` on the command line ends without the interpreter's teardown (issue 21).

After its outputs are written and its forked workers joined, the command-line process ends
with ``os._exit`` (:func:`rsnprop.cli._exit_at_once`): freeing pandas', SciPy's and the
package's objects one by one took 40-100 ms of wall after the summary.  The outputs, the
summary and the exit status are those of the usual exit; an error, a call of
:func:`rsnprop.cli.main` with ``argv`` (a script, these tests) and the backends whose workers
are shut down at exit keep the usual exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rsnprop.cli import main

REPO = Path(__file__).resolve().parents[1]

# the command line (main() without argv) with an exit handler that says whether the
# interpreter's teardown ran (it runs the atexit handlers first)
_CLI = ("import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('TEARDOWN\\n'))\n"
        "from rsnprop.cli import main\n"
        "sys.argv = ['rsnprop'] + sys.argv[1:]\n"
        "raise SystemExit(main())\n")


def _cli(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", _CLI, *args], capture_output=True, text=True,
                          env=env, cwd=REPO)


def _power_args(out, *extra):
    return ["power", "--plan", "analysis/study.yaml", "--n", "300", "--reps", "2", "--seed", "3",
            "--no-analytic", "--no-progress", "-o", str(out), *extra]


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    """The same run through main([...]) in this process (the usual return)."""
    out = tmp_path_factory.mktemp("inproc") / "power.json"
    assert main(_power_args(out, "--jobs", "1")) == 0
    return json.loads(out.read_text())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers (Linux)")
def test_the_command_line_ends_at_once_with_the_same_outputs(tmp_path, in_process):
    out = tmp_path / "power.json"
    proc = _cli(_power_args(out, "--jobs", "2"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "TEARDOWN" not in proc.stderr                       # no teardown...
    assert proc.stdout.rstrip().endswith("rsnprop power --json.")  # ...after the whole summary
    assert json.loads(out.read_text()) == in_process          # the same result as main([...])
    lines = (tmp_path / "power.runs.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(x) for x in lines)  # header and 2 records, whole


def test_an_error_keeps_the_usual_exit(tmp_path):
    proc = _cli(["power", "--plan", str(tmp_path / "missing.yaml"), "--n", "300"], tmp_path)
    assert proc.returncode == 2
    assert "TEARDOWN" in proc.stderr and "does not exist" in proc.stderr


def test_exit_at_once_only_from_the_command_line(tmp_path, monkeypatch):
    # main([...]) returns its status whatever the command asked; the command line exits
    calls = []
    monkeypatch.setattr(os, "_exit", lambda status: calls.append(status))
    out = tmp_path / "power.json"
    assert main(_power_args(out, "--jobs", "1")) == 0
    assert calls == []
    monkeypatch.setattr(sys, "argv", ["rsnprop", *_power_args(out, "--jobs", "1", "--restart")])
    assert main() == 0 and calls == [0]                      # (os._exit stubbed: it returns)
    monkeypatch.setattr(sys, "argv", ["rsnprop", *_power_args(out, "--jobs", "1", "--restart",
                                                              "--reps", "0")])
    calls.clear()
    assert main() == 2 and calls == []                        # an error: the usual exit
