"""Monte Carlo and analytic power for the whole study design.

Public API
----------
power_analysis(plan, ns, reps, *, scenario="p1p2", seed=1, jobs=None, backend="joblib",
               stream=None, ...) -> PowerResult
    Whole pipeline per replication (simulate -> clean -> test -> verdicts), verdict
    probabilities with Monte Carlo SEs, N for 80/90 % power, analytic power.
panel_power(plan, ns, reps, *, change="change", attrition=0.25, ...) -> PanelPowerResult
    Panel plans: two simulated waves per replication (clean each, link, panel verdicts),
    verdict rates of C1-C3 by N at wave 1 and the false-supported rate (docs/panel-power.md).
cfa_power(model, population, n, reps, ...) -> CFAPowerResult
    Power of decisions on a CFA fitted by ``rsnprop.sem.fit`` (e.g. the HS-size benchmark).
run_blocks(fn, keys, payload, ...)
    The generic seeded, parallel (joblib/dask), resumable Monte Carlo driver.
analytic_power(calib, ns, ...), calibrate(ins, plan, scenario)
"""

from __future__ import annotations

import importlib

_LAZY = {
    "power_analysis": "rsnprop.power.study",
    "PowerResult": "rsnprop.power.study",
    "panel_power": "rsnprop.power.panel",
    "PanelPowerResult": "rsnprop.power.panel",
    "cfa_power": "rsnprop.power.cfa",
    "CFAPowerResult": "rsnprop.power.cfa",
    "run_blocks": "rsnprop.power.montecarlo",
    "replication_seed": "rsnprop.power.montecarlo",
    "read_stream": "rsnprop.power.montecarlo",
    "analytic_power": "rsnprop.power.analytic",
    "calibrate": "rsnprop.power.analytic",
    "verdict_table": "rsnprop.power.summary",
    "n_for_power": "rsnprop.power.summary",
    "wilson": "rsnprop.power.summary",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rsnprop.power' has no attribute {name!r}")
