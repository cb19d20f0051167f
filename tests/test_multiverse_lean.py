"""The multiverse runs its cells within :func:`rsnprop.propositions.lean.lean_tests` (the t
statistics and least squares without SciPy's and statsmodels' objects, issue 21: the study
rebuild); its table must be the bytes of the same grid run with SciPy and statsmodels."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from rsnprop.propositions import load_plan
from rsnprop.propositions import multiverse as mv_module
from rsnprop.propositions.lean import is_lean
from rsnprop.propositions.multiverse import run_multiverse
from rsnprop.propositions.synthetic import synthetic_clean
from rsnprop.results import dumps

PLAN = Path(__file__).resolve().parents[1] / "analysis" / "study.yaml"


def _plan():
    plan = load_plan(PLAN).with_(multiverse={
        "born_global_definitions": ["bg_ms20", "bg_kc25"],
        "careless": [{"name": "as_cleaned"}],
        "missing": ["available", "complete_cases", "multiple_imputation"],
        "estimators": ["t", "hc3", "rank"], "controls": [False, True],
        "measurement_policies": ["partial"]})
    return plan.with_(imputation={"m": 3, "seed": 5})


def _data(n, seed, items=(7, 9)):
    df = synthetic_clean(n, "p1p2", 0.4, seed=seed, missing_rate=0.1, n_rel=items[0], n_inf=items[1])
    rng = np.random.default_rng(seed)
    df["rel_1"] = np.where(rng.random(n) < 0.05, np.nan, df["rel_1"])   # R's NA as NaN, as read
    return df


def test_the_multiverse_tests_are_lean(monkeypatch):
    seen = []
    original = mv_module.evaluate_spec

    def spy(*args, **kwargs):
        seen.append(is_lean())
        return original(*args, **kwargs)

    monkeypatch.setattr(mv_module, "evaluate_spec", spy)
    run_multiverse(_data(120, 3), _plan(), jobs=1)
    assert seen and all(seen)


def test_lean_multiverse_is_the_scipy_statsmodels_multiverse(monkeypatch):
    plan = _plan()
    for n, seed, items in ((150, 7, (7, 9)), (50, 11, (3, 3))):
        df = _data(n, seed, items)
        lean = run_multiverse(df, plan, jobs=1)
        with monkeypatch.context() as m:
            m.setattr(mv_module, "lean_tests", contextlib.nullcontext)
            full = run_multiverse(df, plan, jobs=1)
        assert lean["n_available"] > 0
        assert dumps(lean) == dumps(full)
