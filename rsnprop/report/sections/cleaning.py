"""Sample and cleaning flow: CONSORT-style counts per step, exclusion reasons, screens, value
problems.
"""

from __future__ import annotations

import math
from collections import Counter

from ..fmt import fmt_int, fmt_pct, fmt_value
from ..tables import Column, Table
from .base import (
    Section, pick, _list, _not_run, _missing_reason, _records, generic_table, _warnings,
    analysed_gap, words,
)


def cleaning_section(inputs) -> Section:
    s = Section("cleaning", "Sample and cleaning flow")
    log = inputs.cleaning_log
    if log is None:
        return _not_run(s, _missing_reason(inputs, "cleaning_log.json"))
    n_in, n_kept, n_exc = (pick(log, "n_in"), pick(log, "n_kept"), pick(log, "n_excluded"))
    excluded = [e for e in _list(pick(log, "excluded")) if isinstance(e, dict)]
    steps = _records(pick(log, "steps"), "step")
    src = pick(log, "source", "raw_file", "raw_path")
    if src is not None:
        s.add("p", f"Raw export: {fmt_value(src)} (SHA-256 {fmt_value(pick(log, 'raw_sha256'))}).")
    flow = [{"label": "Responses received", "n": fmt_int(n_in), "excluded": []}]
    reason_step: dict[str, str] = {}
    for st in steps:
        name = fmt_value(pick(st, "step", "name", "label", "id", default="step"))
        removed = pick(st, "n_excluded", "excluded", "n_removed", "removed", "dropped")
        removed_n = removed if isinstance(removed, (int, float)) else (
            len(removed) if isinstance(removed, list) else None)
        after = pick(st, "n_after", "n_out", "n_kept", "n")
        reasons = pick(st, "reasons")
        lines = []
        if removed_n:
            lines.append(f"Excluded: n = {fmt_int(removed_n)}")
        if isinstance(reasons, dict):
            for code, k in reasons.items():
                reason_step[str(code)] = name
                lines.append(f"{words(code)}: {fmt_value(k)}")
        detail = pick(st, "reason", "description", "detail", "rule")
        if detail is not None:
            lines.append(fmt_value(detail))
        if not removed_n and not (isinstance(reasons, dict) and reasons):
            lines = []
        flow.append({"label": name, "n": fmt_int(after) if after is not None else "",
                     "excluded": lines})
    gap = analysed_gap(inputs)
    flow.append({"label": "Clean data set (measurement model)", "n": fmt_int(n_kept),
                 "excluded": [], "final": gap is None})
    if gap is not None:
        flow.append({"label": "Analysed in the proposition tests", "n": fmt_int(gap[0]),
                     "excluded": [f"Left out: n = {fmt_int(pick(log, 'n_kept', default=0) - gap[0])}"
                                  if isinstance(n_kept, int) else "Left out:", *gap[1]], "final": True})
    s.add("flow", flow)
    if gap is not None:
        s.add("p", f"The clean data set holds {fmt_int(n_kept)} firms; the measurement model "
                   f"uses them all, the proposition tests {fmt_int(gap[0])}: "
                   + "; ".join(gap[1]) + ".")
    s.add("note", "Each box gives the number of responses left after the step; beside it, the "
                  "responses excluded at that step and how many responses had each reason "
                  "(a response is excluded at its first failing step but all its reasons are "
                  "counted, so reason counts can exceed the exclusions).")
    counts = Counter(str(r) for e in excluded for r in _list(e.get("reasons")))
    if counts:
        rows = [{"reason": words(k), "step": reason_step.get(k, ""), "n": v, "share": v / len(excluded)}
                for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        cols = [Column("reason", "Reason")] + ([Column("step", "Step")] if reason_step else []) + [
            Column("n", "Excluded responses with this reason", "int"),
            Column("share", "% of excluded", "pct")]
        s.add("table", Table("exclusion_reasons", "Reasons for exclusion", cols, rows,
                             note="A response can be excluded for several reasons, so counts can "
                                  "add up to more than the number of excluded responses."))
    elif n_exc:
        s.add("note", "The cleaning log does not list the reasons for exclusion.")
    if all(isinstance(x, (int, float)) for x in (n_in, n_kept, n_exc)) and n_in != n_kept + n_exc:
        s.add("warnings", [f"Inconsistent counts: n_in = {n_in} but n_kept + n_excluded = "
                           f"{n_kept + n_exc}."])
    careless = pick(log, "careless")
    if isinstance(careless, dict) and isinstance(pick(careless, "flagged"), dict):
        pairs = [(words(k), fmt_value(v)) for k, v in careless["flagged"].items()]
        if pick(careless, "median_duration_sec") is not None:
            pairs.insert(0, ("median duration (s)", fmt_value(careless["median_duration_sec"])))
        s.add("dl", pairs, "Careless-responding screens (responses flagged)")
        _careless_accuracy(s, careless)
    pcounts = pick(log, "problem_counts")
    if isinstance(pcounts, list) and pcounts:
        t = generic_table(pcounts, "value_problems", "Value problems found while cleaning",
                          note=f"{fmt_value(pick(log, 'problems_total', default=''))} problems in "
                               "total; out-of-range or invalid values are set to missing (see "
                               "the list of problems below).")
        if t:
            s.add("table", t)
    problems = pick(log, "problems")
    if isinstance(problems, list) and problems:
        s.add("details", [f"row {fmt_value(pick(p, 'row'))}, id {fmt_value(pick(p, 'id'))}, "
                          f"column {fmt_value(pick(p, 'column'))}: {fmt_value(pick(p, 'reason'))} "
                          f"(value {fmt_value(pick(p, 'value'))})"
                          for p in problems[:200] if isinstance(p, dict)],
              f"Value problems ({len(problems)} listed"
              + (", first 200 shown)" if len(problems) > 200 else ")"))
    detail = pick(careless, "excluded_detail") if isinstance(careless, dict) else None
    if isinstance(detail, list) and detail:
        s.add("details", [_careless_line(d) for d in detail[:300] if isinstance(d, dict)],
              f"Careless exclusions: the rule that fired and its values ({len(detail)}"
              + (", first 300 shown)" if len(detail) > 300 else ")"))
    if excluded:
        s.add("details", [f"row {fmt_value(e.get('row'))}, id {fmt_value(e.get('id'))}: "
                          + "; ".join(map(str, _list(e.get("reasons")))) for e in excluded[:300]],
              f"Excluded responses ({len(excluded)}"
              + (", first 300 shown)" if len(excluded) > 300 else ")"))
    w = _warnings(log)
    if w:
        s.add("warnings", w)
    return s


_TYPE_TEXT = {"straightline": "straight-liners", "midpoint": "midpoint straight-liners",
              "random": "random responders", "diagonal": "diagonal responders",
              "pattern": "other patterns", "partial": "partly careless", "speeder": "speeders",
              "attention": "attention-check failures"}


def _careless_accuracy(s, careless) -> None:
    """The screen's expected accuracy (simulation study) beside its counts."""
    acc = pick(careless, "expected_accuracy")
    if not isinstance(acc, dict):
        return
    if acc.get("rule_set") is None:
        s.add("note", "Expected accuracy of the careless screen: "
                      + fmt_value(acc.get("note", "unknown for these rules")) + ".")
        return
    by_rule = pick(careless, "excluded_by_rule")
    counts = ""
    if isinstance(by_rule, dict) and by_rule:
        counts = ("Careless exclusions by rule (a response can fire several): "
                  + ", ".join(f"{k} {fmt_int(v)}" for k, v in by_rule.items()) + ". ")
    sens = acc.get("sensitivity") or {}
    study = acc.get("study") or {}
    s.add("p", counts + "Expected accuracy of this screen (rule set "
          f"'{acc['rule_set']}', simulation study of {fmt_value(study.get('n_sets'))} data sets "
          f"of {fmt_value(study.get('n'))} simulated firms, docs/careless.md): it excludes "
          f"{fmt_pct(acc.get('overall'))} of careless respondents ("
          + ", ".join(f"{_TYPE_TEXT.get(k, k)} {fmt_pct(v)}" for k, v in sens.items())
          + f") and {fmt_pct(acc.get('false_exclusion'))} of attentive respondents.")


def _careless_line(d) -> str:
    vals = d.get("values") if isinstance(d.get("values"), dict) else {}
    shown = "; ".join(f"{k} {_g(v)}" for k, v in vals.items())
    return (f"row {fmt_value(d.get('row'))}, id {fmt_value(d.get('id'))}: "
            + ", ".join(map(str, _list(d.get("rules")))) + (f" ({shown})" if shown else ""))


def _g(v) -> str:
    """An index value with 3 significant digits (p-values near 0 stay readable)."""
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, float) and not math.isnan(v):
        return f"{v:.3g}".replace("-", "\u2212")
    return fmt_value(v)
