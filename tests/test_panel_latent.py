"""Latent panel models (rsnprop.panel.latent, rsnprop.panel.clpm) against lavaan 0.6-14
(tests/reference/panel_latent.R -> panel_latent.json) on the item-level two-wave panel of
tests/data/panel/ (make_panel_items.py): longitudinal invariance of each benefit construct, the
latent change models of C1 (born global) and C2 (moved to a later phase) and the cross-lagged
panel model, observed and latent; all FIML.  Tolerance 1e-4 on estimates, standard errors,
standardised estimates, defined parameters and fit measures (issue 20).  Also the gate, the
evidence-row layout, input errors and statistical trouble (failed rows, never a crash)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import estimate_diffs, fit_diffs, load  # noqa: E402

from rsnprop.errors import ConvergenceWarning, HeywoodCaseWarning, InputError  # noqa: E402
from rsnprop.panel import link_waves  # noqa: E402
from rsnprop.panel import latent as latent_mod  # noqa: E402
from rsnprop.panel.clpm import cross_lagged  # noqa: E402
from rsnprop.panel.latent import (  # noqa: E402
    latent_change,
    latent_change_rows,
    longitudinal_benefit_invariance,
)

TOL = 1e-4
DATA = Path(__file__).resolve().parent / "data" / "panel"
ITEMS = {"relational": [f"rel_{j}" for j in range(1, 5)], "informational": [f"inf_{j}" for j in range(1, 5)]}
LEAN = ("score_relational", "score_informational")
ROW_KEYS = {"hypothesis", "role", "version", "question", "test", "estimate", "se", "statistic",
            "statistic_name", "df", "p_value", "p_opposite", "p_sided", "ci_level", "ci_lower", "ci_upper",
            "ci_label", "n", "n_total", "status", "note"}


@pytest.fixture(scope="module")
def ref():
    return load("panel_latent.json")


@pytest.fixture(scope="module")
def panel():
    waves = {"2013": pd.read_csv(DATA / "items_w1.csv"), "2014": pd.read_csv(DATA / "items_w2.csv")}
    return link_waves(waves, "firm", salt="test-salt")


@pytest.fixture(scope="module")
def gate(panel):
    return longitudinal_benefit_invariance(panel, ITEMS)


def _check_paths(paths, block, what):
    mine = pd.DataFrame(paths).assign(group=1)
    mine["free"] = mine["se"].notna()
    d = estimate_diffs(mine, block["estimates"], cols=("est", "se", "std_all"))
    for c in ("est", "se", "std_all"):
        assert d[f"d_{c}"].max() < TOL, (what, c, d.sort_values(f"d_{c}").tail(3))
    assert len(mine) == len(block["estimates"]), what  # the same parameters, none more


def _check_fit(fit, block, what):
    f = fit_diffs(fit, block["fit"], skip=("aic", "bic", "loglik", "loglik_h1", "npar", "baseline_chi2",
                                           "baseline_df", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue"))
    if block["fit"]["df"] == 0:  # saturated: lavaan prints cfi = tli = 1, rmsea = 0; ours leaves them blank
        assert fit["cfi"] is None and fit["rmsea"] is None
        f = {k: v for k, v in f.items() if k not in ("cfi", "tli", "rmsea")}
    bad = {k: v for k, v in f.items() if v > TOL * max(1.0, abs(block["fit"].get(k) or 0))}
    assert not bad, (what, bad)


def _check_row(row, block, lhs, op, rhs, sided):
    e = pd.DataFrame(block["estimates"])
    sel = (e.lhs == lhs) & (e.op == op) & ((e.rhs == rhs) if op != ":=" else True)
    r = e.loc[sel].iloc[0]
    assert set(ROW_KEYS) <= set(row), ROW_KEYS - set(row)
    assert row["status"] == "ok", row["note"]
    assert abs(row["estimate"] - r["est"]) < TOL and abs(row["se"] - r["se"]) < TOL
    assert abs(row["ci_lower"] - r["ci.lower"]) < TOL and abs(row["ci_upper"] - r["ci.upper"]) < TOL
    z = r["est"] / r["se"]
    p = stats.norm.sf(z) if sided == "one-sided" else r["pvalue"]
    assert abs(row["p_value"] - p) < TOL
    assert row["p_sided"] == sided and row["ci_label"] == "95 % CI, two-sided" and row["ci_level"] == 0.95
    assert row["statistic_name"] == "z" and abs(row["statistic"] - z) < 1e-3
    assert row["n"] == block["n"] and row["n_total"] == block["n_total"]


def test_invariance_equals_lavaan(gate, ref):
    assert gate["latent_allowed"] is True
    assert gate["waves"] == ["2013", "2014"] and gate["required"] == "scalar"
    for name in ITEMS:
        block, r = gate["constructs"][name], ref[f"invariance_{name}"]
        assert block["level"] == "strict" and block["reached"] and block["status"] == "ok"
        assert block["n"] == r["n"] == 300 and block["n_total"] == 300
        assert [s["name"] for s in block["steps"]] == ["configural", "metric", "scalar", "strict"]
        for s in block["steps"]:
            _check_fit(s, r["steps"][s["name"]], (name, s["name"]))
            if s["name"] != "configural":
                lr = r["lrt"][s["name"]]
                assert s["lrt"]["df_diff"] == lr["df_diff"]
                assert abs(s["lrt"]["chi2_diff"] - lr["chisq_diff"]) < TOL
                assert abs(s["lrt"]["pvalue"] - lr["pvalue"]) < TOL
        assert set(block["latent_means"]) == {f"{name}_t1", f"{name}_t2"}
        mc, rm = block["latent_mean_change"], r["latent_mean_t2"]["strict"][0]  # strict held: its means
        assert mc["model"] == "strict" and mc["p_sided"] == "two-sided"
        for k, rk in (("est", "est"), ("se", "se"), ("z", "z"), ("pvalue", "pvalue"), ("ci_lower", "ci.lower"),
                      ("ci_upper", "ci.upper")):
            assert abs(mc[k] - rm[rk]) < TOL, (name, k, mc[k], rm[rk])
        assert block["latent_means"][f"{name}_t2"] == pytest.approx(rm["est"], abs=TOL)


@pytest.mark.parametrize("hyp, covariate", [("C1", "bg"), ("C2", "phase")])
def test_latent_change_equals_lavaan(panel, gate, ref, hyp, covariate):
    out = latent_change(panel, ITEMS, covariate, hypothesis=hyp, gate=gate)
    block = ref[hyp]
    _check_paths(out["paths"], block, hyp)
    _check_fit(out["fit"], block, hyp)
    row, = out["rows"]
    _check_row(row, block, "dlean", ":=", None, "one-sided")
    assert (row["hypothesis"], row["role"], row["version"]) == (hyp, "latent", "latent")
    assert out["n"] == block["n"] and out["n_total"] == 300
    assert row["p_value"] < 0.05  # simulated: both changes exist
    assert latent_change_rows(panel, ITEMS, covariate, hypothesis=hyp, gate=gate) == out["rows"]


def test_clpm_observed_equals_lavaan(panel, ref):
    out = cross_lagged(panel, "approach", lean=LEAN)
    block = ref["clpm_observed"]
    _check_paths(out["paths"], block, "clpm observed")
    _check_fit(out["fit"], block, "clpm observed")
    fwd, rev = out["rows"]
    assert (fwd["role"], rev["role"]) == ("sem", "reverse") and fwd["version"] == "observed"
    _check_row(fwd, block, "lean_t2", "~", "approach_t1", "one-sided")
    _check_row(rev, block, "approach_t2", "~", "lean_t1", "two-sided")
    assert out["gate"] is None and out["status"] == "ok" and out["n"] == 300
    assert out["flags"] == {"estimated": True, "converged": True, "heywood": False}


def test_clpm_latent_equals_lavaan(panel, gate, ref):
    out = cross_lagged(panel, "approach", version="latent", items=ITEMS, gate=gate)
    block = ref["clpm_latent"]
    _check_paths(out["paths"], block, "clpm latent")
    _check_fit(out["fit"], block, "clpm latent")
    fwd, rev = out["rows"]
    assert (fwd["role"], rev["role"]) == ("latent", "reverse") and fwd["version"] == "latent"
    _check_row(fwd, block, "forward", ":=", None, "one-sided")
    _check_row(rev, block, "reverse", ":=", None, "two-sided")
    assert fwd["p_value"] < 0.05
    assert set(out) >= {"version", "rows", "paths", "fit", "n", "n_total", "gate"}


def test_gate_failure_makes_latent_rows_not_available(panel, gate):
    bad = {**gate, "latent_allowed": False, "note": "longitudinal scalar invariance not reached: "
                                                   "relational: level reached 'metric'"}
    row, = latent_change_rows(panel, ITEMS, "bg", gate=bad)
    assert row["status"] == "not_available" and "metric" in row["note"] and row["estimate"] is None
    out = cross_lagged(panel, "approach", version="latent", items=ITEMS, gate=bad)
    assert out["status"] == "not_available"
    assert [r["status"] for r in out["rows"]] == ["not_available"] * 2
    assert [r["role"] for r in out["rows"]] == ["latent", "reverse"]


def test_gate_computed_when_not_given_and_required_level(panel):
    g = longitudinal_benefit_invariance(panel, {"relational": ITEMS["relational"]}, required="strict")
    assert g["latent_allowed"] and g["constructs"]["relational"]["reached"]
    with pytest.raises(InputError, match="required"):
        longitudinal_benefit_invariance(panel, ITEMS, required="weak")
    with pytest.raises(InputError, match="rule"):  # an input error of the engine is not a "failed" row
        longitudinal_benefit_invariance(panel, ITEMS, rule="strictest")
    lrt = longitudinal_benefit_invariance(panel, {"relational": ITEMS["relational"]}, rule="lrt")
    assert "chi-square difference" in lrt["rule"] and "Chen" in g["rule"]


@pytest.mark.parametrize("call, column", [
    (lambda p: longitudinal_benefit_invariance(p, {"relational": ["rel_1", "rel_9"]}), "rel_9"),
    (lambda p: latent_change_rows(p, ITEMS, "bg_nope", gate={"latent_allowed": True}), "bg_nope"),
    (lambda p: cross_lagged(p, "speed", lean=LEAN), "speed"),
    (lambda p: cross_lagged(p, "approach", lean=("score_relational", "inf")), "inf"),
])
def test_missing_columns_are_named(panel, call, column):
    with pytest.raises(InputError) as err:
        call(panel)
    assert err.value.column == column and repr(column) in str(err.value)


def test_bad_arguments(panel):
    with pytest.raises(InputError, match="lean"):
        cross_lagged(panel, "approach")
    with pytest.raises(InputError, match="items"):
        cross_lagged(panel, "approach", version="latent")
    with pytest.raises(InputError, match="version"):
        cross_lagged(panel, "approach", version="both", lean=LEAN)
    with pytest.raises(InputError, match="missing"):
        cross_lagged(panel, "approach", lean=LEAN, missing="available")
    with pytest.raises(InputError, match="estimator"):
        latent_change_rows(panel, ITEMS, "bg", gate={"latent_allowed": True}, estimator="WLSMV")
    with pytest.raises(InputError, match="informational"):
        latent_change_rows(panel, {"relational": ITEMS["relational"]}, "bg", gate={"latent_allowed": True})


def test_non_convergence_gives_failed_rows(panel, gate, monkeypatch):
    real = latent_mod.fit

    def no_converge(*a, **kw):
        res = real(*a, **kw)
        res.converged = False
        return res

    monkeypatch.setattr(latent_mod, "fit", no_converge)
    with pytest.warns(ConvergenceWarning):
        row, = latent_change_rows(panel, ITEMS, "bg", gate=gate)
    assert row["status"] == "failed" and "converge" in row["note"]
    with pytest.warns(ConvergenceWarning):
        out = cross_lagged(panel, "approach", lean=LEAN)
    assert out["status"] == "failed" and all(r["status"] == "failed" for r in out["rows"])
    assert any("converge" in w for w in out["warnings"]) and out["flags"]["converged"] is False


def test_heywood_case_gives_failed_rows_and_flags(panel):
    """A near-duplicate item (rel_9 = rel_1 + tiny noise): lavaan-style negative residual
    variances and no convergence; the row is failed, the flags say why, nothing is raised."""
    data = panel.data.copy()
    data["rel_9"] = data["rel_1"] + np.random.default_rng(0).normal(0, 0.01, len(data))
    p2 = type(panel)(**{**panel.__dict__, "data": data})
    items = {"relational": ["rel_1", "rel_9", "rel_2"], "informational": ["inf_1", "inf_2", "inf_3"]}
    with pytest.warns((HeywoodCaseWarning, ConvergenceWarning)):
        out = latent_change(p2, items, "bg", gate={"latent_allowed": True, "note": "forced"})
    row, = out["rows"]
    assert row["status"] == "failed" and ("Heywood" in row["note"] or "converge" in row["note"])
    assert out["flags"]["heywood"] is True and out["flags"]["estimated"] is True
    assert any("Heywood" in w for w in out["warnings"])


def test_estimation_error_gives_failed_rows(panel):
    """An item without variance cannot be estimated: failed rows with a note, no exception."""
    data = panel.data.copy()
    data["rel_const"] = 4.0
    p2 = type(panel)(**{**panel.__dict__, "data": data})
    items = {"relational": ["rel_1", "rel_const"], "informational": ITEMS["informational"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row, = latent_change_rows(p2, items, "bg", gate={"latent_allowed": True, "note": "forced"})
    assert row["status"] == "failed" and row["note"]


def test_moved_covariate_needs_both_waves(panel, ref):
    out = latent_change(panel, ITEMS, "phase", hypothesis="C2", gate={"latent_allowed": True, "note": "x"})
    assert out["covariate"] == "moved_phase"
    assert out["n"] == ref["C2"]["n"] < out["n_total"] == 300
    assert np.isfinite(out["rows"][0]["estimate"])


def test_labels_say_missing_method_and_estimator(panel, gate):
    """Listwise deletion keeps the complete cases only; MLR gives robust SEs, named in the test."""
    fiml = cross_lagged(panel, "approach", lean=LEAN)
    lw = cross_lagged(panel, "approach", lean=LEAN, missing="listwise")
    assert "FIML" in fiml["rows"][0]["test"] and "listwise" in lw["rows"][0]["test"]
    assert lw["n"] == len(panel.firms_in("2014")) < fiml["n"] == 300
    mlr = latent_change(panel, ITEMS, "bg", gate=gate, estimator="MLR")
    assert "MLR (robust SE)" in mlr["rows"][0]["test"] and mlr["fit"]["cfi_robust"] is not None
    assert mlr["rows"][0]["estimate"] == pytest.approx(latent_change(panel, ITEMS, "bg", gate=gate)
                                                       ["rows"][0]["estimate"], abs=1e-6)


def test_later_wave_and_panel_checked(panel):
    """With three waves the later wave is chosen (default: the last); a wave that is not a later
    one, or something that is not a linked panel, is refused naming the parameter."""
    waves = {"2013": pd.read_csv(DATA / "items_w1.csv"), "2014": pd.read_csv(DATA / "items_w2.csv"),
             "2015": pd.read_csv(DATA / "items_w2.csv").iloc[:100]}
    three = link_waves(waves, "firm", salt="test-salt")
    mid = cross_lagged(three, "approach", lean=LEAN, later="2014")
    ref_two = cross_lagged(panel, "approach", lean=LEAN)
    assert mid["rows"][0]["estimate"] == pytest.approx(ref_two["rows"][0]["estimate"], abs=1e-8)
    last = longitudinal_benefit_invariance(three, {"relational": ITEMS["relational"]})
    assert last["waves"] == ["2013", "2015"]
    with pytest.raises(InputError) as err:
        cross_lagged(three, "approach", lean=LEAN, later="2013")
    assert err.value.parameter == "later"
    with pytest.raises(InputError) as err:
        cross_lagged(panel.data, "approach", lean=LEAN)
    assert err.value.parameter == "panel"


def test_results_are_plain_json(panel, gate):
    """Everything returned goes into the panel JSON as it is (no NaN, no numpy types)."""
    import json

    outs = [gate, latent_change(panel, ITEMS, "bg", gate=gate), cross_lagged(panel, "approach", lean=LEAN),
            cross_lagged(panel, "approach", version="latent", items=ITEMS, gate=gate)]
    def walk(x, where):
        assert type(x) in (dict, list, str, int, float, bool, type(None)), (where, type(x))
        for k, v in (x.items() if type(x) is dict else enumerate(x) if type(x) is list else ()):
            walk(v, f"{where}.{k}")

    for i, o in enumerate(outs):
        json.dumps(o, allow_nan=False)
        walk(o, str(i))
