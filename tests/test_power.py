"""Tests of rsnprop.power: MC driver (workers, dask, streaming/resume), summaries against R,
CFA power (batch engine = sem.fit), whole-pipeline replications, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rsnprop.errors import InputError
from rsnprop.power.cfa import HS_POPULATION, cfa_power, implied_covariance
from rsnprop.power.montecarlo import make_blocks, read_stream, replication_seed
from rsnprop.power.summary import logistic_curve, n_for_power, verdict_table, wilson

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "analysis" / "study.yaml"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
REF = json.loads((REPO / "tests/reference/power_summary.json").read_text())
# the HS population without the cross-loading: the analysis model is true
HS_TRUE = HS_POPULATION.replace(" + 0.3*x9", "")


# --- summaries against R ---------------------------------------------------------------------

@pytest.mark.parametrize("case", REF["wilson"])
def test_wilson_matches_prop_test(case):
    lo, hi = wilson(case["k"], case["r"])
    assert lo == pytest.approx(case["lower"], abs=1e-9)
    assert hi == pytest.approx(case["upper"], abs=1e-9)


def test_logistic_curve_matches_glm_and_gives_n80():
    ref = REF["logistic"]
    a, b = logistic_curve(ref["n"], ref["k"], [ref["reps"]] * 4)
    assert a == pytest.approx(ref["a"], rel=1e-6) and b == pytest.approx(ref["b"], rel=1e-6)
    recs = [{"n": n, "rep": r, "verdicts": {"P1": "supported" if r < k else "inconclusive"}}
            for n, k in zip(ref["n"], ref["k"]) for r in range(ref["reps"])]
    rows = verdict_table(recs, propositions=("P1",))
    out = n_for_power(rows)["P1"]["0.8"]
    assert out["logistic"] == math.ceil(ref["n80"])
    # grid: power .155 .52 .755 .935 -> first size reaching .8 is 500; linear interpolation
    # between 300 and 500: 300 + (.8 - .755) / (.935 - .755) * 200 = 350
    assert out["grid"] == 500 and out["interpolated"] == 350 and out["extrapolated"] is False
    rows2 = verdict_table(recs, propositions=("P1",))
    assert [r["power"] for r in rows2] == [k / 200 for k in ref["k"]]
    assert rows2[0]["mc_se"] == pytest.approx(math.sqrt(0.155 * 0.845 / 200))


def test_analytic_t_power_matches_noncentral_t():
    from rsnprop.power.analytic import analytic_power

    t = REF["t_power"]
    calib = {"keep_rate": 1.0, "share_born_global": 0.4, "dz_P1": 0.3, "dz_P2": 0.3, "d_joint": 0.5,
             "calibration_n": 0, "calibration_seed": 0}
    # N = 100 kept firms: 60 traditional, 40 born globals
    res = analytic_power(calib, [100], alpha=0.05)
    rows = {r["proposition"]: r for r in res["rows"]}
    assert rows["joint"]["power_uncorrected"] == pytest.approx(t["ind_d05_n60_40_a05"], abs=1e-6)
    res2 = analytic_power({**calib, "share_born_global": 1 - 80 / 100}, [100], alpha=0.05)
    r2 = {r["proposition"]: r for r in res2["rows"]}
    assert r2["P1"]["power_uncorrected"] == pytest.approx(t["paired_d03_n80_a05"], abs=1e-6)
    assert r2["P1"]["power_bonferroni"] == pytest.approx(t["paired_d03_n80_a0167"], abs=1e-6)
    assert r2["P1"]["pingouin_uncorrected"] == pytest.approx(t["paired_d03_n80_a05"], abs=1e-4)
    n80 = res["n_for_power_bonferroni"]["P1"]["0.8"]
    assert analytic_power(calib, [n80], alpha=0.05)["rows"][0]["power_bonferroni"] >= 0.8
    assert analytic_power(calib, [n80 - 1], alpha=0.05)["rows"][0]["power_bonferroni"] < 0.8


# --- driver --------------------------------------------------------------------------------

def test_seeds_do_not_depend_on_grouping():
    a = np.random.default_rng(replication_seed(7, 300, 5)).random(3)
    b = np.random.default_rng(replication_seed(7, 300, 5)).random(3)
    c = np.random.default_rng(replication_seed(7, 300, 6)).random(3)
    assert (a == b).all() and not (a == c).all()
    assert make_blocks([(1, 0), (1, 1), (1, 2), (2, 0)], 2) == [[(1, 0), (1, 1)], [(1, 2)], [(2, 0)]]


def test_one_and_two_workers_identical():
    r1 = cfa_power(n=[150, 300], reps=30, seed=5, jobs=1, block_size=10)
    r2 = cfa_power(n=[150, 300], reps=30, seed=5, jobs=2, block_size=10)
    assert r1.records == r2.records
    assert r1.to_dict() == r2.to_dict()


def test_dask_local_cluster_identical_to_joblib():
    from dask.distributed import Client, LocalCluster

    r1 = cfa_power(n=200, reps=20, seed=9, jobs=1, block_size=5)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        r2 = cfa_power(n=200, reps=20, seed=9, backend="dask", client=client, block_size=5)
    assert r1.records == r2.records


def test_stream_resumes_after_interruption(tmp_path):
    stream = tmp_path / "runs.jsonl"
    full = cfa_power(n=200, reps=24, seed=3, jobs=1, block_size=4, stream=stream)
    lines = stream.read_bytes().split(b"\n")
    assert len([x for x in lines if x.strip()]) == 1 + 24           # header + one line per rep
    # interrupt: keep the header and 9 records, plus half a line
    stream.write_bytes(b"\n".join(lines[:10]) + b"\n" + lines[10][:25])
    # tamper with a kept record: a resumed run must reuse it, not recompute it
    kept = [json.loads(x) for x in lines[1:10]]
    kept[0]["chi2"] = -1.0
    stream.write_bytes(lines[0] + b"\n" + b"\n".join(json.dumps(r).encode() for r in kept)
                       + b"\n" + lines[10][:25])
    resumed = cfa_power(n=200, reps=24, seed=3, jobs=1, block_size=4, stream=stream)
    by_key = {(r["n"], r["rep"]): r for r in resumed.records}
    assert by_key[(kept[0]["n"], kept[0]["rep"])]["chi2"] == -1.0
    others = [r for r in resumed.records if (r["n"], r["rep"]) != (kept[0]["n"], kept[0]["rep"])]
    ref = [r for r in full.records if (r["n"], r["rep"]) != (kept[0]["n"], kept[0]["rep"])]
    assert others == ref
    assert len(read_stream(stream)) == 24


def test_stream_of_another_configuration_is_refused(tmp_path):
    stream = tmp_path / "runs.jsonl"
    cfa_power(n=200, reps=3, seed=3, jobs=1, stream=stream)
    with pytest.raises(InputError, match="another configuration"):
        cfa_power(n=200, reps=3, seed=4, jobs=1, stream=stream)


# --- CFA power -------------------------------------------------------------------------------

def test_implied_covariance_of_hs_population():
    Sigma, names = implied_covariance(HS_POPULATION)
    assert sorted(names) == sorted(f"x{i}" for i in range(1, 10))
    i = {v: k for k, v in enumerate(names)}
    # x9 loads on visual (0.3) and speed (1.082): var = 0.3^2 .809 + 1.082^2 .384 + 2 .3 1.082 .262 + .566
    v9 = 0.3 ** 2 * 0.809 + 1.082 ** 2 * 0.384 + 2 * 0.3 * 1.082 * 0.262 + 0.566
    assert Sigma[i["x9"], i["x9"]] == pytest.approx(v9)
    assert Sigma[i["x1"], i["x4"]] == pytest.approx(1 * 1 * 0.408)


def test_batch_engine_equals_sem_fit():
    fast = cfa_power(reps=12, seed=2, jobs=1, method="batch")
    slow = cfa_power(reps=12, seed=2, jobs=1, method="fit")
    for a, b in zip(fast.records, slow.records):
        assert a["chi2"] == pytest.approx(b["chi2"], rel=1e-6)
        for k in ("reject_exact_fit", "rmsea_above_05", "cfi_below_95", "sig_visual~~speed", "converged"):
            assert a[k] == b[k]
        assert a["cfi"] == pytest.approx(b["cfi"], abs=1e-8)
        assert a["rmsea"] == pytest.approx(b["rmsea"], abs=1e-8)


def test_true_model_rejected_at_nominal_rate():
    """With the analysis model true, the chi-square test rejects in about alpha of samples."""
    res = cfa_power(population=HS_TRUE, n=300, reps=400, seed=11, jobs=1, block_size=100)
    row = next(r for r in res.data["results"] if r["decision"] == "reject_exact_fit")
    assert 0.02 <= row["power"] <= 0.095
    mis = cfa_power(n=300, reps=200, seed=11, jobs=1, block_size=100)
    row2 = next(r for r in mis.data["results"] if r["decision"] == "reject_exact_fit")
    assert row2["power"] > row["power"] + 0.08      # the omitted cross-loading is detected more often


# --- whole pipeline --------------------------------------------------------------------------

def test_pipeline_replications_equal_direct_calls():
    """power_analysis runs simulate -> clean -> test per replication (1-vs-2-worker identity
    of the pipeline is measured in bench/bench_power.py; of the driver in the CFA tests)."""
    from rsnprop.instrument import load_instrument
    from rsnprop.power.pipeline import one_replication
    from rsnprop.power.study import power_analysis
    from rsnprop.propositions import load_plan
    from rsnprop.simulate import get_scenario

    res = power_analysis(PLAN, [80], reps=2, seed=4, jobs=1, block_size=1, analytic=False)
    ins, plan = load_instrument(INSTRUMENT), load_plan(PLAN)
    local = [one_replication(ins, plan, get_scenario("p1p2"), 80, r, 4) for r in range(2)]
    assert res.records == local
    assert all(r["error"] is None for r in local)
    assert set(local[0]["verdicts"]) == {"P1", "P2", "joint"}
    assert 0 < local[0]["n_analysed"] < 80                    # cleaning excluded some firms
    d = res.to_dict()
    assert {r["proposition"] for r in d["results"]} == {"P1", "P2", "joint"}
    assert d["expected_verdicts"] == {"P1": "supported", "P2": "supported"}


def test_primed_design_gives_the_records_of_a_worker_that_loads_it():
    """``prime_design`` (the command's loaded instrument and plan, inherited by forked
    workers) gives the records a worker loading both files itself gives."""
    from rsnprop.instrument import load_instrument
    from rsnprop.power.pipeline import pipeline_block, prime_design
    from rsnprop.propositions import load_plan
    from rsnprop.results import jsonsafe
    from rsnprop.simulate import get_scenario

    payload = {"instrument": str(Path(INSTRUMENT).resolve()), "plan": str(Path(PLAN).resolve()),
               "scenario": jsonsafe(get_scenario("p1p2").model_dump()), "seed": 3,
               "full": False, "sim_options": {}}
    task = {"keys": [(60, 0), (60, 1)], **payload}
    loaded = pipeline_block(task)                 # loads the files (or reuses a cache)
    ins, plan = load_instrument(INSTRUMENT), load_plan(PLAN)
    prime_design(payload, ins, plan)
    assert pipeline_block(task) == loaded
    assert [r["error"] for r in loaded] == [None, None]


# --- CLI -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["--n", "abc"], "--n"),
    (["--n", "5"], "--n"),
    (["--n", "100", "--reps", "0"], "--reps"),
    (["--n", "100", "--figure", "x.pdf"], "--figure"),
])
def test_cli_power_bad_input_exits_2(rsnprop_cli, args, needle):
    proc = rsnprop_cli("power", "--plan", PLAN, *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_cli_power_missing_plan_exits_2(rsnprop_cli, tmp_path):
    proc = rsnprop_cli("power", "--plan", tmp_path / "nope.yaml", "--n", "100")
    assert proc.returncode == 2 and "nope.yaml" in proc.stderr


def test_cli_power_runs_and_resumes(rsnprop_cli, tmp_path):
    out = tmp_path / "power.json"
    args = ("power", "--plan", PLAN, "--n", "40", "--reps", "2", "--jobs", "1", "--seed", "5",
            "--no-analytic", "-o", out, "--figure", tmp_path / "power.svg", "--json")
    proc = rsnprop_cli(*args)
    assert proc.returncode == 0, proc.stderr
    d = proc.json()
    assert json.loads(out.read_text()) == d
    assert d["reps"] == 2 and d["ns"] == [40] and len(d["results"]) == 3
    assert (tmp_path / "power.svg").read_bytes().startswith(b"<?xml")
    # one power-curve figure: --figure draws the report's, from the same rows
    from rsnprop.report.figures import power_curve
    from rsnprop.report.sections.power import power_rows
    from rsnprop.schemas import Power

    report_figure = power_curve(power_rows(Power.model_validate(d)), target=d["target"])
    assert (tmp_path / "power.svg").read_bytes() == report_figure.svg
    stream = tmp_path / "power.runs.jsonl"
    assert len(read_stream(stream)) == 2
    again = rsnprop_cli(*args)                      # everything is on the stream: same result
    assert again.returncode == 0 and again.json() == d
