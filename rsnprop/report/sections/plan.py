"""Study plan (preregistration): hash, propositions, the plan's settings."""

from __future__ import annotations

from ..fmt import fmt_value
from ..typed import not_run_reason, proposition_blocks, stage_output
from .base import PROPOSITION_TEXT, Section, _not_run, _generic_blocks, words


def plan_section(inputs) -> Section:
    s = Section("plan", "Study plan (preregistration)")
    props = stage_output(inputs, "propositions.json")
    if props is None:
        return _not_run(s, not_run_reason(inputs, "propositions.json"))
    pairs = [("Plan hash (SHA-256)", fmt_value(props.plan_hash))]
    if props.seed is not None:
        pairs.append((words("seed"), fmt_value(props.seed)))
    s.add("dl", pairs, "Plan identity")
    stated = {pid: b.statement for pid, b in proposition_blocks(props)}
    s.add("dl", [(pid, fmt_value(stated.get(pid) or PROPOSITION_TEXT.get(pid, "")))
                 for pid in dict.fromkeys([*PROPOSITION_TEXT, *stated])], "Propositions tested")
    _generic_blocks(s, props.plan.model_dump(), "plan", "Plan settings")
    return s
