"""Power benchmarks (issue 9), run by ``make bench``; results in ``bench/results/``.

1. HS-size CFA power analysis: 1,000 replications at N = 300 (simulate from the Holzinger &
   Swineford population with an omitted cross-loading, fit the three-factor CFA by ML, decide:
   chi-square rejects, RMSEA > .05, CFI < .95, visual~~speed significant).  rsnprop (batched ML
   engine of ``rsnprop.sem``, 2 workers; and the plain ``rsnprop.sem.fit`` loop) against the
   same loop in R with lavaan's ``simulateData`` + ``cfa``, timed in the same run by Rscript.
   Targets: at least 5x faster than lavaan, under 30 s; power estimates agree within MC error.
2. Power of the default plan (analysis/study.yaml), scenario p1p2, N = 100, 200, 300, 500,
   whole pipeline per replication (simulate -> clean -> test), with MC errors
   (``RSNPROP_BENCH_REPS`` replications per N, default 200; resumable stream).
3. Identical results with 1 and 2 workers for the same seed (pipeline and CFA).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
PLAN = REPO / "analysis" / "study.yaml"
REPS_CFA = int(os.environ.get("RSNPROP_BENCH_CFA_REPS", "1000"))
REPS_PLAN = int(os.environ.get("RSNPROP_BENCH_REPS", "200"))

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
pop <- readLines(args[1]); model <- readLines(args[2]); R <- as.integer(args[3]); n <- as.integer(args[4])
set.seed(1)
rej <- rm <- cf <- sig <- conv <- 0
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(R)) {
  d <- simulateData(pop, sample.nobs = n)
  f <- cfa(model, data = d)
  conv <- conv + lavInspect(f, "converged")
  fm <- fitMeasures(f, c("pvalue", "rmsea", "cfi"))
  pe <- parameterEstimates(f)
  p <- pe$pvalue[pe$lhs == "visual" & pe$op == "~~" & pe$rhs == "speed"]
  rej <- rej + (fm[["pvalue"]] < 0.05); rm <- rm + (fm[["rmsea"]] > 0.05)
  cf <- cf + (fm[["cfi"]] < 0.95); sig <- sig + (p < 0.05)
}
el <- proc.time()[["elapsed"]] - t0
cat(sprintf('{"elapsed": %.3f, "reps": %d, "reject_exact_fit": %.6f, "rmsea_above_05": %.6f, "cfi_below_95": %.6f, "sig_visual~~speed": %.6f, "converged": %d, "lavaan": "%s"}\n',
            el, R, rej / R, rm / R, cf / R, sig / R, conv, as.character(packageVersion("lavaan"))))
"""


def _save(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _lavaan_loop(reps, n):
    from rsnprop.power.cfa import HS_MODEL, HS_POPULATION

    if shutil.which("Rscript") is None:
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hs_population.lav").write_text(HS_POPULATION.strip() + "\n")
    (RESULTS / "hs_model.lav").write_text(HS_MODEL + "\n")
    (RESULTS / "bench_power_lavaan.R").write_text(R_SCRIPT)
    proc = subprocess.run(["Rscript", str(RESULTS / "bench_power_lavaan.R"),
                           str(RESULTS / "hs_population.lav"), str(RESULTS / "hs_model.lav"),
                           str(reps), str(n)], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        pytest.fail(f"lavaan loop failed: {proc.stderr[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_hs_cfa_power_faster_than_lavaan():
    from rsnprop.power.cfa import cfa_power

    t0 = time.perf_counter()
    batch = cfa_power(n=300, reps=REPS_CFA, seed=1, jobs=2, block_size=125)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    batch1 = cfa_power(n=300, reps=REPS_CFA, seed=1, jobs=1, block_size=125)
    t_batch1 = time.perf_counter() - t0
    assert batch.records == batch1.records                       # 1 and 2 workers identical
    t0 = time.perf_counter()
    loop = cfa_power(n=300, reps=REPS_CFA, seed=1, jobs=2, block_size=50, method="fit")
    t_loop = time.perf_counter() - t0
    lav = _lavaan_loop(REPS_CFA, 300)
    ours = {r["decision"]: r for r in batch.to_dict()["results"]}
    loop_rows = {r["decision"]: r for r in loop.to_dict()["results"]}
    out = {"reps": REPS_CFA, "n": 300, "rsnprop_batch_2_workers_s": t_batch,
           "rsnprop_batch_1_worker_s": t_batch1, "rsnprop_sem_fit_loop_2_workers_s": t_loop,
           "power_rsnprop": {k: v["power"] for k, v in ours.items()},
           "mc_se_rsnprop": {k: v["mc_se"] for k, v in ours.items()},
           "identical_1_vs_2_workers": True,
           "batch_equals_fit_loop_decisions": all(
               ours[k]["power"] == loop_rows[k]["power"] for k in ours)}
    msg = (f"\nHS CFA power, {REPS_CFA} reps at N=300: rsnprop batch {t_batch:.2f} s (2 workers), "
           f"{t_batch1:.2f} s (1 worker); rsnprop.sem.fit loop {t_loop:.2f} s (2 workers)")
    if lav:
        out["lavaan"] = lav
        out["speedup_batch_vs_lavaan"] = lav["elapsed"] / t_batch
        out["speedup_fit_loop_vs_lavaan"] = lav["elapsed"] / t_loop
        msg += (f"; lavaan simulateData+cfa {lav['elapsed']:.2f} s -> {lav['elapsed'] / t_batch:.1f}x "
                f"(batch), {lav['elapsed'] / t_loop:.1f}x (fit loop)")
        for k in ("reject_exact_fit", "rmsea_above_05", "cfi_below_95", "sig_visual~~speed"):
            p1, p2 = ours[k]["power"], lav[k]
            se = ((p1 * (1 - p1) + p2 * (1 - p2)) / REPS_CFA) ** 0.5
            out.setdefault("agreement_z", {})[k] = 0.0 if se == 0 else (p1 - p2) / se
            msg += f"\n  {k}: rsnprop {p1:.3f} (MC SE {ours[k]['mc_se']:.3f}), lavaan {p2:.3f}"
    print(msg)
    _save("bench_power_cfa.json", out)
    assert out["batch_equals_fit_loop_decisions"]
    assert t_batch < 30
    if lav is None:
        pytest.skip("Rscript not found: lavaan side not measured")
    assert lav["elapsed"] >= 5 * t_batch
    assert all(abs(z) < 4 for z in out["agreement_z"].values()), out["agreement_z"]


def test_pipeline_power_one_and_two_workers_identical():
    from rsnprop.power.study import power_analysis

    a = power_analysis(PLAN, [100, 200], reps=3, seed=7, jobs=1, analytic=False)
    b = power_analysis(PLAN, [100, 200], reps=3, seed=7, jobs=2, analytic=False)
    same = a.records == b.records and a.to_dict() == b.to_dict()
    _save("bench_power_workers.json", {"identical": same, "records": len(a.records)})
    print(f"\npipeline power, 2 sizes x 3 reps: 1 vs 2 workers identical = {same}")
    assert same


def test_default_plan_power_p1p2():
    from rsnprop.power.study import power_analysis
    from rsnprop.report.figures import power_curve_image
    from rsnprop.report.sections.power import power_rows
    from rsnprop.schemas import Power

    RESULTS.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res = power_analysis(PLAN, [100, 200, 300, 500], reps=REPS_PLAN, seed=2026, jobs=2,
                         stream=RESULTS / "power_p1p2.runs.jsonl", progress=True)
    elapsed = time.perf_counter() - t0
    d = res.to_dict()
    _save("power_p1p2.json", {**d, "elapsed_s": elapsed})
    (RESULTS / "power_p1p2.svg").write_bytes(power_curve_image(power_rows(Power.model_validate(d))))
    print(f"\n{res.summary()}\n(elapsed {elapsed:.0f} s, 2 workers)")
    rows = {(r["n"], r["proposition"]): r for r in d["results"]}
    assert len(rows) == 12
    for r in d["results"]:
        assert r["reps"] == REPS_PLAN and r["mc_se"] <= 0.5 / REPS_PLAN ** 0.5 + 1e-12
    for prop in ("P1", "P2", "joint"):
        assert rows[(500, prop)]["power"] >= rows[(100, prop)]["power"]
