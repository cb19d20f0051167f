"""The cleaning log: CONSORT-style flow of counts and every excluded row with all its reasons.

Steps are applied in this order; a firm is counted as excluded at the first step where it has a
reason, but *all* its reasons are listed. ``n_in == n_kept + n_excluded`` is checked in code.

Examples
--------
>>> import numpy as np
>>> reasons = {"no_consent": np.array([True, False, False]),
...            "speeding": np.array([True, True, False])}
>>> flow, excluded = exclusion_flow(reasons, ["a", "b", "c"])
>>> [(s["step"], s["n_excluded"]) for s in flow]
[('consent', 1), ('duplicates', 0), ('eligibility', 0), ('validity', 0), ('careless', 1), ('missing', 0)]
>>> excluded
[{'row': 1, 'id': 'a', 'reasons': ['no_consent', 'speeding']}, {'row': 2, 'id': 'b', 'reasons': ['speeding']}]
"""

from __future__ import annotations

__all__ = ["SCHEMA", "STEPS", "exclusion_flow", "step_of", "routing_log"]

#: contract of the cleaning log JSON (rsnprop.schemas.CleaningLog)
SCHEMA = "rsnprop.cleaning/1"

#: flow step -> exclusion reasons belonging to it (order = CONSORT order)
STEPS = {
    "consent": ["no_consent"],
    "duplicates": ["duplicate_id", "duplicate_submission"],
    "eligibility": ["not_sme", "not_internationalised", "not_decision_maker", "no_rsn_use", "sme_unknown",
                    "internationalised_unknown", "decision_maker_unknown"],
    "validity": ["invalid_value", "impossible_fact"],
    "careless": ["attention_check", "speeding", "careless_indices"],
    "missing": ["too_many_missing"],
}


def step_of(reason: str) -> str:
    """Flow step of an exclusion reason (``eligibility`` for screening items not listed)."""
    for step, reasons in STEPS.items():
        if reason in reasons:
            return step
    return "eligibility"


def exclusion_flow(reasons: dict, ids) -> tuple:
    """Build the flow and the excluded list from reason masks.

    Parameters
    ----------
    reasons : dict
        reason code -> boolean array (n,) of rows having that reason.
    ids : sequence
        Respondent id of each row (``None`` allowed).

    Returns
    -------
    flow : list of dict
        ``{"step", "n_before", "n_excluded", "n_after", "reasons": {code: n rows with it}}``.
    excluded : list of dict
        ``{"row" (1-based data row), "id", "reasons": [codes in flow order]}``, by row.
    """
    import numpy as np

    n = len(ids)
    order = [r for step in STEPS.values() for r in step]
    order += sorted(r for r in reasons if r not in order)
    active = [r for r in order if r in reasons and np.asarray(reasons[r]).any()]
    alive = np.ones(n, dtype=bool)
    flow = []
    steps = list(STEPS)
    extra = sorted({step_of(r) for r in active} - set(steps))
    for step in steps + extra:
        codes = [r for r in active if step_of(r) == step]
        hit = np.zeros(n, dtype=bool)
        counts = {}
        for r in codes:
            m = np.asarray(reasons[r], dtype=bool)
            counts[r] = int(m.sum())
            hit |= m
        before = int(alive.sum())
        newly = hit & alive
        alive &= ~hit
        flow.append({"step": step, "n_before": before, "n_excluded": int(newly.sum()),
                     "n_after": int(alive.sum()), "reasons": counts})
    # each row's set of reasons as a bit mask; the few distinct masks are decoded once
    code = np.zeros(n, dtype=object if len(active) > 62 else "int64")
    for j, r in enumerate(active):
        code = code + np.asarray(reasons[r], dtype=bool).astype(code.dtype) * (1 << j)
    rows = np.flatnonzero(code != 0)
    masks = code[rows]
    decoded = {int(m): [active[j] for j in range(len(active)) if int(m) >> j & 1]
               for m in set(masks.tolist())}
    sel = [ids[i] for i in rows.tolist()]
    excluded = [{"row": i, "id": None if v is None else str(v), "reasons": list(decoded[m])}
                for i, v, m in zip((rows + 1).tolist(), sel, [int(m) for m in masks.tolist()])]
    return flow, excluded


def routing_log(instrument, routed, not_shown_answered, ids) -> dict:
    """The log's ``routing`` block: how often each routing rule fired, and every row that
    answered questions a fired rule hides (``not_shown_answered``: answers kept).

    Parameters
    ----------
    instrument : Instrument
        Its ``routing`` rules (``id``, ``action``, ``hides``).
    routed : dict
        rule id -> boolean array (n,): the rule fired (:func:`.skip_logic.routing_masks`).
    not_shown_answered : dict
        item id -> 0-based rows that answered it although a fired rule hides the item.
    ids : sequence
        Respondent id of each row.

    Returns
    -------
    dict
        ``{"rules": {id: {"action", "n_fired"}}, "not_shown_answered": [{"row" (1-based),
        "id", "rules", "n_answers"}], "not_shown_answered_items": {item: n rows},
        "not_shown_answered_action": "kept"}``.

    Examples
    --------
    >>> import numpy as np
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> fired = {r.id: np.array([False, False]) for r in ins.routing}
    >>> fired["not_sme"] = np.array([False, True])
    >>> lg = routing_log(ins, fired, {"sector": np.array([1])}, ["a", "b"])
    >>> lg["rules"]["not_sme"], lg["not_shown_answered"]
    ({'action': 'end', 'n_fired': 1}, [{'row': 2, 'id': 'b', 'rules': ['not_sme'], 'n_answers': 1}])
    """
    import numpy as np

    n = len(ids)
    rules = list(getattr(instrument, "routing", ()) or ())
    per_rule = {}
    n_answers = np.zeros(n, dtype=np.int64)
    for rows in not_shown_answered.values():
        n_answers[np.asarray(rows, dtype=np.int64)] += 1
    for rule in rules:
        fired = np.asarray(routed.get(rule.id, np.zeros(n, bool)), dtype=bool)
        hit = np.zeros(n, dtype=bool)
        for item in rule.hides:
            if item in not_shown_answered:
                hit[np.asarray(not_shown_answered[item], dtype=np.int64)] = True
        per_rule[rule.id] = hit & fired
    listed = []
    for i in np.flatnonzero(n_answers).tolist():    # rows excluded under a routing reason
        listed.append({"row": i + 1, "id": None if ids[i] is None else str(ids[i]),
                       "rules": [r for r, m in per_rule.items() if m[i]],
                       "n_answers": int(n_answers[i])})
    return {"rules": {r.id: {"action": r.action, "n_fired": int(np.asarray(
                routed.get(r.id, np.zeros(n, bool))).sum())} for r in rules},
            "not_shown_answered": listed,
            "not_shown_answered_items": {k: len(rows)
                                         for k, rows in sorted(not_shown_answered.items())},
            "not_shown_answered_action": "kept"}
