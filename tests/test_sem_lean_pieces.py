"""The per-fit work of a lean fit outside the optimiser (power replications' measurement checks)
against the full computation it replaces: the columns the checks of the solution read
(:func:`rsnprop.sem.assemble._check_arrays` against ``_estimate_arrays``), the inverse of the
optimiser's information matrix (:func:`rsnprop.sem.lean_fit._inverse`), the embedded patterns
built from the data (:func:`rsnprop.sem.lean_patterns.padded_from_data` against ``Padded`` of
``patterns``; the Pattern objects of a later full fit unchanged) and the acceptance of the score
tests' bordered inverse (:func:`rsnprop.sem.scoretest.univariate_downdate` against
``np.allclose``)."""

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


def _hostile(rng, case):
    x = rng.normal(size=(60, 7))
    x[rng.random(x.shape) < 0.25] = np.nan
    if case == "empty_rows":
        x[:5] = np.nan                                      # rows without a value: no pattern
    elif case == "repeated":
        x = np.repeat(x[:6], 4, axis=0)                      # identical rows (S_k = 0 to rounding)
    elif case == "complete":
        x = rng.normal(size=(30, 7))
    elif case == "n2":
        x = x[:2]
    elif case == "one_column":
        x = x[:, :1]
    elif case == "nothing":
        x = np.full((4, 7), np.nan)
    elif case == "no_rows":
        x = x[:0]
    return x


@pytest.mark.parametrize("case", ["plain", "empty_rows", "repeated", "complete", "n2", "one_column", "nothing",
                                  "no_rows"])
def test_padded_from_data_is_the_padded_patterns(case):
    from rsnprop.sem.fiml_engine import patterns
    from rsnprop.sem.fiml_lean import Padded
    from rsnprop.sem.lean_patterns import padded_from_data

    x = _hostile(np.random.default_rng(len(case)), case)
    if case in ("nothing", "no_rows"):                       # no pattern: neither builds a batch
        with pytest.raises(ValueError):
            Padded(patterns(x), x.shape[1])
        with pytest.raises(ValueError):
            padded_from_data(x)
        return
    ref, new = Padded(patterns(x), x.shape[1]), padded_from_data(x)
    assert new.K == ref.K == len(patterns(x))
    ref.positions(), new.positions()
    for name in ("ns", "obs", "mpos", "midx", "outer", "eye", "meyes", "bounds", "gidx", "fpos", "fm", "fmm"):
        a, b = getattr(ref, name), getattr(new, name)
        assert a.shape == b.shape and np.array_equal(a, b), name
    for name in ("mean", "cov", "Ng"):
        a, b = getattr(ref, name), getattr(new, name)
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-14 * max(1.0, np.abs(a).max(initial=0)))
    assert set(new.multi) <= set(ref.multi) and len(ref.multi) - len(new.multi) <= (case == "repeated") * ref.K


def test_lean_fits_of_a_data_set_then_a_full_fit_find_the_patterns():
    from rsnprop.sem import fiml
    from rsnprop.sem.fiml_engine import patterns
    from rsnprop.sem.partable import build_partable

    rng = np.random.default_rng(8)
    arrays = [rng.normal(size=(n, 9)) + rng.normal(size=(n, 1)) for n in (80, 70)]
    for x in arrays:
        x[rng.random(x.shape) < 0.15] = np.nan
    pt = build_partable(MODEL, ngroups=2, meanstructure=True, group_equal=["loadings"],
                        data_columns=[f"x{i}" for i in range(1, 10)])
    fiml._DATA_MODELS.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = fiml.estimate_fiml(pt, arrays, ["a", "b"], estimator="ML", n_dropped=0, se="none", lean=True)
    hit = next(iter(fiml._DATA_MODELS.values()))
    assert hit[0].found is None and len(hit[2]) == 3          # two groups' batches and their stack
    assert est.fit["n_patterns"] == sum(len(patterns(x)) for x in arrays)
    pats, _ = fiml._data_models(9, arrays, comparison=False)   # a full fit of the same data afterwards
    for got, x in zip(pats, arrays):
        ref = patterns(x)
        assert [(p.obs.tolist(), p.n) for p in got] == [(p.obs.tolist(), p.n) for p in ref]
        assert all(np.array_equal(a.cov, b.cov) and np.array_equal(a.mean, b.mean) for a, b in zip(got, ref))


@pytest.mark.parametrize("case", ["plain", "near_singular", "singular", "nan"])
def test_downdate_accepts_the_inverse_as_allclose_did(case):
    from rsnprop.sem import scoretest

    rng = np.random.default_rng(len(case))
    q, K = 12, 4
    a = rng.normal(size=(q, q))
    info = a @ a.T + np.eye(q)
    if case == "near_singular":
        info[:, 0] = info[:, 1] * (1 + 1e-13)
        info[0, :] = info[:, 0]
    elif case == "singular":
        info[:, 0] = info[0, :] = 0.0
    elif case == "nan":
        info[2, 3] = info[3, 2] = np.nan
    R = np.zeros((K, q))
    for i in range(K):
        R[i, i], R[i, i + K] = 1.0, -1.0
    score = rng.normal(size=q)
    got = scoretest.univariate_downdate(info, R, score, 100, K)
    Z = np.zeros((q + K, q + K))
    Z[:q, :q], Z[q:, :q], Z[:q, q:] = info, R, R.T
    try:
        ok = np.allclose(Z @ np.linalg.inv(Z), np.eye(q + K), rtol=0.0, atol=1e-8)
    except np.linalg.LinAlgError:
        ok = False
    assert (got is not None) == ok or (ok and got is None)      # the diagonal check may still refuse
    if case == "plain":
        assert got is not None


@pytest.mark.parametrize("group_equal", [(), ("loadings", "intercepts")])
def test_row_structure_kept_with_the_table_is_that_of_its_rows(group_equal):
    import copy

    from rsnprop.sem.assemble import _row_structure

    r0, r1 = _lean(MODEL, group_equal), _lean(MODEL, group_equal)
    kept = r1._pt.check_structure[0]
    assert kept and kept is r0._pt.check_structure[0]            # built once
    fresh = copy.copy(r1._pt)
    fresh.rows = list(fresh.rows)                                 # other rows: computed from them again
    for a, b in zip(_row_structure(r1._pt), _row_structure(fresh)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    fresh.rows = [r for r in fresh.rows if r.op != "=~" or r.rhs != "x2"]     # rows left out
    assert len(_row_structure(fresh)[4]) == len(kept[0][4]) - 2
    assert len(kept) == 1                                         # not kept for those rows
    other = _lean(MODEL + "\nx1 ~~ x4", group_equal)              # another table: its own structure
    assert other._pt.check_structure[0] is not kept
