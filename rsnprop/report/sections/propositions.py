"""Proposition tests: evidence tables, forest plot, scores by group, auxiliary and continuous
analyses.
"""

from __future__ import annotations

from .. import figures as F
from ..fmt import fmt_value, to_float
from ..tables import Column, Table
from .base import (
    PROPOSITION_TEXT, GROUP_LABELS, Section, pick, _list, _not_run, _missing_reason,
    _generic_blocks, _warnings, effect_row, evidence_table, _propositions, _plan, group_column,
    _blocks, plan_alpha, words,
)


_LABELS_NOTE = (
    "Each interval sits in the column of its level: two-sided 95% CIs, and for the equivalence "
    "(TOST) rows the 1 − 2α CI that corresponds to the two one-sided tests. p (one-sided) = in "
    "the predicted direction (for TOST: the larger of its two one-sided p-values); p (corrected) "
    "= after the plan's multiple-testing correction. ES = standardised effect size (95% CI).")


def _forest_rows(inputs) -> tuple[list[dict], str]:
    """Standardised effect sizes for the forest plot (``effects`` list, else the evidence)."""
    props = inputs.propositions or {}
    effects = pick(props, "effects")
    rows = []
    source = effects if isinstance(effects, list) and effects else [
        {**e, "proposition": pid} for pid, block in _blocks(props)
        for e in _list(pick(block, "evidence")) if isinstance(e, dict)]
    for e in source:
        r = effect_row(e, plan_alpha(inputs))
        if r is None:
            continue
        pid = str(pick(e, "proposition", default=""))
        use_es = r["es"] is not None
        if not use_es and r["ci_level"] != 0.95:
            continue   # one axis, one interval level: TOST (90 %) intervals stay in the tables
        est = r["es"] if use_es else r["estimate"]
        lo, hi = (r["es_ci_lower"], r["es_ci_upper"]) if use_es else (r["ci_lower"], r["ci_upper"])
        if est is None:
            continue
        metric = f" ({r['metric']})" if use_es and r["metric"] else ""
        rows.append({"label": f"{pid}: {r['label']}{metric}", "estimate": est, "ci_lower": lo,
                     "ci_upper": hi, "group": pid})
    return rows, "Standardised effect size (95% CI)"


def _aux_table(block: dict, id: str, title: str, note: str = "", alpha: float = 0.05) -> Table | None:
    rows = []
    for key, ev in block.items():
        r = effect_row(ev, alpha) if isinstance(ev, dict) else None
        if r is None:
            continue
        rows.append({"id": words(key), "statement": fmt_value(pick(ev, "statement", default="")), **r})
    if not rows:
        return None
    t = evidence_table(rows, id, title, note)
    head = [Column("id", "Analysis")]
    if any(r["statement"] for r in rows):
        head.append(Column("statement", "Hypothesis"))
    t.columns = head + t.columns
    return t


def propositions_section(inputs) -> Section:
    s = Section("propositions", "Proposition tests")
    props = _propositions(inputs.propositions)
    if not props:
        return _not_run(s, _missing_reason(inputs, "propositions.json") if inputs.propositions is None
                        else "Not run: propositions.json holds no propositions.")
    plan = _plan(inputs)
    sesoi = pick(plan, "sesoi")
    if isinstance(sesoi, dict):
        s.add("p", f"Tests as preregistered: alpha = {fmt_value(pick(plan, 'alpha'))}, "
                   f"correction {fmt_value(pick(plan, 'correction'))}, smallest effect size of "
                   f"interest {fmt_value(pick(sesoi, 'value'))} ({fmt_value(pick(sesoi, 'unit'))}). "
                   "Estimates are differences in the predicted direction (positive = as "
                   "predicted), in scale points unless the note says otherwise.")
    from .comparability import comparability_block

    comparability_block(s, inputs.propositions)
    for pid, entry in _blocks(inputs.propositions):
        evidence = [e for e in _list(pick(entry, "evidence"))]
        rows = [r for r in (effect_row(e, plan_alpha(inputs)) for e in evidence) if r]
        verdict = fmt_value(pick(entry, "verdict", default="no verdict"))
        statement = fmt_value(pick(entry, "statement", default=PROPOSITION_TEXT.get(pid, "")))
        reason = fmt_value(pick(entry, "reason", default=""))
        if rows:
            n_total = pick(entry, "n_total")
            given = (f"n = firms used; {fmt_value(n_total)} firms of the clean data are in this "
                     "group. ") if n_total is not None else ""
            s.add("table", evidence_table(
                rows, f"evidence_{pid.lower()}", f"{pid} ({verdict}): {statement}",
                note=(f"Decision: {reason}. " if reason else "") + given + _LABELS_NOTE))
        strings = [str(e) for e in evidence if isinstance(e, str)]
        if strings:
            s.add("dl", [(pid, x) for x in strings], f"{pid}: evidence")
        if not rows and not strings:
            s.add("note", f"{pid}: no evidence reported.")
    rows, xlabel = _forest_rows(inputs)
    bounds = None
    if isinstance(sesoi, dict) and to_float(pick(sesoi, "value")) is not None:
        v = abs(to_float(pick(sesoi, "value")))
        bounds = (-v, v)
    fig = F.forest_plot(rows, xlabel=xlabel, bounds=bounds)
    if fig:
        s.add("figure", fig)
    desc = pick(inputs.propositions, "descriptives")
    if isinstance(desc, list) and desc:
        drows = [{"group": GROUP_LABELS.get(pick(d, "group"), fmt_value(pick(d, "group"))),
                  "benefit": fmt_value(pick(d, "benefit")),
                  "n": pick(d, "n"), "mean": pick(d, "mean"), "sd": pick(d, "sd"),
                  "ci": (pick(d, "ci_lower"), pick(d, "ci_upper"))} for d in desc if isinstance(d, dict)]
        s.add("table", Table("benefit_scores", "Benefit scores by group, as analysed", [
            Column("group", "Group"), Column("benefit", "Benefit"), Column("n", "n", "int"),
            Column("mean", "M", "num"), Column("sd", "SD", "num"), Column("ci", "95% CI", "ci")],
            drows, note="Scale scores (mean of items); the difference rows are the within-firm "
                        "contrast that P1 and P2 are about."))
    gcol = group_column(inputs)
    if inputs.clean is not None and gcol:
        fig = F.paired_scores_plot(inputs.clean, gcol, GROUP_LABELS)
        if fig:
            s.add("figure", fig)
        else:
            s.add("note", "Scores figure: not drawn (score_relational / score_informational "
                          "missing from the clean data).")
    else:
        s.add("note", "Scores figure: not drawn (clean data or born-global column missing).")
    aux = pick(inputs.propositions, "auxiliary")
    if isinstance(aux, dict):
        aux = {k: v for k, v in aux.items() if k not in ("multiverse", "invariance")}
        t = _aux_table({k: v for k, v in aux.items() if isinstance(v, dict)}, "auxiliary",
                       "Auxiliary hypotheses (not part of the verdicts)")
        if t:
            s.add("table", t)
        rest = {k: v for k, v in aux.items() if not isinstance(v, dict)}
        if rest:
            _generic_blocks(s, rest, "auxiliary_other", "Auxiliary analyses")
    cont = pick(inputs.propositions, "continuous")
    if isinstance(cont, dict) and cont:
        t = _aux_table(cont, "continuous", "Internationalisation approach as a continuous "
                                           "predictor of the relational-informational lean")
        if t:
            s.add("table", t)
    w = _warnings(inputs.propositions, *[v for _, v in _blocks(inputs.propositions)])
    if w:
        s.add("warnings", w)
    return s
