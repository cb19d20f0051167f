"""LimeSurvey tab-separated survey structure (``.txt``), for *Import survey*.

Follows LimeSurvey's "Tab Separated Value survey structure" format (LimeSurvey manual):
UTF-8 with a byte-order mark, one header row, then one row per survey setting (class ``S``),
language-specific setting (``SL``), group (``G``), question (``Q``), subquestion (``SQ``)
and answer (``A``).  Relationships are inferred from order: questions follow their group,
subquestions and answers follow their question.  The whole base-language block comes first,
followed by a copy for each additional language with exactly the same rows in the same
order.  Columns: ``class, type/scale, name, relevance, text, help, language, validation,
mandatory, other, default, same_default`` and the question attributes used here
(``min_num_value_n, max_num_value_n, num_value_int_only, equals_num_value, hidden``).  No
ids are written: LimeSurvey's importer (``TSVImportSurvey``) matches groups across languages
by ``type/scale`` (the group's sequence number here) and questions by group and code.
Fields containing a double quote are enclosed in double quotes with inner quotes doubled
(the importer reads the file with ``fgetcsv(..., "\t", '"')``); relevance equations use
single-quoted strings.

Item -> LimeSurvey question type: likert and select_one -> ``L`` (list, radio) with answer
rows; select_multiple -> ``M`` (multiple choice) with subquestions; integer/decimal ->
``N`` (numerical input) with min/max attributes; a constant-sum group -> one ``K``
(multiple numerical input) question whose subquestions are the parts, with
``equals_num_value`` = total; text -> ``S`` (short free text).  Meta items are recorded by
LimeSurvey itself (``id``, ``submitdate``, ``interviewtime`` with timings on).  Skip logic
becomes ExpressionScript relevance equations (``phase >= 2``, ``rsnplatforms_linkedin == 'Y'``).
Question codes drop underscores (``rel_1`` -> ``rel1``; LimeSurvey codes are alphanumeric),
answer codes longer than 5 characters become ``A<n>``; :func:`rsnprop.instrument.column_map`
and :func:`~rsnprop.instrument.value_map` map both back.  A hidden equation question
``instrumenthash`` (and ``instrumentname``, ``instrumentversion``) stores the instrument's
name, version and hash in every response; respondents never see them (the survey title is
the instrument's title only).  Routing: a screen-out adds a text-display question (``X``)
with its polite end message, relevant when the rule fires, and ``!(...)`` to the relevance of
every later question and group, so the survey is submitted and shows its end text; an
exclusive option ("none") hides the questions it skips the same way.  A text-display
question ``dataprotection`` before consent carries the GDPR/RGPD information.

End URL (``end_url=``, ``rsnprop instrument export --end-url``): LimeSurvey's end-of-survey
mechanism for sending respondents back to a study site or panel provider is the survey's
*End URL* (language setting ``surveyls_url``, with ``surveyls_urldescription``) loaded
automatically when the survey is completed (survey setting ``autoredirect``).  The end URL
may contain ExpressionScript (LimeSurvey manual, "URL fields": ``{LANG}``, ``{SAVEDID}``,
answer codes and any expression such as ``{if(sex=='Male','M','F')}``); the exporter appends
``status={...}&lang={LANG}``, where ``status`` is the id of the screen-out that ended the
survey (``not_sme``...) or ``complete`` (:func:`end_status_expression`), so the receiving
page or panel can tell screen-outs from completes.  Without ``end_url`` the settings are
written empty (no redirect: the end text is shown).

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.exporters.limesurvey import export, HEADER
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> text = export(ins)
>>> text.lstrip("\\ufeff").splitlines()[0].split("\\t") == HEADER
True
"""

from __future__ import annotations

import re

from ...errors import InputError
from ..gdpr import data_protection_lines
from .codes import limesurvey_answer_code, limesurvey_code, limesurvey_subquestion_code

__all__ = ["export", "HEADER", "ATTRIBUTES", "relevance_equation", "end_code",
           "end_status_expression", "end_url_with_status"]

#: columns read by LimeSurvey's importer (``TSVImportSurvey`` in
#: application/helpers/admin/import_helper.php); on question rows every column after
#: ``same_default`` is stored as a question attribute of that name
HEADER = ["class", "type/scale", "name", "relevance", "text", "help", "language", "validation",
          "mandatory", "other", "default", "same_default",
          "min_num_value_n", "max_num_value_n", "num_value_int_only", "equals_num_value", "hidden"]
#: question attributes written (all are standard LimeSurvey attribute names)
ATTRIBUTES = HEADER[12:]


_END_TEXT = {"en": "Thank you for your time. Your answers have been recorded.",
             "fr": "Merci pour votre temps. Vos réponses ont été enregistrées."}
#: text of the end-URL link (shown when the redirect is not automatic)
_URL_TEXT = {"en": "Continue", "fr": "Continuer"}


def _clean(text) -> str:
    if text is None:
        return ""
    return " ".join(str(text).replace("\t", " ").split())


def _field(value) -> str:
    """One TSV cell: whitespace collapsed; enclosed in quotes when it contains a quote."""
    text = _clean(value)
    if '"' in text:
        text = '"' + text.replace('"', '""') + '"'
    return text


def _num(v) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def relevance_equation(conditions, ins) -> str:
    """ExpressionScript relevance (``and`` of the conditions); ``1`` when there are none.

    >>> from rsnprop.instrument.model import Condition
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> relevance_equation([Condition("rsn_platforms", "selected", "x")], ins)
    "rsnplatforms_x == 'Y'"
    """
    ops = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    parts = []
    for c in conditions:
        item = ins.items[c.item]
        q = item.codes.get("limesurvey") or limesurvey_code(item.id)
        if c.op in ("selected", "not_selected"):
            pos = list(item.choices).index(c.value) if c.value in item.choices else 0
            sq = limesurvey_subquestion_code(c.value, pos)
            parts.append(f"{q}_{sq} {'==' if c.op == 'selected' else '!='} 'Y'")
        elif c.op == "answered":
            parts.append(f"!is_empty({q})")
        elif c.op in ("gt", "ge", "lt", "le"):
            parts.append(f"{q} {ops[c.op]} {_num(c.value)}")
        elif item.type == "select_one":
            codes = list(item.choices)
            pos = codes.index(c.value) if c.value in codes else 0
            parts.append(f"{q} {ops[c.op]} '{limesurvey_answer_code(c.value, pos)}'")
        else:
            parts.append(f"{q} {ops[c.op]} {_num(c.value)}")
    return " and ".join(parts) if parts else "1"


def _not(rules, ins) -> list:
    return [f"!({relevance_equation(r.conditions, ins)})" for r in rules]


def _and(*parts) -> str:
    parts = [p for p in parts if p and p != "1"]
    return " and ".join(parts) if parts else "1"


def _rows_for_language(ins, lang: str, base: bool) -> list[dict]:
    rows: list[dict] = []
    gseq = 0

    def pick(text):
        if not text:
            return ""
        return text.get(lang) or text.get(ins.default_language) or ""

    cs_done: set[str] = set()

    cs_groups = ins.constant_sum_groups
    for sec, items in ins.asked_sections():
        gseq += 1
        ids = [i.id for i in items]
        group_rules = [r for r in ins.routing if all(i in r.hides for i in ids)]
        rows.append({"class": "G", "type/scale": str(gseq), "name": _clean(pick(sec.title)),
                     "relevance": _and(relevance_equation(sec.show_if, ins), *_not(group_rules, ins)),
                     "text": _clean(pick(sec.intro)), "language": lang})
        if gseq == 1 and ins.data_protection:
            rows.append({"class": "Q", "type/scale": "X", "name": "dataprotection", "relevance": "1",
                         "text": "<br>".join(_clean(t) for t in data_protection_lines(ins, lang)),
                         "language": lang, "mandatory": "N"})
        n_sec = len(sec.show_if)
        for item in items:
            q = item.codes.get("limesurvey") or limesurvey_code(item.id)
            item_rules = [r for r in ins.routing if r.id in item.routed_by and r not in group_rules]
            rel = _and(relevance_equation(item.show_if[n_sec:], ins), *_not(item_rules, ins))
            mand = "Y" if item.required else "N"
            if item.constant_sum is not None:
                group = item.constant_sum.group
                if group in cs_done:
                    continue
                cs_done.add(group)
                parts = cs_groups[group]
                rows.append({"class": "Q", "type/scale": "K",
                             "name": limesurvey_code(group), "relevance": rel,
                             "text": _clean(pick(sec.intro) or pick(item.text)), "language": lang,
                             "mandatory": "Y", "equals_num_value": _num(item.constant_sum.total),
                             "min_num_value_n": "0", "num_value_int_only": "1",
                             "max_num_value_n": _num(item.constant_sum.total)})
                for part in parts:
                    rows.append({"class": "SQ",
                                 "name": part.codes.get("limesurvey") or limesurvey_code(part.id),
                                 "text": _clean(pick(part.text)), "language": lang})
                continue
            row = {"class": "Q", "name": q, "relevance": rel,
                   "text": _clean(pick(item.text)), "help": _clean(pick(item.hint)),
                   "language": lang, "mandatory": mand}
            if item.type in ("likert", "select_one"):
                row["type/scale"] = "L"
                rows.append(row)
                if item.type == "likert":
                    lo, hi = int(item.scale.min), int(item.scale.max)
                    answers = [(v, pick(item.scale.labels.get(v)) or str(v)) for v in range(lo, hi + 1)]
                    answers = [(v, f"{v} - {t}" if t != str(v) else t) for v, t in answers]
                else:
                    answers = [(c, pick(item.choice_labels[c])) for c in item.choices]
                for pos, (code, label) in enumerate(answers):
                    rows.append({"class": "A", "type/scale": "0",
                                 "name": limesurvey_answer_code(code, pos), "text": _clean(label),
                                 "language": lang})
            elif item.type == "select_multiple":
                row["type/scale"] = "M"
                rows.append(row)
                for pos, code in enumerate(item.choices):
                    rows.append({"class": "SQ",
                                 "name": limesurvey_subquestion_code(code, pos),
                                 "text": _clean(pick(item.choice_labels[code])), "language": lang})
            elif item.type in ("integer", "decimal"):
                row["type/scale"] = "N"
                if item.scale is not None:
                    if item.scale.min is not None:
                        row["min_num_value_n"] = _num(item.scale.min)
                    if item.scale.max is not None:
                        row["max_num_value_n"] = _num(item.scale.max)
                if item.type == "integer":
                    row["num_value_int_only"] = "1"
                rows.append(row)
            elif item.type == "text":
                row["type/scale"] = "S"
                rows.append(row)
            for rule in ins.routing:
                if rule.trigger == item.id and rule.action == "end":
                    # screen-out: polite message (text display) shown when the rule fires;
                    # every later question and group is irrelevant, so the survey is
                    # submitted and ends (end text / end URL of the survey)
                    rows.append({"class": "Q", "type/scale": "X", "name": end_code(rule),
                                 "relevance": relevance_equation(rule.conditions, ins),
                                 "text": _clean(pick(rule.message)), "language": lang,
                                 "mandatory": "N"})
    # provenance: hidden equation questions (never shown) storing name, version and hash
    for name, text in (("instrumentname", ins.name), ("instrumentversion", ins.version),
                       ("instrumenthash", f"{ins.name} {ins.version} sha256:{ins.hash}")):
        rows.append({"class": "Q", "type/scale": "*", "name": name, "relevance": "1", "text": text,
                     "language": lang, "mandatory": "N", "hidden": "1"})
    return rows


def end_status_expression(ins) -> str:
    """ExpressionScript naming the screen-out that ended the survey, else ``complete``.

    Nested ``if(rule fired, 'rule id', ...)`` over the instrument's ``end`` rules in order:
    a screened-out respondent never answers a later trigger question (irrelevant questions
    are empty), so the first rule that fired is the one that ended the survey.

    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> print(end_status_expression(ins)[:78])
    if(consent == '0', 'no_consent', if(decisionmaker == '0', 'not_decision_maker'
    """
    expr = "'complete'"
    for rule in reversed([r for r in ins.routing if r.action == "end"]):
        expr = f"if({relevance_equation(rule.conditions, ins)}, '{rule.id}', {expr})"
    return expr


def end_url_with_status(end_url: str, ins) -> str:
    """``end_url`` with ``status={...}&lang={LANG}`` appended (``?`` or ``&`` as needed).

    Raises :class:`~rsnprop.errors.InputError` unless the URL is an ``http(s)://`` address
    without spaces, tabs or double quotes.

    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> url = end_url_with_status("https://example.org/end?pid={PASSTHRU:pid}", ins)
    >>> url.startswith("https://example.org/end?pid={PASSTHRU:pid}&status={if("), url.endswith("&lang={LANG}")
    (True, True)
    """

    url = str(end_url).strip()
    if not re.match(r"^https?://[^\s\"]+$", url):
        raise InputError("the end URL must be an http:// or https:// address without spaces "
                         "or double quotes", parameter="--end-url", value=end_url)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}status={{{end_status_expression(ins)}}}&lang={{LANG}}"


def end_code(rule) -> str:
    """Question code of a screen-out message (``not_sme`` -> ``endnotsme``; LimeSurvey codes
    have at most 20 characters)."""
    return ("end" + limesurvey_code(rule.id))[:20]


def export(ins, *, lang: str | None = None, end_url: str | None = None) -> str:
    """LimeSurvey TSV text (with BOM) for instrument ``ins``; ``lang`` = base language;
    ``end_url``: the study's or panel's end page (see the module notes)."""
    base = lang or ins.default_language
    langs = [base] + [lg for lg in ins.languages if lg != base]
    url = end_url_with_status(end_url, ins) if end_url else ""
    rows: list[dict] = [
        {"class": "S", "name": "language", "text": base},
        {"class": "S", "name": "additional_languages", "text": " ".join(langs[1:])},
        {"class": "S", "name": "format", "text": "G"},
        {"class": "S", "name": "anonymized", "text": "Y"},
        {"class": "S", "name": "datestamp", "text": "Y"},
        {"class": "S", "name": "savetimings", "text": "Y"},
        {"class": "S", "name": "autoredirect", "text": "Y" if url else "N"},
        {"class": "S", "name": "admin", "text": "rsnprop"},
    ]
    for lg in langs:
        title = ins.title.get(lg) or ins.title.get(ins.default_language, ins.name)
        desc = (ins.description or {}).get(lg, "")
        rows += [
            {"class": "SL", "name": "surveyls_title", "text": _clean(title), "language": lg},
            {"class": "SL", "name": "surveyls_description", "text": _clean(desc), "language": lg},
            {"class": "SL", "name": "surveyls_welcometext", "text": "", "language": lg},
            {"class": "SL", "name": "surveyls_endtext", "text": _clean(_END_TEXT.get(lg, _END_TEXT["en"])), "language": lg},
            {"class": "SL", "name": "surveyls_url", "text": url, "language": lg},
            {"class": "SL", "name": "surveyls_urldescription",
             "text": _URL_TEXT.get(lg, _URL_TEXT["en"]) if url else "", "language": lg},
        ]
    for i, lg in enumerate(langs):
        rows += _rows_for_language(ins, lg, base=(i == 0))
    lines = ["\t".join(HEADER)]
    for r in rows:
        lines.append("\t".join(_field(r.get(col, "")) for col in HEADER))
    return "\ufeff" + "\n".join(lines) + "\n"
