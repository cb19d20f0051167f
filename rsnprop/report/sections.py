"""The report's sections, each built from the parsed results by one pure function.

A section is a :class:`Section` (id, title, status, and a list of :class:`Block`), which the
template renders in order.  Producers' JSON keys are read leniently (several common spellings)
so that a section shows what is there and says "not run" for what is not, instead of failing.
All text is kept raw here: escaping happens once, in the (autoescaped) template.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import figures as F
from .fmt import fmt_ci, fmt_int, fmt_num, fmt_p, fmt_value, to_float
from .tables import Column, Table

__all__ = ["Section", "Block", "SECTION_IDS", "build_sections", "effect_row",
           "PROPOSITION_TEXT", "VERDICT_TEXT"]

SECTION_IDS = ["summary", "plan", "cleaning", "descriptives", "measurement", "propositions",
               "multiverse", "power", "provenance"]

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
GROUP_LABELS = {0: "Traditional", 1: "Born global", False: "Traditional", True: "Born global",
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


@dataclass
class Block:
    """One piece of a section: ``kind`` in p, note, warnings, table, figure, dl, flow,
    verdicts, details."""

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
def pick(d, *names, default=None):
    """First present, non-None value of ``names`` in mapping ``d``."""
    if not isinstance(d, dict):
        return default
    for n in names:
        if n in d and d[n] is not None:
            return d[n]
    return default


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
            out.append((str(k), fmt_value(v[:12], 3) + f", ... ({len(v)} in all)"))
            continue
        out.append((str(k), fmt_value(v, 3)))
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
        if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            cols.append(Column(k, k, "int"))
        elif vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            cols.append(Column(k, k, "p" if k in ("p", "pvalue", "p_value") else "num", 3))
        else:
            cols.append(Column(k, k, "text"))
    return Table(id, title, cols, rows, note)


def _generic_blocks(section: Section, obj, id: str, title: str) -> None:
    """Render an unknown JSON value: scalars as a definition list, lists of dicts as tables."""
    if isinstance(obj, dict):
        pairs = _scalars(obj)
        if pairs:
            section.add("dl", pairs, title)
        for k, v in obj.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                t = generic_table(v, f"{id}_{k}", f"{title}: {k}")
                if t:
                    section.add("table", t)
            elif isinstance(v, dict) and v:
                if all(isinstance(x, dict) for x in v.values()):
                    t = generic_table(_records(v), f"{id}_{k}", f"{title}: {k}")
                    if t:
                        section.add("table", t)
                else:
                    sub = _scalars(v)
                    if sub:
                        section.add("dl", sub, f"{title}: {k}")
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        t = generic_table(obj, id, title)
        if t:
            section.add("table", t)
    elif obj is not None:
        section.add("p", fmt_value(obj))


def _warnings(*sources) -> list[str]:
    out: list[str] = []
    for s in sources:
        w = pick(s, "warnings") if isinstance(s, dict) else None
        if isinstance(w, list):
            out += [fmt_value(x) for x in w if x is not None]
        elif isinstance(w, str):
            out.append(w)
    return list(dict.fromkeys(out))


def effect_row(ev) -> dict | None:
    """Normalise one evidence entry (a dict from propositions.json) for tables and figures.

    Understands the keys of ``rsnprop test`` (``test, role, group, n, estimate, ci_lower,
    ci_upper, effect_size, effect_size_name, es_ci_lower, es_ci_upper, p_value, p_corrected,
    status, note``) and common alternatives (``est``, ``ci`` pair, ``p``, ``pvalue``, ``name``).
    """
    if not isinstance(ev, dict):
        return None
    est = to_float(pick(ev, "estimate", "est", "value", "difference", "diff", "mean_diff"))
    ci = pick(ev, "ci", "ci95")
    lo = pick(ev, "ci_lower", "ci_low", "lower", "ci_lo", "lo")
    hi = pick(ev, "ci_upper", "ci_high", "upper", "ci_hi", "hi")
    if (lo is None or hi is None) and isinstance(ci, (list, tuple)) and len(ci) == 2:
        lo, hi = ci
    es = to_float(pick(ev, "effect_size", "dz", "d", "g"))
    es_lo, es_hi = to_float(pick(ev, "es_ci_lower")), to_float(pick(ev, "es_ci_upper"))
    if est is None and es is not None:  # only a standardised estimate was reported
        est = es
    label = pick(ev, "label", "test", "name", "contrast", "description", "id", "kind",
                 default="evidence")
    note = fmt_value(pick(ev, "note", default="")).strip()
    status = fmt_value(pick(ev, "status", default=""))
    return {
        "label": fmt_value(label),
        "role": fmt_value(pick(ev, "role", default="")),
        "group": GROUP_TEXT.get(fmt_value(pick(ev, "group", default="")),
                                fmt_value(pick(ev, "group", default=""))),
        "metric": fmt_value(pick(ev, "effect_size_name", "metric", "measure", "es_type",
                                 default="")),
        "estimate": est,
        "ci": (to_float(lo), to_float(hi)),
        "ci_lower": to_float(lo),
        "ci_upper": to_float(hi),
        "es": es,
        "es_ci": (es_lo, es_hi),
        "es_ci_lower": es_lo,
        "es_ci_upper": es_hi,
        "p": to_float(pick(ev, "p_value", "pvalue", "p", "p_val")),
        "p_corrected": to_float(pick(ev, "p_corrected", "p_adjusted", "p_holm")),
        "n": pick(ev, "n", "n_obs", "n_firms"),
        "decision": fmt_value(pick(ev, "decision", "conclusion", "result", "interpretation",
                                   default="")),
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
        parts.append("estimate " + fmt_num(row["estimate"]) + (f", 95% CI {ci}" if "[" in ci else ""))
    if row["es"] is not None and row["metric"]:
        ci = fmt_ci(row["es_ci_lower"], row["es_ci_upper"])
        parts.append(f"{row['metric']} = {fmt_num(row['es'])}" + (f" {ci}" if "[" in ci else ""))
    if row["p"] is not None:
        parts.append(_p_text(row["p"]))
    if row["p_corrected"] is not None:
        parts.append("corrected " + _p_text(row["p_corrected"]))
    return head + (": " + "; ".join(parts) if parts else "")


_EVIDENCE_COLUMNS = [
    Column("label", "Test"), Column("role", "Role"), Column("group", "Group"),
    Column("n", "n", "int"), Column("estimate", "Estimate", "num"), Column("ci", "95% CI", "ci"),
    Column("metric", "Effect size"), Column("es", "ES", "num"), Column("es_ci", "95% CI (ES)", "ci"),
    Column("p", "p", "p"), Column("p_corrected", "p (corrected)", "p"), Column("note", "Note"),
]


def evidence_table(rows: list[dict], id: str, title: str, note: str = "") -> Table:
    """An APA table of normalised evidence rows.

    Columns empty throughout are left out; each row's note becomes a footnote letter after the
    test name, explained in the table note (long notes would squeeze the table).
    """
    rows = [dict(r) for r in rows]
    notes: list[str] = []
    for r in rows:
        text = r.get("note") or ""
        if text:
            if text not in notes:
                notes.append(text)
            r["label"] = f"{r['label']} ({_letter(notes.index(text))})"
    cols = [c for c in _EVIDENCE_COLUMNS if c.key != "note" and (c.key == "label" or any(
        (r.get(c.key) not in (None, "", (None, None))) for r in rows))]
    foot = " ".join(f"({_letter(i)}) {t}." if not t.endswith(".") else f"({_letter(i)}) {t}"
                    for i, t in enumerate(notes))
    return Table(id, title, cols, rows, " ".join(x for x in (note, foot) if x))


def _letter(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def _propositions(props: dict | None) -> dict:
    p = pick(props, "propositions", default={})
    return p if isinstance(p, dict) else {}


def _plan(inputs) -> dict:
    plan = pick(inputs.propositions, "plan", default={})
    return plan if isinstance(plan, dict) else {}


def _group_key(k):
    """'1.0' -> 1 so that group labels written as floats find their name."""
    f = to_float(k)
    return int(f) if f is not None and f == int(f) else k


def group_column(inputs) -> str | None:
    """The clean-data column that defines born globals (plan, else bg_ms20 if present)."""
    props, plan = inputs.propositions or {}, _plan(inputs)
    col = pick(props, "born_global_definition", "group", "group_column") or \
        pick(plan, "born_global_definition", "group", "group_column")
    df = inputs.clean
    cols = list(getattr(df, "columns", []))
    if isinstance(col, str) and col in cols:
        return col
    for c in ("bg_ms20", "bg_kc25", "bg_true"):
        if c in cols:
            return c
    return None


# --------------------------------------------------------------------------- sections
def _blocks(props_json) -> list[tuple[str, dict]]:
    """(id, block) of P1, P2, ... then the joint prediction, from propositions.json."""
    props = _propositions(props_json)
    out = [(pid, props[pid] if isinstance(props[pid], dict) else {"verdict": props[pid]})
           for pid in sorted(props)]
    joint = pick(props_json, "joint")
    if isinstance(joint, dict):
        out.append(("joint", joint))
    return out


_ROLE_ORDER = {"primary": 0, "equivalence": 1}


def simulated_note(inputs) -> str | None:
    """A warning when the data are simulated (every respondent id starts with ``SIM-``, the
    convention of ``rsnprop simulate``), so that nobody reads them as survey results."""
    ids: list[str] = []
    df = inputs.clean
    if df is not None and "resp_id" in getattr(df, "columns", []):
        ids = [str(x) for x in df["resp_id"].dropna().tolist()]
    if not ids and isinstance(inputs.cleaning_log, dict):
        ids = [str(e.get("id")) for e in _list(inputs.cleaning_log.get("excluded"))
               if isinstance(e, dict) and e.get("id") is not None]
    if ids and all(i.startswith("SIM-") for i in ids):
        return ("SIMULATED DATA: every respondent id starts with 'SIM-' (rsnprop simulate). "
                "These results illustrate the method; they say nothing about real firms.")
    return None


def summary_section(inputs) -> Section:
    s = Section("summary", "Summary of verdicts")
    sim = simulated_note(inputs)
    if sim:
        s.add("banner", sim)
    props = _propositions(inputs.propositions)
    if not props:
        return _not_run(s, _missing_reason(inputs, "propositions.json") if inputs.propositions is None
                        else "Not run: propositions.json holds no propositions.")
    cards = []
    for pid, entry in _blocks(inputs.propositions):
        verdict = str(pick(entry, "verdict", default="not reported"))
        if pid in _PREDICTED:
            a, b = _PREDICTED[pid]
            template = VERDICT_TEXT.get(verdict)
            plain = template.format(p=pid, g=_GROUP[pid], a=a, b=b) if template \
                else f"Verdict for {pid}: {verdict}."
        elif pid == "joint":
            plain = {"supported": "The relational-informational lean differs between born "
                                  "globals and traditional SMEs as P1 and P2 together predict.",
                     "contradicted": "The lean differs between the groups in the direction "
                                     "opposite to P1 and P2.",
                     "equivalent": "The lean is practically the same in both groups.",
                     "inconclusive": "The data cannot decide whether the lean differs between "
                                     "the groups."}.get(verdict, f"Joint verdict: {verdict}.")
        else:
            plain = f"Verdict for {pid}: {verdict}."
        raw = [e for e in _list(pick(entry, "evidence"))]
        rows = [r for r in (effect_row(e) for e in raw) if r]
        key = [r for r in rows if r["role"] in _ROLE_ORDER] or rows[:1]
        key.sort(key=lambda r: _ROLE_ORDER.get(r["role"], 9))
        evidence = [_evidence_sentence(r) for r in key[:3]]
        evidence += [str(e) for e in raw if isinstance(e, str)][:3]
        cards.append({"id": pid, "statement": pick(entry, "statement", "text",
                                                    default=PROPOSITION_TEXT.get(pid, "")),
                      "verdict": verdict, "css": verdict if verdict in VERDICT_TEXT else "other",
                      "plain": plain, "evidence": evidence,
                      "reason": fmt_value(pick(entry, "reason", "rationale", "rule", default=""))})
    s.add("verdicts", cards)
    n = pick(inputs.propositions, "n", default={})
    log = inputs.cleaning_log or {}
    parts = []
    if log:
        parts.append(f"{fmt_int(pick(log, 'n_kept'))} firms kept of {fmt_int(pick(log, 'n_in'))} "
                     "responses received")
    if isinstance(n, dict) and n:
        parts.append(f"{fmt_int(pick(n, 'analysed'))} analysed ({fmt_int(pick(n, 'born_global'))} "
                     f"born global, {fmt_int(pick(n, 'traditional'))} traditional)")
    if parts:
        s.add("p", "Sample: " + "; ".join(parts) + ".")
    s.add("note", "Verdicts follow the preregistered decision rules of the study plan (section 2): "
                  "supported = the predicted difference is significant after correction; "
                  "contradicted = the opposite difference is; equivalent = the difference lies "
                  "within the smallest effect size of interest; inconclusive = none of these.")
    return s


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
            pairs.append((key, fmt_value(v)))
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


def cleaning_section(inputs) -> Section:
    s = Section("cleaning", "Sample and cleaning flow")
    log = inputs.cleaning_log
    if log is None:
        return _not_run(s, _missing_reason(inputs, "cleaning_log.json"))
    n_in, n_kept, n_exc = (pick(log, "n_in"), pick(log, "n_kept"), pick(log, "n_excluded"))
    excluded = [e for e in _list(pick(log, "excluded")) if isinstance(e, dict)]
    steps = _records(pick(log, "steps"), "step")
    src = pick(log, "source", "raw_file", "raw_path")
    if src is not None:
        s.add("p", f"Raw export: {fmt_value(src)} (SHA-256 {fmt_value(pick(log, 'raw_sha256'))}).")
    flow = [{"label": "Responses received", "n": fmt_int(n_in), "excluded": []}]
    reason_step: dict[str, str] = {}
    for st in steps:
        name = fmt_value(pick(st, "step", "name", "label", "id", default="step"))
        removed = pick(st, "n_excluded", "excluded", "n_removed", "removed", "dropped")
        removed_n = removed if isinstance(removed, (int, float)) else (
            len(removed) if isinstance(removed, list) else None)
        after = pick(st, "n_after", "n_out", "n_kept", "n")
        reasons = pick(st, "reasons")
        lines = []
        if removed_n:
            lines.append(f"Excluded: n = {fmt_int(removed_n)}")
        if isinstance(reasons, dict):
            for code, k in reasons.items():
                reason_step[str(code)] = name
                lines.append(f"{code}: {fmt_value(k)}")
        detail = pick(st, "reason", "description", "detail", "rule")
        if detail is not None:
            lines.append(fmt_value(detail))
        if not removed_n and not (isinstance(reasons, dict) and reasons):
            lines = []
        flow.append({"label": name, "n": fmt_int(after) if after is not None else "",
                     "excluded": lines})
    flow.append({"label": "Analysed", "n": fmt_int(n_kept), "excluded": [], "final": True})
    s.add("flow", flow)
    s.add("note", "Each box gives the number of responses left after the step; beside it, the "
                  "responses excluded at that step and how many responses had each reason "
                  "(a response is excluded at its first failing step but all its reasons are "
                  "counted, so reason counts can exceed the exclusions).")
    counts = Counter(str(r) for e in excluded for r in _list(e.get("reasons")))
    if counts:
        rows = [{"reason": k, "step": reason_step.get(k, ""), "n": v, "share": v / len(excluded)}
                for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        cols = [Column("reason", "Reason")] + ([Column("step", "Step")] if reason_step else []) + [
            Column("n", "Excluded responses with this reason", "int"),
            Column("share", "% of excluded", "pct")]
        s.add("table", Table("exclusion_reasons", "Reasons for exclusion", cols, rows,
                             note="A response can be excluded for several reasons, so counts can "
                                  "add up to more than the number of excluded responses."))
    elif n_exc:
        s.add("note", "The cleaning log does not list the reasons for exclusion.")
    if all(isinstance(x, (int, float)) for x in (n_in, n_kept, n_exc)) and n_in != n_kept + n_exc:
        s.add("warnings", [f"Inconsistent counts: n_in = {n_in} but n_kept + n_excluded = "
                           f"{n_kept + n_exc}."])
    careless = pick(log, "careless")
    if isinstance(careless, dict) and isinstance(pick(careless, "flagged"), dict):
        pairs = [(k, fmt_value(v)) for k, v in careless["flagged"].items()]
        if pick(careless, "median_duration_sec") is not None:
            pairs.insert(0, ("median duration (s)", fmt_value(careless["median_duration_sec"])))
        s.add("dl", pairs, "Careless-responding screens (responses flagged)")
    pcounts = pick(log, "problem_counts")
    if isinstance(pcounts, list) and pcounts:
        t = generic_table(pcounts, "value_problems", "Value problems found while cleaning",
                          note=f"{fmt_value(pick(log, 'problems_total', default=''))} problems in "
                               "total; out-of-range or invalid values are set to missing (see "
                               "the list of problems below).")
        if t:
            s.add("table", t)
    problems = pick(log, "problems")
    if isinstance(problems, list) and problems:
        s.add("details", [f"row {fmt_value(pick(p, 'row'))}, id {fmt_value(pick(p, 'id'))}, "
                          f"column {fmt_value(pick(p, 'column'))}: {fmt_value(pick(p, 'reason'))} "
                          f"(value {fmt_value(pick(p, 'value'))})"
                          for p in problems[:200] if isinstance(p, dict)],
              f"Value problems ({len(problems)} listed"
              + (", first 200 shown)" if len(problems) > 200 else ")"))
    if excluded:
        s.add("details", [f"row {fmt_value(e.get('row'))}, id {fmt_value(e.get('id'))}: "
                          + "; ".join(map(str, _list(e.get("reasons")))) for e in excluded[:300]],
              f"Excluded responses ({len(excluded)}"
              + (", first 300 shown)" if len(excluded) > 300 else ")"))
    w = _warnings(log)
    if w:
        s.add("warnings", w)
    return s


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
_CATEGORICAL = {"sector", "role", "turnover_band", "balance_band", "resp_id", "consent", "phase"}


def descriptives_section(inputs) -> Section:
    """Group sizes per born-global definition, means and SDs by group (R: ``tapply(x, g,
    mean)``, ``tapply(x, g, sd)``, SD with n - 1), sectors by group, free-text answers."""
    s = Section("descriptives", "Descriptives by group")
    df = inputs.clean
    if df is None:
        return _not_run(s, _missing_reason(inputs, "clean.parquet"))
    import pandas as pd

    gcol = group_column(inputs)
    cols = list(df.columns)
    if gcol:
        how = f"{gcol}" + (f": {BG_DEFINITIONS[gcol]}" if gcol in BG_DEFINITIONS else "")
    else:
        how = "(no born-global column found)"
    s.add("p", f"{len(df)} firms in the clean data set; born globals are defined by {how}.")

    def _binary(c) -> bool:
        v = pd.to_numeric(df[c], errors="coerce").dropna()
        return len(v) > 0 and set(v.unique().tolist()) <= {0, 1}

    bg = [c for c in cols if c.startswith("bg_") and _binary(c)]
    if bg:
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
    variables = [(c, lab) for c, lab in _DESCRIBE if c in cols]
    if gcol and variables:
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
        s.add("table", Table("descriptives", f"Means and standard deviations by group ({gcol})", [
            Column("variable", "Variable"),
            Column("trad_n", "Traditional n", "int"), Column("trad_m", "M", "num"),
            Column("trad_sd", "SD", "num"),
            Column("bg_n", "Born global n", "int"), Column("bg_m", "M", "num"),
            Column("bg_sd", "SD", "num")], rows,
            note="M = mean; SD = standard deviation (n - 1). Scale scores are means of the "
                 "answered items on the instrument's response scale."))
    elif not variables:
        s.add("note", "No score or fact columns found in the clean data.")
    if gcol and "sector" in cols:
        g = pd.to_numeric(df[gcol], errors="coerce")
        tab = pd.crosstab(df["sector"].astype("string").fillna("(missing)"), g)
        rows = [{"sector": str(idx), "trad": int(r.get(0, 0)), "bg": int(r.get(1, 0))}
                for idx, r in tab.sort_index().iterrows()]
        s.add("table", Table("sector", "Firms by sector (NACE section) and group", [
            Column("sector", "Sector"), Column("trad", "Traditional", "int"),
            Column("bg", "Born global", "int")], rows))
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
    return s


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
        s.add("p", f"Exploratory factor analysis: KMO = {fmt_num(pick(efa, 'kmo'))}; Bartlett "
                   f"χ²({fmt_value(pick(efa, 'bartlett_df'))}) = {fmt_num(pick(efa, 'bartlett_chi2'))}, "
                   f"{_p_text(pick(efa, 'bartlett_pvalue'))}; parallel analysis suggests "
                   f"{fmt_value(pick(efa, 'parallel_analysis_factors'))} factor(s); "
                   f"{fmt_value(pick(efa, 'nfactors'))} extracted ({fmt_value(pick(efa, 'fm'))}, "
                   f"{fmt_value(pick(efa, 'rotation'))} rotation).")
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
                                  " The CFA did NOT converge: interpret with care.")))
    loadings, source = _loadings_matrix(m)
    if loadings is not None:
        fig = F.loadings_heatmap(loadings, title="Exploratory factor loadings (pattern matrix)"
                                 if source == "efa" else "Standardised CFA loadings")
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
        rows = [{"item": i, **{f: (None if v != v else v) for f, v in loadings.loc[i].items()}}
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
        rows = [{"name": pick(st, "name", default=""), "chi2": pick(st, "chi2"),
                 "df": pick(st, "df"), "cfi": pick(st, "cfi"), "rmsea": pick(st, "rmsea"),
                 "srmr": pick(st, "srmr"), "dcfi": pick(st, "delta_cfi"),
                 "drmsea": pick(st, "delta_rmsea"),
                 "lrt_p": pick(pick(st, "lrt", default={}), "pvalue"),
                 "held": pick(st, "held"),
                 "freed": ", ".join(map(str, _list(pick(st, "freed"))))} for st in steps]
        n_per = pick(inv, "n_per_group")
        if isinstance(n_per, dict) and n_per:
            s.add("p", "Invariance groups: " + ", ".join(
                f"{GROUP_LABELS.get(_group_key(k), k)} (n = {fmt_value(v)})" for k, v in n_per.items()) + ".")
        s.add("table", Table("invariance", "Measurement invariance across groups", [
            Column("name", "Model"), Column("chi2", "χ²", "num"), Column("df", "df", "int"),
            Column("cfi", "CFI", "bounded", 3), Column("rmsea", "RMSEA", "bounded", 3),
            Column("srmr", "SRMR", "bounded", 3), Column("dcfi", "ΔCFI", "num", 3),
            Column("drmsea", "ΔRMSEA", "num", 3), Column("lrt_p", "p (LRT)", "p"),
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
    cmv = pick(m, "cmv", "common_method")
    if isinstance(cmv, dict):
        for key, val in cmv.items():
            if isinstance(val, dict):
                pairs_ = _scalars(val)
                if pairs_:
                    s.add("dl", pairs_, f"Common-method variance: {key}")
    elif cmv is not None:
        _generic_blocks(s, cmv, "cmv", "Common-method variance")
    w = _warnings(m, cfa, validity, inv)
    if w:
        s.add("warnings", w)
    return s


def _forest_rows(inputs) -> tuple[list[dict], str]:
    """Standardised effect sizes for the forest plot (``effects`` list, else the evidence)."""
    props = inputs.propositions or {}
    effects = pick(props, "effects")
    rows = []
    source = effects if isinstance(effects, list) and effects else [
        {**e, "proposition": pid} for pid, block in _blocks(props)
        for e in _list(pick(block, "evidence")) if isinstance(e, dict)]
    for e in source:
        r = effect_row(e)
        if r is None:
            continue
        pid = str(pick(e, "proposition", default=""))
        use_es = r["es"] is not None
        est = r["es"] if use_es else r["estimate"]
        lo, hi = (r["es_ci_lower"], r["es_ci_upper"]) if use_es else (r["ci_lower"], r["ci_upper"])
        if est is None:
            continue
        metric = f" ({r['metric']})" if use_es and r["metric"] else ""
        rows.append({"label": f"{pid}: {r['label']}{metric}", "estimate": est, "ci_lower": lo,
                     "ci_upper": hi, "group": pid})
    return rows, "Standardised effect size (95% CI)"


def _aux_table(block: dict, id: str, title: str, note: str = "") -> Table | None:
    rows = []
    for key, ev in block.items():
        r = effect_row(ev) if isinstance(ev, dict) else None
        if r is None:
            continue
        rows.append({"id": key, "statement": fmt_value(pick(ev, "statement", default="")), **r})
    if not rows:
        return None
    t = evidence_table(rows, id, title, note)
    head = [Column("id", "Analysis")]
    if any(r["statement"] for r in rows):
        head.append(Column("statement", "Hypothesis"))
    t.columns = head + t.columns
    return t


def propositions_section(inputs) -> Section:
    s = Section("propositions", "Proposition tests")
    props = _propositions(inputs.propositions)
    if not props:
        return _not_run(s, _missing_reason(inputs, "propositions.json") if inputs.propositions is None
                        else "Not run: propositions.json holds no propositions.")
    plan = _plan(inputs)
    sesoi = pick(plan, "sesoi")
    if isinstance(sesoi, dict):
        s.add("p", f"Tests as preregistered: alpha = {fmt_value(pick(plan, 'alpha'))}, "
                   f"correction {fmt_value(pick(plan, 'correction'))}, smallest effect size of "
                   f"interest {fmt_value(pick(sesoi, 'value'))} ({fmt_value(pick(sesoi, 'unit'))}). "
                   "Estimates are differences in the predicted direction (positive = as "
                   "predicted), in scale points unless the note says otherwise.")
    for pid, entry in _blocks(inputs.propositions):
        evidence = [e for e in _list(pick(entry, "evidence"))]
        rows = [r for r in (effect_row(e) for e in evidence) if r]
        verdict = fmt_value(pick(entry, "verdict", default="no verdict"))
        statement = fmt_value(pick(entry, "statement", default=PROPOSITION_TEXT.get(pid, "")))
        reason = fmt_value(pick(entry, "reason", default=""))
        if rows:
            s.add("table", evidence_table(
                rows, f"evidence_{pid.lower()}", f"{pid} ({verdict}): {statement}",
                note=(f"Decision: {reason}. " if reason else "") +
                "ES = standardised effect size; p (corrected) = p after the plan's "
                "multiple-testing correction."))
        strings = [str(e) for e in evidence if isinstance(e, str)]
        if strings:
            s.add("dl", [(pid, x) for x in strings], f"{pid}: evidence")
        if not rows and not strings:
            s.add("note", f"{pid}: no evidence reported.")
    rows, xlabel = _forest_rows(inputs)
    bounds = None
    if isinstance(sesoi, dict) and to_float(pick(sesoi, "value")) is not None:
        v = abs(to_float(pick(sesoi, "value")))
        bounds = (-v, v)
    fig = F.forest_plot(rows, xlabel=xlabel, bounds=bounds)
    if fig:
        s.add("figure", fig)
    desc = pick(inputs.propositions, "descriptives")
    if isinstance(desc, list) and desc:
        drows = [{"group": fmt_value(pick(d, "group")), "benefit": fmt_value(pick(d, "benefit")),
                  "n": pick(d, "n"), "mean": pick(d, "mean"), "sd": pick(d, "sd"),
                  "ci": (pick(d, "ci_lower"), pick(d, "ci_upper"))} for d in desc if isinstance(d, dict)]
        s.add("table", Table("benefit_scores", "Benefit scores by group, as analysed", [
            Column("group", "Group"), Column("benefit", "Benefit"), Column("n", "n", "int"),
            Column("mean", "M", "num"), Column("sd", "SD", "num"), Column("ci", "95% CI", "ci")],
            drows, note="Scale scores (mean of items); the difference rows are the within-firm "
                        "contrast that P1 and P2 are about."))
    gcol = group_column(inputs)
    if inputs.clean is not None and gcol:
        fig = F.paired_scores_plot(inputs.clean, gcol, GROUP_LABELS)
        if fig:
            s.add("figure", fig)
        else:
            s.add("note", "Scores figure: not drawn (score_relational / score_informational "
                          "missing from the clean data).")
    else:
        s.add("note", "Scores figure: not drawn (clean data or born-global column missing).")
    aux = pick(inputs.propositions, "auxiliary")
    if isinstance(aux, dict):
        aux = {k: v for k, v in aux.items() if k not in ("multiverse", "invariance")}
        t = _aux_table({k: v for k, v in aux.items() if isinstance(v, dict)}, "auxiliary",
                       "Auxiliary hypotheses (not part of the verdicts)")
        if t:
            s.add("table", t)
        rest = {k: v for k, v in aux.items() if not isinstance(v, dict)}
        if rest:
            _generic_blocks(s, rest, "auxiliary_other", "Auxiliary analyses")
    cont = pick(inputs.propositions, "continuous")
    if isinstance(cont, dict) and cont:
        t = _aux_table(cont, "continuous", "Internationalisation approach as a continuous "
                                           "predictor of the relational-informational lean")
        if t:
            s.add("table", t)
    w = _warnings(inputs.propositions, *[v for _, v in _blocks(inputs.propositions)])
    if w:
        s.add("warnings", w)
    return s


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
            s.add("dl", [(k, fmt_value(v)) for k, v in dims.items()], "Analytic choices varied")
        if pick(mv, "n_specifications") is not None:
            s.add("p", f"{fmt_value(pick(mv, 'n_specifications'))} specifications in the grid; "
                       f"{fmt_value(pick(mv, 'n_available', default=len(specs)))} distinct "
                       "analyses with results are drawn below.")
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
            "pos": sum(1 for r in sub if r["ci_lower"] is not None and r["ci_lower"] > 0),
            "neg": sum(1 for r in sub if r["ci_upper"] is not None and r["ci_upper"] < 0),
            **{f"share_{v}": share.get(v) for v in VERDICT_TEXT}})
    s.add("table", Table("multiverse", "Specification curve summary", [
        Column("proposition", "Proposition"), Column("k", "Specifications", "int"),
        Column("median", "Median estimate", "num"), Column("range", "Range", "ci"),
        Column("pos", "CI > 0", "int"), Column("neg", "CI < 0", "int")] +
        [Column(f"share_{v}", v.capitalize(), "pct") for v in VERDICT_TEXT], summary_rows,
        note="Range is [lowest, highest] estimate across specifications; the last four columns "
             "give the share of specifications reaching each verdict."))
    return s


def _power_rows(power: dict) -> list[dict]:
    """Rows {label, n, power, mc_se, ci, p_<verdict>...} from power.json (``results`` rows of
    ``rsnprop power``, or wide rows ``{n, P1: power, ...}``)."""
    rows = []
    res = pick(power, "results", "power", "grid", default=None)
    for r in _records(res if res is not None else [], "n"):
        n = pick(r, "n")
        if pick(r, "power") is not None:
            rows.append({"n": n, "power": pick(r, "power"),
                         "label": str(pick(r, "proposition", "label", "test", default="power")),
                         "mc_se": pick(r, "mc_se"),
                         "ci": (pick(r, "ci_lower"), pick(r, "ci_upper")),
                         **{f"p_{v}": pick(r, f"p_{v}") for v in VERDICT_TEXT}})
            continue
        for k, v in r.items():
            if k != "n" and isinstance(v, (int, float)) and not isinstance(v, bool) and \
                    (k.startswith(("P", "power")) or k in ("both", "joint")):
                rows.append({"n": n, "power": v, "label": k.replace("power_", "")})
            elif isinstance(v, dict) and to_float(pick(v, "power")) is not None:
                rows.append({"n": n, "power": pick(v, "power"), "label": k})
    return rows


def power_section(inputs) -> Section:
    s = Section("power", "Power analysis")
    if inputs.power is None:
        why = inputs.problems.get("power.json", "missing")
        return _not_run(s, "Not run: no power.json in the results folder (optional: "
                           "`rsnprop power --plan PLAN --n ... -o RESULTS_DIR/power.json`)."
                        if why == "missing" else f"Not run: power.json could not be read ({why}).")
    pw = inputs.power
    head = [("scenario", pick(pw, "scenario")), ("replications per n", pick(pw, "reps", "n_reps")),
            ("seed", pick(pw, "seed")), ("plan", pick(pw, "plan_name")),
            ("expected verdicts", pick(pw, "expected_verdicts"))]
    head = [(k, fmt_value(v)) for k, v in head if v is not None]
    if head:
        s.add("dl", head, "Simulation")
    rows = _power_rows(pw)
    if rows:
        fig = F.power_curve(rows, target=to_float(pick(pw, "target", "target_power")) or 0.8)
        if fig:
            s.add("figure", fig)
        cols = [Column("label", "Proposition"), Column("n", "n", "int"),
                Column("power", "Power", "bounded", 3), Column("mc_se", "MC SE", "bounded", 3),
                Column("ci", "95% MC interval", "ci", 3)] + \
               [Column(f"p_{v}", v.capitalize(), "bounded", 3) for v in VERDICT_TEXT]
        cols = [c for c in cols if c.key in ("label", "n", "power") or any(
            r.get(c.key) not in (None, (None, None)) for r in rows)]
        s.add("table", Table("power", "Estimated power by sample size", cols,
                             sorted(rows, key=lambda r: (r["label"], to_float(r["n"]) or 0)),
                             note="Power = probability that the verdict is the one expected under "
                                  "the simulated scenario; MC SE = Monte Carlo standard error; "
                                  "the verdict columns give the probability of each verdict."))
    nfp = pick(pw, "n_for_power")
    if isinstance(nfp, dict) and nfp:
        nrows = []
        for prop, targets in nfp.items():
            if isinstance(targets, dict) and all(isinstance(v, dict) for v in targets.values()):
                for tgt, v in targets.items():
                    nrows.append({"proposition": prop, "target": to_float(pick(v, "target", default=tgt)),
                                  **{k: pick(v, k) for k in ("interpolated", "logistic",
                                                             "extrapolated", "grid")}})
            else:
                nrows.append({"proposition": prop, "interpolated": targets})
        cols = [Column("proposition", "Proposition"), Column("target", "Target power", "bounded"),
                Column("interpolated", "n (interpolated)", "int"),
                Column("logistic", "n (logistic fit)", "int"),
                Column("extrapolated", "n (extrapolated)", "int"), Column("grid", "n (grid)", "int")]
        cols = [c for c in cols if c.key == "proposition" or any(r.get(c.key) is not None for r in nrows)]
        s.add("table", Table("n_for_power", "Sample size needed for the target power", cols, nrows,
                             note="A dash means the target is not reached within the simulated "
                                  "sample sizes by that method."))
    analytic = pick(pw, "analytic")
    if isinstance(analytic, dict):
        es = pick(analytic, "effect_sizes")
        if isinstance(es, dict):
            s.add("dl", [(k, fmt_value(v, 3)) for k, v in es.items()],
                  "Analytic power: effect sizes assumed")
        arows = pick(analytic, "rows")
        if isinstance(arows, list):
            t = generic_table(arows, "power_analytic", "Analytic power of the main contrasts")
            if t:
                s.add("table", t)
    desc = pick(pw, "scenario_description")
    if desc:
        s.add("p", f"Scenario: {fmt_value(desc)}")
    rest = {k: v for k, v in pw.items() if k not in (
        "results", "power", "grid", "n_for_power", "scenario", "reps", "n_reps", "seed",
        "plan_name", "expected_verdicts", "analytic", "scenario_description", "kind",
        "targets", "ns")}
    if rest:
        _generic_blocks(s, rest, "power_settings", "Power settings")
    w = _warnings(pw)
    if w:
        s.add("warnings", w)
    return s


def _find_commands(obj, out: list[str], path: str = "") -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("command", "command_line", "argv", "cmd"):
                out.append(" ".join(map(str, v)) if isinstance(v, list) else str(v))
            elif isinstance(v, dict):
                _find_commands(v, out, f"{path}{k}.")


def _provenance_mismatches(inputs) -> list[str]:
    """Warnings when the result files were produced from different instruments or plans."""
    out = []
    inst = {}
    for fname, src in (("cleaning_log.json", inputs.cleaning_log), ("measurement.json", inputs.measurement),
                       ("power.json", inputs.power)):
        h = pick(pick(src, "instrument", default={}), "hash")
        if h:
            inst[fname] = str(h)
    if len(set(inst.values())) > 1:
        out.append("The result files were made with different instrument versions: "
                   + "; ".join(f"{k} {v[:12]}" for k, v in inst.items()) + ".")
    plans = {}
    for fname, src in (("propositions.json", inputs.propositions), ("power.json", inputs.power)):
        h = pick(src, "plan_hash")
        if h:
            plans[fname] = str(h)
    if len(set(plans.values())) > 1:
        out.append("The result files were made with different study plans: "
                   + "; ".join(f"{k} {v[:12]}" for k, v in plans.items()) + ".")
    return out


def provenance_section(inputs, *, command: str | None = None) -> Section:
    import os
    import platform
    from importlib import metadata

    s = Section("provenance", "Provenance")
    log, props, meas = inputs.cleaning_log or {}, inputs.propositions or {}, inputs.measurement or {}
    instrument = pick(log, "instrument") or pick(meas, "instrument") or {}
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        import datetime as dt

        date = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        date += f" (SOURCE_DATE_EPOCH={epoch})"
    else:
        date = "not recorded (set SOURCE_DATE_EPOCH to stamp reports reproducibly)"
    pairs = [
        ("Report date", date),
        ("Results folder", inputs.name),
        ("Instrument", f"{fmt_value(pick(instrument, 'name'))} version "
                       f"{fmt_value(pick(instrument, 'version'))}"),
        ("Instrument hash (SHA-256)", fmt_value(pick(instrument, "hash"))),
        ("Raw data hash (SHA-256)", fmt_value(pick(log, "raw_sha256"))),
        ("Raw data source", fmt_value(pick(log, "source", "raw_file", "raw_path"))),
        ("Plan hash (SHA-256)", fmt_value(pick(props, "plan_hash"))),
        ("Seed (proposition tests)", fmt_value(pick(props, "seed", default=pick(_plan(inputs), "seed")))),
        ("Seed (measurement bootstrap)", fmt_value(pick(pick(meas, "settings", default={}), "seed"))),
    ]
    if inputs.power is not None:
        pairs.append(("Seed (power simulation)", fmt_value(pick(inputs.power, "seed"))))
    s.add("dl", pairs, "Study")
    mismatch = _provenance_mismatches(inputs)
    if mismatch:
        s.add("warnings", mismatch)
    cmds: list[str] = []
    for src in (log, meas, props, inputs.power or {}):
        _find_commands(src, cmds)
    if command:
        cmds.append(command)
    if cmds:
        s.add("dl", [(f"{i + 1}", c) for i, c in enumerate(dict.fromkeys(cmds))], "Command lines")
    files = [{"name": f["name"], "bytes": f["bytes"], "sha256": f["sha256"]} for f in inputs.files]
    for fname, why in inputs.problems.items():
        files.append({"name": fname, "bytes": None, "sha256": why})
    s.add("table", Table("input_files", "Input files of this report", [
        Column("name", "File"), Column("bytes", "Bytes", "int"), Column("sha256", "SHA-256")],
        files))
    versions = [("python", platform.python_version())]
    for pkg in ("rsnprop", "numpy", "scipy", "pandas", "statsmodels", "pingouin", "semopy",
                "factor_analyzer", "matplotlib", "seaborn", "jinja2", "pyarrow"):
        try:
            versions.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            versions.append((pkg, "not installed"))
    s.add("dl", versions, "Package versions")
    return s


def build_sections(inputs, *, command: str | None = None) -> list[Section]:
    """All sections in report order (see :data:`SECTION_IDS`)."""
    return [summary_section(inputs), plan_section(inputs), cleaning_section(inputs),
            descriptives_section(inputs), measurement_section(inputs),
            propositions_section(inputs), multiverse_section(inputs), power_section(inputs),
            provenance_section(inputs, command=command)]
