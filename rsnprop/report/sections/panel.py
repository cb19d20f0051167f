"""Change between waves (two-wave panel): linking, attrition, longitudinal invariance, change by
group and stage, the cross-lagged model and the verdicts of the longitudinal hypotheses.

Inputs, each read through its typed model (:mod:`rsnprop.schemas.panel_log`,
:class:`rsnprop.schemas.Invariance`): ``panel.json`` (``rsnprop panel --log``: linking,
attrition, descriptive change tests), ``panel_invariance_relational.json`` and
``panel_invariance_informational.json`` (``rsnprop invariance --repeated``) and
``panel_propositions.json`` (the preregistered hypotheses C1-C3 with their verdicts).  The
section is "not run" without a usable ``panel.json``; each other missing input makes its own
part say "not run", naming the schema expected and the one found.
"""

from __future__ import annotations

from ..fmt import fmt_value, to_float
from ..tables import Column, Table
from ...schemas import PanelPropositions
from ...schemas.panel_log import read_panel_log
from ..typed import not_run_reason, stage_output
from .base import Section, _missing_reason, _not_run, effect_row, evidence_table, words

#: benefit scales whose longitudinal invariance is reported, and their result files
BENEFIT_SCALES = {"relational": "panel_invariance_relational.json",
                  "informational": "panel_invariance_informational.json"}
_LEVEL_ORDER = ["none", "configural", "metric", "scalar", "strict"]
_INVARIANCE_NOTE = (
    "Same construct at both waves, one model: the same item's residuals correlated across "
    "waves; configural → metric (equal loadings) → scalar (equal intercepts) → strict (equal "
    "residual variances), each step judged by the rule below against the one before. "
    "FIML: every firm of the first wave counts, with its wave-2 answers missing if it left.")
_HYPOTHESIS_NOTE = (
    "Intervals: two-sided unless the column says one-sided; p (one-sided) = in the predicted "
    "direction (greater); reverse cross-lagged path: two-sided, not part of the verdict. "
    "p (corrected) = Holm over the family C1-C3 (separately for the expected direction, the "
    "opposite direction and the equivalence tests). Observed-score rows decide; latent rows "
    "are shown beside them and are not available when the longitudinal invariance of a "
    "benefit scale is below the level required.")


def panel_log_or_reason(inputs):
    """``(PanelLog, None)``, or ``(None, why the section is not run)``."""
    doc = inputs.panel
    if doc is None:
        return None, _missing_reason(inputs, "panel.json")
    try:
        return read_panel_log(doc), None
    except Exception as err:  # noqa: BLE001 - any problem only disables the section
        return None, f"Not run: panel.json could not be read ({getattr(err, 'message', err)})."


def panel_section(inputs) -> Section:
    """The section "Change between waves (two-wave panel)".

    Examples
    --------
    >>> from rsnprop.report.inputs import Inputs
    >>> s = panel_section(Inputs(name="x"))
    >>> s.status, s.reason
    ('not run', 'Not run: panel.json is missing in the results folder.')
    """
    s = Section("panel", "Change between waves (two-wave panel)")
    log, why = panel_log_or_reason(inputs)
    if log is None:
        return _not_run(s, why)
    s.add("p", _intro(log))
    add_linking(s, log.link)
    add_attrition(s, log.attrition)
    verdicts = stage_output(inputs, "panel_propositions.json")
    add_invariance(s, inputs, verdicts)
    add_observed_change(s, log.change)
    add_hypotheses(s, inputs, verdicts)
    add_language_pointer(s, inputs)
    invariance = [stage_output(inputs, f) for f in BENEFIT_SCALES.values()]
    warnings = [*log.link.warnings, *(log.attrition.warnings if log.attrition else []),
                *(f"longitudinal invariance, {scale}: {w}" for scale, inv in
                  zip(BENEFIT_SCALES, invariance) if inv is not None for w in inv.warnings),
                *(verdicts.warnings if verdicts is not None else [])]
    if warnings:
        s.add("warnings", list(dict.fromkeys(warnings)))
    return s


def _intro(log) -> str:
    waves = log.link.waves
    return (f"The same firms answered at {len(waves)} waves ({', '.join(waves)}). Each wave's "
            "raw export was cleaned with the same instrument and cleaning rules; the waves "
            f"were linked by the key '{log.link.key}' carried in the invitation link, "
            f"replaced by a {'salted' if log.link.salted else 'UNSALTED'} pseudonym (panel_id) "
            "before any analysis.")


# --------------------------------------------------------------------------- linking
def add_linking(s: Section, link) -> None:
    """Waves and linking counts, and the rows left out by reason."""
    rows = [c.model_dump() for c in link.counts]
    s.add("table", Table("panel_linking", "Waves and linking", [
        Column("wave", "Wave"), Column("rows_given", "Rows (clean data)", "int"),
        Column("no_key", "No key", "int"), Column("duplicates", "Duplicate key", "int"),
        Column("n", "Firms kept", "int"),
        Column("linked", f"Also in wave {link.waves[0]}", "int"),
        Column("later_only", f"Not in wave {link.waves[0]}", "int")], rows,
        note=f"{fmt_value(link.n_first_wave)} firms answered the first wave; "
             f"{fmt_value(link.n_firms)} firms in all. Rows without a key or with a key seen "
             "before in the same wave are left out; firms not in the first wave are kept in "
             "the linked file but cannot enter a comparison with it."))
    reasons: dict[str, int] = {}
    for p in link.problems:
        reasons[p.reason] = reasons.get(p.reason, 0) + 1
    s.add("dl", [(words(r), fmt_value(n)) for r, n in reasons.items()] or [("none", "0")],
          "Linking problems by reason (rows)")


# --------------------------------------------------------------------------- attrition
def add_attrition(s: Section, att) -> None:
    """Retention, stayers vs leavers, Little's MCAR test and the logistic model of staying."""
    if att is None:
        s.add("note", "Attrition: not run (panel.json holds no attrition analysis: give "
                      "`rsnprop panel --variables ...`).")
        return
    s.add("table", Table("panel_retention", "Retention between waves", [
        Column("wave", "Wave"), Column("n_first", f"Firms in wave {att.first_wave}", "int"),
        Column("stayed", "Answered again", "int"), Column("left", "Left", "int"),
        Column("retention", "Retention", "pct")], [c.model_dump() for c in att.counts]))
    rows = [{**r.model_dump(), "stayed": _profile_value(r.stayed),
             "left": _profile_value(r.left), "used": f"{r.n} of {r.n_total}"}
            for r in att.profile]
    if rows:
        s.add("table", Table("panel_attrition", "Firms that stayed vs firms that left, on their "
                             f"wave-{att.first_wave} answers", [
            Column("variable", "Variable"), Column("test", "Test (sidedness)"),
            Column("stayed", "Stayed"), Column("left", "Left"),
            Column("statistic", "Statistic", "num"), Column("df", "df", "num", 1),
            Column("pvalue", "p (two-sided)", "p"), Column("used", "n used of given")], rows,
            note="Numeric variables: means (Welch t test, two-sided); categorical: shares "
                 "(Pearson chi-square, no continuity correction). A small p means leavers "
                 "differed from stayers on that variable (attrition not completely at random)."))
    add_missingness_tests(s, att)


def _profile_value(v) -> str:
    if isinstance(v, float):
        return fmt_value(v, 2)
    return fmt_value(v)


def add_missingness_tests(s: Section, att) -> None:
    """Little's MCAR test and the logistic model of staying, as one table, and the model's
    odds ratios."""
    rows = []
    if att.mcar is not None:
        m = att.mcar
        rows.append({"test": f"{m.test} (Little, 1988)", "chi2": m.statistic, "df": m.df,
                     "p": m.pvalue, "used": f"{m.n} of {m.n_total}"})
    lg = att.logistic
    if lg is not None and lg.lr_test:
        rows.append({"test": "Logistic model of staying: likelihood-ratio test against the "
                             "intercept-only model", "chi2": lg.lr_test.get("chi2"),
                     "df": lg.lr_test.get("df"), "p": lg.lr_test.get("pvalue"),
                     "used": f"{lg.n} of {lg.n_total}"})
    if not rows:
        s.add("note", "Missingness tests: not run (no MCAR variables in panel.json).")
        return
    s.add("table", Table("panel_missingness", "Is attrition related to the answers?", [
        Column("test", "Test"), Column("chi2", "χ²", "num"), Column("df", "df", "int"),
        Column("p", "p", "p"), Column("used", "n used of given")], rows,
        note="Both tests are chi-square tests (upper tail); a small p speaks against data "
             "missing completely at random. The later waves' analyses use FIML or the firms "
             "observed at both waves (see each hypothesis)."))
    if lg is not None and lg.coefficients:
        coefs = [{**c.model_dump(), "or_ci": (c.or_ci_lower, c.or_ci_upper)}
                 for c in lg.coefficients]
        level = f"{round(100 * float(lg.ci_level)):g}%"
        s.add("table", Table("panel_staying", "Logistic model of staying (odds ratios)", [
            Column("term", "Term"), Column("est", "b", "num"), Column("se", "SE", "num"),
            Column("odds_ratio", "OR", "num"), Column("or_ci", f"{level} CI (OR)", "ci"),
            Column("pvalue", "p (two-sided)", "p")], coefs,
            note=f"{lg.model}; n = {lg.n} of {lg.n_total} first-wave firms. Interval: "
                 f"{lg.ci or 'Wald, two-sided'}."))


# --------------------------------------------------------------------------- invariance
def _required_level(verdicts) -> str | None:
    inv = verdicts.invariance if verdicts is not None else None
    return inv.required if inv is not None else None


def _gate_level(verdicts, scale: str) -> str | None:
    """The level the verdict step found for ``scale`` (panel_propositions.json)."""
    inv = verdicts.invariance if verdicts is not None else None
    entry = inv.constructs.get(scale) if inv is not None else None
    return entry.get("level") if isinstance(entry, dict) else None


def _reached(level, required) -> str:
    if level is None or required is None:
        return ""
    lv, rq = str(level).replace("partial_", ""), str(required)
    if lv in _LEVEL_ORDER and rq in _LEVEL_ORDER:
        return "yes" if _LEVEL_ORDER.index(lv) >= _LEVEL_ORDER.index(rq) and \
            not str(level).startswith("partial") else "no"
    return ""


def add_invariance(s: Section, inputs, verdicts) -> None:
    """One table of the longitudinal invariance steps per benefit scale, and the level reached
    vs the level the latent versions require."""
    required = _required_level(verdicts)
    summary = []
    for scale, fname in BENEFIT_SCALES.items():
        inv = stage_output(inputs, fname)
        if inv is None or not inv.steps:
            s.add("note", f"Longitudinal invariance of the {scale} scale: "
                          + _lower(not_run_reason(inputs, fname)))
            continue
        rows = [_step_row(st) for st in inv.steps]
        s.add("table", Table(f"panel_invariance_{scale}", "Longitudinal measurement invariance "
                             f"of the {scale} benefit scale, wave 1 vs wave 2", [
            Column("name", "Model"), Column("chi2", "χ²", "num"), Column("df", "df", "int"),
            Column("cfi", "CFI", "bounded", 3), Column("rmsea", "RMSEA", "bounded", 3),
            Column("srmr", "SRMR", "bounded", 3), Column("dcfi", "ΔCFI", "num", 3),
            Column("drmsea", "ΔRMSEA", "num", 3), Column("lrt_p", "p (Δχ², upper tail)", "p"),
            Column("held", "Held")], rows,
            note=f"{_INVARIANCE_NOTE} n = {fmt_value(inv.model_extra.get('n'))} of "
                 f"{fmt_value(inv.model_extra.get('n_total'))} firms; missing data: "
                 f"{fmt_value(inv.missing)}; {_fit_label(inv)}. Highest level held: "
                 f"{fmt_value(inv.level)}. Rule: {fmt_value(inv.rule)}."))
        gate = _gate_level(verdicts, scale)
        summary.append({"scale": scale, "level": inv.level, "gate": gate,
                        "required": required, "reached": _reached(gate or inv.level, required)})
    if summary:
        s.add("table", Table("panel_invariance_levels", "Longitudinal invariance: level reached "
                             "vs level required for the latent versions", [
            Column("scale", "Benefit scale"), Column("level", "Level held (table above)"),
            Column("gate", "Level found by the verdict step"), Column("required", "Required"),
            Column("reached", "Required level reached")], summary,
            note="Required = the plan's required_invariance (panel section). Below it, the "
                 "latent rows of C1-C3 are not available; the observed-score verdicts stand. "
                 + _gate_note(verdicts)))


def _gate_note(verdicts) -> str:
    """Why the verdict step's columns may be dashes."""
    if verdicts is None:
        return "Dashes: panel_propositions.json not run."
    inv = verdicts.invariance
    note = inv.note if inv is not None and inv.note else ""
    return (f"Verdict step: {note}." if note else "") + (
        "" if inv is not None and inv.constructs else
        " Dashes: the verdict step reported no level.")


def _fit_label(inv) -> str:
    rob = any(st.fit_indices == "robust" for st in inv.steps)
    return ("CFI and RMSEA are the robust ones (lavaan cfi.robust, rmsea.robust)" if rob
            else "standard CFI and RMSEA")


def _step_row(st) -> dict:
    rob = st.fit_indices == "robust"
    return {"name": st.name + (f" (freed: {', '.join(st.freed)})" if st.freed else ""),
            "chi2": st.chi2, "df": st.df, "cfi": st.cfi_robust if rob else st.cfi,
            "rmsea": st.rmsea_robust if rob else st.rmsea, "srmr": st.srmr,
            "dcfi": st.delta_cfi_robust if rob and st.delta_cfi_robust is not None
            else st.delta_cfi,
            "drmsea": st.delta_rmsea_robust if rob and st.delta_rmsea_robust is not None
            else st.delta_rmsea,
            "lrt_p": st.lrt.pvalue if st.lrt is not None else None, "held": st.held}


# --------------------------------------------------------------------------- change
def add_observed_change(s: Section, change) -> None:
    """The descriptive tests of change in D written by ``rsnprop panel --lean``."""
    if change is None:
        s.add("note", "Change in D by group: not run (panel.json holds no change tests: give "
                      "`rsnprop panel --lean REL,INF --group COL`).")
        return
    rows = [{"question": _group_words(t.question), "test": t.test, "estimate": t.estimate,
             "lo": t.ci_lower, "hi": t.ci_upper, "ci_label": _ci_words(t),
             "t": t.t, "df": t.df, "p": t.pvalue, "sided": t.sided,
             "used": f"{t.n} of {t.n_total}"} for t in change.tests]
    s.add("table", Table("panel_change", f"Change in D = relational − informational from wave "
                         f"{change.first_wave} to {change.later_wave} (observed scale scores)", [
        Column("question", "Change"), Column("test", "Test"), Column("estimate", "Estimate", "num"),
        Column("lo", "CI lower", "num"), Column("hi", "CI upper", "num"),
        Column("ci_label", "Interval"), Column("t", "t", "num"),
        Column("df", "df", "num", 1), Column("p", "p", "p"), Column("sided", "p sidedness"),
        Column("used", "n used of given")], rows,
        note=f"{change.n_linked} of {change.n_first} first-wave firms answered both waves. "
             "Estimates in scale points (1-7 scale). Descriptive tests: the preregistered "
             "tests with decision rules are C1-C3 below. Group 1 = born global, 0 = "
             "traditional (the plan's born-global definition at wave 1). A one-sided interval "
             "has no upper bound (a dash)." + _not_computed_notes(change.tests)))


def _not_computed_notes(tests) -> str:
    """The reasons of the tests without a statistic (dashes in the table)."""
    return "".join(f" {_group_words(t.question)}: {t.note}." for t in tests if t.note)


def _ci_words(t) -> str:
    """``95% CI`` -> ``95% CI, two-sided``; one-sided intervals say so already."""
    label = t.ci_label or "CI"
    return label if "one-sided" in label else f"{label}, two-sided"


def _group_words(q: str) -> str:
    return (q.replace("group 0", "traditional SMEs").replace("group 1", "born globals")
            .replace("(1 - 0)", "(born globals − traditional SMEs)"))


# --------------------------------------------------------------------------- hypotheses
def add_hypotheses(s: Section, inputs, verdicts) -> None:
    """The verdicts (Holm-corrected p), one evidence table per hypothesis (observed and latent
    versions side by side), the cross-lagged paths and the multiverse summary."""
    if verdicts is None:
        why = _lower(not_run_reason(inputs, "panel_propositions.json"))
        if "expected schema" not in why:
            why = why.rstrip(".") + f" (expected schema '{PanelPropositions.SCHEMA}')."
        s.add("note", "Longitudinal hypotheses C1-C3 (preregistered, with verdicts): " + why)
        return
    s.add("table", verdict_table(verdicts))
    alpha = to_float(verdicts.alpha) or 0.05
    for hid, h in sorted(verdicts.hypotheses.items()):
        rows = []
        for ev in h.evidence:
            row = effect_row(ev.model_dump(by_alias=True), alpha)
            row["label"] = " ".join(x for x in (ev.question or ev.test or "evidence",
                                                f"[{ev.version}]" if ev.version else "") if x)
            row["note"] = row["note"].replace("not_available", "not available")
            if ev.n is not None and ev.n_total is not None:
                row["note"] = "; ".join(x for x in (row["note"], f"n = {ev.n} of {ev.n_total}")
                                        if x)
            rows.append(row)
        if not rows:
            s.add("note", f"{hid}: no evidence reported.")
            continue
        s.add("table", evidence_table(
            rows, f"panel_evidence_{hid.lower()}",
            f"{hid} ({h.verdict}): {h.statement}",
            note=(f"Decision: {h.reason}. " if h.reason else "") + _HYPOTHESIS_NOTE))
    add_cross_lagged(s, verdicts)
    add_panel_multiverse(s, verdicts)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def add_language_pointer(s: Section, inputs) -> None:
    """Point to the language invariance check (measurement section), saying whether it ran."""
    props = stage_output(inputs, "propositions.json")
    chk = props.language_invariance if props is not None else None
    ran = chk is not None and chk.status == "ok"
    s.add("link", ("Language versions: whether the benefit items measure the same thing in "
                   "each language version of the questionnaire "
                   + ("is checked in the measurement section" if ran else
                      "would be checked in the measurement section (not run here)")
                   + ", subsection 'Language versions: invariance and differential item "
                     "functioning':", "#sec-measurement", "go to the language check"))


def verdict_table(verdicts) -> Table:
    """C1-C3: verdict, the primary (observed-score) one-sided p and its Holm-corrected value."""
    rows = []
    for hid, h in sorted(verdicts.hypotheses.items()):
        primary = next((e for e in h.evidence if e.role == "primary"), None)
        rows.append({"id": hid, "statement": h.statement, "verdict": h.verdict,
                     "p": primary.p_value if primary else None,
                     "pc": primary.p_corrected if primary else None,
                     "n": verdicts.n.analysed.get(hid), "reason": h.reason})
    n = verdicts.n
    return Table("panel_verdicts", "Longitudinal hypotheses: verdicts", [
        Column("id", "Hypothesis"), Column("statement", "Statement"), Column("verdict", "Verdict"),
        Column("p", "p (one-sided)", "p"), Column("pc", "p (one-sided, Holm)", "p"),
        Column("n", "Firms analysed", "int"), Column("reason", "Decision rule applied")], rows,
        note=f"Family: {', '.join(verdicts.family) or 'C1-C3'}; α = "
             f"{fmt_value(verdicts.alpha)}; correction: {fmt_value(verdicts.correction)}. p = "
             "the primary (observed-score) test in the predicted direction. Firms: "
             f"{fmt_value(n.first_wave)} in the first wave, "
             f"{fmt_value(n.linked)} linked to the last.")


#: lavaan operator -> words, for the cross-lagged paths
_OPS = {"~": "regressed on", "~~": "covariance with", "=~": "measured by", "~1": "intercept"}


def add_cross_lagged(s: Section, verdicts) -> None:
    """The cross-lagged panel model's regression paths and fit, one table per version."""
    clpm = verdicts.cross_lagged if isinstance(verdicts.cross_lagged, dict) else {}
    for version, block in clpm.items():
        if not isinstance(block, dict):
            continue
        paths = [p for p in block.get("paths") or [] if isinstance(p, dict) and p.get("op") == "~"]
        if not paths:
            s.add("note", f"Cross-lagged model ({version}): "
                          f"{fmt_value(block.get('note') or 'not run')}.")
            continue
        rows = [{"path": f"{_var_words(p.get('lhs'))} {_OPS['~']} {_var_words(p.get('rhs'))}",
                 "est": p.get("est"),
                 "se": p.get("se"), "z": p.get("z"), "p": p.get("pvalue"),
                 "ci": (p.get("ci_lower"), p.get("ci_upper")), "std": p.get("std_all")}
                for p in paths]
        fit = block.get("fit") if isinstance(block.get("fit"), dict) else {}
        fit_text = ", ".join(f"{name} = {fmt_value(fit[k], 3)}" for k, name in
                             (("chi2", "χ²"), ("df", "df"), ("cfi", "CFI"), ("rmsea", "RMSEA"),
                              ("srmr", "SRMR")) if k in fit)
        n = block.get("n", paths[0].get("n"))
        s.add("table", Table(f"panel_clpm_{version}", f"Cross-lagged panel model ({version} "
                             "scores): regression paths", [
            Column("path", "Path (wave-2 variable regressed on wave-1 variable)"),
            Column("est", "b", "num", 3), Column("se", "SE", "num", 3), Column("z", "z", "num"),
            Column("p", "p (two-sided)", "p"), Column("ci", "95% CI (two-sided)", "ci", 3),
            Column("std", "β (std.all)", "num", 3)], rows,
            note="Lean D = relational − informational (scale points); approach X = the plan's "
                 "internationalisation approach score. "
                 "Forward path: wave-1 approach → wave-2 relational lean (C3, tested one-sided "
                 "in the evidence table above); reverse path: wave-1 lean → wave-2 approach "
                 "(two-sided, not part of the verdict); the other paths are the stabilities. "
                 "p and CI here are lavaan's two-sided Wald values. "
                 + (f"n = {fmt_value(n)}. " if n is not None else "")
                 + (f"Fit: {fit_text}." if fit_text else "")))


def _var_words(name) -> str:
    """``D_2`` -> ``lean D (wave 2)``, ``score_intl_approach_t1`` -> ``score_intl_approach
    (wave 1)``: a wave suffix (``_2``, ``_t2``, ``_w2``) in words; other names as written.

    >>> _var_words("D_2"), _var_words("X_1"), _var_words("lean_t2"), _var_words("rel")
    ('lean D (wave 2)', 'approach X (wave 1)', 'lean D (wave 2)', 'rel')
    """
    text = str(name)
    head, _, wave = text.rpartition("_")
    wave = wave[1:] if wave[:1] in ("t", "w") else wave
    if not head or not wave.isdigit():
        return text
    words_ = {"D": "lean D", "X": "approach X", "lean": "lean D"}
    return f"{words_.get(head, head)} (wave {wave})"


def add_panel_multiverse(s: Section, verdicts) -> None:
    """How often each verdict came out across the specifications of the panel multiverse."""
    summary = verdicts.multiverse.summary if verdicts.multiverse is not None else {}
    rows = []
    for hid, counts in sorted(summary.items()):
        if isinstance(counts, dict):
            rows.append({"id": hid, **{k: counts.get(k, 0) for k in
                                       ("supported", "contradicted", "equivalent",
                                        "inconclusive", "n_run", "n_specs")}})
    if not rows:
        return
    s.add("table", Table("panel_multiverse", "Longitudinal hypotheses across specifications", [
        Column("id", "Hypothesis"), Column("supported", "Supported", "int"),
        Column("contradicted", "Contradicted", "int"), Column("equivalent", "Equivalent", "int"),
        Column("inconclusive", "Inconclusive", "int"), Column("n_run", "Specifications run", "int"),
        Column("n_specs", "Specifications listed", "int")],
        rows, note="Specifications: born-global definition × observed or latent scores × "
                   "missing-data handling; the verdict rules and Holm family as preregistered."))
