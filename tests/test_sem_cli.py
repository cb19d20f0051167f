"""`rsnprop fit` / `rsnprop invariance` through a subprocess (the CLI/JSON contract of docs/architecture.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parent / "reference"
HS = REF / "holzinger_swineford.csv"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "rsnprop", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_fit_json_contract():
    p = cli("fit", HS, "--model", MODEL, "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["converged"] is True and out["n"] == 301
    for k in ("chi2", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic",
              "bic", "loglik"):
        assert k in out["fit"], k
    assert round(out["fit"]["chi2"], 3) == 85.306
    row = out["estimates"][1]
    assert {"lhs", "op", "rhs", "group", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"} <= set(row)
    assert out["warnings"] == []


def test_fit_model_file_and_text_output(tmp_path):
    mf = tmp_path / "m.lav"
    mf.write_text(MODEL)
    p = cli("fit", HS, "--model", mf, "--group", "school", "--equal", "loadings")
    assert p.returncode == 0, p.stderr
    assert "Group 1 [Pasteur]:" in p.stdout
    assert re.search(r"Test statistic\s+124\.044", p.stdout), p.stdout[:1500]


def test_fit_dangling_operator_is_a_syntax_error():
    p = cli("fit", HS, "--model", "visual =~ x1 + x2 +")
    assert p.returncode == 2, p.stdout
    assert "line 1, character 19" in p.stderr and "'+' with nothing after it" in p.stderr


def test_fit_json_says_rows_used_of_rows_given(tmp_path):
    import pandas as pd

    d = pd.read_csv(HS)
    d.loc[:9, "x1"] = float("nan")
    d.loc[:4, "school"] = None
    data = tmp_path / "hs_missing.csv"
    d.to_csv(data, index=False)
    p = cli("fit", data, "--model", MODEL, "--group", "school", "--missing", "listwise", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["n"], out["n_total"], out["missing"]) == (291, 301, "listwise")
    assert sum(out["n_total_per_group"].values()) == 296  # 5 rows have no group
    assert all(out["n_per_group"][g] <= out["n_total_per_group"][g] for g in out["n_per_group"])
    assert any("291 of 301 rows used" in w for w in out["warnings"])
    p = cli("fit", data, "--model", MODEL, "--group", "school", "--json")  # default: auto -> FIML
    out = json.loads(p.stdout)
    assert (out["n"], out["n_total"], out["missing"]) == (296, 301, "fiml")


@pytest.mark.parametrize("args, needle", [
    (("--model", "visual =~ x1 + x2 + nope"), "nope"),
    (("--model", "visual =~ x1 + x2 + school"), "school"),
    (("--model", "visual =~ x1 + x2 +* x3"), "modifier"),
    (("--model", MODEL, "--group", "nogroup"), "nogroup"),
    (("--model", MODEL, "--equal", "loadingz", "--group", "school"), "loadingz"),
])
def test_fit_bad_input_exit_2(args, needle):
    p = cli("fit", HS, *args)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_fit_missing_file():
    p = cli("fit", REF / "does_not_exist.csv", "--model", MODEL)
    assert p.returncode == 2 and "does_not_exist.csv" in p.stderr


def test_invariance_json_contract():
    p = cli("invariance", HS, "--model", MODEL, "--group", "school", "--levels", "configural,metric,scalar", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    names = [s["name"] for s in out["steps"]]
    assert names == ["configural", "metric", "scalar"]
    s = out["steps"][1]
    for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea", "delta_srmr", "lrt", "freed",
              "n", "n_total", "fit_indices"):
        assert k in s
    assert (out["n"], out["n_total"], out["n_total_per_group"]) == (301, 301, {"Pasteur": 156, "Grant-White": 145})
    assert set(s["lrt"]) >= {"chi2_diff", "df_diff", "pvalue"}
    assert out["level"] == "metric"
    assert set(out["latent_means"]) == {"Pasteur", "Grant-White"}
    assert out["latent_means"]["Grant-White"]["textual"] == pytest.approx(0.576, abs=1e-3)


def test_invariance_missing_group_column():
    p = cli("invariance", HS, "--model", MODEL, "--group", "nope")
    assert p.returncode == 2 and "nope" in p.stderr


def test_fit_robust_estimators_json_keys():
    p = cli("fit", HS, "--model", MODEL, "--estimator", "MLR", "--json")
    assert p.returncode == 0, p.stderr
    f = json.loads(p.stdout)["fit"]
    for k in ("chi2_scaled", "cfi_robust", "cfi_scaled", "rmsea_robust", "rmsea_scaled", "tli_robust"):
        assert k in f, k
    assert round(f["chi2_scaled"], 3) == 87.132
    w = cli("fit", REF / "sem_wlsmv.csv", "--model", "f =~ A1 + A2 + A3 + A4 + A5", "--ordered", "A1,A2,A3,A4,A5",
            "--json")
    assert w.returncode == 0, w.stderr
    out = json.loads(w.stdout)
    assert out["estimator"] == "WLSMV" and "chi2_scaled" in out["fit"]
    assert any(e["op"] == "|" for e in out["estimates"])
    bad = cli("fit", HS, "--model", MODEL, "--estimator", "WLSMV")
    assert bad.returncode == 2 and "ordered" in bad.stderr
