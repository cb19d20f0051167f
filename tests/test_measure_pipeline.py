"""The `rsnprop measure` pipeline step on synthetic clean data for the real instrument."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_rsnprop
from rsnprop.instrument import load_instrument
from rsnprop.measure import alpha, validity
from rsnprop.measure.pipeline import SCHEMA, measure_instrument

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def ins():
    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def clean(ins):
    """Clean-like data: one factor per reflective construct (r = .3 between factors),
    loadings .75, answers cut into 1..7, 3 % missing, reverse-keyed items already recoded."""
    rng = np.random.default_rng(2024)
    n = 260
    cons = [c for c in ins.constructs.values() if c.reflective]
    k = len(cons)
    phi = np.full((k, k), 0.3) + 0.7 * np.eye(k)
    eta = rng.multivariate_normal(np.zeros(k), phi, n)
    cols = {"resp_id": [f"SIM-{i}" for i in range(n)], "marker": rng.normal(size=n)}
    for j, c in enumerate(cons):
        for it in c.items:
            x = 0.75 * eta[:, j] + np.sqrt(1 - 0.75 ** 2) * rng.normal(size=n)
            v = np.digitize(x, [-1.5, -0.9, -0.3, 0.3, 0.9, 1.5]) + 1.0
            v[rng.random(n) < 0.03] = np.nan
            cols[it] = v
    return pd.DataFrame(cols)


@pytest.fixture(scope="module")
def result(clean, ins):
    return measure_instrument(clean, ins, n_boot=50, seed=9, marker="marker")


def test_keys_and_json(result, ins):
    d = result.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert d["schema"] == SCHEMA
    assert d["instrument"] == {"name": ins.name, "version": ins.version, "hash": ins.hash}
    for key in ("n_rows", "settings", "constructs", "skipped", "labels", "reliability",
                "reliability_table", "items", "efa", "cfa", "validity", "validity_matrix",
                "cmv", "warnings"):
        assert key in d, key
    assert d["constructs"] == [c for c, v in ins.constructs.items() if v.reflective]
    assert {"harman", "common_latent_factor", "marker_variable"} <= set(d["cmv"])
    assert d["cfa"]["converged"] and len(d["cfa"]["loadings"]) == len(d["items"])
    assert "NaN" not in text


def test_consistent_with_the_building_blocks(result, clean, ins):
    d = result.to_dict()
    c = d["constructs"][0]
    items = list(ins.constructs[c].items)
    a = alpha(clean, items, n_boot=50, seed=9)
    row = next(r for r in d["reliability_table"] if r["construct"] == c)
    assert row["alpha"] == pytest.approx(a.alpha)
    assert row["alpha_boot_ci_lower"] == pytest.approx(a.alpha_boot_ci_lower)
    # nothing is reversed again: the keying recorded, the data untouched
    rev = [i for i in items if ins.items[i].reverse]
    assert all(r["reversed"] == (r["item"] in rev) for r in d["items"] if r["construct"] == c)
    assert all(r["r_drop"] > 0.3 for r in d["items"])
    model = d["cfa"]["model"]
    # the data have missing values: the default ("auto") CFA is full-information ML
    assert d["settings"]["cfa_missing"] == "fiml" and d["settings"]["cfa_missing_requested"] == "auto"
    cfa_data = clean[[i for r in d["items"] for i in [r["item"]]]]
    cfa_data = cfa_data[cfa_data.notna().any(axis=1)]
    assert d["cfa"]["n"] == len(cfa_data)
    assert (d["cfa"]["n_total"], d["cfa"]["missing"]) == (len(clean), "fiml")
    assert (f"CFA (n = {len(cfa_data)} of {len(clean)} rows, missing data: full-information ML)"
            in result.summary())
    # reliability is listwise (missing='auto' for item statistics): rows used of rows given, and
    # a warning whenever rows were dropped
    assert row["n_total"] == len(clean) and row["n"] <= row["n_total"]
    if row["n"] < row["n_total"]:
        assert any(w.startswith(f"reliability {c}: {row['n']} of {len(clean)} rows used") for w in d["warnings"])
    assert d["efa"]["n_total"] == len(clean)
    assert repr(result).startswith("<MeasurementResult: ") and "\n" not in repr(result)
    v = validity(cfa_data, model, n_boot=0, missing="fiml")
    assert d["validity"]["constructs"][c]["cr"] == pytest.approx(v.constructs[c]["cr"], abs=1e-6)
    assert row["cr"] == pytest.approx(v.constructs[c]["cr"], abs=1e-6)


def test_deterministic(result, clean, ins):
    again = measure_instrument(clean, ins, n_boot=50, seed=9, marker="marker", cfa=False)
    a, b = result.to_dict(), again.to_dict()
    assert a["reliability"] == b["reliability"] and a["efa"] == b["efa"]


def test_html_fragment(result):
    """The generic result tables (reliability, validity matrix, items); the report draws the
    loadings heat map, so no figure here."""
    html = result.to_html()
    assert html.count("<table") == 3 and "<svg" not in html and "http" not in html
    assert list(result.frames()["Items"]["item"]) == [r["item"] for r in result.to_dict()["items"]]


def test_cli_writes_measurement_json(clean, tmp_path):
    data = tmp_path / "clean.csv"
    clean.to_csv(data, index=False)
    out = tmp_path / "build" / "measurement.json"
    proc = run_rsnprop("measure", data, "--instrument", INSTRUMENT, "-o", out, "--n-boot", "20",
                       "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(out.read_text())
    assert d == json.loads(proc.stdout)
    assert d["schema"] == SCHEMA
    # the default (--missing auto) is full-information ML on data with missing values, as
    # the library's measure_instrument: every firm with at least one answer is kept
    items = [r["item"] for r in d["items"]]
    assert d["settings"]["cfa_missing"] == "fiml"
    assert d["settings"]["cfa_missing_requested"] == "auto"
    assert d["cfa"]["n"] == int(clean[items].notna().any(axis=1).sum())
    assert d["cfa"]["n"] > len(clean.dropna(subset=items))
    assert d["validity"]["missing"] == "fiml"
    assert all(p["ci_lower"] is not None for p in d["validity"]["htmt_pairs"])
    proc = run_rsnprop("measure", data, "--instrument", tmp_path / "nope.yaml", "-o", out)
    assert proc.returncode == 2


def test_cli_missing_auto_is_listwise_on_complete_data(clean, ins, tmp_path):
    items = [i for c in ins.constructs.values() if c.reflective for i in c.items]
    data = tmp_path / "complete.csv"
    clean.dropna(subset=items).to_csv(data, index=False)
    proc = run_rsnprop("measure", data, "--instrument", INSTRUMENT, "--n-boot", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["settings"]["cfa_missing"] == "listwise"
    assert d["settings"]["cfa_missing_requested"] == "auto"
    assert d["cfa"]["n"] == len(clean.dropna(subset=items))


def test_cli_bad_missing_value_exits_2(clean, tmp_path):
    data = tmp_path / "clean.csv"
    clean.to_csv(data, index=False)
    proc = run_rsnprop("measure", data, "--instrument", INSTRUMENT, "--missing", "pairwise")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--missing" in proc.stderr
    help_ = run_rsnprop("measure", "--help")
    assert "auto (default)" in " ".join(help_.stdout.split())


def test_cfa_missing_auto_listwise_and_summary(clean, ins):
    items = [i for c in ins.constructs.values() if c.reflective for i in c.items]
    complete = clean.dropna(subset=items)
    a = measure_instrument(complete, ins, n_boot=0, cmv=False).to_dict()
    b = measure_instrument(complete, ins, n_boot=0, cmv=False, cfa_missing="listwise").to_dict()
    # complete data: "auto" is listwise deletion, with identical results
    assert a["settings"]["cfa_missing"] == "listwise" and a["cfa"] == b["cfa"]
    assert "cfa_missing_requested" not in b["settings"]
    lw = measure_instrument(clean, ins, n_boot=0, cmv=False, cfa_missing="listwise")
    d = lw.to_dict()
    assert d["settings"]["cfa_missing"] == "listwise" and d["cfa"]["n"] == len(clean.dropna(subset=items))
    assert "missing data: listwise deletion" in lw.summary()
    with pytest.raises(Exception, match="cfa_missing"):
        measure_instrument(clean, ins, n_boot=0, cfa_missing="pairwise")
