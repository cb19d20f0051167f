"""A power replication does not import what only the full analysis needs.

``rsnprop power`` forks its workers from a process that has run a replication's imports;
statsmodels' model classes (with patsy and the formula machinery, some 200 modules and about
0.2 s of CPU) and pingouin are only needed by the full analysis and the analytic power, so a
replication must not import them (:mod:`rsnprop.propositions.lean`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_SCRIPT = r"""
import json, sys
from rsnprop.power.pipeline import _design, one_replication
from rsnprop.results import jsonsafe
from rsnprop.simulate.scenarios import get_scenario
root = sys.argv[1]
payload = {"instrument": root + "/instruments/rsn_internationalisation.yaml",
           "plan": root + "/analysis/study.yaml",
           "scenario": jsonsafe(get_scenario("p1p2").model_dump())}
ins, plan, sc = _design(payload)
rec = one_replication(ins, plan, sc, 150, 0, 1)
print(json.dumps({"error": rec["error"], "verdicts": rec["verdicts"], "modules": sorted(sys.modules)}))
"""

NOT_IMPORTED = ("statsmodels.regression", "statsmodels.formula", "statsmodels.base.model",
                "statsmodels.stats.power", "patsy", "pingouin", "matplotlib")


def test_a_power_replication_imports_no_statsmodels_model_classes():
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(REPO)], capture_output=True, text=True,
                         env=env, cwd=REPO, check=True)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["error"] is None and set(doc["verdicts"]) == {"P1", "P2", "joint"}
    found = [m for m in doc["modules"] if m.split(".")[0] in {n.split(".")[0] for n in NOT_IMPORTED}
             and any(m == n or m.startswith(n + ".") for n in NOT_IMPORTED)]
    assert not found, f"a power replication imported {found}"
