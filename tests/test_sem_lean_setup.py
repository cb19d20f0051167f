"""The per-fit work of a lean fit outside the optimiser (power replications' measurement checks)
against the full computation it replaces: the columns the checks of the solution read
(:func:`rsnprop.sem.assemble._check_arrays` against ``_estimate_arrays``), the inverse of the
optimiser's information matrix (:func:`rsnprop.sem.lean_fit._inverse`)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.sem.api import fit_estimates

REF = Path(__file__).resolve().parent / "reference"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _lean(model, group_equal, std_lv=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_estimates(model, pd.read_csv(REF / "sem_fiml_mi.csv"), group="school", missing="fiml",
                             group_equal=group_equal, std_lv=std_lv)


@pytest.mark.parametrize("model", [MODEL, MODEL + "\nspeed ~ visual\nx1 ~~ x4", MODEL + "\nx2 ~~ 0.5*x2"])
@pytest.mark.parametrize("group_equal", [(), ("loadings", "intercepts")])
@pytest.mark.parametrize("std_lv", [False, True])
def test_check_arrays_are_those_of_the_estimate_arrays(model, group_equal, std_lv):
    from rsnprop.sem.assemble import _check_arrays, _estimate_arrays
    from rsnprop.sem.estimate import Estimate

    res = _lean(model, group_equal, std_lv)
    rng = np.random.default_rng(len(model))
    for scale in (0.0, 0.3, 3.0):            # also loadings whose standardised value exceeds 1
        theta = res.theta * (1 + scale * rng.normal(size=len(res.theta)))
        est = Estimate(pt=res._pt, engine=res._engine, theta=theta, fmin=0.0, converged=True, iterations=1,
                       gdata=res._engine.data, labels=res.groups, estimator="ML", vcov=None, fit={},
                       warnings=[], n_dropped=0, data=None, attributes={"lean": True})
        lean, full = _check_arrays(est), _estimate_arrays(est)
        for key in ("op", "lhs", "rhs", "est", "group", "free"):
            assert np.array_equal(lean[key], full[key]), key
        load = lean["op"] == "=~"
        assert np.array_equal(lean["std_all"][load], full["std_all"][load], equal_nan=True)
        assert np.isnan(lean["std_all"][~load]).all()


def test_lean_result_warns_as_the_full_one_and_builds_the_same_table(monkeypatch):
    from rsnprop.sem import assemble
    from rsnprop.sem.estimate import Estimate

    res = _lean(MODEL, ("loadings",))
    theta = res.theta.copy()
    resid = next(r for r in res._pt.rows if r.op == "~~" and r.lhs == r.rhs == "x2" and r.group == 2)
    theta[resid.par] = -0.2                          # a negative variance, a standardised loading above 1
    out = {}
    for check in (assemble._check_arrays, assemble._estimate_arrays):
        monkeypatch.setattr(assemble, "_check_arrays", check)
        est = Estimate(pt=res._pt, engine=res._engine, theta=theta, fmin=0.0, converged=True, iterations=1,
                       gdata=res._engine.data, labels=res.groups, estimator="ML",
                       vcov=np.full((len(theta), len(theta)), np.nan), fit={"df": 10}, warnings=[],
                       n_dropped=0, data=None, attributes={"lean": True})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[check] = assemble.assemble_result(est, level=0.95, lazy=True)
    lean, full = out.values()
    assert lean.warnings == full.warnings
    assert sum("Heywood" in w for w in lean.warnings) == 2, lean.warnings
    pd.testing.assert_frame_equal(lean.estimates, full.estimates)


@pytest.mark.parametrize("q", [1, 5, 40])
def test_inverse_of_the_information_by_cholesky(q):
    from rsnprop.sem.lean_fit import _inverse

    rng = np.random.default_rng(q)
    a = rng.normal(size=(q, q))
    spd = a @ a.T + 0.1 * np.eye(q)
    np.testing.assert_allclose(_inverse(spd, 1e-12) @ (spd + 1e-12 * np.eye(q)), np.eye(q), atol=1e-9)
    assert np.array_equal(_inverse(spd, 1e-12), _inverse(spd, 1e-12).T)
    indefinite = spd - 2 * np.abs(np.linalg.eigvalsh(spd)).max() * np.eye(q)   # not positive definite
    np.testing.assert_allclose(_inverse(indefinite, 0.0), np.linalg.inv(indefinite), rtol=1e-10,
                               atol=1e-12 * np.abs(np.linalg.inv(indefinite)).max())
    singular = np.zeros((q, q))
    np.testing.assert_array_equal(_inverse(singular, 0.0), np.linalg.pinv(singular))
