"""`rsnprop measure` of the example study with its default ``--missing auto`` (FIML: 261 firms,
36 items, 90 missing-data patterns) and 1,000 HTMT bootstrap resamples, each an EM fit of the
saturated moments: under 30 s wall time (one run; before the weighted, batched EM of
``rsnprop.measure._matrix.EMPatterns`` it took 2.5-5 minutes).

Timings are written to bench/results/measure.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
INSTRUMENT = ROOT / "instruments" / "rsn_internationalisation.yaml"


@pytest.mark.bench
def test_measure_example_fiml_under_30s(tmp_path):
    clean = tmp_path / "clean.parquet"
    subprocess.run([sys.executable, "-m", "rsnprop", "clean",
                    str(ROOT / "rsnprop" / "datasets" / "example_raw.csv"),
                    "--instrument", str(INSTRUMENT), "--plan", str(ROOT / "analysis" / "study.yaml"),
                    "-o", str(clean), "--log", str(tmp_path / "log.json")],
                   check=True, capture_output=True, cwd=ROOT)
    out = tmp_path / "measurement.json"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rsnprop", "measure", str(clean), "--instrument",
                    str(INSTRUMENT), "-o", str(out)], check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - t
    d = json.loads(out.read_text())
    res = {"wall_s": wall, "cfa_missing": d["settings"]["cfa_missing"], "n": d["cfa"]["n"],
           "n_boot": d["settings"]["n_boot"]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "measure.json").write_text(json.dumps(res, indent=2, sort_keys=True))
    print(f"\nrsnprop measure (example, {res['cfa_missing']}, n = {res['n']}, "
          f"{res['n_boot']} resamples): {wall:.1f} s")
    assert res["cfa_missing"] == "fiml" and res["n_boot"] == 1000
    assert wall < 30
