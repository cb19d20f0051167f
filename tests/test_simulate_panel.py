"""rsnprop.simulate.panel: simulated two-wave panels go through clean -> link -> change and show
the change they were given (and none when given none); attrition follows the chosen mechanism."""

from __future__ import annotations

import warnings

import pytest

import rsnprop
from rsnprop.errors import InputError
from rsnprop.panel import attrition, change_tests, link_waves
from rsnprop.simulate.panel import simulate_panel

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
                                    {"platform": "qualtrics"}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(InputError):
        simulate_panel(INS, n=50, seed=1, **kwargs)


def test_invalid_codes_and_attention_checks_stay_as_given():
    import pandas as pd

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
