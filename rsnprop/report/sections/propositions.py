"""Proposition tests: evidence tables, forest plot, scores by group, auxiliary and continuous
analyses.
"""

from __future__ import annotations

from .. import figures as F
from ..fmt import fmt_value
from ..tables import Column, Table
from ..typed import proposition_blocks, propositions_or_reason
from .base import (
    GROUP_LABELS,
    Section,
    _not_run,
    effect_row,
    evidence_table,
    group_column,
    plan_alpha,
    words,
)
from .comparability import comparability_block

_LABELS_NOTE = (
    "Each interval sits in the column of its level: two-sided 95% CIs, and for the equivalence "
    "(TOST) rows the 1 − 2α CI that corresponds to the two one-sided tests. p (one-sided) = in "
    "the predicted direction (for TOST: the larger of its two one-sided p-values); p (corrected) "
    "= after the plan's multiple-testing correction. ES = standardised effect size (95% CI).")


def _row(ev, alpha: float = 0.05) -> dict:
    """The normalised row (:func:`~.base.effect_row`) of an evidence model."""
    return effect_row(ev.model_dump(by_alias=True), alpha)


def _forest_rows(props, alpha: float) -> list[dict]:
    """Standardised effect sizes of the forest plot (the ``effects`` list, else the evidence of
    every proposition); an effect without one is drawn on its raw scale when its interval is a
    95% one."""
    rows = []
    source = [(e.proposition, e) for e in props.effects] or [
        (pid, e) for pid, block in proposition_blocks(props) for e in block.evidence]
    for pid, e in source:
        r = _row(e, alpha)
        use_es = r["es"] is not None
        if not use_es and r["ci_level"] != 0.95:
            continue   # one axis, one interval level: TOST (90 %) intervals stay in the tables
        est = r["es"] if use_es else r["estimate"]
        lo, hi = (r["es_ci_lower"], r["es_ci_upper"]) if use_es else (r["ci_lower"], r["ci_upper"])
        if est is None:
            continue
        metric = f" ({r['metric']})" if use_es and r["metric"] else ""
        rows.append({"label": f"{pid}: {r['label']}{metric}", "estimate": est,
                     "ci_lower": lo, "ci_upper": hi, "group": pid})
    return rows


def _aux_table(block: dict, id: str, title: str, note: str = "", alpha: float = 0.05) -> Table | None:
    """Auxiliary or continuous analyses (``{key: Hypothesis}``) as an evidence table."""
    rows = [{"id": words(key), "statement": fmt_value(ev.statement or ""), **_row(ev, alpha)}
            for key, ev in block.items()]
    if not rows:
        return None
    t = evidence_table(rows, id, title, note)
    head = [Column("id", "Analysis")]
    if any(r["statement"] for r in rows):
        head.append(Column("statement", "Hypothesis"))
    t.columns = head + t.columns
    return t


def _plan_sentence(plan) -> str:
    return (f"Tests as preregistered: alpha = {fmt_value(plan.alpha)}, "
            f"correction {fmt_value(plan.correction)}, smallest effect size of "
            f"interest {fmt_value(plan.sesoi.value)} ({fmt_value(plan.sesoi.unit)}). "
            "Estimates are differences in the predicted direction (positive = as "
            "predicted), in scale points unless the note says otherwise.")


def _add_evidence_tables(s: Section, props, alpha: float) -> None:
    """One table per proposition (and the joint prediction): its tests and the decision."""
    for pid, entry in proposition_blocks(props):
        rows = [_row(e, alpha) for e in entry.evidence]
        if not rows:
            s.add("note", f"{pid}: no evidence reported.")
            continue
        given = (f"n = firms used; {fmt_value(entry.n_total)} firms of the clean data are in "
                 "this group. ") if entry.n_total is not None else ""
        s.add("table", evidence_table(
            rows, f"evidence_{pid.lower()}", f"{pid} ({entry.verdict}): {entry.statement}",
            note=(f"Decision: {entry.reason}. " if entry.reason else "") + given + _LABELS_NOTE))


def _add_forest_plot(s: Section, props, alpha: float) -> None:
    v = abs(float(props.plan.sesoi.value))
    fig = F.forest_plot(_forest_rows(props, alpha), xlabel="Standardised effect size (95% CI)",
                        bounds=(-v, v))
    if fig:
        s.add("figure", fig)


def _add_benefit_scores(s: Section, props) -> None:
    """Benefit score means by group, as analysed."""
    if not props.descriptives:
        return
    drows = [{"group": GROUP_LABELS.get(d.group, fmt_value(d.group)), "benefit": d.benefit,
              "n": d.n, "mean": d.mean, "sd": d.sd, "ci": (d.ci_lower, d.ci_upper)}
             for d in props.descriptives]
    s.add("table", Table("benefit_scores", "Benefit scores by group, as analysed", [
        Column("group", "Group"), Column("benefit", "Benefit"), Column("n", "n", "int"),
        Column("mean", "M", "num"), Column("sd", "SD", "num"), Column("ci", "95% CI", "ci")],
        drows, note="Scale scores (mean of items); the difference rows are the within-firm "
                    "contrast that P1 and P2 are about."))


def _add_scores_figure(s: Section, inputs) -> None:
    gcol = group_column(inputs)
    if inputs.clean is None or not gcol:
        s.add("note", "Scores figure: not drawn (clean data or born-global column missing).")
        return
    fig = F.paired_scores_plot(inputs.clean, gcol, GROUP_LABELS)
    if fig:
        s.add("figure", fig)
    else:
        s.add("note", "Scores figure: not drawn (score_relational / score_informational "
                      "missing from the clean data).")


def _add_other_analyses(s: Section, props) -> None:
    """Auxiliary hypotheses and the continuous internationalisation approach."""
    t = _aux_table(props.auxiliary, "auxiliary", "Auxiliary hypotheses (not part of the verdicts)")
    if t:
        s.add("table", t)
    t = _aux_table(props.continuous, "continuous", "Internationalisation approach as a continuous "
                                                   "predictor of the relational-informational lean")
    if t:
        s.add("table", t)


def propositions_section(inputs) -> Section:
    s = Section("propositions", "Proposition tests")
    props, why = propositions_or_reason(inputs)
    if props is None:
        return _not_run(s, why)
    alpha = plan_alpha(inputs)
    s.add("p", _plan_sentence(props.plan))

    comparability_block(s, inputs.propositions)
    _add_evidence_tables(s, props, alpha)
    _add_forest_plot(s, props, alpha)
    _add_benefit_scores(s, props)
    _add_scores_figure(s, inputs)
    _add_other_analyses(s, props)
    if props.warnings:
        s.add("warnings", list(dict.fromkeys(props.warnings)))
    return s
