"""Bootstrap of WLSMV fits (ordinal indicators): every draw recomputes thresholds, polychoric
correlations and DWLS weights and refits from the estimates.  Reproducible for a seed whatever
n_jobs; close to lavaan's bootstrap (tests/reference/sem_wlsmv_boot.json: 1000 draws,
estimator = "DWLS" as lavaan 0.6-14 requires, same estimates as WLSMV).  Monte Carlo tolerance
(500 draws here): SEs within 15 %, percentile limits within 0.6 bootstrap SEs of lavaan's."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, load  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import fit  # noqa: E402

ITEMS = ["A1", "A2", "A3", "A4", "A5"]
N = 800  # first complete cases of sem_wlsmv.csv, as sem_wlsmv_boot.R


@pytest.fixture(scope="module")
def ref():
    return load("sem_wlsmv_boot.json")


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "sem_wlsmv.csv").iloc[:N][ITEMS]


@pytest.fixture(scope="module")
def boot(ref, data):
    return fit(ref["model"], data, ordered=ITEMS, estimator="WLSMV", bootstrap=500, seed=42)


def test_wlsmv_bootstrap_close_to_lavaan(ref, boot):
    r = pd.DataFrame(ref["perc"]).rename(columns={"ci.lower": "lo", "ci.upper": "hi"})
    mine = boot.bootstrap["intervals"]
    key = ["lhs", "op", "rhs"]
    m = r.merge(mine, on=key, suffixes=("_r", ""))
    assert len(m) == len(r)
    assert ref["n"] == N
    assert boot.bootstrap["successful"] + boot.bootstrap["failed"] == 500
    assert boot.bootstrap["successful"] >= 0.97 * 500
    checked = 0
    for _, row in m.iterrows():
        se = row.se_r
        if se == 0:
            continue
        checked += 1
        assert abs(row.est - row.est_r) < 1e-4, (row.lhs, row.op, row.rhs)
        assert abs(row.se - se) / se < 0.15, (row.lhs, row.op, row.rhs, row.se, se)
        assert abs(row.perc_lower - row.lo) < 0.6 * se, (row.lhs, row.op, row.rhs)
        assert abs(row.perc_upper - row.hi) < 0.6 * se, (row.lhs, row.op, row.rhs)
    assert checked >= 30  # loadings, factor variance, thresholds
    e = boot.estimates
    assert np.allclose(e["se"].to_numpy(), mine["se"].to_numpy(), equal_nan=True)
    assert e.loc[~e["free"] & (e["op"] != ":="), "se"].isna().all()  # fixed: blank, as lavaan's summary
    assert np.allclose(e["ci_lower"].to_numpy(), mine["perc_lower"].to_numpy(), equal_nan=True)


def test_wlsmv_bootstrap_reproducible(data, monkeypatch):
    """Same seed, same draws and bytes for 1 or 2 worker processes; another seed differs."""
    from rsnprop.sem import bootstrap as bs

    monkeypatch.setattr(bs, "PARALLEL_MIN_SECONDS", 0.0)
    model = "agree =~ A1 + A2 + A3 + A4 + A5"
    a = fit(model, data, ordered=ITEMS, estimator="WLSMV", bootstrap=24, seed=7, n_jobs=1)
    b = fit(model, data, ordered=ITEMS, estimator="WLSMV", bootstrap=24, seed=7, n_jobs=2)
    np.testing.assert_array_equal(a.boot_thetas, b.boot_thetas)
    assert a.to_json() == b.to_json()
    c = fit(model, data, ordered=ITEMS, estimator="WLSMV", bootstrap=8, seed=8, n_jobs=1)
    assert not np.array_equal(a.boot_thetas[:8], c.boot_thetas)


def test_wlsmv_bootstrap_mixed_and_errors(data):
    hs = load("sem_wlsmv_mixed.json")
    r = hs["hs"]
    res = fit(r["model"], pd.DataFrame(hs["hs_data"]), ordered=r["ordered"], estimator="WLSMV", bootstrap=20, seed=3)
    assert res.bootstrap["successful"] == 20
    se_boot = res.estimates.set_index(["lhs", "op", "rhs"])["se"]
    ref_se = pd.DataFrame(r["estimates"]).set_index(["lhs", "op", "rhs"])["se"]
    free = ref_se > 0
    ratio = (se_boot[free.index[free]] / ref_se[free]).to_numpy()
    assert np.all((ratio > 0.4) & (ratio < 2.5))  # 20 draws: only the order of magnitude
    with pytest.raises(InputError, match="bollen.stine"):
        fit("agree =~ A1 + A2 + A3", data, ordered=ITEMS[:3], bootstrap=10, bootstrap_type="bollen.stine")
