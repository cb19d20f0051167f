"""What the Monte Carlo power of the pipeline leaves out of the invariance check (issue 21) changes
nothing it uses: ``fit(..., se="none")`` has the same estimates and fit measures (FIML and complete
data, exactly: the same computations), ``score_tests(..., cumulative=False)`` the same univariate
statistics (one bordered inverse and rank-one downdates instead of a pseudo-inverse per
constraint: equal to 1e-7 relative, the same flags), and ``check_measurement`` inside
``verdicts_only()`` the same level, freed constraints and items set aside.  The lavaan references
of the statistics themselves are in tests/test_sem_scoretest.py and tests/test_sem_invariance.py.
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
from rsnprop.sem.scoretest import score_tests, univariate_downdate

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
    pd.testing.assert_frame_equal(full.univariate.drop(columns=["X2", "p_value", "p_adjusted"]),
                                  lean.univariate.drop(columns=["X2", "p_value", "p_adjusted"]))
    np.testing.assert_allclose(lean.univariate.X2, full.univariate.X2, rtol=1e-7, atol=1e-9)
    assert (lean.univariate.X2 != full.univariate.X2).any()      # the other computation ran
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
            _same_univariate(a["score_tests"]["univariate"], b["score_tests"]["univariate"])
            assert b["score_tests"]["cumulative"] == []


def _same_univariate(a, b):
    """The same constraints and flags, statistics equal to 1e-7 relative."""
    assert [(r["lhs"], r["op"], r["rhs"], r["group"], r["flagged"]) for r in a] == \
        [(r["lhs"], r["op"], r["rhs"], r["group"], r["flagged"]) for r in b]
    np.testing.assert_allclose([r["X2"] for r in b], [r["X2"] for r in a], rtol=1e-7, atol=1e-9)


def test_downdate_refuses_a_singular_bordered_matrix():
    info = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
    s = np.array([0.1, -0.1, 0.2])
    R = np.array([[1.0, -1.0, 0.0], [1.0, -1.0, 0.0]])          # the same constraint twice
    assert univariate_downdate(info, R, s, 100, 1) is None
    R = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    z = np.block([[info, R[1:].T], [R[1:], np.zeros((1, 1))]])
    j1 = np.linalg.pinv(z)[:3, :3]                              # release row 0, keep row 1
    assert np.isclose(univariate_downdate(info, R, s, 100, 1)[0], 100 * s @ j1 @ s, rtol=1e-12)


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
    for a, b in zip(full["steps"], lean["steps"]):
        assert bool(a["score_tests"]) == bool(b["score_tests"])
        if a["score_tests"]:
            _same_univariate(a["score_tests"]["univariate"], b["score_tests"]["univariate"])
