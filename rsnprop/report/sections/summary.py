"""Summary of verdicts (top of the report): plain-language verdict per proposition, key evidence,
sample, simulated-data banner.
"""

from __future__ import annotations

from ..fmt import fmt_int, fmt_value
from .base import (
    PROPOSITION_TEXT, _GROUP, _PREDICTED, VERDICT_TEXT, Section, pick, _list, _not_run,
    _missing_reason, effect_row, _evidence_sentence, _propositions, _blocks, plan_alpha,
    analysed_gap,
)


_ROLE_ORDER = {"primary": 0, "equivalence": 1}


def simulated_note(inputs) -> str | None:
    """A warning when the data are simulated (every respondent id starts with ``SIM-``, the
    convention of ``rsnprop simulate``), so that nobody reads them as survey results."""
    ids: list[str] = []
    df = inputs.clean
    if df is not None and "resp_id" in getattr(df, "columns", []):
        ids = [str(x) for x in df["resp_id"].dropna().tolist()]
    if not ids and isinstance(inputs.cleaning_log, dict):
        ids = [str(e.get("id")) for e in _list(inputs.cleaning_log.get("excluded"))
               if isinstance(e, dict) and e.get("id") is not None]
    if ids and all(i.startswith("SIM-") for i in ids):
        return ("SIMULATED DATA: every respondent id starts with 'SIM-' (rsnprop simulate). "
                "These results illustrate the method; they say nothing about real firms.")
    return None


def measurement_line(entry) -> str:
    """One sentence on a verdict card: which invariance level held between the groups, which
    items were set aside and whether the plan's non-invariance policy changed the verdict
    (the verdict object's ``measurement``; empty when the analysis has none)."""
    m = pick(entry, "measurement", default=None)
    if not isinstance(m, dict):
        return ""
    policy = m.get("policy") or "?"
    if m.get("status") != "ok":
        return (f"Measurement invariance not checked ({m.get('note') or m.get('status')}); "
                f"non-invariance policy '{policy}' not applied.")
    level = str(m.get("invariance_level") or "none").replace("_", " ")
    aside = list(m.get("items_set_aside") or [])
    text = (f"Measurement invariance between the groups: {level} held (required: "
            f"{m.get('required')}); " + (f"items set aside: {', '.join(aside)}" if aside
                                         else "no item set aside") + f"; policy '{policy}'.")
    if m.get("verdict_changed"):
        text += f" With every item the verdict would be '{m.get('verdict_all_items')}'."
    elif aside:
        text += " The verdict is the same with every item."
    return text


def summary_section(inputs) -> Section:
    s = Section("summary", "Summary of verdicts")
    if getattr(inputs, "plan_mismatch", None):
        s.add("banner", inputs.plan_mismatch)
    props = _propositions(inputs.propositions)
    if not props:
        return _not_run(s, _missing_reason(inputs, "propositions.json") if inputs.propositions is None
                        else "Not run: propositions.json holds no propositions.")
    cards = []
    for pid, entry in _blocks(inputs.propositions):
        verdict = str(pick(entry, "verdict", default="not reported"))
        if pid in _PREDICTED:
            a, b = _PREDICTED[pid]
            template = VERDICT_TEXT.get(verdict)
            plain = template.format(p=pid, g=_GROUP[pid], a=a, b=b) if template \
                else f"Verdict for {pid}: {verdict}."
        elif pid == "joint":
            plain = {"supported": "The relational-informational lean differs between born "
                                  "globals and traditional SMEs as P1 and P2 together predict.",
                     "contradicted": "The lean differs between the groups in the direction "
                                     "opposite to P1 and P2.",
                     "equivalent": "The lean is practically the same in both groups.",
                     "inconclusive": "The data cannot decide whether the lean differs between "
                                     "the groups."}.get(verdict, f"Joint verdict: {verdict}.")
        else:
            plain = f"Verdict for {pid}: {verdict}."
        raw = [e for e in _list(pick(entry, "evidence"))]
        rows = [r for r in (effect_row(e, plan_alpha(inputs)) for e in raw) if r]
        key = [r for r in rows if r["role"] in _ROLE_ORDER] or rows[:1]
        key.sort(key=lambda r: _ROLE_ORDER.get(r["role"], 9))
        evidence = [_evidence_sentence(r) for r in key[:3]]
        evidence += [str(e) for e in raw if isinstance(e, str)][:3]
        cards.append({"id": pid, "statement": pick(entry, "statement", "text",
                                                    default=PROPOSITION_TEXT.get(pid, "")),
                      "verdict": verdict, "css": verdict if verdict in VERDICT_TEXT else "other",
                      "plain": plain, "evidence": evidence, "measurement": measurement_line(entry),
                      "reason": fmt_value(pick(entry, "reason", "rationale", "rule", default=""))})
    s.add("verdicts", cards)
    n = pick(inputs.propositions, "n", default={})
    log = inputs.cleaning_log or {}
    parts = []
    if log:
        parts.append(f"{fmt_int(pick(log, 'n_kept'))} firms kept of {fmt_int(pick(log, 'n_in'))} "
                     "responses received")
    if isinstance(n, dict) and n:
        gap = analysed_gap(inputs)
        parts.append(f"{fmt_int(pick(n, 'analysed'))} analysed ({fmt_int(pick(n, 'born_global'))} "
                     f"born global, {fmt_int(pick(n, 'traditional'))} traditional)"
                     + ("; left out of the tests: " + "; ".join(gap[1]) if gap else ""))
    if parts:
        s.add("p", "Sample: " + "; ".join(parts) + ".")
    s.add("note", "Verdicts follow the preregistered decision rules of the study plan (section 2): "
                  "supported = the predicted difference is significant after correction; "
                  "contradicted = the opposite difference is; equivalent = the difference lies "
                  "within the smallest effect size of interest; inconclusive = none of these.")
    return s
