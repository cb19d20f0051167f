"""Score tests of equality constraints against lavaan 0.6.14's ``lavTestScore(cumulative = TRUE)``
(tests/reference/sem_score_tests.R -> sem_score_tests.json): HS by school, loadings and
intercepts equal (complete data; with two intercepts freed; FIML on sem_fiml_mi.csv).

Tolerance: 2e-4 on every X2 (total, univariate, cumulative); measured below 5e-5, the distance
between lavaan's optimum and ours.  The cumulative order must be lavaan's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.errors import InputError
from rsnprop.sem import fit
from rsnprop.sem.scoretest import score_tests

REF = Path(__file__).resolve().parent / "reference"
R = json.loads((REF / "sem_score_tests.json").read_text())
CASES = {"scalar": ({}, "holzinger_swineford.csv"),
         "scalar_partial": ({"group_partial": ("x3 ~ 1", "x7 ~ 1")}, "holzinger_swineford.csv"),
         "scalar_fiml": ({"missing": "fiml"}, "sem_fiml_mi.csv")}
TOL = 2e-4


@pytest.fixture(scope="module")
def results():
    out = {}
    for key, (kw, csv) in CASES.items():
        res = fit(R["model"], pd.read_csv(REF / csv), group="school",
                  group_equal=("loadings", "intercepts"), **kw)
        out[key] = (res, score_tests(res))
    return out


@pytest.mark.parametrize("key", list(CASES))
def test_score_tests_match_lavtestscore(results, key):
    res, st = results[key]
    ref = R[key]
    assert st.n == ref["n"]
    assert st.total["df"] == ref["total"]["df"]
    assert abs(st.total["X2"] - ref["total"]["X2"]) < TOL
    u = pd.DataFrame(ref["univariate"])
    m = u.merge(st.univariate, on=["lhs", "op", "rhs", "group", "group_ref"], suffixes=("_r", ""),
                how="outer", indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == len(u)      # the same constraints
    assert np.max(np.abs(m.X2 - m.X2_r)) < TOL
    assert np.max(np.abs(m.p_value - m.p_value_r)) < TOL
    c = pd.DataFrame(ref["cumulative"])
    assert list(c.lhs + c.op + c.rhs) == list(st.cumulative.lhs + st.cumulative.op + st.cumulative.rhs)
    assert np.max(np.abs(c.X2.to_numpy() - st.cumulative.X2.to_numpy())) < TOL
    assert list(st.cumulative.df) == list(c.df)


def test_correction_flags_and_types(results):
    _, st = results["scalar"]
    u = st.univariate
    # Holm over the 15 constraints: the adjusted p is at least the raw p and flags follow it
    assert (u.p_adjusted >= u.p_value - 1e-15).all()
    assert (u.flagged == (u.p_adjusted < 0.05)).all()
    assert u.loc[u.X2.idxmax(), ["lhs", "op"]].tolist() == ["x3", "~1"] and u.flagged.any()
    res = results["scalar"][0]
    only = score_tests(res, types=("intercepts",), correction="bonferroni")
    assert set(only.univariate.type) == {"intercepts"} and len(only.univariate) == 9
    # the loading constraints stay imposed: releasing only intercepts gives a smaller total
    assert only.total["X2"] < st.total["X2"] and only.total["df"] == 9
    b = only.univariate
    assert np.allclose(b.p_adjusted, np.minimum(1, 9 * b.p_value))


def test_no_constraint_is_an_error(results):
    res = fit(R["model"], pd.read_csv(REF / "holzinger_swineford.csv"), group="school")
    with pytest.raises(InputError, match="no equality constraint"):
        score_tests(res)
