"""Modification indices of FIML fits (missing="fiml") against lavaan 0.6.14's ``modindices()``
with ``missing = "ml"`` (tests/reference/sem_fiml_mi.R -> sem_fiml_mi.json; data: HS x1..x9
with about 10 % of the values deleted completely at random, sem_fiml_mi.csv).

Tolerances as tests/test_sem_sem.py: 1e-3 on ``mi``, 5e-4 on ``epc``/``sepc_all``; measured:
single group below 4e-5 (mi) and 2e-6 (epc); by school below 5e-4 (mi) and 4e-5 (epc), where
lavaan's own optimum is ~1e-5 from the exact one (estimates differ by 1e-5).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, load, max_diff  # noqa: E402

from rsnprop.sem import fit  # noqa: E402

REFS = load("sem_fiml_mi.json")


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "sem_fiml_mi.csv")


@pytest.fixture(scope="module")
def fits(data):
    return {"single": fit(REFS["model"], data, missing="fiml"),
            "school": fit(REFS["model"], data, missing="fiml", group="school")}


def test_data_has_about_ten_percent_missing(data):
    frac = data[[f"x{i}" for i in range(1, 10)]].isna().to_numpy().mean()
    assert frac == pytest.approx(REFS["fraction_missing"], abs=1e-9) and 0.08 < frac < 0.12


@pytest.mark.parametrize("block", ["single", "school"])
def test_fiml_modindices_match_lavaan(fits, block):
    res = fits[block]
    assert getattr(res, "missing", None) == "fiml"
    d = max_diff(estimate_diffs(res.estimates, REFS[block]["estimates"], cols=("est", "se")))
    assert all(v < 5e-4 for v in d.values()), d
    mi = res.modindices()
    rm = pd.DataFrame(REFS[block]["mi"])
    m = rm.merge(mi, on=["lhs", "op", "rhs", "group"], how="outer", suffixes=("_r", ""), indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == len(rm)  # the same candidates
    assert np.max(np.abs(m.mi - m.mi_r)) < 1e-3
    assert np.max(np.abs(m.epc - m.epc_r)) < 5e-4
    assert np.max(np.abs(m.sepc_all - m["sepc.all"])) < 5e-4
    top = rm.sort_values("mi", ascending=False).head(5)
    assert list(mi.head(5)[["lhs", "op", "rhs", "group"]].itertuples(index=False, name=None)) == \
        list(top[["lhs", "op", "rhs", "group"]].itertuples(index=False, name=None))


def test_fiml_modindices_differ_from_listwise_and_mlr_gives_the_same(data, fits):
    """FIML indices are not those of the listwise (complete-case) fit; MLR uses the same
    expected-information score test as ML (lavaan)."""
    fiml = fits["single"].modindices(sort=False)
    listwise = fit(REFS["model"], data, missing="listwise").modindices(sort=False)
    assert np.max(np.abs(fiml.mi.to_numpy() - listwise.mi.to_numpy())) > 0.5
    mlr = fit(REFS["model"], data, missing="fiml", estimator="MLR").modindices(sort=False)
    assert np.allclose(mlr.mi, fiml.mi, atol=1e-6) and np.allclose(mlr.epc, fiml.epc, atol=1e-8)
