"""Issue 18: the Qualtrics Survey Format (QSF) export carries the screen-outs and the "none"
skip as survey logic.

The QSF is checked for the structure of public QSF examples, then *run*: a small interpreter
walks its survey flow (blocks, branches, End of Survey) and evaluates each question's display
logic as Qualtrics would (for the subset the exporter writes), answering as each respondent
would; the Qualtrics-style CSV response export this produces (columns from the QSF's export
tags, with Qualtrics' extra header rows) is read back onto item ids with
``--platform qualtrics`` and cleaned (round trip).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from test_instrument_routing import NAMES, ROUTED, _respondent

from rsnprop.instrument import export, load_instrument
from rsnprop.instrument.exporters.qsf import SCREENED_FLAG

INSTRUMENT = "instruments/rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def ins(repo_root):
    return load_instrument(repo_root / INSTRUMENT)


@pytest.fixture(scope="module")
def qsf(ins):
    return json.loads(export(ins, "qsf"))


def _parts(qsf):
    elements = {}
    for e in qsf["SurveyElements"]:
        elements.setdefault(e["Element"], []).append(e)
    blocks = {b["ID"]: b for b in elements["BL"][0]["Payload"]}
    questions = {e["Payload"]["QuestionID"]: e["Payload"] for e in elements["SQ"]}
    return elements, blocks, questions, elements["FL"][0]["Payload"]


def _flow_elements(flow):
    for el in flow:
        yield el
        yield from _flow_elements(el.get("Flow", []))


# --- structure ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_qsf_has_the_structure_of_the_public_examples(ins, lang):
    qsf = json.loads(export(ins, "qsf", lang=lang))
    assert set(qsf) == {"SurveyEntry", "SurveyElements"}
    assert qsf["SurveyEntry"]["SurveyLanguage"] == lang.upper()
    keys = {"SurveyID", "Element", "PrimaryAttribute", "SecondaryAttribute", "TertiaryAttribute", "Payload"}
    assert all(set(e) == keys for e in qsf["SurveyElements"])
    elements, blocks, questions, flow = _parts(qsf)
    assert {k: len(v) for k, v in elements.items() if k != "SQ"} == \
        {"BL": 1, "FL": 1, "SO": 1, "PROJ": 1, "QC": 1}
    assert elements["QC"][0]["SecondaryAttribute"] == str(len(questions))
    assert flow["Type"] == "Root" and flow["FlowID"] == "FL_1"
    for q in questions.values():
        assert {"QuestionID", "DataExportTag", "QuestionType", "Selector", "QuestionText"} <= set(q)
    tags = [q["DataExportTag"] for q in questions.values()]
    assert len(tags) == len(set(tags))
    in_blocks = [be["QuestionID"] for b in blocks.values() for be in b["BlockElements"] if be["Type"] == "Question"]
    assert sorted(in_blocks) == sorted(questions)       # every question in exactly one block
    flow_ids = [el["FlowID"] for el in _flow_elements(flow["Flow"])]
    assert len(flow_ids) == len(set(flow_ids))
    shown_blocks = [el["ID"] for el in _flow_elements(flow["Flow"]) if el["Type"] in ("Block", "Standard")]
    assert sorted(shown_blocks) == sorted(b for b, v in blocks.items() if v["Type"] != "Trash")
    embedded = {f["Field"]: f["Value"] for f in flow["Flow"][0]["EmbeddedData"]}
    assert embedded == {"instrument_name": ins.name, "instrument_version": ins.version,
                        "instrument_hash": ins.hash, "survey_language": lang}


def test_every_item_is_an_export_tag_or_a_matrix_statement(ins, qsf):
    from rsnprop.instrument.exporters.qualtrics import matrix_columns

    _, _, questions, _ = _parts(qsf)
    by_tag = {q["DataExportTag"]: q for q in questions.values()}
    matrices = matrix_columns(ins)
    for item in ins.items.values():
        if item.type == "meta":
            continue
        if item.type == "likert":       # every Likert item sits in a matrix (statement n)
            col = next(c for c, iid in matrices.items() if iid == item.id)
            tag, row = col.rsplit("_", 1)
            q = by_tag[tag]
            assert q["QuestionType"] == "Matrix" and q["Selector"] == "Likert"
            assert q["Choices"][row]["Display"] == " ".join(item.text["en"].split())
            assert len(q["Answers"]) == item.scale.max - item.scale.min + 1
        elif item.constant_sum is not None:
            q = by_tag[item.constant_sum.group]
            assert q["QuestionType"] == "CS" and q["Validation"]["Settings"]["ChoiceTotal"] == \
                f"{item.constant_sum.total:g}"
            assert " ".join(item.text["en"].split()) in [c["Display"] for c in q["Choices"].values()]
        else:
            q = by_tag[item.id]
            expected = {"select_one": "MC", "select_multiple": "MC", "integer": "TE",
                        "decimal": "TE", "text": "TE"}[item.type]
            assert q["QuestionType"] == expected, item.id
    none = by_tag["rsn_platforms"]
    assert [c.get("ExclusiveAnswer") for c in none["Choices"].values()].count(True) == 1
    assert by_tag["employees"]["Validation"]["Settings"]["ContentType"] == "ValidNumber"


def test_flow_screens_out_and_display_logic_skips(ins, qsf):
    _, blocks, questions, flow = _parts(qsf)
    branches = [el for el in _flow_elements(flow["Flow"]) if el["Type"] == "Branch"]
    ends = {b["Description"].removeprefix("Screen-out "): b for b in branches
            if b["Description"].startswith("Screen-out")}
    assert set(ends) == {r.id for r in ins.routing if r.action == "end"}
    for rule in ins.routing:
        if rule.action != "end":
            continue
        branch = ends[rule.id]
        message_block, end = branch["Flow"]
        assert end["Type"] == "EndSurvey" and end["Options"]["ResponseFlag"] == SCREENED_FLAG
        qid = blocks[message_block["ID"]]["BlockElements"][0]["QuestionID"]
        assert questions[qid]["QuestionText"] == " ".join(rule.message["en"].split())
        # the branch reads the trigger question
        trigger = next(q for q in questions.values() if q["DataExportTag"] == rule.trigger)
        assert branch["BranchLogic"]["0"]["0"]["QuestionID"] == trigger["QuestionID"]
    # the "none" skip: every question of the use/benefit/effort blocks after rsn_platforms is
    # shown only if "no social media" is not selected
    platforms = next(q for q in questions.values() if q["DataExportTag"] == "rsn_platforms")
    none_choice = str(list(ins.items["rsn_platforms"].choices).index("no_social_media") + 1)
    locator = f"q://{platforms['QuestionID']}/SelectableChoice/{none_choice}"
    for block in ("BL_rsn_use", "BL_benefits", "BL_effort"):
        qids = [be["QuestionID"] for be in blocks[block]["BlockElements"] if be["Type"] == "Question"]
        if block == "BL_rsn_use":
            qids = qids[qids.index(platforms["QuestionID"]) + 1:]
        for qid in qids:
            exprs = [e for g in _groups(questions[qid]["DisplayLogic"]) for e in g]
            assert any(e["LeftOperand"] == locator and e["Operator"] == "NotSelected" for e in exprs), qid


def test_display_logic_reads_questions_on_earlier_pages(qsf):
    """Logic evaluated at page load (``inPage: false``) may read only earlier pages."""
    _, blocks, questions, _ = _parts(qsf)
    for block in blocks.values():
        page, page_of = 0, {}
        for be in block["BlockElements"]:
            if be["Type"] == "Page Break":
                page += 1
            else:
                page_of[be["QuestionID"]] = page
        for qid, p in page_of.items():
            for group in _groups(questions[qid].get("DisplayLogic", {})):
                for e in group:
                    assert page_of.get(e["QuestionID"], -1) < p, (qid, e["QuestionID"])


# --- a minimal QSF interpreter (the subset of logic the exporter writes) -----------------------

def _groups(logic):
    return [[logic[g][e] for e in sorted((k for k in logic[g] if k.isdigit()), key=int)]
            for g in sorted((k for k in logic if k.isdigit()), key=int)]


def _expr_holds(e, state) -> bool:
    m = re.fullmatch(r"q://(QID\d+)/(?:SelectableChoice/(?:(\d+)/)?(\d+)|(ChoiceTextEntryValue))",
                     e["LeftOperand"])
    qid, row, choice, text = m.groups()
    value = state.get(qid)
    if text:
        if value in (None, ""):
            return False
        a, b = float(value), float(e["RightOperand"])
        return {"EqualTo": a == b, "NotEqualTo": a != b, "GreaterThan": a > b, "GreaterThanOrEqual": a >= b,
                "LessThan": a < b, "LessThanOrEqual": a <= b}[e["Operator"]]
    chosen = (value or {}).get(row, set()) if row else (value or set())
    selected = choice in chosen
    return {"Selected": selected, "NotSelected": not selected}[e["Operator"]]


def _holds(logic, state) -> bool:
    """Groups joined by the first expression's conjunction; inside a group AND binds tighter."""
    result = None
    for group in _groups(logic):
        terms, current = [], True
        for k, e in enumerate(group):
            if k and e.get("Conjuction") == "Or":
                terms.append(current)
                current = True
            current = current and _expr_holds(e, state)
        value = any(terms + [current])
        if result is None:
            result = value
        else:
            result = (result and value) if group[0].get("Conjuction") == "And" else (result or value)
    return bool(result)


def _answer(q, answers, ins, matrices):
    """What a respondent with ``answers`` (item id -> value) enters in question ``q``: the
    state the logic reads, and the export columns Qualtrics writes."""
    tag, qtype = q["DataExportTag"], q["QuestionType"]
    if qtype == "Matrix":
        rows = {}
        for row in q["Choices"]:
            item = ins.items[matrices[f"{tag}_{row}"]]
            if answers[item.id] is not None:       # None: left blank
                rows[row] = str(int(answers[item.id] - item.scale.min + 1))
        return {r: {v} for r, v in rows.items()}, {f"{tag}_{r}": v for r, v in rows.items()}
    if qtype == "CS":
        parts = ins.constant_sum_groups[tag]
        return None, {f"{tag}_{n}": answers[p.id] for n, p in enumerate(parts, start=1)}
    if qtype == "TE":
        value = answers.get(tag)
        value = "" if value is None else value
        return str(value), {tag: value}
    item = ins.items[tag]
    if q["Selector"] == "MAVR":
        ticked = {str(list(item.choices).index(c) + 1) for c in str(answers[tag]).split()}
        return ticked, {f"{tag}_{k}": "1" if k in ticked else "" for k in q["Choices"]}
    recode = q.get("RecodeValues")
    code = answers[tag]
    if code is None:
        return set(), {tag: ""}
    k = next(k for k, v in recode.items() if v == str(code)) if recode else \
        str(list(item.choices).index(code) + 1)
    return {k}, {tag: recode[k] if recode else k}


def _run(qsf, ins, answers) -> tuple[dict, bool]:
    """Take the survey as the respondent: the response row and whether it was screened out."""
    from rsnprop.instrument.exporters.qualtrics import matrix_columns

    _, blocks, questions, flow = _parts(qsf)
    matrices = matrix_columns(ins)
    state, row = {}, {}

    def walk(elements) -> bool:   # True when the survey ended
        for el in elements:
            if el["Type"] == "EmbeddedData":
                row.update({f["Field"]: f["Value"] for f in el["EmbeddedData"]})
            elif el["Type"] in ("Block", "Standard"):
                for be in blocks[el["ID"]]["BlockElements"]:
                    q = questions.get(be.get("QuestionID"))
                    if q is None or q["QuestionType"] == "DB":
                        continue
                    if "DisplayLogic" in q and not _holds(q["DisplayLogic"], state):
                        continue
                    state[q["QuestionID"]], cols = _answer(q, answers, ins, matrices)
                    row.update(cols)
            elif el["Type"] == "Branch" and _holds(el["BranchLogic"], state) and walk(el["Flow"]):
                return True
            elif el["Type"] == "EndSurvey":
                return True
        return False

    ended = walk(flow["Flow"])
    return row, ended


def _qsf_export(qsf, ins, names, path):
    """Write the responses as Qualtrics' CSV export does: a header row of export tags, a row
    of question texts, a row of ``{"ImportId": ...}``, then one row per response."""
    rows = []
    for k, name in enumerate(names):
        row, ended = _run(qsf, ins, _respondent(ins, name))
        rows.append({"ResponseId": f"R_{k}", "Duration (in seconds)": 600 + k,
                     "Q_TerminateFlag": SCREENED_FLAG if ended else "", **row})
    frame = pd.DataFrame(rows).astype(object).where(lambda d: d.notna(), "")
    header = [frame.columns.tolist(), list(frame.columns),
              [json.dumps({"ImportId": c}) for c in frame.columns]]
    lines = header + frame.to_numpy().tolist()
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(lines)
    return frame


def test_interpreter_follows_the_flow(ins, qsf):
    row, ended = _run(qsf, ins, _respondent(ins, "not_sme"))
    assert ended and "employees" in row and "turnover_band" not in row and "phase" not in row
    row, ended = _run(qsf, ins, _respondent(ins, "no_rsn"))
    assert not ended and "rsn_platforms_1" in row and "benefits_matrix1_1" not in row
    assert "rsn_freq_linkedin" not in row and "comments" in row
    row, ended = _run(qsf, ins, _respondent(ins, "sme"))
    assert not ended and "benefits_matrix1_1" in row and "rsn_effort_1" in row
    assert row["survey_language"] == "en" and row["instrument_hash"] == ins.hash


def test_round_trip_qsf_response_export_cleans_with_the_routing_rules(ins, qsf, tmp_path):
    """QSF -> responses -> ``--platform qualtrics`` mapping -> clean: each screened-out firm and
    the firm without social media are excluded under their own reason, counted in the log."""
    from rsnprop.data import clean

    from rsnprop.data import read_table

    frame = _qsf_export(qsf, ins, NAMES, tmp_path / "qualtrics.csv")
    assert (frame["Q_TerminateFlag"] == SCREENED_FLAG).sum() == sum(
        r.action == "end" for r in ins.routing)            # every screen-out ended the survey
    # as `rsnprop clean --platform qualtrics` reads it (header rows, columns and values mapped)
    df = read_table(tmp_path / "qualtrics.csv", platform="qualtrics", instrument=ins)
    assert {"rel_1", "rsn_platforms_linkedin", "cs_relational", "resp_id"} <= set(df.columns)
    likert = [i.id for i in ins.items.values() if i.type == "likert" and not i.attention_check]
    rng = np.random.default_rng(3)   # ordinary answers vary a little (careless screens)
    for k, name in enumerate(NAMES):
        if name.startswith("sme"):
            cols = [c for c in likert if pd.notna(df.loc[k, c])]
            df.loc[k, cols] = rng.integers(3, 7, size=len(cols))
    with pytest.warns(Warning):
        res = clean(df, ins)
    rows = {name: k + 1 for k, name in enumerate(NAMES)}
    excluded = {e["row"]: e["reasons"] for e in res.log["excluded"]}
    for name, reason in ROUTED.items():
        assert excluded[rows[name]] == [reason], name
    assert excluded[rows["sme_gaps"]] == ["too_many_missing"]
    assert res.log["n_kept"] == NAMES.count("sme")
    fired = res.log["routing"]["rules"]
    assert {r: fired[r]["n_fired"] for r in fired} == {r: 1 for r in ROUTED.values()}
    assert res.log["routing"]["not_shown_answered"] == []     # the form hid them


def test_cli_exports_qsf(repo_root, tmp_path, rsnprop_cli, ins):
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "qsf", "--lang", "fr",
                       "-o", str(tmp_path / "survey"), "--json", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "survey.qsf"
    assert proc.json()["output"] == str(out)
    assert json.loads(out.read_text(encoding="utf-8"))["SurveyEntry"]["SurveyLanguage"] == "FR"
