"""Power analysis (optional power.json of `rsnprop power`)."""

from __future__ import annotations

from .. import figures as F
from ..fmt import fmt_value, to_float
from ..tables import Column, Table
from .base import (
    VERDICT_TEXT, Section, pick, _not_run, _records, generic_table, _generic_blocks, _warnings,
    words,
)


def _power_rows(power: dict) -> list[dict]:
    """Rows {label, n, power, mc_se, ci, p_<verdict>...} from power.json (``results`` rows of
    ``rsnprop power``, or wide rows ``{n, P1: power, ...}``)."""
    rows = []
    res = pick(power, "results", "power", "grid", default=None)
    for r in _records(res if res is not None else [], "n"):
        n = pick(r, "n")
        if pick(r, "power") is not None:
            rows.append({"n": n, "power": pick(r, "power"),
                         "label": str(pick(r, "proposition", "label", "test", default="power")),
                         "mc_se": pick(r, "mc_se"),
                         "ci": (pick(r, "ci_lower"), pick(r, "ci_upper")),
                         **{f"p_{v}": pick(r, f"p_{v}") for v in VERDICT_TEXT}})
            continue
        for k, v in r.items():
            if k != "n" and isinstance(v, (int, float)) and not isinstance(v, bool) and \
                    (k.startswith(("P", "power")) or k in ("both", "joint")):
                rows.append({"n": n, "power": v, "label": k.replace("power_", "")})
            elif isinstance(v, dict) and to_float(pick(v, "power")) is not None:
                rows.append({"n": n, "power": pick(v, "power"), "label": k})
    return rows


def power_section(inputs) -> Section:
    s = Section("power", "Power analysis")
    if inputs.power is None:
        why = inputs.problems.get("power.json", "missing")
        return _not_run(s, "Not run: no power.json in the results folder (optional: "
                           "`rsnprop power --plan PLAN --n ... -o RESULTS_DIR/power.json`)."
                        if why == "missing" else f"Not run: power.json could not be read ({why}).")
    pw = inputs.power
    head = [("scenario", pick(pw, "scenario")), ("replications per n", pick(pw, "reps", "n_reps")),
            ("seed", pick(pw, "seed")), ("plan", pick(pw, "plan_name")),
            ("expected verdicts", pick(pw, "expected_verdicts"))]
    head = [(k, fmt_value(v)) for k, v in head if v is not None]
    if head:
        s.add("dl", head, "Simulation")
    rows = _power_rows(pw)
    if rows:
        fig = F.power_curve(rows, target=to_float(pick(pw, "target", "target_power")) or 0.8)
        if fig:
            s.add("figure", fig)
        cols = [Column("label", "Proposition"), Column("n", "n", "int"),
                Column("power", "Power", "bounded", 3), Column("mc_se", "MC SE", "bounded", 3),
                Column("ci", "95% MC interval", "ci", 3)] + \
               [Column(f"p_{v}", v.capitalize(), "bounded", 3) for v in VERDICT_TEXT]
        cols = [c for c in cols if c.key in ("label", "n", "power") or any(
            r.get(c.key) not in (None, (None, None)) for r in rows)]
        s.add("table", Table("power", "Estimated power by sample size", cols,
                             sorted(rows, key=lambda r: (r["label"], to_float(r["n"]) or 0)),
                             note="Power = probability that the verdict is the one expected under "
                                  "the simulated scenario; MC SE = Monte Carlo standard error; "
                                  "the verdict columns give the probability of each verdict."))
    nfp = pick(pw, "n_for_power")
    if isinstance(nfp, dict) and nfp:
        nrows = []
        for prop, targets in nfp.items():
            if isinstance(targets, dict) and all(isinstance(v, dict) for v in targets.values()):
                for tgt, v in targets.items():
                    nrows.append({"proposition": prop, "target": to_float(pick(v, "target", default=tgt)),
                                  **{k: pick(v, k) for k in ("interpolated", "logistic",
                                                             "extrapolated", "grid")}})
            else:
                nrows.append({"proposition": prop, "interpolated": targets})
        cols = [Column("proposition", "Proposition"), Column("target", "Target power", "bounded"),
                Column("interpolated", "n (interpolated)", "int"),
                Column("logistic", "n (logistic fit)", "int"),
                Column("extrapolated", "n (extrapolated)", "int"), Column("grid", "n (grid)", "int")]
        cols = [c for c in cols if c.key == "proposition" or any(r.get(c.key) is not None for r in nrows)]
        s.add("table", Table("n_for_power", "Sample size needed for the target power", cols, nrows,
                             note="A dash means the target is not reached within the simulated "
                                  "sample sizes by that method."))
    analytic = pick(pw, "analytic")
    if isinstance(analytic, dict):
        es = pick(analytic, "effect_sizes")
        if isinstance(es, dict):
            s.add("dl", [(words(k), fmt_value(v, 3)) for k, v in es.items()],
                  "Analytic power: effect sizes assumed")
        arows = pick(analytic, "rows")
        if isinstance(arows, list):
            t = generic_table(arows, "power_analytic", "Analytic power of the main contrasts")
            if t:
                s.add("table", t)
    desc = pick(pw, "scenario_description")
    if desc:
        s.add("p", f"Scenario: {fmt_value(desc)}")
    if pick(pw, "pipeline"):
        s.add("p", "Each replication simulates a survey export of n responses under the scenario, "
                   "cleans it with the plan's cleaning rules and runs the preregistered primary "
                   "tests and decision rules on the firms kept.")
    rest = {k: v for k, v in pw.items() if k not in (
        "results", "power", "grid", "n_for_power", "scenario", "reps", "n_reps", "seed",
        "plan_name", "expected_verdicts", "analytic", "scenario_description", "kind",
        "targets", "ns", "pipeline")}
    if rest:
        _generic_blocks(s, rest, "power_settings", "Power settings")
    w = _warnings(pw)
    if w:
        s.add("warnings", w)
    return s
