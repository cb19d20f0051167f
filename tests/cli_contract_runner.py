"""A fork server for running many rsnprop command lines fast (issue 14's contract tests).

One subprocess imports rsnprop and its heavy libraries once; every command line then runs in a
fresh ``fork()`` of it, with its own working folder, stdout/stderr files and time limit, so a
crash (a signal), an exit status or a hang is seen exactly as from ``python -m rsnprop`` but
costs milliseconds instead of seconds of imports.  Used by tests/test_cli_contract*.py and
tests/test_fuzz*.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

_SERVER = r'''
import json, os, signal, sys, tempfile
import numpy, pandas, scipy.stats, scipy.optimize, scipy.integrate, yaml, pyarrow.parquet  # noqa
import rsnprop.cli as cli
for name in ("rsnprop.data", "rsnprop.instrument", "rsnprop.measure.internal_consistency", "rsnprop.sem",
             "rsnprop.propositions", "rsnprop.report.build", "rsnprop.simulate"):
    try:
        __import__(name)
    except Exception:
        pass
out = sys.stdout
for line in sys.stdin:
    req = json.loads(line)
    fd_out, path_out = tempfile.mkstemp(prefix="rsnprop-out-")
    fd_err, path_err = tempfile.mkstemp(prefix="rsnprop-err-")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(req["cwd"])
            fd_in = os.open(os.devnull, os.O_RDONLY)
            os.dup2(fd_in, 0); os.dup2(fd_out, 1); os.dup2(fd_err, 2)
            sys.stdin = open(0, closefd=False)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(int(req.get("timeout", 120)))
            try:
                code = cli.main(req["argv"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush(); sys.stderr.flush()
        except BaseException:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(path_out, encoding="utf-8", errors="replace") as fh:
        stdout = fh.read()
    with open(path_err, encoding="utf-8", errors="replace") as fh:
        stderr = fh.read()
    for fd, p in ((fd_out, path_out), (fd_err, path_err)):
        os.close(fd); os.unlink(p)
    code = os.waitstatus_to_exitcode(status)
    out.write(json.dumps({"returncode": code, "stdout": stdout, "stderr": stderr}) + "\n")
    out.flush()
'''


@dataclass
class Completed:
    argv: list
    returncode: int  # negative: killed by that signal (as subprocess reports it)
    stdout: str
    stderr: str

    @property
    def first_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[0] if lines else ""


class Server:
    """``Server().run(argv, cwd)`` -> :class:`Completed` (stop it with ``close()``)."""

    def __init__(self):
        env = dict(os.environ)
        env.pop("RSNPROP_DEBUG", None)
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONWARNINGS="default")
        self.proc = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, bufsize=1)

    def run(self, argv, cwd, timeout: int = 120) -> Completed:
        argv = [str(a) for a in argv]
        self.proc.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the rsnprop fork server died")
        res = json.loads(line)
        return Completed(argv, res["returncode"], res["stdout"], res["stderr"])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_corpus(server: Server, folder) -> dict:
    """Small, valid inputs for every sub-command in ``folder``; returns their names.

    ``ins.yaml`` (the repository's instrument), ``plan.yaml`` (analysis/study.yaml with the
    multiverse off), ``raw.csv`` (a SIMULATED export of 80 firms), ``clean.parquet`` and
    ``log.json`` (its cleaning), ``hs.csv`` (40 rows of Holzinger-Swineford), ``model.lav``
    (a two-factor CFA of hs.csv) and ``build/`` (results folder for the report).
    """
    import shutil
    from pathlib import Path

    d = Path(folder)
    shutil.copy(Path(REPO, "instruments", "rsn_internationalisation.yaml"), d / "ins.yaml")
    plan = Path(REPO, "analysis", "study.yaml").read_text(encoding="utf-8")
    plan = plan.replace("multiverse:\n  enabled: true", "multiverse:\n  enabled: false")
    (d / "plan.yaml").write_text(plan, encoding="utf-8")
    hs = Path(REPO, "rsnprop", "datasets", "holzinger_swineford.csv").read_text().splitlines()
    (d / "hs.csv").write_text("\n".join(hs[:41]) + "\n")
    (d / "model.lav").write_text("visual =~ x1 + x2 + x3\nspeed =~ x7 + x8 + x9\n")
    for argv in (["simulate", "--instrument", "ins.yaml", "--n", "80", "--seed", "3",
                  "-o", "raw.csv"],
                 ["clean", "raw.csv", "--instrument", "ins.yaml", "--plan", "plan.yaml",
                  "-o", "clean.parquet", "--log", "log.json"]):
        res = server.run(argv, d)
        if res.returncode != 0:
            raise RuntimeError(f"corpus step failed: {argv}: {res.stderr}")
    (d / "build").mkdir()
    shutil.copy(d / "clean.parquet", d / "build" / "clean.parquet")
    shutil.copy(d / "log.json", d / "build" / "cleaning_log.json")
    return {"instrument": "ins.yaml", "plan": "plan.yaml", "raw": "raw.csv",
            "clean": "clean.parquet", "log": "log.json", "items": "hs.csv",
            "model": "model.lav", "build": "build"}


def snapshot(folder) -> dict:
    """SHA-256 of every file under ``folder`` (relative path -> hex digest)."""
    import hashlib
    from pathlib import Path

    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


BOMB = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]) + "\n"


def make_bad_files(folder) -> None:
    """The bad inputs of issue 14, next to the corpus of :func:`build_corpus`."""
    import json
    from pathlib import Path

    import pandas as pd

    d = Path(folder)
    (d / "list.yaml").write_text("- a\n- b\n")
    (d / "scalar.yaml").write_text("42\n")
    (d / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (d / "bomb.yaml").write_text(BOMB)
    (d / "dup.yaml").write_text((d / "plan.yaml").read_text() + "\nalpha: 0.25\n")
    (d / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    pd.read_parquet(d / "clean.parquet").head(5).to_parquet(d / "five.parquet")
    hs = pd.read_csv(d / "hs.csv")
    hs.assign(x2=hs["x2"].where(hs.index != 3, float("inf"))).to_csv(d / "hsinf.csv", index=False)
    hs.assign(x2=hs["x2"].where(hs.index != 3, 1e300)).to_csv(d / "hsbig.csv", index=False)
    hs.assign(x8=float("nan")).to_csv(d / "hsmiss.csv", index=False)
    na = hs.astype(object)
    na.loc[3, "x9"], na.loc[5, "x2"] = "NA", "N/A"  # as R and spreadsheets write them
    na.to_csv(d / "hsna.csv", index=False)
    lines = (d / "raw.csv").read_text().splitlines()
    (d / "delim.csv").write_text("\n".join([lines[0].replace(",", ";")] + lines[1:]) + "\n")
    short = ",".join(lines[10].split(",")[:-3])
    (d / "short.csv").write_text("\n".join(lines[:10] + [short] + lines[11:]) + "\n")
    (d / "long.csv").write_text("\n".join(lines[:10] + [lines[10] + ",9"] + lines[11:]) + "\n")
    ids = ",".join('"' + json.dumps({"ImportId": c}).replace('"', '""') + '"'
                   for c in lines[0].split(","))
    (d / "qualtrics.csv").write_text("\n".join([lines[0], lines[0], ids] + lines[1:]) + "\n")
    rows = [ln.encode() for ln in lines]
    rows[3] = rows[3].replace(b"SIM-", "SIMé-".encode("utf-8"), 1)
    rows[7] = rows[7].replace(b"SIM-", "SIMé-".encode("cp1252"), 1)
    (d / "mixed.csv").write_bytes(b"\n".join(rows) + b"\n")
    (d / "na.csv").write_text("\n".join([lines[0]] + [ln.replace(",,", ",NA,") for ln in lines[1:]])
                              + "\n")
    ins = (d / "ins.yaml").read_text()
    (d / "secitem.yaml").write_text(ins.replace("  - id: intro", "  - id: consent", 1))
    (d / "ins_latin1.yaml").write_bytes(ins.replace("name:", "name: \xe9", 1).encode("latin-1",
                                                                                  "replace"))
    (d / "ins_bomb.yaml").write_text(BOMB)
    (d / "empty.csv").write_text("")
    (d / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (d / "header_only.csv").write_text(lines[0] + "\n")
    (d / "not_parquet.parquet").write_text("this is not parquet\n")
    (d / "not_xlsx.xlsx").write_text("this is not a workbook\n")
    (d / "tbl").mkdir(exist_ok=True)
    (d / "tbl" / "table01_exclusion_reasons.csv").write_text("my own table\n")
    (d / "stream.jsonl").write_text("resp_id,x\n1,2\n")
