"""XLSForm export (ODK Collect / ODK Central, KoboToolbox, SurveyCTO, Ona...).

The workbook has the three sheets of the XLSForm standard (https://xlsform.org):

* ``survey``: ``type, name, label::<Language> (<code>), hint::..., required, relevant,
  constraint, constraint_message::..., appearance, calculation``; one group
  (``begin_group``/``end_group``, ``field-list``) per section with the section's skip logic
  as ``relevant``, one row per item named by its item id;
* ``choices``: ``list_name, name, label::...``; Likert scales become lists named after the
  scale (``agree7``) with codes ``1..7``;
* ``settings``: ``form_title, form_id, version, default_language, style``.

Item types: likert -> ``select_one <scale>`` (appearance ``likert``); select_one/multiple ->
``select_one``/``select_multiple <list>``; integer/decimal -> ``integer``/``decimal`` with a
range constraint; constant-sum parts -> ``integer`` with a range constraint, the last part
also checking that the group adds up to its total; meta items -> ``start``/``end``
metadata and ``calculate`` fields ``duration_sec`` and ``survey_year`` (the response id is
the instance id ODK adds itself).  Routing rules of the instrument become ``relevant``
expressions: a screen-out (``not_sme``: 250+ employees, ``not_internationalised``: phase 1...)
shows its polite end message as a ``note`` right after the screening question and makes every
later question irrelevant, so the respondent reaches the end of the form; an exclusive option
("none") has a constraint.  A ``note`` before consent carries the data-protection information
(GDPR/RGPD art. 13).  A ``calculate`` field ``instrument_hash`` and the
settings ``form_id``/``version`` record the instrument's name, version and content hash in
every submission.  A ``calculate`` field ``survey_language`` records the language version the
respondent used (``en``, ``fr``...): ``jr:choice-name('code', '${survey_language_helper}')``
reads the label, in the current form language, of the one choice of the hidden (never
relevant) select ``survey_language_helper``, whose label in each language is that language's
code.  ODK does not recompute calculations when the language is switched (getodk/javarosa
issue 737), so the expression also depends on the consent answer (``substr(${consent}, 0,
0)``, always empty): it is recomputed when the respondent answers the consent question, in the
language chosen by then.  ``rsnprop clean --platform xlsform`` reads it as the clean data's
``survey_language`` (docs/languages.md).

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.exporters.xlsform import survey_rows
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> sheets = survey_rows(ins)
>>> sheets["settings"][1][:2]
['Digital social networks and the internationalisation of SMEs', 'rsn_internationalisation']
"""

from __future__ import annotations

import io
import warnings

from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from ...errors import InstrumentError, RsnpropWarning
from ..gdpr import data_protection_notes
from ._xlsx import write_xlsx

__all__ = ["export", "survey_rows", "relevant_expression", "routing_expression", "LANGUAGE_NAMES",
           "check_with_pyxform"]

LANGUAGE_NAMES = {"en": "English", "fr": "French", "nl": "Dutch", "de": "German", "es": "Spanish",
                  "it": "Italian", "pt": "Portuguese", "zh": "Chinese"}

_RANGE_MSG = {"en": "Enter a number between {lo} and {hi}.", "fr": "Saisissez un nombre entre {lo} et {hi}."}
_EXCL_MSG = {"en": "'{label}' cannot be combined with another answer.",
             "fr": "« {label} » ne peut pas être combiné avec une autre réponse."}
_SUM_MSG = {"en": "The shares must add up to {total}.", "fr": "Les parts doivent totaliser {total}."}


def _lang_col(lang: str) -> str:
    return f"{LANGUAGE_NAMES.get(lang, lang)} ({lang})"


def _num(v) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _literal(value, item) -> str:
    numeric = item.type in ("likert", "integer", "decimal", "constant_sum")
    if numeric and isinstance(value, (int, float)):
        return _num(value)
    return "'" + str(value).replace("'", "") + "'"


def relevant_expression(conditions, items) -> str:
    """XPath ``relevant`` expression (``and`` of the conditions) for ODK forms.

    >>> from rsnprop.instrument.model import Condition
    >>> class I: type = "select_one"
    >>> relevant_expression([Condition("phase", "ge", 2)], {"phase": I()})
    '${phase} >= 2'
    """
    ops = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    parts = []
    for c in conditions:
        ref = "${" + c.item + "}"
        target = items[c.item]
        if c.op == "selected":
            parts.append(f"selected({ref}, '{c.value}')")
        elif c.op == "not_selected":
            parts.append(f"not(selected({ref}, '{c.value}'))")
        elif c.op == "answered":
            parts.append(f"{ref} != ''")
        elif c.op in ("gt", "ge", "lt", "le"):
            parts.append(f"{ref} {ops[c.op]} {_num(c.value)}")
        else:
            parts.append(f"{ref} {ops[c.op]} {_literal(c.value, target)}")
    return " and ".join(parts)


def routing_expression(rule, items) -> str:
    """XPath expression true when routing ``rule`` fires (all its conditions hold)."""
    return relevant_expression(rule.conditions, items)


def _hidden_by(rules, ids) -> list:
    """Rules hiding every one of ``ids`` (written once on the group, not on each item)."""
    return [r for r in rules if ids and all(i in r.hides for i in ids)]


def _not(rules, items) -> list:
    return [f"not({routing_expression(r, items)})" for r in rules]


def _and(*parts) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return " and ".join(f"({p})" if " or " in p else p for p in parts)


def _list_name(item) -> str:
    if item.type == "likert":
        return item.scale.name or f"{item.id}_scale"
    return item.choice_list or f"{item.id}_choices"


#: the hidden select whose choice label is the current language's code, and its list
LANGUAGE_HELPER, LANGUAGE_LIST = "survey_language_helper", "survey_language_codes"


def _language_rows(row, choices, langs, trigger=None) -> None:
    """The ``survey_language`` metadata field: a never-relevant select whose one choice is
    labelled with each language's code, and a calculate reading that label (``jr:choice-name``
    gives the label in the language the form is shown in), recomputed when ``trigger`` (the
    consent question) is answered."""
    row(f"select_one {LANGUAGE_LIST}", LANGUAGE_HELPER, labels={lg: lg for lg in langs},
        relevant="false()")
    calc = f"jr:choice-name('code', '${{{LANGUAGE_HELPER}}}')"
    if trigger:
        calc = f"concat({calc}, substr(${{{trigger}}}, 0, 0))"
    row("calculate", "survey_language", calculation=calc)
    choices.append([LANGUAGE_LIST, "code", *langs])


def survey_rows(ins, *, lang: str | None = None) -> dict[str, list[list]]:
    """The three sheets as lists of rows (first row = header)."""
    langs = list(ins.languages)
    lab = [f"label::{_lang_col(lg)}" for lg in langs]
    hint = [f"hint::{_lang_col(lg)}" for lg in langs]
    cmsg = [f"constraint_message::{_lang_col(lg)}" for lg in langs]
    header = ["type", "name", *lab, *hint, "required", "relevant", "constraint", *cmsg,
              "appearance", "calculation"]
    rows: list[list] = [header]

    def row(type_, name, labels=None, hints=None, required="", relevant="", constraint="",
            cmessages=None, appearance="", calculation=""):
        labels = labels or {}
        hints = hints or {}
        cmessages = cmessages or {}
        rows.append([type_, name, *[labels.get(lg, "") for lg in langs],
                     *[hints.get(lg, "") for lg in langs], required, relevant, constraint,
                     *[cmessages.get(lg, "") for lg in langs], appearance, calculation])

    choices: list[list] = [["list_name", "name", *lab]]
    lists_done: set[str] = set()

    def add_list(item):
        name = _list_name(item)
        if name in lists_done:
            return name
        lists_done.add(name)
        if item.type == "likert":
            lo, hi = int(item.scale.min), int(item.scale.max)
            for v in range(lo, hi + 1):
                text = item.scale.labels.get(v, {})
                choices.append([name, str(v), *[f"{v} - {text[lg]}" if lg in text else str(v) for lg in langs]])
        else:
            for code, labels in item.choice_labels.items():
                choices.append([name, str(code), *[labels.get(lg, "") for lg in langs]])
        return name

    row("start", "start")
    row("end", "end")
    row("calculate", "instrument_hash", calculation=f"'{ins.hash}'")
    row("calculate", "instrument_version", calculation=f"'{ins.version}'")
    _language_rows(row, choices, langs,
                   next((i for i, it in ins.items.items() if getattr(it, "role", None) == "consent"), None))
    cs_parts = ins.constant_sum_groups
    for sec in ins.sections:
        items = [ins.items[i] for i in sec.items]
        if all(i.type == "meta" for i in items):
            for item in items:
                if item.meta == "duration_sec":
                    row("calculate", item.id,
                        calculation="int((decimal-date-time(now()) - decimal-date-time(${start})) * 86400)")
                elif item.meta == "survey_year":
                    row("calculate", item.id, calculation="format-date(today(), '%Y')")
            continue
        fielded = [i.id for i in items if i.type != "meta"]
        group_rules = _hidden_by(ins.routing, fielded)
        row("begin_group", sec.id, labels=sec.title,
            relevant=_and(relevant_expression(sec.show_if, ins.items), *_not(group_rules, ins.items)),
            appearance="field-list")
        if sec.intro:
            row("note", f"{sec.id}_intro", labels=sec.intro)
        if sec.id == ins.sections[0].id and ins.data_protection:
            row("note", "data_protection", labels=data_protection_notes(ins))
        n_sec = len(sec.show_if)
        for item in items:
            own = item.show_if[n_sec:]
            item_rules = [r for r in ins.routing if r.id in item.routed_by and r not in group_rules]
            rel = _and(relevant_expression(own, ins.items), *_not(item_rules, ins.items))
            req = "yes" if item.required else ""
            constraint, msgs, typ, appearance, calc = "", {}, "", "", ""
            if item.type == "likert":
                typ, appearance = f"select_one {add_list(item)}", "likert"
            elif item.type in ("select_one", "select_multiple"):
                typ = f"{item.type} {add_list(item)}"
                for code in item.exclusive:
                    constraint = f"not(selected(., '{code}') and count-selected(.) > 1)"
                    label = {lg: item.choice_labels[code].get(lg, str(code)) for lg in langs}
                    msgs = {lg: _EXCL_MSG.get(lg, _EXCL_MSG["en"]).format(label=label[lg]) for lg in langs}
            elif item.type in ("integer", "decimal", "constant_sum"):
                typ = "decimal" if item.type == "decimal" else "integer"
                if item.scale is not None and item.scale.min is not None and item.scale.max is not None:
                    lo, hi = _num(item.scale.min), _num(item.scale.max)
                    constraint = f". >= {lo} and . <= {hi}"
                    msgs = {lg: _RANGE_MSG.get(lg, _RANGE_MSG["en"]).format(lo=lo, hi=hi) for lg in langs}
                if item.constant_sum is not None:
                    parts = cs_parts[item.constant_sum.group]
                    req = "yes"
                    if item is parts[-1]:
                        others = " + ".join("${" + p.id + "}" for p in parts[:-1])
                        total = _num(item.constant_sum.total)
                        constraint = f"({constraint}) and ({others} + . = {total})"
                        msgs = {lg: msgs.get(lg, "") + " " + _SUM_MSG.get(lg, _SUM_MSG["en"]).format(total=total)
                                for lg in langs}
            elif item.type == "text":
                typ = "text"
            else:  # pragma: no cover - validated types
                continue
            row(typ, item.id, labels=item.text, hints=item.hint, required=req, relevant=rel,
                constraint=constraint, cmessages=msgs, appearance=appearance, calculation=calc)
            for rule in ins.routing:
                if rule.trigger == item.id and rule.action == "end":
                    # screen-out: the polite end message; every later question is irrelevant,
                    # so the respondent reaches the end of the form and submits
                    row("note", f"end_{rule.id}", labels=rule.message,
                        relevant=routing_expression(rule, ins.items))
        row("end_group", sec.id)
    default = lang or ins.default_language
    settings = [["form_title", "form_id", "version", "default_language", "style"],
                [ins.title.get(default, next(iter(ins.title.values()))), ins.name,
                 ins.version, _lang_col(default), "pages"]]
    return {"survey": rows, "choices": choices, "settings": settings}


def export(ins, *, lang: str | None = None) -> bytes:
    """XLSForm workbook (.xlsx bytes, deterministic) for instrument ``ins``, checked by
    converting it with pyxform (:func:`check_with_pyxform`) before it is returned."""

    data = write_xlsx(survey_rows(ins, lang=lang), title=f"{ins.name} {ins.version} sha256:{ins.hash}")
    for message in check_with_pyxform(data):
        warnings.warn(f"pyxform: {message}", RsnpropWarning, stacklevel=2)
    return data


def check_with_pyxform(data: bytes) -> list:
    """Convert an XLSForm workbook with pyxform, the converter ODK and KoboToolbox use.

    Returns pyxform's warnings (each is also issued as a :class:`~rsnprop.errors.RsnpropWarning`
    by :func:`export`); a workbook pyxform cannot convert raises
    :class:`~rsnprop.errors.InstrumentError` with pyxform's message.

    >>> import rsnprop
    >>> check_with_pyxform(export(rsnprop.load_instrument()))
    []
    """
    found: list = []
    try:
        convert(xlsform=io.BytesIO(data), warnings=found, file_type=".xlsx")
    except (PyXFormError, ValueError, KeyError) as err:
        raise InstrumentError(f"pyxform cannot convert the XLSForm export: {err}",
                              parameter="format", value="xlsform") from None
    return list(found)
