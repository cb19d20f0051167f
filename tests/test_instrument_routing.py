"""Issue 18: a questionnaire ready for respondents and an ethics board.

Routing (screen-outs and the "none" answer) is checked in the exported forms themselves: the
XLSForm's XPath relevance is evaluated as an ODK client would, the LimeSurvey relevance
equations as LimeSurvey would (for the subset the exporter writes), then the response
export those forms produce is mapped back onto item ids and cleaned (round trip).  Also:
English labels say "social media", consent carries the GDPR/RGPD notice in both languages,
Qualtrics Likert blocks are matrices, the codebook cites published sources with their
checked status.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import yaml

from rsnprop.instrument import export, from_platform, load_instrument, shown

INSTRUMENT = "instruments/rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def ins(repo_root):
    return load_instrument(repo_root / INSTRUMENT)


@pytest.fixture(scope="module")
def raw(repo_root):
    return yaml.safe_load((repo_root / INSTRUMENT).read_text(encoding="utf-8"))


# --- respondents ---------------------------------------------------------------------------

def _base_answers(ins) -> dict:
    """A complete, valid answer for every fielded item (an ordinary internationalised SME)."""
    out = {}
    for item in ins.items.values():
        if item.type == "meta":
            continue
        if item.type == "likert":
            out[item.id] = 5
        elif item.type == "select_one":
            out[item.id] = next(iter(item.choices))
        elif item.type == "select_multiple":
            out[item.id] = str(next(iter(item.choices)))
        elif item.type == "text":
            out[item.id] = ""
        elif item.scale is not None and item.scale.min is not None:
            out[item.id] = item.scale.min
    out.update({"consent": 1, "decision_maker": 1, "role": 1, "founding_year": 2010,
                "employees": 40, "turnover_band": 1, "balance_band": 1, "sector": "C",
                "phase": 3, "first_foreign_sale_year": 2012, "foreign_share_y3": 30,
                "foreign_share_now": 45, "n_countries": 6, "n_continents": 2,
                "distant_markets": 1, "rsn_platforms": "linkedin facebook",
                "cs_relational": 40, "cs_informational": 60, "attn_1": 1, "attn_2": 6,
                "rsn_hours": 3, "rsn_years": 6})
    return out


RESPONDENTS = {  # name -> overrides of the base answers
    "sme": {},
    "not_sme": {"employees": 300},
    "no_rsn": {"rsn_platforms": "no_social_media"},
    "phase1": {"phase": 1},
    "no_consent": {"consent": 0},
}


def _respondent(ins, name):
    return {**_base_answers(ins), **RESPONDENTS[name]}


# --- a minimal XForm (XPath 1.0) evaluator for the expressions the exporter writes ----------

class _V(str):
    """A node value: compares as a number against numbers, as text against text (XPath 1.0)."""

    def _num(self):
        try:
            return float(self)
        except ValueError:
            return float("nan")

    def _cmp(self, other, op):
        if isinstance(other, (int, float)):
            return op(self._num(), float(other))
        return op(str(self), str(other))

    def __eq__(self, o):
        return self._cmp(o, lambda a, b: a == b)

    def __ne__(self, o):
        return not self.__eq__(o)

    def __ge__(self, o):
        return self._cmp(o, lambda a, b: a >= b)

    def __gt__(self, o):
        return self._cmp(o, lambda a, b: a > b)

    def __le__(self, o):
        return self._cmp(o, lambda a, b: a <= b)

    def __lt__(self, o):
        return self._cmp(o, lambda a, b: a < b)

    __hash__ = str.__hash__


def _xpath(expr: str, answers: dict, self_value=None) -> bool:
    py = re.sub(r"\s*/\w+(?:/\w+)*/(\w+)\s*", lambda m: f" v('{m.group(1)}') ", expr)
    py = py.replace("count-selected(.)", "cnt(v('.'))").replace("selected(.", "selected(v('.')")
    py = re.sub(r"(?<![<>!=])=(?!=)", "==", py)
    py = re.sub(r"\bnot\(", "not_(", py).replace("false()", "False")
    def v(name):
        value = self_value if name == "." else answers.get(name)
        return _V("" if value is None else str(value))

    env = {"v": v,
           "selected": lambda a, code: code in str(a).split(),
           "cnt": lambda a: len(str(a).split()), "not_": lambda b: not b}
    return bool(eval(py, env))  # noqa: S307 - expressions come from our own export


@pytest.fixture(scope="module")
def xform(ins):
    from pyxform.xls2xform import convert

    warnings: list = []
    result = convert(xlsform=io.BytesIO(export(ins, "xlsform")), warnings=warnings, file_type=".xlsx")
    assert warnings == []
    root = ET.fromstring(result.xform)
    binds = {b.get("nodeset"): b for b in root.iter() if b.tag.endswith("bind")}
    return binds


def _relevant_fields(binds, answers) -> dict:
    """nodeset -> relevant? for every field, with the relevance of its enclosing groups."""
    out = {}
    for path in binds:
        ok = True
        parts = path.strip("/").split("/")
        for k in range(2, len(parts) + 1):
            b = binds.get("/" + "/".join(parts[:k]))
            if b is not None and b.get("relevant") and not _xpath(b.get("relevant"), answers):
                ok = False
        out[path] = ok
    return out


def _leaf(path):
    return path.rsplit("/", 1)[-1]


def test_xlsform_screen_outs_end_the_form_politely(ins, xform):
    order = list(xform)
    for name, rule_id, trigger in (("not_sme", "not_sme", "employees"),
                                   ("phase1", "not_internationalised", "phase"),
                                   ("no_consent", "no_consent", "consent")):
        rel = _relevant_fields(xform, _respondent(ins, name))
        end_note = next(p for p in order if _leaf(p) == f"end_{rule_id}")
        assert rel[end_note], name                      # the polite end message is shown
        trig = next(p for p in order if _leaf(p) == trigger)
        later = [p for p in order[order.index(end_note) + 1:]
                 if _leaf(p) in ins.items and ins.items[_leaf(p)].type != "meta"]
        assert later and not any(rel[p] for p in later), name   # nothing else is asked
        assert rel[trig]
        # the other screen-out messages stay hidden
        others = [p for p in order if _leaf(p).startswith("end_") and p != end_note]
        assert not any(rel[p] for p in others), name
    ok = _relevant_fields(xform, _respondent(ins, "sme"))
    assert not any(v for p, v in ok.items() if _leaf(p).startswith("end_"))
    assert ok[next(p for p in order if _leaf(p) == "rel_1")]
    # the polite message is a note in both languages
    for rule in ins.routing:
        if rule.action == "end":
            assert set(rule.message) == {"en", "fr"} and all(m.strip() for m in rule.message.values())


def test_xlsform_none_answer_skips_use_benefits_and_effort(ins, xform):
    rel = _relevant_fields(xform, _respondent(ins, "no_rsn"))
    skipped = [i for i in ins.items.values() if "no_rsn_use" in i.routed_by]
    assert {i.section for i in skipped} == {"rsn_use", "benefits", "effort"}
    assert {"rel_1", "inf_1", "rsk_1", "cs_relational", "rsn_freq_linkedin", "blf_1"} <= {i.id for i in skipped}
    for path, ok in rel.items():
        if _leaf(path) in {i.id for i in skipped}:
            assert not ok, path
    by_leaf = {_leaf(p): ok for p, ok in rel.items()}
    assert by_leaf["rsn_platforms"] and by_leaf["comments"] and by_leaf["ia_1"]
    # "none" cannot be combined with a platform
    constraint = xform[next(p for p in xform if _leaf(p) == "rsn_platforms")].get("constraint")
    assert _xpath(constraint, {}, self_value="no_social_media")
    assert _xpath(constraint, {}, self_value="linkedin x")
    assert not _xpath(constraint, {}, self_value="linkedin no_social_media")


def _odk_export(ins, binds, names) -> pd.DataFrame:
    """What ODK Central exports for these respondents: group-path headers, irrelevant
    fields empty, select_multiple as one space-separated column, KEY and SubmissionDate."""
    rows = []
    fields = [p for p in binds if _leaf(p) in ins.items and ins.items[_leaf(p)].type != "meta"]
    for k, name in enumerate(names):
        answers = _respondent(ins, name)
        rel = _relevant_fields(binds, answers)
        row = {"KEY": f"uuid:{k}", "SubmissionDate": "2026-03-02T10:00:00Z", "duration_sec": 600 + k}
        for p in fields:
            header = "-".join(p.strip("/").split("/")[1:])
            row[header] = answers.get(_leaf(p), "") if rel[p] else ""
        rows.append(row)
    return pd.DataFrame(rows).replace("", np.nan)


def test_xlsform_round_trip_maps_skips_and_screen_outs_back(ins, xform):
    names = ["sme", "not_sme", "no_rsn", "phase1"]
    raw_export = _odk_export(ins, xform, names)
    assert "benefits-rel_1" in raw_export.columns and "rsn_use-rsn_platforms" in raw_export.columns
    df = from_platform(raw_export, ins, "xlsform")
    assert df["resp_id"].tolist() == [f"uuid:{k}" for k in range(4)]
    # asked of the first and third firm only; missing (not 0) where never asked
    assert df["rsn_platforms_no_social_media"].fillna(-1).tolist() == [0, -1, 1, -1]
    assert df["rel_1"].notna().tolist() == [True, False, False, False]
    # skip logic read back from the data agrees with what the form showed
    assert shown(df, ins, "rel_1").tolist() == [True, False, False, False]
    assert shown(df, ins, "rsn_platforms").tolist() == [True, False, True, False]
    assert shown(df, ins, "comments").tolist() == [True, False, True, False]
    # select_multiple indicators are missing (not 0) where the question was never asked
    assert np.isnan(df.loc[1, "rsn_platforms_linkedin"]) and df.loc[2, "rsn_platforms_linkedin"] == 0


def test_cleaning_counts_screen_outs_and_firms_without_social_media(ins, xform):
    from rsnprop.data import clean

    names = ["sme"] * 6 + ["not_sme", "no_rsn", "no_rsn", "phase1"]
    df = from_platform(_odk_export(ins, xform, names), ins, "xlsform")
    # vary the ordinary firms a little so that the careless screens have something to see
    likert = [i for i in ins.items.values() if i.type == "likert" and not i.attention_check]
    rng = np.random.default_rng(3)
    for item in likert:
        df.loc[:5, item.id] = rng.integers(3, 7, size=6)
    with pytest.warns(Warning):
        res = clean(df, ins)
    reasons = {r: n for step in res.log["steps"] for r, n in step.get("reasons", {}).items()}
    assert reasons.get("not_sme") == 1 and reasons.get("not_internationalised") == 1
    assert reasons.get("no_rsn_use") == 2
    elig = next(s for s in res.log["steps"] if s["step"] == "eligibility")
    assert elig["n_excluded"] == 4
    excluded = {e["id"]: e["reasons"] for e in res.log["excluded"]}
    # counted under their own reason only (no missing-answer or careless reason besides)
    assert excluded["uuid:7"] == ["no_rsn_use"] and excluded["uuid:8"] == ["no_rsn_use"]
    assert excluded["uuid:6"] == ["not_sme"] and excluded["uuid:9"] == ["not_internationalised"]
    # the routed-out firms raise no 'required' or 'answered when hidden' problems
    probs = res.problems
    routed = probs[probs["row"].isin([7, 8, 9, 10])]
    assert not routed["reason"].isin(["answered_when_hidden"]).any()


# --- LimeSurvey: relevance equations evaluated, response export mapped back -------------------

def _ls_rows(ins, lang="en"):
    text = export(ins, "limesurvey")
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter="\t", quotechar='"'))
    header = lines[0]
    return [dict(zip(header, ln)) for ln in lines[1:] if dict(zip(header, ln)).get("language") == lang]


def _ls_eval(expr: str, answers: dict) -> bool:
    if expr.strip() in ("", "1"):
        return True
    py = re.sub(r"!\(", "not (", expr)
    py = re.sub(r"!is_empty\((\w+)\)", r"(v('\1') != '')", py)
    py = re.sub(r"\b([A-Za-z][A-Za-z0-9_]*)\b(?=\s*(==|!=|>=|<=|>|<))", r"v('\1')", py)
    return bool(eval(py, {"v": lambda n: _V(str(answers.get(n, "")))}))  # noqa: S307


def _ls_export(ins, names) -> pd.DataFrame:
    """LimeSurvey response export ('question code' headings, answer codes)."""
    from rsnprop.instrument.exporters.codes import limesurvey_subquestion_code

    rows = _ls_rows(ins)
    out = []
    for k, name in enumerate(names):
        answers = _respondent(ins, name)
        vals: dict = {}
        group_ok = True
        row = {"id": k + 1, "submitdate": "2026-03-02 10:00:00", "interviewtime": 600}
        parent, q_ok = None, False
        for r in rows:
            if r["class"] == "G":
                group_ok = _ls_eval(r["relevance"], vals)
            elif r["class"] == "Q":
                parent = r
                q_ok = group_ok and _ls_eval(r["relevance"], vals)
                item = next((i for i in ins.items.values()
                             if (i.codes.get("limesurvey") or re.sub("[^A-Za-z0-9]", "", i.id)) == r["name"]), None)
                if r["type/scale"] in ("L", "N", "S") and item is not None:
                    v = answers.get(item.id, "") if q_ok else ""
                    vals[r["name"]] = v
                    row[r["name"]] = v
                if r["type/scale"] == "X":
                    row[f"shown:{r['name']}"] = q_ok
            elif r["class"] == "SQ" and parent["type/scale"] == "M":
                item = next(i for i in ins.items.values() if re.sub("[^A-Za-z0-9]", "", i.id) == parent["name"])
                codes = list(item.choices)
                sq = {limesurvey_subquestion_code(c, k): c for k, c in enumerate(codes)}
                ticked = q_ok and str(sq[r["name"]]) in str(answers.get(item.id, "")).split()
                vals[f"{parent['name']}_{r['name']}"] = "Y" if ticked else ""
                row[f"{parent['name']}[{r['name']}]"] = "Y" if ticked else ("" if q_ok else None)
            elif r["class"] == "SQ" and parent["type/scale"] == "K":
                part = next(i for i in ins.items.values() if re.sub("[^A-Za-z0-9]", "", i.id) == r["name"])
                row[f"{parent['name']}[{r['name']}]"] = answers.get(part.id) if q_ok else None
        out.append(row)
    return pd.DataFrame(out)


def test_limesurvey_round_trip_screen_outs_and_none(ins):
    names = ["sme", "not_sme", "no_rsn", "phase1"]
    raw_export = _ls_export(ins, names)
    # the screen-out message (text display) is shown exactly to the screened-out firm
    from rsnprop.instrument.exporters.limesurvey import end_code

    ends = {r.id: f"shown:{end_code(r)}" for r in ins.routing if r.action == "end"}
    assert raw_export[ends["not_sme"]].tolist() == [False, True, False, False]
    assert raw_export[ends["not_internationalised"]].tolist() == [False, False, False, True]
    assert not raw_export[ends["no_consent"]].any()
    assert raw_export["rel1"].replace("", np.nan).notna().tolist() == [True, False, False, False]
    df = from_platform(raw_export.drop(columns=[c for c in raw_export if c.startswith("shown:")]),
                       ins, "limesurvey")
    assert df["rsn_platforms_no_social_media"].fillna(-1).tolist() == [0, -1, 1, -1]
    assert shown(df, ins, "rel_1").tolist() == [True, False, False, False]
    assert shown(df, ins, "comments").tolist() == [True, False, True, False]


def test_limesurvey_internal_names_only_in_hidden_fields(ins):
    text = export(ins, "limesurvey")
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter="\t", quotechar='"'))
    rows = [dict(zip(lines[0], ln)) for ln in lines[1:]]
    shown_text = [r["text"] for r in rows
                  if r["class"] in ("SL", "G", "Q", "SQ", "A") and r.get("hidden") != "1"]
    assert not any(ins.name in t or f" {ins.version}" in t for t in shown_text)
    hidden = {r["name"]: r["text"] for r in rows if r.get("hidden") == "1" and r["language"] == "en"}
    assert hidden["instrumentname"] == ins.name and hidden["instrumentversion"] == ins.version
    assert ins.hash in hidden["instrumenthash"]


# --- Qualtrics -----------------------------------------------------------------------------

def test_qualtrics_likert_blocks_are_matrices_and_map_back(ins):
    from rsnprop.instrument import column_map
    from rsnprop.instrument.exporters.qualtrics import matrix_columns, matrix_groups

    text = export(ins, "qualtrics")
    benefits = next(s for s in ins.sections if s.id == "benefits")
    groups = matrix_groups(ins, benefits)
    assert len(groups) == 1 and {i.id for i in groups[0]} >= {"rel_1", "inf_9", "rsk_4", "attn_1"}
    assert text.count("[[Question:Matrix]]") == sum(len(matrix_groups(ins, s)) for s in ins.sections)
    assert "[[ID:rel_1]]" not in text
    m = column_map(ins, "qualtrics")
    cols = matrix_columns(ins)
    assert all(m[c] == iid for c, iid in cols.items())
    likert = {i.id for i in ins.items.values() if i.type == "likert"}
    assert set(cols.values()) == likert
    # a response export with matrix columns maps back onto the item ids and codes
    raw_export = pd.DataFrame({"ResponseId": ["R_1"], **{c: [k % 7 + 1] for k, c in enumerate(cols)}})
    df = from_platform(raw_export, ins, "qualtrics")
    assert df.loc[0, cols_first := next(iter(cols.values()))] == 1 and cols_first in df.columns
    # branch logic for the screen-outs is spelled out for the survey flow
    for rule in ins.routing:
        if rule.action == "end":
            assert f"screen-out '{rule.id}'" in text and "End of Survey" in text


# --- English says social media; French keeps RSN ----------------------------------------------

def _en_texts(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "en" and isinstance(v, str):
                yield path, v
            else:
                yield from _en_texts(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _en_texts(v, f"{path}[{i}]")


def test_english_labels_say_social_media_french_keeps_rsn(ins, raw):
    en = list(_en_texts(raw))
    assert len(en) > 150
    assert [p for p, t in en if re.search(r"\bRSN\b", t)] == []
    assert any("social media" in t for _, t in en)
    assert sum("RSN" in it.text["fr"] for it in ins.items.values()) > 30
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(export(ins, "xlsform")))
    for sheet in ("survey", "choices"):
        rows = list(wb[sheet].iter_rows(values_only=True))
        en_cols = [k for k, h in enumerate(rows[0]) if h and "English" in h]
        fr_cols = [k for k, h in enumerate(rows[0]) if h and "French" in h]
        assert en_cols and not any("RSN" in str(r[k] or "") for r in rows[1:] for k in en_cols)
        if sheet == "survey":
            assert any("RSN" in str(r[k] or "") for r in rows[1:] for k in fr_cols)
    assert not any("RSN" in r["text"] for r in _ls_rows(ins, "en"))
    assert "RSN" not in export(ins, "qualtrics", lang="en").split("[[Block:", 2)[2]
    assert "RSN" not in export(ins, "questionnaire", lang="en")


# --- GDPR / RGPD in consent, validated before fielding --------------------------------------------

@pytest.mark.parametrize("lang, heading", [("en", "Data protection (GDPR)"), ("fr", "Protection des données (RGPD)")])
def test_consent_carries_the_data_protection_notice(ins, lang, heading):
    from rsnprop.instrument.gdpr import FIELD_LABELS
    from rsnprop.instrument.schema import DATA_PROTECTION_FIELDS

    labels = FIELD_LABELS[lang][1]
    assert set(labels) == set(DATA_PROTECTION_FIELDS)
    from openpyxl import load_workbook

    survey = list(load_workbook(io.BytesIO(export(ins, "xlsform")))["survey"].iter_rows(values_only=True))
    col = survey[0].index(f"label::{'English' if lang == 'en' else 'French'} ({lang})")
    names = [r[1] for r in survey]
    note = survey[names.index("data_protection")]
    assert names.index("data_protection") < names.index("consent")
    texts = [note[col], next(r["text"] for r in _ls_rows(ins, lang) if r["name"] == "dataprotection"),
             export(ins, "qualtrics", lang=lang), export(ins, "questionnaire", lang=lang)]
    for text in texts:
        assert heading in text
        for label in labels.values():
            assert label.replace("'", "&#39;") in text or label in text, (label, text[:80])


def test_fielding_requires_every_data_protection_field(ins, raw, repo_root, tmp_path, rsnprop_cli):
    from rsnprop.instrument.validate import fielding_problems

    problems = fielding_problems(ins)
    assert len(problems) == 8 * 2              # eight fields, two languages, all empty
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "xlsform", "--fielding",
                       "-o", str(tmp_path / "f"), cwd=repo_root)
    assert proc.returncode == 2 and "data_protection.controller.en" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "f.xlsx").exists()
    filled = copy.deepcopy(raw)
    for name, text in filled["data_protection"].items():
        if name != "consent_items":
            text.update({"en": f"study {name}", "fr": f"étude {name}"})
    filled["data_protection"]["dpo"]["fr"] = ""
    assert fielding_problems(load_instrument(filled)) == [
        "data_protection.dpo.fr: empty (fill in the study-specific value before fielding)"]
    filled["data_protection"]["dpo"]["fr"] = "dpo@example.org"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(filled, allow_unicode=True), encoding="utf-8")
    proc = rsnprop_cli("instrument", "export", str(path), "--format", "xlsform", "--fielding",
                       "-o", str(tmp_path / "f"), "--json", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    assert proc.json()["output"].endswith("f.xlsx") and (tmp_path / "f.xlsx").exists()


def test_data_protection_block_is_validated(raw):
    from rsnprop.instrument.validate import validate_data

    bad = copy.deepcopy(raw)
    del bad["data_protection"]["retention"]["fr"]
    bad["data_protection"]["consent_items"]["recontact"] = "comments"
    report, _ = validate_data(bad)
    codes = {(p["path"], p["code"]) for p in report.problems}
    assert ("data_protection.retention.fr", "lang.missing") in codes
    assert ("data_protection.consent_items.recontact", "consent.unknown_item") in codes
    from rsnprop.data.rules import DEFAULT_MISSING_TOKENS
    from rsnprop.instrument.validate import READ_AS_MISSING

    assert READ_AS_MISSING <= set(DEFAULT_MISSING_TOKENS)
    bad = copy.deepcopy(raw)
    bad["choice_lists"]["platforms"][-1]["code"] = "none"     # would be read as missing
    report, _ = validate_data(bad)
    assert any(p["code"] == "choices.missing_token" for p in report.problems)
    bad = copy.deepcopy(raw)
    bad["routing"][2]["message"].pop("fr")
    bad["routing"][4]["skip"] = ["nowhere"]
    report, _ = validate_data(bad)
    codes = {(p["path"], p["code"]) for p in report.problems}
    assert ("routing[2].message.fr", "lang.missing") in codes
    assert ("routing[4].skip[0]", "routing.unknown_section") in codes


# --- codebook, ranges, output names ------------------------------------------------------------

def test_codebook_cites_published_sources_with_checked_status(ins):
    md = export(ins, "codebook")
    html = export(ins, "codebook-html")
    for text in (md, html):
        assert not re.search(r"shared/|seeds|BRIEF", text)
        assert "1e+06" not in text and "0..1000000" in text
    assert set(ins.reference_checks) == set(ins.references)
    verdicts = {c.split(":")[0] for c in ins.reference_checks.values()}
    assert verdicts <= {"confirmed", "partly confirmed", "not confirmed", "official document"}
    assert "not confirmed" in verdicts          # what could not be verified says so
    from rsnprop.instrument.exporters.codebook import codebook_rows

    for row in codebook_rows(ins):
        assert re.match(r"(verbatim|adapted|new)\b", row["source_status"]), row["variable"]
        item = ins.items[row["variable"]]
        if item.source.refs:
            for ref in item.source.refs:
                assert f"{ref}: " in row["source_status"], row["variable"]
        if row["source_status"].startswith("adapted"):
            assert item.source.locator and item.source.adaptation, row["variable"]
    assert "Monferrer et al. 2012, Table 2" in md and "## Source status" in md
    assert "Checked: confirmed" in md and "Checked: not confirmed" in md


def test_n_continents_counts_the_five_continents_with_foreign_customers(ins):
    """0 (no foreign customer) to 5 (all five continents named in the question, home included,
    as the simulator and the bg_continents rule (>= 2: at least one beyond home) count them)."""
    item = ins.items["n_continents"]
    assert (item.scale.min, item.scale.max) == (0, 5)
    assert "home continent" in item.text["en"] and "(Africa, Americas, Asia, Europe, Oceania)" in item.text["en"]


def test_cli_export_adds_the_missing_extension(repo_root, tmp_path, rsnprop_cli):
    from rsnprop.commands.instrument import output_path

    assert output_path("a/out_lime", "limesurvey") == "a/out_lime.txt"
    assert output_path("a.b/cb", "codebook-html") == "a.b/cb.html"
    assert output_path("named.bin", "xlsform") == "named.bin"      # an explicit suffix is kept
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "xlsform",
                       "-o", str(tmp_path / "out_xlsform"), "--json", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out_xlsform.xlsx").is_file() and not (tmp_path / "out_xlsform").exists()
    assert proc.json()["output"] == str(tmp_path / "out_xlsform.xlsx")


def test_example_export_is_unaffected_by_the_none_criterion(ins, repo_root):
    from rsnprop.data.eligibility import routing_criteria

    raw = pd.read_csv(repo_root / "rsnprop" / "datasets" / "example_raw.csv")
    covered = {"elig_sme", "elig_internationalised", "elig_decision_maker"}
    crit = routing_criteria(raw, ins, covered=covered)
    assert set(crit) == {"rsn_use"} and (crit["rsn_use"] == 1).all()
    raw.loc[[3, 5], "rsn_platforms"] = "no_social_media"
    assert np.flatnonzero(routing_criteria(raw, ins, covered)["rsn_use"] == 0).tolist() == [3, 5]
    # a screen-out not covered by another criterion is counted too
    assert np.flatnonzero(routing_criteria(raw, ins)["internationalised"] == 0).tolist() == \
        np.flatnonzero(raw["phase"].to_numpy() == 1).tolist()


# --- cleaning applies the routing rules as the forms do (issue 18, follow-up) -----------------

RESPONDENTS.update({
    "not_dm": {"decision_maker": 0},
    # an SME that left two required firm questions and most benefit questions blank
    "sme_gaps": {"sector": None, "b2b": None,
                 **{f"{p}_{k}": None for p, n in (("rel", 7), ("inf", 9), ("rsk", 4))
                    for k in range(1, n + 1)}},
})
ROUTED = {"not_sme": "not_sme", "no_rsn": "no_rsn_use", "phase1": "not_internationalised",
          "no_consent": "no_consent", "not_dm": "not_decision_maker"}
NAMES = ["sme"] * 6 + list(ROUTED) + ["sme_gaps"]


def _qualtrics_export(ins, names) -> pd.DataFrame:
    """A Qualtrics response export of the form set up from the setup notes (survey-flow
    branches = the instrument's routing): matrix columns, choice positions, multi-select
    ``<tag>_<k>`` columns holding 1 or nothing, empty cells for questions not shown."""
    from rsnprop.instrument import column_map, value_map
    from rsnprop.instrument.mapping import option_column

    cmap, vmap = column_map(ins, "qualtrics"), value_map(ins, "qualtrics")
    first = {}
    for col, target in cmap.items():
        first.setdefault(target, col)
    answers = pd.DataFrame([_respondent(ins, n) for n in names])
    rows = {"ResponseId": [f"R_{k}" for k in range(len(names))],
            "Duration (in seconds)": [600 + k for k in range(len(names))]}
    for item in ins.items.values():
        if item.type == "meta" or item.id not in answers:
            continue
        seen = shown(answers, ins, item.id).to_numpy()
        if item.type == "select_multiple":
            for code in item.choices:
                ticked = answers[item.id].astype(str).str.split().apply(lambda t, c=code: c in t)
                rows[first[option_column(item.id, code)]] = np.where(seen & ticked, "1", "")
            continue
        back = {str(v): k for k, v in vmap.get(item.id, {}).items()}
        vals = [back.get(str(v), v) if ok and pd.notna(v) else ""
                for v, ok in zip(answers[item.id], seen)]
        rows[first[item.id]] = vals
    return pd.DataFrame(rows).replace("", np.nan)


def _platform_frame(ins, platform, names, xform):
    if platform == "xlsform":
        raw_export = _odk_export(ins, xform, names)
    elif platform == "limesurvey":
        raw_export = _ls_export(ins, names).replace("", np.nan)
        raw_export = raw_export.drop(columns=[c for c in raw_export if c.startswith("shown:")])
    else:
        raw_export = _qualtrics_export(ins, names)
    df = from_platform(raw_export, ins, platform)
    likert = [i.id for i in ins.items.values() if i.type == "likert" and not i.attention_check]
    rng = np.random.default_rng(3)   # ordinary answers vary a little (careless screens)
    for k, name in enumerate(names):
        if name.startswith("sme"):
            cols = [c for c in likert if pd.notna(df.loc[k, c])]
            df.loc[k, cols] = rng.integers(3, 7, size=len(cols))
    return df


@pytest.mark.parametrize("platform", ["xlsform", "limesurvey", "qualtrics"])
def test_round_trip_cleaning_applies_the_routing_rules(ins, xform, platform):
    """New-form export -> clean: screened-out firms and firms without social media are
    excluded under their own reason only, none of their unshown questions is a missing or
    required answer, and the missing share counts only the questions each firm was shown."""
    from rsnprop.data import clean

    df = _platform_frame(ins, platform, NAMES, xform)
    with pytest.warns(Warning):
        res = clean(df, ins)
    rows = {name: k + 1 for k, name in enumerate(NAMES)}        # 1-based data rows
    excluded = {e["row"]: e["reasons"] for e in res.log["excluded"]}
    for name, reason in ROUTED.items():
        assert excluded[rows[name]] == [reason], (platform, name)
    assert excluded[rows["sme_gaps"]] == ["too_many_missing"]
    assert res.log["n_kept"] == NAMES.count("sme")
    fired = res.log["routing"]["rules"]
    assert {r: fired[r]["n_fired"] for r in fired} == {r: 1 for r in ROUTED.values()}
    assert res.log["routing"]["not_shown_answered"] == []     # the form hid them
    # problems: none for the routed-out firms; the SME with gaps still has its own
    probs = res.problems
    routed_rows = [rows[n] for n in ROUTED]
    assert not probs[probs["row"].isin(routed_rows)]["reason"].isin(
        ["required_missing", "answered_when_hidden"]).any()
    gaps = probs[(probs["row"] == rows["sme_gaps"]) & (probs["reason"] == "required_missing")]
    assert set(gaps["column"]) == {"sector", "b2b"}
    # missing share over the questions shown: 0 for the firm without social media (only its
    # approach items were shown), unknown (NaN) for firms that saw no construct question
    share = res.flags.set_index("row")["missing_share"]
    construct = [c for con in ins.constructs.values() for c in con.items]
    blanks = [c for c in construct if RESPONDENTS["sme_gaps"].get(c, 0) is None]
    assert share[rows["sme_gaps"]] == pytest.approx(len(blanks) / len(construct))
    assert share[rows["no_rsn"]] == 0 and share[rows["sme"]] == 0
    for name in ("not_sme", "phase1", "no_consent", "not_dm"):
        assert np.isnan(share[rows[name]]), name
    steps = {s["step"]: s for s in res.log["steps"]}
    assert steps["eligibility"]["n_excluded"] == 4 and steps["consent"]["n_excluded"] == 1
    assert steps["missing"]["reasons"] == {"too_many_missing": 1}


def _without_routing(ins):
    """The same instrument with no routing rules (as cleaning worked before them)."""
    from dataclasses import replace

    items = {k: replace(v, routed_by=()) for k, v in ins.items.items()}
    return replace(ins, routing=[], items=items)


def test_old_form_example_keeps_its_cleaning_results(ins, repo_root):
    """The bundled example comes from a form without screen-outs (non-SMEs and phase-1
    firms answered everything): its exclusions are those of cleaning without the routing
    rules, except where a careless rule compares a firm with the sample (Mahalanobis
    distance, duration ratio), since screened-out firms no longer belong to that sample; each
    screened-out firm keeps its answers, listed once as ``not_shown_answered``, and is
    excluded under its screen-out reason only."""
    import warnings

    from rsnprop.data import clean, read_table
    from rsnprop.instrument.logic import routed_out

    path = repo_root / "rsnprop" / "datasets" / "example_raw.csv"
    raw = read_table(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = clean(raw, ins, source=path)
        old = clean(raw, _without_routing(ins), source=path)
    new_rows = {e["row"] for e in new.log["excluded"]}
    old_rows = {e["row"] for e in old.log["excluded"]}
    detail = {d["row"]: d for log in (old.log, new.log) for d in log["careless"]["excluded_detail"]}
    for row in new_rows ^ old_rows:   # decided by a sample-based cut-off only
        assert set(detail[row]["rules"]) <= {"mahad", "speeding"}, detail[row]
    same = [s["step"] for s in new.log["steps"] if s["step"] != "careless"]
    assert [(s["step"], s["n_excluded"]) for s in new.log["steps"] if s["step"] in same] == \
        [(s["step"], s["n_excluded"]) for s in old.log["steps"] if s["step"] in same]
    moved = {detail[row]["id"] for row in new_rows ^ old_rows}
    pd.testing.assert_frame_equal(new.data[~new.data["resp_id"].isin(moved)].reset_index(drop=True),
                                  old.data[~old.data["resp_id"].isin(moved)].reset_index(drop=True))
    # rows that answered a question a fired rule hides (and show_if shows)
    plain = _without_routing(ins)
    answered_hidden = np.zeros(len(raw), dtype=bool)
    for rule in ins.routing:
        fired = routed_out(raw, ins, rule.id)
        for item in rule.hides:
            if item in raw:
                answered_hidden |= fired & raw[item].notna().to_numpy() & \
                    shown(raw, plain, item).to_numpy()
    late = new.log["routing"]["not_shown_answered"]
    assert len(late) > 0
    assert [e["row"] for e in late] == (np.flatnonzero(answered_hidden) + 1).tolist()
    ends = {r.id for r in ins.routing if r.action == "end"}
    assert all(e["n_answers"] > 0 and set(e["rules"]) <= ends for e in late)
    assert any("not_shown_answered" in w for w in new.log["warnings"])
    by_row = {e["row"]: e["reasons"] for e in new.log["excluded"]}
    for e in late:
        assert by_row[e["row"]] == [r for r in e["rules"]]
    # the answers were kept: the problems of those rows are the same as before
    pd.testing.assert_frame_equal(new.problems, old.problems)


# --- LimeSurvey end URL for screen-outs -------------------------------------------------------

def _ls_if(expr: str, answers: dict) -> str:
    """Evaluate the nested ``if(cond, 'id', ...)`` status expression as LimeSurvey would."""
    m = re.fullmatch(r"if\((.+?), '(\w+)', (.+)\)", expr.strip())
    if m is None:
        return expr.strip().strip("'")
    return m.group(2) if _ls_eval(m.group(1), answers) else _ls_if(m.group(3), answers)


def _settings(text):
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter="\t", quotechar='"'))
    rows = [dict(zip(lines[0], ln)) for ln in lines[1:]]
    survey = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    by_lang = {}
    for r in rows:
        if r["class"] == "SL":
            by_lang.setdefault(r["language"], {})[r["name"]] = r["text"]
    return survey, by_lang


@pytest.mark.parametrize("base, sep", [("https://study.example.org/end", "?"),
                                       ("https://panel.example.com/r?pid={PASSTHRU:pid}", "&")])
def test_limesurvey_end_url_tells_screen_outs_from_completes(ins, base, sep):
    survey, by_lang = _settings(export(ins, "limesurvey", end_url=base))
    assert survey["autoredirect"] == "Y"
    assert set(by_lang) == set(ins.languages)
    urls = {lg: s["surveyls_url"] for lg, s in by_lang.items()}
    assert len(set(urls.values())) == 1 and all(s["surveyls_urldescription"] for s in by_lang.values())
    url = urls[ins.default_language]
    m = re.fullmatch(re.escape(base + sep) + r"status=\{(.+)\}&lang=\{LANG\}", url)
    assert m is not None, url
    # the status LimeSurvey fills in for each respondent of the form (irrelevant = empty)
    names = ["sme", "no_rsn", *ROUTED]
    raw_export = _ls_export(ins, names)
    for k, name in enumerate(names):
        answers = {c: ("" if v is None else v) for c, v in raw_export.iloc[k].items()
                   if not str(c).startswith("shown:")}
        expected = ROUTED[name] if name in ROUTED and name != "no_rsn" else "complete"
        assert _ls_if(m.group(1), answers) == expected, name


def test_limesurvey_without_end_url_does_not_redirect(ins):
    survey, by_lang = _settings(export(ins, "limesurvey"))
    assert survey["autoredirect"] == "N"
    assert all(s["surveyls_url"] == "" for s in by_lang.values())


@pytest.mark.parametrize("bad", ["study.example.org/end", "ftp://x.org", "https://x.org/a b",
                                 'https://x.org/"q"'])
def test_limesurvey_end_url_must_be_a_web_address(ins, bad):
    from rsnprop.errors import InputError

    with pytest.raises(InputError, match="end URL"):
        export(ins, "limesurvey", end_url=bad)


def test_cli_end_url(repo_root, tmp_path, rsnprop_cli):
    out = tmp_path / "ls.txt"
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "limesurvey", "-o", str(out),
                       "--end-url", "https://study.example.org/end", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    assert _settings(out.read_text(encoding="utf-8"))[0]["autoredirect"] == "Y"
    proc = rsnprop_cli("instrument", "export", INSTRUMENT, "--format", "xlsform", "-o",
                       str(tmp_path / "x.xlsx"), "--end-url", "https://study.example.org/end",
                       cwd=repo_root)
    assert proc.returncode == 2 and "--end-url" in proc.stderr


@pytest.mark.parametrize("platform", ["xlsform", "limesurvey"])
def test_cleaning_routing_equals_the_instrument_routing(ins, xform, platform, repo_root):
    """Cleaning's vectorised rule evaluation (on recoded values) fires exactly where the
    instrument's own evaluation (checked against the exported forms above) does."""
    from rsnprop.data import read_table
    from rsnprop.data.platforms import combine_indicators
    from rsnprop.data.rules import CleaningRules
    from rsnprop.data.skip_logic import routing_masks
    from rsnprop.data.validate import validate_items
    from rsnprop.instrument.logic import routed_out

    example = read_table(repo_root / "rsnprop" / "datasets" / "example_raw.csv")
    new_form = _platform_frame(ins, platform, NAMES, xform)
    for df in (example, new_form):
        combined = combine_indicators(df, ins)          # as clean() does first
        cols = [c for c in combined.columns if c in ins.items and c != "resp_id"
                and ins.items[c].type != "text"]
        values, _, _ = validate_items(combined, ins, CleaningRules(), cols)
        fired = routing_masks(values, ins)
        assert list(fired) == [r.id for r in ins.routing]
        for rule in ins.routing:
            assert fired[rule.id].tolist() == routed_out(df, ins, rule.id).tolist(), rule.id
        assert any(m.any() for m in fired.values())
