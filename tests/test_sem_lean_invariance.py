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
#: how far the lean fits' score statistics may be from the full fits' (they stop at a gradient of
#: 1e-6, rsnprop.sem.fiml.LEAN_TOL; observed at most ~6e-5): a tenth of the close-call margin
#: (rsnprop.sem.invariance_steps.close_call, 2e-3) that sends a check back to the full fits
LEAN_RTOL = 2e-4
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


def _same_univariate(a, b, rtol=1e-7):
    """The same constraints and flags, statistics equal to ``rtol`` relative."""
    assert [(r["lhs"], r["op"], r["rhs"], r["group"], r["flagged"]) for r in a] == \
        [(r["lhs"], r["op"], r["rhs"], r["group"], r["flagged"]) for r in b]
    np.testing.assert_allclose([r["X2"] for r in b], [r["X2"] for r in a], rtol=rtol, atol=1e-7)


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
            _same_univariate(a["score_tests"]["univariate"], b["score_tests"]["univariate"], rtol=LEAN_RTOL)


# -- lean warm-started steps (invariance(..., detail=False), the power replications' check) ------------


def test_fit_estimates_warm_start_reaches_the_same_estimates():
    from rsnprop.sem.api import fit_estimates

    data = pd.read_csv(REF / "sem_fiml_mi.csv")
    kw = dict(group="school", missing="fiml")
    conf = fit_estimates(MODEL, data, **kw)
    warm = fit_estimates(MODEL, data, group_equal=("loadings",), previous=conf, **kw)
    full = fit(MODEL, data, group_equal=("loadings",), se="none", **kw)
    assert warm.converged and "_lazy" in warm.__dict__ and "estimates" not in warm.__dict__
    # the lean fit stops at a gradient of 1e-6 (LEAN_TOL), the full one at 1e-8
    np.testing.assert_allclose(warm.theta, full.theta, rtol=1e-5, atol=1e-5)
    assert not np.array_equal(warm.theta, full.theta)          # another start, another path
    assert warm.fit["df"] == full.fit["df"] and warm.fit["npar"] == full.fit["npar"]
    assert all(np.isnan(warm.fit[k]) for k in ("chi2", "cfi", "rmsea", "srmr"))
    # the table is built on first read, with the columns of the full one
    assert list(warm.estimates.columns) == list(full.estimates.columns)
    np.testing.assert_allclose(warm.estimates.est, full.estimates.est, rtol=1e-5, atol=1e-5)
    assert "estimates" in warm.__dict__ and "estimates" not in warm.__dict__["_lazy"]


def test_lazy_result_pickles_with_its_tables():
    import pickle

    from rsnprop.sem.api import fit_estimates

    res = fit_estimates(MODEL, pd.read_csv(REF / "sem_fiml_mi.csv"), group="school", missing="fiml")
    back = pickle.loads(pickle.dumps(res))
    assert "_lazy" not in back.__dict__
    pd.testing.assert_frame_equal(back.estimates, res.estimates)
    assert back.r2.equals(res.r2)


@pytest.mark.parametrize("csv,missing", [("sem_fiml_mi.csv", "fiml"), ("holzinger_swineford.csv", "auto")])
def test_warm_started_sequence_makes_the_same_decisions(csv, missing):
    data = pd.read_csv(REF / csv)
    kw = dict(levels=("configural", "metric", "scalar"), rule="score", partial_search=True, locate="score",
              se="none", cumulative=False, missing=missing)
    full = invariance(MODEL, data, "school", **kw)
    warm = invariance(MODEL, data, "school", detail=False, **kw)
    assert warm.close_call is False and full.close_call is False
    assert [s["name"] for s in full.steps] == [s["name"] for s in warm.steps]
    assert full.level == warm.level and full.steps[-1]["freed"] == warm.steps[-1]["freed"]
    for a, b in zip(full.steps, warm.steps):
        assert a["held"] == b["held"] and not np.isnan(a["chi2"])
        assert np.isnan(b["chi2"]) == (missing == "fiml")      # complete data: its chi-square is cheap
        if a.get("score_tests"):
            _same_univariate(a["score_tests"]["univariate"], b["score_tests"]["univariate"], rtol=LEAN_RTOL)
    assert warm.latent_means == {} and full.latent_means


def test_detail_false_is_for_continuous_ml():
    from rsnprop.datasets import bfi

    items = ["A1", "A2", "A3", "C1", "C2", "C3"]
    d = bfi()[items + ["gender"]].dropna()
    with pytest.raises(InputError, match="detail"):
        invariance("a =~ A1 + A2 + A3\nc =~ C1 + C2 + C3", d, "gender", ordered=items, detail=False,
                   levels=("configural", "metric"))


def test_detail_false_needs_the_score_rule_and_search():
    data = pd.read_csv(REF / "holzinger_swineford.csv")
    for kw in (dict(rule="lrt"), dict(rule="score", partial_search=True, locate="lrt")):
        with pytest.raises(InputError, match="locate='score'"):
            invariance(MODEL, data, "school", levels=("configural", "metric"), detail=False, **kw)


def test_verdicts_only_with_the_likelihood_ratio_search_uses_the_full_fits():
    plan, (data,) = _simulated("null", [6])
    plan = plan.model_copy(update={"measurement": plan.measurement.model_copy(update={"locate": "lrt"})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with verdicts_only():
            chk = check_measurement(data, plan)
    assert chk["status"] == "ok" and not any(np.isnan(s["chi2"]) for s in chk["steps"])


def test_close_call_flags_decisions_within_rounding():
    from rsnprop.sem.invariance_steps import close_call

    def step(x2, p_adj, flagged, converged=True):
        return {"converged": converged, "score_tests": {"univariate": [
            {"X2": x, "p_adjusted": p, "flagged": f} for x, p, f in zip(x2, p_adj, flagged)]}}

    assert not close_call([step([9.0, 12.0], [0.01, 0.002], [True, True])], 0.05)
    assert close_call([step([9.0, 12.0], [0.01, 0.002], [True, True], converged=False)], 0.05)
    assert close_call([step([9.0, 9.00000001], [0.01, 0.01], [True, True])], 0.05)     # order of the pick
    assert not close_call([step([1.0, 1.00000001], [0.6, 0.6], [False, False])], 0.05)  # not flagged: no pick
    assert close_call([step([4.0], [0.0499999], [True])], 0.05)


def _simulated(scenario, seeds):
    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    plan = load_plan(ROOT / "analysis" / "study.yaml")
    ins = load_instrument(ROOT / "instruments" / "rsn_internationalisation.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan, [clean(simulate_study(ins, scenario, n=300, seed=s), ins, plan.cleaning,
                            diagnostics=False).data for s in seeds]


@pytest.mark.parametrize("scenario", ["p1p2", "dif"])
def test_verdicts_only_warm_check_equals_the_full_one_on_simulated_data(scenario):
    from rsnprop.simulate.scenarios import get_scenario

    plan, sets = _simulated(get_scenario(scenario), [11, 12, 13])
    searched = 0
    for data in sets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = check_measurement(data, plan)
            with verdicts_only():
                lean = check_measurement(data, plan)
        for key in ("status", "level", "held", "freed", "items_set_aside", "scales", "note"):
            assert full[key] == lean[key], key
        searched += bool(full["freed"])
        assert all(np.isnan(s["chi2"]) for s in lean["steps"])          # the lean fits ran
        for a, b in zip(full["steps"], lean["steps"]):
            if a["score_tests"]:
                _same_univariate(a["score_tests"]["univariate"], b["score_tests"]["univariate"], rtol=LEAN_RTOL)
    assert scenario == "p1p2" or searched                              # dif: the partial search ran


def test_a_close_call_falls_back_on_the_full_fits(monkeypatch):
    import rsnprop.sem.group_invariance as gi

    plan, (data,) = _simulated("null", [5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with verdicts_only():
            lean = check_measurement(data, plan)
            monkeypatch.setattr(gi, "close_call", lambda steps, alpha: True)
            fallback = check_measurement(data, plan)
    assert all(np.isnan(s["chi2"]) for s in lean["steps"])
    assert not any(np.isnan(s["chi2"]) for s in fallback["steps"])    # the full fits ran again
    for key in ("status", "level", "held", "freed", "items_set_aside", "scales"):
        assert fallback[key] == lean[key], key


def test_padded_pattern_moments_equal_the_batched_ones():
    from rsnprop.sem.fiml_engine import _Batches, _padded_moments, _Padded, _pattern_moments, patterns

    rng = np.random.default_rng(0)
    for _ in range(20):
        p = 12
        x = rng.normal(size=(120, p))
        x[rng.random(x.shape) < 0.15] = np.nan
        pats = patterns(x)
        a = rng.normal(size=(p, p))
        sigma, mu = a @ a.T / p + np.eye(p), rng.normal(size=p)
        ref = _pattern_moments(sigma, mu, _Batches(pats, p), keep=True)
        pad = _padded_moments(sigma, mu, _Padded(pats, p), keep=True)
        for key in ("f", "GS", "gmu", "SI", "B", "SD", "n"):
            np.testing.assert_allclose(getattr(pad, key), getattr(ref, key), rtol=1e-12, atol=1e-12)
    bad = np.diag([1.0] * (p - 1) + [-1.0])                     # not positive definite
    assert _padded_moments(bad, mu, _Padded(pats, p)) is None


def test_fit_estimates_fits_fixed_covariates_in_full():
    from rsnprop.sem.api import fit_estimates

    data = pd.read_csv(REF / "sem_fiml_mi.csv")
    model = "visual =~ x1 + x2 + x3\nvisual ~ x4"                 # x4: a fixed exogenous covariate
    lean = fit_estimates(model, data, group="school", missing="fiml")
    full = fit(model, data, group="school", missing="fiml", se="none")
    assert np.isfinite(lean.fit["chi2"]) and lean.fit["chi2"] == full.fit["chi2"]
    np.testing.assert_array_equal(lean.theta, full.theta)
