"""WLSMV with mixed ordinal and continuous observed variables against lavaan 0.6.14
(tests/reference/sem_wlsmv_mixed.json: bfi agreeableness items with age regressed on the factor;
Holzinger-Swineford x1, x2, x4, x5 cut at their quartiles, x3 and x6 continuous).
Tolerance: as the other WLSMV reference tests (5e-4 on estimates, SEs, z, std_all and fit
measures; 1e-3 on chi-squares); the sample statistics (WLS.obs) and NACOV are checked as well."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, fit_diffs, load, max_diff  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import fit  # noqa: E402
from rsnprop.sem.polychoric import mixed_stats  # noqa: E402


@pytest.fixture(scope="module")
def ref():
    return load("sem_wlsmv_mixed.json")


def _data(ref, key):
    if key == "hs":
        return pd.DataFrame(ref["hs_data"])
    return pd.read_csv(REF / "bfi.csv")[["A1", "A2", "A3", "A4", "A5", "age"]].dropna()


@pytest.fixture(scope="module", params=["bfi", "hs"])
def case(ref, request):
    r = ref[request.param]
    d = _data(ref, request.param)
    return r, d, fit(r["model"], d, ordered=r["ordered"], estimator="WLSMV")


def test_mixed_sample_statistics(ref):
    for key in ("bfi", "hs"):
        r = ref[key]
        d = _data(ref, key)
        cols = list(d.columns)  # the order of the model's observed variables
        st = mixed_stats(d[cols].to_numpy(float), cols, [c not in r["ordered"] for c in cols])
        obs = np.array(r["wls_obs"])
        assert np.max(np.abs(st.stats - obs) / np.maximum(1, np.abs(obs))) < 1e-6
        nacov = np.array(r["nacov"])  # lavInspect(, "gamma"): without lavaan's N / (N - 1)
        assert np.max(np.abs(st.nacov - nacov) / np.maximum(1, np.abs(nacov))) < 1e-5


def test_mixed_estimates(case):
    r, _, res = case
    diffs = max_diff(estimate_diffs(res.estimates, r["estimates"], cols=("est", "se", "z", "std_all")))
    assert all(v < 5e-4 for v in diffs.values()), diffs


def test_mixed_fit_measures(case):
    r, _, res = case
    f = fit_diffs(res.fit, r["fit"])
    assert all(v < 5e-4 for k, v in f.items() if k not in ("chi2", "baseline_chi2", "chi2_scaled")), f
    assert res.fit["chi2"] == pytest.approx(r["fit"]["chisq"], abs=1e-3)
    assert res.fit["chi2_scaled"] == pytest.approx(r["fit"]["chisq.scaled"], abs=1e-3)
    assert res.fit["baseline_chi2"] == pytest.approx(r["fit"]["baseline.chisq"], rel=1e-6)
    assert "cfi_robust" not in res.fit  # lavaan: NA with continuous variables


def test_mixed_deterministic(ref):
    r = ref["hs"]
    d = _data(ref, "hs")
    a = fit(r["model"], d, ordered=r["ordered"], estimator="WLSMV")
    b = fit(r["model"], d, ordered=r["ordered"], estimator="WLSMV")
    assert a.estimates.equals(b.estimates)


def test_mixed_unsupported():
    # several groups: supported since (tests/test_sem_ordinal_mixed_groups.py)
    d = _data(None, "bfi")
    with pytest.raises(InputError, match="age"):
        fit("f =~ A1 + A2 + A3\nf ~ age", d, ordered=["A1", "A2", "A3"])
