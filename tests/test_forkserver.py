"""The warm fork server (``rsnprop warm``, rsnprop/forkserver.py): a command run through it
writes the same bytes, prints the same lines and exits with the same status as a cold process;
it sees its caller's environment, folder and standard input; signals reach it; a caller that
cannot use the server runs cold, silently.

One server for the module (it imports what ``rsnprop warm`` imports, about 2-3 s); its runner
answers a few probe commands (``_probe ...``) that only a forked child can answer (a cold
``rsnprop _probe`` is a usage error, exit 2), so each probe also proves that the call went
through the server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SERVER = r"""
import os, sys, time
from rsnprop.cli import main, pin_blas_threads
from rsnprop.commands.warm import preload
from rsnprop.forkserver import serve

def run(argv):
    if argv[:1] != ["_probe"]:
        return main(argv)
    what = argv[1]
    if what == "env":
        print(os.environ.get("SOURCE_DATE_EPOCH"), os.environ.get("RSNPROP_FORKSERVER"),
              os.getcwd(), oct(os.umask(0)), sys.argv[1:])
    elif what == "stdin":
        print(sys.stdin.read().upper(), end="")
    elif what == "boom":
        raise RuntimeError("probe bug")
    elif what == "sleep":
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            return 130
    return 0

pin_blas_threads()
sys.exit(serve(["sh", "-c", 'echo "$RSNPROP_FORKSERVER"; exec cat'], preload(), run=run))
"""


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RSNPROP_FORKSERVER", "RSNPROP_DEBUG")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=_env(SOURCE_DATE_EPOCH="1"), text=True)
    path = proc.stdout.readline().strip()
    assert path and os.path.exists(path)
    yield path
    proc.stdin.close()  # `cat` ends, so does the server, with its status
    assert proc.wait(timeout=30) == 0
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


def _rsnprop(argv, cwd, socket=None, **kwargs):
    env = _env(**kwargs.pop("env", {}))
    if socket:
        env["RSNPROP_FORKSERVER"] = socket
    return subprocess.run([sys.executable, "-m", "rsnprop", *argv], cwd=cwd, env=env,
                          capture_output=True, timeout=120, **kwargs)


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


CASES = {
    "simulate": ["simulate", "--instrument", "ins.yaml", "--n", "60", "--seed", "4",
                 "-o", "raw.csv", "--truth", "truth.csv"],
    "clean": ["clean", "example_raw.csv", "--instrument", "ins.yaml", "--plan", "study.yaml",
              "-o", "clean.parquet", "--log", "log.json"],
    "usage error (exit 2)": ["clean", "--no-such-option"],
    "missing file, --json (exit 2)": ["measure", "nothere.parquet", "--instrument", "ins.yaml",
                                      "--json"],
}


def _inputs(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(REPO / "instruments" / "rsn_internationalisation.yaml", folder / "ins.yaml")
    shutil.copy(REPO / "analysis" / "study.yaml", folder / "study.yaml")
    shutil.copy(REPO / "rsnprop" / "datasets" / "example_raw.csv", folder / "example_raw.csv")
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_bytes_lines_and_status_as_a_cold_process(server, tmp_path, case):
    cold_dir, warm_dir = _inputs(tmp_path / "cold"), _inputs(tmp_path / "warm")
    cold = _rsnprop(CASES[case], cold_dir)
    warm = _rsnprop(CASES[case], warm_dir, socket=server)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert _files(warm_dir) == _files(cold_dir)
    assert cold.returncode == (0 if case in ("simulate", "clean") else 2)


def test_the_command_sees_its_callers_environment_folder_and_umask(server, tmp_path):
    proc = _rsnprop(["_probe", "env", "x"], tmp_path, socket=server,
                    env={"SOURCE_DATE_EPOCH": "1767225600"}, text=True)
    # the server was started with SOURCE_DATE_EPOCH=1; the command does not see the socket
    assert proc.returncode == 0, proc.stderr
    epoch, socket, cwd, umask, argv = proc.stdout.split(" ", 4)
    assert (epoch, socket, cwd) == ("1767225600", "None", str(tmp_path))
    assert umask == oct(_umask()) and argv.strip() == "['_probe', 'env', 'x']"


def _umask() -> int:
    value = os.umask(0o22)
    os.umask(value)
    return value


def test_standard_input_is_the_callers(server, tmp_path):
    proc = _rsnprop(["_probe", "stdin"], tmp_path, socket=server, input=b"piped text\n")
    assert (proc.returncode, proc.stdout) == (0, b"PIPED TEXT\n")


def test_an_uncaught_exception_exits_1_with_its_traceback(server, tmp_path):
    proc = _rsnprop(["_probe", "boom"], tmp_path, socket=server, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Traceback") and "RuntimeError: probe bug" in proc.stderr


@pytest.mark.parametrize("signum, status, last_line", [(signal.SIGINT, 130, "interrupted"),
                                                       (signal.SIGTERM, 128 + 15, "ready")])
def test_signals_reach_the_command(server, tmp_path, signum, status, last_line):
    env = _env(RSNPROP_FORKSERVER=server)
    proc = subprocess.Popen([sys.executable, "-m", "rsnprop", "_probe", "sleep"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    start = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert time.monotonic() - start < 10
    assert proc.returncode == status, err
    assert ("ready\n" + out).splitlines()[-1] == last_line, err


def test_without_a_usable_server_the_command_runs_cold_silently(server, tmp_path):
    stale = tmp_path / "stale.sock"
    import socket as socketlib

    sock = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    sock.bind(str(stale))
    sock.close()  # a socket file nobody listens on: connection refused
    for path in (str(tmp_path / "missing.sock"), str(stale), str(tmp_path)):
        proc = _rsnprop(["_probe", "env"], tmp_path, socket=path, text=True)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "invalid choice: '_probe'" in proc.stderr  # argparse of a cold process
        proc = _rsnprop(["--version"], tmp_path, socket=path, text=True)
        assert (proc.returncode, proc.stderr) == (0, "")


def test_other_import_time_settings_run_cold(server, tmp_path):
    """matplotlib's backend is chosen when it is imported: the server's would be wrong."""
    proc = _rsnprop(["_probe", "env"], tmp_path, socket=server, env={"MPLBACKEND": "svg"},
                    text=True)
    assert proc.returncode == 2 and "invalid choice: '_probe'" in proc.stderr
    proc = _rsnprop(["_probe", "env"], tmp_path, socket=server, text=True)
    assert proc.returncode == 0  # the same server, the same settings: forked


def test_warm_exits_with_the_commands_status(tmp_path):
    proc = _rsnprop(["warm", "--", "sh", "-c", 'test -S "$RSNPROP_FORKSERVER" && exit 7'],
                    tmp_path, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (7, "", "")
    proc = _rsnprop(["warm"], tmp_path, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("rsnprop warm: error:")


def test_a_message_is_read_alone_not_with_the_next():
    """The command's pid and its status can arrive in one read: each message is read alone."""
    import socket as socketlib

    from rsnprop.forkserver import recv_message, send_message

    a, b = socketlib.socketpair()
    with a, b:
        send_message(a, {"pid": 12})
        send_message(a, {"status": 0})
        a.close()
        assert recv_message(b) == ({"pid": 12}, [])
        assert recv_message(b) == ({"status": 0}, [])
        assert recv_message(b) == (None, [])


def test_main_with_an_argument_list_runs_in_this_process(server, monkeypatch, capsys):
    """Only the program's entry point delegates: ``main([...])`` from a script or a test keeps
    its own streams, monkeypatches and return value, even inside ``rsnprop warm``."""
    from rsnprop import __version__, cli

    monkeypatch.setenv("RSNPROP_FORKSERVER", server)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"rsnprop {__version__}\n"
