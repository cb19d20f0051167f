"""Panel power benchmark (issue 20), run by ``make bench``; results in ``bench/results/``.

The done-when of issue 20: simulated two-wave panels under the 'change' and 'no change'
scenarios give the right verdicts at the preregistered error rates.  Each replication is the
whole panel pipeline (:func:`rsnprop.power.panel.panel_replication`: simulate_panel ->
clean each wave with the plan's rules -> link_waves -> panel_verdicts with Holm over
{C1, C2, C3}), ``RSNPROP_BENCH_PANEL_REPS`` replications (default 500) per scenario at the
documented N (``RSNPROP_BENCH_PANEL_N``, default 400 firms answering wave 1, attrition 0.25
MCAR; docs/panel-power.md):

1. change='change': the share of replications with the verdict "supported" is >= 80 % for
   each panel hypothesis of the plan;
2. change='none': the share of replications with at least one (false) "supported" is <= 5 %,
   and so is each hypothesis's (the point estimates of the seeded run, printed with their
   Monte Carlo SE);
3. the power curve at N = 200, 300, 400, 600 (``RSNPROP_BENCH_PANEL_CURVE_REPS``, default
   200 per N), the table of docs/panel-power.md.

Every figure is printed with its Monte Carlo SE and saved with the wall time, the CPU time per
replication and the machine load in bench/results/panel_power_*.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
PLAN = REPO / "analysis" / "study.yaml"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
REPS = int(os.environ.get("RSNPROP_BENCH_PANEL_REPS", "500"))
N_DOC = int(os.environ.get("RSNPROP_BENCH_PANEL_N", "400"))
CURVE_REPS = int(os.environ.get("RSNPROP_BENCH_PANEL_CURVE_REPS", "200"))
JOBS = int(os.environ.get("RSNPROP_BENCH_JOBS", "2"))
SEED = 2026
PANEL_SECTION = """
panel:
  key: resp_id
  waves:
    - {label: "2013", raw: ../rsnprop/datasets/example_raw.csv}
    - {label: "2014", raw: ../rsnprop/datasets/example_raw_w2.csv}
  phase_column: phase
  approach_column: score_intl_approach
  power: {n_wave1: [200, 300, 400, 600], attrition: 0.25, attrition_mechanism: mcar, reps: 500,
          seed: 2026}
"""


def panel_plan(folder: Path) -> Path:
    """analysis/study.yaml when it has a ``panel:`` section, else a copy with the section of
    docs/panel-power.md appended (the same decision rules: the panel plan's defaults)."""
    text = PLAN.read_text(encoding="utf-8")
    if "\npanel:" in text:
        return PLAN
    path = folder / "study.yaml"
    path.write_text(text + PANEL_SECTION, encoding="utf-8")
    return path


def _cpu_per_rep(plan, change) -> float:
    """CPU seconds of one replication at N_DOC (10 replications in this process)."""
    from rsnprop.power.panel import panel_power

    t0 = time.process_time()
    panel_power(plan, [N_DOC], 10, instrument=INSTRUMENT, change=change, seed=SEED + 1, jobs=1)
    return (time.process_time() - t0) / 10


def _run(plan, ns, reps, change, name) -> dict:
    from rsnprop.power.panel import panel_power

    load = os.getloadavg()
    t0 = time.perf_counter()
    res = panel_power(plan, ns, reps, instrument=INSTRUMENT, change=change, attrition=0.25,
                      attrition_mechanism="mcar", seed=SEED, jobs=JOBS)
    wall = time.perf_counter() - t0
    d = res.to_dict()
    d["bench"] = {"wall_seconds": round(wall, 1), "jobs": JOBS, "load_before": load,
                  "load_after": os.getloadavg(), "cpu_count": os.cpu_count(),
                  "cpu_seconds_per_replication": round(_cpu_per_rep(plan, change), 3)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"panel_power_{name}.json").write_text(json.dumps(d, indent=2, sort_keys=True) + "\n")
    print(f"\n[panel power, {name}] {reps} replications per N, {JOBS} workers, {wall:.0f} s wall, "
          f"load {load[0]:.1f} -> {d['bench']['load_after'][0]:.1f}, "
          f"{d['bench']['cpu_seconds_per_replication']} CPU s per replication")
    print(res.summary())
    return d


def test_change_reaches_80_percent_power_at_the_documented_n(tmp_path):
    d = _run(panel_plan(tmp_path), [N_DOC], REPS, "change", "change")
    assert d["failed"] == 0, d["warnings"]
    for row in d["results"]:
        assert row["reps"] == REPS
        assert row["power"] >= 0.80, (row["hypothesis"], row["power"], row["mc_se"])


def test_no_change_keeps_false_supported_at_5_percent(tmp_path):
    d = _run(panel_plan(tmp_path), [N_DOC], REPS, "none", "none")
    assert d["failed"] == 0, d["warnings"]
    (row,) = d["by_n"]
    assert row["reps"] == REPS
    # Holm at alpha = 0.05 over three one-sided tests holds the family-wise rate at 5 % (about
    # 4.9 % with independent tests); the runs are seeded, so this checks the figures recorded in
    # docs/panel-power.md (3.2 % +- 0.8 at N = 400, seed 2026).
    assert row["any_false_supported"] <= 0.05, (row["any_false_supported"],
                                                row["any_false_supported_se"])
    for r in d["results"]:   # and no single hypothesis wrongly supported in over 5 %
        assert r["power"] <= 0.05, (r["hypothesis"], r["power"], r["mc_se"])


def test_power_curve(tmp_path):
    d = _run(panel_plan(tmp_path), [200, 300, 400, 600], CURVE_REPS, "change", "curve")
    power = {(r["hypothesis"], r["n"]): r["power"] for r in d["results"]}
    for h in d["hypotheses"]:  # more firms, more power (within Monte Carlo error)
        assert power[h, 600] >= power[h, 200] - 0.05, h
