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


def _holm(p):
    p = np.asarray(p, float)
    order = np.argsort(p)
    adj = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    out = np.empty_like(p)
    out[order] = np.minimum(1, adj)
    return out


def test_invariance_score_rule_follows_lavaan_numbers():
    """invariance(rule="score", locate="score") on HS: the scalar step fails and x3, then x7
    intercepts are freed; with lavaan's univariate tests (intercepts only, Holm) the scalar
    model flags x3 first and the model with x3 and x7 freed flags nothing."""
    from rsnprop.datasets import holzinger_swineford
    from rsnprop.sem import invariance

    inv = invariance(R["model"], holzinger_swineford(), "school", levels=("configural", "metric", "scalar"),
                     rule="score", partial_search=True, locate="score")
    steps = {s["name"]: s for s in inv.steps}
    assert steps["metric"]["held"] and not steps["scalar"]["held"]
    assert steps["partial_scalar"]["freed"] == ["x3~1", "x7~1"] and inv.level == "partial_scalar"
    for key, n_flagged in (("scalar", None), ("scalar_partial", 0)):
        u = pd.DataFrame(R[key]["univariate"])
        u = u[u.op == "~1"]
        flagged = u[_holm(u.p_value) < 0.05]
        if n_flagged is None:
            assert u.loc[u.X2.idxmax(), "lhs"] == "x3" and len(flagged) >= 1
        else:
            assert len(flagged) == n_flagged
    ours = pd.DataFrame(steps["scalar"]["score_tests"]["univariate"])
    assert ours.loc[ours.X2.idxmax(), "lhs"] == "x3" and ours.flagged.any()
    ours_p = pd.DataFrame(steps["partial_scalar"]["score_tests"]["univariate"])
    assert len(ours_p) == 7 and not ours_p.flagged.any()
    with pytest.raises(InputError, match="locate"):
        invariance(R["model"], holzinger_swineford(), "school", locate="nope")
    with pytest.raises(InputError, match="unknown correction") as e:
        invariance(R["model"], holzinger_swineford(), "school", rule="score", correction="tukey")
    assert e.value.parameter == "correction"


def test_cli_rule_score_and_bad_correction(tmp_path):
    import subprocess
    import sys

    args = [sys.executable, "-m", "rsnprop", "invariance", str(REF / "holzinger_swineford.csv"),
            "--model", R["model"], "--group", "school", "--levels", "configural,metric,scalar",
            "--rule", "score", "--partial", "--locate", "score", "--json"]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["level"] == "partial_scalar" and d["steps"][-1]["freed"] == ["x3~1", "x7~1"]
    r = subprocess.run(args[:-1] + ["--correction", "tukey"], capture_output=True, text=True)
    assert r.returncode == 2 and "correction" in r.stderr and "Traceback" not in r.stderr
