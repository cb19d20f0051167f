"""Longitudinal (repeated-measures) measurement invariance against lavaan 0.6.14 with the
equality-constrained syntax written by hand (tests/reference/sem_longitudinal.R): PoliticalDemocracy
dem60 -> dem65 with ML, MLR and FIML (ML and MLR), std.lv, partial search; three "waves" of HS; HS items cut into quartiles as two "waves" with WLSMV (delta
and theta).  Tolerance: 1e-4 on estimates, standard errors, fit measures and difference tests."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, fit_diffs, load  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import invariance  # noqa: E402

TOL = 1e-4
MODEL = "dem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8"
REP = ["dem60", "dem65"]
STEPS = ("configural", "metric", "scalar", "strict")


@pytest.fixture(scope="module")
def ref():
    return load("sem_longitudinal.json")


@pytest.fixture(scope="module")
def poldem():
    return pd.read_csv(REF / "sem_poldem.csv")


def _check_step(step, res, block, cols=("est", "se")):
    d = estimate_diffs(res.estimates, block["estimates"], cols=cols)
    for c in cols:
        assert d[f"d_{c}"].max() < TOL, (step, c, d.sort_values(f"d_{c}").tail(3))
    for k, v in fit_diffs(res.fit, block["fit"]).items():
        assert v < TOL * max(1.0, abs(res.fit[k] or 0)), (step, k, v)


def _check_lrt(inv, lrt_ref, names):
    recs = {s["name"]: s for s in inv.steps}
    for name in names:
        mine, r = recs[name]["lrt"], lrt_ref[name]
        assert mine["df_diff"] == r["df_diff"], name
        assert abs(mine["chi2_diff"] - r["chisq_diff"]) < TOL, (name, mine, r)
        assert abs(mine["pvalue"] - r["pvalue"]) < TOL, (name, mine, r)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_steps_equal_lavaan(ref, poldem, estimator):
    inv = invariance(MODEL, poldem, repeated=REP, estimator=estimator)
    assert [s["name"] for s in inv.steps] == list(STEPS)
    for s in STEPS:
        _check_step(s, inv.fits[s], ref[estimator][s])
    _check_lrt(inv, ref[f"{estimator}_lrt"], STEPS[1:])
    # each step record carries the same fit keys as fit() (lavaan's names)
    rec = inv.steps[2]
    assert rec["chi2"] == inv.fits["scalar"].fit["chi2"] and rec["n"] == rec["n_total"] == 75
    if estimator == "MLR":
        assert rec["fit_indices"] == "robust" and "cfi_robust" in rec and "chi2_scaled" in rec
    lm = [r for r in ref[estimator]["scalar"]["estimates"] if r["lhs"] == "dem65" and r["op"] == "~1"][0]
    assert abs(rec["latent_means"]["dem65"] - lm["est"]) < TOL and rec["latent_means"]["dem60"] == 0
    assert "latent_means" not in inv.steps[1]


def test_partial_search_equals_lavaan(ref, poldem):
    inv = invariance(MODEL, poldem, repeated=REP, rule="lrt", alpha=0.2, partial_search=True)
    names = [s["name"] for s in inv.steps]
    # as for groups: a step fitted on top of a partial one is named partial_ (strict with the y2
    # intercepts free fails, then the search frees the y2 residual variances as well)
    assert names == ["configural", "metric", "scalar", "partial_scalar", "partial_strict", "partial_strict"]
    assert inv.steps[3]["freed"] == ["y2~1"] and inv.steps[5]["freed"] == ["y2~1", "y2~~y2"]
    assert inv.steps[4]["freed"] == ["y2~1"] and not inv.steps[4]["held"] and inv.steps[5]["held"]
    assert inv.level == "partial_strict"
    for s in ("partial_scalar", "partial_strict"):
        _check_step(s, inv.fits[s], ref["ML"][s])
    _check_lrt(inv, ref["ML_lrt_partial"], ["partial_scalar", "partial_strict"])


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fiml_equals_lavaan(ref, estimator):
    d = pd.read_csv(REF / "sem_longitudinal_fiml.csv")
    key = "FIML" if estimator == "ML" else "FIML_MLR"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = invariance(MODEL, d, repeated=REP, estimator=estimator)
    assert inv.missing == "fiml" and inv.n == inv.n_total == 75
    for s in STEPS:
        _check_step(s, inv.fits[s], ref[key][s])
    _check_lrt(inv, ref[f"{key}_lrt"], STEPS[1:])


def test_cli_repeated(tmp_path, poldem):
    import json
    import subprocess

    p = tmp_path / "pd.csv"
    poldem.to_csv(p, index=False)
    out = subprocess.run([sys.executable, "-m", "rsnprop", "invariance", str(p), "--model", MODEL,
                          "--repeated", "dem60,dem65", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    from rsnprop.schemas import Invariance

    Invariance.model_validate(d)
    assert d["repeated"] == REP and d["level"] == "strict" and len(d["steps"]) == 4
    assert d["steps"][2]["latent_means"]["dem60"] == 0
    bad = subprocess.run([sys.executable, "-m", "rsnprop", "invariance", str(p), "--model", MODEL,
                          "--repeated", "dem60,nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_bad_arguments(poldem):
    with pytest.raises(InputError, match="same number of indicators"):
        invariance("a =~ y1 + y2 + y3\nb =~ y5 + y6", poldem, repeated=["a", "b"])
    with pytest.raises(InputError, match="not a factor"):
        invariance(MODEL, poldem, repeated=["dem60", "x1"])
    with pytest.raises(InputError, match="either group or repeated"):
        invariance(MODEL, poldem, "y1", repeated=REP)
    with pytest.raises(InputError, match="modifier"):
        invariance("dem60 =~ y1 + a*y2\ndem65 =~ y5 + y6", poldem, repeated=REP)


# In the scalar step (free scaling factors) lavaan reports no cat-ML robust indices (NA: its
# cat-ML refit fails), rsnprop does; they are compared where lavaan has them.


@pytest.mark.parametrize("param", ["delta", "theta"])
def test_ordinal_steps_equal_lavaan(ref, param):
    od = pd.read_csv(REF / "sem_longitudinal_ord.csv")
    r = ref[f"WLSMV_{param}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = invariance("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3", od, repeated=["A", "B"], ordered=list(od.columns),
                         parameterization=param)
    names = [s["name"] for s in inv.steps]
    assert names == (["configural", "metric", "scalar"] + (["strict"] if param == "theta" else []))
    assert inv.estimator == "WLSMV" and all(s["fit_indices"] == "robust" for s in inv.steps)
    for s in names:
        res, block = inv.fits[s], r["fits"][s]
        d = estimate_diffs(res.estimates, block["estimates"], cols=("est", "se"), ops=["=~", "~~", "~1", "|", "~*~"])
        assert d["d_est"].max() < TOL and d["d_se"].max() < TOL, (s, d.sort_values("d_est").tail(3))
        for k, v in fit_diffs(res.fit, block["fit"]).items():
            assert v < TOL * max(1.0, abs(res.fit[k])), (s, k, v)
        if s in ("configural", "metric"):
            assert "cfi.robust" in block["fit"] and "rmsea.robust" in block["fit"]
    for s in names[1:]:
        mine, lr = next(x for x in inv.steps if x["name"] == s)["lrt"], r["lrt"][s]
        assert mine["method"].startswith("satorra.2000") and mine["df_diff"] == lr["df_diff"]
        assert abs(mine["chi2_diff"] - lr["chisq_diff"]) < TOL and abs(mine["pvalue"] - lr["pvalue"]) < TOL
    lm = [x for x in r["fits"]["scalar"]["estimates"] if x["lhs"] == "B" and x["op"] == "~1"][0]["est"]
    assert abs(inv.steps[2]["latent_means"]["B"] - lm) < TOL


def test_std_lv_identification_equals_lavaan(ref, poldem):
    inv = invariance(MODEL, poldem, repeated=REP, std_lv=True, levels=("configural", "metric", "scalar"))
    for s in ("configural", "metric", "scalar"):
        _check_step(s, inv.fits[s], ref["std_lv"][s])
    # the same models as with marker loadings: same chi-squares
    assert abs(inv.steps[2]["chi2"] - ref["ML"]["scalar"]["fit"]["chisq"]) < TOL


def test_three_waves_equal_lavaan(ref):
    hs = pd.read_csv(REF / "holzinger_swineford.csv")
    r = ref["three_waves"]
    inv = invariance("V =~ x1 + x2 + x3\nT =~ x4 + x5 + x6\nS =~ x7 + x8 + x9", hs, repeated=["V", "T", "S"],
                     levels=("configural", "metric", "scalar"))
    for s in ("configural", "metric", "scalar"):
        _check_step(s, inv.fits[s], r["fits"][s])
    _check_lrt(inv, r["lrt"], ("metric", "scalar"))
    assert set(inv.steps[2]["latent_means"]) == {"V", "T", "S"} and inv.steps[2]["latent_means"]["V"] == 0
    assert inv.level == "metric"


def test_ordinal_partial_search_equals_lavaan(ref):
    od = pd.read_csv(REF / "sem_longitudinal_ord.csv")
    r = ref["WLSMV_partial"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = invariance("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3", od, repeated=["A", "B"], ordered=list(od.columns),
                         rule="lrt", partial_search=True)
    assert [s["name"] for s in inv.steps] == ["configural", "metric", "partial_metric", "partial_scalar"]
    assert inv.steps[2]["freed"] == ["A=~a3"] and inv.level == "configural"
    for s in ("partial_metric", "partial_scalar"):
        _check_step(s, inv.fits[s], r["fits"][s])
    _check_lrt(inv, r["lrt"], ("partial_metric", "partial_scalar"))
