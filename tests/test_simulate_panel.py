"""rsnprop.simulate.panel: simulated two-wave panels go through clean -> link -> change and show
the change they were given (and none when given none); attrition follows the chosen mechanism;
the change happens in the benefit factors (items move by their loadings), so the latent panel
models see longitudinally scalar-invariant scales and factors whose stability is below 1."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rsnprop
from rsnprop.datasets import example_plan
from rsnprop.errors import InputError
from rsnprop.panel import attrition, change_tests, link_waves
from rsnprop.panel.clpm import cross_lagged
from rsnprop.panel.latent import longitudinal_benefit_invariance
from rsnprop.simulate import simulate_study
from rsnprop.simulate.panel import item_weights, simulate_panel
from rsnprop.simulate.quirks import raw_csv_bytes

INS = rsnprop.load_instrument()


def _clean_and_link(exports):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = {str(i + 1): rsnprop.clean(raw, INS).data for i, raw in enumerate(exports)}
        return link_waves(clean, "resp_id", salt="t")


def _change(exports):
    res = change_tests(_clean_and_link(exports), relational="score_relational",
                       informational="score_informational", group="bg_true", phase="phase")
    return {r["question"].split(",")[0].split(" (")[0]: r for r in res.rows}


def test_same_seed_same_panel_byte_for_byte():
    a = simulate_panel(INS, n=80, seed=11)
    b = simulate_panel(INS, n=80, seed=11)
    assert all(x.to_csv(index=False) == y.to_csv(index=False) for x, y in zip(a, b))


def test_wave_one_is_the_cross_section_of_the_same_seed():
    w1, _ = simulate_panel(INS, "p1p2", n=60, seed=7, invalid_rate=0.02)
    assert raw_csv_bytes(w1) == raw_csv_bytes(simulate_study(INS, "p1p2", n=60, seed=7,
                                                             invalid_rate=0.02))


def test_latent_change_truth_has_the_scenario_means_and_the_firm_level_spread():
    _, truths = simulate_panel(INS, n=3000, seed=12, attrition=0.0, return_truth=True,
                               factor_change_sd=0.4, change_informational=-0.2)
    t = truths[1]
    bg, moved = t["born_global"] == 1, t["moved"].astype(bool)
    rel = t["change_relational"] - 0.6 * bg - 0.5 * moved
    assert abs(rel.mean()) < 0.03 and abs(rel.std() - 0.4) < 0.03
    assert abs(t["change_informational"].mean() + 0.2) < 0.03
    assert abs(t["change_informational"].std() - 0.4) < 0.03
    assert abs(np.corrcoef(rel, t["change_informational"])[0, 1] - 0.5) < 0.05  # factor_change_corr
    assert abs(t["change_intl_approach"].mean()) < 0.03                        # other factors: no
    assert abs(t["change_intl_approach"].std() - 0.4) < 0.03                   # mean change
    assert (truths[0][["change_relational", "change_informational"]] == 0).all().all()
    _, none = simulate_panel(INS, n=3000, seed=12, attrition=0.0, change="none", return_truth=True)
    assert abs(none[1]["change_relational"].mean()) < 0.03          # no systematic change ...
    assert 0.35 < none[1]["change_relational"].std() < 0.45         # ... but firms still differ


def test_items_move_by_their_loadings():
    """Born globals' extra change on each relational item is proportional to the item's loading
    (relative to the mean loading), reversed for the reverse-keyed item: what keeps the item
    intercepts invariant.  A constant shift on every item (the former model) fails this."""
    w1, w2 = simulate_panel(INS, n=4000, seed=21, attrition=0.0, move_rate=0.0)
    _, truth = simulate_study(INS, "p1p2", n=4000, seed=21, return_truth=True)
    a, b = w1.set_index("resp_id"), w2.set_index("resp_id")
    bg = truth.set_index("resp_id")["born_global"].reindex(b.index) == 1
    weights = item_weights(INS, "p1p2")["relational"]
    shift = {}
    for item in weights:
        x = pd.to_numeric(a.loc[b.index, item], errors="coerce")
        y = pd.to_numeric(b[item], errors="coerce")
        ok = x.between(1, 7) & y.between(1, 7) & x.between(3, 5)   # away from the scale bounds
        shift[item] = float((y - x)[ok & bg].mean() - (y - x)[ok & ~bg].mean())
    assert shift["rel_7"] < -0.4 and weights["rel_7"] < 0          # reverse keyed: moves down
    w = np.array([weights[i] for i in weights])
    d = np.array([shift[i] for i in weights])
    assert np.allclose(d, 0.6 * w, atol=0.12), dict(zip(weights, d.round(3)))
    assert np.corrcoef(d[w > 0], w[w > 0])[0, 1] > 0.6               # larger loading, larger shift


def test_latent_models_see_invariant_scales_and_stability_below_one():
    """The example's settings (seed 2026, 300 firms): both benefit scales are longitudinally
    scalar invariant, and the latent cross-lagged model has wave-2 factors with positive
    residual variances and stabilities below 1 (before the change moved to the factors: level
    metric, and a negative residual variance)."""
    plan = example_plan()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = {lab: rsnprop.clean(raw, INS, plan.cleaning).data
                 for lab, raw in zip(("1", "2"), simulate_panel(INS, n=300, seed=2026))}
        panel = link_waves(clean, "resp_id", salt="x")
        items = {c: [i for i in INS.constructs[c].items if i in clean["1"].columns]
                 for c in ("relational", "informational")}
        gate = longitudinal_benefit_invariance(panel, items)
        assert gate["latent_allowed"], {c: b["level"] for c, b in gate["constructs"].items()}
        res = cross_lagged(panel, "score_intl_approach", version="latent", items=items, gate=gate)
    assert res["status"] == "ok" and not res["warnings"]
    paths = pd.DataFrame(res["paths"])
    var = paths[(paths.op == "~~") & (paths.lhs == paths.rhs)].set_index("lhs")["est"]
    assert (var > 0).all(), var[var <= 0]
    for c in ("relational", "informational"):
        auto = paths[(paths.op == "~") & (paths.lhs == f"{c}_t2") & (paths.rhs == f"{c}_t1")]
        assert 0.7 < auto["std_all"].iloc[0] < 0.97, (c, auto)


def test_change_is_found_when_simulated_and_not_when_not():
    change = _change(simulate_panel(INS, n=400, seed=5, change="change", attrition=0.2))
    # simulated +0.6 on relational items for born globals; rounding and the scale bounds attenuate it
    assert change["difference in change"]["estimate"] > 0.15
    assert change["difference in change"]["pvalue"] < 0.01
    assert change["stage: change in D"]["pvalue"] < 0.01
    none = _change(simulate_panel(INS, n=400, seed=5, change="none", attrition=0.2))
    assert abs(none["difference in change"]["estimate"]) < 0.15
    assert none["difference in change"]["pvalue"] > 0.01


def test_attrition_mechanisms():
    mcar = simulate_panel(INS, n=400, seed=8, attrition=0.3, attrition_mechanism="mcar",
                          return_truth=True)
    mar = simulate_panel(INS, n=400, seed=8, attrition=0.3, attrition_mechanism="mar",
                         return_truth=True)
    for exports, _ in (mcar, mar):
        assert 0.2 < 1 - len(exports[1]) / len(exports[0]) < 0.4
    link = _clean_and_link(mar[0])
    res = attrition(link, ["score_relational", "score_informational"])
    rel = res.profile.set_index("variable").loc["score_relational"]
    assert rel["stayed"] > rel["left"] and rel["pvalue"] < 0.01  # leavers were less relational
    assert res.mcar["pvalue"] < 0.05


@pytest.mark.parametrize("kwargs", [{"waves": 1}, {"change": "big"}, {"attrition": 0.95},
                                    {"attrition_mechanism": "mnar"}, {"move_rate": 2},
                                    {"platform": "qualtrics"}, {"factor_change_sd": -0.1},
                                    {"factor_change_sd": "0.4"}, {"factor_change_corr": 1.5},
                                    {"change_informational": 9}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(InputError):
        simulate_panel(INS, n=50, seed=1, **kwargs)


def test_invalid_codes_and_attention_checks_stay_as_given():
    w1, w2 = simulate_panel(INS, n=300, seed=4, invalid_rate=0.05)
    a = w1.set_index("resp_id").loc[w2["resp_id"]]
    b = w2.set_index("resp_id")
    kept = 0
    for item, it in INS.items.items():
        if it.type != "likert" or item not in b.columns:
            continue
        x = pd.to_numeric(a[item], errors="coerce")
        off = a[item].notna() & ~x.between(it.scale.min, it.scale.max)
        if it.attention_check is not None:
            off = a[item].notna()
        assert (a.loc[off, item].astype(str) == b.loc[off, item].astype(str)).all(), item
        kept += int(off.sum())
    assert kept > 20


def test_cli_simulate_waves_then_panel(tmp_path):
    import json
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "rsnprop", *args], cwd=tmp_path,
                              capture_output=True, text=True)

    ins = str(INS.path)
    r = run("simulate", "--instrument", ins, "--n", "150", "--seed", "3", "--waves", "2",
            "--attrition", "0.2", "-o", "raw.csv", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["outputs"] == ["raw_w1.csv", "raw_w2.csv"] and out["n"][0] == 150
    for k in (1, 2):
        r = run("clean", f"raw_w{k}.csv", "--instrument", ins, "-o", f"w{k}.parquet")
        assert r.returncode == 0, r.stderr
    r = run("panel", "w1.parquet", "w2.parquet", "--key", "resp_id", "--salt", "s",
            "--lean", "score_relational,score_informational", "--group", "bg_true",
            "-o", "panel.parquet")
    assert r.returncode == 0, r.stderr
    assert "difference in change" in r.stdout
    r = run("simulate", "--instrument", ins, "--waves", "2", "--attrition", "0.95", "-o", "x.csv")
    assert r.returncode == 2 and "'--attrition'" in r.stderr and "Traceback" not in r.stderr
