"""Language versions of the questionnaire (issue 20, docs/languages.md): ``survey_language``
from every platform's export to the clean data, its validation, the XLSForm metadata field,
``rsnprop invariance --group survey_language``, the plan's ``language_invariance`` check with
differential item functioning (DIF), and the report's subsection."""

from __future__ import annotations

import io
import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import clean, read_table
from rsnprop.errors import InputError, PlanError
from rsnprop.simulate import simulate_study, write_raw

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"


@pytest.fixture(scope="module")
def ins():
    from rsnprop.instrument import load_instrument

    return load_instrument(INSTRUMENT)


def _clean(raw, ins, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clean(raw, ins, **kw)


@pytest.fixture(scope="module")
def example_clean(ins):
    return _clean(read_table(EXAMPLE, instrument=ins), ins, source=EXAMPLE)


# --- simulated exports ------------------------------------------------------------------------

def test_language_is_drawn_last_from_its_own_stream(ins):
    """Changing the language shares changes only the last column: every other column is the
    same, so adding the column left the earlier exports byte for byte as they were."""
    a = simulate_study(ins, "p1p2", n=200, seed=5)
    b = simulate_study(ins, "p1p2", n=200, seed=5, language_shares={"en": 0.9, "fr": 0.1})
    assert list(a.columns)[-1] == "survey_language"
    pd.testing.assert_frame_equal(a.drop(columns="survey_language"), b.drop(columns="survey_language"))
    assert set(a["survey_language"]) == set(ins.languages)
    assert (b["survey_language"] == "en").mean() > 0.8 > (a["survey_language"] == "en").mean()


def test_language_shares_are_validated(ins):
    with pytest.raises(InputError, match="not a language of the instrument"):
        simulate_study(ins, "p1p2", n=20, seed=1, language_shares={"de": 1.0})
    with pytest.raises(InputError, match="add up to 1"):
        simulate_study(ins, "p1p2", n=20, seed=1, language_shares={"en": 0.5, "fr": 0.2})


@pytest.mark.parametrize("platform, column", [("generic", "survey_language"),
                                              ("qualtrics", "Q_Language"),
                                              ("limesurvey", "startlanguage"),
                                              ("xlsform", "survey_language")])
def test_every_platform_export_carries_the_language_to_the_clean_data(ins, tmp_path, platform, column):
    raw, truth = simulate_study(ins, "p1p2", n=80, seed=4, platform=platform, return_truth=True)
    assert column in raw.columns
    if platform == "qualtrics":                 # Qualtrics writes the codes in capitals
        assert set(raw[column]) == {"EN", "FR"}
    path = tmp_path / "export.csv"
    write_raw(raw, path, platform=platform)
    res = _clean(read_table(path, platform=platform, instrument=ins), ins)
    assert "survey_language" not in res.log["columns"]["unknown_dropped"]
    got = res.data.set_index("resp_id")["survey_language"]
    want = truth.set_index("resp_id")["survey_language"].reindex(got.index)
    assert got.tolist() == want.tolist() and len(got) == res.log["n_kept"]
    counts = res.log["survey_language"]["n_kept"]
    assert counts == {"en": int((got == "en").sum()), "fr": int((got == "fr").sum()), "missing": 0}


def test_bundled_example_has_the_language_and_nothing_else_changed(ins, example_clean):
    raw = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    assert raw.columns[-1] == "survey_language" and set(raw["survey_language"]) == {"en", "fr"}
    data = example_clean.data
    assert list(data.columns[:2]) == ["resp_id", "survey_language"]
    # the clean data without the column are those of the export without it
    old = _clean(read_table(EXAMPLE, instrument=ins).drop(columns="survey_language"), ins)
    pd.testing.assert_frame_equal(old.data, data.drop(columns="survey_language"))
    assert "survey_language" not in old.log


# --- validation ---------------------------------------------------------------------------------

def test_unknown_language_is_a_problem_with_row_and_value_and_missing_is_allowed(ins):
    raw = simulate_study(ins, "p1p2", n=40, seed=2, careless_rate=0.0, invalid_rate=0.0)
    raw["survey_language"] = raw["survey_language"].astype(object)
    raw.loc[3, "survey_language"] = "de"            # data row 4
    raw.loc[5, "survey_language"] = None            # missing: allowed
    raw.loc[6, "survey_language"] = "FR-be"         # region subtag
    raw.loc[7, "survey_language"] = "French (fr)"   # ODK-style language name
    res = _clean(raw, ins)
    probs = res.problems[res.problems["column"] == "survey_language"]
    assert probs[["row", "value", "reason"]].values.tolist() == [[4, "de", "unknown_language"]]
    assert probs["id"].tolist() == [raw.loc[3, "resp_id"]]
    want = raw["survey_language"].map({"en": "en", "fr": "fr", "FR-be": "fr", "French (fr)": "fr"})
    assert res.log["survey_language"]["n_in"] == {"en": int((want == "en").sum()),
                                                  "fr": int((want == "fr").sum()), "missing": 2}
    kept = res.flags["kept"].to_numpy()
    got = res.data["survey_language"].to_numpy()
    assert [None if pd.isna(x) else x for x in got] == \
        [None if pd.isna(x) else x for x in want[kept]]


# --- XLSForm metadata field ---------------------------------------------------------------------

def test_xlsform_records_the_language_the_form_is_shown_in(ins):
    from pyxform.xls2xform import convert

    from rsnprop.instrument.exporters import export
    from rsnprop.instrument.exporters.xlsform import LANGUAGE_HELPER, survey_rows

    sheets = survey_rows(ins)
    lists = [r for r in sheets["choices"] if r[0] == "survey_language_codes"]
    assert lists == [["survey_language_codes", "code", *ins.languages]]   # label = the code
    warns: list = []
    result = convert(xlsform=io.BytesIO(export(ins, "xlsform")), warnings=warns, file_type=".xlsx")
    assert warns == []
    binds = {b.get("nodeset", "").rsplit("/", 1)[-1]: b for b in ET.fromstring(result.xform).iter()
             if b.tag.endswith("bind")}
    assert binds[LANGUAGE_HELPER].get("relevant") == "false()"
    calc = binds["survey_language"].get("calculate")
    assert calc.startswith("concat(jr:choice-name('code',") and LANGUAGE_HELPER in calc
    # recomputed once consent is answered (ODK does not recompute on a language switch)
    assert "substr(" in calc and "/consent" in calc


# --- rsnprop invariance --group survey_language -------------------------------------------------

def test_invariance_cli_across_language_versions_of_the_example(rsnprop_cli, tmp_path, example_clean):
    data = tmp_path / "clean.parquet"
    cl = rsnprop_cli("clean", EXAMPLE, "--instrument", INSTRUMENT, "-o", data, "--log", tmp_path / "log.json")
    assert cl.returncode == 0, cl.stderr
    proc = rsnprop_cli("invariance", data, "--model", REPO / "analysis" / "benefits.lav",
                       "--group", "survey_language", "--levels", "configural,metric,scalar",
                       "--partial", "--json")
    assert proc.returncode == 0, proc.stderr
    out = proc.json()
    counts = example_clean.log["survey_language"]["n_kept"]
    assert out["group"] == "survey_language" and sorted(out["groups"]) == ["en", "fr"]
    assert out["n_total_per_group"] == {"en": counts["en"], "fr": counts["fr"]}
    assert [s["name"] for s in out["steps"]][:3] == ["configural", "metric", "scalar"]
    assert out["level"] in ("configural", "metric", "partial_metric", "scalar", "partial_scalar")


# --- the plan's language_invariance ---------------------------------------------------------------

def test_plan_setting_is_optional_validated_and_hashed_only_when_present():
    from rsnprop.propositions.plan import StudyPlan, plan_from_dict

    old = StudyPlan(name="demo")
    assert old.language_invariance is None and "language_invariance" not in old.canonical_json()
    on = plan_from_dict({"name": "demo", "language_invariance": {}})
    assert on.language_invariance.required_invariance == "scalar"
    assert on.language_invariance.policy == "partial" and on.hash != old.hash
    assert plan_from_dict({"name": "demo", "language_invariance": None}).hash == old.hash
    for bad in ({"policy": "sometimes"}, {"required_invariance": "strict"}, {"alpha": 0.7},
                {"min_invariant_items": 1}):
        with pytest.raises(PlanError, match="language_invariance"):
            plan_from_dict({"name": "demo", "language_invariance": bad})


def test_example_plan_requires_language_invariance():
    from rsnprop.propositions import load_plan

    plan = load_plan(REPO / "analysis" / "study.yaml")
    assert plan.language_invariance is not None
    assert plan.language_invariance.required_invariance == "scalar"


def _with_dif(data, item="rel_1", shift=1.2):
    """French answers to ``item`` read ``shift`` points higher (DIF), capped at the scale."""
    d = data.copy()
    fr = d["survey_language"] == "fr"
    d.loc[fr, item] = (d.loc[fr, item] + shift).clip(upper=7)
    return d


@pytest.fixture(scope="module")
def dif_check(example_clean):
    from rsnprop.propositions import load_plan
    from rsnprop.propositions.languages import check_languages

    plan = load_plan(REPO / "analysis" / "study.yaml")
    return check_languages(_with_dif(example_clean.data), plan)


def test_example_language_versions_may_be_pooled(example_clean):
    from rsnprop.propositions import load_plan
    from rsnprop.propositions.languages import check_languages

    chk = check_languages(example_clean.data, load_plan(REPO / "analysis" / "study.yaml"))
    assert chk["status"] == "ok" and chk["n"] == chk["n_total"] == len(example_clean.data)
    assert chk["n_per_language"] == {k: v for k, v in
                                     example_clean.log["survey_language"]["n_kept"].items() if k != "missing"}
    # simulated versions are invariant by construction: scalar holds, no DIF, pooling allowed
    assert chk["held"] and chk["level"] == "scalar" and chk["dif_items"] == [] and chk["pooled_ok"]
    assert [s["name"] for s in chk["steps"]] == ["configural", "metric", "scalar"]


def test_dif_between_languages_is_located(dif_check):
    assert dif_check["status"] == "ok" and not dif_check["held"]
    assert dif_check["level"] == "partial_scalar"
    assert {"item": "rel_1", "parameter": "intercept", "constraint": "rel_1~1"} in dif_check["dif"]
    assert dif_check["scales"]["relational"]["dif"] == ["rel_1"]
    assert dif_check["pooled_ok"]                          # partial policy: partial scalar holds
    assert "rel_1 (intercept)" in dif_check["note"]


@pytest.mark.parametrize("policy, changed", [("partial", False), ("inconclusive", True),
                                             ("report_only", False)])
def test_policy_decides_what_dif_does_to_the_verdicts(dif_check, policy, changed):
    from rsnprop.propositions.languages import apply_language_policy

    chk = {**dif_check, "policy": policy,
           "pooled_ok": policy != "inconclusive"}       # as check_languages decides it
    props = {"P1": {"verdict": "supported", "reason": "r"}, "P2": {"verdict": "equivalent", "reason": "r"}}
    joint = {"verdict": "supported", "reason": "r"}
    notes = apply_language_policy(props, joint, chk)
    assert notes and "rel_1" in notes[0]
    for b, before in ((props["P1"], "supported"), (props["P2"], "equivalent"), (joint, "supported")):
        assert b["language"]["verdict_pooled"] == before and b["language"]["flagged"]
        assert b["language"]["verdict_changed"] is changed
        assert b["verdict"] == ("inconclusive" if changed else before)


def test_inconclusive_policy_end_to_end(example_clean):
    """test_propositions with the check: DIF under the 'inconclusive' policy makes every
    verdict inconclusive and keeps the pooled verdict; the result and its JSON say why."""
    from rsnprop.propositions import load_plan, test_propositions

    base = load_plan(REPO / "analysis" / "study.yaml")
    plan = base.with_(language_invariance={**base.language_invariance.model_dump(),
                                           "policy": "inconclusive"},
                      multiverse={**base.multiverse.model_dump(), "enabled": False})
    data = _with_dif(example_clean.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        skip = test_propositions(data, plan, secondary=False, multiverse=False)
        res = test_propositions(data, plan, secondary=False, multiverse=False, languages=True)
    assert skip.language_invariance is None
    d = json.loads(json.dumps(res.to_dict()))
    assert d["language_invariance"]["dif_items"] == ["rel_1"]
    assert set(res.verdicts.values()) == {"inconclusive"}
    pooled = {k: b["language"]["verdict_pooled"] for k, b in d["propositions"].items()}
    assert pooled == {k: v for k, v in skip.verdicts.items() if k != "joint"}
    assert any("Language versions" in c for c in d["caveats"])
    assert "language versions (inconclusive): scalar invariance across language versions does " \
        "not hold in full (level partial_scalar; differential item functioning: rel_1 " \
        "(intercept)) -> verdicts inconclusive" in res.summary()
    from rsnprop.schemas import Propositions

    Propositions.model_validate(d)


# --- report ---------------------------------------------------------------------------------------

def test_report_subsection_names_level_and_dif_items(dif_check):
    from rsnprop.report.sections.base import Section
    from rsnprop.report.sections.languages import add_language_subsection

    from types import SimpleNamespace

    from rsnprop.schemas import LanguageCheck

    s = Section("measurement", "Measurement model")
    add_language_subsection(s, SimpleNamespace(language_invariance=LanguageCheck(**dif_check)))
    (block,) = s.blocks
    pairs = dict(block.data)
    assert block.kind == "dl" and "Language versions" in block.title
    assert pairs["Level held"] == "partial scalar"
    assert pairs["Items flagged as DIF"] == "rel_1 (intercept)"
    assert "flagged" in pairs["Outcome"] and "Δχ²" in pairs["Steps"]
    empty = Section("measurement", "Measurement model")
    add_language_subsection(empty, SimpleNamespace(language_invariance=None))
    assert empty.blocks == []
    assert np.isfinite(dif_check["steps"][-1]["chi2"])


# --- simulated DIF between versions -------------------------------------------------------------

def test_simulated_language_dif_changes_only_its_item_and_is_located(ins):
    from rsnprop.propositions.languages import check_languages
    from rsnprop.propositions.plan import StudyPlan

    dif = {"language": "fr", "items": {"rel_1": 1.5}}
    a = simulate_study(ins, "p1p2", n=300, seed=21)
    b = simulate_study(ins, "p1p2", n=300, seed=21, language_dif=dif)
    pd.testing.assert_frame_equal(a.drop(columns="rel_1"), b.drop(columns="rel_1"))
    fr = (a["survey_language"] == "fr") & a["rel_1"].between(1, 7)
    assert (b.loc[~fr, "rel_1"].fillna(-1) == a.loc[~fr, "rel_1"].fillna(-1)).all()
    assert (b.loc[fr, "rel_1"] >= a.loc[fr, "rel_1"]).all() and (b.loc[fr, "rel_1"] > a.loc[fr, "rel_1"]).any()
    chk = check_languages(_clean(b, ins).data, StudyPlan(name="demo", language_invariance={}))
    assert chk["status"] == "ok" and not chk["held"]
    assert [d["item"] for d in chk["dif"]] == ["rel_1"]
    with pytest.raises(InputError, match="language_dif"):
        simulate_study(ins, "p1p2", n=20, seed=1, language_dif={"language": "de", "items": {}})
    with pytest.raises(InputError, match="language_dif"):
        simulate_study(ins, "p1p2", n=20, seed=1, language_dif={"language": "fr", "items": {"sector": 1}})
