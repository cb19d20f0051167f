"""Where researchers wait (issue 21), each figure beside a same-run baseline (``make bench``).

The baseline is the package as it was before the work on issue 21 (commit ``BASELINE``: the
integration commit the speed work was rebased onto; override with
``RSNPROP_BENCH_BASELINE=<commit>``), exported with ``git archive`` into a temporary folder
and run in the same session as the current tree, one after the other, so both meet the same
machine load.  Each tree runs with its own plan and instrument, so the baseline must read the
same plan as the current tree for the identity checks to hold (a commit before a change of
``analysis/study.yaml`` gives other records).  The replication counts are set by
``RSNPROP_BENCH_REP_CPU`` (default 40) and ``RSNPROP_BENCH_REPS`` (default 200).  Every figure is CPU time (user + system of the process and
its workers: the machine is shared and wall time under load overstates the cost) and wall
time, with the load average; ``bench/results/bench_speed.json`` keeps them and
docs/performance.md records them.

1. One power replication (simulate -> clean -> test, N = 300): CPU per replication, in
   process, and the records of both trees compared (same per-replication results).
2. ``rsnprop power --plan analysis/study.yaml --n 300 --reps 200 --jobs 2 --no-analytic``:
   the JSON of both trees, of 1 and 2 workers, and of forked and loky workers
   (``--backend loky``) byte-identical.
3. ``make -C analysis clean && make analysis`` (the example study without power.json), with
   each tree's package and Makefile against main before the rebuild work
   (``RSNPROP_BENCH_REBUILD_BASELINE``, default ``e908e23``); the current tree as the
   README's ``make analysis`` runs it (under ``rsnprop warm``: the goal's figure), with plain
   ``make``, and with one recipe and one worker at a time: every output byte-identical.
4. ``rsnprop clean export.csv -o clean.parquet --log log.json`` on ``RSNPROP_BENCH_ROWS``
   (default 1,000,000) responses (the rows of ``bench_clean.py``): outputs identical, CPU,
   wall and peak memory.

The goals (25 ms CPU per replication and < 5 s for the power command on a quiet machine;
< 10 s for the rebuild; < 10 s and < 2 GB for the million-row clean) are recorded as met or
not; the asserts are identity and a speed-up over the baseline, which hold under any load.
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

pytestmark = pytest.mark.bench

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
# main before the second round of issue 21 (the first commit that reads the plan with the
# ``measurement:`` check; 1d95734, the first round's baseline, reads an older plan: other records)
BASELINE = os.environ.get("RSNPROP_BENCH_BASELINE", "72f85ce")
REPS = int(os.environ.get("RSNPROP_BENCH_REPS", "200"))
REPS_INPROC = int(os.environ.get("RSNPROP_BENCH_REP_CPU", "40"))
N_ROWS = int(os.environ.get("RSNPROP_BENCH_ROWS", "1000000"))
EPOCH = "1767225600"

_REPLICATION = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from pathlib import Path
from rsnprop.power.pipeline import _design, one_replication
from rsnprop.simulate.scenarios import get_scenario
from rsnprop.results import jsonsafe
root, reps = Path(sys.argv[1]), int(sys.argv[2])
payload = {"instrument": str(root / "instruments/rsn_internationalisation.yaml"),
           "plan": str(root / "analysis/study.yaml"),
           "scenario": jsonsafe(get_scenario("p1p2").model_dump())}
ins, plan, sc = _design(payload)
one_replication(ins, plan, sc, 300, 10 ** 6, 1)          # imports are not replication time
c0, w0 = time.process_time(), time.perf_counter()
recs = [one_replication(ins, plan, sc, 300, r, 1) for r in range(reps)]
c1, w1 = time.process_time(), time.perf_counter()
print(json.dumps({"cpu_ms_per_rep": 1000 * (c1 - c0) / reps,
                  "wall_ms_per_rep": 1000 * (w1 - w0) / reps, "records": recs}, sort_keys=True))
"""


def _tree(ref: str, dest: Path) -> Path | None:
    """The package at ``ref`` (git archive), or None when git or the commit is unavailable."""
    if shutil.which("git") is None:
        return None
    dest.mkdir(parents=True, exist_ok=True)
    arch = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True)
    if arch.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch.stdout, check=True)
    return dest


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    base = _tree(BASELINE, tmp_path_factory.mktemp("baseline"))
    if base is None:
        pytest.fail(f"baseline {BASELINE} not available (git archive failed): set "
                    "RSNPROP_BENCH_BASELINE to a commit of this repository")
    return {"current": REPO, "baseline": base}


def _env(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["PYTHONPATH"] = str(root)
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env


# runs a command as its child and writes its wall time, CPU time (user + system of the whole
# process tree: workers included once reaped) and peak memory to the file argv[1]
_WRAP = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[2:])
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(json.dumps({"wall_s": round(wall, 3),
    "cpu_s": round(ru.ru_utime + ru.ru_stime, 3), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1)}))
raise SystemExit(proc.returncode)
"""


def _run(cmd, root: Path, cwd=None, timeout=3600) -> dict:
    """Run ``cmd`` with ``root``'s package: wall, CPU and peak memory of its process tree."""
    import tempfile

    if cmd[0] == sys.executable:
        cmd = [cmd[0], "-P", *cmd[1:]]    # -P: the working folder's package is not imported
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "stats.json"
        # cwd: the tree itself, so that worker processes started with -m import it too
        proc = subprocess.run([sys.executable, "-c", _WRAP, str(stats), *cmd], cwd=cwd or root,
                              env=_env(root), capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(stats.read_text())
    return {**out, "loadavg_1min_before": load, "stdout": proc.stdout}


def _save(key: str, data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "bench_speed.json"
    doc = json.loads(path.read_text()) if path.exists() else {}
    doc[key] = {**data, "baseline_commit": BASELINE, "cpu_count": os.cpu_count(),
                "loadavg_1min_after": os.getloadavg()[0]}
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(f"\n{key}: {json.dumps(doc[key], indent=1, sort_keys=True)}")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_power_replication_cpu(trees):
    out, recs = {}, {}
    for name, root in trees.items():
        r = _run([sys.executable, "-c", _REPLICATION, str(root), str(REPS_INPROC)], root)
        doc = json.loads(r["stdout"].strip().splitlines()[-1])
        recs[name] = doc.pop("records")
        out[name] = {**doc, "loadavg_1min_before": r["loadavg_1min_before"]}
    out["same_records"] = recs["current"] == recs["baseline"]
    out["speedup_cpu"] = out["baseline"]["cpu_ms_per_rep"] / out["current"]["cpu_ms_per_rep"]
    out["goal_25ms_met"] = out["current"]["cpu_ms_per_rep"] <= 25
    _save("power_replication", out)
    assert out["same_records"], "per-replication results differ from the baseline"
    assert out["speedup_cpu"] >= 1.5, out


def test_power_command(trees, tmp_path):
    out, sha = {}, {}
    for name, root in trees.items():
        res = tmp_path / f"{name}.json"
        r = _run([sys.executable, "-m", "rsnprop", "power", "--plan", str(root / "analysis/study.yaml"),
                  "--n", "300", "--reps", str(REPS), "--jobs", "2", "--no-analytic",
                  "--no-progress", "-o", str(res), "--stream", str(tmp_path / f"{name}.runs.jsonl")],
                 root)
        r.pop("stdout")
        out[name], sha[name] = r, _sha(res)
    one, loky = tmp_path / "one_worker.json", tmp_path / "loky.json"
    _run([sys.executable, "-m", "rsnprop", "power", "--plan", str(REPO / "analysis/study.yaml"),
          "--n", "300", "--reps", str(REPS), "--jobs", "1", "--no-analytic", "--no-progress",
          "-o", str(one), "--stream", str(tmp_path / "one.runs.jsonl")], REPO)
    # the current tree with joblib's loky workers (fresh interpreters) instead of forked ones
    r = _run([sys.executable, "-m", "rsnprop", "power", "--plan", str(REPO / "analysis/study.yaml"),
              "--n", "300", "--reps", str(REPS), "--jobs", "2", "--backend", "loky",
              "--no-analytic", "--no-progress", "-o", str(loky),
              "--stream", str(tmp_path / "loky.runs.jsonl")], REPO)
    r.pop("stdout")
    out["current_loky"] = r
    out["identical_to_baseline"] = sha["current"] == sha["baseline"]
    if not out["identical_to_baseline"]:    # the plans differ (e.g. main's panel: section)?
        out["identical_to_baseline_but_plan_hash"] = _same_but_plan_hash(
            tmp_path / "current.json", tmp_path / "baseline.json")
    out["same_records_as_baseline"] = (_stream_records(tmp_path / "current.runs.jsonl")
                                       == _stream_records(tmp_path / "baseline.runs.jsonl"))
    out["identical_1_vs_2_workers"] = _sha(one) == sha["current"]
    out["identical_loky_vs_forked"] = _sha(loky) == sha["current"]
    out["speedup_cpu"] = out["baseline"]["cpu_s"] / out["current"]["cpu_s"]
    out["goal_5s_met"] = out["current"]["wall_s"] < 5
    _save("power_command", out)
    assert (out["identical_to_baseline"] or out["identical_to_baseline_but_plan_hash"]), out
    assert (out["same_records_as_baseline"] and out["identical_1_vs_2_workers"]
            and out["identical_loky_vs_forked"]), out
    assert out["speedup_cpu"] >= 1.5, out


def _stream_records(path: Path) -> list:
    """The replication records of a ``--stream`` file, in ``(n, rep)`` order."""
    recs = [json.loads(line) for line in path.read_text().splitlines()[1:] if line.strip()]
    return sorted(recs, key=lambda r: (r["n"], r["rep"]))


def _same_but_plan_hash(a: Path, b: Path) -> bool:
    """Two power.json the same but for ``plan_hash``: the baseline commit reads its own plan,
    which may differ from the current one in sections the power pipeline does not use."""
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    return {**da, "plan_hash": None} == {**db, "plan_hash": None}


def _layout(src: Path, root: Path, makefile: Path | None = None) -> Path:
    shutil.copytree(src / "analysis", root / "analysis", ignore=shutil.ignore_patterns("build"))
    (root / "analysis" / "power.json").unlink(missing_ok=True)   # made with another plan
    if makefile is not None:        # the tree's own recipe (parallel or not), same inputs
        shutil.copy2(makefile, root / "analysis" / "Makefile")
    shutil.copytree(src / "instruments", root / "instruments")
    (root / "rsnprop" / "datasets").mkdir(parents=True)
    for raw in sorted((src / "rsnprop" / "datasets").glob("example_raw*.csv")):   # both waves
        shutil.copy2(raw, root / "rsnprop" / "datasets")
    (root / "reports").mkdir()
    return root / "analysis"


#: the rebuild's baseline: main before the rebuild work (issue 21, docs/performance.md), after
#: the two-wave panel's merge (e908e23: 19.6 s wall there; 72f85ce, the first rounds' baseline,
#: cannot read the plan's ``panel:`` section nor build the second wave)
REBUILD_BASELINE = os.environ.get("RSNPROP_BENCH_REBUILD_BASELINE", "e908e23")


def _rebuild(root: Path, tmp: Path, name: str, args=(), warm=False) -> tuple[dict, dict]:
    """``make`` of the example study (no power.json) with ``root``'s package and Makefile:
    (wall/CPU/load, {output: sha256}). ``warm``: under ``rsnprop warm``, as the README's
    ``make analysis`` runs it (one warm interpreter forks every recipe's command)."""
    wrapper = tmp / f"rsnprop_{name}"
    # -P as _run gives the make (and so ``rsnprop warm``): the warm server forks only for
    # callers with its interpreter flags (rsnprop.forkserver.fingerprint)
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -P -m rsnprop \"$@\"\n")
    wrapper.chmod(0o755)
    analysis = _layout(REPO, tmp / name, root / "analysis" / "Makefile")   # the same inputs
    make = ["make", "--no-print-directory", f"RSNPROP={wrapper}", *args]
    if warm:
        make = [sys.executable, "-m", "rsnprop", "warm", "--", *make]
    r = _run(make, root, cwd=analysis)
    r.pop("stdout")
    top = analysis.parent
    return r, {str(p.relative_to(top)): _sha(p)
               for d in ("analysis/build", "reports") for p in sorted((top / d).rglob("*"))
               if p.is_file()}


def test_study_rebuild(tmp_path, monkeypatch):
    """Baseline (plain ``make``), current tree as the README runs it (``rsnprop warm``, 2
    recipes at a time, forked workers), current tree with plain ``make``, current tree serial
    (``JOBS=1 RSNPROP_JOBS=1``), one after the other: identical outputs, less CPU."""
    base = _tree(REBUILD_BASELINE, tmp_path / "baseline_tree")
    if base is None:
        pytest.fail(f"baseline {REBUILD_BASELINE} not available (git archive failed)")
    out, files = {}, {}
    out["baseline"], files["baseline"] = _rebuild(base, tmp_path, "baseline")
    # the goal's command: the README's ``make analysis`` (``rsnprop warm -- make -C analysis``)
    out["current"], files["current"] = _rebuild(REPO, tmp_path, "current", warm=True)
    out["current_plain_make"], files["plain"] = _rebuild(REPO, tmp_path, "plain")
    monkeypatch.setenv("RSNPROP_JOBS", "1")
    out["current_serial"], files["current_serial"] = _rebuild(REPO, tmp_path, "serial", ["JOBS=1"])
    out["baseline_commit_rebuild"] = REBUILD_BASELINE
    out["identical_outputs"] = (files["current"] == files["baseline"] == files["plain"]
                                == files["current_serial"])
    out["n_outputs"] = len(files["current"])
    out["speedup_cpu"] = out["baseline"]["cpu_s"] / out["current"]["cpu_s"]
    out["speedup_wall"] = out["baseline"]["wall_s"] / out["current"]["wall_s"]
    out["goal_10s_met"] = out["current"]["wall_s"] < 10
    _save("study_rebuild", out)
    assert out["identical_outputs"], [k for k in files["current"]
                                      if files["current"][k] != files["baseline"].get(k)]
    # the multiverse evaluates each specification once for its three policies (about 3 s of
    # 28 s CPU); wall time depends on the load, so it is recorded, not asserted
    assert out["current"]["cpu_s"] < 0.95 * out["baseline"]["cpu_s"], out


def test_million_row_clean(trees, tmp_path):
    sys.path.insert(0, str(HERE))
    from bench_clean import make_data

    data = tmp_path / "rows.parquet"
    make_data(data, N_ROWS)
    csv = tmp_path / "export.csv"
    subprocess.run([sys.executable, "-c", "import pandas as pd, sys; pd.read_parquet(sys.argv[1])"
                    ".to_csv(sys.argv[2], index=False)", str(data), str(csv)], check=True)
    ins = REPO / "instruments" / "rsn_internationalisation.yaml"
    out, sha = {}, {}
    for name, root in trees.items():
        pq, log = tmp_path / f"{name}.parquet", tmp_path / f"{name}.log.json"
        r = _run([sys.executable, "-m", "rsnprop", "clean", str(csv), "--instrument", str(ins),
                  "-o", str(pq), "--log", str(log)], root)
        r.pop("stdout")
        out[name], sha[name] = r, (_sha(pq), _sha(log))
    out["rows"] = N_ROWS
    out["identical_outputs"] = sha["current"] == sha["baseline"]
    out["goal_10s_met"] = out["current"]["wall_s"] < 10
    # 2 GB read strictly as 2.0e9 bytes (peak_rss_mb is in MiB: 1907.3 MiB)
    out["goal_2gb_met"] = out["current"]["peak_rss_mb"] * 2 ** 20 < 2.0e9
    _save("million_row_clean", out)
    assert out["identical_outputs"], out
    assert out["current"]["cpu_s"] <= 1.1 * out["baseline"]["cpu_s"], out
    # peak memory hardly depends on the machine's load: the 2 GB goal is asserted (the
    # command held the export, its validated copy and the clean data at once: 3.3-3.4 GB;
    # 1.95-2.03e9 bytes after the fourth round, 1.82-1.86e9 after the fifth)
    assert out["goal_2gb_met"], out
