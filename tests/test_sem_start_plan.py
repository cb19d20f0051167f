"""The start values from a plan built once per table structure (:mod:`rsnprop.sem.start_plan`)
against the loops over the table's rows (:func:`rsnprop.sem.model.start_values_loops`): the same
bits, cold and warm (the invariance steps, a partial step, the scalar step's latent means), for
models with a fixed first loading, ``std_lv``, user start values, regressions, a single-indicator
factor, a second-order factor; a previous estimate that is not finite goes to the loops."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rsnprop.sem.engine import GroupData
from rsnprop.sem.model import start_values, start_values_loops
from rsnprop.sem.partable import build_partable
from rsnprop.sem.start_plan import start_plan

MODELS = [
    "f =~ x1 + x2 + x3 + x4\ng =~ x5 + x6 + x7",
    "f =~ 2*x1 + x2 + x3\ng =~ x4 + start(0.7)*x5 + x6\ng ~ f\nx1 ~~ x4",
    "f =~ x1 + x2\ng =~ x3\nh =~ x4 + x5 + x6 + x7\nh ~ f + g",
    "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\nh =~ f + g",
]
STEPS = [((), ()), (("loadings",), ()), (("loadings", "intercepts"), ()),
         (("loadings", "intercepts"), ("f=~x2", "x3~1"))]


def _data(rng, p, ngroups, zero_cov=False):
    out = []
    for _ in range(ngroups):
        a = rng.normal(size=(p, p))
        cov = a @ a.T + p * np.eye(p)
        if zero_cov:
            cov[1:, 1:] = np.diag(np.diag(cov[1:, 1:]))         # every pair of indicators at 0
        out.append(GroupData(n=50, cov=cov, mean=rng.normal(size=p), logdet_cov=float("nan")))
    return out


def _table(model, ngroups, eq, partial, std_lv=False):
    return build_partable(model, ngroups=ngroups, std_lv=std_lv, meanstructure=True, group_equal=list(eq),
                          group_partial=list(partial))


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("std_lv", [False, True])
@pytest.mark.parametrize("ngroups", [1, 2, 3])
def test_plan_is_the_loops(model, std_lv, ngroups):
    rng = np.random.default_rng(len(model) * 7 + ngroups + std_lv)
    tables = [_table(model, ngroups, eq, partial, std_lv) for eq, partial in STEPS]
    p = len(tables[0].ov)
    for zero_cov in (False, True):
        data = _data(rng, p, ngroups, zero_cov)
        prev = None
        for pt in tables:
            for _ in range(2):          # the plan built, then the kept plan
                got = start_values(pt, data, prev)
                want = start_values_loops(pt, data, prev)
                assert got.tobytes() == want.tobytes()
            # a warm start from any earlier table (a partial step from the configural one, ...)
            theta = rng.normal(size=pt.npar) + 1.0
            prev = (pt, theta)
        for pt in tables:
            for earlier in tables:
                theta = rng.normal(size=earlier.npar)
                got = start_values(pt, data, (earlier, theta))
                assert got.tobytes() == start_values_loops(pt, data, (earlier, theta)).tobytes()


def test_scalar_step_sets_latent_means_and_tied_intercepts():
    model = MODELS[0]
    metric, scalar = _table(model, 2, ("loadings",), ()), _table(model, 2, ("loadings", "intercepts"), ())
    rng = np.random.default_rng(3)
    data = _data(rng, 7, 2)
    theta = rng.normal(size=metric.npar) + 1.0
    plan = start_plan(scalar, metric)
    assert plan.means and plan.tied_means
    assert start_values(scalar, data, (metric, theta)).tobytes() == \
        start_values_loops(scalar, data, (metric, theta)).tobytes()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_previous_estimate_not_finite_goes_to_the_loops(bad):
    model = MODELS[0]
    metric, scalar = _table(model, 2, ("loadings",), ()), _table(model, 2, ("loadings", "intercepts"), ())
    rng = np.random.default_rng(5)
    data = _data(rng, 7, 2)
    theta = rng.normal(size=metric.npar)
    theta[3] = bad
    assert start_plan(scalar, metric).values(data, theta) is None
    got, want = start_values(scalar, data, (metric, theta)), start_values_loops(scalar, data, (metric, theta))
    assert got.tobytes() == want.tobytes()
    # std_lv: every loading free; all at 0, the latent means' warm value is 0 / 0
    metric, scalar = (_table(model, 2, ("loadings",), (), True),
                      _table(model, 2, ("loadings", "intercepts"), (), True))
    zero = np.zeros(metric.npar)
    assert start_plan(scalar, metric).means
    assert start_plan(scalar, metric).values(data, zero) is None
    with warnings.catch_warnings(record=True) as w_loops:
        warnings.simplefilter("always")
        want = start_values_loops(scalar, data, (metric, zero))
    with warnings.catch_warnings(record=True) as w_plan:
        warnings.simplefilter("always")
        got = start_values(scalar, data, (metric, zero))
    assert got.tobytes() == want.tobytes()
    assert [str(w.message) for w in w_plan] == [str(w.message) for w in w_loops] != []   # warned once, as before
