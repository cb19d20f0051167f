"""Observed exogenous covariates (lavaan's fixed.x): a MIMIC model, a path model with observed
variables only, a multigroup MIMIC and MLR, against lavaan 0.6.14 (sem_mimic.json).
Log-likelihoods are conditional on the covariates and the baseline keeps their covariances, as
lavaan.  Tolerance: 3 decimals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import estimate_diffs, fit_diffs, hs_data, load, max_diff  # noqa: E402

from rsnprop.sem import fit  # noqa: E402

REF = load("sem_mimic.json")


@pytest.mark.parametrize("key, model, kw", [
    ("mimic_fit", REF["mimic"], {}),
    ("path_fit", REF["path"], {}),
    ("mimic_group", REF["mimic"], {"group": "school", "group_equal": ["loadings"]}),
    ("mimic_mlr", REF["mimic"], {"estimator": "MLR"}),
])
def test_fixed_x_models(key, model, kw):
    res = fit(model, hs_data(), **kw)
    d = max_diff(estimate_diffs(res.estimates, REF[key]["estimates"], cols=("est", "se", "z", "std_all")))
    assert all(v < 5e-4 for v in d.values()), d
    f = fit_diffs(res.fit, REF[key]["fit"])
    bad = {k: v for k, v in f.items() if v > (5e-3 if k in ("aic", "bic", "loglik", "loglik_h1") else 5e-4)}
    assert not bad, bad
    if "r2" in REF[key]:
        r2 = dict(zip(res.r2.variable, res.r2.r2))
        assert all(abs(r2[k] - v) < 5e-4 for k, v in REF[key]["r2"].items())
