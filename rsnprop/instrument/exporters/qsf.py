"""Qualtrics Survey Format (QSF): the JSON file Qualtrics imports under *Import survey*.

Unlike the Advanced-Format TXT (:mod:`~rsnprop.instrument.exporters.qualtrics`), a QSF carries
the survey's logic, so the form screens out and skips by itself.  The structure follows the
public QSF examples: ``SurveyEntry`` (survey name, language) and ``SurveyElements``, a list
of elements ``{"SurveyID", "Element", "PrimaryAttribute", "SecondaryAttribute",
"TertiaryAttribute", "Payload"}``:

* ``BL`` (blocks): one block per section, with its questions (``{"Type": "Question",
  "QuestionID": "QID<n>"}``) and a ``{"Type": "Page Break"}`` after a question that a later
  question of the same block depends on; one block per screen-out with its end message;
* ``FL`` (survey flow): an ``EmbeddedData`` element (``instrument_name``,
  ``instrument_version``, ``instrument_hash``, ``survey_language``: recorded in every
  response), then the blocks in order; a section shown under conditions sits in a
  ``Branch`` with those conditions; after the block of a screen-out's trigger question, a
  ``Branch`` on the screen-out's conditions holds the block with the polite end message and
  an ``EndSurvey`` element (response flag ``Screened``, the response is kept);
* ``SQ`` (one per question): ``DataExportTag`` = the item id, so the CSV export columns are
  the item ids; runs of Likert items sharing a scale within a block are one ``Matrix``
  (``Likert``/``SingleAnswer``) question whose export tag is ``<section>_matrix<k>`` and
  whose statements are the items (export columns ``<section>_matrix<k>_<n>``, as in the TXT
  export); other single-answer items are ``MC``/``SAVR`` with ``RecodeValues`` giving our
  numeric codes (string codes are recorded as positions 1..n), multiple-answer items
  ``MC``/``MAVR`` (split columns ``<id>_<n>``, the "none" option ``ExclusiveAnswer``),
  numbers ``TE``/``SL`` with a ``ValidNumber`` content validation, text ``TE``/``SL``, the
  constant-sum group ``CS``/``VRTL`` with a ``ChoicesTotal`` validation, section
  introductions and the GDPR/RGPD notice ``DB``/``TB``;
* display logic (``DisplayLogic``): an item's own conditions, and NOT the rule for items the
  "none" skip hides (and items after a screen-out's trigger in its own block).  Logic is a
  ``BooleanExpression`` of numbered groups ANDed together (``"Conjuction": "And"``, Qualtrics'
  spelling, on the first expression of each later group), each group an OR of expressions
  (``q://QID<n>/SelectableChoice/<k>`` ``Selected``/``NotSelected``;
  ``q://QID<n>/ChoiceTextEntryValue`` compared with ``GreaterThanOrEqual``...).

One file per language (``lang=``), like the TXT export.  The response export maps back onto
item ids with ``--platform qualtrics`` (:func:`rsnprop.instrument.column_map`).

Examples
--------
>>> import json
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.exporters.qsf import export
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> qsf = json.loads(export(ins))
>>> sorted({e["Element"] for e in qsf["SurveyElements"]})
['BL', 'FL', 'PROJ', 'QC', 'SO', 'SQ']
>>> flow = next(e for e in qsf["SurveyElements"] if e["Element"] == "FL")["Payload"]["Flow"]
>>> [f["Field"] for f in flow[0]["EmbeddedData"]]
['instrument_name', 'instrument_version', 'instrument_hash', 'survey_language']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...errors import InstrumentError
from ..gdpr import data_protection_lines
from ..model import Condition
from .qualtrics import matrix_groups

__all__ = ["export", "SCREENED_FLAG"]

#: response flag of a screened-out respondent (Qualtrics' ``Q_TerminateFlag``)
SCREENED_FLAG = "Screened"

#: our operator -> Qualtrics operator on a text-entry (number) answer
_TE_OPS = {"eq": "EqualTo", "ne": "NotEqualTo", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
           "lt": "LessThan", "le": "LessThanOrEqual"}
_NEGATE = {"eq": "ne", "ne": "eq", "gt": "le", "le": "gt", "ge": "lt", "lt": "ge",
           "selected": "not_selected", "not_selected": "selected"}
_COMPARE = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
            "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}


def _clean(text) -> str:
    return " ".join(str(text or "").split())


@dataclass
class _Target:
    """Where an item's answer lives: its question, kind, choice ids and (matrix) row."""

    qid: str
    kind: str  # "choice" (MC), "matrix" (a statement of a Likert matrix), "number", "text"
    choice_of: dict = field(default_factory=dict)  # our code -> Qualtrics choice (answer) id
    row: str | None = None


@dataclass
class _Question:
    """One question to add: its payload, the items it answers, the display-logic groups."""

    payload: dict
    targets: dict = field(default_factory=dict)  # item id -> _Target without qid
    groups: list = field(default_factory=list)  # AND of groups, each an OR of Conditions


@dataclass
class _Survey:
    """The QSF being built: questions, blocks, flow, and where each item's answer lives."""

    ins: object
    lang: str
    questions: list = field(default_factory=list)  # SQ payloads
    blocks: list = field(default_factory=list)  # BL payload entries
    flow: list = field(default_factory=list)  # root flow
    targets: dict = field(default_factory=dict)  # item id -> _Target
    n_flow: int = 1

    def pick(self, text) -> str:
        if not text:
            return ""
        return _clean(text.get(self.lang) or text.get(self.ins.default_language) or "")

    def flow_id(self) -> str:
        self.n_flow += 1
        return f"FL_{self.n_flow}"

    def add(self, question: _Question) -> str:
        """Add a question (display logic built from earlier questions); return its QID."""
        qid = f"QID{len(self.questions) + 1}"
        payload = {"QuestionID": qid, "DataVisibility": {"Private": False, "Hidden": False},
                   "Configuration": {"QuestionDescriptionOption": "UseText"},
                   "QuestionDescription": _clean(question.payload.get("QuestionText", ""))[:100],
                   "Validation": {"Settings": {"ForceResponse": "OFF", "ForceResponseType": "ON",
                                               "Type": "None"}},
                   "Language": [], **question.payload}
        if question.groups:
            payload["DisplayLogic"] = _logic(self, question.groups)
        self.questions.append(payload)
        for iid, target in question.targets.items():
            self.targets[iid] = _Target(qid, target.kind, target.choice_of, target.row)
        return qid


def export(ins, *, lang: str | None = None) -> str:
    """QSF (JSON text) for ``ins`` in language ``lang`` (default language if omitted)."""
    survey = _Survey(ins, lang or ins.default_language)
    survey.flow.append(_embedded_data(survey))
    for sec, items in ins.asked_sections():
        _add_section(survey, sec, items)
    return json.dumps(_document(survey), ensure_ascii=False, indent=1) + "\n"


def _document(survey: _Survey) -> dict:
    """The QSF document: survey entry and elements (blocks, flow, options, questions)."""
    ins = survey.ins
    sid = f"SV_{ins.hash[:15]}"
    never = "0000-00-00 00:00:00"

    def element(kind, primary, payload, secondary=None, tertiary=None):
        return {"SurveyID": sid, "Element": kind, "PrimaryAttribute": primary,
                "SecondaryAttribute": secondary, "TertiaryAttribute": tertiary, "Payload": payload}

    entry = {"SurveyID": sid, "SurveyName": survey.pick(ins.title),
             "SurveyDescription": f"{ins.name} {ins.version} (sha256 {ins.hash})",
             "SurveyOwnerID": None, "SurveyBrandID": None, "DivisionID": None,
             "SurveyLanguage": survey.lang.upper(), "SurveyActiveResponseSet": None,
             "SurveyStatus": "Inactive", "SurveyStartDate": never, "SurveyExpirationDate": never,
             "SurveyCreationDate": never, "CreatorID": None, "LastModified": never,
             "LastAccessed": never, "LastActivated": never, "Deleted": None}
    options = {"BackButton": "false", "SaveAndContinue": "true", "SurveyProtection": "PublicSurvey",
               "BallotBoxStuffingPrevention": "false", "NoIndex": "Yes", "SecureResponseFiles": "true",
               "SurveyExpiration": "None", "SurveyTermination": "DefaultMessage", "Header": "",
               "Footer": "", "ProgressBarDisplay": "None", "PartialData": "+1 week",
               "SurveyTitle": survey.pick(ins.title), "AvailableLanguages": {survey.lang.upper(): []}}
    blocks = survey.blocks + [{"Type": "Trash", "Description": "Trash / Unused Questions",
                               "ID": "BL_trash", "BlockElements": []}]
    elements = [element("BL", "Survey Blocks", blocks),
                element("FL", "Survey Flow", {"Type": "Root", "FlowID": "FL_1", "Flow": survey.flow,
                                              "Properties": {"Count": survey.n_flow}}),
                element("SO", "Survey Options", options),
                element("PROJ", "CORE", {"ProjectCategory": "CORE", "SchemaVersion": "1.1.0"},
                        tertiary="1.1.0"),
                element("QC", "Survey Question Count", None, secondary=str(len(survey.questions)))]
    elements += [element("SQ", q["QuestionID"], q, secondary=q["QuestionDescription"])
                 for q in survey.questions]
    return {"SurveyEntry": entry, "SurveyElements": elements}


def _embedded_data(survey: _Survey) -> dict:
    ins = survey.ins
    values = {"instrument_name": ins.name, "instrument_version": ins.version,
              "instrument_hash": ins.hash, "survey_language": survey.lang}
    return {"Type": "EmbeddedData", "FlowID": survey.flow_id(),
            "EmbeddedData": [{"Description": k, "Type": "Custom", "Field": k, "VariableType": "String",
                              "DataVisibility": [], "AnalyzeText": False, "Value": str(v)}
                             for k, v in values.items()]}


# ----------------------------------------------------------------------------------------
# blocks and survey flow


def _add_section(survey: _Survey, sec, items: list) -> None:
    """The section's block in the flow, in a Branch on its conditions, then its screen-outs."""
    block_id = f"BL_{sec.id}"
    first = not survey.blocks
    elements = _block_elements(survey, _section_questions(survey, sec, items))
    survey.blocks.append({"Type": "Default" if first else "Standard", "SubType": "",
                          "Description": survey.pick(sec.title), "ID": block_id, "BlockElements": elements})
    flow = [{"Type": "Block" if first else "Standard", "ID": block_id, "FlowID": survey.flow_id(),
             "Autofill": []}]
    for rule in survey.ins.routing:
        if rule.action == "end" and survey.ins.items[rule.trigger].section == sec.id:
            flow.append(_screen_out_branch(survey, rule))
    if sec.show_if:
        flow = [{"Type": "Branch", "FlowID": survey.flow_id(), "Description": f"Show {sec.id}",
                 "BranchLogic": _logic(survey, [[c] for c in sec.show_if]), "Flow": flow}]
    survey.flow.extend(flow)


def _screen_out_branch(survey: _Survey, rule) -> dict:
    """Branch on the rule's conditions: the end-message block, then End of Survey."""
    message = _clean(rule.message.get(survey.lang) or rule.message.get(survey.ins.default_language, ""))
    qid = survey.add(_Question(_descriptive(message, f"end_{rule.id}")))
    block_id = f"BL_end_{rule.id}"
    survey.blocks.append({"Type": "Standard", "SubType": "", "Description": f"Screen-out {rule.id}",
                          "ID": block_id, "BlockElements": [{"Type": "Question", "QuestionID": qid}]})
    branch = {"Type": "Branch", "FlowID": survey.flow_id(), "Description": f"Screen-out {rule.id}",
              "BranchLogic": _logic(survey, [[c] for c in rule.conditions])}
    message_block = {"Type": "Standard", "ID": block_id, "FlowID": survey.flow_id(), "Autofill": []}
    end = {"Type": "EndSurvey", "FlowID": survey.flow_id(), "EndingType": "Advanced",
           "Options": {"Advanced": "true", "SurveyTermination": "DefaultMessage",
                       "ResponseFlag": SCREENED_FLAG, "CountQuotas": "No"}}
    return {**branch, "Flow": [message_block, end]}


def _block_elements(survey: _Survey, questions: list) -> list:
    """Add the questions in order, with a page break after one that a later one reads."""
    elements: list = []
    for k, question in enumerate(questions):
        elements.append({"Type": "Question", "QuestionID": survey.add(question)})
        later = {c.item for q in questions[k + 1:] for group in q.groups for c in group}
        if set(question.targets) & later:
            elements.append({"Type": "Page Break"})
    return elements


def _section_questions(survey: _Survey, sec, items: list) -> list:
    """Questions of a section: intro, GDPR notice (first section), then the items in order."""
    ins = survey.ins
    out = []
    if sec.intro:
        skips = [r for r in ins.routing if sec.id in r.skip]
        out.append(_Question(_descriptive(survey.pick(sec.intro), f"{sec.id}_intro"),
                             groups=[_negated(r) for r in skips]))
    if sec.id == ins.sections[0].id and ins.data_protection:
        text = "<br>".join(_clean(t) for t in data_protection_lines(ins, survey.lang))
        out.append(_Question(_descriptive(text, "data_protection")))
    matrices = {g[0].id: g for g in matrix_groups(ins, sec)}
    in_matrix = {i.id for g in matrices.values() for i in g}
    cs_done: set = set()
    for item in items:
        if item.id in matrices:
            tag = f"{sec.id}_matrix{list(matrices).index(item.id) + 1}"
            question = _matrix_question(survey, sec, matrices[item.id], tag)
        elif item.constant_sum is not None:
            if item.constant_sum.group in cs_done:
                continue
            cs_done.add(item.constant_sum.group)
            question = _constant_sum_question(survey, sec, item)
        elif item.id in in_matrix:
            continue
        else:
            question = _item_question(survey, item)
        question.groups = _display_groups(survey, item, sec)
        out.append(question)
    return out


# ----------------------------------------------------------------------------------------
# questions


def _descriptive(text: str, tag: str) -> dict:
    return {"QuestionText": text, "DataExportTag": tag, "QuestionType": "DB", "Selector": "TB",
            "ChoiceOrder": [], "Validation": {"Settings": {"Type": "None"}}}


def _choices(labels: list) -> tuple[dict, list]:
    return ({str(k): {"Display": label} for k, label in enumerate(labels, start=1)},
            [str(k) for k in range(1, len(labels) + 1)])


def _force(item) -> dict:
    return {"ForceResponse": "ON" if item.required else "OFF", "ForceResponseType": "ON"}


def _item_question(survey: _Survey, item) -> _Question:
    """A single item: MC (single or multiple answer), or text entry (number or text)."""
    text = survey.pick(item.text)
    if item.hint:
        text += f"<br><i>{survey.pick(item.hint)}</i>"
    base = {"QuestionText": text, "DataExportTag": item.codes.get("qualtrics") or item.id}
    if item.type in ("likert", "select_one", "select_multiple"):
        return _choice_question(survey, item, base)
    settings = {**_force(item), "Type": "None"}
    if item.type in ("integer", "decimal") and item.scale is not None:
        settings.update({"Type": "ContentType", "ContentType": "ValidNumber",
                         "ValidNumber": {"Min": f"{item.scale.min:g}", "Max": f"{item.scale.max:g}",
                                         "NumDecimals": "0" if item.type == "integer" else ""}})
    kind = "text" if item.type == "text" else "number"
    return _Question({**base, "QuestionType": "TE", "Selector": "SL", "Validation": {"Settings": settings}},
                     {item.id: _Target("", kind)})


def _choice_question(survey: _Survey, item, base: dict) -> _Question:
    """MC question: choice k is the k-th option; ``RecodeValues`` records numeric codes."""
    if item.type == "likert":
        codes = list(range(int(item.scale.min), int(item.scale.max) + 1))
        labels = [f"{v} - {survey.pick(item.scale.labels[v])}" if item.scale.labels.get(v) else str(v)
                  for v in codes]
    else:
        codes = list(item.choices)
        labels = [survey.pick(item.choice_labels[c]) for c in codes]
    choices, order = _choices(labels)
    payload = {**base, "QuestionType": "MC", "Selector": "SAVR", "SubSelector": "TX",
               "Choices": choices, "ChoiceOrder": order,
               "Validation": {"Settings": {**_force(item), "Type": "None"}}}
    if item.type == "select_multiple":
        payload["Selector"] = "MAVR"
        for code in item.exclusive:
            choices[str(codes.index(code) + 1)]["ExclusiveAnswer"] = True
    elif all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        payload["RecodeValues"] = {str(k): str(c) for k, c in enumerate(codes, start=1)}
    return _Question(payload, {item.id: _Target("", "choice", {c: str(k) for k, c in enumerate(codes, 1)})})


def _matrix_question(survey: _Survey, sec, group: list, tag: str) -> _Question:
    """Likert matrix: statements = the items (rows 1..n), answers = the scale points."""
    first = group[0]
    points = list(range(int(first.scale.min), int(first.scale.max) + 1))
    statements, order = _choices([survey.pick(i.text) for i in group])
    answers, answer_order = _choices([survey.pick(first.scale.labels.get(v)) or str(v) for v in points])
    required = all(i.required for i in group)
    payload = {"QuestionText": survey.pick(sec.intro) or survey.pick(sec.title), "DataExportTag": tag,
               "QuestionType": "Matrix", "Selector": "Likert", "SubSelector": "SingleAnswer",
               "Choices": statements, "ChoiceOrder": order, "Answers": answers,
               "AnswerOrder": answer_order, "ChoiceDataExportTags": False,
               "Validation": {"Settings": {"ForceResponse": "ON" if required else "OFF",
                                           "ForceResponseType": "ON", "Type": "None"}}}
    of = {v: str(k) for k, v in enumerate(points, start=1)}
    return _Question(payload, {i.id: _Target("", "matrix", of, str(n)) for n, i in enumerate(group, 1)})


def _constant_sum_question(survey: _Survey, sec, item) -> _Question:
    """The constant-sum group: parts as choices 1..n, their total enforced."""
    parts = survey.ins.constant_sum_groups[item.constant_sum.group]
    choices, order = _choices([survey.pick(p.text) for p in parts])
    settings = {**_force(item), "Type": "ChoicesTotal", "EnforceRange": "ON",
                "ChoiceTotal": f"{item.constant_sum.total:g}"}
    payload = {"QuestionText": survey.pick(sec.intro) or survey.pick(item.text),
               "DataExportTag": item.constant_sum.group, "QuestionType": "CS", "Selector": "VRTL",
               "SubSelector": "TX", "Choices": choices, "ChoiceOrder": order,
               "Validation": {"Settings": settings}}
    return _Question(payload, {p.id: _Target("", "number", row=str(n)) for n, p in enumerate(parts, 1)})


# ----------------------------------------------------------------------------------------
# display and branch logic


def _negated(rule) -> list:
    """NOT (all conditions of ``rule``): one OR group of the negated conditions."""

    return [Condition(c.item, _NEGATE[c.op], c.value) for c in rule.conditions]


def _display_groups(survey: _Survey, item, sec) -> list:
    """The item's own conditions (beyond its section's), and NOT each rule hiding it here:
    the "none" skip, and a screen-out whose trigger is earlier in the same block."""
    groups = [[c] for c in item.show_if[len(sec.show_if):]]
    for rule in survey.ins.routing:
        if rule.id in item.routed_by and (rule.action == "skip" or
                                          survey.ins.items[rule.trigger].section == sec.id):
            groups.append(_negated(rule))
    return groups


def _logic(survey: _Survey, groups: list) -> dict:
    """``BooleanExpression``: groups ANDed, the expressions of a group ORed."""
    out: dict = {"Type": "BooleanExpression", "inPage": False}
    for g, group in enumerate(groups):
        exprs = [e for cond in group for e in _expressions(survey, cond)]
        block: dict = {"Type": "If"}
        for e, expr in enumerate(exprs):
            if g or e:
                expr["Conjuction"] = "And" if e == 0 else "Or"
            block[str(e)] = expr
        out[str(g)] = block
    return out


def _expressions(survey: _Survey, cond) -> list:
    """Qualtrics expressions whose OR is ``cond`` (a comparison on choices lists the
    choices that satisfy it)."""

    target = survey.targets[cond.item]
    where = f"q://{target.qid}/" + ("ChoiceTextEntryValue" if target.kind == "number" else "SelectableChoice/")
    if target.kind == "number" and target.row is None and cond.op in _TE_OPS:  # not a constant-sum part
        return [_expression(target.qid, where, _TE_OPS[cond.op], cond, str(cond.value))]
    if target.kind in ("choice", "matrix"):
        row = f"{target.row}/" if target.kind == "matrix" else ""
        if cond.op in ("eq", "selected", "ne", "not_selected"):
            operator = "Selected" if cond.op in ("eq", "selected") else "NotSelected"
            return [_expression(target.qid, f"{where}{row}{target.choice_of[cond.value]}", operator, cond)]
        if cond.op in _COMPARE:
            return [_expression(target.qid, f"{where}{row}{k}", "Selected", cond)
                    for code, k in target.choice_of.items() if _COMPARE[cond.op](code, cond.value)]
    raise InstrumentError(f"the QSF export cannot express the condition '{cond}'")


def _expression(qid: str, locator: str, operator: str, cond, right=None) -> dict:
    expr = {"LogicType": "Question", "QuestionID": qid, "QuestionIsInLoop": "no",
            "ChoiceLocator": locator, "Operator": operator, "QuestionIDFromLocator": qid,
            "LeftOperand": locator, "Type": "Expression",
            "Description": f'<span class="ConjDesc">If</span> {cond}'}
    if right is not None:
        expr["RightOperand"] = right
    return expr
