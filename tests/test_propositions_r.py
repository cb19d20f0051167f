"""rsnprop.propositions against R (tests/reference/propositions.R -> propositions.json).

Tolerances: 1e-6 relative for closed-form statistics (t, F, p, OLS, HC3), 1e-5 for the
noncentral-t confidence limits of d_z (root finding in both languages), 1e-4 for the
normal-approximation rank tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rsnprop.propositions import StudyPlan, test_propositions
from rsnprop.propositions.auxiliary import auxiliary_tests
from rsnprop.propositions.continuous import approach_slope, moderation
from rsnprop.propositions.interaction import (mixed_anova_interaction, ols_interaction,
                                              rank_interaction, welch_interaction)
from rsnprop.propositions.paired import paired_ols, paired_t, paired_tost, paired_wilcoxon
from rsnprop.propositions.prepare import analysis_frame

REF = Path(__file__).resolve().parent / "reference"
R = json.loads((REF / "propositions.json").read_text())
DATA = pd.read_csv(REF / "propositions_data.csv")
PLAN = StudyPlan(name="r-reference", controls=["b2b", "phase", "log_employees", "sector"])


@pytest.fixture(scope="module")
def frame():
    f, _ = analysis_frame(DATA, PLAN, extra=["phase", "sector", "score_intl_approach"])
    return f


@pytest.mark.parametrize("key, group, expects", [("P1", "traditional", "informational"),
                                                 ("P2", "born_global", "relational")])
def test_within_group_against_r(frame, key, group, expects):
    ref = R[key]
    sub = frame[frame.group == group]
    rel, inf = sub.relational.to_numpy(), sub.informational.to_numpy()
    row = paired_t(rel, inf, expects=expects)
    assert row["n"] == ref["n"]
    assert row["statistic"] == pytest.approx(ref["t"], rel=1e-6)
    assert row["p_value"] == pytest.approx(ref["p"], rel=1e-6)
    assert row["p_opposite"] == pytest.approx(ref["p_opposite"], rel=1e-6)
    assert row["estimate"] == pytest.approx(ref["mean"], rel=1e-6)
    assert row["effect_size"] == pytest.approx(ref["dz"], rel=1e-6)
    assert row["es_ci_lower"] == pytest.approx(ref["dz_lower"], rel=1e-5)
    assert row["es_ci_upper"] == pytest.approx(ref["dz_upper"], rel=1e-5)
    tost = paired_tost(rel, inf, expects=expects, sesoi_value=0.2, sesoi_unit="dz")
    assert tost["p_value"] == pytest.approx(ref["tost_p"], rel=1e-6)
    w = paired_wilcoxon(rel, inf, expects=expects)
    assert w["p_value"] == pytest.approx(ref["wilcoxon_p"], rel=1e-4)
    assert w["estimate"] == pytest.approx(ref["hl_r"], rel=1e-6)
    assert w["ci_lower"] < w["estimate"] < w["ci_upper"]


def test_interaction_against_r(frame):
    ols = ols_interaction(frame, cov_type="nonrobust")
    assert ols["estimate"] == pytest.approx(R["ols"]["est"], rel=1e-6)
    assert ols["se"] == pytest.approx(R["ols"]["se"], rel=1e-6)
    assert ols["p_value"] == pytest.approx(R["ols"]["p"], rel=1e-6)
    hc3 = ols_interaction(frame, cov_type="HC3")
    assert hc3["se"] == pytest.approx(R["ols"]["se_hc3"], rel=1e-6)
    assert hc3["p_value"] == pytest.approx(R["ols"]["p_hc3"], rel=1e-6)
    w = welch_interaction(frame)
    assert w["statistic"] == pytest.approx(R["welch"]["t"], rel=1e-6)
    assert w["df"] == pytest.approx(R["welch"]["df"], rel=1e-6)
    assert w["p_value"] == pytest.approx(R["welch"]["p"], rel=1e-6)
    assert w["effect_size"] == pytest.approx(R["hedges_g"], rel=1e-6)
    mw = rank_interaction(frame)
    assert mw["statistic"] == pytest.approx(R["mann_whitney"]["W"])
    assert mw["p_value"] == pytest.approx(R["mann_whitney"]["p"], rel=1e-4)
    assert mw["estimate"] == pytest.approx(R["mann_whitney"]["hl_r"], rel=1e-6)
    aov = mixed_anova_interaction(frame)
    assert aov["statistic"] == pytest.approx(R["mixed_anova"]["F"], rel=1e-6)
    assert aov["p_value"] * 2 == pytest.approx(R["mixed_anova"]["p"], rel=1e-6)


def test_controls_against_r():
    f, _ = analysis_frame(DATA, PLAN, controls=PLAN.controls)
    ctrl = f.attrs["controls"]
    row = ols_interaction(f, controls=tuple(ctrl), cov_type="HC3")
    assert row["estimate"] == pytest.approx(R["ols_controls"]["est"], rel=1e-6)
    assert row["se"] == pytest.approx(R["ols_controls"]["se_hc3"], rel=1e-6)
    assert row["p_value"] == pytest.approx(R["ols_controls"]["p_hc3"], rel=1e-6)
    tr = f[f.group == "traditional"]
    w = paired_ols(tr.relational.to_numpy(), tr.informational.to_numpy(), expects="informational",
                   controls=tr[ctrl].to_numpy(float))
    assert w["estimate"] == pytest.approx(R["within_controls_P1"]["est"], rel=1e-6)
    assert w["se"] == pytest.approx(R["within_controls_P1"]["se_hc3"], rel=1e-6)
    assert w["p_value"] == pytest.approx(R["within_controls_P1"]["p_hc3"], rel=1e-6)


def test_continuous_and_auxiliary_against_r(frame):
    a = approach_slope(frame, "score_intl_approach")
    assert a["estimate"] == pytest.approx(R["approach"]["est"], rel=1e-6)
    assert a["se"] == pytest.approx(R["approach"]["se_hc3"], rel=1e-6)
    assert a["p_value"] == pytest.approx(R["approach"]["p_hc3"], rel=1e-6)
    m = moderation(frame, "phase")
    assert m["statistic"] == pytest.approx(R["moderation_phase"]["F"], rel=1e-6)
    assert m["p_value"] == pytest.approx(R["moderation_phase"]["p"], rel=1e-6)
    ms = moderation(frame, "sector", categorical=True)
    assert ms["df_num"] == R["moderation_sector"]["df_num"]
    assert ms["statistic"] == pytest.approx(R["moderation_sector"]["F"], rel=1e-6)
    assert ms["p_value"] == pytest.approx(R["moderation_sector"]["p"], rel=1e-6)
    aux = auxiliary_tests(frame)
    assert aux["A2"]["estimate"] == pytest.approx(R["A2"]["est"], rel=1e-6)
    assert aux["A2"]["se"] == pytest.approx(R["A2"]["se_hc3"], rel=1e-6)
    assert aux["A2"]["p_value"] == pytest.approx(R["A2"]["p_hc3"], rel=1e-6)


def test_holm_corrected_primary_p_against_r():
    res = test_propositions(DATA, PLAN, secondary=False)
    got = [res.propositions["P1"]["evidence"][0]["p_corrected"],
           res.propositions["P2"]["evidence"][0]["p_corrected"],
           res.joint["evidence"][0]["p_corrected"]]
    assert got == pytest.approx(R["holm"], rel=1e-6)


def test_latent_contrast_against_lavaan():
    from rsnprop.propositions.latent import latent_interaction

    ref = json.loads((REF / "propositions_latent.json").read_text())
    d = pd.read_csv(REF / "propositions_latent.csv")
    row = latent_interaction(d, relational_items=[f"rel_{i}" for i in range(1, 5)],
                             informational_items=[f"inf_{i}" for i in range(1, 5)], group="bg_ms20")
    assert row["status"] == "ok", row["note"]
    assert row["latent_means"]["relational"] == pytest.approx(ref["kappa_rel"], abs=1e-4)
    assert row["latent_means"]["informational"] == pytest.approx(ref["kappa_inf"], abs=1e-4)
    assert row["estimate"] == pytest.approx(ref["contrast"], abs=1e-4)
    assert row["se"] == pytest.approx(ref["contrast_se"], rel=1e-3)
