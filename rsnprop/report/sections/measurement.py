"""Measurement model: reliability, fit, loadings heat map, item statistics, validity matrix, HTMT,
invariance, common-method checks.

The section reads the typed stage outputs (:class:`rsnprop.schemas.Measurement`,
:class:`rsnprop.schemas.Invariance`), validated once when the results folder is read
(:mod:`rsnprop.report.inputs`): every value comes from a declared field, by its one name.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from .. import figures as F
from ..fmt import fmt_num, fmt_value, to_float
from ..tables import Column, Table
from ..typed import stage_output
from .base import (
    GROUP_LABELS,
    Section,
    _blocks,
    _group_key,
    _missing_reason,
    _not_run,
    _p_text,
    _scalars,
    words,
)
from .languages import add_language_subsection

_RELIABILITY_NOTE = (
    "α = Cronbach's alpha (Feldt CI); ω = McDonald's omega total; CR = composite reliability and "
    "AVE = average variance extracted, from the CFA. Adequate: α, ω, CR ≥ .70; AVE ≥ .50.")
_VALIDITY_NOTE = (
    "Diagonal: square root of AVE; below the diagonal: latent correlations; above: "
    "heterotrait-monotrait ratios (HTMT). Discriminant validity: each diagonal value exceeds the "
    "correlations in its row and column (Fornell & Larcker, 1981) and HTMT < .85 (Henseler et "
    "al., 2015).")


def measurement_section(inputs) -> Section:
    """The measurement section from ``measurement.json`` and ``invariance.json`` (their typed
    models on ``inputs``); "not run" without a usable ``measurement.json``."""
    s = Section("measurement", "Measurement model")
    m = inputs.measurement_model
    if m is None:
        return _not_run(s, _missing_reason(inputs, "measurement.json"))
    add_reliability_table(s, m)
    add_skipped_note(s, m)
    if m.efa is not None:
        s.add("p", efa_sentence(m.efa, m.n_rows))
    add_cfa_fit_table(s, m)
    loadings, source = loadings_matrix(m)
    add_loadings_figure(s, loadings, source)
    add_item_table(s, m, loadings)
    add_validity_tables(s, m)
    inv = inputs.invariance_model
    inv = inv if inv is not None and inv.steps else None
    if inv is not None:
        add_invariance_table(s, inv)
    else:
        s.add("note", no_invariance_note(inputs.propositions))
    add_language_subsection(s, stage_output(inputs, "propositions.json"))  # docs/languages.md
    add_cmv_lists(s, m)
    w = _dedupe_warnings(list(dict.fromkeys(
        m.warnings + (m.validity.warnings if m.validity else []) + (inv.warnings if inv else []))))
    if w:
        s.add("warnings", w)
    return s


# --------------------------------------------------------------------------- reliability
def add_reliability_table(s: Section, m) -> None:
    """Alpha (Feldt CI), omega, CR and AVE by construct, labelled as in the instrument."""
    if not m.reliability_table:
        s.add("note", "Reliability: not run.")
        return
    rows = []
    for r in m.reliability_table:
        name = r.construct_id
        label = r.label if r.label is not None else m.labels.get(name)
        rows.append({"construct": f"{label} ({name})" if label and label != name else name,
                     "k": r.n_items, "n": r.n, "alpha": r.alpha,
                     "alpha_ci": (r.alpha_ci_lower, r.alpha_ci_upper),
                     "omega": r.omega_total, "cr": r.cr, "ave": r.ave})
    s.add("table", Table("reliability", "Reliability and convergent validity by construct", [
        Column("construct", "Construct"), Column("k", "Items", "int"), Column("n", "n", "int"),
        Column("alpha", "α", "bounded"), Column("alpha_ci", "95% CI", "ci"),
        Column("omega", "ω total", "bounded"), Column("cr", "CR", "bounded"),
        Column("ave", "AVE", "bounded")], rows, note=_RELIABILITY_NOTE))


def add_skipped_note(s: Section, m) -> None:
    """Which constructs were not measured, and why."""
    if m.skipped:
        s.add("note", "Not measured: " + "; ".join(
            f"{fmt_value(x.construct_id)} ({fmt_value(x.reason)})" for x in m.skipped) + ".")


# --------------------------------------------------------------------------- EFA and CFA
def efa_sentence(efa, n_rows: int | None) -> str:
    """KMO, Bartlett and the number of factors, saying why that many were extracted."""
    sample = ""
    if efa.n is not None:
        sample = f" on n = {fmt_value(efa.n)}" + (f" of {fmt_value(n_rows)} firms" if n_rows else " firms") \
            + (f" ({fmt_value(efa.missing)} deletion)" if efa.missing else "")
    text = (f"Exploratory factor analysis{sample}: KMO = {fmt_num(efa.kmo)}; Bartlett "
            f"χ²({fmt_value(efa.bartlett_df)}) = {fmt_num(efa.bartlett_chi2)}, "
            f"{_p_text(efa.bartlett_pvalue)}. {fmt_value(efa.nfactors)} factors "
            f"extracted ({fmt_value(efa.fm)}, {fmt_value(efa.rotation)} rotation)")
    k, pa = to_float(efa.nfactors), to_float(efa.parallel_analysis_factors)
    if efa.factor_constructs is not None and k is not None and len(efa.factor_constructs) == k:
        text += ": one per construct of the instrument, the structure the CFA below tests"
    if pa is not None:
        text += f". Parallel analysis (Horn, 1965) suggests {fmt_value(efa.parallel_analysis_factors)}"
        if k is not None and pa != k:
            text += (f"; it is reported as a check, not used to choose the number: with "
                     f"{'fewer' if pa < k else 'more'} factors, constructs of the instrument would be "
                     f"{'merged' if pa < k else 'split'}, and the item loadings below show whether "
                     "each construct forms its own factor")
    return text + "."


def add_cfa_fit_table(s: Section, m) -> None:
    """One row of fit measures of the CFA, with the conventional cut-offs in the note."""
    cfa = m.cfa
    if cfa is None:
        return
    fit = cfa.fit
    row = {"n": cfa.n, "chi2": fit.chi2, "df": fit.df, "p": fit.pvalue, "cfi": fit.cfi,
           "tli": fit.tli, "rmsea": fit.rmsea, "rmsea_ci": (fit.rmsea_ci_lower, fit.rmsea_ci_upper),
           "srmr": fit.srmr}
    missing = m.settings.cfa_missing
    s.add("table", Table("cfa_fit", "Fit of the confirmatory factor analysis", [
        Column("n", "n", "int"), Column("chi2", "χ²", "num"), Column("df", "df", "int"),
        Column("p", "p", "p"), Column("cfi", "CFI", "bounded", 3),
        Column("tli", "TLI", "bounded", 3), Column("rmsea", "RMSEA", "bounded", 3),
        Column("rmsea_ci", "90% CI", "ci", 3), Column("srmr", "SRMR", "bounded", 3)], [row],
        note="Conventional cut-offs (Hu & Bentler, 1999): CFI and TLI ≥ .95, RMSEA ≤ .06, "
             "SRMR ≤ .08." + ("" if cfa.converged else " The CFA did NOT converge: interpret with care.")
             + (f" Missing data: {fmt_value(missing)}." if missing else "")))


def loadings_matrix(m):
    """``(items x factors DataFrame, source)`` of loadings: EFA pattern loadings when present
    (they show cross-loadings; ``source`` ``"efa"``), else standardised CFA loadings
    (``"cfa"``); ``(None, "")`` when neither is there."""

    rows: list[tuple[str, str, float | None]] = []
    if m.efa is not None:
        rows = [(e.item, str(f), to_float(v)) for e in m.efa.loadings
                for f, v in e.factor_loadings().items()]
    source = "efa" if rows else ""
    if not rows and m.cfa is not None:
        rows = [(e.item, e.construct_id, to_float(e.std_all)) for e in m.cfa.loadings]
        source = "cfa" if rows else ""
    if not rows:
        return None, ""
    items = list(dict.fromkeys(r[0] for r in rows))
    factors = list(dict.fromkeys(r[1] for r in rows))
    mat = pd.DataFrame(float("nan"), index=items, columns=factors)
    for i, f, v in rows:
        mat.loc[i, f] = float("nan") if v is None else v
    if source == "efa":
        mat = _name_factors(mat, m.items)
    return mat, source


def _name_factors(mat, items):
    """Name each EFA factor after the construct most of its primary items belong to (when the
    names come out distinct)."""
    votes: dict[str, Counter] = {}
    for it in items:
        if it.efa_primary and it.construct_id:
            votes.setdefault(it.efa_primary, Counter())[it.construct_id] += 1
    rename = {f: f"{f}\n({votes[f].most_common(1)[0][0]})" for f in mat.columns if votes.get(f)}
    return mat.rename(columns=rename) if len(set(rename.values())) == len(rename) else mat


def add_loadings_figure(s: Section, loadings, source: str) -> None:
    """The loadings heat map, or a note that there are no loadings."""
    if loadings is None:
        s.add("note", "Loadings: not run (no EFA or CFA loadings in measurement.json).")
        return
    fig = F.loadings_heatmap(loadings, title="Exploratory factor loadings (pattern matrix)"
                             if source == "efa" else "Standardised CFA loadings",
                             exploratory=source == "efa")
    if fig:
        s.add("figure", fig)


def add_item_table(s: Section, m, loadings) -> None:
    """Item statistics and loadings (the columns that have values); without item statistics,
    the loadings matrix as a table."""
    if m.items:
        irows = [{**it.model_dump(by_alias=True), "reversed": "R" if it.reversed else ""}
                 for it in m.items]
        cols = [Column("item", "Item"), Column("construct", "Construct"),
                Column("reversed", "Rev."), Column("n", "n", "int"), Column("mean", "M", "num"),
                Column("sd", "SD", "num"), Column("r_drop", "r (drop)", "bounded"),
                Column("alpha_if_deleted", "α if deleted", "bounded"),
                Column("std_loading", "λ (CFA)", "bounded"),
                Column("efa_loading", "λ (EFA)", "bounded"), Column("cross_loading", "Cross-loading")]
        cols = [c for c in cols if any(r.get(c.key) not in (None, "") for r in irows)]
        s.add("table", Table("items", "Item statistics and loadings", cols, irows,
                             note="r (drop) = corrected item-total correlation; λ = standardised "
                                  "loading; Rev. = reverse-keyed item (already recoded)."))
    elif loadings is not None:
        rows = [{"item": i, **{f: to_float(v) for f, v in loadings.loc[i].items()}}
                for i in loadings.index]
        s.add("table", Table("loadings", "Loadings", [Column("item", "Item")] +
                             [Column(str(f), str(f), "bounded") for f in loadings.columns], rows))


# --------------------------------------------------------------------------- validity
def validity_matrix_table(vm) -> Table | None:
    """The construct x construct validity matrix (sqrt(AVE), latent correlations, HTMT)."""
    names = vm.constructs
    if not names:
        return None
    rows = []
    for i, r in enumerate(names):
        values = vm.values[i] if i < len(vm.values) else []
        rows.append({"construct": r, **{c: to_float(values[j]) if j < len(values) else None
                                        for j, c in enumerate(names)}})
    return Table("validity_matrix", "Validity matrix", [Column("construct", "Construct")] +
                 [Column(c, c, "bounded") for c in names], rows, _VALIDITY_NOTE)


def add_validity_tables(s: Section, m) -> None:
    """The validity matrix and the HTMT ratios with their bootstrap intervals."""
    shown = False
    t = validity_matrix_table(m.validity_matrix) if m.validity_matrix is not None else None
    if t:
        s.add("table", t)
        shown = True
    pairs = m.validity.htmt_pairs if m.validity is not None else []
    if pairs:
        rows = [{"pair": f"{fmt_value(x.a)} – {fmt_value(x.b)}", "htmt": x.htmt,
                 "ci": (x.ci_lower, x.ci_upper), "verdict": fmt_value(x.verdict)} for x in pairs]
        s.add("table", Table("htmt", "HTMT with bootstrap confidence intervals", [
            Column("pair", "Constructs"), Column("htmt", "HTMT", "bounded"),
            Column("ci", "95% CI", "ci"), Column("verdict", "Verdict")], rows))
        shown = True
    if not shown:
        s.add("note", "Validity matrix: not run.")


# --------------------------------------------------------------------------- invariance
def add_invariance_table(s: Section, inv) -> None:
    """The invariance sequence: fit and change in fit of each step, with the group sizes.

    lavaan's names: chi2/cfi/rmsea are the standard statistics; with MLR/WLSMV the rule uses
    the robust indices and the scaled chi-square, shown (and labelled) instead."""
    rob = any(st.fit_indices == "robust" for st in inv.steps)
    rows = [{"name": st.name, "chi2": st.chi2_scaled if rob else st.chi2, "df": st.df,
             "cfi": st.cfi_robust if rob else st.cfi,
             "rmsea": st.rmsea_robust if rob else st.rmsea, "srmr": st.srmr,
             "dcfi": st.delta_cfi_robust if rob else st.delta_cfi,
             "drmsea": st.delta_rmsea_robust if rob else st.delta_rmsea,
             "lrt_p": st.lrt.pvalue if st.lrt is not None else None, "held": st.held,
             "freed": ", ".join(map(str, st.freed))} for st in inv.steps]
    if inv.n_per_group:
        s.add("p", "Invariance groups: " + ", ".join(
            f"{GROUP_LABELS.get(_group_key(k), k)} (n = {fmt_value(v)})"
            for k, v in inv.n_per_group.items()) + ".")
    group = inv.group if inv.group is not None else "born-global definition"
    s.add("table", Table("invariance", "Measurement invariance across groups", [
        Column("name", "Model"), Column("chi2", "χ² (scaled)" if rob else "χ²", "num"),
        Column("df", "df", "int"),
        Column("cfi", "CFI (robust)" if rob else "CFI", "bounded", 3),
        Column("rmsea", "RMSEA (robust)" if rob else "RMSEA", "bounded", 3),
        Column("srmr", "SRMR", "bounded", 3), Column("dcfi", "ΔCFI (robust)" if rob else "ΔCFI", "num", 3),
        Column("drmsea", "ΔRMSEA (robust)" if rob else "ΔRMSEA", "num", 3),
        Column("lrt_p", "p (scaled Δχ²)" if rob else "p (LRT)", "p"),
        Column("held", "Held", "text"), Column("freed", "Freed parameters")], rows,
        note=f"Grouping: {fmt_value(group)}. "
             f"Highest level of invariance held: {fmt_value(inv.level)}. "
             f"Rule: {fmt_value(inv.rule)}."))


def no_invariance_note(propositions) -> str:
    """Why there is no invariance table, with the level the latent cross-check of the
    proposition tests reached (its evidence rows' ``invariance_level``) when there is one."""
    level = None
    for _, block in _blocks(propositions or {}):
        evidence = block.get("evidence")
        for e in evidence if isinstance(evidence, list) else []:
            if isinstance(e, dict) and e.get("invariance_level"):
                level = e["invariance_level"]
    return ("Invariance table: not run (no invariance steps in the results folder; write "
            "`rsnprop invariance ... --json` to RESULTS_DIR/invariance.json)."
            + (f" The latent cross-check of the proposition tests reached the "
               f"'{fmt_value(level)}' level." if level else ""))


# --------------------------------------------------------------------------- common method
def add_cmv_lists(s: Section, m) -> None:
    """One definition list per common-method check that was run."""
    for key, val in m.cmv.items():
        pairs = _scalars(val) if val is not None else []
        if pairs:
            s.add("dl", pairs, f"Common-method variance: {words(key)}")


def _dedupe_warnings(messages: list[str]) -> list[str]:
    """One warning per problem: ``"validity: construct x: AVE below 0.5"`` and ``"construct x:
    AVE below 0.5"`` (the same check, reported by the measurement run and by its validity
    part) are one warning."""
    out: list[str] = []
    seen: set[str] = set()
    for msg in messages:
        head, _, rest = msg.partition(": ")
        key = rest if rest and " " not in head and rest in messages else msg
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out
