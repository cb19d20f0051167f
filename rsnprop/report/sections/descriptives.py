"""Descriptives by group: born-global definitions, means and SDs, sectors, free-text answers."""

from __future__ import annotations

import pandas as pd

from ..tables import Column, Table
from .base import BG_DEFINITIONS, Section, _missing_reason, _not_run, group_column

_DESCRIBE = [
    ("score_relational", "Relational benefits (score)"),
    ("score_informational", "Informational benefits (score)"),
    ("score_risk_reduction", "Reliability and risk reduction (score)"),
    ("score_intl_approach", "Internationalisation approach (score)"),
    ("years_to_first_foreign_sale", "Years to first foreign sale"),
    ("foreign_share_y3", "Foreign sales share, year 3 (%)"),
    ("foreign_share_now", "Foreign sales share, now (%)"),
    ("n_countries", "Countries served"),
    ("n_continents", "Continents served"),
    ("employees", "Employees"),
]
#: answer codes of the instrument's ``phase`` item
PHASES = {1: "1. Before the first foreign operation", 2: "2. After a few occasional opportunities",
          3: "3. After the first regular foreign operation",
          4: "4. Established in several foreign markets"}
_CATEGORICAL = {"sector", "role", "turnover_band", "balance_band", "resp_id", "consent", "phase"}


def descriptives_section(inputs) -> Section:
    """Group sizes per born-global definition, means and SDs by group (R: ``tapply(x, g,
    mean)``, ``tapply(x, g, sd)``, SD with n - 1), sectors by group, free-text answers."""
    s = Section("descriptives", "Descriptives by group")
    df = inputs.clean
    if df is None:
        return _not_run(s, _missing_reason(inputs, "clean.parquet"))
    gcol = group_column(inputs)
    if gcol:
        how = f"{gcol}" + (f": {BG_DEFINITIONS[gcol]}" if gcol in BG_DEFINITIONS else "")
    else:
        how = "(no born-global column found)"
    s.add("p", f"{len(df)} firms in the clean data set; born globals are defined by {how}.")
    add_classification_table(s, df)
    add_means_table(s, df, gcol)
    if gcol and "sector" in df.columns:
        add_sector_table(s, df, gcol)
    if gcol and "phase" in df.columns:
        add_phase_table(s, df, gcol)
    add_free_text(s, df)
    return s


def add_classification_table(s: Section, df) -> None:
    """Born globals, traditional and unclassified firms under each binary ``bg_`` column."""

    def binary(c) -> bool:
        v = pd.to_numeric(df[c], errors="coerce").dropna()
        return len(v) > 0 and set(v.unique().tolist()) <= {0, 1}

    bg = [c for c in df.columns if c.startswith("bg_") and binary(c)]
    if not bg:
        return
    rows = []
    for c in bg:
        v = pd.to_numeric(df[c], errors="coerce")
        rows.append({"definition": c, "born_global": int((v == 1).sum()),
                     "traditional": int((v == 0).sum()), "unclassified": int(v.isna().sum())})
    s.add("table", Table("classification", "Born globals under each definition", [
        Column("definition", "Definition"), Column("born_global", "Born global", "int"),
        Column("traditional", "Traditional", "int"),
        Column("unclassified", "Unclassified", "int")], rows,
        note="bg_ms20: at least 20% foreign sales within 3 years of founding (Madsen & "
             "Servais, 1997); bg_kc25: at least 25% (Knight & Cavusgil, 2004); bg_true: "
             "true born global (Kuivalainen et al., 2007); other bg_ columns: further "
             "definitions computed by the cleaning step."))


def add_means_table(s: Section, df, gcol: str | None) -> None:
    """n, mean and SD (n - 1) of the scores and facts of :data:`_DESCRIBE`, by group."""

    variables = [(c, lab) for c, lab in _DESCRIBE if c in df.columns]
    if not variables:
        s.add("note", "No score or fact columns found in the clean data.")
        return
    if not gcol:
        return
    g = pd.to_numeric(df[gcol], errors="coerce")
    rows = []
    for c, lab in variables:
        x = pd.to_numeric(df[c], errors="coerce")
        row = {"variable": lab}
        for key, mask in (("trad", g == 0), ("bg", g == 1)):
            xs = x[mask].dropna()
            row[f"{key}_n"] = int(xs.size)
            row[f"{key}_m"] = float(xs.mean()) if xs.size else None
            row[f"{key}_sd"] = float(xs.std(ddof=1)) if xs.size > 1 else None
        rows.append(row)
    s.add("table", Table("descriptives", "Means and standard deviations by group (born global: "
                         f"{BG_DEFINITIONS.get(gcol, gcol)})", [
        Column("variable", "Variable"),
        Column("trad_n", "Traditional n", "int"), Column("trad_m", "M", "num"),
        Column("trad_sd", "SD", "num"),
        Column("bg_n", "Born global n", "int"), Column("bg_m", "M", "num"),
        Column("bg_sd", "SD", "num")], rows,
        note="M = mean; SD = standard deviation (n - 1). Scale scores are means of the "
             "answered items on the instrument's response scale."))


def add_sector_table(s: Section, df, gcol: str) -> None:
    """Firms by sector (NACE section) and group."""

    g = pd.to_numeric(df[gcol], errors="coerce")
    tab = pd.crosstab(df["sector"].astype("string").fillna("(missing)"), g)
    rows = [{"sector": str(idx), "trad": int(r.get(0, 0)), "bg": int(r.get(1, 0))}
            for idx, r in tab.sort_index().iterrows()]
    s.add("table", Table("sector", "Firms by sector (NACE section) and group", [
        Column("sector", "Sector"), Column("trad", "Traditional", "int"),
        Column("bg", "Born global", "int")], rows))


def add_phase_table(s: Section, df, gcol: str) -> None:
    """Firms by phase of internationalisation (:data:`PHASES`) and group."""

    g = pd.to_numeric(df[gcol], errors="coerce")
    ph = pd.to_numeric(df["phase"], errors="coerce")
    rows = []
    for code in sorted(ph.dropna().unique().tolist()):
        m = ph == code
        rows.append({"phase": PHASES.get(int(code), str(code)) if code == int(code) else str(code),
                     "trad": int((m & (g == 0)).sum()), "bg": int((m & (g == 1)).sum())})
    if ph.isna().any():
        rows.append({"phase": "(missing)", "trad": int((ph.isna() & (g == 0)).sum()),
                     "bg": int((ph.isna() & (g == 1)).sum())})
    if rows:
        s.add("table", Table("phase", "Firms by phase of internationalisation and group", [
            Column("phase", "Phase"), Column("trad", "Traditional", "int"),
            Column("bg", "Born global", "int")], rows,
            note="Phase as reported by the firm (the case study's phases of the "
                 "internationalisation process)."))


def add_free_text(s: Section, df) -> None:
    """The non-empty answers of each free-text column (the first 50), one list per column."""

    cols = list(df.columns)
    texts = []
    for c in cols:
        if c in _CATEGORICAL or c.startswith(("bg_", "score_")) or any(
                o.startswith(c + "_") for o in cols):  # select_multiple codes have dummies
            continue
        ser = df[c]
        if pd.api.types.is_object_dtype(ser.dtype) or pd.api.types.is_string_dtype(ser.dtype):
            vals = [str(v) for v in ser.dropna().tolist() if str(v).strip()]
            if vals:
                texts.append((c, vals))
    for c, vals in texts:
        s.add("details", vals[:50], f"Free-text answers: {c} ({len(vals)} non-empty"
                                    + (", first 50 shown)" if len(vals) > 50 else ")"))
