"""Ordinal indicators in the theta parametrisation (residual variances of the latent responses as
parameters) and the strict invariance step it allows, against lavaan 0.6.14 with
``parameterization = "theta"`` on the psych::bfi agreeableness/conscientiousness items
(tests/reference/sem_wlsmv_theta.R -> sem_wlsmv_theta.json; data sem_wlsmv.csv): single group and
by gender configural, metric, scalar, strict (``group.equal = c("thresholds", "loadings",
"intercepts", "residuals")``) with the scaled-shifted difference tests.

Single group: tolerances as tests/test_sem_ordinal.py: 5e-4 on estimates, SEs, std_all and fit
indices, 1e-3 on the chi-square, 1e-5 relative on the scaled chi-square, 1e-4 relative on z.
By gender (robust SEs, scaled and difference tests weigh the groups as lavaan: n_g / N, sandwich
/ (N - G), RMSEAs with N - G) the tolerances are 3x the measured differences: se < 6.6e-6, fit
indices < 1.6e-7, scaled chi2 < 1.8e-7 relative, z < 7e-5 relative (thresholds have |z| up to 80;
lavaan's multigroup optimum is ~1e-5 from the exact one: est < 4e-5, std_all < 8e-6, chi2 < 6e-6,
kept at 5e-4 and 1e-3), chi-square differences < 1.1e-5, their p-values < 3.8e-6 relative.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, fit_diffs, load, max_diff  # noqa: E402

from rsnprop.errors import InputError  # noqa: E402
from rsnprop.sem import fit, invariance  # noqa: E402

ITEMS = ["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "C4", "C5"]
REFS = load("sem_wlsmv_theta.json")
STEPS = ["configural", "metric", "scalar", "strict"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "sem_wlsmv.csv")


@pytest.fixture(scope="module")
def inv(data):
    return invariance(REFS["model"], data, "gender", ordered=ITEMS, parameterization="theta")


def _check(res, block, z_rel=1e-4, se=5e-4, fit_tol=5e-4, scaled_rel=1e-5):
    d = max_diff(estimate_diffs(res.estimates, block["estimates"], cols=("est", "se", "std_all")))
    assert d["d_se"] < se and all(v < 5e-4 for v in d.values()), d
    e = res.estimates.merge(pd.DataFrame(block["estimates"]), on=["lhs", "op", "rhs", "group"], suffixes=("", "_r"))
    e = e[e.z_r.notna() & (e.se_r > 0)]
    assert np.max(np.abs(e.z / e.z_r - 1)) < z_rel
    f = fit_diffs(res.fit, block["fit"], skip=("chi2_scaled",))
    assert all(v < fit_tol for k, v in f.items() if k not in ("chi2", "baseline_chi2")), f
    assert res.fit["chi2"] == pytest.approx(block["fit"]["chisq"], abs=1e-3)
    assert res.fit["chi2_scaled"] == pytest.approx(block["fit"]["chisq.scaled"], rel=scaled_rel)
    assert res.fit["df"] == block["fit"]["df"]


def test_theta_single_group_matches_lavaan(data):
    res = fit(REFS["model"], data, ordered=ITEMS, parameterization="theta")
    assert res.converged
    _check(res, REFS["single"])
    # the same model as the delta parametrisation: same fit, same modification indices
    res_d = fit(REFS["model"], data, ordered=ITEMS)
    assert res.fit["chi2_scaled"] == pytest.approx(res_d.fit["chi2_scaled"], rel=1e-7)
    m = res.modindices().merge(res_d.modindices(), on=["lhs", "op", "rhs", "group"], suffixes=("", "_d"))
    m = m[m.op == "=~"]
    assert len(m) == 10 and np.max(np.abs(m.mi - m.mi_d)) < 1e-4


@pytest.mark.parametrize("step", STEPS)
def test_theta_invariance_steps_match_lavaan(inv, step):
    assert inv.fits[step].converged
    _check(inv.fits[step], REFS[step], z_rel=2.1e-4, se=2e-5, fit_tol=5e-7, scaled_rel=6e-7)


def test_theta_strict_step_and_difference_tests(inv):
    assert [s["name"] for s in inv.steps] == STEPS
    assert inv.steps[3]["group_equal"] == ["loadings", "thresholds", "residuals"]
    assert not any("strict" in w for w in inv.warnings)
    for k, step in enumerate(inv.steps[1:]):
        lrt = step["lrt"]
        assert lrt["method"].startswith("satorra.2000")
        assert lrt["df_diff"] == REFS["lrt"]["df_diff"][k]
        assert lrt["chi2_diff"] == pytest.approx(REFS["lrt"]["chisq_diff"][k], abs=3.3e-5)
        assert lrt["pvalue"] == pytest.approx(REFS["lrt"]["pvalue"][k], rel=1.2e-5)


def test_theta_strict_partial_residual(data, inv):
    ge = ["loadings", "thresholds", "residuals"]
    res = fit(REFS["model"], data, ordered=ITEMS, group="gender", group_equal=ge, group_partial=["A3 ~~ A3"],
              parameterization="theta")
    assert res.fit["df"] == inv.fits["strict"].fit["df"] - 1
    e = res.estimates.set_index(["lhs", "op", "rhs", "group"])
    assert e.loc[("A3", "~~", "A3", 1), "est"] == 1.0 and e.loc[("A3", "~~", "A3", 2), "se"] > 0
    assert e.loc[("A4", "~~", "A4", 2), "est"] == 1.0


def test_delta_still_skips_strict_and_errors(data):
    with pytest.raises(InputError, match="parameterization"):
        fit(REFS["model"], data, ordered=ITEMS, parameterization="gamma")
    with pytest.raises(InputError, match="ordinal"):
        fit(REFS["model"], data, parameterization="theta")
    with pytest.raises(InputError, match="theta"):
        fit(REFS["model"], data, ordered=ITEMS, group="gender", group_equal=["loadings", "thresholds", "residuals"])
    with pytest.raises(InputError, match="ordinal"):
        invariance(REFS["model"], data, "gender", parameterization="theta")
