"""Worker processes of the Monte Carlo driver (issue 21): forked workers (the default on
Linux), joblib's loky workers and one process give the same records and the same
``power.json`` bytes; a forked worker inherits the function (no pickling), a run inside a
worker stays in that worker, and a failure in a worker reaches the caller."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rsnprop.power.montecarlo import BACKENDS, can_fork, run_blocks

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "analysis" / "study.yaml"
KEYS = [(10, r) for r in range(6)] + [(20, r) for r in range(3)]


def _pids(task):
    inner = run_blocks(lambda t: [{"n": n, "rep": r, "pid": os.getpid()} for n, r in t["keys"]],
                       [(1, 0), (1, 1)], {}, jobs=2)
    return [{"n": n, "rep": r, "x": n * 1000 + r, "pid": os.getpid(),
             "inner": sorted({i["pid"] for i in inner})} for n, r in task["keys"]]


def test_forked_workers_inherit_the_function_and_nest_in_process():
    assert BACKENDS == ("joblib", "loky", "dask")
    recs = run_blocks(_pids, KEYS, {}, jobs=2, block_size=2)
    assert [(r["n"], r["rep"], r["x"]) for r in recs] == [(n, r, n * 1000 + r) for n, r in KEYS]
    if can_fork():                                # Linux: the default backend forks
        assert os.getpid() not in {r["pid"] for r in recs}
        assert all(r["inner"] == [r["pid"]] for r in recs)   # the nested run: in the worker
    seq = run_blocks(_pids, KEYS, {}, jobs=1, block_size=2)
    assert {r["pid"] for r in seq} == {os.getpid()}
    assert can_fork() is (os.uname().sysname == "Linux")


def _fails(task):
    if (20, 1) in task["keys"]:
        raise ValueError("replication (20, 1) failed")
    return [{"n": n, "rep": r} for n, r in task["keys"]]


@pytest.mark.parametrize("backend", ["joblib", "loky"])
def test_an_error_in_a_worker_reaches_the_caller_and_the_next_run_works(backend):
    with pytest.raises(ValueError, match=r"\(20, 1\) failed"):
        run_blocks(_fails, KEYS, {}, jobs=2, backend=backend)
    assert len(run_blocks(_fails, KEYS[:6], {}, jobs=2, backend=backend)) == 6


def test_unknown_backend_is_an_input_error():
    from rsnprop.errors import InputError

    with pytest.raises(InputError, match="backend"):
        run_blocks(_fails, KEYS, {}, jobs=2, backend="threads")


def test_whole_pipeline_same_bytes_for_every_backend_and_worker_count(tmp_path):
    from rsnprop.power.study import power_analysis

    runs = {}
    for name, kw in {"one": {"jobs": 1}, "fork": {"jobs": 2},
                     "loky": {"jobs": 2, "backend": "loky"}}.items():
        res = power_analysis(PLAN, [60], reps=5, seed=3, block_size=1, analytic=False,
                             stream=tmp_path / f"{name}.jsonl", **kw)
        runs[name] = (res.records, json.dumps(res.to_dict(), sort_keys=True))
    assert runs["fork"] == runs["one"] and runs["loky"] == runs["one"]
    assert all(r["error"] is None for r in runs["one"][0])
    streamed = [json.loads(x) for x in (tmp_path / "fork.jsonl").read_text().splitlines()[1:]]
    assert sorted(streamed, key=lambda r: r["rep"]) == runs["one"][0]
