"""The score arrays the imputed frames carry (``AnalysisFrames.scores``: the tests of the
imputations read them instead of each frame's columns, issue 21: the study rebuild) are the
frames' columns to the bit, and the tests give the same rows with and without them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rsnprop.propositions import StudyPlan
from rsnprop.propositions.imputation import imputed_frames
from rsnprop.propositions.primary import run_hypothesis_tests
from rsnprop.propositions.synthetic import synthetic_clean


def _data(n, seed):
    df = synthetic_clean(n, "p1p2", 0.4, seed=seed, missing_rate=0.08, n_rel=4, n_inf=4)
    rng = np.random.default_rng(seed)
    df["firm_age"] = rng.integers(1, 30, n).astype(float)
    df["firm_age"] = np.where(rng.random(n) < 0.05, np.nan, df["firm_age"])   # a control unknown
    df["sector"] = rng.choice(["C", "G", "J"], n)
    return df


def _plan(controls):
    return StudyPlan(name="x", missing="multiple_imputation", imputation={"m": 5, "seed": 7},
                     controls=["firm_age", "sector"] if controls else [])


@pytest.mark.parametrize("controls", [False, True])
def test_scores_are_the_frames_columns(controls):
    plan = _plan(controls)
    prepared = imputed_frames(_data(160, 4), plan, controls=plan.controls or None)
    assert prepared.shared and len(prepared.scores) == len(prepared.frames) == 5
    for f, s in zip(prepared.frames, prepared.scores):
        assert sorted(s) == ["D", "informational", "relational"]
        for k, v in s.items():
            assert v.tobytes() == f[k].to_numpy(float).tobytes()


@pytest.mark.parametrize("estimator", ["t", "hc3", "rank"])
@pytest.mark.parametrize("controls", [False, True])
def test_tests_same_with_and_without_the_arrays(estimator, controls):
    plan = _plan(controls)
    prepared = imputed_frames(_data(140, 11), plan, controls=plan.controls or None)
    fast = run_hypothesis_tests(prepared, plan, estimator=estimator)
    slow = run_hypothesis_tests(dataclasses.replace(prepared, scores=None), plan, estimator=estimator)
    assert fast.keys() == slow.keys() and "joint" in fast
    for key in fast:
        assert repr(fast[key]) == repr(slow[key])


def test_frames_not_shared_have_no_arrays():
    plan = _plan(False).with_(controls=["rel_1"])
    prepared = imputed_frames(_data(120, 9), plan, controls=plan.controls)
    assert not prepared.shared and prepared.scores is None
    assert run_hypothesis_tests(prepared, plan, estimator="t")["P1"].primary
