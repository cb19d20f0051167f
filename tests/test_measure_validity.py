"""Validity (CR, compRelSEM omega, AVE, Fornell-Larcker, HTMT) and common-method checks
against lavaan/semTools/psych (tests/reference/measure_validity.R -> measure_validity.json).
Tolerance: |diff| < 5e-4 (3 decimals)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.measure import common_latent_factor, harman, htmt, marker_variable, validity

REF = Path(__file__).parent / "reference"
TOL = 5e-4
A = [f"A{i}" for i in range(1, 6)]
C = [f"C{i}" for i in range(1, 6)]
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
AC_MODEL = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "measure_validity.json").read_text())


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(REF / "measure_hs.csv")


@pytest.fixture(scope="module")
def ac():
    d = pd.read_csv(REF / "bfi.csv")[A + C + ["age"]].copy()
    for c in ("A1", "C4", "C5"):
        d[c] = 7 - d[c]
    return d.dropna()


def close(a, b, tol=TOL):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float).reshape(a.shape)
    assert np.nanmax(np.abs(a - b)) < tol, np.nanmax(np.abs(a - b))


@pytest.fixture(scope="module")
def results(hs, ac):
    return {"hs": validity(hs, HS_MODEL, n_boot=200, seed=3),
            "ac": validity(ac, AC_MODEL, n_boot=200, seed=3)}


@pytest.mark.parametrize("key", ["hs", "ac"])
def test_validity_matches_semtools(key, results, ref):
    v, e = results[key], ref[key]
    assert v.n == e["n"] and v.converged
    assert v.factors == e["factors"]
    for ours, theirs in [("omega", "omega"), ("omega_model", "omega_model"), ("ave", "ave"),
                         ("cr", "cr_std"), ("ave_std", "ave_std")]:
        close([v.constructs[f][ours] for f in v.factors], [e[theirs][f] for f in v.factors])
    std = [v.constructs[f]["std_loadings"][i] for f in v.factors
           for i in v.constructs[f]["items"]]
    close(std, e["std_loadings"])
    close(v.latent_correlations, e["lv_cor"])
    close([[v.htmt[a][b] for b in v.factors] for a in v.factors], e["htmt"])
    close([[v.htmt2[a][b] for b in v.factors] for a in v.factors], e["htmt2"])
    close(v.fit["chi2"], e["fit"]["chisq"])


def test_fornell_larcker_and_verdicts(results):
    v = results["hs"]
    for p in v.fornell_larcker:
        assert p["passed"] == (p["sqrt_ave_a"] > abs(p["r"]) and p["sqrt_ave_b"] > abs(p["r"]))
    for f in v.factors:
        c = v.constructs[f]
        assert c["fornell_larcker_passed"] == (c["sqrt_ave"] > c["max_latent_r"])
    for p in v.htmt_pairs:
        assert p["ci_lower"] < p["htmt"] < p["ci_upper"]
        assert p["verdict"].startswith("established")
    d = v.to_dict()
    json.dumps(d)
    assert d["thresholds"]["htmt_strict"] == 0.85 and d["thresholds"]["htmt_liberal"] == 0.90


def test_htmt_verdict_thresholds():
    from rsnprop.measure.heterotrait_monotrait import verdict

    assert verdict(0.80).startswith("established (")
    assert "liberal" in verdict(0.87)
    assert verdict(0.95).startswith("not established")


def test_htmt_bootstrap_deterministic(hs):
    a = htmt(hs, HS_MODEL, n_boot=100, seed=11)
    b = htmt(hs, HS_MODEL, n_boot=100, seed=11)
    assert a["pairs"] == b["pairs"]


def test_harman_matches_psych(ac):
    e = json.loads((REF / "measure_psych.json").read_text())["harman_AC"]
    h = harman(ac, A + C)
    close(h["fa_share"], e["fa_prop"])
    close(h["pc_share"], e["pc_prop"])
    assert h["concern"] is False and "insensitive" in h["limits"]


def test_marker_variable_matches_formula_in_r(ac, ref):
    e = ref["marker_ac"]
    m = marker_variable(ac, A + C, "age")
    assert m["n"] == e["n"]
    close(m["r_m"], e["r_m"])
    close(list(m["r_marker"].values()), e["r_marker"])
    close(m["adjusted"].to_numpy(), e["adjusted"])
    close(m["p"].to_numpy(), np.array(e["p"], dtype=float))


@pytest.mark.parametrize("key", ["clf_hs", "clf_ac"])
def test_common_latent_factor_matches_lavaan(key, hs, ac, ref):
    d, model = (hs, HS_MODEL) if key == "clf_hs" else (ac, AC_MODEL)
    e = ref[key]
    c = common_latent_factor(d, model)
    it = pd.DataFrame(c["items"])
    close(it["std_base"], e["base_std"])
    close(c["chi2_diff"], e["chi2_diff"], tol=1e-3)
    assert c["df_diff"] == e["df_diff"]
    close(c["p_diff"], e["p_diff"])
    if key == "clf_hs":
        close(it["std_clf"], e["clf_std"])
        close(it["method_loading"], e["method_std"])
        close(c["method_variance"], e["method_var_share"])
        assert c["n_flagged"] > 0
    else:   # negative method-factor variance in both lavaan and rsnprop
        assert c["heywood"] and c["method_variance"] is None


def test_htmt_bootstrap_agrees_with_semtools_loop_within_monte_carlo_error(hs):
    """measure_htmt_boot.R: percentile CI of semTools::htmt over 1000 resamples."""
    e = json.loads((REF / "measure_htmt_boot.json").read_text())
    res = htmt(hs, HS_MODEL, n_boot=1000, seed=1)
    for p, lo, hi in zip(res["pairs"], e["lower"], e["upper"]):
        assert abs(p["ci_lower"] - lo) < 0.02 and abs(p["ci_upper"] - hi) < 0.02


def test_validity_fiml_matches_lavaan_missing_ml(ref):
    """cfa(missing = "ml"): compRelSEM/AVE from the EM covariance, htmt(missing = "ml")."""
    e = ref["ac_fiml"]
    d = pd.read_csv(REF / "bfi.csv")[A + C].copy()
    for c in ("A1", "C4", "C5"):
        d[c] = 7 - d[c]
    v = validity(d, AC_MODEL, missing="fiml", n_boot=0)
    assert v.n == e["n"] and v.missing == "fiml"
    F = v.factors
    close([v.constructs[f]["omega"] for f in F], [e["omega"][f] for f in F])
    close([v.constructs[f]["ave"] for f in F], [e["ave"][f] for f in F])
    close([v.constructs[f]["std_loadings"][i] for f in F for i in v.constructs[f]["items"]],
          e["std_loadings"])
    close(v.latent_correlations, e["lv_cor"])
    close([[v.htmt[a][b] for b in F] for a in F], e["htmt"])
    close(v.fit["chi2"], e["fit"]["chisq"], tol=1e-3)


def test_em_moments_equal_complete_data_moments(hs):
    from rsnprop.measure._matrix import em_moments

    X = hs[[f"x{i}" for i in range(1, 10)]].to_numpy()
    mu, S, n, _ = em_moments(X)
    assert n == len(X)
    assert np.allclose(S, np.cov(X, rowvar=False, ddof=0)) and np.allclose(mu, X.mean(axis=0))


@pytest.mark.parametrize("case, csv", [("bfi25", "bfi.csv"), ("hs_mar", "sem_fiml.csv")])
def test_em_moments_equal_lavaan_h1_moments(case, csv):
    """measure_em_h1.R: lavInspect(cfa(..., missing = "ml"), "sampstat.h1").  lavaan's EM
    stops at its own criterion (differences ~1e-6); rsnprop iterates to 1e-10."""
    from rsnprop.measure._matrix import em_moments

    e = json.loads((REF / "measure_em_h1.json").read_text())[case]
    X = pd.read_csv(REF / csv)[e["items"]].to_numpy(dtype=float)
    mu, S, n, _ = em_moments(X)
    assert n == e["n"]
    np.testing.assert_allclose(mu, e["mean"], atol=5e-5)
    np.testing.assert_allclose(S, e["cov"], atol=5e-5)


def test_em_fast_weighted_path_equals_plain_em():
    """The batched E-step (EMPatterns) and frequency weights give the estimates of the plain
    per-pattern EM on copied rows (the bootstrap resample X[idx]) to 1e-8."""
    from rsnprop.em import EMPatterns, em_moments, em_moments_plain

    d = pd.read_csv(REF / "bfi.csv")
    items = [f"{f}{i}" for f in "ACENO" for i in range(1, 6)]
    X = d[items].to_numpy(dtype=float)[:600]
    X[5] = np.nan                                  # an empty row is dropped by both
    assert len(np.unique(np.isnan(X), axis=0)) > 20
    tight = dict(tol=1e-12, maxit=5000)
    mu0, S0, n0, _ = em_moments_plain(X, **tight)
    mu1, S1, n1, _ = em_moments(X, **tight)
    assert n0 == n1 == len(X) - 1
    np.testing.assert_allclose(mu1, mu0, rtol=0, atol=1e-8)
    np.testing.assert_allclose(S1, S0, rtol=0, atol=1e-8)
    em = EMPatterns(X)
    rng = np.random.default_rng(7)
    for _ in range(3):
        idx = rng.integers(0, len(X), len(X))
        w = np.bincount(idx, minlength=len(X))
        for start in (None, (mu0, S0)):            # default and warm start (the bootstrap's)
            mp, Sp, np_, _ = em_moments_plain(X[idx], start=start, **tight)
            mw, Sw, nw, _ = em.fit(weights=w, start=start, **tight)
            assert nw == np_
            np.testing.assert_allclose(mw, mp, rtol=0, atol=1e-8)
            np.testing.assert_allclose(Sw, Sp, rtol=0, atol=1e-8)
    with pytest.raises(ValueError):
        em.fit(weights=np.ones(3))
    # complete data: one pass, the ML moments
    Xc = X[~np.isnan(X).any(axis=1)]
    mu, S, _, it = em_moments(Xc)
    assert it <= 2 and np.allclose(S, np.cov(Xc, rowvar=False, ddof=0))


def test_em_fit_many_is_fit_info_bit_for_bit():
    """The lock-step fits (the HTMT bootstrap's) are each resample's fit_info, exactly: same
    bytes, iterations and convergence flag, whatever the chunk, with default and warm starts
    and a maxit that stops some fits unconverged."""
    from rsnprop.em import EMPatterns

    d = pd.read_csv(REF / "bfi.csv")
    items = [f"{f}{i}" for f in "ACENO" for i in range(1, 6)]
    X = d[items].to_numpy(dtype=float)[:400]
    X[5] = np.nan
    X[7, :12] = np.nan                             # a pattern with 12 missing values
    em = EMPatterns(X)
    assert len(em.buckets) >= 4
    rng = np.random.default_rng(11)
    W = np.stack([np.bincount(rng.integers(0, len(X), len(X)), minlength=len(X))
                  for _ in range(7)])
    mu0, S0, _, _ = em.fit()
    for start, maxit in ((None, 1000), ((mu0, S0), 1000), (None, 4)):
        one = [em.fit_info(weights=w, start=start, tol=1e-8, maxit=maxit) for w in W]
        for chunk in (1, 3, 50):
            many = em.fit_many(W, start=start, tol=1e-8, maxit=maxit, chunk=chunk)
            for a, b in zip(one, many):
                assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
                assert a[2:] == b[2:]
        assert {f[4] for f in one} == ({False} if maxit == 4 else {True})
    with pytest.raises(ValueError):
        em.fit_many(np.ones(len(X)))


def test_htmt_fiml_bootstrap_in_lock_step_equals_one_resample_at_a_time(monkeypatch):
    """The lock-step bootstrap (EM fits and HTMT of all resamples at once) gives the bytes of
    the one-resample-at-a-time path (taken when a resample meets a singular matrix)."""
    import rsnprop.measure.heterotrait_monotrait as hm

    d = pd.read_csv(REF / "bfi.csv")[A + C].copy()
    fast = htmt(d, AC_MODEL, n_boot=30, seed=5, missing="fiml")
    monkeypatch.setattr(hm, "_fiml_resamples", lambda *args: None)
    slow = htmt(d, AC_MODEL, n_boot=30, seed=5, missing="fiml")
    assert json.dumps(fast["pairs"]) == json.dumps(slow["pairs"])
    assert fast["pairs"][0]["ci_lower"] is not None


def test_htmt_fiml_bootstrap_is_reproducible_and_brackets_the_estimate():
    d = pd.read_csv(REF / "bfi.csv")[A + C].copy()
    for c in ("A1", "C4", "C5"):
        d[c] = 7 - d[c]
    a = htmt(d, AC_MODEL, n_boot=40, seed=3, missing="fiml")
    b = htmt(d, AC_MODEL, n_boot=40, seed=3, missing="fiml")
    assert a["pairs"] == b["pairs"] and a["missing"] == "fiml"
    p = a["pairs"][0]
    assert p["ci_lower"] < p["htmt"] < p["ci_upper"]
