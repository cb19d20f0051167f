"""Exports of the instrument, each checked against its documented format.

XLSForm: converted with pyxform (no error, no warning).  LimeSurvey TSV: the structure rules
of LimeSurvey's "Tab Separated Value survey structure" manual page.  Qualtrics: the Advanced
Format tags.  Every export: deterministic bytes and the instrument's name/version/hash.
The mapping back (column_map) is tested against export headers derived from the exported
files themselves.
"""

from __future__ import annotations

import copy
import io
import json
import re

import pytest
import yaml

from rsnprop.instrument import column_map, export, load_instrument

INSTRUMENT = "instruments/rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def ins(repo_root):
    return load_instrument(repo_root / INSTRUMENT)


@pytest.fixture(scope="module")
def fielded(ins):
    """Item ids that appear in a platform questionnaire (meta items are platform-recorded)."""
    return [i.id for i in ins.items.values() if i.type != "meta"]


# --- XLSForm -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def xlsform_bytes(ins):
    return export(ins, "xlsform")


@pytest.fixture(scope="module")
def xform(xlsform_bytes):
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    result = convert(xlsform=io.BytesIO(xlsform_bytes), warnings=warnings, file_type=".xlsx")
    return result.xform, warnings


def test_xlsform_converts_with_pyxform_without_warnings(xform):
    xml, warnings = xform
    assert warnings == []
    assert xml.startswith("<?xml")


def test_xlsform_has_every_item_both_languages_and_skip_logic(ins, xform, fielded):
    xml, _ = xform
    binds = set(re.findall(r'<bind nodeset="([^"]+)"', xml))
    leaf = {b.rsplit("/", 1)[-1] for b in binds}
    assert set(fielded) <= leaf
    assert {"duration_sec", "survey_year", "instrument_hash"} <= leaf
    assert '<translation lang="English (en)" default="true()">' in xml
    assert '<translation lang="French (fr)">' in xml
    # skip logic and range constraints became XPath
    assert re.search(r'nodeset="/\w+/international/first_foreign_sale_year"[^>]*relevant="[^"]*phase\s*&gt;= 2', xml)
    assert re.search(r'nodeset="/\w+/rsn_use/rsn_freq_linkedin"[^>]*relevant="selected\(', xml)
    assert "+ . = 100" in xml  # constant sum
    assert ins.hash in xml


def test_xlsform_sheets_follow_the_standard(ins, xlsform_bytes):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsform_bytes))
    assert wb.sheetnames == ["survey", "choices", "settings"]
    survey = list(wb["survey"].iter_rows(values_only=True))
    header = survey[0]
    for col in ("type", "name", "label::English (en)", "label::French (fr)", "relevant", "constraint"):
        assert col in header
    names = [r[1] for r in survey[1:] if r[0] not in ("end_group",)]
    assert len(names) == len(set(names))
    settings = dict(zip(*list(wb["settings"].iter_rows(values_only=True))))
    assert settings["form_id"] == ins.name and settings["version"] == ins.version
    assert settings["default_language"] == "English (en)"


def test_xlsform_export_columns_map_back(ins, xlsform_bytes, fielded):
    """Column names of ODK Central (group-name paths) and Kobo exports map onto item ids."""
    from openpyxl import load_workbook

    survey = list(load_workbook(io.BytesIO(xlsform_bytes))["survey"].iter_rows(values_only=True))
    choices = list(load_workbook(io.BytesIO(xlsform_bytes))["choices"].iter_rows(values_only=True))
    lists: dict[str, list] = {}
    for r in choices[1:]:
        lists.setdefault(r[0], []).append(r[1])
    group, central, kobo = [], ["KEY", "SubmissionDate"], ["_uuid", "_submission_time"]
    for r in survey[1:]:
        typ, name = r[0], r[1]
        if typ == "begin_group":
            group.append(name)
            continue
        if typ == "end_group":
            group.pop()
            continue
        if typ in ("note", "start", "end"):
            continue
        central.append("-".join(group + [name]))
        kobo.append("/".join(group + [name]))
        if typ.startswith("select_multiple"):
            for code in lists[typ.split()[1]]:
                central.append("-".join(group + [name, str(code)]))
                kobo.append("/".join(group + [name, str(code)]))
    m = column_map(ins, "xlsform")
    for header in (central, kobo):
        mapped = {m[c] for c in header if c in m}
        assert set(fielded) | {"resp_id", "duration_sec", "survey_year"} <= mapped
        for item in ins.items.values():
            if item.type == "select_multiple":
                assert {f"{item.id}_{c}" for c in item.choices} <= mapped


# --- LimeSurvey ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ls_rows(ins):
    import csv

    text = export(ins, "limesurvey")
    assert text.startswith("\ufeff")
    # read as LimeSurvey's importer does: fgetcsv(handle, 0, "\t", '"')
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter="\t", quotechar='"'))
    header = lines[0]
    return header, [dict(zip(header, ln)) for ln in lines[1:]]


def test_limesurvey_tsv_structure(ins, ls_rows):
    header, rows = ls_rows
    for col in ("class", "type/scale", "name", "relevance", "text", "help", "language", "mandatory"):
        assert col in header
    assert all(len(r) == len(header) for r in rows)
    assert {r["class"] for r in rows} <= {"S", "SL", "G", "Q", "SQ", "A"}
    globals_ = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    assert globals_["language"] == "en" and globals_["additional_languages"] == "fr"
    # the importer takes any 'sid' row as the new survey id: none must be written empty
    assert globals_.get("sid", "x") != ""
    # on question rows every column after same_default becomes a question attribute:
    # only standard LimeSurvey attribute names may appear there
    from rsnprop.instrument.exporters.limesurvey import ATTRIBUTES

    assert header[header.index("same_default") + 1:] == ATTRIBUTES
    assert set(ATTRIBUTES) <= {"min_num_value_n", "max_num_value_n", "num_value_int_only",
                               "equals_num_value", "hidden"}
    sls = {(r["language"], r["name"]) for r in rows if r["class"] == "SL"}
    assert {("en", "surveyls_title"), ("fr", "surveyls_title")} <= sls
    body = [r for r in rows if r["class"] in ("G", "Q", "SQ", "A")]
    by_lang = {lg: [r for r in body if r["language"] == lg] for lg in ("en", "fr")}
    assert len(body) == len(by_lang["en"]) + len(by_lang["fr"])
    # base language first, then the same rows in the same order for the other language
    assert body[: len(by_lang["en"])] == by_lang["en"]
    def key(r):  # group names are translated; codes are not
        return (r["class"], r["type/scale"], "" if r["class"] == "G" else r["name"])

    assert [key(r) for r in by_lang["en"]] == [key(r) for r in by_lang["fr"]]
    prev = None
    for r in by_lang["en"]:
        if r["class"] in ("SQ", "A"):
            assert prev in ("Q", "SQ", "A"), "subquestions/answers must follow their question"
        if r["class"] == "Q":
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,19}", r["name"]), r["name"]
            assert r["type/scale"] in ("L", "M", "N", "S", "K", "*", "X")
            assert r["mandatory"] in ("Y", "N")
        if r["class"] == "A":
            assert re.fullmatch(r"[A-Za-z0-9]{1,5}", r["name"]), r["name"]
        if r["class"] == "SQ":
            assert re.fullmatch(r"[A-Za-z0-9]{1,20}", r["name"]), r["name"]
        prev = r["class"]
    qnames = [r["name"] for r in by_lang["en"] if r["class"] == "Q"]
    assert len(qnames) == len(set(qnames))
    # every French text differs from English somewhere (translated, not copied)
    assert sum(a["text"] != b["text"] for a, b in zip(by_lang["en"], by_lang["fr"])) > 50
    hidden = [r for r in by_lang["en"] if r["name"] == "instrumenthash"]
    assert hidden and ins.hash in hidden[0]["text"]


def test_limesurvey_relevance_refers_to_existing_codes(ls_rows):
    _, rows = ls_rows
    en = [r for r in rows if r.get("language") == "en" and r["class"] in ("G", "Q", "SQ", "A")]
    known: set[str] = set()
    parent = None
    for r in en:
        if r["class"] == "Q":
            parent = r
        if r["class"] == "SQ" and parent["type/scale"] == "M":
            known.add(f"{parent['name']}_{r['name']}")
        if r["class"] in ("G", "Q"):
            for var in re.findall(r"([A-Za-z][A-Za-z0-9_]*)\s*(?:==|!=|>=|<=|>|<)", r["relevance"]):
                assert var in known, (r["name"], r["relevance"])
        if r["class"] == "Q":
            known.add(r["name"])


def test_limesurvey_response_columns_map_back(ins, ls_rows, fielded):
    """Headings of a LimeSurvey response export ('question code' headings) map onto ids."""
    _, rows = ls_rows
    en = [r for r in rows if r.get("language") == "en"]
    columns = ["id", "submitdate", "interviewtime"]
    parent = None
    for r in en:
        if r["class"] == "Q":
            parent = r
            if r["type/scale"] not in ("M", "K", "X"):   # text display stores no answer
                columns.append(r["name"])
        elif r["class"] == "SQ":
            columns.append(f"{parent['name']}[{r['name']}]")
    m = column_map(ins, "limesurvey")
    mapped = {m[c] for c in columns if c in m}
    assert set(fielded) - {i.id for i in ins.items.values() if i.type == "select_multiple"} <= mapped
    assert {"resp_id", "duration_sec"} <= mapped
    for item in ins.items.values():
        if item.type == "select_multiple":
            assert {f"{item.id}_{c}" for c in item.choices} <= mapped
    unmapped = [c for c in columns if c not in m]
    assert unmapped == ["submitdate", "instrumentname", "instrumentversion", "instrumenthash"]


# --- Qualtrics -----------------------------------------------------------------------------

def _matrix_statements(ins, text, lang):
    """item id -> matrix question id, read from the statements of the exported matrices."""
    by_text = {it.text[lang]: iid for iid, it in ins.items.items()}
    out = {}
    for qtype, qid, body in _qualtrics_questions(text):
        if qtype != "[[Question:Matrix]]":
            continue
        statements = body.split("[[Choices]]\n")[1].split("\n\n[[Answers]]")[0].strip().split("\n")
        answers = body.split("[[Answers]]\n")[1].strip().split("\n")
        assert len(answers) == 7 and answers[0] == ins.items[by_text[statements[0]]].scale.labels[1][lang]
        for st in statements:
            assert by_text[st] not in out
            out[by_text[st]] = qid
    return out


def _qualtrics_questions(text):
    blocks = re.split(r"\n(?=\[\[Question:)", text)
    out = []
    for b in blocks[1:]:
        lines = b.split("\n")
        qtype = lines[0]
        qid = re.fullmatch(r"\[\[ID:([^\]]+)\]\]", lines[1]).group(1)
        body = "\n".join(lines[2:]).split("\n\n[[Block:")[0].split("\n\n[[PageBreak]]")[0]
        out.append((qtype, qid, body))
    return out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_qualtrics_advanced_format(ins, lang, fielded):
    text = export(ins, "qualtrics", lang=lang)
    assert text.startswith("[[AdvancedFormat]]\n")
    tags = set(re.findall(r"^\[\[([A-Za-z]+)", text, flags=re.M))
    assert tags <= {"AdvancedFormat", "ED", "Block", "Question", "ID", "Choices", "AdvancedChoices",
                    "Choice", "PageBreak", "Answers"}
    qs = _qualtrics_questions(text)
    ids = [q[1] for q in qs]
    assert len(ids) == len(set(ids))
    allowed = {"[[Question:MC:SingleAnswer:Vertical]]", "[[Question:MC:MultipleAnswer:Vertical]]",
               "[[Question:TE:SingleLine]]", "[[Question:ConstantSum]]", "[[Question:DB]]",
               "[[Question:Matrix]]"}
    assert {q[0] for q in qs} <= allowed
    cs_groups = {i.constant_sum.group for i in ins.items.values() if i.constant_sum}
    in_matrix = _matrix_statements(ins, text, lang)
    expected = [i for i in fielded if ins.items[i].constant_sum is None and i not in in_matrix]
    assert set(expected) | cs_groups <= set(ids)
    # every Likert item is a statement of exactly one matrix (no separate question)
    likert = {i for i in fielded if ins.items[i].type == "likert"}
    assert set(in_matrix) == likert and not likert & set(ids)
    for qtype, qid, body in qs:
        if qtype.startswith("[[Question:MC:SingleAnswer"):
            item = ins.items[qid]
            codes = re.findall(r"\[\[Choice:(\d+)\]\]", body)
            if item.type == "likert":
                assert codes == [str(v) for v in range(int(item.scale.min), int(item.scale.max) + 1)]
            else:
                assert len(codes) == len(item.choices)
        if qtype == "[[Question:MC:MultipleAnswer:Vertical]]":
            opts = body.split("[[Choices]]\n")[1].strip().split("\n")
            assert len(opts) == len(ins.items[qid].choices)
    assert f"[[ED:instrument_hash:{ins.hash}]]" in text
    # the question text is in the requested language
    assert ins.items["rel_1"].text[lang] in text


def test_qualtrics_export_columns_map_back(ins, fielded):
    text = export(ins, "qualtrics")
    columns = ["StartDate", "EndDate", "Duration (in seconds)", "ResponseId"]
    for qtype, qid, body in _qualtrics_questions(text):
        if qtype == "[[Question:DB]]":
            continue
        if qtype in ("[[Question:MC:MultipleAnswer:Vertical]]", "[[Question:ConstantSum]]"):
            n = len(body.split("[[Choices]]\n")[1].strip().split("\n"))
            columns += [f"{qid}_{k}" for k in range(1, n + 1)]
        elif qtype == "[[Question:Matrix]]":   # one column per statement
            n = len(body.split("[[Choices]]\n")[1].split("\n\n[[Answers]]")[0].strip().split("\n"))
            columns += [f"{qid}_{k}" for k in range(1, n + 1)]
        else:
            columns.append(qid)
    m = column_map(ins, "qualtrics")
    mapped = {m[c] for c in columns if c in m}
    multi = {i.id for i in ins.items.values() if i.type == "select_multiple"}
    assert set(fielded) - multi <= mapped
    assert {"resp_id", "duration_sec"} <= mapped


# --- codebook and printable questionnaire ----------------------------------------------------

def test_codebook_lists_every_item(ins):
    md = export(ins, "codebook")
    html = export(ins, "codebook-html")
    for item_id in ins.items:
        assert f"| `{item_id}` |" in md, item_id
        assert f'id="var-{item_id}"' in html, item_id
    for text in (md, html):
        assert ins.hash in text and ins.version in text
    assert "rel_7" in md and "reverse: min+max-x" in md
    assert "1 = Strongly disagree" in md
    assert "C = C - Manufacturing" in md
    assert "Chetty, S., Johanson, M., &amp; Martín Martín, O. (2014)" in html


def test_html_exports_escape_user_text_and_are_self_contained(repo_root):
    raw = yaml.safe_load((repo_root / INSTRUMENT).read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["sections"][0]["items"][0]["text"]["en"] = "<script>alert(1)</script> & more"
    ins2 = load_instrument(raw)
    for fmt in ("codebook-html", "questionnaire"):
        page = export(ins2, fmt)
        assert "<script>" not in page and "&lt;script&gt;" in page
        assert not re.search(r'(src|href)="https?://', page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_printable_questionnaire_per_language(ins, lang, fielded):
    page = export(ins, "questionnaire", lang=lang)
    assert f'<html lang="{lang}">' in page and ins.hash in page
    from html import unescape

    plain = unescape(page)
    for item_id in fielded:
        assert ins.items[item_id].text[lang] in plain, item_id
    n_questions = len(re.findall(r'<div class="q" id="', page))
    assert n_questions == len(fielded)


# --- determinism and CLI ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsform", "limesurvey", "qualtrics", "qsf", "codebook",
                                 "codebook-html", "questionnaire"])
def test_exports_are_deterministic(ins, fmt):
    assert export(ins, fmt) == export(ins, fmt)


def test_cli_export_writes_files_and_reports_provenance(repo_root, tmp_path, rsnprop_cli, ins):
    out = tmp_path / "form.xlsx"
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "xlsform", "-o", str(out),
                       "--json", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["instrument"] == ins.provenance() and info["bytes"] == out.stat().st_size
    assert out.read_bytes() == export(ins, "xlsform")
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "questionnaire", "--lang", "fr",
                       "-o", str(tmp_path / "q_fr.html"), cwd=repo_root)
    assert proc.returncode == 0 and '<html lang="fr">' in (tmp_path / "q_fr.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, needle", [
    (["--format", "spss", "-o", "x"], "invalid choice"),
    (["--format", "qualtrics", "--lang", "de", "-o", "x"], "--lang"),
])
def test_cli_export_bad_arguments_exit_2(repo_root, rsnprop_cli, tmp_path, args, needle):
    args = [a if a != "x" else str(tmp_path / "x") for a in args]
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, *args, cwd=repo_root)
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_cli_show_json_contract(repo_root, rsnprop_cli, ins):
    proc = rsnprop_cli("instrument", "show", INSTRUMENT, "--json", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    out = proc.json()
    assert set(out) == {"name", "version", "hash", "languages", "n_items", "constructs"}
    assert out["hash"] == ins.hash and out["languages"] == ["en", "fr"]
    assert out["n_items"] == len(ins.items)
    assert out["constructs"]["relational"]["items"] == ins.constructs["relational"].items
    assert out["constructs"]["relational"]["label"] == "Relational benefits of social media"
    text = rsnprop_cli("instrument", "show", INSTRUMENT, cwd=repo_root)
    assert text.returncode == 0 and "intl_approach" in text.stdout and "attn_1" in text.stdout


def test_cli_codebook_format_follows_output_suffix(repo_root, tmp_path, rsnprop_cli):
    out = tmp_path / "codebook.html"
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "codebook", "-o", str(out),
                       "--json", cwd=repo_root)
    assert proc.returncode == 0 and proc.json()["format"] == "codebook-html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_instrument_survives_pickling(ins):
    """Parallel runs (joblib/loky) pickle the instrument: it must round-trip."""
    import pickle

    back = pickle.loads(pickle.dumps(ins))
    assert back.hash == ins.hash and back.items["rel_7"].reverse and back.constructs.keys() == ins.constructs.keys()


def test_every_xlsform_export_is_checked_with_pyxform():
    """pyxform (a runtime dependency) converts each XLSForm at export time; a workbook it cannot
    convert is an InstrumentError naming pyxform's message, not a file handed to the user."""
    from rsnprop.errors import InstrumentError
    from rsnprop.instrument.exporters.xlsform import check_with_pyxform

    with pytest.raises(InstrumentError, match="pyxform cannot convert the XLSForm export"):
        check_with_pyxform(b"not a workbook")
