"""Tests of the instrument schema, loader, hash, scoring helpers and column mapping."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from rsnprop.errors import InstrumentError, MissingFileError
from rsnprop.instrument import (apply_column_map, column_map, construct_scores, load_instrument,
                                reverse_code, reverse_keys, scoring_items, value_map)

INSTRUMENT = "instruments/rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def ins(repo_root):
    return load_instrument(repo_root / INSTRUMENT)


@pytest.fixture(scope="module")
def raw(repo_root):
    return yaml.safe_load((repo_root / INSTRUMENT).read_text(encoding="utf-8"))


# --- content required by the contract (CONTRIBUTING.md) and by issue 4 -------------------

FACTS = ["founding_year", "first_foreign_sale_year", "foreign_share_y3", "foreign_share_now",
         "n_countries", "n_continents", "distant_markets", "employees", "turnover_band",
         "balance_band", "sector", "b2b", "role", "phase", "survey_year"]


def test_contract_ids_present(ins):
    for item_id in FACTS + ["cs_relational", "cs_informational", "attn_1", "attn_2", "consent",
                            "resp_id", "duration_sec", "entry_modes", "rsn_platforms"]:
        assert item_id in ins.items, item_id


def test_construct_item_prefixes_and_minimum_counts(ins):
    prefixes = {"relational": "rel_", "informational": "inf_", "risk_reduction": "rsk_",
                "intl_approach": "ia_"}
    minimum = {"relational": 5, "informational": 7, "risk_reduction": 3, "intl_approach": 9}
    for cid, prefix in prefixes.items():
        items = ins.constructs[cid].items
        assert len(items) >= minimum[cid], cid
        assert all(i.startswith(prefix) for i in items)
        # every item whose id has the prefix belongs to the construct
        assert sorted(items) == sorted(i for i in ins.items if i.startswith(prefix))


def test_intl_approach_covers_the_nine_dimensions_of_table_1(ins):
    dims = {ins.items[i].dimension for i in ins.constructs["intl_approach"].items}
    assert dims == {"market", "behaviour", "pace", "scope", "experience", "learning", "ict",
                    "network", "logic"}


def test_every_item_has_text_in_every_language_and_a_source(ins):
    assert ins.languages == ["en", "fr"]
    for item in ins.items.values():
        for lang in ins.languages:
            assert item.text[lang].strip(), (item.id, lang)
        assert item.source.new or item.source.refs, item.id
        assert len(item.source.citations) == len(item.source.refs)
    for c in ins.constructs.values():
        assert c.definitions["en"] and c.definitions["fr"]


def test_item_fields_of_the_contract(ins):
    rel7 = ins.items["rel_7"]
    assert (rel7.type, rel7.construct, rel7.reverse, rel7.scale.min, rel7.scale.max) == \
        ("likert", "relational", True, 1, 7)
    assert ins.items["attn_1"].attention_check.expected == 1
    assert ins.items["attn_1"].construct is None
    assert ins.items["sector"].choices["C"].startswith("C - Manufacturing")
    assert set(ins.items["sector"].choices) == set("ABCDEFGHIJKLMNOPQRSTU")
    assert ins.items["phase"].choices.keys() == {1, 2, 3, 4}
    assert ins.items["b2b"].choices.keys() == {0, 1}
    assert ins.items["comments"].pii and ins.items["rsn_other_name"].pii
    assert ins.items["consent"].required
    assert ins.items["foreign_share_y3"].scale.max == 100
    # skip logic: section conditions are inherited by their items
    conds = [str(c) for c in ins.items["first_foreign_sale_year"].show_if]
    assert "phase ge 2" in conds and "consent eq 1" in conds
    cs = [ins.items[i].constant_sum for i in ("cs_relational", "cs_informational")]
    assert cs[0].group == cs[1].group and cs[0].total == 100


def test_provenance(ins):
    assert ins.provenance() == {"name": "rsn_internationalisation", "version": ins.version,
                                "hash": ins.hash}
    assert re.fullmatch(r"[0-9a-f]{64}", ins.hash)


# --- hash ------------------------------------------------------------------------------------

def test_hash_ignores_layout_but_not_content(tmp_path, raw, ins):
    # same content, different layout: key order reversed, block style, no comments
    def reorder(obj):
        if isinstance(obj, dict):
            return {k: reorder(obj[k]) for k in reversed(list(obj))}
        if isinstance(obj, list):
            return [reorder(v) for v in obj]
        return obj

    relaid = tmp_path / "relaid.yaml"
    relaid.write_text(yaml.safe_dump(reorder(raw), allow_unicode=True, default_flow_style=False,
                                     width=60), encoding="utf-8")
    assert load_instrument(relaid).hash == ins.hash
    # content change -> another hash
    changed = copy.deepcopy(raw)
    changed["sections"][-2]["items"][0]["text"]["fr"] += " !"
    assert load_instrument(changed).hash != ins.hash
    # loading twice gives the same hash (no timestamps, no randomness)
    assert load_instrument(copy.deepcopy(raw)).hash == ins.hash


# --- errors ----------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError):
        load_instrument(tmp_path / "nope.yaml")


def test_invalid_instrument_raises_with_every_problem(raw):
    broken = copy.deepcopy(raw)
    items = broken["sections"][5]["items"]
    items[0]["text"].pop("fr")
    items[1]["construct"] = "relationnal"
    with pytest.raises(InstrumentError) as exc:
        load_instrument(broken)
    codes = {p["code"] for p in exc.value.problems}
    assert {"lang.missing", "construct.unknown"} <= codes
    assert "sections[5].items[0].text.fr" in str(exc.value)


# --- scoring helpers -------------------------------------------------------------------------

def test_scoring_items_and_reverse_keys(ins):
    assert scoring_items(ins, "risk_reduction") == ["rsk_1", "rsk_2", "rsk_3", "rsk_4"]
    assert "attn_1" not in scoring_items(ins, "relational")
    assert reverse_keys(ins) == {"ia_2": (1, 7), "rel_7": (1, 7), "inf_9": (1, 7)}
    with pytest.raises(ValueError):
        scoring_items(ins, "nope")


def test_reverse_code_and_scores(ins):
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({i: [7.0, 1.0, np.nan] for i in scoring_items(ins, "relational")})
    df.loc[2, ["rel_1", "rel_2", "rel_3", "rel_4"]] = 4.0  # 4 of 7 answered -> scored
    out = reverse_code(df, ins)
    assert out["rel_7"].tolist()[:2] == [1.0, 7.0] and np.isnan(out["rel_7"][2])
    assert df["rel_7"].tolist()[0] == 7.0  # input untouched
    scores = construct_scores(out, ins)
    # independent computation of the expected means
    assert scores["score_relational"][0] == pytest.approx((6 * 7 + 1) / 7)
    assert scores["score_relational"][1] == pytest.approx((6 * 1 + 7) / 7)
    assert scores["score_relational"][2] == pytest.approx(4.0)
    df.loc[2, "rel_4"] = np.nan  # 3 of 7 < half -> NaN
    assert np.isnan(construct_scores(reverse_code(df, ins), ins)["score_relational"][2])


# --- column mapping --------------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["generic", "xlsform", "limesurvey", "qualtrics"])
def test_column_map_covers_every_item(ins, platform):
    m = column_map(ins, platform)
    targets = set(m.values())
    for item in ins.items.values():
        if item.type == "select_multiple":
            assert {f"{item.id}_{c}" for c in item.choices} <= targets, (platform, item.id)
        elif item.meta == "survey_year" and platform in ("limesurvey", "qualtrics"):
            continue  # derived from the submission date
        else:
            assert item.id in targets, (platform, item.id)


def test_column_map_platform_names(ins):
    assert column_map(ins, "limesurvey")["firstforeignsaleyear"] == "first_foreign_sale_year"
    assert column_map(ins, "limesurvey")["interviewtime"] == "duration_sec"
    x = column_map(ins, "xlsform")
    assert x["benefits-rel_1"] == "rel_1" and x["KEY"] == "resp_id"
    assert x["rsn_use/rsn_platforms/linkedin"] == "rsn_platforms_linkedin"
    q = column_map(ins, "qualtrics")
    assert q["rsn_platforms_1"] == "rsn_platforms_linkedin"
    assert q["Duration (in seconds)"] == "duration_sec"
    with pytest.raises(ValueError):
        column_map(ins, "surveymonkey")


def test_apply_column_map_renames_and_deduplicates(ins):
    import pandas as pd

    raw = pd.DataFrame({"KEY": ["uuid:1"], "meta-instanceID": ["uuid:1"], "benefits-rel_1": [3],
                        "SubmissionDate": ["2026-01-01"]})
    out = apply_column_map(raw, ins, "xlsform")
    assert list(out.columns) == ["resp_id", "rel_1", "SubmissionDate"]


def test_value_map(ins):
    vq = value_map(ins, "qualtrics")
    codes = list(ins.items["entry_modes"].choices)
    assert vq["entry_modes"] == {str(i + 1): c for i, c in enumerate(codes)}
    assert "rel_1" not in vq  # numeric codes exported as such
    vl = value_map(ins, "limesurvey")
    assert vl["rsn_platforms_x"] == {"Y": 1, "": 0}


# --- skip logic evaluation -------------------------------------------------------------------

def test_shown_evaluates_section_and_item_conditions(ins):
    import pandas as pd

    from rsnprop.instrument import shown, shown_frame

    df = pd.DataFrame({
        "consent": [1, 1, 1, 0, 1],
        "decision_maker": [1, 1, 0, None, 1],
        "phase": [2, 4, 4, None, 1],
        "rsn_platforms": ["linkedin x", "facebook", "linkedin", None, "linkedin"],
    })
    assert shown(df, ins, "first_foreign_sale_year").tolist() == [True, True, False, False, False]
    # the last firm (phase 1) was screened out before the social-media questions
    assert shown(df, ins, "rsn_freq_linkedin").tolist() == [True, False, False, False, False]
    assert shown(df, ins, "consent").tolist() == [True] * 5
    # 0/1 indicator columns work as well as the space-separated column
    dummies = df.drop(columns="rsn_platforms").assign(rsn_platforms_x=[1, 0, 0, 0, 1])
    assert shown(dummies, ins, "rsn_freq_x").tolist() == [True, False, False, False, False]
    frame = shown_frame(df, ins, ["rel_1", "phase"])
    assert frame["rel_1"].tolist() == [True, True, False, False, False]
    assert frame["phase"].tolist() == [True, True, False, False, True]


def test_from_platform_values_indicators_and_year(ins):
    import numpy as np
    import pandas as pd

    from rsnprop.instrument import from_platform

    # Qualtrics: letter codes recorded as positions, split multi-answer columns hold 1 or empty
    raw = pd.DataFrame({"ResponseId": ["R_1", "R_2"], "consent": [1, 1], "decision_maker": [1, 0],
                        "sector": [3, 10], "rsn_platforms_1": [1, np.nan], "rsn_platforms_3": [np.nan, np.nan],
                        "EndDate": ["2026-05-04 12:00:00", "2025-12-31 23:00:00"]})
    out = from_platform(raw, ins, "qualtrics")
    assert out["resp_id"].tolist() == ["R_1", "R_2"]
    assert out["sector"].tolist() == ["C", "J"]   # 3rd and 10th NACE sections
    assert out["rsn_platforms_linkedin"].tolist()[0] == 1
    assert out["rsn_platforms_x"].tolist()[0] == 0           # shown, not ticked
    assert np.isnan(out["rsn_platforms_x"].tolist()[1])      # not shown (not a decision maker)
    assert out["survey_year"].tolist() == [2026, 2025]
    # ODK: one space-separated column is expanded into indicators
    odk = pd.DataFrame({"consent": [1], "decision_maker": [1], "rsn_use/rsn_platforms": ["linkedin tiktok"]})
    out = from_platform(odk, ins, "xlsform")
    assert out[["rsn_platforms_linkedin", "rsn_platforms_tiktok", "rsn_platforms_x"]].iloc[0].tolist() == [1, 1, 0]
    # LimeSurvey: ticked subquestions hold "Y", unticked ones are empty
    ls = pd.DataFrame({"consent": [1], "decisionmaker": [1], "phase": [3], "entrymodes[agent]": ["Y"],
                       "entrymodes[direct]": [None]})
    out = from_platform(ls, ins, "limesurvey")
    assert out["entry_modes_agent"].tolist() == [1] and out["entry_modes_direct"].tolist() == [0]
