"""The imputed analysis frames (``imputed_frames``: the first built in full, the others its copy
with the scores of their imputation, taken without building each imputed data set, issue 21:
the study rebuild) are, to the bit, the analysis frames of the data sets
``imputed_datasets`` returns, built one by one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.propositions import StudyPlan
from rsnprop.propositions.imputation import imputed_datasets, imputed_frames
from rsnprop.propositions.prepare import analysis_frame
from rsnprop.propositions.synthetic import synthetic_clean


def _data(n, seed, *, two_constructs=False):
    df = synthetic_clean(n, "p1p2", 0.4, seed=seed, missing_rate=0.05, n_rel=4, n_inf=4)
    rng = np.random.default_rng(seed)
    df["rel_2"] = np.where(rng.random(n) < 0.05, np.nan, df["rel_2"])      # R's NA, read as NaN
    df["firm_age"] = rng.integers(1, 30, n).astype(float)
    df["sector"] = rng.choice(["C", "G", "J"], n)
    if two_constructs:         # a second informational construct: a mean over two score columns
        for j in (1, 2, 3):
            df[f"rsk_{j}"] = np.where(rng.random(n) < 0.05, np.nan, df[f"inf_{j}"] + rng.integers(-1, 2, n))
        df["score_risk_reduction"] = df[["rsk_1", "rsk_2", "rsk_3"]].mean(axis=1)
    return df


def _plan(two_constructs):
    benefits = {"relational": ["relational"],
                "informational": ["informational", "risk_reduction"] if two_constructs else ["informational"]}
    return StudyPlan(name="x", missing="multiple_imputation", benefits=benefits,
                     imputation={"m": 4, "seed": 3}, controls=["firm_age", "sector"])


@pytest.mark.parametrize("two_constructs", [False, True])
@pytest.mark.parametrize("controls", [False, True])
@pytest.mark.parametrize("bg", ["bg_ms20", "bg_kc25"])
def test_imputed_frames_are_the_frames_of_the_imputed_data_sets(two_constructs, controls, bg):
    df = _data(150, 5, two_constructs=two_constructs)
    plan = _plan(two_constructs)
    ctrl = plan.controls if controls else None
    datasets, _ = imputed_datasets(df, plan, bg_definition=bg)
    expected = [analysis_frame(d, plan, bg_definition=bg, missing="available", controls=ctrl)[0]
                for d in datasets]
    for cache in (None, {}):
        prepared = imputed_frames(df, plan, bg_definition=bg, controls=ctrl, cache=cache)
        assert prepared.shared and len(prepared.frames) == 4
        for got, want in zip(prepared.frames, expected):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            for c in ("relational", "informational", "D"):     # to the bit, -0.0 and NaN alike
                assert got[c].to_numpy().tobytes() == want[c].to_numpy().tobytes()
        assert not prepared.frames[1]["D"].equals(prepared.frames[2]["D"])


def test_an_imputed_column_among_the_controls_builds_every_frame():
    df = _data(120, 9)
    plan = _plan(False).with_(controls=["rel_1"])
    datasets, _ = imputed_datasets(df, plan)
    prepared = imputed_frames(df, plan, controls=plan.controls)
    assert not prepared.shared
    for got, d in zip(prepared.frames, datasets):
        want = analysis_frame(d, plan, missing="available", controls=plan.controls)[0]
        pd.testing.assert_frame_equal(got, want, check_exact=True)
