"""Issue 15: every label in the report says what was computed (interval level, one- or
two-sided p), counts that differ are explained, captions describe the figure drawn, and
readers see words instead of JSON keys.  Built in-process from the pipeline fixtures."""

from __future__ import annotations

import json
import re

import pytest

from test_report import PIPELINE, make_results

from rsnprop.report.inputs import load_results
from rsnprop.report.sections import (
    cleaning_section, measurement_section, multiverse_section, propositions_section,
    summary_section,
)


def _inputs(tmp_path, edit=None, files=None):
    return load_results(make_results(tmp_path, edit=edit, clean=False, files=files))


def _table(section, id_):
    return next(b.data for b in section.blocks if b.kind == "table" and b.data.id == id_)


def _col(table, label):
    return next(c for c in table.columns if c.label == label)


@pytest.fixture(scope="module")
def pipeline_inputs(tmp_path_factory):
    return _inputs(tmp_path_factory.mktemp("labels"))


# ---------------------------------------------------------------- 1. interval levels and sides
def test_tost_interval_sits_in_the_90_percent_column(pipeline_inputs):
    props = json.loads((PIPELINE / "propositions.json").read_text())
    tost = next(e for e in props["propositions"]["P1"]["evidence"] if e["role"] == "equivalence")
    table = _table(propositions_section(pipeline_inputs), "evidence_p1")
    labels = [c.label for c in table.columns]
    assert "95% CI" in labels and "90% CI" in labels and "p (one-sided)" in labels
    row = next(r for r in table.rows if r["role"] == "equivalence")
    c90, c95 = _col(table, "90% CI"), _col(table, "95% CI")
    assert row[c90.key] == pytest.approx((tost["ci_lower"], tost["ci_upper"]))
    assert row[c95.key] is None
    primary = next(r for r in table.rows if r["role"] == "primary")
    assert primary[c90.key] is None and primary[c95.key] is not None


def test_interval_level_comes_from_the_row_when_it_says(tmp_path):
    def edit(name, data):
        if name == "propositions.json":
            for e in data["propositions"]["P2"]["evidence"]:
                if e["role"] == "equivalence":
                    e["ci_level"] = 0.8
        return data

    table = _table(propositions_section(_inputs(tmp_path, edit, ("propositions.json",))), "evidence_p2")
    assert "80% CI" in [c.label for c in table.columns]


def test_verdict_cards_label_levels_and_sides(pipeline_inputs):
    cards = next(b.data for b in summary_section(pipeline_inputs).blocks if b.kind == "verdicts")
    for card in cards:
        tost = [e for e in card["evidence"] if e.startswith("TOST")]
        primary = [e for e in card["evidence"] if not e.startswith("TOST")]
        assert tost and all("90% CI" in e and "95% CI" not in e for e in tost)
        assert primary and all("95% CI" in e for e in primary)
        assert all("p (one-sided)" in e for e in card["evidence"])


def test_two_sided_wald_tests_have_their_own_p_column(pipeline_inputs):
    table = _table(propositions_section(pipeline_inputs), "continuous")
    one, two = _col(table, "p (one-sided)"), _col(table, "p (two-sided)")
    for r in table.rows:
        wald = r["label"].startswith("moderation")
        assert (r[two.key] is not None) == wald and (r[one.key] is not None) != wald


# ---------------------------------------------------------------- 4. counts that differ
def test_flow_chart_explains_clean_versus_analysed(tmp_path):
    def edit(name, data):
        if name == "propositions.json":
            data["n"].update(n=257, n_total=261, unclassified=4, missing_score=0,
                             excluded_by_rule=0, bg_definition="bg_ms20")
            data["n"]["analysed"] = 257
        if name == "cleaning_log.json":
            data["n_kept"] = 261
        return data

    inputs = _inputs(tmp_path, edit, ("propositions.json", "cleaning_log.json"))
    s = cleaning_section(inputs)
    flow = next(b.data for b in s.blocks if b.kind == "flow")
    assert [st["label"] for st in flow[-2:]] == ["Clean data set (measurement model)",
                                                 "Analysed in the proposition tests"]
    assert (flow[-2]["n"], flow[-1]["n"]) == ("261", "257")
    assert "Left out: n = 4" in flow[-1]["excluded"] and any(
        x.startswith("4 not classified as born global or traditional") for x in flow[-1]["excluded"])
    assert not any(st["label"] == "Analysed" for st in flow)
    text = " ".join(b.data for b in summary_section(inputs).blocks if b.kind == "p")
    assert "257 analysed" in text and "4 not classified" in text


def test_multiverse_table_gives_shares_of_the_computed_specifications(pipeline_inputs):
    props = json.loads((PIPELINE / "propositions.json").read_text())
    mv = props["multiverse"]
    s = multiverse_section(pipeline_inputs)
    table = _table(s, "multiverse")
    labels = [c.label for c in table.columns]
    assert "95% CI above 0" in labels and "CI > 0" not in labels
    assert all(c.kind == "pct" for c in table.columns if c.key in ("pos", "neg") or c.key.startswith("share_"))
    ok = [sp for sp in mv["specifications"] if sp["status"] == "ok"]
    p1 = next(r for r in table.rows if r["proposition"] == "P1")
    pos = sum(1 for sp in ok if sp["ci_lower_P1"] is not None and sp["ci_lower_P1"] > 0)
    assert p1["k"] == len(ok) and p1["pos"] == pytest.approx(pos / len(ok))
    assert p1["share_supported"] == pytest.approx(mv["share"]["P1"]["supported"])
    assert "one-sided" in table.note and "90% interval" in table.note
    text = " ".join(b.data for b in s.blocks if b.kind == "p")
    assert f"{mv['n_available']} of {mv['n_specifications']} specifications computed" in text


def test_efa_sentence_says_why_that_many_factors(pipeline_inputs):
    text = " ".join(b.data for b in measurement_section(pipeline_inputs).blocks if b.kind == "p")
    efa = json.loads((PIPELINE / "measurement.json").read_text())["efa"]
    m = re.search(r"(\d+) factors extracted .*?one per construct of the instrument", text)
    assert m and int(m.group(1)) == efa["nfactors"] == len(efa["factor_constructs"])
    if efa["parallel_analysis_factors"] != efa["nfactors"]:
        assert f"Parallel analysis (Horn, 1965) suggests {efa['parallel_analysis_factors']}" in text
        assert "not used to choose the number" in text


def test_one_warning_per_ave_problem(pipeline_inputs):
    w = next(b.data for b in measurement_section(pipeline_inputs).blocks if b.kind == "warnings")
    ave = [x for x in w if "AVE below" in x]
    constructs = {re.search(r"construct (\w+)", x).group(1) for x in ave}
    assert ave and len(ave) == len(constructs)


# ---------------------------------------------------------------- 4. figures
def test_loadings_caption_speaks_of_blank_cells_only_when_there_are_some():
    import numpy as np
    import pandas as pd

    from rsnprop.report import figures as F

    efa = pd.DataFrame([[0.7, 0.1], [0.2, 0.8]], index=["a", "b"], columns=["MR1", "MR2"])
    cfa = efa.copy()
    cfa.iloc[0, 1] = cfa.iloc[1, 0] = np.nan
    assert "blank" not in F.loadings_heatmap(efa, exploratory=True).caption.lower()
    assert "Every item has a loading on every factor" in F.loadings_heatmap(efa, exploratory=True).caption
    assert "Blank cells are loadings not estimated" in F.loadings_heatmap(cfa).caption


def _path_ys(svg: str, group: str) -> list[float]:
    start = svg.index(f'<g id="{group}">')
    path = re.search(r'<path d="([^"]+)"', svg[start:]).group(1)
    return [float(y) for y in re.findall(r"[ML] [-\d.]+ ([-\d.]+)", path)]


def test_forest_legend_stays_off_the_estimates_and_caption_names_joint_squares():
    from rsnprop.report import figures as F

    rows = [{"label": f"{g}: test", "estimate": 0.2 + i / 10, "ci_lower": 0.0, "ci_upper": 0.5 + i / 10,
             "group": g} for i, g in enumerate(["P1", "P2", "joint", "joint"])]
    fig = F.forest_plot(rows, bounds=(-0.2, 0.2))
    svg = fig.svg.decode()
    axes_top = min(_path_ys(svg, "patch_2"))               # the axes background
    legend_bottom = max(_path_ys(svg, "legend_1"))         # SVG y grows downwards
    assert legend_bottom < axes_top
    assert "squares" in fig.caption and "joint prediction" in fig.caption
    assert "equivalence bounds" in fig.caption


# ---------------------------------------------------------------- 4. words, not keys
def test_raw_keys_are_printed_as_words(tmp_path):
    from rsnprop.report import build_report

    html = build_report(make_results(tmp_path, clean=False))
    body = re.sub(r"<[^>]+>", " ", html[html.index("<main>"):html.index('id="sec-provenance"')])
    for key in ("chi2_clf", "chi2_base", "power_bonferroni", "power_uncorrected", "approach_slope",
                "moderation_phase", "common_latent_factor", "born_global_definition",
                "flag_longstring", "rsnprop.data.clean", "simulate_study"):
        assert key not in body, key
    assert "χ² with the common latent factor" in body


def test_careless_rules_are_named_in_words_not_log_keys():
    """The cleaning section names each careless-responding rule and screen in words (the log's
    keys such as ``irv_block`` or ``2_weak_flags`` are not for readers)."""
    from rsnprop.report.sections.base import words
    from rsnprop.report.sections.cleaning import rule_words

    for key in ("attention_check", "speeding", "longstring", "irv", "irv_block", "mahad",
                "pattern", "evenodd", "person_total", "2_weak_flags", "3_weak_flags"):
        assert "_" not in rule_words(key) and rule_words(key) != key.replace("_", " ") or \
            key == "speeding", key
    for flag in ("flag_longstring", "flag_irv", "flag_irv_block", "flag_mahad", "flag_evenodd",
                 "flag_pattern", "flag_person_total"):
        assert not words(flag).startswith("flag"), flag
