"""Monte Carlo power of a two-wave panel plan: simulate -> clean each wave -> link -> verdicts.

One replication ``(n, rep)`` (:func:`panel_replication`):

1. :func:`rsnprop.simulate.panel.simulate_panel` draws ``n`` firms at wave 1 from the scenario
   and a second wave of the firms that stay (``attrition``, ``attrition_mechanism``) with the
   known change (``change="change"``: relational answers rise for born globals and for firms
   that moved phase; ``"none"``: no change beyond noise);
2. each wave's raw export is cleaned with the plan's ``cleaning:`` rules
   (:func:`rsnprop.data.clean`, the same instrument and rules for every wave);
3. the clean waves are linked by the plan's panel key with a fixed salt
   (:func:`rsnprop.panel.link_waves`);
4. the plan's panel hypotheses (C1 change by group, C2 stage, C3 cross-lagged) are tested
   and decided with the plan's decision rules and Holm family
   (:func:`rsnprop.panel.panel_verdicts`: observed-score rows, no latent model, no multiverse).

A replication that raises is recorded with its error string (all its verdicts count as
inconclusive), never a crash.  Replication ``(n, rep)`` draws from
``SeedSequence(seed, spawn_key=(n, rep))`` (:func:`rsnprop.power.montecarlo.replication_seed`),
so the records are the same byte for byte with any number of workers.

The rates (share of replications with each verdict, Monte Carlo SE ``sqrt(p (1 - p) / R)``,
Wilson 95 % interval: R ``prop.test(k, R, correct = FALSE)$conf.int``) come from
:func:`rsnprop.power.summary.verdict_table`; the N for 80/90 % power from
:func:`rsnprop.power.summary.n_for_power` (R ``glm(cbind(k, R - k) ~ log(n), binomial)``).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd

from ..data import clean
from ..errors import InputError, MissingFileError, PlanError
from ..instrument import load_instrument
from ..propositions import load_plan
from ..results import Result, jsonsafe
from ..simulate.panel import CHANGES, simulate_panel
from ..simulate.scenarios import get_scenario
from .montecarlo import replication_seed, run_blocks
from .pipeline import _design
from .summary import VERDICTS, n_for_power, n_sentence, verdict_table, wilson

__all__ = ["panel_power", "panel_replication", "panel_block", "PanelPowerResult", "SCHEMA",
           "HYPOTHESES", "SALT"]

#: contract of the panel power JSON (rsnprop.schemas.PanelPower)
SCHEMA = "rsnprop.panel_power/1"
#: the panel hypotheses when the plan declares none
HYPOTHESES = ("C1", "C2", "C3")
#: the salt of panel_id in every replication (fixed: the pseudonyms play no role in the tests)
SALT = "rsnprop-panel-power"


def _panel_section(plan):
    """The plan's ``panel:`` section (None when the plan has none)."""
    return getattr(plan, "panel", None)


def plan_hypotheses(plan) -> tuple:
    """The panel hypotheses the plan declares (in its order), else C1, C2, C3."""
    hyp = getattr(_panel_section(plan), "hypotheses", None)
    return tuple(hyp) if hyp else HYPOTHESES


def _waves_and_key(plan) -> tuple:
    """``(label of wave 1, label of wave 2, panel key)`` from the plan (defaults 1, 2, resp_id)."""
    sec = _panel_section(plan)
    labels = [str(getattr(w, "label", w.get("label") if isinstance(w, dict) else w))
              for w in (getattr(sec, "waves", None) or [])]
    labels = labels[:2] if len(labels) >= 2 else ["1", "2"]
    return labels[0], labels[1], str(getattr(sec, "key", None) or "resp_id")


def _default_verdicts():
    """The fast verdict core of the panel stage (:func:`rsnprop.panel.panel_verdicts`)."""
    from ..panel import panel_verdicts

    return panel_verdicts


def _num(x, digits=12):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return float(f"{v:.{digits}g}") if math.isfinite(v) else None


def _primary(hyp: dict) -> dict:
    """The primary (observed-score) evidence row of one hypothesis, or ``{}``."""
    return next((e for e in hyp.get("evidence") or [] if e.get("role") == "primary"), {})


def _read_verdicts(out: dict, hypotheses) -> dict:
    """Verdicts, firms analysed, estimates and corrected p of one verdict dict."""
    hyps = out.get("hypotheses") or {}
    rec = {"verdicts": {}, "n_analysed": {}, "estimate": {}, "p_corrected": {}}
    analysed = (out.get("n") or {}).get("analysed") or {}
    for h in hypotheses:
        entry = hyps.get(h) or {}
        verdict = entry.get("verdict", (out.get("verdicts") or {}).get(h, "inconclusive"))
        prim = _primary(entry)
        rec["verdicts"][h] = str(verdict) if verdict in VERDICTS else "inconclusive"
        rec["n_analysed"][h] = int(analysed.get(h, prim.get("n") or 0) or 0)
        rec["estimate"][h] = _num(prim.get("estimate"))
        rec["p_corrected"][h] = _num(prim.get("p_corrected"))
    return rec


def panel_replication(ins, plan, scenario, n: int, rep: int, seed: int, *, change: str = "change",
                      attrition: float = 0.25, attrition_mechanism: str = "mcar",
                      verdicts=None, sim_options: dict | None = None) -> dict:
    """One replication of the panel study; its record (JSON-safe dict).

    ``n`` firms answer wave 1; ``verdicts(panel, plan) -> dict`` (default
    :func:`rsnprop.panel.panel_verdicts`) gives ``{"hypotheses": {h: {"verdict", "evidence"}},
    "n": {"analysed": {h: n}}}``.  The record holds ``n, rep, error`` (None or the error
    string), ``verdicts``, ``n_wave1`` (firms kept by cleaning at wave 1), ``n_wave2``,
    ``n_linked`` (in both waves), ``n_analysed``, ``estimate`` and ``p_corrected`` by hypothesis.

    Examples
    --------
    >>> import rsnprop
    >>> from rsnprop.propositions import load_plan
    >>> from rsnprop.simulate.scenarios import get_scenario
    >>> stub = lambda panel, plan: {"hypotheses": {"C1": {"verdict": "supported"}}}
    >>> rec = panel_replication(rsnprop.load_instrument(), load_plan("analysis/study.yaml"),
    ...                         get_scenario("p1p2"), 120, 0, seed=1, verdicts=stub)
    >>> rec["error"], rec["verdicts"]["C1"], rec["n_linked"] <= rec["n_wave1"] <= 120
    (None, 'supported', True)
    """

    from ..panel import link_waves

    hyps = plan_hypotheses(plan)
    rec = {"n": int(n), "rep": int(rep), "error": None}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raws = simulate_panel(ins, scenario, n=int(n), seed=replication_seed(seed, n, rep),
                                  waves=2, change=change, attrition=attrition,
                                  attrition_mechanism=attrition_mechanism, **(sim_options or {}))
            first, later, key = _waves_and_key(plan)
            clean_waves = {label: clean(raw, ins, plan.cleaning, diagnostics=False).data
                           for label, raw in zip((first, later), raws)}
            panel = link_waves(clean_waves, key, salt=SALT)
            out = (verdicts or _default_verdicts())(panel, plan)
        rec["n_wave1"] = int(len(clean_waves[first]))
        rec["n_wave2"] = int(len(clean_waves[later]))
        rec["n_linked"] = int(len(panel.firms_in(first) & panel.firms_in(later)))
        rec.update(_read_verdicts(out if isinstance(out, dict) else out.to_dict(), hyps))
    except Exception as err:  # noqa: BLE001 - a failed replication is data, not a crash
        rec["error"] = f"{type(err).__name__}: {err}"[:300]
        rec["verdicts"] = {h: "inconclusive" for h in hyps}
    return rec


def panel_block(task: dict) -> list[dict]:
    """Worker entry point: ``task = {"keys", "instrument", "plan", "scenario", "seed", "change",
    "attrition", "attrition_mechanism", "verdicts"}`` -> records."""
    ins, plan, sc = _design(task)
    return [panel_replication(ins, plan, sc, n, rep, task["seed"], change=task["change"],
                              attrition=task["attrition"],
                              attrition_mechanism=task["attrition_mechanism"],
                              verdicts=task.get("verdicts"), sim_options=task.get("sim_options"))
            for n, rep in task["keys"]]


class PanelPowerResult(Result):
    """Monte Carlo power of a panel plan: verdict rates by N at wave 1, MC errors, firms kept.

    ``to_dict()`` (schema ``rsnprop.panel_power/1``, :class:`rsnprop.schemas.PanelPower`):

    ``results``
        one row per (n, hypothesis): ``n`` (firms answering wave 1), ``hypothesis``, ``reps``,
        ``power`` (share "supported"), ``mc_se``, Wilson 95 % ``ci_lower``/``ci_upper``,
        ``p_<verdict>`` and ``se_<verdict>`` for every verdict, ``failed``;
    ``by_n``
        one row per n: ``reps``, ``failed``, ``any_supported`` (share of replications with at
        least one hypothesis supported) and ``any_false_supported`` (at least one hypothesis
        supported whose scenario truth is *no effect*; null when every hypothesis has an
        effect), each with ``*_se`` and a Wilson interval; mean firms ``mean_wave1`` (kept by
        cleaning at wave 1), ``mean_wave2``, ``mean_linked`` (in both waves), ``mean_analysed``
        (by hypothesis);
    ``n_for_power``
        per hypothesis and target (:func:`rsnprop.power.summary.n_for_power`);
    and the settings: ``plan_hash, instrument, scenario, change, attrition,
    attrition_mechanism, seed, reps, ns, hypotheses, expected, failed, warnings``.
    """

    title = "Monte Carlo power of the panel hypotheses"

    def __init__(self, data: dict, records: list | None = None):
        self.data = data
        self.records = records or []

    def to_dict(self) -> dict:
        return jsonsafe({"schema": SCHEMA, **self.data})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.data["results"])

    @property
    def power(self) -> dict:
        """``{hypothesis: {n: share supported}}``."""
        out: dict = {}
        for r in self.data["results"]:
            out.setdefault(r["hypothesis"], {})[r["n"]] = r["power"]
        return out

    def headline(self) -> list:
        d = self.data
        return [f"{d['reps']} simulated two-wave panels per N, scenario '{d['scenario']}' with "
                f"change '{d['change']}', attrition {d['attrition']:g} ({d['attrition_mechanism']})"]

    def summary(self) -> str:
        """In words: the rates by N and hypothesis with their Monte Carlo SE, the any-false-
        supported rate, the firms kept and linked; every figure is in :meth:`to_dict`."""
        return panel_summary(self.data)


def _pct(p) -> str:
    return "-" if p is None else f"{100 * p:.1f} %"


def panel_summary(data: dict) -> str:
    """The text of ``rsnprop power --panel`` (a :class:`PanelPowerResult`'s data)."""
    d = data
    hyps = d["hypotheses"]
    lines = [f"Monte Carlo power of the panel hypotheses of '{d['plan_name']}' (plan hash "
             f"{d['plan_hash'][:12]}): {d['reps']} simulated two-wave panels per N (firms "
             f"answering wave 1), scenario '{d['scenario']}', change '{d['change']}', attrition "
             f"{d['attrition']:g} ({d['attrition_mechanism']}), seed {d['seed']}.",
             "Expected: " + ", ".join(f"{h} {v}" for h, v in d["expected"].items()) + ".", "",
             "Share of replications with each verdict (± Monte Carlo SE, percentage points):"]
    for r in d["results"]:
        cells = ", ".join(f"{v} {_pct(r['p_' + v])} ± {100 * r['se_' + v]:.1f}" for v in VERDICTS)
        lines.append(f"  N {r['n']:>5}  {r['hypothesis']:<4} {cells}")
    lines += ["", "Per N: any hypothesis supported; any false 'supported' (hypotheses without an "
                  "effect in the scenario); firms kept:"]
    for b in d["by_n"]:
        false = (f"{_pct(b['any_false_supported'])} ± {100 * b['any_false_supported_se']:.1f}"
                 if b["any_false_supported"] is not None else "n/a (every hypothesis has an effect)")
        analysed = ", ".join(f"{h} {v:.0f}" for h, v in b["mean_analysed"].items())
        lines.append(f"  N {b['n']:>5}: any supported {_pct(b['any_supported'])}; any false "
                     f"supported {false}; mean firms kept at wave 1 {b['mean_wave1']:.0f}, linked "
                     f"{b['mean_linked']:.0f}, analysed {analysed}; failed {b['failed']}")
    if d["change"] != "none":
        lines += ["", "Sample size needed (firms answering wave 1):"]
        ns = d["ns"]
        for h in hyps:
            for entry in d["n_for_power"].get(h, {}).values():
                lines.append(f"  {h:<4} {n_sentence(entry, ns)}")
    lines += [f"Warning: {w}" for w in d.get("warnings", [])]
    return "\n".join(lines)


def _rate(k: int, r: int, prefix: str) -> dict:
    """Share ``k / r`` with its Monte Carlo SE and Wilson 95 % interval, keys ``prefix*``."""
    p = k / r
    lo, hi = wilson(k, r)
    return {prefix: p, f"{prefix}_se": math.sqrt(p * (1 - p) / r), f"{prefix}_ci_lower": lo,
            f"{prefix}_ci_upper": hi}


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def by_n_table(records, hypotheses, expected) -> list[dict]:
    """One row per n: rates of any / any false "supported" and the mean firms kept."""
    nulls = [h for h in hypotheses if expected.get(h) != "supported"]
    rows = []
    for n in sorted({int(r["n"]) for r in records}):
        recs = [r for r in records if int(r["n"]) == n]
        ok = [r for r in recs if not r.get("error")]
        R = len(recs)
        row = {"n": n, "reps": R, "failed": R - len(ok)}
        row.update(_rate(sum(any(r["verdicts"].get(h) == "supported" for h in hypotheses)
                             for r in recs), R, "any_supported"))
        if nulls:
            row.update(_rate(sum(any(r["verdicts"].get(h) == "supported" for h in nulls)
                                 for r in recs), R, "any_false_supported"))
        else:
            row.update({"any_false_supported": None, "any_false_supported_se": None,
                        "any_false_supported_ci_lower": None, "any_false_supported_ci_upper": None})
        row["mean_wave1"] = _mean([r.get("n_wave1") for r in ok])
        row["mean_wave2"] = _mean([r.get("n_wave2") for r in ok])
        row["mean_linked"] = _mean([r.get("n_linked") for r in ok])
        row["mean_analysed"] = {h: _mean([(r.get("n_analysed") or {}).get(h) for r in ok])
                                for h in hypotheses}
        rows.append(row)
    return rows


def panel_power(plan, ns, reps: int, *, instrument=None, scenario="p1p2", change: str = "change",
                attrition: float = 0.25, attrition_mechanism: str = "mcar", seed: int = 1,
                jobs=None, backend: str = "joblib", scheduler=None, stream=None,
                progress: bool = False, block_size: int | None = None, verdicts=None, sim_options: dict | None = None,
                targets=(0.8, 0.9)) -> PanelPowerResult:
    """Monte Carlo power of a plan's panel hypotheses: ``reps`` two-wave panels per N.

    Parameters
    ----------
    plan : path
        Study plan YAML with a ``panel:`` section (hypotheses, wave labels, key, decision
        rules; :class:`~rsnprop.errors.PlanError` without one, unless ``verdicts`` is given).
    ns : list of int
        Firms answering wave 1 (raw rows, before cleaning).
    reps : int
        Replications per N.
    instrument : path, optional
        Default: the plan's ``inputs.instrument`` (:func:`rsnprop.power.study.default_instrument`).
    scenario : str, path, dict or Scenario
        The wave-1 population (:mod:`rsnprop.simulate.scenarios`).
    change : {"change", "none"}
        The change between waves (:func:`rsnprop.simulate.panel.simulate_panel`): under
        ``"change"`` every panel hypothesis has an effect, under ``"none"`` none has.
    attrition, attrition_mechanism
        Expected share of firms leaving before wave 2, ``"mcar"`` or ``"mar"``.
    seed : int
        Root seed; replication ``(n, rep)`` uses ``SeedSequence(seed, spawn_key=(n, rep))``.
    jobs : int, optional
        Workers (default all cores); the results do not depend on it.
    backend, scheduler
        ``"joblib"`` or ``"dask"`` (:func:`rsnprop.power.montecarlo.run_blocks`).
    stream : path, optional
        JSON-lines file of replication records (resumable).
    verdicts : callable, optional
        ``verdicts(panel, plan) -> dict``; default :func:`rsnprop.panel.panel_verdicts`.

    Returns
    -------
    PanelPowerResult

    Examples
    --------
    >>> res = panel_power("analysis/study.yaml", [300], reps=20, change="none")  # doctest: +SKIP
    >>> res.data["by_n"][0]["any_false_supported"]                                # doctest: +SKIP
    """

    from .study import default_instrument

    plan_path = Path(plan)
    if not plan_path.is_file():
        raise MissingFileError("study plan does not exist", file=str(plan))
    ns = sorted({int(x) for x in ns})
    if not ns or ns[0] < 20:
        raise InputError("firms at wave 1 must be integers >= 20", parameter="n", value=ns)
    if int(reps) < 1:
        raise InputError("must be a positive integer", parameter="reps", value=reps)
    if change not in CHANGES:
        raise InputError(f"must be one of {', '.join(CHANGES)}", parameter="change", value=change)
    ins_path = Path(instrument) if instrument else default_instrument(plan_path)
    if not ins_path.is_file():
        raise MissingFileError("instrument does not exist", file=str(ins_path))
    ins, pl, sc = load_instrument(ins_path), load_plan(plan_path), get_scenario(scenario)
    if verdicts is None and _panel_section(pl) is None:
        raise PlanError("the plan has no panel: section (waves, key, hypotheses; docs/panel.md), "
                        "so it has no panel hypotheses to simulate", file=str(plan_path))
    hyps = plan_hypotheses(pl)
    settings = {"change": change, "attrition": float(attrition),
                "attrition_mechanism": attrition_mechanism, "seed": int(seed)}
    sc_dict = jsonsafe(sc.model_dump())
    config = {"what": "panel power", "plan_hash": pl.hash, "instrument_hash": ins.hash,
              "scenario": sc_dict, "sim_options": dict(sim_options or {}), **settings,
              "verdicts": getattr(verdicts, "__qualname__", "rsnprop.panel.panel_verdicts"),
              "rsnprop": __import__("rsnprop").__version__}
    payload = {"instrument": str(ins_path.resolve()), "plan": str(plan_path.resolve()),
               "scenario": sc_dict, "verdicts": verdicts, "sim_options": dict(sim_options or {}),
               **settings}
    records = run_blocks(panel_block, [(n, r) for n in ns for r in range(int(reps))], payload,
                         jobs=jobs, backend=backend, scheduler=scheduler,
                         block_size=block_size or 4, stream=stream, config=config,
                         progress=progress)
    expected = {h: "supported" if change == "change" else "not supported" for h in hyps}
    rows = [{"hypothesis": r.pop("proposition"), **r} for r in verdict_table(records, hyps)]
    failed = sum(1 for r in records if r.get("error"))
    first = next((r["error"] for r in records if r.get("error")), None)
    data = {"kind": "monte_carlo_panel_power", "plan_name": pl.name, "plan_hash": pl.hash,
            "instrument": ins.provenance(), "scenario": sc.name,
            "scenario_description": sc.description, **settings, "reps": int(reps), "ns": ns,
            "hypotheses": list(hyps), "expected": expected, "target": targets[0],
            "targets": list(targets),
            "pipeline": ("simulate_panel(waves=2) -> rsnprop.data.clean(plan.cleaning) per wave "
                         "-> rsnprop.panel.link_waves -> rsnprop.panel.panel_verdicts (observed "
                         "scores, Holm over the family)"),
            "results": rows, "by_n": by_n_table(records, hyps, expected),
            "n_for_power": n_for_power([dict(r, proposition=r["hypothesis"]) for r in rows],
                                       targets),
            "failed": failed,
            "warnings": [f"{failed} of {len(records)} replications failed and count as "
                         f"inconclusive (first: {first})"] if failed else []}
    return PanelPowerResult(data, records)
