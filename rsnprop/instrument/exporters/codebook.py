"""Codebook (Markdown or self-contained HTML): every variable with its label, type, values
and value labels, construct, scoring, reverse key, skip logic, platform codes and source.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.exporters.codebook import export, codebook_rows
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> rows = codebook_rows(ins)
>>> len(rows) == len(ins.items)
True
>>> export(ins).splitlines()[0]
'# Codebook: rsn_internationalisation 1.1.0'
"""

from __future__ import annotations

from jinja2 import Environment

from .codes import limesurvey_code

__all__ = ["export", "codebook_rows", "values_text"]


def values_text(item, lang: str) -> str:
    """``1 = Strongly disagree; ...; 7 = Strongly agree`` style description of the answers."""
    if item.type == "likert":
        lo, hi = int(item.scale.min), int(item.scale.max)
        anchors = "; ".join(f"{v} = {item.scale.labels[v].get(lang, '')}" for v in range(lo, hi + 1)
                            if v in item.scale.labels)
        return f"{lo}..{hi} ({anchors})" if anchors else f"{lo}..{hi}"
    if item.type in ("select_one", "select_multiple"):
        text = "; ".join(f"{c} = {labels.get(lang, '')}" for c, labels in item.choice_labels.items())
        if item.type == "select_multiple":
            text += f" (one 0/1 column {item.id}_<code> per option)"
        return text
    if item.type in ("integer", "decimal", "constant_sum") and item.scale is not None:
        unit = f" {item.unit}" if item.unit else ""
        total = f"; parts of '{item.constant_sum.group}' sum to {_num(item.constant_sum.total)}" if item.constant_sum else ""
        lo = "" if item.scale.min is None else _num(item.scale.min)
        hi = "" if item.scale.max is None else _num(item.scale.max)
        return f"{lo}..{hi}{unit}{total}"
    if item.type == "text":
        return "free text" + (" (PII: drop or hash before sharing)" if item.pii else "")
    if item.type == "meta":
        return {"resp_id": "response identifier", "duration_sec": "seconds",
                "survey_year": "year (YYYY)"}[item.meta]
    return ""


def _num(v) -> str:
    """Plain decimal notation (``1000000``, ``2.5``), never ``1e+06``."""
    v = float(v)
    return str(int(v)) if v.is_integer() else format(v, "f").rstrip("0").rstrip(".")


def _logic(item, ins=None) -> str:
    parts = [str(c) for c in item.show_if]
    for rule_id in getattr(item, "routed_by", ()):
        rule = next((r for r in getattr(ins, "routing", ()) if r.id == rule_id), None)
        if rule is not None:
            cond = " and ".join(str(c) for c in rule.conditions)
            parts.append(f"not ({cond}) [{'screen-out' if rule.action == 'end' else 'skip'} {rule_id}]")
    if item.exclusive:
        parts.append("exclusive option: " + ", ".join(map(str, item.exclusive)))
    return " and ".join(parts)


def source_status(item) -> str:
    """``verbatim`` / ``adapted: how`` / ``new``, the locator in the source and how the
    references were checked, as one text."""
    src = item.source
    status = src.status or ("new" if src.new or not src.refs else "adapted")
    text = status + (f" ({src.adaptation})" if src.adaptation else "")
    if src.locator:
        text += f"; source location: {src.locator}"
    text += f"; checked: {src.checked}" if src.checked else "; checked: not checked"
    return text


def codebook_rows(ins, lang: str | None = None) -> list[dict]:
    """One dict per item (questionnaire order) with the codebook columns."""
    lang = lang or ins.default_language
    rows = []
    for item in ins.items.values():
        con = ins.constructs.get(item.construct) if item.construct else None
        scoring = ""
        if con is not None:
            scoring = f"{con.scoring} of {con.id}" + (" (reverse: min+max-x)" if item.reverse else "")
        rows.append({
            "variable": item.id,
            "section": item.section,
            "label": item.text.get(lang, ""),
            "type": item.type,
            "values": values_text(item, lang),
            "construct": item.construct or "",
            "dimension": item.dimension or "",
            "scoring": scoring,
            "reverse": "yes" if item.reverse else "",
            "required": "yes" if item.required else "",
            "role": item.role,
            "attention_check": "" if item.attention_check is None else f"expects {item.attention_check.expected}",
            "skip_logic": _logic(item, ins),
            "limesurvey": "" if item.type == "meta" else (item.codes.get("limesurvey") or limesurvey_code(item.id)),
            "source": str(item.source),
            "source_status": source_status(item),
        })
    return rows


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _markdown(ins, lang: str) -> str:
    out = [f"# Codebook: {ins.name} {ins.version}", "",
           f"- Title: {ins.title.get(lang, '')}",
           f"- Content hash (sha256): `{ins.hash}`",
           f"- Languages: {', '.join(ins.languages)}; labels below in `{lang}`",
           f"- Citation: {ins.citation}", f"- Licence: {ins.licence}",
           f"- Items: {len(ins.items)}", "",
           "Clean-data conventions: item columns hold the codes below after reverse keying "
           "(reversed value = min + max - x); select_multiple items become one 0/1 column "
           "`<item>_<code>` per option; `score_<construct>` is the mean of the available items "
           "(NaN when fewer than half are answered).", "",
           "## Constructs", "",
           "| construct | label | definition | items | scoring | reverse-keyed |",
           "|---|---|---|---|---|---|"]
    for cid, c in ins.constructs.items():
        out.append(f"| `{cid}` | {_md(c.labels.get(lang, c.label))} | {_md(c.definitions.get(lang, c.definition))} | "
                   f"{', '.join(c.items)} | {c.scoring} | {', '.join(c.reverse_items) or '-'} |")
    out += ["", "## Variables", ""]
    rows = codebook_rows(ins, lang)
    cols = ["variable", "label", "type", "values", "construct", "scoring", "reverse", "required",
            "skip_logic", "limesurvey", "source", "source_status"]
    current = None
    for r in rows:
        if r["section"] != current:
            current = r["section"]
            sec = next(s for s in ins.sections if s.id == current)
            out += ["", f"### {sec.title.get(lang, current)} (`{current}`)", "",
                    "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        cells = [f"`{r['variable']}`"] + [_md(r[c]) for c in cols[1:]]
        if r["attention_check"]:
            cells[1] += f" (attention check, {r['attention_check']})"
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "## Routing (screen-outs and skips)", ""]
    for rule in ins.routing:
        cond = " and ".join(str(c) for c in rule.conditions)
        what = "ends the survey" if rule.action == "end" else "skips " + ", ".join(
            [f"the rest of section `{ins.items[rule.trigger].section}`"] + [f"`{s}`" for s in rule.skip])
        out.append(f"- `{rule.id}`: when {cond}, {what}; counted as `{rule.id}` in the cleaning log.")
    out += ["", "## Source status", "", _md(SOURCE_NOTE), ""]
    counts: dict = {}
    for r in rows:
        key = r["source_status"].split(";")[0].split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    out.append("Items by status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ".")
    out += ["", "## References", ""]
    checks = getattr(ins, "reference_checks", {}) or {}
    for k, v in sorted(ins.references.items()):
        out.append(f"- `{k}`: {_md(v)}" + (f" Checked: {_md(checks[k])}" if k in checks else ""))
    return "\n".join(out) + "\n"


#: how the sources were checked (shown in the codebook)
SOURCE_NOTE = (
    "Each item's source says its status: verbatim (none here: no item copies a published "
    "wording), adapted (wording rewritten from a published item or scale; the adaptation and the "
    "item's place in the source are given when they were located), or new (written for this "
    "instrument, its refs naming the conceptual basis; factual and classification questions are "
    "new, their refs giving the definition they operationalise). Every published reference was "
    "looked up by searches of public web pages and documentation (publisher, index or "
    "repository page, or a public copy of the article: title, authors, journal, volume, pages), "
    "and what the item takes from it was compared with the abstract or, where one was "
    "available, the published item list. The verdict per reference is shown with each item "
    "(`checked`) and in full under References: confirmed, partly confirmed, not confirmed, or "
    "official document (not searched).")


_HTML = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<title>Codebook: {{ ins.name }} {{ ins.version }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f2f2f2} code{font-size:.95em} .meta{color:#555}
</style></head><body>
<h1>Codebook: {{ ins.name }} {{ ins.version }}</h1>
<p class="meta">{{ ins.title.get(lang, "") }}<br>Content hash (sha256): <code>{{ ins.hash }}</code><br>
Languages: {{ ins.languages|join(", ") }} (labels in <code>{{ lang }}</code>)<br>
Citation: {{ ins.citation }}<br>Licence: {{ ins.licence }}<br>Items: {{ ins.items|length }}</p>
<p>Clean-data conventions: item columns hold the codes below after reverse keying (reversed value =
min + max &minus; x); select_multiple items become one 0/1 column <code>&lt;item&gt;_&lt;code&gt;</code>
per option; <code>score_&lt;construct&gt;</code> is the mean of the available items (NaN when fewer than
half are answered).</p>
<h2>Constructs</h2>
<table><tr><th>construct</th><th>label</th><th>definition</th><th>items</th><th>scoring</th><th>reverse-keyed</th></tr>
{% for cid, c in ins.constructs.items() %}<tr><td><code>{{ cid }}</code></td><td>{{ c.labels.get(lang, c.label) }}</td>
<td>{{ c.definitions.get(lang, c.definition) }}</td><td>{{ c.items|join(", ") }}</td><td>{{ c.scoring }}</td>
<td>{{ c.reverse_items|join(", ") or "-" }}</td></tr>
{% endfor %}</table>
<h2>Variables</h2>
{% for sec in sections %}<h3>{{ sec.title }} (<code>{{ sec.id }}</code>)</h3>
<table><tr>{% for c in cols %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in sec.rows %}<tr id="var-{{ r.variable }}"><td><code>{{ r.variable }}</code></td>
<td>{{ r.label }}{% if r.attention_check %} <em>(attention check, {{ r.attention_check }})</em>{% endif %}</td>
{% for c in cols[2:] %}<td>{{ r[c] }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}
<h2>References</h2><ul>
{% for k, v in refs %}<li><code>{{ k }}</code>: {{ v }}{% if k in checks %} <em>Checked: {{ checks[k] }}</em>{% endif %}</li>{% endfor %}
</ul>
<h2>Source status</h2><p>{{ source_note }}</p>
</body></html>
"""


def _html(ins, lang: str) -> str:
    env = Environment(autoescape=True, keep_trailing_newline=True)
    rows = codebook_rows(ins, lang)
    sections = []
    for sec in ins.sections:
        sections.append({"id": sec.id, "title": sec.title.get(lang, sec.id),
                         "rows": [r for r in rows if r["section"] == sec.id]})
    cols = ["variable", "label", "type", "values", "construct", "scoring", "reverse", "required",
            "skip_logic", "limesurvey", "source", "source_status"]
    return env.from_string(_HTML).render(ins=ins, lang=lang, sections=sections, cols=cols,
                                         refs=sorted(ins.references.items()),
                                         checks=getattr(ins, "reference_checks", {}) or {},
                                         source_note=SOURCE_NOTE)


def export(ins, *, lang: str | None = None, html: bool = False) -> str:
    """Codebook text: Markdown (default) or a self-contained HTML page (``html=True``)."""
    lang = lang or ins.default_language
    return _html(ins, lang) if html else _markdown(ins, lang)
