"""Study plan (preregistration): hash, propositions, the plan's settings."""

from __future__ import annotations

from ..fmt import fmt_value
from .base import (
    PROPOSITION_TEXT, Section, pick, _not_run, _missing_reason, _generic_blocks, _plan, _blocks, words,
)


def plan_section(inputs) -> Section:
    s = Section("plan", "Study plan (preregistration)")
    props = inputs.propositions
    if props is None:
        return _not_run(s, _missing_reason(inputs, "propositions.json"))
    plan = _plan(inputs)
    pairs = [("Plan hash (SHA-256)", fmt_value(pick(props, "plan_hash", default=pick(plan, "hash"))))]
    for key in ("plan_file", "plan_path", "plan_name", "born_global_definition", "seed"):
        v = pick(props, key)
        if v is not None:
            pairs.append((words(key), fmt_value(v)))
    s.add("dl", pairs, "Plan identity")
    stated = {pid: pick(b, "statement") for pid, b in _blocks(props)}
    s.add("dl", [(pid, fmt_value(stated.get(pid) or PROPOSITION_TEXT.get(pid, "")))
                 for pid in dict.fromkeys([*PROPOSITION_TEXT, *stated])], "Propositions tested")
    if plan:
        _generic_blocks(s, plan, "plan", "Plan settings")
    else:
        s.add("note", "The plan's settings are not included in propositions.json; the hash "
                      "above identifies the plan file that was used.")
    return s
