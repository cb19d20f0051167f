"""The power command does not import ``scipy.stats`` (about half a second of its fixed cost, with
the ``scipy.spatial``, ``scipy.ndimage`` and ``scipy.constants`` it pulls in) nor statsmodels:
the modules a replication imports call :mod:`rsnprop.distributions`,
:mod:`rsnprop.propositions.classic_tests` and :func:`rsnprop.sem.scoretest.p_adjust` instead,
which give SciPy's and statsmodels' bits (their own tests). The analytic power (without
``--no-analytic``) needs ``statsmodels.stats.power`` and so ``scipy.stats``: it is imported then.
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
from rsnprop import cli
from rsnprop.power.pipeline import _design, one_replication
from rsnprop.results import jsonsafe
from rsnprop.simulate.scenarios import get_scenario
root, out = sys.argv[1], sys.argv[2]
payload = {"instrument": root + "/instruments/rsn_internationalisation.yaml",
           "plan": root + "/analysis/study.yaml",
           "scenario": jsonsafe(get_scenario("p1p2").model_dump())}
ins, plan, sc = _design(payload)
rec = one_replication(ins, plan, sc, 120, 0, 1)
try:
    cli.main(["power", "--plan", root + "/analysis/study.yaml", "--n", "60", "--reps", "2", "--jobs", "1",
              "--no-analytic", "--seed", "1", "-o", out])
except SystemExit:
    pass
print(json.dumps({"error": rec["error"], "verdicts": rec["verdicts"], "modules": sorted(sys.modules)}))
"""

#: what the command must not import; the analysis modules it must import (else the test proves
#: nothing)
NOT_IMPORTED = ("scipy.stats", "statsmodels")
IMPORTED = ("rsnprop.propositions.paired", "rsnprop.propositions.interaction", "rsnprop.propositions.study",
            "rsnprop.sem.scoretest", "rsnprop.sem.fiml", "rsnprop.power.study", "scipy.special",
            "scipy.optimize")


def test_the_power_command_and_a_replication_do_not_import_scipy_stats(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(REPO), str(tmp_path / "power.json")],
                         capture_output=True, text=True, env=env, cwd=REPO, check=True)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["error"] is None and set(doc["verdicts"]) == {"P1", "P2", "joint"}
    modules = set(doc["modules"])
    assert set(IMPORTED) <= modules, set(IMPORTED) - modules
    found = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_IMPORTED))
    assert not found, f"the power command imported {found[:10]}"
    assert (tmp_path / "power.json").exists()
