"""Report build time and size: the pipeline fixture, and a large study (5,000 firms, 600
specifications).  Figures stay bounded because large groups are drawn from a seeded sample.

Run with `make bench` (or `pytest -s -m bench bench/bench_report.py`); results are saved in
bench/results/report.json.
"""

import json
import time
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parent / "results"
PIPELINE = Path(__file__).resolve().parents[1] / "tests" / "data" / "report" / "pipeline"


def _time(fn, runs=3):
    times = []
    out = None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


@pytest.mark.bench
def test_report_build_time_and_size(tmp_path):
    import numpy as np
    import pandas as pd

    from rsnprop.propositions.synthetic import synthetic_clean
    from rsnprop.report import build_report

    record = {}
    best, html = _time(lambda: build_report(PIPELINE))
    record["pipeline_fixture"] = {"min_s": best, "bytes": len(html.encode())}

    big = tmp_path / "big"
    big.mkdir()
    synthetic_clean(n=5000, scenario="p1p2", d=0.4, seed=1).to_parquet(big / "clean.parquet")
    for name in ("cleaning_log.json", "measurement.json", "power.json", "invariance.json"):
        (big / name).write_text((PIPELINE / name).read_text())
    props = json.loads((PIPELINE / "propositions.json").read_text())
    specs = props["multiverse"]["specifications"]
    rng = np.random.default_rng(1)
    many = []
    for i in range(600):
        s = dict(specs[i % len(specs)])
        for p in ("P1", "P2", "joint"):
            if s.get(f"estimate_{p}") is not None:
                s[f"estimate_{p}"] += float(rng.normal(0, 0.05))
        s["spec_id"] = i
        many.append(s)
    props["multiverse"]["specifications"] = many
    (big / "propositions.json").write_text(json.dumps(props))
    best, html = _time(lambda: build_report(big), runs=1)
    record["large_5000_firms_600_specs"] = {"min_s": best, "bytes": len(html.encode()),
                                            "rows": int(len(pd.read_parquet(big / "clean.parquet")))}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(record, indent=2))
    for k, v in record.items():
        print(f"\nreport {k}: {v['min_s']:.1f} s, {v['bytes'] / 1e6:.2f} MB")
    assert record["pipeline_fixture"]["min_s"] < 60
    assert record["large_5000_firms_600_specs"]["bytes"] < 6e6
