"""Summary of verdicts (top of the report): plain-language verdict per proposition, key evidence,
sample, simulated-data banner.
"""

from __future__ import annotations

from ..fmt import fmt_int, fmt_value
from ..typed import proposition_blocks, propositions_or_reason, stage_output
from .base import (
    _GROUP, _PREDICTED, VERDICT_TEXT, Section, _not_run, effect_row,
    _evidence_sentence, plan_alpha, analysed_gap,
)


_ROLE_ORDER = {"primary": 0, "equivalence": 1}

_JOINT_TEXT = {"supported": "The relational-informational lean differs between born "
                            "globals and traditional SMEs as P1 and P2 together predict.",
               "contradicted": "The lean differs between the groups in the direction "
                               "opposite to P1 and P2.",
               "equivalent": "The lean is practically the same in both groups.",
               "inconclusive": "The data cannot decide whether the lean differs between "
                               "the groups."}


def simulated_note(inputs) -> str | None:
    """A warning when the data are simulated (every respondent id starts with ``SIM-``, the
    convention of ``rsnprop simulate``), so that nobody reads them as survey results."""
    ids: list[str] = []
    df = inputs.clean
    if df is not None and "resp_id" in getattr(df, "columns", []):
        ids = [str(x) for x in df["resp_id"].dropna().tolist()]
    log = stage_output(inputs, "cleaning_log.json")
    if not ids and log is not None:
        ids = [str(e.id) for e in log.excluded if e.id is not None]
    if ids and all(i.startswith("SIM-") for i in ids):
        return ("SIMULATED DATA: every respondent id starts with 'SIM-' (rsnprop simulate). "
                "These results illustrate the method; they say nothing about real firms.")
    return None


def measurement_line(m) -> str:
    """One sentence on a verdict card: which invariance level held between the groups, which
    items were set aside and whether the plan's non-invariance policy changed the verdict
    (``m``: a :class:`~rsnprop.schemas.PropositionBlock`'s ``measurement``; empty when the
    analysis has none)."""
    if m is None:
        return ""
    policy = m.policy or "?"
    if m.status != "ok":
        return (f"Measurement invariance not checked ({m.note or m.status}); "
                f"non-invariance policy '{policy}' not applied.")
    level = str(m.invariance_level or "none").replace("_", " ")
    aside = list(m.items_set_aside)
    text = (f"Measurement invariance between the groups: {level} held (required: "
            f"{m.required}); " + (f"items set aside: {', '.join(aside)}" if aside
                                  else "no item set aside") + f"; policy '{policy}'.")
    if m.verdict_changed:
        text += f" With every item the verdict would be '{m.verdict_all_items}'."
    elif aside:
        text += " The verdict is the same with every item."
    return text


def _plain_verdict(pid: str, verdict: str) -> str:
    """The verdict in words for the reader."""
    if pid in _PREDICTED:
        a, b = _PREDICTED[pid]
        return VERDICT_TEXT[verdict].format(p=pid, g=_GROUP[pid], a=a, b=b)
    if pid == "joint":
        return _JOINT_TEXT[verdict]
    return f"Verdict for {pid}: {verdict}."


def _key_evidence(entry, alpha: float) -> list[str]:
    """Sentences on the primary and equivalence tests (else the first test), at most three."""
    rows = [r for r in (effect_row(e.model_dump(by_alias=True), alpha) for e in entry.evidence) if r]
    key = [r for r in rows if r["role"] in _ROLE_ORDER] or rows[:1]
    key.sort(key=lambda r: _ROLE_ORDER.get(r["role"], 9))
    return [_evidence_sentence(r) for r in key[:3]]


def _verdict_card(pid: str, entry, alpha: float) -> dict:
    return {"id": pid, "statement": entry.statement, "verdict": entry.verdict,
            "css": entry.verdict, "plain": _plain_verdict(pid, entry.verdict),
            "evidence": _key_evidence(entry, alpha), "measurement": measurement_line(entry.measurement),
            "reason": fmt_value(entry.reason)}


def _sample_sentence(inputs, props) -> str:
    log = stage_output(inputs, "cleaning_log.json")
    parts = []
    if log is not None:
        parts.append(f"{fmt_int(log.n_kept)} firms kept of {fmt_int(log.n_in)} "
                     "responses received")
    gap = analysed_gap(inputs)
    n = props.n
    parts.append(f"{fmt_int(n.analysed)} analysed ({fmt_int(n.born_global)} "
                 f"born global, {fmt_int(n.traditional)} traditional)"
                 + ("; left out of the tests: " + "; ".join(gap[1]) if gap else ""))
    return "Sample: " + "; ".join(parts) + "."


def summary_section(inputs) -> Section:
    s = Section("summary", "Summary of verdicts")
    if getattr(inputs, "plan_mismatch", None):
        s.add("banner", inputs.plan_mismatch)
    props, why = propositions_or_reason(inputs)
    if props is None:
        return _not_run(s, why)
    alpha = plan_alpha(inputs)
    s.add("verdicts", [_verdict_card(pid, entry, alpha) for pid, entry in proposition_blocks(props)])
    s.add("p", _sample_sentence(inputs, props))
    s.add("note", "Verdicts follow the preregistered decision rules of the study plan (section 2): "
                  "supported = the predicted difference is significant after correction; "
                  "contradicted = the opposite difference is; equivalent = the difference lies "
                  "within the smallest effect size of interest; inconclusive = none of these.")
    return s
