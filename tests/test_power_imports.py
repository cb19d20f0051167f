"""A power replication does not import what only the full analysis needs.

``rsnprop power`` forks its workers from a process that has run a replication's imports;
statsmodels' model classes (with patsy and the formula machinery, some 200 modules and about
0.2 s of CPU) and pingouin are only needed by the full analysis and the analytic power, so a
replication must not import them (:mod:`rsnprop.propositions.lean`).  Nor does it import the
measurement package's reliability, factor and validity modules: the Monte Carlo driver's
worker pool is :mod:`rsnprop.forkmap` (once ``rsnprop.measure.forked``, whose package imported
all of them), and the clean's careless screen imports
:mod:`rsnprop.measure.polychoric_correlation` alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


#: the measurement package's modules a replication needs (the careless screen's polychoric
#: correlations); the package's other modules are the full analysis's
MEASURE_NEEDED = {"rsnprop.measure", "rsnprop.measure.polychoric_correlation",
                  "rsnprop.measure._matrix"}


@pytest.fixture(scope="module")
def replication_modules():
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(REPO)], capture_output=True, text=True,
                         env=env, cwd=REPO, check=True)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["error"] is None and set(doc["verdicts"]) == {"P1", "P2", "joint"}
    return doc


def test_a_power_replication_imports_no_statsmodels_model_classes(replication_modules):
    doc = replication_modules
    found = [m for m in doc["modules"] if m.split(".")[0] in {n.split(".")[0] for n in NOT_IMPORTED}
             and any(m == n or m.startswith(n + ".") for n in NOT_IMPORTED)]
    assert not found, f"a power replication imported {found}"


def test_a_power_replication_imports_only_the_measurement_modules_it_needs(replication_modules):
    found = sorted(m for m in replication_modules["modules"]
                   if m.startswith("rsnprop.measure") and m not in MEASURE_NEEDED)
    assert not found, f"a power replication imported {found}"
    assert "rsnprop.forkmap" in replication_modules["modules"]


def test_the_measurement_package_imports_a_module_when_a_name_is_used():
    """``rsnprop.measure.<name>`` still gives every public function, alias and submodule."""
    script = ("import sys, rsnprop.measure as m; a = sorted(k for k in sys.modules "
              "if k.startswith('rsnprop.measure.')); f = m.reliability; "
              "print(a, f is m.alpha, f.__module__, m.item_data.__name__, "
              "m.measure_instrument.__module__, sorted(dir(m)) == sorted(m.__all__))")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         cwd=REPO, check=True).stdout.split()
    assert out == ["[]", "True", "rsnprop.measure.internal_consistency",
                   "rsnprop.measure.item_data", "rsnprop.measure.pipeline", "True"]
    import rsnprop.measure as measure

    for name in measure.__all__:
        assert callable(getattr(measure, name)), name
    with pytest.raises(AttributeError):
        measure.no_such_name  # noqa: B018
