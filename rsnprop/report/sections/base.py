"""Shared pieces of the report sections: the :class:`Section`/:class:`Block` model, generic
JSON renderers (``_records``, ``generic_table``...), normalised evidence rows and constants.

Producers' values are read by the one name their stage writes (docs/schemas.md); a value that is
absent shows as a dash or "not run", never as a guess from another key.  All text is kept raw
here: escaping happens once, in the (autoescaped) template.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..fmt import fmt_ci, fmt_num, fmt_p, fmt_value, to_float
from ..tables import Column, Table


SECTION_IDS = ["summary", "plan", "cleaning", "descriptives", "measurement", "propositions",
               "multiverse", "panel", "power", "provenance"]

PROPOSITION_TEXT = {
    "P1": "Traditional (Uppsala-type) SMEs use digital social networks mainly for their "
          "informational benefits.",
    "P2": "Born-global SMEs use digital social networks mainly for their relational benefits.",
}
_GROUP = {"P1": "traditional SMEs", "P2": "born globals"}
_PREDICTED = {"P1": ("informational", "relational"), "P2": ("relational", "informational")}

VERDICT_TEXT = {
    "supported": "The evidence supports {p}: {g} rate {a} benefits higher than {b} benefits.",
    "contradicted": "The evidence contradicts {p}: {g} rate {b} benefits higher than {a} "
                    "benefits, the opposite of the prediction.",
    "equivalent": "{p} is not supported: for {g} the difference between {a} and {b} benefits "
                  "lies within the preregistered equivalence bounds (practically no difference).",
    "inconclusive": "The data cannot decide {p}: the difference between {a} and {b} benefits "
                    "among {g} is neither clearly different from zero nor clearly within the "
                    "equivalence bounds.",
}
GROUP_LABELS = {0: "Traditional", 1: "Born global",  # also False and True (equal keys)
                "0": "Traditional", "1": "Born global", "False": "Traditional",
                "True": "Born global", "born_global": "Born global", "traditional": "Traditional"}
#: readable names of the group ids used in propositions.json
GROUP_TEXT = {"born_global": "born globals", "traditional": "traditional SMEs",
              "born_global vs traditional": "born globals vs traditional SMEs"}
#: born-global definitions of the clean data (CONTRIBUTING.md)
BG_DEFINITIONS = {
    "bg_ms20": "at least 20% of sales abroad within 3 years of founding (Madsen & Servais, 1997)",
    "bg_kc25": "at least 25% of sales abroad within 3 years of founding (Knight & Cavusgil, 2004)",
    "bg_true": "true born global (Kuivalainen et al., 2007)",
}


#: words for the JSON keys that reach the page (definition lists, generic tables, titles);
#: keys not listed are shown with their underscores as spaces (:func:`words`)
WORDS = {
    # common-method variance (measurement.json "cmv")
    "harman": "Harman's single-factor test", "common_latent_factor": "common latent factor (CLF)",
    "marker_variable": "marker variable", "n_items": "items", "fa_share":
    "variance share of the first factor (EFA)", "pc_share": "variance share of the first component (PCA)",
    "method_factor": "method factor", "method_variance": "variance explained by the method factor",
    "heywood": "Heywood case", "delta_threshold": "loading change flagged above",
    "n_flagged": "loadings changed by more than that", "chi2_base": "χ² without the method factor",
    "chi2_clf": "χ² with the common latent factor", "df_base": "df without the method factor",
    "df_clf": "df with the common latent factor", "chi2_diff": "Δχ² (likelihood ratio)",
    "df_diff": "Δdf", "p_diff": "p (Δχ²)",
    # power.json
    "power_bonferroni": "power at α / 3 (Bonferroni over P1, P2, joint)",
    "power_uncorrected": "power at α (uncorrected)",
    "pingouin_uncorrected": "power at α, uncorrected (pingouin cross-check)",
    "mean_analysed": "mean firms analysed", "mean_born_global": "mean born globals",
    "mean_traditional": "mean traditional firms", "plan_hash": "plan hash (SHA-256)",
    "failed": "failed replications", "target": "target power", "hash": "hash (SHA-256)",
    "retention": "firms retained after cleaning, by n",
    "dz_P1": "d_z of P1 (within traditional firms)", "dz_P2": "d_z of P2 (within born globals)",
    "d_joint": "d of the joint prediction (between groups)",
    # the plan (propositions.json "plan")
    "alpha": "α", "correction": "correction for multiple tests", "estimator": "estimator",
    "missing": "missing data", "born_global_definition": "born-global definition",
    "sesoi": "smallest effect size of interest (SESOI)", "benefits": "benefit types",
    "imputation": "multiple imputation", "m": "imputations (m)",
    # continuous analyses (propositions.json "continuous")
    "approach_slope": "internationalisation approach (slope)",
    "approach_slope_controls": "internationalisation approach (slope), with controls",
    "moderation_phase": "moderation by phase", "moderation_sector": "moderation by sector",
    # exclusion reasons (cleaning log)
    "not_sme": "not an SME", "too_many_missing": "too many missing answers",
    "attention_check": "failed attention check", "careless_indices": "careless-response indices",
    "not_decision_maker": "respondent not a decision maker",
    # careless-responding screens (cleaning log)
    "flag_longstring": "long strings of identical answers", "flag_irv":
    "too little variation across answers (IRV)", "flag_mahad": "multivariate outlier (Mahalanobis)",
    "flag_evenodd": "inconsistent answers on even/odd item halves",
    "flag_psychsyn": "inconsistent answers on near-synonymous items",
    "flag_psychant": "inconsistent answers on near-antonymous items",
    "flag_irv_block": "too little variation within a block of items (block IRV)",
    "flag_pattern": "answers following a pattern (diagonal, zigzag...)",
    "flag_person_total": "answers unlike the sample's (low person-total correlation)",
}


def words(key) -> str:
    """A JSON key as words for the reader: :data:`WORDS`, a born-global definition id as its
    definition, else the key with its underscores as spaces.

    >>> words("chi2_clf"), words("bg_ms20")[:30], words("not_internationalised")
    ('χ² with the common latent factor', 'at least 20% of sales abroad w', 'not internationalised')
    """
    k = str(key)
    if k in WORDS:
        return WORDS[k]
    if k in BG_DEFINITIONS:
        return BG_DEFINITIONS[k]
    return k.replace("_", " ")


@dataclass
class Block:
    """One piece of a section: ``kind`` in p, note, warnings, table, figure, dl, flow,
    verdicts, details, link (``data`` = (text, "#anchor", link text))."""

    kind: str
    data: object = None
    title: str = ""


@dataclass
class Section:
    id: str
    title: str
    status: str = "ok"  # "ok" | "not run"
    blocks: list[Block] = field(default_factory=list)
    reason: str = ""

    def add(self, kind: str, data=None, title: str = "") -> None:
        self.blocks.append(Block(kind, data, title))


# --------------------------------------------------------------------------- helpers
def _list(x) -> list:
    """``x`` if it is a list, else an empty list (producers' JSON is read defensively)."""
    return x if isinstance(x, list) else []


def _not_run(section: Section, why: str) -> Section:
    section.status = "not run"
    section.reason = why
    return section


def _missing_reason(inputs, fname: str) -> str:
    why = inputs.problems.get(fname, "missing")
    return f"Not run: {fname} is {why} in the results folder." if why == "missing" else \
        f"Not run: {fname} could not be read ({why})."


def _records(obj, key_name: str = "name") -> list[dict]:
    """A list of dicts from a list of dicts, or from a dict name -> dict."""
    if isinstance(obj, list):
        return [r for r in obj if isinstance(r, dict)]
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if isinstance(v, dict):
                out.append({key_name: k, **v})
            else:
                out.append({key_name: k, "value": v})
        return out
    return []


def _scalars(d: dict) -> list[tuple[str, str]]:
    """(key, formatted value) pairs of a dict's scalar (or short list) entries."""
    out = []
    for k, v in (d or {}).items():
        if k == "warnings" or isinstance(v, dict) or (
                isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v)):
            continue  # warnings go to the section's warning box; nested values to tables
        if isinstance(v, list) and len(v) > 12:
            out.append((words(k), fmt_value(v[:12], 3) + f", ... ({len(v)} in all)"))
            continue
        if isinstance(v, str) and v in BG_DEFINITIONS:
            v = f"{v}: {BG_DEFINITIONS[v]}"
        out.append((words(k), fmt_value(v, 3)))
    return out


def generic_table(rows: list[dict], id: str, title: str, note: str = "") -> Table | None:
    """A table of flat dicts with the union of their scalar keys (first-seen order)."""
    rows = [r for r in rows if isinstance(r, dict)]
    if not rows:
        return None
    keys: list[str] = []
    for r in rows:
        for k, v in r.items():
            if k not in keys and not isinstance(v, dict):
                keys.append(k)
    cols = []
    for k in keys:
        vals = [r.get(k) for r in rows if r.get(k) is not None]
        label = words(k)
        label = label[:1].upper() + label[1:]
        if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            cols.append(Column(k, label, "int"))
        elif vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            cols.append(Column(k, label, "p" if k in ("p", "pvalue", "p_value") else "num", 3))
        else:
            cols.append(Column(k, label, "text"))
    return Table(id, title, cols, rows, note)


def _generic_blocks(section: Section, obj, id: str, title: str) -> None:
    """Render an unknown JSON value: scalars as a definition list, lists of dicts as tables."""
    if isinstance(obj, dict):
        pairs = _scalars(obj)
        if pairs:
            section.add("dl", pairs, title)
        for k, v in obj.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                t = generic_table(v, f"{id}_{k}", f"{title}: {words(k)}")
                if t:
                    section.add("table", t)
            elif isinstance(v, dict) and v:
                if all(isinstance(x, dict) for x in v.values()):
                    t = generic_table(_records(v), f"{id}_{k}", f"{title}: {words(k)}")
                    if t:
                        section.add("table", t)
                else:
                    sub = _scalars(v)
                    if sub:
                        section.add("dl", sub, f"{title}: {words(k)}")
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        t = generic_table(obj, id, title)
        if t:
            section.add("table", t)
    elif obj is not None:
        section.add("p", fmt_value(obj))


def _warnings(*sources) -> list[str]:
    """The ``warnings`` of each JSON object, each message once."""
    out: list[str] = []
    for s in sources:
        w = s.get("warnings") if isinstance(s, dict) else None
        if isinstance(w, list):
            out += [fmt_value(x) for x in w if x is not None]
        elif isinstance(w, str):
            out.append(w)
    return list(dict.fromkeys(out))


def ci_level(ev, alpha: float = 0.05) -> float | None:
    """The level of an evidence row's interval: its ``ci_level``; for files written before
    rows carried one, ``1 - 2 alpha`` for equivalence (TOST) rows and 0.95 otherwise.

    >>> ci_level({"test": "TOST", "alternative": "equivalence"}), ci_level({"ci_level": 0.99})
    (0.9, 0.99)
    """
    level = to_float(ev.get("ci_level"))
    if level is not None:
        return level
    tost = ev.get("alternative") == "equivalence" or str(ev.get("test") or "").startswith("TOST")
    return round(1 - 2 * alpha, 6) if tost else 0.95


def p_sided(ev) -> str:
    """``"one-sided"`` or ``"two-sided"`` for the row's ``p_value`` (its ``p_sided``, else from
    ``alternative``: rows of ``rsnprop test`` are one-sided unless the alternative is
    two-sided); ``""`` when the row does not say."""
    s = ev.get("p_sided")
    if s in ("one-sided", "two-sided"):
        return s
    alt = ev.get("alternative")
    if alt is None:
        return ""
    return "two-sided" if alt == "two-sided" else "one-sided"


def level_text(level) -> str:
    """``0.9`` -> ``"90%"``."""
    return f"{round(100 * level, 1):g}%" if level is not None else ""


def _text(ev: dict, key: str) -> str:
    """``ev[key]`` for display, ``""`` when absent or null."""
    v = ev.get(key)
    return "" if v is None else fmt_value(v)


def effect_row(ev, alpha: float = 0.05) -> dict | None:
    """Normalise one evidence entry of propositions.json (:class:`rsnprop.schemas.Evidence`, a
    dict or the model) for tables and figures.

    Reads the keys ``rsnprop test`` writes, each by its one name: ``test, role, group, n,
    estimate, ci_lower, ci_upper, ci_level, effect_size, effect_size_name, es_ci_lower,
    es_ci_upper, p_value, p_sided, p_corrected, status, note`` (and ``alternative`` for the
    interval level and sidedness of files written before rows carried them).  ``alpha`` (the
    plan's) gives the level of TOST intervals in files that do not record ``ci_level``.

    >>> r = effect_row({"test": "paired t", "estimate": .56, "ci_lower": .41, "ci_upper": .71,
    ...                 "p_value": .001, "alternative": "greater"})
    >>> r["label"], r["ci"], r["p"], r["p_sided"], r["ci_level"]
    ('paired t', (0.41, 0.71), 0.001, 'one-sided', 0.95)
    """
    if hasattr(ev, "model_dump"):
        ev = ev.model_dump(by_alias=True)
    if not isinstance(ev, dict):
        return None
    est, es = to_float(ev.get("estimate")), to_float(ev.get("effect_size"))
    lo, hi = to_float(ev.get("ci_lower")), to_float(ev.get("ci_upper"))
    es_lo, es_hi = to_float(ev.get("es_ci_lower")), to_float(ev.get("es_ci_upper"))
    if est is None and es is not None:  # only a standardised estimate was reported
        est = es
    note, status, group = _text(ev, "note").strip(), _text(ev, "status"), _text(ev, "group")
    return {
        "label": fmt_value(ev["test"]) if ev.get("test") is not None else "evidence",
        "role": _text(ev, "role"),
        "group": GROUP_TEXT.get(group, group),
        "metric": _text(ev, "effect_size_name"),
        "estimate": est,
        "ci": (lo, hi),
        "ci_lower": lo,
        "ci_upper": hi,
        "es": es,
        "es_ci": (es_lo, es_hi),
        "es_ci_lower": es_lo,
        "es_ci_upper": es_hi,
        "p": to_float(ev.get("p_value")),
        "p_sided": p_sided(ev),
        "ci_level": ci_level(ev, alpha),
        "p_corrected": to_float(ev.get("p_corrected")),
        "n": ev.get("n"),
        "status": status if status and status != "ok" else "",
        "note": "; ".join(x for x in (note, status if status not in ("", "ok") else "") if x),
    }


def _p_text(p) -> str:
    t = fmt_p(p)
    return f"p {t}" if t.startswith(("<", ">")) else f"p = {t}"


def _evidence_sentence(row: dict) -> str:
    head = row["label"]
    ctx = ", ".join(x for x in (row["group"], f"n = {fmt_value(row['n'])}" if row["n"] is not None
                                else "") if x)
    if ctx:
        head += f" ({ctx})"
    parts = []
    if row["estimate"] is not None:
        ci = fmt_ci(row["ci_lower"], row["ci_upper"])
        level = level_text(row.get("ci_level", 0.95))
        parts.append("estimate " + fmt_num(row["estimate"]) + (f", {level} CI {ci}" if "[" in ci else ""))
    if row["es"] is not None and row["metric"]:
        ci = fmt_ci(row["es_ci_lower"], row["es_ci_upper"])
        parts.append(f"{row['metric']} = {fmt_num(row['es'])}" + (f", 95% CI {ci}" if "[" in ci else ""))
    side = f" ({row['p_sided']})" if row.get("p_sided") else ""
    if row["p"] is not None:
        parts.append(_p_text(row["p"]).replace("p", "p" + side, 1))
    if row["p_corrected"] is not None:
        parts.append("corrected " + _p_text(row["p_corrected"]).replace("p", "p" + side, 1))
    return head + (": " + "; ".join(parts) if parts else "")


_EVIDENCE_COLUMNS = [
    Column("label", "Test"), Column("role", "Role"), Column("group", "Group"),
    Column("n", "n", "int"), Column("estimate", "Estimate", "num"), Column("ci", "95% CI", "ci"),
    Column("metric", "Effect size"), Column("es", "ES", "num"), Column("es_ci", "95% CI (ES)", "ci"),
    Column("p", "p", "p"), Column("p_corrected", "p (corrected)", "p"), Column("note", "Note"),
]


def _split_by_label(rows: list[dict]) -> list[Column]:
    """Give every interval and p-value a column that names what it is: one CI column per
    interval level (``95% CI``, ``90% CI`` for TOST rows) and one p column per sidedness
    (``p (one-sided)``, ``p (two-sided)``); each row fills the columns that apply to it."""
    levels = sorted({r.get("ci_level") or 0.95 for r in rows}, reverse=True)
    sides = [s for s in ("one-sided", "two-sided", "") if any(r.get("p_sided", "") == s for r in rows)]
    for r in rows:
        for lv in levels:
            r[f"ci_{level_text(lv)}"] = r["ci"] if (r.get("ci_level") or 0.95) == lv else None
        for s in sides:
            r[f"p_{s}"] = r["p"] if r.get("p_sided", "") == s else None
            r[f"pc_{s}"] = r["p_corrected"] if r.get("p_sided", "") == s else None
    cols = []
    for c in _EVIDENCE_COLUMNS:
        if c.key == "ci":
            cols += [Column(f"ci_{level_text(lv)}", f"{level_text(lv)} CI", "ci") for lv in levels]
        elif c.key == "p":
            cols += [Column(f"p_{s}", f"p ({s})" if s else "p", "p") for s in sides]
        elif c.key == "p_corrected":
            cols += [Column(f"pc_{s}", f"p ({s}, corrected)" if s else "p (corrected)", "p")
                     for s in sides]
        else:
            cols.append(c)
    return cols


def evidence_table(rows: list[dict], id: str, title: str, note: str = "") -> Table:
    """An APA table of normalised evidence rows.

    Columns empty throughout are left out; each row's note becomes a footnote letter after the
    test name, explained in the table note (long notes would squeeze the table).  Intervals
    and p-values sit in columns named for their level and sidedness (:func:`_split_by_label`).
    """
    rows = [dict(r) for r in rows]
    columns = _split_by_label(rows)
    groups = {r.get("group") for r in rows}
    if len(rows) > 1 and len(groups) == 1 and next(iter(groups)):
        # one group throughout: said once in the note, the column would only squeeze the table
        columns = [c for c in columns if c.key != "group"]
        note = f"All rows: {next(iter(groups))}. " + note
    notes: list[str] = []
    for r in rows:
        text = r.get("note") or ""
        if text:
            if text not in notes:
                notes.append(text)
            r["label"] = f"{r['label']} ({_letter(notes.index(text))})"
    cols = [c for c in columns if c.key != "note" and (c.key == "label" or any(
        (r.get(c.key) not in (None, "", (None, None))) for r in rows))]
    foot = " ".join(f"({_letter(i)}) {t}." if not t.endswith(".") else f"({_letter(i)}) {t}"
                    for i, t in enumerate(notes))
    return Table(id, title, cols, rows, " ".join(x for x in (note, foot) if x))


def _letter(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def _field(doc, key: str):
    """``doc[key]`` of a JSON object that may be absent (None, or not an object)."""
    return doc.get(key) if isinstance(doc, dict) else None


def _propositions(props: dict | None) -> dict:
    """propositions.json's ``propositions``: proposition id -> its block."""
    p = _field(props, "propositions")
    return p if isinstance(p, dict) else {}


def _plan(inputs) -> dict:
    """propositions.json's ``plan`` (the plan's settings)."""
    plan = _field(inputs.propositions, "plan")
    return plan if isinstance(plan, dict) else {}


def plan_alpha(inputs) -> float:
    """The plan's alpha (0.05 when propositions.json does not give it)."""
    a = to_float(_plan(inputs).get("alpha"))
    return a if a is not None and 0 < a < 0.5 else 0.05


def _group_key(k):
    """'1.0' -> 1 so that group labels written as floats find their name."""
    f = to_float(k)
    return int(f) if f is not None and f == int(f) else k


def group_column(inputs) -> str | None:
    """The clean-data column that defines born globals (the plan's ``born_global_definition``,
    else the first of bg_ms20, bg_kc25, bg_true present)."""
    col = _plan(inputs).get("born_global_definition")
    df = inputs.clean
    cols = list(getattr(df, "columns", []))
    if isinstance(col, str) and col in cols:
        return col
    for c in ("bg_ms20", "bg_kc25", "bg_true"):
        if c in cols:
            return c
    return None


def _blocks(props_json) -> list[tuple[str, dict]]:
    """(id, block) of P1, P2, ... then the joint prediction, from propositions.json."""
    props = _propositions(props_json)
    out = [(pid, props[pid] if isinstance(props[pid], dict) else {"verdict": props[pid]})
           for pid in sorted(props)]
    joint = _field(props_json, "joint")
    if isinstance(joint, dict):
        out.append(("joint", joint))
    return out


def analysed_gap(inputs) -> tuple[int, list[str]] | None:
    """``(n analysed, reasons)`` when the proposition tests use fewer firms than the clean data
    holds: why the others are left out, in words (from propositions.json ``n``); None when
    there is nothing to explain."""
    n = _field(inputs.propositions, "n")
    if not isinstance(n, dict):
        return None
    used, total = n.get("n"), n.get("n_total")  # rows used of those given (house convention)
    if not isinstance(used, int) or not isinstance(total, int) or used >= total:
        return None
    bg = n.get("bg_definition") or ""
    reasons = []
    for key, text in (("unclassified", f"not classified as born global or traditional "
                                       f"({BG_SHORT.get(bg, bg)}: an answer it needs is "
                                       "missing)"),
                      ("missing_score", "without both benefit scores"),
                      ("excluded_by_rule", "excluded by the careless-response / complete-case rule")):
        k = n.get(key)
        if isinstance(k, int) and k:
            reasons.append(f"{k} {text}")
    if not reasons:
        reasons.append(f"{total - used} without a born-global classification or a benefit score")
    return used, reasons


#: born-global definitions in a few words (for sentences; BG_DEFINITIONS gives the sources)
BG_SHORT = {"bg_ms20": "born global = at least 20% of sales abroad within 3 years",
            "bg_kc25": "born global = at least 25% of sales abroad within 3 years",
            "bg_true": "true born global (Kuivalainen et al., 2007)"}
