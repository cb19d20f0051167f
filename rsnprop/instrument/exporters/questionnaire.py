"""Printable questionnaire: one self-contained HTML page per language (paper or PDF via the
browser's print), with numbered questions, answer boxes, skip instructions and a footer
recording the instrument's name, version and content hash.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.exporters.questionnaire import export
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> page = export(ins, lang="fr")
>>> '<html lang="fr">' in page and ins.hash in page
True
"""

from __future__ import annotations

from jinja2 import Environment

from ..gdpr import data_protection_lines

__all__ = ["export"]

_WORDS = {
    "en": {"only_if": "Answer only if", "select_all": "", "version": "Version", "hash": "Content hash",
           "and": "and", "is": "is", "selected": "includes", "not_selected": "does not include",
           "answered": "is answered", "total": "Total must be", "interviewer": "", "q": ("\u201c", "\u201d"),
           "if": "If", "ends": "the survey ends here:", "skips": "skip to the section"},
    "fr": {"only_if": "Répondre uniquement si", "select_all": "", "version": "Version",
           "hash": "Empreinte du contenu", "and": "et", "is": "est", "selected": "inclut",
           "not_selected": "n'inclut pas", "answered": "a une réponse", "total": "Le total doit être",
           "interviewer": "", "q": ("\u00ab\u00a0", "\u00a0\u00bb"),
           "if": "Si", "ends": "l'enquête s'arrête ici :", "skips": "passez à la section"},
}
_OPS = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}

_HTML = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:Georgia,serif;max-width:820px;margin:2em auto;color:#111;line-height:1.4}
h1{font-size:1.5em} h2{font-size:1.15em;border-bottom:1px solid #999;margin-top:2em}
.q{margin:1.1em 0;page-break-inside:avoid} .num{font-weight:bold;margin-right:.3em}
.logic{font-style:italic;color:#555;font-size:.9em} .hint{color:#444;font-size:.9em}
ul.opts{list-style:none;padding-left:1.5em;margin:.3em 0} ul.opts li:before{content:"\\25CB\\00A0"}
ul.multi li:before{content:"\\2610\\00A0"}
table.likert{border-collapse:collapse;margin:.3em 0 0 1.5em;font-size:.85em}
table.likert td{border:1px solid #bbb;padding:.2em .4em;text-align:center;width:5.5em}
.box{display:inline-block;border:1px solid #333;min-width:8em;height:1.3em;margin-left:1.5em}
.long{min-width:30em;height:3em}
footer{margin-top:3em;font-size:.8em;color:#555;border-top:1px solid #ccc;padding-top:.5em}
@media print{body{margin:0}}
</style></head><body>
<h1>{{ title }}</h1>
{% if description %}<p>{{ description }}</p>{% endif %}
{% for sec in sections %}<h2>{{ sec.title }}</h2>
{% if sec.logic %}<p class="logic">{{ sec.logic }}</p>{% endif %}
{% if sec.intro %}<p>{{ sec.intro }}</p>{% endif %}
{% if sec.notice %}<div class="notice">{% for line in sec.notice %}{% if loop.first %}<strong>{{ line }}</strong>{% else %}<br>{{ line }}{% endif %}{% endfor %}</div>{% endif %}
{% for q in sec.questions %}<div class="q" id="{{ q.id }}"><span class="num">{{ q.num }}.</span>{{ q.text }}
{% if q.logic %}<div class="logic">{{ q.logic }}</div>{% endif %}
{% if q.hint %}<div class="hint">{{ q.hint }}</div>{% endif %}
{% for r in q.routing %}<div class="logic routing">{{ r }}</div>{% endfor %}
{% if q.kind == "likert" %}<table class="likert"><tr>{% for v, l in q.points %}<td>{{ v }}{% if l %}<br>{{ l }}{% endif %}</td>{% endfor %}</tr></table>
{% elif q.kind == "choices" %}<ul class="opts{% if q.multi %} multi{% endif %}">{% for l in q.options %}<li>{{ l }}</li>{% endfor %}</ul>
{% elif q.kind == "text" %}<span class="box long"></span>
{% else %}<span class="box"></span> {{ q.unit }}{% endif %}
</div>
{% endfor %}{% endfor %}
<footer>{{ ins.name }} &middot; {{ words.version }} {{ ins.version }} &middot; {{ words.hash }} (sha256) {{ ins.hash }}</footer>
</body></html>
"""


def _logic(conditions, ins, lang, words) -> str:
    parts = []
    lq, rq = words["q"]
    for c in conditions:
        item = ins.items[c.item]
        name = item.text.get(lang, c.item)
        short = (name[:60] + "...") if len(name) > 63 else name
        if c.op in ("selected", "not_selected"):
            label = item.choice_labels.get(c.value, {}).get(lang, c.value)
            parts.append(f"{lq}{short}{rq} {words[c.op]} {lq}{label}{rq}")
        elif c.op == "answered":
            parts.append(f"{lq}{short}{rq} {words['answered']}")
        else:
            value = c.value
            if item.choice_labels and c.value in item.choice_labels and c.op in ("eq", "ne"):
                value = item.choice_labels[c.value].get(lang, c.value)
            elif item.choice_labels and c.value in item.choice_labels:
                value = f"{c.value} ({item.choice_labels[c.value].get(lang, '')})"
            parts.append(f"{lq}{short}{rq} {_OPS[c.op]} {value}")
    return f"{words['only_if']} " + f" {words['and']} ".join(parts) + "." if parts else ""


def _routing_lines(ins, item, lang, words) -> list:
    """"If <condition>, the survey ends here: <message>" / "..., skip to the section <title>"."""
    out = []
    for rule in ins.routing:
        if rule.trigger != item.id:
            continue
        cond = _logic(rule.conditions, ins, lang, words)
        cond = cond[len(words["only_if"]) + 1:].rstrip(".") if cond else ""
        if rule.action == "end":
            out.append(f"{words['if']} {cond}, {words['ends']} {rule.message.get(lang, '')}")
        else:
            later = [s for s in ins.sections if s.id not in rule.skip and s.id != item.section
                     and ins.sections.index(s) > next(i for i, x in enumerate(ins.sections) if x.id == item.section)]
            target = later[0].title.get(lang, later[0].id) if later else ""
            out.append(f"{words['if']} {cond}, {words['skips']} {target}.")
    return out


def export(ins, *, lang: str | None = None) -> str:
    """Printable HTML questionnaire in ``lang`` (default language when omitted)."""

    lang = lang or ins.default_language
    words = _WORDS.get(lang, _WORDS["en"])
    sections = []
    num = 0
    for sec in ins.sections:
        qs = []
        n_sec = len(sec.show_if)
        for iid in sec.items:
            item = ins.items[iid]
            if item.type == "meta":
                continue
            num += 1
            q = {"id": iid, "num": num, "text": item.text.get(lang, ""),
                 "hint": (item.hint or {}).get(lang, ""),
                 "logic": _logic(item.show_if[n_sec:], ins, lang, words), "unit": item.unit or ""}
            if item.type == "likert":
                lo, hi = int(item.scale.min), int(item.scale.max)
                q["kind"] = "likert"
                q["points"] = [(v, item.scale.labels.get(v, {}).get(lang, "")) for v in range(lo, hi + 1)]
            elif item.type in ("select_one", "select_multiple"):
                q["kind"] = "choices"
                q["multi"] = item.type == "select_multiple"
                q["options"] = [labels.get(lang, str(c)) for c, labels in item.choice_labels.items()]
            elif item.type == "text":
                q["kind"] = "text"
            else:
                q["kind"] = "number"
                if item.constant_sum is not None:
                    q["hint"] = (q["hint"] + " " if q["hint"] else "") + \
                        f"{words['total']} {item.constant_sum.total:g}."
            q["routing"] = _routing_lines(ins, item, lang, words)
            qs.append(q)
        if qs:
            sections.append({"title": sec.title.get(lang, sec.id), "intro": (sec.intro or {}).get(lang, ""),
                             "notice": data_protection_lines(ins, lang) if sec is ins.sections[0] else [],
                             "logic": _logic(sec.show_if, ins, lang, words), "questions": qs})
    env = Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(_HTML).render(
        ins=ins, lang=lang, words=words, sections=sections,
        title=ins.title.get(lang, ins.name), description=(ins.description or {}).get(lang, ""))
