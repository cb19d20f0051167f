"""Modification indices of WLSMV fits (ordinal indicators, delta parametrisation) against lavaan
0.6.14's ``modindices()`` on the psych::bfi agreeableness/conscientiousness items
(tests/reference/sem_wlsmv_mi.R -> sem_wlsmv_mi.json; data sem_wlsmv.csv as test_sem_ordinal.py):
single group and by gender (configural, metric, scalar).

The candidate sets must be identical (lavaan frees every fixed parameter as well: markers,
intercepts of the latent responses with equal thresholds...).  Tolerances as
tests/test_sem_modindices_fiml.py: 1e-3 on ``mi``, 5e-4 on ``epc``/``sepc_all``/``sepc_lv``;
measured: ``mi`` below 8e-4 (lavaan's optimum is ~1e-6 from the exact one), ``epc`` below 7e-6,
``sepc_all`` below 5e-6.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, load  # noqa: E402

from rsnprop.sem import fit  # noqa: E402

ITEMS = ["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "C4", "C5"]
REFS = load("sem_wlsmv_mi.json")
KEYS = ["lhs", "op", "rhs", "group"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "sem_wlsmv.csv")


def _fit(data, block):
    if block == "single":
        return fit(REFS["model"], data, ordered=ITEMS, estimator="WLSMV")
    ge = REFS[block]["group_equal"]
    ge = [ge] if isinstance(ge, str) else list(ge or [])
    return fit(REFS["model"], data, ordered=ITEMS, estimator="WLSMV", group="gender", group_equal=ge)


@pytest.mark.parametrize("block", ["single", "configural", "metric", "scalar"])
def test_wlsmv_modindices_match_lavaan(data, block):
    mi = _fit(data, block).modindices()
    rm = pd.DataFrame(REFS[block]["mi"])
    m = rm.merge(mi, on=KEYS, how="outer", suffixes=("_r", ""), indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == len(rm) == len(mi)  # the same candidates
    assert np.max(np.abs(m.mi - m.mi_r)) < 1e-3
    assert np.max(np.abs(m.epc - m.epc_r)) < 5e-4
    assert np.max(np.abs(m.sepc_all - m["sepc.all"])) < 5e-4
    assert np.max(np.abs(m.sepc_lv - m["sepc.lv"])) < 5e-4
    top = rm.sort_values("mi", ascending=False, kind="mergesort").head(5)
    assert list(mi.head(5)[KEYS].itertuples(index=False, name=None)) == \
        list(top[KEYS].itertuples(index=False, name=None))


def test_wlsmv_modindices_minimum_and_epc_direction(data):
    res = _fit(data, "single")
    mi = res.modindices(minimum=40)
    assert len(mi) > 0 and (mi.mi >= 40).all() and mi.mi.is_monotonic_decreasing
    # the EPC of a cross-loading is close to its estimate once freed (one Newton step)
    row = mi[(mi.lhs == "consc") & (mi.op == "=~") & (mi.rhs == "A4")].iloc[0]
    freed = fit(REFS["model"] + "\nconsc =~ A4", data, ordered=ITEMS, estimator="WLSMV")
    est = freed.estimates.set_index(["lhs", "op", "rhs"]).loc[("consc", "=~", "A4"), "est"]
    assert np.sign(float(est)) == np.sign(row.epc) and abs(float(est) - row.epc) < 0.1
