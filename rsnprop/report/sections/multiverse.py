"""Multiverse: specification curves and the share of specifications reaching each verdict."""

from __future__ import annotations

from collections import Counter

from .. import figures as F
from ..fmt import fmt_value, to_float
from ..tables import Column, Table
from .base import (
    VERDICT_TEXT, Section, pick, _list, _not_run, _missing_reason, effect_row, words, level_text,
    plan_alpha,
)


def _multiverse(inputs):
    props = inputs.propositions or {}
    mv = pick(props, "multiverse")
    if mv is None:
        mv = pick(pick(props, "auxiliary", default={}), "multiverse")
    return mv


def _spec_rows(mv) -> list[dict]:
    """One row per (specification, proposition) with estimate, CI, verdict and choices.

    Accepts ``rsnprop test --multiverse`` output (``dimensions`` + flat specifications with
    ``estimate_P1``, ``ci_lower_P1``, ``verdict_P1``...) or one row per proposition with
    ``proposition``, ``estimate``, ``ci_lower``, ``ci_upper`` and a ``choices`` dict.
    """
    specs = mv if isinstance(mv, list) else _list(pick(mv, "specifications", "specs", "results"))
    dims = pick(mv, "dimensions") if isinstance(mv, dict) else None
    dims = list(dims) if isinstance(dims, (dict, list)) else []
    out = []
    for sp in specs or []:
        if not isinstance(sp, dict):
            continue
        choices = pick(sp, "choices", "spec", "specification", "options")
        if not isinstance(choices, dict):
            keys = dims or [k for k, v in sp.items() if isinstance(v, (str, bool)) and k not in
                            ("proposition", "verdict", "label", "metric", "decision", "status",
                             "note", "primary")]
            choices = {k: sp.get(k) for k in keys if k in sp}
        flat = sorted({k[len("estimate_"):] for k in sp if k.startswith("estimate_")})
        if flat:
            for pid in flat:
                out.append({"proposition": pid, "estimate": to_float(sp.get(f"estimate_{pid}")),
                            "ci_lower": to_float(sp.get(f"ci_lower_{pid}")),
                            "ci_upper": to_float(sp.get(f"ci_upper_{pid}")),
                            "verdict": sp.get(f"verdict_{pid}"), "choices": choices,
                            "primary": bool(sp.get("primary"))})
            continue
        r = effect_row(sp)
        out.append({"proposition": str(pick(sp, "proposition", "p_id", default="all")),
                    "estimate": r["estimate"], "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"], "choices": choices,
                    "verdict": pick(sp, "verdict"), "primary": bool(sp.get("primary"))})
    return out


def multiverse_section(inputs) -> Section:
    s = Section("multiverse", "Multiverse and specification curve")
    if inputs.propositions is None:
        return _not_run(s, _missing_reason(inputs, "propositions.json"))
    mv = _multiverse(inputs)
    specs = _spec_rows(mv) if mv is not None else []
    specs = [r for r in specs if r["estimate"] is not None]
    if not specs:
        return _not_run(s, "Not run: propositions.json has no multiverse results "
                           "(run `rsnprop test --multiverse`).")
    if isinstance(mv, dict):
        dims = pick(mv, "dimensions")
        if isinstance(dims, dict):
            s.add("dl", [(words(k), fmt_value(v)) for k, v in dims.items()], "Analytic choices varied")
        if pick(mv, "n_specifications") is not None:
            n_all = pick(mv, "n_specifications")
            k_ok = pick(mv, "n_available", default=len({id(r["choices"]) for r in specs}))
            s.add("p", f"{fmt_value(k_ok)} of {fmt_value(n_all)} specifications computed; their "
                       "results are drawn below." + (" The others are not available:" if
                                                      k_ok != n_all else ""))
            missing = [x for x in _list(pick(mv, "not_available")) if isinstance(x, dict)]
            if missing:
                s.add("dl", [(f"{fmt_value(pick(x, 'n'))} specifications", fmt_value(pick(x, "reason")))
                             for x in missing], "Specifications not available, by reason")
    summary_rows = []
    shares = pick(mv, "share") if isinstance(mv, dict) else None
    for pid in sorted({r["proposition"] for r in specs}):
        sub = [r for r in specs if r["proposition"] == pid]
        fig = F.specification_curve(sub, title=f"Specification curve: {pid}",
                                    id=f"specification_curve_{pid.lower()}")
        if fig:
            s.add("figure", fig)
        ests = sorted(r["estimate"] for r in sub)
        k = len(ests)
        median = ests[k // 2] if k % 2 else (ests[k // 2 - 1] + ests[k // 2]) / 2
        share = pick(shares, pid) if isinstance(shares, dict) else None
        if not isinstance(share, dict):
            verdicts = Counter(str(r["verdict"]) for r in sub if r["verdict"] is not None)
            share = {v: c / k for v, c in verdicts.items()} if verdicts else {}
        summary_rows.append({
            "proposition": pid, "k": k, "median": median, "range": (ests[0], ests[-1]),
            "pos": sum(1 for r in sub if r["ci_lower"] is not None and r["ci_lower"] > 0) / k,
            "neg": sum(1 for r in sub if r["ci_upper"] is not None and r["ci_upper"] < 0) / k,
            **{f"share_{v}": share.get(v) for v in VERDICT_TEXT}})
    a = plan_alpha(inputs)
    lv = level_text(to_float(pick(mv, "ci_level")) or 0.95) if isinstance(mv, dict) else "95%"
    s.add("table", Table("multiverse", "Specification curve summary", [
        Column("proposition", "Proposition"), Column("k", "Specifications computed", "int"),
        Column("median", "Median estimate", "num"), Column("range", "Range", "ci"),
        Column("pos", f"{lv} CI above 0", "pct"), Column("neg", f"{lv} CI below 0", "pct")] +
        [Column(f"share_{v}", v.capitalize(), "pct") for v in VERDICT_TEXT], summary_rows,
        note="Every percentage is a share of the specifications computed. Range = [lowest, "
             f"highest] estimate. {lv} CI above / below 0: the two-sided {lv} interval of the "
             "estimate excludes 0 (no correction). Supported ... Inconclusive: the verdict of "
             "the preregistered decision rules, which use one-sided tests corrected for multiple "
             f"testing over P1, P2 and joint; a one-sided test at α = {fmt_value(a)} corresponds "
             f"to a {level_text(1 - 2 * a)} interval, so a specification can be supported while "
             f"its {lv} CI still includes 0, and the correction can make the verdict stricter "
             "than the interval. Joint is supported only when P1, P2 and the interaction all "
             "are, so its share can be far below that of its interval alone."))
    by_policy = _policy_rows(specs)
    if by_policy:
        s.add("table", Table("multiverse_policy", "Share of specifications supported, by "
                             "non-invariance policy", [
            Column("policy", "Policy"), Column("proposition", "Proposition"),
            Column("k", "Specifications", "int"), Column("supported", "Supported", "pct")],
            by_policy, note="The plan's measurement section says what measurement non-invariance "
                            "does to a verdict: partial = tested on the items that are invariant "
                            "between the groups; inconclusive = verdicts on a non-invariant scale "
                            "become inconclusive; report_only = every item, invariance reported."))
    return s


def _policy_rows(specs) -> list[dict]:
    """Share supported per non-invariance policy and proposition (when the grid varies it)."""
    policies = sorted({str(r["choices"].get("measurement_policy")) for r in specs
                       if isinstance(r.get("choices"), dict) and r["choices"].get("measurement_policy")})
    if len(policies) < 2:
        return []
    rows = []
    for pol in policies:
        for pid in sorted({r["proposition"] for r in specs}):
            sub = [r for r in specs if r["proposition"] == pid
                   and str(r["choices"].get("measurement_policy")) == pol and r["verdict"] is not None]
            if sub:
                rows.append({"policy": pol, "proposition": pid, "k": len(sub),
                             "supported": sum(r["verdict"] == "supported" for r in sub) / len(sub)})
    return rows
