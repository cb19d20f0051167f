"""One Monte Carlo replication of the *whole* study: simulate -> clean -> test -> verdicts.

Per replication ``(n, rep)``: a raw export of ``n`` respondents is simulated from the
scenario (careless responders, missing answers, invalid codes and all), cleaned with the
plan's ``cleaning:`` rules (:func:`rsnprop.data.clean`: exclusions, recoding, scores,
born-global classification), and the plan's tests and decision rules are applied
(:func:`rsnprop.propositions.test_propositions`).  By default the secondary evidence
(robustness rows, latent SEM, auxiliary hypotheses) is skipped: the verdicts depend on the
primary rows only (see :mod:`rsnprop.propositions.decide`); ``full=True`` runs everything.
"""

from __future__ import annotations

import math
import warnings

from ..data import clean
from ..propositions import test_propositions
from ..sem import fiml  # noqa: F401  (see below)
from ..propositions.lean import lean_tests
from ..propositions.measurement import verdicts_only
from ..results import jsonsafe
from ..simulate import simulate_study
from .montecarlo import replication_seed

__all__ = ["pipeline_block", "one_replication", "prime_design", "PROPOSITIONS"]

PROPOSITIONS = ("P1", "P2", "joint")

# rsnprop.sem.fiml (with fiml_saturated, lean_fit, lean_patterns) is what the measurement check
# of every replication fits with, imported by rsnprop.sem.api.fit on its first call: imported
# here, in the process that forks the workers, so that they inherit it instead of importing
# (and, without byte code, compiling) it each in its first replication (about 10 ms of CPU a
# worker; timestamps per replication per worker showed the first replication of a worker at
# twice the CPU of the next ones)

_CACHE: dict = {}


def _design_key(payload):
    return payload["instrument"], payload["plan"], repr(sorted(payload["scenario"].items()))


def prime_design(payload, ins, plan) -> None:
    """Keep the instrument and plan the caller has loaded from ``payload``'s files as this
    process's design: workers forked afterwards inherit them instead of parsing both files
    again each (about 50 ms of CPU per worker); the scenario is read from the payload as a
    worker reads it."""
    from ..simulate.scenarios import scenario_from_dict

    _CACHE.clear()
    _CACHE[_design_key(payload)] = (ins, plan, scenario_from_dict(payload["scenario"]))


def _design(payload):
    """Instrument, plan and scenario, loaded once per worker process."""
    key = _design_key(payload)
    if key not in _CACHE:
        from ..instrument import load_instrument
        from ..propositions import load_plan
        from ..simulate.scenarios import scenario_from_dict

        _CACHE.clear()
        _CACHE[key] = (load_instrument(payload["instrument"]), load_plan(payload["plan"]),
                       scenario_from_dict(payload["scenario"]))
    return _CACHE[key]


def _r(x, digits=12):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    return float(f"{v:.{digits}g}")


def _primary(block) -> dict:
    """The JSON form of the primary evidence row of a proposition's block (``{}`` if none)."""
    prim = next((e for e in jsonsafe(block["evidence"]) if e.get("role") == "primary"), {})
    return prim


def one_replication(ins, plan, scenario, n: int, rep: int, seed: int, *, full: bool = False,
                    sim_options: dict | None = None) -> dict:
    """Run one replication and return its record (JSON-safe dict)."""

    rec = {"n": int(n), "rep": int(rep), "error": None}
    try:
        # no score-test detail the records do not read; the tests' arithmetic without SciPy's
        # test objects and statsmodels' model classes (the same numbers); no d_z interval of
        # the primary rows (a record reads their d_z, never its interval)
        with warnings.catch_warnings(), verdicts_only(), lean_tests(effect_intervals=full):
            warnings.simplefilter("ignore")
            raw = simulate_study(ins, scenario, n=int(n), seed=replication_seed(seed, n, rep),
                                 **(sim_options or {}))
            cr = clean(raw, ins, plan.cleaning, diagnostics=False)   # the data and counts
            res = test_propositions(cr.data, plan, secondary=full, latent=None if full else False,
                                   multiverse=False)
        rec["n_kept"] = int(cr.log["n_kept"])
        rec["n_analysed"] = int(res.n["analysed"])
        rec["n_born_global"] = int(res.n["born_global"])
        rec["n_traditional"] = int(res.n["traditional"])
        rec["verdicts"] = {k: str(res.verdicts.get(k, "inconclusive")) for k in PROPOSITIONS}
        est, pc = {}, {}
        blocks = [(key, res.propositions[key]) for key in ("P1", "P2")]
        if res.joint:
            blocks.append(("joint", res.joint))
        for key, block in blocks:     # the primary rows only, not the whole res.to_dict()
            prim = _primary(block)
            est[key], pc[key] = _r(prim.get("effect_size")), _r(prim.get("p_corrected"))
        rec["effect_size"], rec["p_corrected"] = est, pc
        rec["n_warnings"] = len(res.warnings)
    except Exception as err:  # noqa: BLE001 - a failed replication is data, not a crash
        rec["error"] = f"{type(err).__name__}: {err}"[:300]
        rec["verdicts"] = {k: "inconclusive" for k in PROPOSITIONS}
    return rec


def pipeline_block(task: dict) -> list[dict]:
    """Worker entry point: ``task = {"keys": [(n, rep)...], "instrument", "plan", "scenario",
    "seed", "full", "sim_options"}`` -> records."""
    ins, plan, sc = _design(task)
    return [one_replication(ins, plan, sc, n, rep, task["seed"], full=task.get("full", False),
                            sim_options=task.get("sim_options"))
            for n, rep in task["keys"]]
