"""Bollen-Stine bootstrap of FIML fits (missing data), against semTools' ``bsBootMiss(fit,
transformation = 2)`` (Savalei & Yuan 2009) in tests/reference/sem_boot_fiml_bs.json: lavaan
itself (0.6-14, and 0.7-2 on GitHub) refuses ``type = "bollen.stine"`` with ``missing = "ml"``.

Exact: given lavaan's model-implied moments and EM covariance, the transformed data equal
semTools' ``trans2`` (1e-8, tests/reference/sem_boot_fiml_bs_transform.json); from rsnprop's own
FIML fit they agree to 1e-4 (the estimates of lavaan and rsnprop differ by about 1e-6); and their
saturated FIML (EM) moments are the model-implied ``mu``/``Sigma`` (1e-6; the model fits them with
chi-square 0).  Monte Carlo
(300 / 500 draws here, 1000 in R; two models: the HS CFA, p-value 0, and a two-factor model that
fits, p-value about 0.3): the Bollen-Stine p-value and the mean of the bootstrap chi-squares
within 3.5 standard errors of the difference of two independent Monte Carlo estimates
(p: ``sqrt(p (1 - p) (1/n + 1/1000))``, at least 0.01, i.e. about 0.10 at p = 0.3 with 500 draws;
mean: ``sqrt(sd^2/n + sd_R^2/1000)``, about 6 % for the CFA with 300 draws, 10 % for the two-factor
model with 500 -- a fixed 3 % would be one standard error).
Determinism: same seed, same chi-squares whatever ``n_jobs``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import HS_MODEL, REF, load  # noqa: E402

from rsnprop.sem import fit  # noqa: E402
from rsnprop.sem.bootstrap import bollen_stine_transform, savalei_yuan_transform  # noqa: E402
from rsnprop.sem.fiml_engine import patterns  # noqa: E402
from rsnprop.sem.fiml_saturated import available_moments, saturated_model  # noqa: E402

XS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "sem_fiml_mi.csv")


@pytest.fixture(scope="module")
def ref():
    return load("sem_boot_fiml_bs.json")


def _em(z):
    p = z.shape[1]
    h1, th1, conv = saturated_model(p, 1, "h1", [patterns(z)], [z.shape[0]], [available_moments(z)])
    assert conv
    return h1.groups[0].implied(th1)


def _same(z, r, atol):
    r = np.array(r, dtype=float)
    np.testing.assert_array_equal(np.isnan(z), np.isnan(r))
    np.testing.assert_allclose(z[~np.isnan(z)], r[~np.isnan(r)], atol=atol, rtol=0)


def test_transform_equals_semtools_trans2():
    ref = load("sem_boot_fiml_bs_transform.json")
    for case in [ref["single"]] + ref["school"]:
        x = np.array(case["x"], dtype=float)
        z, A, ok = savalei_yuan_transform(x, np.array(case["sigma"]), np.array(case["mu"]),
                                          np.array(case["em_cov"]))
        assert ok
        _same(z, case["transformed"], 1e-8)


def test_transformed_data_equal_semtools(data, ref):
    res = fit(HS_MODEL, data, missing="fiml")
    z = bollen_stine_transform(res._engine, res.theta, [data[XS].to_numpy(float)])[0]
    _same(z, ref["transformed"], 1e-4)


def test_transformed_data_equal_semtools_by_group(data, ref):
    res = fit(HS_MODEL, data, missing="fiml", group="school")
    arrays = [data.loc[data.school == s, XS].to_numpy(float) for s in res.groups]
    assert res.groups == ["Pasteur", "Grant-White"]
    zs = bollen_stine_transform(res._engine, res.theta, arrays)
    for z, r in zip(zs, ref["transformed_school"]):
        _same(z, r, 1e-4)


def test_transformed_data_have_model_moments(data):
    res = fit(HS_MODEL, data, missing="fiml")
    sigma, mu = res._engine.groups[0].implied(res.theta)
    z, A, ok = savalei_yuan_transform(data[XS].to_numpy(float), sigma, mu, res._engine.data[0].cov)
    assert ok
    np.testing.assert_allclose(A, A.T, atol=1e-12)
    s2, m2 = _em(z)
    np.testing.assert_allclose(s2, sigma, atol=1e-6, rtol=0)
    np.testing.assert_allclose(m2, mu, atol=1e-6, rtol=0)
    refit = fit(HS_MODEL, pd.DataFrame(z, columns=XS), missing="fiml")
    assert refit.fit["chi2"] < 1e-6
    np.testing.assert_allclose(refit.theta, res.theta, atol=1e-5)


def test_fiml_bollen_stine_close_to_semtools(data, ref):
    for key, model, R in (("hs3", HS_MODEL, 300), ("two", ref["model2"], 500)):
        r = ref[key]
        res = fit(model, data, missing="fiml", bootstrap=R, bootstrap_type="bollen.stine", seed=11)
        b = res.bootstrap
        n, nr = b["successful"], r["successful"]
        assert res.fit["chi2"] == pytest.approx(r["chisq"], abs=1e-4)
        assert n >= 0.99 * R and nr >= 990
        pbar = (b["pvalue"] * n + r["bollen_stine_p"] * nr) / (n + nr)
        tol_p = max(3.5 * np.sqrt(pbar * (1 - pbar) * (1 / n + 1 / nr)), 0.01)
        assert abs(b["pvalue"] - r["bollen_stine_p"]) < tol_p, (key, b["pvalue"], r["bollen_stine_p"])
        assert res.fit["bollen_stine_pvalue"] == b["pvalue"]
        assert len(res.boot_chi2) == n
        sd = res.boot_chi2.std(ddof=1)
        tol_m = 3.5 * np.sqrt(sd ** 2 / n + r["boot_chisq_sd"] ** 2 / nr)
        assert abs(res.boot_chi2.mean() - r["boot_chisq_mean"]) < tol_m, (key, res.boot_chi2.mean(), r)
        assert "Savalei" in b["transformation"]


def test_fiml_bollen_stine_reproducible_across_jobs(data, monkeypatch):
    """Same seed, same chi-squares for 1 or 2 workers (threads, to keep the suite fast)."""
    from joblib import parallel_config

    from rsnprop.sem import bootstrap as bs

    monkeypatch.setattr(bs, "PARALLEL_MIN_SECONDS", 0.0)
    kw = dict(missing="fiml", bootstrap=30, bootstrap_type="bollen.stine", seed=3)
    a = fit(HS_MODEL, data, n_jobs=1, **kw)
    with parallel_config(backend="threading"):
        b = fit(HS_MODEL, data, n_jobs=2, **kw)
    c = fit(HS_MODEL, data, n_jobs=1, **kw)
    np.testing.assert_array_equal(a.boot_chi2, b.boot_chi2)
    np.testing.assert_array_equal(a.boot_chi2, c.boot_chi2)
    assert a.bootstrap["pvalue"] == b.bootstrap["pvalue"]
    d = fit(HS_MODEL, data, n_jobs=1, **{**kw, "seed": 4})
    assert not np.array_equal(a.boot_chi2, d.boot_chi2)
