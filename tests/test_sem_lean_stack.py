"""The stacked RAM algebra of a lean fit's groups (:mod:`rsnprop.sem.lean_stack`) against the
per-group methods of :class:`rsnprop.sem.engine._GroupModel` on random parameters: the same
implied moments and the same gradient to rounding, the kept matrices those of ``_solved``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.sem.api import fit_estimates
from rsnprop.sem.lean_stack import StackedGroups

REF = Path(__file__).resolve().parent / "reference"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _groups(model, group_equal):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_estimates(model, pd.read_csv(REF / "sem_fiml_mi.csv"), group="school", missing="fiml",
                            group_equal=group_equal)
    return res._engine.groups, res._engine.q, res.theta


@pytest.mark.parametrize("model", [MODEL, MODEL + "\nspeed ~ visual\nx1 ~~ x4", MODEL + "\ntextual ~ visual\nspeed ~ textual"])
@pytest.mark.parametrize("group_equal", [(), ("loadings",), ("loadings", "intercepts")])
def test_stacked_algebra_is_the_per_group_algebra(model, group_equal):
    groups, q, theta0 = _groups(model, group_equal)
    rng = np.random.default_rng(len(model) + len(group_equal))
    stacked = StackedGroups(groups, q)
    assert StackedGroups.fits(groups)
    for scale in (1e-3, 0.1, 1.0):
        theta = theta0 + scale * rng.normal(size=q)
        sig, mu, state = stacked.implied(theta)
        GS = rng.normal(size=sig.shape)
        GS = GS + GS.transpose(0, 2, 1)
        gmu = rng.normal(size=mu.shape)
        grad = stacked.gradient(state, GS, gmu)
        ref = np.zeros(q)
        for g, gm in enumerate(groups):
            kept = gm.__dict__["_last_solved"][1]
            gm.__dict__.pop("_last_solved")
            s_ref, m_ref = gm.implied(theta, full=True)[:2]
            np.testing.assert_allclose(sig[g], s_ref, rtol=1e-13, atol=1e-14 * np.abs(s_ref).max())
            np.testing.assert_allclose(mu[g], m_ref, rtol=1e-13, atol=1e-14 * np.abs(m_ref).max())
            A, S, m = gm.matrices(theta)
            IA = np.linalg.inv(gm.eye - A)
            for a, b in zip(kept, (A, S, m, IA)):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
            keep, gm.keep_solved = gm.keep_solved, False
            ref += gm.moment_gradient(theta, GS[g], gmu[g])
            gm.keep_solved = keep
        np.testing.assert_allclose(grad, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_one_group_or_different_sizes_do_not_stack():
    groups, _, _ = _groups(MODEL, ())
    assert not StackedGroups.fits(groups[:1])
    other = type(groups[1]).__new__(type(groups[1]))
    other.__dict__.update(groups[1].__dict__)
    other.nvar = groups[1].nvar + 1
    assert not StackedGroups.fits([groups[0], other])


def test_kept_structure_is_bound_to_each_fits_own_group_models():
    from rsnprop.sem.lean_stack import TEMPLATE

    groups, q, theta = _groups(MODEL, ("loadings",))
    first = _groups(MODEL, ("loadings",))[0]
    template = groups[0].__dict__[TEMPLATE]
    assert first[0].__dict__[TEMPLATE] is template               # kept once per process
    assert all(a is not b for a, b in zip(groups, first))        # each fit its own copies
    from rsnprop.sem.lean_stack import stacked_groups

    bound = stacked_groups(groups, q)
    assert bound.groups is groups and bound.a_flat is template.a_flat
    fresh = StackedGroups(groups, q)
    for a, b in zip(bound.implied(theta)[:2], fresh.implied(theta)[:2]):
        assert np.array_equal(a, b)
    assert groups[0].__dict__["_last_solved"][0] == theta.tobytes()
    assert "_last_solved" not in template.groups[0].__dict__     # nothing written to the kept models
    assert stacked_groups(groups, q + 1) is not False and stacked_groups(groups, q + 1).q == q + 1
