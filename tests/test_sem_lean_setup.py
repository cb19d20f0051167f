"""The setup of the lean fits of power replications (seventh round): what is computed once, or
not at all, gives the numbers the full computation gives -- exactly (the same operations)."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.sem.api import fit_estimates
from rsnprop.sem.model import _warm, _warm_latent_means, start_values

REF = Path(__file__).resolve().parent / "reference"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _fits(steps, model=MODEL):
    data = pd.read_csv(REF / "sem_fiml_mi.csv")
    out, prev = [], None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for eq, partial in steps:
            prev = fit_estimates(model, data, group="school", missing="fiml", group_equal=eq, group_partial=partial,
                                 previous=prev)
            out.append(prev)
    return out


def _reference_start(pt, gdata, previous):
    """The start values as computed before the skip: the cold values of every group, the warm
    ones where the previous fit has them."""
    warm = np.full(pt.npar, np.nan)
    _warm(warm, pt, *previous)
    _warm_latent_means(warm, pt, *previous)
    return np.where(np.isnan(warm), start_values(pt, gdata), warm)


@pytest.mark.parametrize("steps", [
    [((), []), (("loadings",), [])],
    [((), []), (("loadings",), []), (("loadings", "intercepts"), [])],
    [((), []), (("loadings",), []), (("loadings", "intercepts"), ["x3~1"])],
])
def test_warm_start_values_skip_only_groups_without_a_cold_parameter(steps):
    fits = _fits(steps)
    prev, cur = fits[-2], fits[-1]
    previous = (prev.partable, prev.theta)
    got = start_values(cur.partable, cur._engine.data, previous)
    np.testing.assert_array_equal(got, _reference_start(cur.partable, cur._engine.data, previous))


def test_a_group_with_a_cold_parameter_gets_its_cold_values():
    fits = _fits([((), []), (("loadings",), [])])
    base, metric = fits
    # the previous fit without one group-2 row: that parameter starts cold, the group is not skipped
    prev_pt = base.partable
    keep = [r for r in prev_pt.rows if not (r.group == 2 and r.op == "~~" and r.lhs == r.rhs == "x5")]
    pt2 = copy.copy(prev_pt)
    pt2.rows = keep
    got = start_values(metric.partable, metric._engine.data, (pt2, base.theta))
    ref = _reference_start(metric.partable, metric._engine.data, (pt2, base.theta))
    np.testing.assert_array_equal(got, ref)
    k = next(r.par for r in metric.partable.rows if r.group == 2 and r.op == "~~" and r.lhs == r.rhs == "x5")
    assert got[k] != 0.0 and got[k] == start_values(metric.partable, metric._engine.data)[k]


def test_pairwise_moments_are_computed_once_per_data_set():
    from rsnprop.sem import fiml

    fits = _fits([((), []), (("loadings",), [])])
    a, b = (f._engine.data for f in fits)
    assert all(x is y for x, y in zip(a, b))               # the same moments, not computed again
    from rsnprop.sem.data import prepare_data

    data = pd.read_csv(REF / "sem_fiml_mi.csv")
    arrays = prepare_data(data, fits[0].partable.ov, group="school", missing="fiml")[0]
    for g, x in enumerate(arrays):
        fresh = fiml._pairwise_moments(x)
        np.testing.assert_array_equal(a[g].cov, fresh.cov)
        np.testing.assert_array_equal(a[g].mean, fresh.mean)


@pytest.mark.parametrize("model, one_step", [
    (MODEL, True),
    (MODEL + "\nspeed ~ visual", False),                 # a path into a factor that has paths
    (MODEL + "\nx9 ~ x1", False),                        # a path from an item that has a path into it
    ("visual =~ 1*x1 + x2 + x3\ntextual =~ x4 + x5 + x6", True),
    ("visual =~ x2 + x3 + x4\nx9 ~ x1 + x5", True),     # a path below the diagonal of A
])
def test_kept_inverse_of_a_measurement_model_is_identity_plus_paths(model, one_step):
    from rsnprop.sem.partable import build_partable
    from rsnprop.sem.model import build_engine
    from rsnprop.sem.engine import GroupData

    pt = build_partable(model, ngroups=1, meanstructure=True, data_columns=[f"x{i}" for i in range(1, 10)])
    p = len(pt.ov)
    gm = build_engine(pt, [GroupData(n=10, cov=np.eye(p), mean=np.zeros(p))]).groups[0]
    gm.keep_solved = True
    assert gm._paths_one_step() is one_step
    rng = np.random.default_rng(1)
    for _ in range(200):
        theta = rng.normal(size=pt.npar) * rng.choice([1e-3, 1.0, 1e3], size=pt.npar)
        A, _, _, IA = gm._solved(theta)
        np.testing.assert_array_equal(IA, np.linalg.inv(gm.eye - A))   # bit for bit, as before


class _Toy:
    """An objective with a Fisher-like matrix (Gauss-Newton of a nonlinear least-squares problem):
    ``Engine.fit``'s protocol (``q``, ``grad_info``)."""

    def __init__(self, rng, q=6, singular=False):
        self.q = q
        self.a = rng.normal(size=(3 * q, q))
        if singular:
            self.a[:, -1] = self.a[:, 0]                      # the Gauss-Newton matrix singular
        self.b = rng.normal(size=3 * q)

    def grad_info(self, theta, need_hess=True):
        r = self.a @ theta + 0.1 * np.sin(self.a @ theta) - self.b
        J = self.a * (1 + 0.1 * np.cos(self.a @ theta))[:, None]
        return float(r @ r), 2 * J.T @ r, (2 * J.T @ J if need_hess else None)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fisher_steps", [1, 2, 4])
def test_lean_fit_takes_the_steps_of_engine_fit(seed, fisher_steps):
    from rsnprop.sem.engine import Engine
    from rsnprop.sem.lean_fit import lean_fit

    toy = _Toy(np.random.default_rng(seed), singular=seed == 5)
    theta0 = np.zeros(toy.q)
    ref = Engine.fit(toy, theta0, tol=1e-8, fisher_steps=fisher_steps)
    got = lean_fit(toy, theta0, tol=1e-8, fisher_steps=fisher_steps)
    assert got[2] == ref[2]                                          # converged
    assert abs(got[1] - ref[1]) <= 1e-10 * max(1.0, abs(ref[1]))
    if seed == 5:       # singular: the ridge of 1e-12 decides the step along the null direction
        return
    assert got[3] == ref[3]                                          # the same iterations
    np.testing.assert_allclose(got[0], ref[0], rtol=0, atol=1e-7 * max(1.0, np.abs(ref[0]).max()))


@pytest.mark.parametrize("group_equal", [(), ("loadings",), ("loadings", "intercepts")])
def test_lean_fit_of_a_fiml_model_is_engine_fit_to_rounding(group_equal, monkeypatch):
    import rsnprop.sem.lean_fit as lf

    res = _fits([(group_equal, [])])[0]
    eng = res._engine
    theta0 = res.theta + 0.05 * np.random.default_rng(2).normal(size=len(res.theta))
    ref = eng.fit(theta0, tol=1e-6, fisher_steps=1)
    # its Fisher matrices are the complete data's (rsnprop.sem.fiml_lean.complete_information): the
    # same optimum to the stop's precision, by other iterates
    own = lf.lean_fit(eng, theta0, tol=1e-6, fisher_steps=1)
    assert own[2]
    np.testing.assert_allclose(own[0], ref[0], rtol=0, atol=1e-5)
    # with the patterns' information, the iterates of Engine.fit
    monkeypatch.setattr(lf, "_information", lambda engine, theta: engine.grad_info(theta)[2])
    got = lf.lean_fit(eng, theta0, tol=1e-6, fisher_steps=1)
    assert got[2] and ref[2] and got[3] == ref[3]
    np.testing.assert_allclose(got[0], ref[0], rtol=0, atol=1e-6)


_GM_FIELDS = ("A0", "S0", "m0", "ai", "aj", "ap", "si", "sj", "sp", "mi", "mp", "P", "p", "nvar", "q")


def _same_groups(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x is not y
        for name in _GM_FIELDS:
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))


def test_kept_group_models_are_fresh_copies_of_build_engines():
    from rsnprop.sem import lean_cache
    from rsnprop.sem.model import build_engine

    res = _fits([(("loadings",), [])])[0]
    pt, data = res.partable, res._engine.data
    first = lean_cache.lean_groups(pt, data)
    _same_groups(first, build_engine(pt, data).groups)
    first[0].keep_solved = True
    first[0]._solved(res.theta)                                # an evaluation kept by the first user
    again = lean_cache.lean_groups(pt, data)
    _same_groups(again, first)
    assert "_last_solved" not in again[0].__dict__ and not again[0].keep_solved
    other = _fits([(("loadings", "intercepts"), [])])[0]
    _same_groups(lean_cache.lean_groups(other.partable, data), build_engine(other.partable, data).groups)


def test_kept_unconstrained_tables_give_the_same_score_tests():
    from rsnprop.sem import lean_cache
    from rsnprop.sem.model import build_engine
    from rsnprop.sem.scoretest import score_tests, unconstrained

    fits = _fits([((), []), (("loadings",), []), (("loadings", "intercepts"), [])])
    for res in fits[1:]:
        pt = res.partable
        aug, expand, pairs = unconstrained(pt)
        npar, exp2, pairs2, groups = lean_cache.lean_unconstrained(pt, res._engine.data, unconstrained)
        assert npar == aug.npar and np.array_equal(expand, exp2)
        assert [(a, b, ka, kb) for a, b, ka, kb in pairs] == pairs2   # the rows of pt itself
        _same_groups(groups, build_engine(aug, res._engine.data).groups)
        lean_cache._UNCONSTRAINED.clear()
        cold = score_tests(res, cumulative=False)
        warm = score_tests(res, cumulative=False)                     # from the kept structure
        assert [r["X2"] for r in cold.records] == [r["X2"] for r in warm.records]
        assert [r["lhs"] for r in cold.records] == [r["lhs"] for r in warm.records]


def test_tables_with_fixed_covariates_are_not_kept():
    from rsnprop.sem import lean_cache
    from rsnprop.sem.partable import build_partable

    pt = build_partable("visual =~ x1 + x2 + x3\nvisual ~ x4", ngroups=1, meanstructure=True,
                        data_columns=[f"x{i}" for i in range(1, 10)])
    assert pt.ov_x and lean_cache._key(pt) is None
