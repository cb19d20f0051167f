"""Power analysis (optional power.json of `rsnprop power`)."""

from __future__ import annotations

from .. import figures as F
from ..fmt import fmt_value
from ..tables import Column, Table
from ..typed import not_run_reason, stage_output
from .base import VERDICT_TEXT, Section, _not_run, generic_table, _generic_blocks, words


def power_rows(power) -> list[dict]:
    """Rows ``{label, n, power, mc_se, ci, p_<verdict>...}`` of the figure and table, one per
    proposition and sample size of a :class:`rsnprop.schemas.Power` (``results``).

    >>> from rsnprop.schemas import PowerRow
    >>> from types import SimpleNamespace
    >>> row = PowerRow(n=100, proposition="P1", reps=200, power=0.6, mc_se=0.03, ci_lower=0.53,
    ...                ci_upper=0.67, failed=0)
    >>> power_rows(SimpleNamespace(results=[row]))[0]["ci"]
    (0.53, 0.67)
    """
    return [{"n": r.n, "power": r.power, "label": r.proposition, "mc_se": r.mc_se,
             "ci": (r.ci_lower, r.ci_upper), **{f"p_{v}": getattr(r, f"p_{v}") for v in VERDICT_TEXT}}
            for r in power.results]


def _simulation_pairs(pw) -> list[tuple[str, str]]:
    head = [("scenario", pw.scenario), ("replications per n", pw.reps), ("seed", pw.seed),
            ("plan", pw.plan_name), ("expected verdicts", pw.expected_verdicts)]
    return [(k, fmt_value(v)) for k, v in head if v is not None]


def _power_table(rows: list[dict]) -> Table:
    cols = [Column("label", "Proposition"), Column("n", "n", "int"),
            Column("power", "Power", "bounded", 3), Column("mc_se", "MC SE", "bounded", 3),
            Column("ci", "95% MC interval", "ci", 3)] + \
           [Column(f"p_{v}", v.capitalize(), "bounded", 3) for v in VERDICT_TEXT]
    cols = [c for c in cols if c.key in ("label", "n", "power") or any(
        r.get(c.key) not in (None, (None, None)) for r in rows)]
    return Table("power", "Estimated power by sample size", cols,
                 sorted(rows, key=lambda r: (r["label"], r["n"])),
                 note="Power = probability that the verdict is the one expected under "
                      "the simulated scenario; MC SE = Monte Carlo standard error; "
                      "the verdict columns give the probability of each verdict.")


def _n_for_power_table(nfp) -> Table:
    nrows = [{"proposition": prop, "target": v.target, "interpolated": v.interpolated,
              "logistic": v.logistic, "extrapolated": v.extrapolated, "grid": v.grid}
             for prop, targets in nfp.items() for v in targets.values()]
    cols = [Column("proposition", "Proposition"), Column("target", "Target power", "bounded"),
            Column("interpolated", "n (interpolated)", "int"),
            Column("logistic", "n (logistic fit)", "int"),
            Column("extrapolated", "n (extrapolated)", "int"), Column("grid", "n (grid)", "int")]
    cols = [c for c in cols if c.key == "proposition" or any(r.get(c.key) is not None for r in nrows)]
    return Table("n_for_power", "Sample size needed for the target power", cols, nrows,
                 note="A dash means the target is not reached within the simulated "
                      "sample sizes by that method.")


def _add_analytic(s: Section, analytic) -> None:
    s.add("dl", [(words(k), fmt_value(v, 3)) for k, v in analytic.effect_sizes.items()],
          "Analytic power: effect sizes assumed")
    t = generic_table(analytic.rows, "power_analytic", "Analytic power of the main contrasts")
    if t:
        s.add("table", t)


def _settings(pw) -> dict:
    """The settings shown last, as a definition list and the retention table."""
    return {"schema": pw.schema_id, "plan_hash": pw.plan_hash,
            "instrument": pw.instrument.model_dump(), "target": pw.target,
            "retention": [r.model_dump() for r in pw.retention], "failed": pw.failed}


def power_section(inputs) -> Section:
    s = Section("power", "Power analysis")
    pw = stage_output(inputs, "power.json")
    if pw is None:
        return _not_run(s, "Not run: no power.json in the results folder (optional: "
                           "`rsnprop power --plan PLAN --n ... -o RESULTS_DIR/power.json`)."
                        if inputs.problems.get("power.json", "missing") == "missing"
                        and inputs.power is None
                        else not_run_reason(inputs, "power.json"))
    s.add("dl", _simulation_pairs(pw), "Simulation")
    rows = power_rows(pw)
    if rows:
        fig = F.power_curve(rows, target=pw.target)
        if fig:
            s.add("figure", fig)
        s.add("table", _power_table(rows))
    if pw.n_for_power:
        s.add("table", _n_for_power_table(pw.n_for_power))
    if pw.analytic is not None:
        _add_analytic(s, pw.analytic)
    if pw.scenario_description:
        s.add("p", f"Scenario: {fmt_value(pw.scenario_description)}")
    if pw.pipeline:
        s.add("p", "Each replication simulates a survey export of n responses under the scenario, "
                   "cleans it with the plan's cleaning rules and runs the preregistered primary "
                   "tests and decision rules on the firms kept.")
    _generic_blocks(s, _settings(pw), "power_settings", "Power settings")
    w = list(dict.fromkeys(pw.warnings))
    if w:
        s.add("warnings", w)
    return s
