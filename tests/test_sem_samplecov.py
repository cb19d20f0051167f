"""Models from published tables (sample_cov / sample_nobs / sample_mean) against lavaan 0.6.14
(tests/reference/sem_samplecov.R): Wheaton et al. (1977), stability of alienation, N = 932 (lavaan's
own example: full matrix, lower triangle, correlations + SDs), and HS covariance matrices and means
per school (multigroup, equal loadings).  Tolerance: 1e-4 on estimates, SEs and fit measures
(AIC/BIC/log-likelihood relative to 1e-8)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, fit_diffs, load  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import fit  # noqa: E402

TOL = 1e-4
WHEATON = REF / "sem_samplecov_wheaton.csv"


@pytest.fixture(scope="module")
def ref():
    return load("sem_samplecov.json")


def _same(res, block):
    d = estimate_diffs(res.estimates, block["estimates"], cols=("est", "se", "std_all"))
    for c in ("est", "se", "std_all"):
        assert d[f"d_{c}"].max() < TOL, (c, d.sort_values(f"d_{c}").tail(3))
    for k, v in fit_diffs(res.fit, block["fit"]).items():
        assert v < TOL * max(1.0, abs(res.fit[k])), (k, v)


def _cov(path=WHEATON):
    return pd.read_csv(path, index_col=0)


@pytest.mark.parametrize("form", ["full", "lower", "cor_sd"])
def test_wheaton_equals_lavaan(ref, form):
    w = ref["wheaton"]
    if form == "full":
        res = fit(w["model"], sample_cov=_cov(), sample_nobs=932)
    elif form == "lower":
        res = fit(w["model"], sample_cov=_cov(REF / "sem_samplecov_wheaton_lower.csv"), sample_nobs=932)
    else:
        sd = pd.read_csv(REF / "sem_samplecov_wheaton_sd.csv").set_index("variable")["sd"]
        res = fit(w["model"], sample_cov=_cov(REF / "sem_samplecov_wheaton_cor.csv"), sample_sd=sd, sample_nobs=932)
    _same(res, w)
    assert res.n == res.n_total == 932 and res.fit["npar"] == 17
    assert abs(res.fit["loglik"] - w["fit"]["logl"]) < 1e-6 and abs(res.fit["bic"] - w["fit"]["bic"]) < 1e-6


def test_multigroup_with_means_equals_lavaan(ref):
    h = ref["hs"]
    covs = {g: _cov(REF / f"sem_samplecov_hs_{g}.csv") for g in h["groups"]}
    means = pd.read_csv(REF / "sem_samplecov_hs_means.csv", index_col=0)
    nobs = {g: h["nobs"][g] for g in h["groups"]}
    res = fit(h["model"], sample_cov=covs, sample_nobs=nobs, sample_mean={g: means.loc[g] for g in h["groups"]},
              group_equal=["loadings"])
    _same(res, h["metric_means"])
    assert res.groups == h["groups"] and res.n_per_group == nobs
    _same(fit(h["model"], sample_cov=covs, sample_nobs=[nobs[g] for g in h["groups"]]), h["configural"])
    g0 = h["groups"][0]
    _same(fit(h["model"], sample_cov=covs[g0], sample_nobs=nobs[g0], sample_mean=means.loc[g0]), h["single_means"])


def test_bad_matrices_name_the_cell():
    s = _cov()
    a = s.copy()
    a.loc["sei", "anomia67"] = 0.0
    with pytest.raises(InputError, match="not symmetric") as e:
        fit("f =~ anomia67 + powerless67 + sei", sample_cov=a, sample_nobs=932)
    assert e.value.row == "sei" and e.value.column == "anomia67"
    b = s.rename(index={"sei": "SEI"})
    with pytest.raises(InputError, match="differs from column name") as e:
        fit("f =~ anomia67 + powerless67 + sei", sample_cov=b, sample_nobs=932)
    assert e.value.row == "SEI"
    c = s.copy()
    c.loc["anomia71", "anomia67"] = c.loc["anomia67", "anomia71"] = 40.0
    with pytest.raises(InputError, match="not positive definite") as e:
        fit("f =~ anomia67 + powerless67 + anomia71", sample_cov=c, sample_nobs=932)
    assert e.value.row == "anomia71"
    with pytest.raises(InputError, match="not in the sample covariance") as e:
        fit("f =~ anomia67 + powerless67 + x9", sample_cov=s, sample_nobs=932)
    assert e.value.column == "x9"
    with pytest.raises(InputError, match="sample_nobs"):
        fit("f =~ anomia67 + powerless67 + sei", sample_cov=s)
    with pytest.raises(InputError, match="raw data"):
        fit("f =~ anomia67 + powerless67 + sei", sample_cov=s, sample_nobs=932, estimator="MLR")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "rsnprop", "fit", *args], capture_output=True, text=True)


def test_cli_sample_cov(ref, tmp_path):
    w = ref["wheaton"]
    model = tmp_path / "m.lav"
    model.write_text(w["model"], encoding="utf-8")
    out = _cli("--sample-cov", str(REF / "sem_samplecov_wheaton_lower.csv"), "--sample-nobs", "932",
               "--model", str(model), "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    from rsnprop.schemas import Fit

    Fit.model_validate(d)
    assert abs(d["fit"]["chi2"] - w["fit"]["chisq"]) < TOL and d["n"] == 932
    bad = _cov()
    bad.loc["sei", "anomia67"] = 1.0
    p = tmp_path / "bad.csv"
    bad.to_csv(p)
    out = _cli("--sample-cov", str(p), "--sample-nobs", "932", "--model", str(model))
    assert out.returncode == 2 and "sei" in out.stderr and "anomia67" in out.stderr and "bad.csv" in out.stderr
    out = _cli("--sample-cov", str(p), "--model", str(model))
    assert out.returncode == 2 and "sample-nobs" in out.stderr


def test_cli_several_groups_with_means(ref, tmp_path):
    h = ref["hs"]
    files = ",".join(str(REF / f"sem_samplecov_hs_{g}.csv") for g in h["groups"])
    out = _cli("--sample-cov", files, "--sample-nobs", ",".join(str(h["nobs"][g]) for g in h["groups"]),
               "--sample-mean", str(REF / "sem_samplecov_hs_means.csv"), "--equal", "loadings",
               "--model", h["model"], "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    for k, name in (("chi2", "chisq"), ("cfi", "cfi"), ("rmsea", "rmsea"), ("srmr", "srmr"), ("bic", "bic")):
        assert abs(d["fit"][k] - h["metric_means"]["fit"][name]) < TOL * max(1.0, abs(d["fit"][k])), k
    assert d["fit"]["npar"] == h["metric_means"]["fit"]["npar"]
