"""Multiverse: specification curves and the share of specifications reaching each verdict."""

from __future__ import annotations

from .. import figures as F
from ..fmt import fmt_value, to_float
from ..tables import Column, Table
from ..typed import not_run_reason, stage_output
from .base import VERDICT_TEXT, Section, _not_run, words, level_text, plan_alpha


def _spec_rows(mv) -> list[dict]:
    """One row per (specification, proposition) with estimate, CI, verdict and choices, from
    the flat specifications of a :class:`~rsnprop.schemas.Multiverse` (one key per dimension,
    ``primary``, and ``estimate_<P>``, ``ci_lower_<P>``, ``ci_upper_<P>``, ``verdict_<P>`` per
    proposition); rows without an estimate are left out."""
    out = []
    for sp in mv.specifications:
        choices = {k: sp[k] for k in mv.dimensions if k in sp}
        for pid in sorted({k[len("estimate_"):] for k in sp if k.startswith("estimate_")}):
            if to_float(sp[f"estimate_{pid}"]) is None:
                continue
            out.append({"proposition": pid, "estimate": to_float(sp[f"estimate_{pid}"]),
                        "ci_lower": to_float(sp.get(f"ci_lower_{pid}")),
                        "ci_upper": to_float(sp.get(f"ci_upper_{pid}")),
                        "verdict": sp.get(f"verdict_{pid}"), "choices": choices,
                        "primary": bool(sp.get("primary"))})
    return out


def _add_choices(s: Section, mv) -> None:
    """The analytic choices varied and how many specifications could be computed."""
    s.add("dl", [(words(k), fmt_value(v)) for k, v in mv.dimensions.items()], "Analytic choices varied")
    s.add("p", f"{fmt_value(mv.n_available)} of {fmt_value(mv.n_specifications)} specifications "
               "computed; their results are drawn below."
               + (" The others are not available:" if mv.n_available != mv.n_specifications else ""))
    if mv.not_available:
        s.add("dl", [(f"{fmt_value(x.n)} specifications", fmt_value(x.reason))
                     for x in mv.not_available], "Specifications not available, by reason")


def _curve_summary(pid: str, sub: list[dict], share: dict) -> dict:
    """One row of the summary table: the spread of a proposition's estimates and verdicts."""
    ests = sorted(r["estimate"] for r in sub)
    k = len(ests)
    median = ests[k // 2] if k % 2 else (ests[k // 2 - 1] + ests[k // 2]) / 2
    return {"proposition": pid, "k": k, "median": median, "range": (ests[0], ests[-1]),
            "pos": sum(1 for r in sub if r["ci_lower"] is not None and r["ci_lower"] > 0) / k,
            "neg": sum(1 for r in sub if r["ci_upper"] is not None and r["ci_upper"] < 0) / k,
            **{f"share_{v}": share.get(v) for v in VERDICT_TEXT}}


def _summary_table(rows: list[dict], lv: str, a: float) -> Table:
    return Table("multiverse", "Specification curve summary", [
        Column("proposition", "Proposition"), Column("k", "Specifications computed", "int"),
        Column("median", "Median estimate", "num"), Column("range", "Range", "ci"),
        Column("pos", f"{lv} CI above 0", "pct"), Column("neg", f"{lv} CI below 0", "pct")] +
        [Column(f"share_{v}", v.capitalize(), "pct") for v in VERDICT_TEXT], rows,
        note="Every percentage is a share of the specifications computed. Range = [lowest, "
             f"highest] estimate. {lv} CI above / below 0: the two-sided {lv} interval of the "
             "estimate excludes 0 (no correction). Supported ... Inconclusive: the verdict of "
             "the preregistered decision rules, which use one-sided tests corrected for multiple "
             f"testing over P1, P2 and joint; a one-sided test at α = {fmt_value(a)} corresponds "
             f"to a {level_text(1 - 2 * a)} interval, so a specification can be supported while "
             f"its {lv} CI still includes 0, and the correction can make the verdict stricter "
             "than the interval. Joint is supported only when P1, P2 and the interaction all "
             "are, so its share can be far below that of its interval alone.")


def _specs(inputs) -> list[dict]:
    props = stage_output(inputs, "propositions.json")
    mv = props.multiverse if props is not None else None
    return _spec_rows(mv) if mv is not None else []


def curve_tasks(inputs) -> list[tuple[str, list[dict]]]:
    """The specification curves of the section as ``(proposition, rows)`` tasks of
    :func:`curve_figure` (none when there is no multiverse): the costly part of the report,
    which :func:`rsnprop.report.sections.build_sections` may draw in worker processes."""
    specs = _specs(inputs)
    return [(pid, [r for r in specs if r["proposition"] == pid])
            for pid in sorted({r["proposition"] for r in specs})]


def curve_figure(task: tuple[str, list[dict]]):
    """The specification curve of one ``(proposition, rows)`` task of :func:`curve_tasks`."""
    pid, sub = task
    return F.specification_curve(sub, title=f"Specification curve: {pid}",
                                 id=f"specification_curve_{pid.lower()}")


def multiverse_section(inputs, curves: dict | None = None) -> Section:
    """The multiverse section; ``curves`` (proposition -> figure of :func:`curve_figure`) are
    the specification curves when they were drawn beforehand, else they are drawn here."""
    s = Section("multiverse", "Multiverse and specification curve")
    props = stage_output(inputs, "propositions.json")
    if props is None:
        return _not_run(s, not_run_reason(inputs, "propositions.json"))
    mv = props.multiverse
    specs = _spec_rows(mv) if mv is not None else []
    if not specs:
        return _not_run(s, "Not run: propositions.json has no multiverse results "
                           "(run `rsnprop test --multiverse`).")
    _add_choices(s, mv)
    summary_rows = []
    for pid in sorted({r["proposition"] for r in specs}):
        sub = [r for r in specs if r["proposition"] == pid]
        fig = curve_figure((pid, sub)) if curves is None else curves[pid]
        if fig:
            s.add("figure", fig)
        summary_rows.append(_curve_summary(pid, sub, mv.share.get(pid, {})))
    s.add("table", _summary_table(summary_rows, level_text(mv.ci_level), plan_alpha(inputs)))
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
