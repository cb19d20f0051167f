"""The lean FIML fits of power replications (:mod:`rsnprop.sem.fiml_lean`: the patterns'
inverses from one inverse of Sigma, the expected information from rank-two derivatives, the last
moments kept for the score tests, the patterns found on packed mask bits) compute the same
numbers as the per-pattern computation of :mod:`rsnprop.sem.fiml_engine` -- to rounding where
the arithmetic differs, exactly where only the bookkeeping changed.  The decisions of the checks
built on them are in tests/test_sem_lean_invariance.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.sem.api import fit_estimates
from rsnprop.sem.fiml_engine import FIMLEngine, _Batches, _pattern_moments, patterns
from rsnprop.sem.fiml_lean import Padded, lean_hessian, lean_moments, padded_moments

REF = Path(__file__).resolve().parent / "reference"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
KEYS = ("f", "GS", "gmu", "SI", "B", "SD", "n")


def _random_problem(rng, p=12, n=150, share=0.2):
    x = rng.normal(size=(n, p))
    x[rng.random(x.shape) < share] = np.nan
    a = rng.normal(size=(p, p))
    return x, a @ a.T / p + np.eye(p), rng.normal(size=p)


def _close(a, b, rtol):
    for key in KEYS:
        if key == "B" and b.B is None:          # the lean moments do not keep B (never read)
            continue
        u, v = np.asarray(getattr(a, key)), np.asarray(getattr(b, key))
        assert np.abs(u - v).max() <= rtol * np.abs(u).max(), key


@pytest.mark.parametrize("share", [0.05, 0.2, 0.45])
def test_one_inverse_equals_one_factorisation_per_pattern(share):
    rng = np.random.default_rng(int(share * 100))
    for _ in range(10):
        x, sigma, mu = _random_problem(rng, share=share)
        pats = patterns(x)
        ref = _pattern_moments(sigma, mu, _Batches(pats, x.shape[1]), keep=True)
        _close(ref, lean_moments(sigma, mu, Padded(pats, x.shape[1])), 1e-12)
        _close(ref, padded_moments(sigma, mu, Padded(pats, x.shape[1]), keep=True), 1e-12)


def test_one_inverse_without_a_complete_pattern():
    rng = np.random.default_rng(3)
    x, sigma, mu = _random_problem(rng, p=6, n=80, share=0.3)
    x[:, 0] = np.where(np.isnan(x).any(axis=1), x[:, 0], np.nan)      # no row complete
    pats = patterns(x)
    assert all(len(pat.obs) < 6 for pat in pats)
    ref = _pattern_moments(sigma, mu, _Batches(pats, 6), keep=True)
    _close(ref, lean_moments(sigma, mu, Padded(pats, 6)), 1e-12)


def test_not_positive_definite_sigma():
    rng = np.random.default_rng(4)
    x, _, mu = _random_problem(rng, p=5, n=60)
    pats = patterns(x)
    bad = np.diag([1.0, 1.0, 1.0, 1.0, -1.0])
    assert lean_moments(bad, mu, Padded(pats, 5)) is None
    # Sigma indefinite, but no pattern observes variables 0 and 1 together: every block is
    # positive definite, so the per-pattern factorisations decide (as before)
    sig = np.eye(3)
    sig[0, 1] = sig[1, 0] = 2.0
    y = rng.normal(size=(40, 3))
    y[:20, 0] = np.nan
    y[20:, 1] = np.nan
    pats = patterns(y)
    ref = _pattern_moments(sig, np.zeros(3), _Batches(pats, 3), keep=True)
    _close(ref, lean_moments(sig, np.zeros(3), Padded(pats, 3)), 1e-12)


def test_groups_stacked_in_one_batch_are_the_groups_alone():
    from rsnprop.sem.fiml_lean import lean_group_moments

    rng = np.random.default_rng(7)
    problems = [_random_problem(rng, share=s) for s in (0.1, 0.3, 0.0)]
    pads = [Padded(patterns(x), x.shape[1]) for x, _, _ in problems]
    stacked = lean_group_moments([s for _, s, _ in problems], [m for _, _, m in problems], Padded.stack(pads))
    for (x, sigma, mu), mo in zip(problems, stacked):
        _close(_pattern_moments(sigma, mu, _Batches(patterns(x), x.shape[1]), keep=True), mo, 1e-12)
    bad = [s for _, s, _ in problems]
    bad[1] = -bad[1]
    assert lean_group_moments(bad, [m for _, _, m in problems], Padded.stack(pads)) is None


def test_last_moments_are_found_again_and_only_for_the_same_point():
    rng = np.random.default_rng(5)
    x, sigma, mu = _random_problem(rng)
    pad = Padded(patterns(x), x.shape[1])
    first = lean_moments(sigma, mu, pad)
    assert lean_moments(sigma.copy(), mu.copy(), pad) is first
    other = lean_moments(sigma, mu + 1e-9, pad)
    assert other is not first and other.f != first.f


def _engines(group_equal, model=MODEL):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_estimates(model, pd.read_csv(REF / "sem_fiml_mi.csv"), group="school", missing="fiml",
                            group_equal=group_equal)
    lean = res._engine
    full = FIMLEngine(lean.groups, lean.pats, lean.q, lean.ns)
    return res, lean, full


@pytest.mark.parametrize("model", [MODEL, MODEL + "\nspeed ~ visual\nx1 ~~ x4"])
@pytest.mark.parametrize("group_equal", [(), ("loadings",), ("loadings", "intercepts")])
def test_rank_two_information_equals_delta_h_delta(group_equal, model):
    res, lean, full = _engines(group_equal, model)
    assert lean.padded and not full.padded
    theta = res.theta + 0.02 * np.random.default_rng(6).normal(size=len(res.theta))
    f1, g1, h1 = full.grad_info(theta)
    f2, g2, h2 = lean.grad_info(theta)
    assert abs(f1 - f2) <= 1e-13 * abs(f1)
    np.testing.assert_allclose(g2, g1, rtol=0, atol=1e-12 * np.abs(g1).max())
    np.testing.assert_allclose(h2, h1, rtol=0, atol=1e-13 * np.abs(h1).max())
    assert not np.array_equal(h1, h2) or not np.array_equal(g1, g2)     # another computation ran
    for g in range(len(lean.groups)):                                  # one group alone, as the stack
        fg, gg, hg = full._group(theta, g, True, True)
        fl, gl, hl = lean._group(theta, g, True, True)
        assert abs(fg - fl) <= 1e-13 * abs(fg)
        np.testing.assert_allclose(hl, hg, rtol=0, atol=1e-13 * np.abs(hg).max())


def test_lean_hessian_of_the_used_parameters():
    res, lean, full = _engines(("loadings",))
    gm = lean.groups[1]
    used = lean._used(1)
    sigma, mu = gm.implied(res.theta)
    mo = lean_moments(sigma, mu, Padded(lean.pats[1], gm.p))
    _, _, hess = full._group(res.theta, 1, True, True)
    np.testing.assert_allclose(lean_hessian(gm, res.theta, used, mo), hess[np.ix_(used, used)], rtol=1e-12,
                               atol=1e-12 * np.abs(hess).max())


def test_score_tests_of_a_lean_fit_reuse_its_last_moments():
    from rsnprop.sem import fiml_lean
    from rsnprop.sem.scoretest import score_tests

    res, lean, _ = _engines(("loadings", "intercepts"))
    calls = []
    orig = fiml_lean._one_inverse

    def counting(*a):
        calls.append(1)
        return orig(*a)

    fiml_lean._one_inverse = counting
    try:
        shared = score_tests(res, cumulative=False)
        n_shared = len(calls)
        for pad in lean._batch_cache.values():
            pad.last = None                                  # forget the fit's last point
        again = score_tests(res, cumulative=False)
    finally:
        fiml_lean._one_inverse = orig
    assert n_shared == 0 and len(calls) == 1                  # every group in one batch
    np.testing.assert_array_equal(shared.univariate.X2, again.univariate.X2)


@pytest.mark.parametrize("p", [1, 5, 8, 9, 15, 64, 65, 130])
def test_patterns_on_packed_bits_are_numpys_unique_rows(p):
    from rsnprop.sem.fiml_engine import _unique_rows

    rng = np.random.default_rng(p)
    for share in (0.0, 0.1, 0.5, 0.95):
        mask = rng.random((200, p)) > share
        keys, inv = np.unique(mask, axis=0, return_inverse=True)
        k2, i2 = _unique_rows(mask)
        assert np.array_equal(keys, k2) and np.array_equal(inv.ravel(), i2)
    x = rng.normal(size=(200, p))
    x[rng.random(x.shape) < 0.3] = np.nan
    for pat in patterns(x):
        assert np.array_equal(pat.mis, np.setdiff1d(np.arange(p), pat.obs))
        assert np.array_equal(pat.x, x[(~np.isnan(x) == np.isin(np.arange(p), pat.obs)).all(axis=1)][:, pat.obs])


@pytest.mark.parametrize("extra", ["", "\nx1 ~~ a*x1\nx2 ~~ a*x2"])
def test_derivatives_by_gather_are_the_sparse_products(extra):
    from scipy import sparse

    res, lean, _ = _engines(("loadings", "intercepts"), MODEL + "\nspeed ~ visual" + extra)
    for gm in lean.groups:
        used = np.flatnonzero(gm.P.any(axis=0))
        _, _, ds, dm = gm.derivatives_used(res.theta, used)
        assert isinstance(gm._sparse_map(used), np.ndarray) == (extra == "")   # a shared label: the product
        _, _, dall, dmall = gm.entry_derivatives(res.theta, True)
        Pu = sparse.csr_matrix(gm.P[:, used].T)
        ref = (Pu @ dall.reshape(dall.shape[0], -1)).reshape(ds.shape)
        for a, b in ((ref, ds), (Pu @ dmall, dm)):
            assert np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b))


def test_kept_inverse_gives_the_same_numbers():
    res, lean, _ = _engines(("loadings",), MODEL + "\nspeed ~ visual")
    assert all(gm.keep_solved for gm in lean.groups)                  # set by the lean evaluations
    theta = res.theta.copy()
    kept = lean.grad_info(theta)
    for gm in lean.groups:
        gm.keep_solved = False
    try:
        for pad in lean._batch_cache.values():
            pad.last = None
        fresh = lean.grad_info(theta)
    finally:
        for gm in lean.groups:
            gm.keep_solved = True
    assert kept[0] == fresh[0] and np.array_equal(kept[1], fresh[1]) and np.array_equal(kept[2], fresh[2])
    theta[0] += 0.01                                                   # another point: not the kept one
    gm = lean.groups[0]
    A, S, m, IA = gm._solved(theta)
    assert np.array_equal(IA, np.linalg.inv(gm.eye - gm.matrices(theta)[0]))


def test_scalar_warm_start_keeps_the_reference_means_and_the_maximum():
    from rsnprop.sem import fit
    from rsnprop.sem.model import build_engine, start_values

    data = pd.read_csv(REF / "sem_fiml_mi.csv")
    kw = dict(group="school", missing="fiml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metric = fit_estimates(MODEL, data, group_equal=("loadings",), **kw)
        scalar = fit_estimates(MODEL, data, group_equal=("loadings", "intercepts"), previous=metric, **kw)
        full = fit(MODEL, data, group_equal=("loadings", "intercepts"), se="none", **kw)
    pt, gd = scalar.partable, scalar._engine.data
    start = start_values(pt, gd, (metric.partable, metric.theta))
    before = build_engine(metric.partable, gd).groups[0].implied(metric.theta)[1]
    after = build_engine(pt, gd).groups[0].implied(start)[1]
    np.testing.assert_allclose(after, before, rtol=1e-12)            # the reference group's means
    means = [r.par for r in pt.rows if r.op == "~1" and r.lhs in pt.lv and r.par >= 0]
    assert means and all(start[k] != 0.0 for k in means)               # the latent means moved
    np.testing.assert_allclose(scalar.theta, full.theta, rtol=0, atol=2e-5)


def test_lean_tables_are_fresh_copies_of_the_same_table():
    from rsnprop.sem.api import _lean_partable
    from rsnprop.sem.partable import build_partable

    kw = dict(ngroups=2, std_lv=False, meanstructure=True, group_equal=["loadings"], group_partial=[],
              data_columns=[f"x{i}" for i in range(1, 10)])
    a = _lean_partable(MODEL, **kw)
    a.rows[0].value = 99.0                                            # a fit writing to its table
    a.ov.append("zz")
    b = _lean_partable(MODEL, **kw)
    ref = build_partable(MODEL, **kw)
    assert [r.__dict__ for r in b.rows] == [r.__dict__ for r in ref.rows]
    assert (b.ov, b.lv, b.npar, b.ngroups) == (ref.ov, ref.lv, ref.npar, ref.ngroups)
    other = _lean_partable(MODEL, **{**kw, "group_equal": ["loadings", "intercepts"]})
    assert other.npar < b.npar


@pytest.mark.parametrize("case", ["one_case_each", "repeated_rows", "complete", "n2"])
def test_lean_moments_skip_the_zero_pattern_covariances(case):
    # the lean moments multiply by S_k only for the patterns whose S_k is not zero (two or more
    # different cases): patterns of one case, of identical rows, a single complete pattern, n = 2
    rng = np.random.default_rng(11)
    x, sigma, mu = _random_problem(rng, p=6, n=40, share=0.3)
    if case == "one_case_each":
        x = x[np.unique(np.isnan(x), axis=0, return_index=True)[1]]
    elif case == "repeated_rows":
        x = np.repeat(x[:5], 3, axis=0)
    elif case == "complete":
        x = rng.normal(size=(30, 6))
    else:
        x = x[:2]
    pats = patterns(x)
    pad = Padded(pats, 6)
    assert all((np.any(pats[k].cov != 0)) == (k in set(pad.multi)) for k in range(len(pats)))
    ref = _pattern_moments(sigma, mu, _Batches(pats, 6), keep=True)
    _close(ref, lean_moments(sigma, mu, pad), 1e-12)
