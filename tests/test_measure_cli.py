"""CLI contract of the measurement commands (subprocess: exit codes 0/2, JSON on stdout)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_rsnprop

REF = Path(__file__).parent / "reference"
BFI = REF / "bfi.csv"
HS = REF / "measure_hs.csv"
HS_ITEMS = ",".join(f"x{i}" for i in range(1, 10))
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


def test_reliability_json_matches_psych():
    ref = json.loads((REF / "measure_psych.json").read_text())["alpha_C_listwise"]
    proc = run_rsnprop("reliability", BFI, "--items", "C1,C2,C3,C4,C5", "--reverse", "C4,C5",
                       "--scale-min", "1", "--scale-max", "6", "--n-boot", "100", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert {"n", "alpha", "alpha_std", "alpha_ci_lower", "alpha_ci_upper", "omega_total",
            "items", "missing"} <= set(d)
    assert d["n"] == ref["n"] and d["missing"] == "listwise"
    assert abs(d["alpha"] - ref["raw_alpha"]) < 5e-4
    assert abs(d["alpha_ci_lower"] - ref["feldt_lower"]) < 5e-4
    assert [i["item"] for i in d["items"]] == ["C1", "C2", "C3", "C4", "C5"]


def test_efa_json():
    proc = run_rsnprop("efa", HS, "--items", HS_ITEMS, "--n-iter", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    for key in ("n", "kmo", "bartlett_chi2", "bartlett_df", "bartlett_pvalue",
                "parallel_analysis_factors", "loadings"):
        assert key in d
    assert d["n"] == 301 and d["bartlett_df"] == 36 and d["nfactors"] == 3


def test_validity_json():
    proc = run_rsnprop("validity", HS, "--model", HS_MODEL, "--n-boot", "50", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert set(d["constructs"]) == {"visual", "textual", "speed"}
    assert {"cr", "ave", "omega", "sqrt_ave"} <= set(d["constructs"]["visual"])
    assert len(d["htmt_pairs"]) == 3 and len(d["fornell_larcker"]) == 3


@pytest.fixture
def bad_csv(tmp_path):
    d = pd.read_csv(HS).head(60)[["x1", "x2", "x3", "x4"]].copy()
    d["const"] = 3.0
    d["text"] = d["x1"].astype(str)
    d.loc[7, "text"] = "n/a?"
    path = tmp_path / "bad.csv"
    d.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("args, fragment", [
    (["--items", "x1,x2,nope"], "nope"),
    (["--items", "x1,x2"], "at least 3"),
    (["--items", "x1,x2,const"], "constant"),
    (["--items", "x1,x2,text"], "numeric"),
])
@pytest.mark.parametrize("cmd", ["reliability", "efa"])
def test_bad_input_exits_2_in_process(bad_csv, args, fragment, cmd, capsys):
    from rsnprop.cli import main

    assert main([cmd, str(bad_csv), *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_input_exits_2_subprocess(bad_csv):
    proc = run_rsnprop("reliability", bad_csv, "--items", "x1,x2,text", "--json")
    assert proc.returncode == 2
    assert "column 'text'" in proc.stderr and "row 8" in proc.stderr
    assert json.loads(proc.stdout)["column"] == "text"


def test_bad_model_and_missing_file(bad_csv, capsys):
    from rsnprop.cli import main

    assert main(["validity", str(bad_csv), "--model", "f =~ x1 + x2 + nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["reliability", "does-not-exist.csv", "--items", "a,b,c"]) == 2
    assert main(["measure", str(bad_csv), "--instrument", "nope.yaml"]) == 2


def test_near_singular_is_a_warning(tmp_path, capsys):
    from rsnprop.cli import main

    d = pd.read_csv(HS)[["x1", "x2", "x3", "x4"]].copy()
    d["x5"] = d["x1"] + d["x2"] - d["x3"]
    path = tmp_path / "sing.csv"
    d.to_csv(path, index=False)
    with pytest.warns(Warning):
        code = main(["efa", str(path), "--items", "x1,x2,x3,x4,x5", "--nfactors", "1",
                     "--n-iter", "3", "--json"])
    assert code == 0
    assert any("near-singular" in w for w in json.loads(capsys.readouterr().out)["warnings"])


def test_reliability_reverse_keys_from_instrument(tmp_path, capsys):
    """--instrument/--construct: items, reverse keys and scale bounds from the instrument."""
    from rsnprop.cli import main
    from rsnprop.instrument import load_instrument
    from rsnprop.measure import alpha

    repo = Path(__file__).resolve().parents[1]
    ins_path = repo / "instruments" / "rsn_internationalisation.yaml"
    ins = load_instrument(ins_path)
    items = list(ins.constructs["relational"].items)
    rev = [i for i in items if ins.items[i].reverse]
    assert rev
    rng = np.random.default_rng(1)
    eta = rng.normal(size=200)
    raw = {}
    for i in items:
        x = np.clip(np.round(4 + 1.2 * eta + rng.normal(size=200)), 1, 7)
        raw[i] = 8 - x if i in rev else x
    path = tmp_path / "raw.csv"
    pd.DataFrame(raw).to_csv(path, index=False)
    assert main(["reliability", str(path), "--instrument", str(ins_path), "--construct",
                 "relational", "--n-boot", "0", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    expected = alpha(pd.DataFrame(raw), items, reverse=rev, scale_min=1, scale_max=7, n_boot=0)
    assert d["alpha"] == pytest.approx(expected.alpha) and d["alpha"] > 0.8
    assert d["reversed"] == rev
    # clean data (score_* columns) are already keyed: not reversed again
    keyed = pd.DataFrame(raw)
    for i in rev:
        keyed[i] = 8 - keyed[i]
    keyed["score_relational"] = keyed[items].mean(axis=1)
    keyed.to_csv(path, index=False)
    assert main(["reliability", str(path), "--instrument", str(ins_path), "--construct",
                 "relational", "--n-boot", "0", "--json"]) == 0
    d2 = json.loads(capsys.readouterr().out)
    assert d2["alpha"] == pytest.approx(d["alpha"]) and d2["reversed"] == []
    assert "already reverse keyed" in d2["warnings"][0]
    # a missing-value code outside the scale is refused with a clear message
    bad = pd.DataFrame(raw)
    bad.loc[3, items[0]] = 99
    bad.to_csv(path, index=False)
    assert main(["reliability", str(path), "--instrument", str(ins_path), "--construct",
                 "relational"]) == 2
    assert "outside the scale [1, 7]" in capsys.readouterr().err


def test_validity_with_cmv_checks(capsys):
    from rsnprop.cli import main

    assert main(["validity", str(BFI), "--model", "agree =~ A2 + A3 + A4 + A5; consc =~ C1 + C2 + C3",
                 "--n-boot", "0", "--marker", "age", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d["cmv"]) == {"harman", "common_latent_factor", "marker_variable"}
    assert "insensitive" in d["cmv"]["harman"]["limits"]
    assert d["cmv"]["marker_variable"]["marker"] == "age"
    assert main(["validity", str(BFI), "--model", "agree =~ A2 + A3 + A4", "--marker",
                 "nope"]) == 2
