"""Benchmark: cleaning 1,000,000 responses x 60+ items (``make bench``).

Target (issue 5): under 10 s on the 2-core machine with peak memory under 4 GB.

The data: a simulated study (``simulate_study``, scenario p1p2, 5,000 respondents) tiled to
N rows with unique respondent ids and 15 % of the Likert answers (attention checks
excepted) redrawn at random, so that rows
are distinct (no mass duplicate submissions). The clean step runs in a fresh subprocess that
reads the data from Parquet; the time of ``clean()`` alone and the peak resident memory of the
whole process (``ru_maxrss``, input included) are reported and saved to
``bench/results/bench_clean.json``, with the CPU time of ``clean()`` and the load average (the
machine is shared: wall time under load overstates the cost; CPU time does not).

The whole command is timed too on the same rows written as a CSV export (``cli_*``:
``rsnprop clean export.csv -o clean.parquet --log log.json``: reading with encoding,
delimiter and number detection, cleaning, writing the Parquet data and the JSON log).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
N_ROWS = int(os.environ.get("RSNPROP_BENCH_ROWS", "1000000"))

_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from rsnprop.instrument import load_instrument
from rsnprop.data import read_table, clean
ins = load_instrument(sys.argv[2])
t0 = time.perf_counter()
raw = read_table(sys.argv[1])
t_read = time.perf_counter() - t0
clean(raw.head(500), ins)      # warm-up: imports (scipy.stats...) are not cleaning time
t1 = time.perf_counter()
c1 = time.process_time()
res = clean(raw, ins, source=sys.argv[1])
t2 = time.perf_counter()
c2 = time.process_time()
assert res.log["n_in"] == res.log["n_kept"] + res.log["n_excluded"]
print(json.dumps({"rows": len(raw), "columns": raw.shape[1],
                  "item_columns": sum(c in ins.items for c in raw.columns),
                  "read_seconds": t_read, "clean_seconds": t2 - t1,
                  "clean_cpu_seconds": c2 - c1,
                  "loadavg_1min_after": __import__("os").getloadavg()[0],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "n_kept": res.log["n_kept"], "n_excluded": res.log["n_excluded"]}))
"""

# runs `rsnprop clean` as a child and reports its wall time and peak memory
_CLI_CHILD = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
if proc.returncode != 0:
    sys.stderr.write(proc.stderr)
    raise SystemExit(proc.returncode)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cli_seconds": wall, "cli_cpu_seconds": ru.ru_utime + ru.ru_stime,
                  "cli_peak_rss_mb": ru.ru_maxrss / 1024}))
"""


def make_data(path: Path, n_rows: int, seed: int = 20261129) -> None:
    import numpy as np
    import pandas as pd

    from rsnprop.data import read_table
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study
    from rsnprop.simulate.quirks import raw_csv_bytes

    ins = load_instrument(INSTRUMENT)
    base_csv = path.with_suffix(".base.csv")
    base_csv.write_bytes(raw_csv_bytes(simulate_study(ins, "p1p2", n=5000, seed=seed)))
    base = read_table(base_csv)
    reps = -(-n_rows // len(base))
    big = pd.concat([base] * reps, ignore_index=True).iloc[:n_rows].copy()
    big["resp_id"] = [f"B{i:07d}" for i in range(n_rows)]
    rng = np.random.default_rng(seed)
    likert = [c for c in big.columns if c in ins.items and ins.items[c].type == "likert"
              and not ins.items[c].attention_check]
    for c in likert:
        x = np.array(pd.to_numeric(big[c], errors="coerce"), dtype="float64")
        redraw = rng.random(n_rows) < 0.15
        x[redraw & ~np.isnan(x)] = rng.integers(1, 8, int((redraw & ~np.isnan(x)).sum()))
        big[c] = x
    big.to_parquet(path, index=False)


@pytest.mark.bench
def test_bench_clean_million(tmp_path):
    data = tmp_path / f"bench_{N_ROWS}.parquet"
    t = time.perf_counter()
    make_data(data, N_ROWS)
    gen = time.perf_counter() - t
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(data), str(INSTRUMENT)],
                          capture_output=True, text=True, env=env, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["data_generation_seconds"] = gen
    result["target_time_met"] = result["clean_seconds"] < 10
    result["target_memory_met"] = result["peak_rss_mb"] < 4096
    result["cpu_count"] = os.cpu_count()
    result["loadavg_1min"] = os.getloadavg()[0]
    # the whole command on the same data as a CSV export: read (encoding, delimiter and
    # number detection), clean, write the Parquet data and the JSON log
    csv = tmp_path / f"bench_{N_ROWS}.csv"
    subprocess.run([sys.executable, "-c", "import pandas as pd, sys; pd.read_parquet(sys.argv[1])"
                    ".to_csv(sys.argv[2], index=False)", str(data), str(csv)], check=True)
    cli = [str(Path(sys.executable).with_name("rsnprop")), "clean", str(csv), "--instrument",
           str(INSTRUMENT), "-o", str(tmp_path / "clean.parquet"), "--log",
           str(tmp_path / "log.json")]
    proc = subprocess.run([sys.executable, "-c", _CLI_CHILD, *cli], capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    result["cli_csv_mb"] = csv.stat().st_size / 2 ** 20
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_clean.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\nbench_clean:", json.dumps(result, indent=2))
    assert result["rows"] == N_ROWS and result["item_columns"] >= 60
    assert result["peak_rss_mb"] < 4096, result
    assert result["cli_peak_rss_mb"] < 4096, result
    # The time target (< 10 s) is recorded, not asserted: on the shared machine wall time
    # depends on the other jobs (see loadavg). As of this commit clean() needs 8-10 s of CPU;
    # wall time was 8.1-11.3 s at a load average of about 3 and 10-11.7 s at 4-4.5, so the
    # target is met only on a quieter machine, not consistently (docs/cleaning.md).
    if not result["target_time_met"]:
        print(f"bench_clean: time target NOT met: {result['clean_seconds']:.1f} s wall, "
              f"{result['clean_cpu_seconds']:.1f} s CPU (target < 10 s)")
