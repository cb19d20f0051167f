"""`rsnprop --help` start-up time: min of 10 runs must stay under 0.5 s (issue 3)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parent / "results"


@pytest.mark.bench
def test_help_under_half_a_second():
    exe = Path(sys.executable).with_name("rsnprop")
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "rsnprop", "--help"]
    times = []
    for _ in range(10):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    best = min(times)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cli_help.json").write_text(json.dumps({"min_s": best, "runs": times}, indent=2))
    print(f"\nrsnprop --help: min of 10 runs = {best * 1000:.0f} ms (median {sorted(times)[5] * 1000:.0f} ms)")
    assert best < 0.5
