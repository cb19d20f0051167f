"""The multiverse and the HTMT bootstrap give the same numbers whatever the number of worker
processes (issue 21: they run their independent blocks in forked workers), and the worker
pool (rsnprop.measure.forked) keeps task order and passes errors on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsnprop.errors import InputError
from rsnprop.measure.forked import fork_map, resolve_jobs
from rsnprop.propositions import load_plan
from rsnprop.propositions.multiverse import run_multiverse
from rsnprop.propositions.synthetic import synthetic_clean
from rsnprop.results import dumps

PLAN = Path(__file__).resolve().parents[1] / "analysis" / "study.yaml"


def test_fork_map_keeps_the_order_of_the_tasks():
    assert fork_map(lambda x: -x, range(7), jobs=3) == [-x for x in range(7)]
    assert fork_map(lambda x: x, [], jobs=2) == []


def _fails_on_three(x):
    if x == 3:
        raise ValueError("task three")
    return x


def test_fork_map_raises_the_error_of_a_task():
    with pytest.raises(ValueError, match="task three"):
        fork_map(_fails_on_three, range(5), jobs=2)
    assert fork_map(lambda x: x + 1, [1], jobs=2) == [2]     # the pool is usable again


def test_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv("RSNPROP_JOBS", "1")
    assert resolve_jobs(None, 9) == 1
    monkeypatch.setenv("RSNPROP_JOBS", "two")
    with pytest.raises(InputError, match="RSNPROP_JOBS"):
        resolve_jobs(None, 9)


def test_multiverse_same_bytes_with_one_or_two_workers():
    plan = load_plan(PLAN).with_(multiverse={
        "born_global_definitions": ["bg_ms20", "bg_kc25"],
        "careless": [{"name": "as_cleaned"}],
        "missing": ["available", "multiple_imputation"], "estimators": ["t", "rank"],
        "controls": [False, True], "measurement_policies": ["partial", "report_only"]})
    plan = plan.with_(imputation={"m": 3, "seed": 5})
    df = synthetic_clean(150, "p1p2", 0.4, seed=7)
    one = run_multiverse(df, plan, jobs=1)
    two = run_multiverse(df, plan, jobs=2)
    assert one["n_specifications"] == 2 * 2 * 2 * 2 * 2
    assert one["n_available"] > 0
    assert dumps(one) == dumps(two)
    assert json.loads(dumps(one))["share_supported"] == json.loads(dumps(two))["share_supported"]


def test_fork_map_results_are_computed_in_the_workers():
    """With two workers the tasks run in other processes (so the test above compares a
    parallel run with a serial one)."""
    import os

    pids = fork_map(lambda _: os.getpid(), range(4), jobs=2)
    assert os.getpid() not in pids
