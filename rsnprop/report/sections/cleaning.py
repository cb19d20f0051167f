"""Sample and cleaning flow: CONSORT-style counts per step, exclusion reasons, screens, value
problems.
"""

from __future__ import annotations

import math
from collections import Counter

from ..fmt import fmt_int, fmt_pct, fmt_value
from ..tables import Column, Table
from ..typed import not_run_reason, stage_output
from .base import Section, _not_run, generic_table, analysed_gap, words


def cleaning_section(inputs) -> Section:
    s = Section("cleaning", "Sample and cleaning flow")
    log = stage_output(inputs, "cleaning_log.json")
    if log is None:
        return _not_run(s, not_run_reason(inputs, "cleaning_log.json"))
    if log.source is not None:
        s.add("p", f"Raw export: {fmt_value(log.source)} (SHA-256 {fmt_value(log.raw_sha256)}).")
    gap = analysed_gap(inputs)
    s.add("flow", _flow_boxes(log, gap))
    if gap is not None:
        s.add("p", f"The clean data set holds {fmt_int(log.n_kept)} firms; the measurement model "
                   f"uses them all, the proposition tests {fmt_int(gap[0])}: "
                   + "; ".join(gap[1]) + ".")
    s.add("note", "Each box gives the number of responses left after the step; beside it, the "
                  "responses excluded at that step and how many responses had each reason "
                  "(a response is excluded at its first failing step but all its reasons are "
                  "counted, so reason counts can exceed the exclusions).")
    _add_exclusion_reasons(s, log)
    if log.n_in != log.n_kept + log.n_excluded:
        s.add("warnings", [f"Inconsistent counts: n_in = {log.n_in} but n_kept + n_excluded = "
                           f"{log.n_kept + log.n_excluded}."])
    _add_careless_screens(s, log.careless)
    _add_value_problems(s, log)
    _add_exclusion_lists(s, log)
    if log.warnings:
        s.add("warnings", list(dict.fromkeys(log.warnings)))
    return s


def _flow_boxes(log, gap) -> list[dict]:
    """The CONSORT-style boxes: responses received, one box per cleaning step (with what it
    excluded and why), the clean data and, when fewer, the firms analysed (``gap`` of
    :func:`~.base.analysed_gap`)."""
    flow = [{"label": "Responses received", "n": fmt_int(log.n_in), "excluded": []}]
    for st in log.steps:
        lines = []
        if st.n_excluded:
            lines.append(f"Excluded: n = {fmt_int(st.n_excluded)}")
            lines += [f"{words(code)}: {fmt_value(k)}" for code, k in st.reasons.items()]
        elif st.reasons:
            lines = [f"{words(code)}: {fmt_value(k)}" for code, k in st.reasons.items()]
        flow.append({"label": st.step, "n": fmt_int(st.n_after), "excluded": lines})
    flow.append({"label": "Clean data set (measurement model)", "n": fmt_int(log.n_kept),
                 "excluded": [], "final": gap is None})
    if gap is not None:
        flow.append({"label": "Analysed in the proposition tests", "n": fmt_int(gap[0]),
                     "excluded": [f"Left out: n = {fmt_int(log.n_kept - gap[0])}", *gap[1]],
                     "final": True})
    return flow


def _reason_steps(log) -> dict[str, str]:
    """Exclusion reason -> the step of the flow that counts it."""
    return {code: st.step for st in log.steps for code in st.reasons}


def _add_exclusion_reasons(s: Section, log) -> None:
    """The table of exclusion reasons: how many excluded responses had each."""
    counts = Counter(r for e in log.excluded for r in e.reasons)
    if not counts:
        if log.n_excluded:
            s.add("note", "The cleaning log does not list the reasons for exclusion.")
        return
    reason_step = _reason_steps(log)
    rows = [{"reason": words(k), "step": reason_step.get(k, ""), "n": v,
             "share": v / len(log.excluded)}
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    cols = [Column("reason", "Reason")] + ([Column("step", "Step")] if reason_step else []) + [
        Column("n", "Excluded responses with this reason", "int"),
        Column("share", "% of excluded", "pct")]
    s.add("table", Table("exclusion_reasons", "Reasons for exclusion", cols, rows,
                         note="A response can be excluded for several reasons, so counts can "
                              "add up to more than the number of excluded responses."))


def _add_careless_screens(s: Section, careless) -> None:
    """Responses flagged by each careless-responding screen, and the screen's accuracy."""
    pairs = [(words(k), fmt_value(v)) for k, v in careless.flagged.items()]
    if careless.median_duration_sec is not None:
        pairs.insert(0, ("median duration (s)", fmt_value(careless.median_duration_sec)))
    s.add("dl", pairs, "Careless-responding screens (responses flagged)")
    _careless_accuracy(s, careless)


def _add_value_problems(s: Section, log) -> None:
    """Value problems by column and reason, and the list of them."""
    if log.problem_counts:
        t = generic_table([c.model_dump() for c in log.problem_counts], "value_problems",
                          "Value problems found while cleaning",
                          note=f"{fmt_value(log.problems_total)} problems in "
                               "total; out-of-range or invalid values are set to missing (see "
                               "the list of problems below).")
        s.add("table", t)
    problems = log.problems
    if problems:
        s.add("details", [f"row {fmt_value(p.row)}, id {fmt_value(p.id)}, "
                          f"column {fmt_value(p.column)}: {fmt_value(p.reason)} "
                          f"(value {fmt_value(p.value)})" for p in problems[:200]],
              f"Value problems ({len(problems)} listed"
              + (", first 200 shown)" if len(problems) > 200 else ")"))


def _add_exclusion_lists(s: Section, log) -> None:
    """The careless exclusions (rule and values) and every excluded response."""
    detail = log.careless.excluded_detail
    if detail:
        s.add("details", [_careless_line(d) for d in detail[:300]],
              f"Careless exclusions: the rule that fired and its values ({len(detail)}"
              + (", first 300 shown)" if len(detail) > 300 else ")"))
    excluded = log.excluded
    if excluded:
        s.add("details", [f"row {fmt_value(e.row)}, id {fmt_value(e.id)}: " + "; ".join(e.reasons)
                          for e in excluded[:300]],
              f"Excluded responses ({len(excluded)}"
              + (", first 300 shown)" if len(excluded) > 300 else ")"))


_TYPE_TEXT = {"straightline": "straight-liners", "midpoint": "midpoint straight-liners",
              "random": "random responders", "diagonal": "diagonal responders",
              "pattern": "other patterns", "partial": "partly careless", "speeder": "speeders",
              "attention": "attention-check failures"}


def _careless_accuracy(s, careless) -> None:
    """The screen's expected accuracy (simulation study) beside its counts."""
    acc = careless.expected_accuracy
    if acc.rule_set is None:
        s.add("note", "Expected accuracy of the careless screen: "
                      + fmt_value(acc.note or "unknown for these rules") + ".")
        return
    counts = ""
    if careless.excluded_by_rule:
        counts = ("Careless exclusions by rule (a response can fire several): "
                  + ", ".join(f"{rule_words(k)} {fmt_int(v)}"
                              for k, v in careless.excluded_by_rule.items())
                  + ". ")
    study = acc.study
    s.add("p", counts + "Expected accuracy of this screen (rule set "
          f"'{acc.rule_set}', simulation study of {fmt_value(study and study.n_sets)} data sets "
          f"of {fmt_value(study and study.n)} simulated firms, docs/careless.md): it excludes "
          f"{fmt_pct(acc.overall)} of careless respondents ("
          + ", ".join(f"{_TYPE_TEXT.get(k, k)} {fmt_pct(v)}" for k, v in (acc.sensitivity or {}).items())
          + f") and {fmt_pct(acc.false_exclusion)} of attentive respondents.")


def _careless_line(d) -> str:
    shown = "; ".join(f"{k} {_g(v)}" for k, v in d.values.items())
    return (f"row {fmt_value(d.row)}, id {fmt_value(d.id)}: "
            + ", ".join(map(rule_words, d.rules)) + (f" ({shown})" if shown else ""))


#: the careless-responding rules of the cleaning log (docs/careless.md) in words
RULE_WORDS = {
    "attention_check": "failed attention check", "speeding": "speeding",
    "longstring": "long string of identical answers", "irv": "too little variation (IRV)",
    "irv_block": "too little variation within a block (block IRV)",
    "mahad": "multivariate outlier (Mahalanobis)", "pattern": "answer pattern (diagonal, zigzag...)",
    "evenodd": "even/odd inconsistency", "person_total": "low person-total correlation",
}


def rule_words(rule: str) -> str:
    """A careless-responding rule of the cleaning log in words.

    >>> rule_words("irv_block"), rule_words("2_weak_flags")
    ('too little variation within a block (block IRV)', '2 weak indices together')
    """
    rule = str(rule)
    if rule.endswith("_weak_flags") and rule.split("_", 1)[0].isdigit():
        return f"{rule.split('_', 1)[0]} weak indices together"
    return RULE_WORDS.get(rule, rule.replace("_", " "))


def _g(v) -> str:
    """An index value with 3 significant digits (p-values near 0 stay readable)."""
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, float) and not math.isnan(v):
        return f"{v:.3g}".replace("-", "\u2212")
    return fmt_value(v)
