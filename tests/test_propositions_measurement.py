"""The preregistered non-invariance policy (plan ``measurement:``;
rsnprop.propositions.measurement) and the simulator's differential item functioning.

Data: ``simulate_study`` -> ``rsnprop.data.clean`` with the example plan's cleaning rules, N = 300.
DIF-only data: no true difference anywhere (scenario ``null``), but 2 relational items read
1.0 SD higher among born globals: with every item P2 comes out "supported" (report_only), which is
the artefact the policy must stop.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from rsnprop.errors import PlanError
from rsnprop.propositions import load_plan, test_propositions
from rsnprop.propositions.measurement import apply_policy, invariant_part
from rsnprop.propositions.plan import StudyPlan, plan_from_dict

ROOT = Path(__file__).resolve().parents[1]
PLAN = load_plan(ROOT / "analysis" / "study.yaml")
DIF = {"base": "null", "name": "dif2", "dif": [{"scale": "relational", "k": 2, "size": 1.0,
                                                "group": "born_global"}]}
SEEDS = (1, 2, 3)


def _clean(scenario, seed):
    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    ins = load_instrument(ROOT / "instruments" / "rsn_internationalisation.yaml")
    raw = simulate_study(ins, scenario, n=300, seed=seed)
    raw = raw[0] if isinstance(raw, tuple) else raw
    return clean(raw, ins, PLAN.cleaning).data


@pytest.fixture(scope="module")
def dif_data():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {s: _clean(DIF, s) for s in SEEDS}


def _run(data, plan):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return test_propositions(data, plan, secondary=False, multiverse=False)


def test_plan_section_is_validated_and_hashed():
    assert PLAN.measurement.policy == "partial" and PLAN.measurement.locate == "score"
    assert StudyPlan(name="x").measurement.policy == "partial"
    for bad, where in (({"policy": "ignore"}, "measurement.policy"),
                       ({"correction": "tukey"}, "measurement.correction"),
                       ({"min_invariant_items": 1}, "measurement.min_invariant_items")):
        with pytest.raises(PlanError) as e:
            plan_from_dict({"name": "x", "measurement": bad})
        assert e.value.parameter == where
    hashes = {StudyPlan(name="x", measurement={"policy": p}).hash
              for p in ("partial", "inconclusive", "report_only")}
    assert len(hashes) == 3


def test_simulated_dif_shifts_only_the_named_items(dif_data):
    d = pd.concat(dif_data.values())
    gap = d.groupby("bg_ms20")[["rel_1", "rel_2", "rel_3", "rel_5", "inf_1"]].mean().diff().iloc[-1]
    assert gap["rel_1"] > 0.6 and gap["rel_2"] > 0.6          # born globals read higher
    assert abs(gap["rel_3"]) < 0.25 and abs(gap["rel_5"]) < 0.25 and abs(gap["inf_1"]) < 0.25


@pytest.mark.parametrize("seed", SEEDS)
def test_dif_only_data_is_not_supported_under_the_default_policy(dif_data, seed):
    res = _run(dif_data[seed], PLAN)
    m = res.propositions["P2"]["measurement"]
    assert m["status"] == "ok" and m["policy"] == "partial"
    assert m["verdict_all_items"] == "supported"      # the artefact, with every item
    assert res.verdicts["P2"] != "supported" and m["verdict_changed"]
    assert m["items_set_aside"] and m["held"] is False
    assert "set aside" in res.propositions["P2"]["reason"] or \
        res.propositions["P2"]["reason"].startswith("measurement not invariant")
    ev = res.propositions["P2"]["evidence"][0]
    assert ev["n"] > 0 and res.measurement["n"] <= res.measurement["n_total"]


def test_the_dif_items_are_located(dif_data):
    """The score-test search sets the two shifted items aside in most data sets; where it
    anchors on them instead (seed 1: five other relational items flagged), more than half of the
    scale is set aside and the verdicts become inconclusive, never supported."""
    found = 0
    for seed, d in dif_data.items():
        res = _run(d, PLAN)
        m = res.measurement
        aside = set(m["items_set_aside"])
        rel = m["scales"]["relational"]
        if {"rel_1", "rel_2"} <= aside:
            found += 1
        elif len(rel["set_aside"]) > len(rel["items"]) / 2:
            assert not rel["partial_ok"] and res.verdicts["P2"] == "inconclusive"
            assert "at most 50% of a scale's items set aside" in res.propositions["P2"]["reason"]
    assert found >= 2


def test_inconclusive_and_report_only_policies(dif_data):
    d = dif_data[SEEDS[0]]
    inc = _run(d, PLAN.with_(measurement={"policy": "inconclusive"}))
    assert set(inc.verdicts.values()) == {"inconclusive"}
    assert inc.propositions["P2"]["reason"].startswith("measurement not invariant")
    rep = _run(d, PLAN.with_(measurement={"policy": "report_only"}))
    assert rep.verdicts["P2"] == "supported"
    assert rep.propositions["P2"]["measurement"]["verdict_changed"] is False
    assert rep.propositions["P2"]["measurement"]["invariance_level"] == "partial_scalar"


def test_clean_data_verdicts_are_unchanged():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = _clean("p1p2", 11)
    res = _run(d, PLAN)
    m = res.propositions["P1"]["measurement"]
    assert m["status"] == "ok" and m["items_set_aside"] == [] and m["held"] is True
    blocks = [*res.propositions.items(), ("joint", res.joint)]
    assert res.verdicts == {k: v["measurement"]["verdict_all_items"] for k, v in blocks}
    assert not any(v["measurement"]["verdict_changed"] for v in res.propositions.values())


def test_invariant_part_recomputes_scores():
    df = pd.DataFrame({"rel_1": [7, 1, None], "rel_2": [3, 3, 4], "rel_3": [5, None, None],
                       "inf_1": [1, 2, 3], "inf_2": [1, 2, 3],
                       "score_relational": [5.0, 2.0, 4.0], "score_informational": [1.0, 2.0, 3.0]})
    out = invariant_part(df, StudyPlan(name="x"), ["rel_1"])
    assert "rel_1" not in out.columns
    assert out["score_relational"].tolist()[:2] == [4.0, 3.0]
    assert out["score_relational"].tolist()[2] == 4.0        # 1 of 2 answered: half is enough
    assert out["score_informational"].tolist() == [1.0, 2.0, 3.0]


def test_partial_without_enough_invariant_items_is_inconclusive():
    check = {"status": "ok", "required": "scalar", "level": "partial_scalar", "held": False,
             "items_set_aside": ["rel_1", "rel_2"], "min_invariant_items": 2,
             "scales": {"relational": {"set_aside": ["rel_1", "rel_2"], "partial_ok": False},
                        "informational": {"set_aside": [], "partial_ok": True}}}
    out = apply_policy({"P1": "supported", "P2": "supported"}, check, "partial")
    assert out["P2"][0] == "inconclusive" and "relational scale" in out["P2"][1]
    assert "informational" not in out["P2"][1]
    assert apply_policy({"P1": "supported"}, check, "report_only") == {"P1": (None, None)}
    # the search ended below partial scalar (e.g. a refit failed): not established either
    stuck = {**check, "level": "metric", "items_set_aside": [],
             "scales": {k: {"set_aside": [], "partial_ok": True} for k in check["scales"]}}
    out = apply_policy({"P2": "supported"}, stuck, "partial")
    assert out["P2"][0] == "inconclusive" and "level held: metric" in out["P2"][1]
    ok = {**stuck, "level": "partial_scalar"}
    assert apply_policy({"P2": "supported"}, ok, "partial") == {"P2": (None, None)}
    assert apply_policy({"P1": "supported"}, dict(check, status="not_available"), "inconclusive") == \
        {"P1": (None, None)}


def test_multiverse_has_a_policy_axis(dif_data):
    from rsnprop.propositions.multiverse import run_multiverse

    plan = PLAN.with_(multiverse={"enabled": True, "born_global_definitions": ["bg_ms20"],
                                  "missing": ["available"], "estimators": ["t"], "controls": [False],
                                  "measurement_policies": ["partial", "inconclusive", "report_only"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mv = run_multiverse(dif_data[SEEDS[1]], plan)
    rows = {r["measurement_policy"]: r for r in mv["specifications"]}
    assert mv["n_specifications"] == 3 and set(rows) == {"partial", "inconclusive", "report_only"}
    assert rows["report_only"]["verdict_P2"] == "supported"
    assert rows["partial"]["verdict_P2"] != "supported" and rows["inconclusive"]["verdict_P2"] == "inconclusive"
    assert rows["partial"]["primary"] and not rows["report_only"]["primary"]
    assert {"rel_1", "rel_2"} <= set(rows["partial"]["items_set_aside"])


@pytest.mark.parametrize("missing", ["fiml", "listwise"])
def test_model_rows_on_arrays_equal_the_pandas_selection(missing):
    """The float columns' array path of ``_model_rows`` gives the frame of the pandas path (taken
    for other dtypes): the same rows, order, values, dtypes and index, and the same count."""
    import numpy as np

    from rsnprop.propositions.measurement import _model_rows, benefit_items

    data = _clean("dif", 3)
    bg = PLAN.born_global_definition
    cols = [c for v in benefit_items(data.columns, PLAN).values() for c in v]
    data.loc[data.index[:7], bg] = np.nan          # no group
    data.loc[data.index[7:9], bg] = 2.0            # not a group code
    data.loc[data.index[9:12], cols] = np.nan      # no item answered
    data.loc[data.index[12:20], cols[0]] = np.nan  # one item missing
    arrays, n_a = _model_rows(data, cols, bg, missing)
    frames, n_f = _model_rows(data.astype({bg: "Float64"}), cols, bg, missing)
    pd.testing.assert_frame_equal(arrays, frames, check_exact=True)
    assert n_a == n_f == int(data[bg].isin([0, 1]).sum())
    answered = data.loc[data[bg].isin([0, 1]), cols].notna()
    assert len(arrays) == int((answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)).sum())
    assert list(arrays[bg].unique()) == [0, 1] and arrays[bg].dtype == np.int64
