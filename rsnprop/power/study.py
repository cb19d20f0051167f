"""``power_analysis``: Monte Carlo power of a preregistered plan, whole pipeline per replication."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError, MissingFileError, RsnpropError
from ..instrument import load_instrument
from ..propositions import load_plan
from ..results import Result, jsonsafe
from ..simulate import population_parameters
from ..simulate.scenarios import get_scenario
from ..yamlio import load_yaml
from .analytic import analytic_power, calibrate
from .montecarlo import run_blocks
from .pipeline import pipeline_block, prime_design
from .summary import n_for_power, plain_summary, verdict_table

__all__ = ["power_analysis", "PowerResult", "default_instrument", "SCHEMA"]

#: contract of power.json (rsnprop.schemas.Power)
SCHEMA = "rsnprop.power/1"


class PowerResult(Result):
    """Monte Carlo power by sample size, MC errors, N for 80/90 % power, analytic power.

    ``to_dict()`` (written to ``power.json``; read by the report):

    ``results``
        one row per (n, proposition): ``n, proposition, reps, power`` (share "supported"),
        ``mc_se, ci_lower, ci_upper`` (Wilson 95 %), ``p_<verdict>`` and ``se_<verdict>`` for
        every verdict, ``failed`` (replications that raised an error; counted inconclusive);
    ``n_for_power``
        ``{"P1": {"0.8": {"logistic", "interpolated", "grid", "range", "extrapolated"}, ...}}``;
    ``analytic``
        see :func:`rsnprop.power.analytic.analytic_power` (or null);
    ``retention``
        per n: mean firms analysed, born globals and traditional firms after cleaning;
    and the settings: ``plan_hash, instrument, scenario, seed, reps, ns, target, pipeline,
    expected_verdicts, warnings``.  Nothing depends on the number of workers or the backend.
    """

    title = "Monte Carlo power"

    def __init__(self, data: dict, records: list | None = None):
        self.data = data
        self.records = records or []

    def to_dict(self) -> dict:
        return jsonsafe({"schema": SCHEMA, **self.data})

    def to_frame(self):
        return pd.DataFrame(self.data["results"])

    @property
    def power(self) -> dict:
        """``{proposition: {n: power}}``."""
        out: dict = {}
        for r in self.data["results"]:
            out.setdefault(r["proposition"], {})[r["n"]] = r["power"]
        return out

    def summary(self) -> str:
        """In words: the N for each target power, the power curve, the firms kept
        (:func:`rsnprop.power.summary.plain_summary`); every figure is in :meth:`to_dict`."""

        return plain_summary(self.data)


def default_instrument(plan_path) -> Path:
    """The plan's ``inputs.instrument`` or ``../instruments/rsn_internationalisation.yaml``."""

    p = Path(plan_path).resolve()
    try:
        data = load_yaml(p, what="study plan") or {}
    except (RsnpropError, OSError):  # load_plan reports bad plans
        data = {}
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if isinstance(inputs, dict) and inputs.get("instrument"):
        return (p.parent / inputs["instrument"]).resolve()
    for cand in (p.parent.parent / "instruments" / "rsn_internationalisation.yaml",
                 p.parent / "instruments" / "rsn_internationalisation.yaml"):
        if cand.is_file():
            return cand

    raise InputError("no instrument found for the plan: give --instrument", parameter="instrument")


def power_analysis(plan, ns, reps: int, *, instrument=None, scenario="p1p2", seed: int = 1,
                   jobs=None, backend: str = "joblib", stream=None, progress: bool = False,
                   full: bool = False, analytic: bool = True, block_size: int | None = None,
                   sim_options: dict | None = None, client=None, scheduler=None,
                   targets=(0.8, 0.9)) -> PowerResult:
    """Monte Carlo power of a study plan: simulate -> clean -> test, ``reps`` times per N.

    Parameters
    ----------
    plan : path
        Study plan YAML (:func:`rsnprop.propositions.load_plan`).
    ns : list of int
        Numbers of respondents (raw rows, before cleaning).
    reps : int
        Replications per sample size.
    instrument : path, optional
        Default: the plan's ``inputs.instrument`` or ``instruments/rsn_internationalisation.yaml``.
    scenario : str, path, dict or Scenario
        The population (:mod:`rsnprop.simulate.scenarios`).
    seed : int
        Root seed; replication ``(n, rep)`` uses ``SeedSequence(seed, spawn_key=(n, rep))``.
    jobs : int, optional
        Workers (default all cores); results do not depend on it.
    backend : {"joblib", "loky", "dask"}
        Where the replications run (:func:`rsnprop.power.montecarlo.run_blocks`): ``"joblib"``
        forks its workers from this process on Linux (they start at once) and uses joblib's
        loky elsewhere; the results do not depend on it.
    stream : path, optional
        JSON-lines file of replication records: written as they finish, reused on restart.
    progress : bool
        Progress bar on stderr.
    full : bool
        Also run the secondary evidence and latent SEM in every replication (slow; the verdicts
        do not depend on them).
    analytic : bool
        Add the analytic power of the main contrasts.

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> res = power_analysis("analysis/study.yaml", [100, 200], reps=20, seed=1)   # doctest: +SKIP
    >>> res.power["P1"][200]                                                          # doctest: +SKIP
    """

    plan_path, ns, ins_path = _checked_inputs(plan, ns, reps, instrument)
    ins = load_instrument(ins_path)
    pl = load_plan(plan_path)
    sc = get_scenario(scenario)
    sim_options = dict(sim_options or {})
    records = _replications(plan_path, ins_path, ins, pl, sc, ns, reps, seed=seed, full=full,
                            sim_options=sim_options, jobs=jobs, backend=backend, block_size=block_size,
                            stream=stream, progress=progress, client=client, scheduler=scheduler)
    rows = verdict_table(records)
    failed, warnings_ = _failures(records)
    an = _analytic(ins, pl, sc, ns, sim_options, targets, warnings_) if analytic else None
    data = {
        "kind": "monte_carlo_power",
        "plan_name": pl.name, "plan_hash": pl.hash, "instrument": ins.provenance(),
        "scenario": sc.name, "scenario_description": sc.description, "seed": int(seed),
        "reps": int(reps), "ns": ns, "target": targets[0], "targets": list(targets),
        "pipeline": ("simulate_study -> rsnprop.data.clean(plan.cleaning) -> "
                     "rsnprop.propositions.test_propositions(" +
                     ("all evidence" if full else "primary tests and decision rules") + ")"),
        "expected_verdicts": population_parameters(ins, sc).expected,
        "results": rows,
        "n_for_power": n_for_power(rows, targets),
        "retention": _retention(records, ns),
        "analytic": an,
        "failed": failed,
        "warnings": warnings_,
    }
    return PowerResult(data, records)


def _checked_inputs(plan, ns, reps, instrument):
    """``(plan path, sorted distinct sizes, instrument path)``, or the error that says what
    is wrong with the arguments."""

    plan_path = Path(plan)
    if not plan_path.is_file():
        raise MissingFileError("study plan does not exist", file=str(plan))
    ns = sorted({int(x) for x in ns})
    if not ns or ns[0] < 10:
        raise InputError("sample sizes must be integers >= 10", parameter="n", value=ns)
    if int(reps) < 1:
        raise InputError("must be a positive integer", parameter="reps", value=reps)
    ins_path = Path(instrument) if instrument else default_instrument(plan_path)
    if not ins_path.is_file():
        raise MissingFileError("instrument does not exist", file=str(ins_path))
    return plan_path, ns, ins_path


def _replications(plan_path, ins_path, ins, pl, sc, ns, reps, *, seed, full, sim_options, jobs,
                  backend, block_size, stream, progress, client, scheduler):
    """The replication records (:func:`rsnprop.power.pipeline.pipeline_block` over every
    ``(n, rep)``, in blocks; :func:`rsnprop.power.montecarlo.run_blocks`)."""

    sc_dict = jsonsafe(sc.model_dump())
    config = {"what": "study power", "plan_hash": pl.hash, "instrument_hash": ins.hash,
              "scenario": sc_dict, "seed": int(seed), "full": bool(full), "sim_options": sim_options,
              "rsnprop": __import__("rsnprop").__version__}
    payload = {"instrument": str(ins_path.resolve()), "plan": str(plan_path.resolve()),
               "scenario": sc_dict, "seed": int(seed), "full": bool(full), "sim_options": sim_options}
    keys = [(n, r) for n in ns for r in range(int(reps))]
    if backend == "joblib":      # forked workers (or this process) inherit what is loaded
        prime_design(payload, ins, pl)
    return run_blocks(pipeline_block, keys, payload, jobs=jobs, backend=backend,
                      block_size=block_size or 2, stream=stream, config=config,
                      progress=progress, client=client, scheduler=scheduler, single_tail=True)


def _failures(records):
    """``(number of failed replications, [warning])``."""
    failed = sum(1 for r in records if r.get("error"))
    warnings_ = []
    if failed:
        first = next(r["error"] for r in records if r.get("error"))
        warnings_.append(f"{failed} of {len(records)} replications failed and count as "
                         f"inconclusive (first: {first})")
    return failed, warnings_


def _retention(records, ns):
    """Mean numbers of firms analysed (in all, born global, traditional) per sample size."""
    retention = []
    for n in ns:
        sub = [r for r in records if r["n"] == n and not r.get("error")]
        if sub:
            retention.append({"n": n,
                              "mean_analysed": sum(r["n_analysed"] for r in sub) / len(sub),
                              "mean_born_global": sum(r["n_born_global"] for r in sub) / len(sub),
                              "mean_traditional": sum(r["n_traditional"] for r in sub) / len(sub)})
    return retention


def _analytic(ins, pl, sc, ns, sim_options, targets, warnings_):
    """The analytic power of the main contrasts (:mod:`rsnprop.power.analytic`), or None with
    a warning when it cannot be computed."""

    try:
        return analytic_power(calibrate(ins, pl, sc, sim_options=sim_options), ns,
                              alpha=pl.alpha, targets=targets)
    except Exception as err:  # noqa: BLE001 - the MC result stands on its own
        warnings_.append(f"analytic power not computed ({type(err).__name__}: {err})")
        return None
