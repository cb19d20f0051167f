"""Bootstrap: reproducible for a seed whatever n_jobs, close to lavaan's bootstrap (Monte Carlo
tolerance: SEs within 15 %, percentile limits within 0.5 and
bias-corrected limits (z0 is noisy) within 0.75 bootstrap SEs of lavaan's 1000-draw values in
tests/reference/sem_boot.json); Bollen-Stine p-value."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import HS_MODEL, hs_data, load  # noqa: E402

from rsnprop.sem import fit  # noqa: E402


@pytest.fixture(scope="module")
def boot():
    return fit(HS_MODEL, hs_data(), bootstrap=1000, seed=42)


def test_bootstrap_reproducible_across_jobs(monkeypatch):
    """Same seed, same draws for 1 or 2 workers (threads here, to keep the suite fast; the
    process pool is exercised by `make bench`)."""
    from joblib import parallel_config

    from rsnprop.sem import bootstrap as bs

    monkeypatch.setattr(bs, "PARALLEL_MIN_SECONDS", 0.0)
    hs = hs_data()
    a = fit(HS_MODEL, hs, bootstrap=120, seed=7, n_jobs=1)
    with parallel_config(backend="threading"):
        b = fit(HS_MODEL, hs, bootstrap=120, seed=7, n_jobs=2)
    np.testing.assert_array_equal(a.boot_thetas, b.boot_thetas)
    c = fit(HS_MODEL, hs, bootstrap=16, seed=8, n_jobs=1)
    assert not np.array_equal(a.boot_thetas[:16], c.boot_thetas)


def test_bootstrap_close_to_lavaan(boot):
    ref = load("sem_boot.json")
    r = pd.DataFrame(ref["perc"]).rename(columns={"ci.lower": "lo", "ci.upper": "hi"})
    bca = pd.DataFrame(ref["bca"]).rename(columns={"ci.lower": "lo", "ci.upper": "hi"})
    mine = boot.bootstrap["intervals"]
    assert boot.bootstrap["successful"] >= 990
    for k in range(len(r)):
        se = r.se[k]
        if se == 0:
            continue
        assert abs(mine.se[k] - se) / se < 0.15, (r.lhs[k], r.rhs[k])
        assert abs(mine.perc_lower[k] - r.lo[k]) < 0.5 * se
        assert abs(mine.perc_upper[k] - r.hi[k]) < 0.5 * se
        assert abs(mine.bc_lower[k] - bca.lo[k]) < 0.75 * se  # lavaan's bca.simple = bias-corrected
        assert abs(mine.bc_upper[k] - bca.hi[k]) < 0.75 * se


def test_bootstrap_table_uses_percentile(boot):
    e = boot.estimates
    iv = boot.bootstrap["intervals"]
    np.testing.assert_allclose(e.ci_lower, iv.perc_lower)
    assert (e[e.free].se > 0).all()
    assert boot.to_dict()["bootstrap"]["R"] == 1000


def test_bollen_stine():
    res = fit(HS_MODEL, hs_data(), bootstrap=200, bootstrap_type="bollen.stine", seed=1)
    ref = load("sem_boot.json")
    assert res.bootstrap["pvalue"] == pytest.approx(ref["bollen_stine_p"], abs=0.02)
    assert res.fit["bollen_stine_pvalue"] == res.bootstrap["pvalue"]
    # under a model that fits, the Bollen-Stine p-value is not tiny
    ok = fit("visual =~ x1 + x2 + x3", hs_data(), bootstrap=100, bootstrap_type="bollen.stine", seed=1)
    assert ok.bootstrap["pvalue"] > 0.05 or ok.fit["df"] == 0


def test_bootstrap_defined_parameters_close_to_lavaan():
    """Percentile CIs of indirect/total effects (':=') of the PoliticalDemocracy SEM, against
    lavaan's se = "bootstrap" (1000 draws; here 500, Monte Carlo tolerance 0.5 bootstrap SE)."""
    from sem_refs import REF

    ref = load("sem_boot_poldem.json")
    r = pd.DataFrame(ref["perc"])
    res = fit(ref["model"], pd.read_csv(REF / "sem_poldem.csv"), bootstrap=500, seed=11)
    iv = res.bootstrap["intervals"].set_index("lhs")
    for name in ("indirect", "total"):
        row = r[(r.lhs == name) & (r.op == ":=")].iloc[0]
        assert iv.loc[name, "est"] == pytest.approx(row.est, abs=1e-4)
        assert abs(iv.loc[name, "se"] - row.se) / row.se < 0.15
        assert abs(iv.loc[name, "perc_lower"] - row["ci.lower"]) < 0.5 * row.se
        assert abs(iv.loc[name, "perc_upper"] - row["ci.upper"]) < 0.5 * row.se


def test_fiml_bootstrap_runs_and_is_reproducible():
    from sem_refs import REF

    d = pd.read_csv(REF / "sem_fiml.csv")
    a = fit(HS_MODEL, d, missing="fiml", bootstrap=24, seed=5)
    b = fit(HS_MODEL, d, missing="fiml", bootstrap=24, seed=5)
    np.testing.assert_array_equal(a.boot_thetas, b.boot_thetas)
    assert a.bootstrap["successful"] >= 22
    free = a.estimates[a.estimates.free]
    analytic = fit(HS_MODEL, d, missing="fiml").estimates
    ratio = free.se.to_numpy() / analytic[analytic.free].se.to_numpy()
    assert 0.5 < np.median(ratio) < 2.0  # 24 draws: only a sanity check
    # Bollen-Stine with missing data: tests/test_sem_bootstrap_fiml_bs.py
