"""What the Monte Carlo power of the pipeline leaves out of the invariance check (issue 21) changes
nothing it uses: ``fit(..., se="none")`` has the same estimates and fit measures (FIML and complete
data), ``score_tests(..., cumulative=False)`` the same univariate statistics, and
``check_measurement`` inside ``verdicts_only()`` the same level, freed constraints and items set
aside.  Equality is exact (the same computations, not a tolerance).  The lavaan references of the
statistics themselves are in tests/test_sem_scoretest.py and tests/test_sem_invariance.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.errors import InputError
from rsnprop.propositions import load_plan
from rsnprop.propositions.measurement import check_measurement, verdicts_only
from rsnprop.sem import fit, invariance
from rsnprop.sem.scoretest import score_tests

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
FIT_KEYS = ("chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "loglik", "baseline_chi2")


@pytest.mark.parametrize("csv,missing", [("sem_fiml_mi.csv", "fiml"), ("holzinger_swineford.csv", "auto")])
def test_fit_without_standard_errors_has_the_same_estimates(csv, missing):
    data = pd.read_csv(REF / csv)
    kw = dict(group="school", group_equal=("loadings",), missing=missing)
    full, lean = fit(MODEL, data, **kw), fit(MODEL, data, se="none", **kw)
    assert np.array_equal(full.theta, lean.theta)
    assert all(full.fit[k] == lean.fit[k] for k in FIT_KEYS)
    free = lean.estimates[lean.estimates.free]
    assert free.se.isna().all() and full.estimates[full.estimates.free].se.notna().all()
    if missing == "fiml":
        assert "cfi_robust" in full.fit and "cfi_robust" not in lean.fit


def test_se_none_is_for_ml_only():
    data = pd.read_csv(REF / "holzinger_swineford.csv")
    with pytest.raises(InputError, match="se"):
        fit(MODEL, data, estimator="MLR", se="none")
    with pytest.raises(InputError, match="se"):
        fit(MODEL, data, se="robust")


def test_univariate_score_tests_alone_are_the_same():
    res = fit(MODEL, pd.read_csv(REF / "sem_fiml_mi.csv"), group="school", missing="fiml",
              group_equal=("loadings", "intercepts"))
    full, lean = score_tests(res), score_tests(res, cumulative=False)
    pd.testing.assert_frame_equal(full.univariate, lean.univariate, check_exact=True)
    assert len(full.cumulative) == full.total["df"] and len(lean.cumulative) == 0
    assert np.isnan(lean.total["X2"]) and lean.total["df"] == full.total["df"]
    # the first cumulative test is the largest univariate one, the last the total test
    assert full.cumulative.X2.iloc[0] == full.univariate.X2.max()
    assert full.cumulative.X2.iloc[-1] == full.total["X2"]


def test_lean_invariance_sequence_keeps_the_decisions():
    data = pd.read_csv(REF / "holzinger_swineford.csv")
    kw = dict(levels=("configural", "metric", "scalar"), rule="score", partial_search=True, locate="score")
    full = invariance(MODEL, data, "school", **kw)
    lean = invariance(MODEL, data, "school", se="none", cumulative=False, **kw)
    assert [s["name"] for s in full.steps] == [s["name"] for s in lean.steps]
    assert full.level == lean.level and full.steps[-1]["freed"] == lean.steps[-1]["freed"]
    assert full.steps[-1]["freed"]                     # the search ran (x3 and x7 intercepts)
    for a, b in zip(full.steps, lean.steps):
        assert a["chi2"] == b["chi2"] and a["held"] == b["held"]
        if a.get("score_tests"):
            assert a["score_tests"]["univariate"] == b["score_tests"]["univariate"]
            assert b["score_tests"]["cumulative"] == []


def test_verdicts_only_check_has_the_same_outcome():
    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    plan = load_plan(ROOT / "analysis" / "study.yaml")
    ins = load_instrument(ROOT / "instruments" / "rsn_internationalisation.yaml")
    dif = {"base": "null", "name": "dif2", "dif": [{"scale": "relational", "k": 2, "size": 1.0,
                                                    "group": "born_global"}]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = clean(simulate_study(ins, dif, n=300, seed=2), ins, plan.cleaning).data
        full = check_measurement(data, plan)
        with verdicts_only():
            lean = check_measurement(data, plan)
    assert full["status"] == lean["status"] == "ok"
    for key in ("level", "held", "freed", "items_set_aside", "scales", "note"):
        assert full[key] == lean[key], key
    assert full["items_set_aside"]                    # the dif items were found
    assert [s["score_tests"] and s["score_tests"]["univariate"] for s in full["steps"]] == \
        [s["score_tests"] and s["score_tests"]["univariate"] for s in lean["steps"]]
