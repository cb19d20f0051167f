"""Measurement model: reliability, fit, loadings heat map, item statistics, validity matrix, HTMT,
invariance, common-method checks.
"""

from __future__ import annotations

from collections import Counter

from .. import figures as F
from ..fmt import fmt_num, fmt_value, to_float
from ..tables import Column, Table
from ..typed import stage_output
from .languages import add_language_subsection
from .base import (
    GROUP_LABELS, Section, pick, _list, _not_run, _missing_reason, _records, _scalars,
    _generic_blocks, _warnings, _p_text, _group_key, _blocks, words,
)


def _loadings_matrix(meas: dict):
    """Items x factors DataFrame of loadings: EFA pattern loadings when present (they show
    cross-loadings), else standardised CFA loadings; ``None`` when neither is there."""
    import pandas as pd

    efa = pick(meas, "efa", default={}) or {}
    rows: list[tuple[str, str, float | None]] = []
    source = ""
    efa_load = pick(efa, "loadings")
    if isinstance(efa_load, list):
        for e in efa_load:
            if not isinstance(e, dict):
                continue
            item = str(pick(e, "item", "variable", default=""))
            for k, v in e.items():
                if k in ("item", "variable", "h2", "u2", "com", "complexity", "primary",
                         "cross_loadings", "cross_loading", "construct", "communality",
                         "uniqueness", "primary_loading"):
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    rows.append((item, str(k), to_float(v)))
        source = "efa" if rows else ""
    if not rows:
        cfa = pick(meas, "cfa", default={}) or {}
        est = pick(cfa, "estimates") or pick(meas, "estimates")
        if isinstance(est, list):
            for e in est:
                if isinstance(e, dict) and e.get("op") == "=~":
                    rows.append((str(e.get("rhs")), str(e.get("lhs")),
                                 to_float(pick(e, "std_all", "std", "est"))))
        load = pick(meas, "loadings") or pick(cfa, "loadings")
        if not rows and isinstance(load, dict):
            for f, items in load.items():
                if isinstance(items, dict):
                    rows += [(str(i), str(f), to_float(v)) for i, v in items.items()]
        elif not rows and isinstance(load, list):
            for e in load:
                if isinstance(e, dict):
                    rows.append((str(pick(e, "item", "rhs")),
                                 str(pick(e, "construct", "factor", "lhs")),
                                 to_float(pick(e, "std_all", "loading", "est"))))
        source = "cfa" if rows else ""
    if not rows:
        return None, ""
    items = list(dict.fromkeys(r[0] for r in rows))
    factors = list(dict.fromkeys(r[1] for r in rows))
    m = pd.DataFrame(float("nan"), index=items, columns=factors)
    for i, f, v in rows:
        m.loc[i, f] = float("nan") if v is None else v
    if source == "efa":
        # name each EFA factor after the construct most of its primary items belong to
        votes: dict[str, Counter] = {}
        for it in _list(pick(meas, "items")):
            if isinstance(it, dict) and it.get("efa_primary") and it.get("construct"):
                votes.setdefault(str(it["efa_primary"]), Counter())[str(it["construct"])] += 1
        rename = {f: f"{f}\n({votes[f].most_common(1)[0][0]})" for f in factors if votes.get(f)}
        if len(set(rename.values())) == len(rename):
            m = m.rename(columns=rename)
    return m, source


def _matrix_table(mat, id: str, title: str, note: str, *, full: bool = False) -> Table | None:
    """A construct x construct matrix: a dict of dicts, a list of {row, col, value}, or
    ``{"constructs": [...], "values": [[...]]}``.  ``full`` keeps the upper triangle."""
    cells: dict[tuple[str, str], object] = {}
    names: list[str] = []
    if isinstance(mat, dict) and isinstance(mat.get("constructs"), list) and \
            isinstance(mat.get("values"), list):
        names = [str(c) for c in mat["constructs"]]
        for i, r in enumerate(names):
            for j, c in enumerate(names):
                try:
                    cells[(r, c)] = mat["values"][i][j]
                except (IndexError, TypeError):
                    pass
    elif isinstance(mat, dict):
        for r, inner in mat.items():
            if isinstance(inner, dict):
                for c, v in inner.items():
                    cells[(str(r), str(c))] = v
    elif isinstance(mat, list):
        for e in mat:
            if isinstance(e, dict):
                r = pick(e, "row", "a", "construct_1", "lhs")
                c = pick(e, "col", "b", "construct_2", "rhs")
                cells[(str(r), str(c))] = pick(e, "value", "htmt", "r", "est")
    if not cells:
        return None
    if not names:
        names = list(dict.fromkeys([k[0] for k in cells] + [k[1] for k in cells]))
    rows = []
    for i, r in enumerate(names):
        row = {"construct": r}
        for j, c in enumerate(names):
            v = cells.get((r, c))
            if v is None and not full:
                v = cells.get((c, r))
            row[c] = to_float(v) if (full or j <= i) else None
        rows.append(row)
    return Table(id, title, [Column("construct", "Construct")] +
                 [Column(c, c, "bounded") for c in names], rows, note)


def _efa_sentence(efa: dict, m: dict) -> str:
    """KMO, Bartlett and the number of factors, saying why that many were extracted."""
    n, n_total = pick(efa, "n"), pick(m, "n_rows")
    sample = ""
    if n is not None:
        sample = f" on n = {fmt_value(n)}" + (f" of {fmt_value(n_total)} firms" if n_total else " firms") \
            + (f" ({fmt_value(pick(efa, 'missing'))} deletion)" if pick(efa, "missing") else "")
    text = (f"Exploratory factor analysis{sample}: KMO = {fmt_num(pick(efa, 'kmo'))}; Bartlett "
            f"χ²({fmt_value(pick(efa, 'bartlett_df'))}) = {fmt_num(pick(efa, 'bartlett_chi2'))}, "
            f"{_p_text(pick(efa, 'bartlett_pvalue'))}. {fmt_value(pick(efa, 'nfactors'))} factors "
            f"extracted ({fmt_value(pick(efa, 'fm'))}, {fmt_value(pick(efa, 'rotation'))} rotation)")
    constructs = pick(efa, "factor_constructs")
    k, pa = to_float(pick(efa, "nfactors")), to_float(pick(efa, "parallel_analysis_factors"))
    if isinstance(constructs, dict) and k is not None and len(constructs) == k:
        text += ": one per construct of the instrument, the structure the CFA below tests"
    if pa is not None:
        text += f". Parallel analysis (Horn, 1965) suggests {fmt_value(pick(efa, 'parallel_analysis_factors'))}"
        if k is not None and pa != k:
            text += (f"; it is reported as a check, not used to choose the number: with "
                     f"{'fewer' if pa < k else 'more'} factors, constructs of the instrument would be "
                     f"{'merged' if pa < k else 'split'}, and the item loadings below show whether "
                     "each construct forms its own factor")
    return text + "."


def _invariance(inputs):
    for src in (inputs.measurement, inputs.invariance,
                pick(inputs.propositions, "auxiliary", default={})):
        if not isinstance(src, dict):
            continue
        inv = src if "steps" in src else pick(src, "invariance")
        if isinstance(inv, dict) and inv.get("steps"):
            return inv
    return None


def measurement_section(inputs) -> Section:
    s = Section("measurement", "Measurement model")
    m = inputs.measurement
    if m is None:
        return _not_run(s, _missing_reason(inputs, "measurement.json"))
    labels = pick(m, "labels")
    labels = labels if isinstance(labels, dict) else {}
    validity = pick(m, "validity", default={}) or {}
    per_construct = {str(k): v for k, v in (pick(validity, "constructs", default={}) or {}).items()
                     if isinstance(v, dict)} if isinstance(pick(validity, "constructs"), dict) else {}
    rel = pick(m, "reliability_table")
    rel = rel if isinstance(rel, list) and rel else _records(pick(m, "reliability"),
                                                              "construct")
    if rel:
        rows = []
        for r in rel:
            name = str(pick(r, "construct", "scale", "name", default=""))
            v = per_construct.get(name, {})
            items = pick(r, "items")
            label = pick(r, "label", default=labels.get(name))
            rows.append({
                "construct": f"{label} ({name})" if label and label != name else name,
                "k": pick(r, "n_items", "k", default=len(items) if isinstance(items, list) else None),
                "n": pick(r, "n"),
                "alpha": pick(r, "alpha"),
                "alpha_ci": (pick(r, "alpha_ci_lower"), pick(r, "alpha_ci_upper")),
                "omega": pick(r, "omega_total", "omega"),
                "cr": pick(r, "cr", "composite_reliability", default=pick(v, "cr", "CR")),
                "ave": pick(r, "ave", default=pick(v, "ave", "AVE")),
            })
        s.add("table", Table("reliability", "Reliability and convergent validity by construct", [
            Column("construct", "Construct"), Column("k", "Items", "int"), Column("n", "n", "int"),
            Column("alpha", "α", "bounded"), Column("alpha_ci", "95% CI", "ci"),
            Column("omega", "ω total", "bounded"), Column("cr", "CR", "bounded"),
            Column("ave", "AVE", "bounded")], rows,
            note="α = Cronbach's alpha (Feldt CI); ω = McDonald's omega total; CR = composite "
                 "reliability and AVE = average variance extracted, from the CFA. Adequate: α, ω, "
                 "CR ≥ .70; AVE ≥ .50."))
    else:
        s.add("note", "Reliability: not run.")
    skipped = pick(m, "skipped")
    if isinstance(skipped, list) and skipped:
        s.add("note", "Not measured: " + "; ".join(
            f"{fmt_value(pick(x, 'construct'))} ({fmt_value(pick(x, 'reason'))})"
            for x in skipped if isinstance(x, dict)) + ".")
    efa = pick(m, "efa")
    if isinstance(efa, dict) and efa:
        s.add("p", _efa_sentence(efa, m))
    cfa = pick(m, "cfa", default={}) or {}
    fit = pick(cfa, "fit", default=None) or pick(m, "fit", default=None)
    if isinstance(fit, dict) and fit:
        row = {"n": pick(cfa, "n", default=pick(m, "n", "n_rows")), "chi2": pick(fit, "chi2"),
               "df": pick(fit, "df"), "p": pick(fit, "pvalue"), "cfi": pick(fit, "cfi"),
               "tli": pick(fit, "tli"), "rmsea": pick(fit, "rmsea"),
               "rmsea_ci": (pick(fit, "rmsea_ci_lower"), pick(fit, "rmsea_ci_upper")),
               "srmr": pick(fit, "srmr")}
        s.add("table", Table("cfa_fit", "Fit of the confirmatory factor analysis", [
            Column("n", "n", "int"), Column("chi2", "χ²", "num"), Column("df", "df", "int"),
            Column("p", "p", "p"), Column("cfi", "CFI", "bounded", 3),
            Column("tli", "TLI", "bounded", 3), Column("rmsea", "RMSEA", "bounded", 3),
            Column("rmsea_ci", "90% CI", "ci", 3), Column("srmr", "SRMR", "bounded", 3)], [row],
            note="Conventional cut-offs (Hu & Bentler, 1999): CFI and TLI ≥ .95, RMSEA ≤ .06, "
                 "SRMR ≤ .08." + ("" if pick(cfa, "converged", default=True) else
                                  " The CFA did NOT converge: interpret with care.")
                 + (f" Missing data: {fmt_value(pick(pick(m, 'settings'), 'cfa_missing'))}."
                    if pick(pick(m, "settings"), "cfa_missing") else "")))
    loadings, source = _loadings_matrix(m)
    if loadings is not None:
        fig = F.loadings_heatmap(loadings, title="Exploratory factor loadings (pattern matrix)"
                                 if source == "efa" else "Standardised CFA loadings",
                                 exploratory=source == "efa")
        if fig:
            s.add("figure", fig)
    else:
        s.add("note", "Loadings: not run (no EFA or CFA loadings in measurement.json).")
    items = pick(m, "items")
    if isinstance(items, list) and items and all(isinstance(x, dict) for x in items):
        irows = [{**x, "reversed": "R" if x.get("reversed") else ""} for x in items]
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
    vm = pick(m, "validity_matrix")
    shown = False
    if isinstance(vm, dict):
        t = _matrix_table(vm, "validity_matrix", "Validity matrix",
                          "Diagonal: square root of AVE; below the diagonal: latent correlations; "
                          "above: heterotrait-monotrait ratios (HTMT). Discriminant validity: each "
                          "diagonal value exceeds the correlations in its row and column "
                          "(Fornell & Larcker, 1981) and HTMT < .85 (Henseler et al., 2015).",
                          full=True)
        if t:
            s.add("table", t)
            shown = True
    if not shown:
        for mat, id_, title, note in (
                (pick(validity, "htmt", "HTMT"), "htmt",
                 "Discriminant validity: heterotrait-monotrait ratios (HTMT)",
                 "HTMT below .85 supports discriminant validity (Henseler et al., 2015)."),
                (pick(validity, "fornell_larcker_matrix", "correlations"), "fornell_larcker",
                 "Fornell-Larcker criterion",
                 "Diagonal: square root of AVE; below: correlations between constructs.")):
            t = _matrix_table(mat, id_, title, note) if isinstance(mat, (dict, list)) else None
            if t:
                s.add("table", t)
                shown = True
    pairs = pick(validity, "htmt_pairs")
    if isinstance(pairs, list) and pairs:
        prow = [{"pair": f"{fmt_value(pick(x, 'a'))} – {fmt_value(pick(x, 'b'))}",
                 "htmt": pick(x, "htmt"), "ci": (pick(x, "ci_lower"), pick(x, "ci_upper")),
                 "verdict": fmt_value(pick(x, "verdict"))} for x in pairs if isinstance(x, dict)]
        s.add("table", Table("htmt", "HTMT with bootstrap confidence intervals", [
            Column("pair", "Constructs"), Column("htmt", "HTMT", "bounded"),
            Column("ci", "95% CI", "ci"), Column("verdict", "Verdict")], prow))
        shown = True
    if not shown:
        s.add("note", "Validity matrix: not run.")
    inv = _invariance(inputs)
    if inv:
        steps = _records(pick(inv, "steps"), "name")
        # lavaan's names: chi2/cfi/rmsea are standard; with MLR/WLSMV the rule uses the robust
        # indices and the scaled chi-square, shown (and labelled) instead
        rob = any(pick(st, "fit_indices") == "robust" for st in steps)
        sfx, csfx = ("_robust", "_scaled") if rob else ("", "")
        rows = [{"name": pick(st, "name", default=""), "chi2": pick(st, "chi2" + csfx),
                 "df": pick(st, "df"), "cfi": pick(st, "cfi" + sfx), "rmsea": pick(st, "rmsea" + sfx),
                 "srmr": pick(st, "srmr"), "dcfi": pick(st, "delta_cfi" + sfx),
                 "drmsea": pick(st, "delta_rmsea" + sfx),
                 "lrt_p": pick(pick(st, "lrt", default={}), "pvalue"),
                 "held": pick(st, "held"),
                 "freed": ", ".join(map(str, _list(pick(st, "freed"))))} for st in steps]
        n_per = pick(inv, "n_per_group")
        if isinstance(n_per, dict) and n_per:
            s.add("p", "Invariance groups: " + ", ".join(
                f"{GROUP_LABELS.get(_group_key(k), k)} (n = {fmt_value(v)})" for k, v in n_per.items()) + ".")
        s.add("table", Table("invariance", "Measurement invariance across groups", [
            Column("name", "Model"), Column("chi2", "χ² (scaled)" if rob else "χ²", "num"),
            Column("df", "df", "int"),
            Column("cfi", "CFI (robust)" if rob else "CFI", "bounded", 3),
            Column("rmsea", "RMSEA (robust)" if rob else "RMSEA", "bounded", 3),
            Column("srmr", "SRMR", "bounded", 3), Column("dcfi", "ΔCFI (robust)" if rob else "ΔCFI", "num", 3),
            Column("drmsea", "ΔRMSEA (robust)" if rob else "ΔRMSEA", "num", 3),
            Column("lrt_p", "p (scaled Δχ²)" if rob else "p (LRT)", "p"),
            Column("held", "Held", "text"), Column("freed", "Freed parameters")], rows,
            note=f"Grouping: {fmt_value(pick(inv, 'group', default='born-global definition'))}. "
                 f"Highest level of invariance held: {fmt_value(pick(inv, 'level'))}. "
                 f"Rule: {fmt_value(pick(inv, 'rule', default='ΔCFI ≥ −.010 and ΔRMSEA ≤ .015 (Chen, 2007)'))}."))
    else:
        level = None
        for _, block in _blocks(inputs.propositions or {}):
            for e in _list(pick(block, "evidence")):
                if isinstance(e, dict) and pick(e, "invariance_level"):
                    level = pick(e, "invariance_level")
        s.add("note", "Invariance table: not run (no invariance steps in the results folder; "
                      "write `rsnprop invariance ... --json` to RESULTS_DIR/invariance.json)."
              + (f" The latent cross-check of the proposition tests reached the "
                 f"'{fmt_value(level)}' level." if level else ""))
    add_language_subsection(s, stage_output(inputs, "propositions.json"))  # docs/languages.md
    cmv = pick(m, "cmv", "common_method")
    if isinstance(cmv, dict):
        for key, val in cmv.items():
            if isinstance(val, dict):
                pairs_ = _scalars(val)
                if pairs_:
                    s.add("dl", pairs_, f"Common-method variance: {words(key)}")
    elif cmv is not None:
        _generic_blocks(s, cmv, "cmv", "Common-method variance")
    w = _dedupe_warnings(_warnings(m, cfa, validity, inv))
    if w:
        s.add("warnings", w)
    return s


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
