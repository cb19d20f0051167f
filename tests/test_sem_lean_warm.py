"""The projected warm start of a lean fit (:mod:`rsnprop.sem.lean_warm`): the minimum-distance
projection of the previous step's estimates with its BFGS matrix starts the metric and scalar
fits of a power replication's check closer to their optimum; the optimiser stops by the same rule,
so the estimates are the plain warm start's to the stop's precision and the check's decisions the
same.  Compared here with the path without it (no kept matrix: the plain warm start and the
information at the start, as before the module) on data sets with missing values and on simulated
checks; the projection itself against a least-squares solution."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rsnprop.sem.lean_fit as lean_fit_mod
import rsnprop.sem.lean_warm as lw
from rsnprop.propositions import load_plan
from rsnprop.propositions.measurement import check_measurement, verdicts_only
from rsnprop.sem import fit
from rsnprop.sem.api import fit_estimates
from rsnprop.sem.start_plan import start_plan

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
pytestmark = pytest.mark.filterwarnings("ignore:Heywood case")

MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _plain(monkeypatch):
    """No matrix kept, hence the plain warm start (and the information at the start)."""
    monkeypatch.setattr(lw, "kept_matrix", lambda theta: None)


def _before(monkeypatch):
    """The path before this module and the complete data's information: :func:`_plain` with the
    patterns' information in every Fisher step (the iterates of the optimiser before them)."""
    _plain(monkeypatch)
    monkeypatch.setattr(lean_fit_mod, "_information", lambda engine, theta: engine.grad_info(theta)[2])


def _with_missing(seed, share=0.15):
    data = pd.read_csv(REF / "holzinger_swineford.csv")
    rng = np.random.default_rng(seed)
    cols = [f"x{i}" for i in range(1, 10)]
    block = data[cols].to_numpy(copy=True)
    block[rng.random(block.shape) < share] = np.nan
    data[cols] = block
    return data


STEPS = ((), ("loadings",), ("loadings", "intercepts"))


def _sequence():
    """``(data, [configural, metric, scalar] lean fits)`` per data set."""
    kw = dict(group="school", missing="fiml")
    for seed in (1, 2, 3):
        data = _with_missing(seed)
        fits = []
        for eq in STEPS:
            fits.append(fit_estimates(MODEL, data, group_equal=eq, previous=fits[-1] if fits else None, **kw))
        yield data, fits


@pytest.fixture(scope="module")
def runs():
    """``{"new"|"plain"|"old": (sequences, evaluations, information matrices: the patterns' and the
    optimiser's)}``: the sequences of :func:`_sequence` with the projection, without it
    (:func:`_plain`) and by the optimiser before both (:func:`_before`)."""
    from rsnprop.sem.fiml_engine import FIMLEngine

    calls = []
    orig, orig_info = FIMLEngine.grad_info, lean_fit_mod.complete_information

    def counted(self, theta, need_hess=True):
        calls.append(bool(need_hess))
        return orig(self, theta, need_hess)

    def counted_info(engine, theta):
        calls.append(None)
        return orig_info(engine, theta)

    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FIMLEngine, "grad_info", counted)
        mp.setattr(lean_fit_mod, "complete_information", counted_info)
        for name in ("new", "plain", "old"):
            if name == "plain":
                _plain(mp)
            if name == "old":
                _before(mp)
            calls.clear()
            seqs = list(_sequence())
            out[name] = (seqs, sum(c is not None for c in calls), sum(c is not False for c in calls))
    return out


@pytest.mark.parametrize("other", ["plain", "old"])
def test_projected_start_reaches_the_plain_start_s_optimum(runs, other):
    for (data, a), (_, b) in zip(runs["new"][0], runs[other][0]):
        assert all(r.converged for r in a + b)
        # the cold configural fit: the same path without the projection
        assert np.array_equal(a[0].theta, b[0].theta) == (other == "plain")
        for eq, x, y in zip(STEPS, a, b):
            # both stop at a gradient of 1e-6 (rsnprop.sem.fiml.LEAN_TOL, of -2 log L / N): the
            # same optimum to a few 1e-6 (at most 2.4e-6 here)
            np.testing.assert_allclose(x.theta, y.theta, rtol=1e-5, atol=1e-5)
            assert eq == () or not np.array_equal(x.theta, y.theta)    # another path to it
            # each as close to the full fit's (which stops at 1e-8) as the lean fits are
            full = fit(MODEL, data, group="school", missing="fiml", se="none", group_equal=eq).theta
            for t in (x.theta, y.theta):
                np.testing.assert_allclose(t, full, rtol=1e-5, atol=1e-5)


def test_projected_start_takes_fewer_evaluations(runs):
    (_, n_new, h_new), (_, n_plain, h_plain), (_, n_old, h_old) = runs["new"], runs["plain"], runs["old"]
    assert n_new < n_plain and h_new < h_plain      # fewer evaluations, fewer information matrices
    assert n_new < n_old and h_new < h_old


def test_projection_is_the_minimum_distance_solution():
    data = _with_missing(4)
    kw = dict(group="school", missing="fiml")
    conf = fit_estimates(MODEL, data, **kw)
    for eq, prev in ((("loadings",), conf),
                     (("loadings", "intercepts"), fit_estimates(MODEL, data, group_equal=("loadings",), **kw))):
        new = fit_estimates(MODEL, data, group_equal=eq, previous=prev, **kw)
        plan = start_plan(new.partable, prev.partable)
        q = len(prev.theta)
        rng = np.random.default_rng(len(eq))
        A = rng.normal(size=(q, q))
        B = A @ A.T + q * np.eye(q)                          # any positive definite curvature
        theta, H0 = lw.projection(plan, prev.theta, np.linalg.inv(B))
        P = lw._design(plan, prev.theta)
        C = np.linalg.cholesky(B).T                          # B = C'C: least squares in C (P x - theta)
        ref = np.linalg.lstsq(C @ P, C @ prev.theta, rcond=None)[0]
        np.testing.assert_allclose(theta, ref, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(H0, np.linalg.inv(P.T @ B @ P), rtol=1e-9, atol=1e-12)
        if "intercepts" in eq:                               # a latent mean: the loadings in its column
            assert len(plan.means) == 3 and np.count_nonzero(P[:, plan.means[0][0]]) == 3


def test_a_step_that_frees_a_constraint_is_not_projected():
    data = _with_missing(5)
    kw = dict(group="school", missing="fiml")
    met = fit_estimates(MODEL, data, group_equal=("loadings",), **kw)
    part = fit_estimates(MODEL, data, group_equal=("loadings",), group_partial=("visual=~x2",), **kw)
    assert lean_fit_mod.kept_matrix(met.theta) is not None
    plan = start_plan(part.partable, met.partable)
    assert lw._design(plan, met.theta) is None                # x2's loading in two places
    theta0, H0, plain = lw.lean_start(part.partable, part._engine.data, (met.partable, met.theta))
    assert H0 is None and plain is None
    np.testing.assert_array_equal(theta0, plan.values(part._engine.data, met.theta))


def test_a_projected_start_that_fails_falls_back_on_the_plain_one(monkeypatch):
    data = _with_missing(6)
    kw = dict(group="school", missing="fiml")
    conf = fit_estimates(MODEL, data, **kw)
    _plain(monkeypatch)
    plain = fit_estimates(MODEL, data, group_equal=("loadings",), previous=conf, **kw)
    monkeypatch.undo()
    monkeypatch.setattr(lw, "projection", lambda plan, prev, H: (np.full(plan.npar, 1e6), np.eye(plan.npar)))
    bad = fit_estimates(MODEL, data, group_equal=("loadings",), previous=conf, **kw)
    assert bad.converged
    np.testing.assert_array_equal(bad.theta, plain.theta)


def test_kept_matrices_are_the_last_few():
    for k in range(lean_fit_mod._KEPT_MAX + 2):
        lean_fit_mod._remember(np.full(3, float(k)), np.eye(3) * k)
    assert len(lean_fit_mod._KEPT) == lean_fit_mod._KEPT_MAX
    assert lean_fit_mod.kept_matrix(np.zeros(3)) is None                      # the oldest gone
    last = float(lean_fit_mod._KEPT_MAX + 1)
    np.testing.assert_array_equal(lean_fit_mod.kept_matrix(np.full(3, last)), np.eye(3) * last)
    assert lean_fit_mod.kept_matrix(np.full(4, last)) is None                # another size


def _simulated(scenario, seeds):
    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study
    from rsnprop.simulate.scenarios import get_scenario

    plan = load_plan(ROOT / "analysis" / "study.yaml")
    ins = load_instrument(ROOT / "instruments" / "rsn_internationalisation.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan, [clean(simulate_study(ins, get_scenario(scenario), n=300, seed=s), ins, plan.cleaning,
                            diagnostics=False).data for s in seeds]


def _decisions(res):
    steps = [{k: s[k] for k in ("name", "held", "freed")} for s in res["steps"]]
    flags = [[u["flagged"] for u in (s["score_tests"] or {}).get("univariate", [])] for s in res["steps"]]
    return {k: res[k] for k in ("status", "level", "held", "freed", "items_set_aside", "scales", "n",
                                "warnings")}, steps, flags


@pytest.mark.parametrize("scenario,seeds", [("p1p2", [21, 22]), ("dif", [23, 24, 25])])
def test_the_check_decides_as_before(monkeypatch, scenario, seeds):
    plan, sets = _simulated(scenario, seeds)

    def run():
        with warnings.catch_warnings(), verdicts_only():
            warnings.simplefilter("ignore")
            return [check_measurement(d, plan) for d in sets]

    new = run()
    _before(monkeypatch)
    old = run()
    for a, b in zip(new, old):
        assert _decisions(a) == _decisions(b)
        assert all(np.isnan(s["chi2"]) for s in a["steps"])                  # the lean fits decided
        for sa, sb in zip(a["steps"], b["steps"]):
            for x, y in zip((sa["score_tests"] or {}).get("univariate", []),
                            (sb["score_tests"] or {}).get("univariate", [])):
                assert x["X2"] == pytest.approx(y["X2"], rel=2e-4, abs=1e-6)
    if scenario == "dif":
        assert any(a["freed"] for a in new)                                   # the partial search ran


# -- the optimiser's information: complete data (rsnprop.sem.fiml_lean.complete_information) -------


def test_complete_information_is_the_complete_data_engine_s():
    from types import SimpleNamespace

    from rsnprop.sem.engine import Engine
    from rsnprop.sem.fiml_lean import complete_information

    full = pd.read_csv(REF / "holzinger_swineford.csv")
    for eq in STEPS:
        res = fit_estimates(MODEL, full, group="school", missing="fiml", group_equal=eq)
        eng = res._engine
        assert type(eng) is Engine                        # no missing value: the complete-data ML engine
        ns = [d.n for d in eng.data]
        as_lean = SimpleNamespace(groups=eng.groups, ns=ns, ntotal=sum(ns), q=eng.q)
        np.testing.assert_allclose(complete_information(as_lean, res.theta), eng.grad_info(res.theta)[2],
                                   rtol=1e-10, atol=1e-12)


def test_complete_information_of_incomplete_data_is_one_pattern_per_group():
    from scipy.linalg import lapack

    from rsnprop.sem.fiml_lean import Moments, complete_information, lean_hessian

    res = fit_estimates(MODEL, _with_missing(7), group="school", missing="fiml", group_equal=("loadings",))
    eng, theta = res._engine, res.theta
    ref = np.zeros((eng.q, eng.q))
    for g, gm in enumerate(eng.groups):
        mo = Moments()
        mo.SI, mo.n = np.linalg.inv(gm.implied(theta)[0])[None], np.array([float(eng.ns[g])])
        used = eng._used(g)
        ref[np.ix_(used, used)] += lean_hessian(gm, theta, used, mo)
    info = complete_information(eng, theta)
    np.testing.assert_allclose(info, ref / eng.ntotal, rtol=1e-10, atol=1e-13)
    fiml = eng.grad_info(theta)[2]
    assert np.all(np.diag(info) >= np.diag(fiml) - 1e-12)         # complete data inform more
    assert not np.allclose(info, fiml)
    assert lapack.dpotrf(info)[1] == 0                              # positive definite


def test_complete_information_of_a_sigma_not_positive_definite_is_none():
    from rsnprop.sem.fiml_lean import complete_information
    from rsnprop.sem.lean_fit import _information

    res = fit_estimates(MODEL, _with_missing(8), group="school", missing="fiml")
    eng = res._engine
    bad = res.theta.copy()
    bad[res.partable.npar - 1] = -50.0          # a variance far below zero
    if np.linalg.eigvalsh(eng.groups[1].implied(bad)[0]).min() > 0:
        bad[:] = -50.0
    assert any(np.linalg.eigvalsh(gm.implied(bad)[0]).min() <= 0 for gm in eng.groups)
    assert complete_information(eng, bad) is None
    fallback = _information(eng, bad)                               # the engine's own then
    assert fallback is None or fallback.shape == (eng.q, eng.q)


def test_warm_columns_kept_with_the_plan_give_the_design_of_a_fresh_plan():
    import copy

    data = _with_missing(6)
    kw = dict(group="school", missing="fiml")
    conf = fit_estimates(MODEL, data, **kw)
    met = fit_estimates(MODEL, data, group_equal=("loadings",), previous=conf, **kw)
    scal = fit_estimates(MODEL, data, group_equal=("loadings", "intercepts"), previous=met, **kw)
    for new, prev in ((met, conf), (scal, met)):
        plan = start_plan(new.partable, prev.partable)
        first = lw._design(plan, prev.theta)
        assert plan.warm_columns                                  # kept on the plan
        fresh = copy.copy(plan)
        fresh.__dict__.pop("warm_columns")                        # worked out again
        for theta in (prev.theta, prev.theta * 1.5):              # the latent means' columns per call
            np.testing.assert_array_equal(lw._design(plan, theta), lw._design(fresh, theta))
        np.testing.assert_array_equal(first, lw._design(fresh, prev.theta))
        first[:] = 7.0                                            # a caller's write stays its own
        np.testing.assert_array_equal(lw._design(plan, prev.theta), lw._design(fresh, prev.theta))
