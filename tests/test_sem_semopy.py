"""Independent cross-check of single-group ML fits: rsnprop.sem.fit against semopy.

semopy is a separate Python SEM implementation (its own parser, RAM matrices and optimiser),
so agreement here does not rest on the lavaan reference values that the other SEM tests use.
semopy is solved with Newton-CG (its default SLSQP stops about 1e-3 short of the optimum).

Tolerances: estimates 1e-5 absolute, standard errors 1e-4 relative, chi-square 1e-7 relative,
CFI 1e-6; degrees of freedom equal (measured: 1e-6, 1e-6, 1e-12 and 4e-9).  RMSEA is not
compared: semopy divides by N - 1 where lavaan, and so rsnprop, divide by N (0.0923 against
lavaan's 0.0921 on Holzinger-Swineford).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import semopy

from rsnprop.datasets import path as dataset_path
from rsnprop.sem import fit

MODELS = {
    "holzinger_swineford": "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
    # measurement part of Bollen's political democracy model, with correlated residuals
    "political_democracy": ("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\n"
                            "dem65 =~ y5 + y6 + y7 + y8\ny1 ~~ y5\ny2 ~~ y4 + y6\ny3 ~~ y7\n"
                            "y4 ~~ y8\ny6 ~~ y8"),
}


def _semopy_fit(model: str, data: pd.DataFrame):
    m = semopy.Model(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(data, solver="Newton-CG")
    return m, semopy.calc_stats(m)


def _match(table: pd.DataFrame, row) -> pd.Series:
    """rsnprop's row for one semopy parameter (semopy writes x1 ~ visual for visual =~ x1)."""
    if row.op == "~" and row.rval in set(table.lhs[table.op == "=~"]):
        lhs, op, rhs = row.rval, "=~", row.lval
    else:
        lhs, op, rhs = row.lval, row.op, row.rval
    sel = table[(table.op == op) & (((table.lhs == lhs) & (table.rhs == rhs))
                                    | ((table.lhs == rhs) & (table.rhs == lhs)))]
    assert len(sel) == 1, (lhs, op, rhs)
    return sel.iloc[0]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_ml_cfa_agrees_with_semopy(name):
    data = pd.read_csv(dataset_path(f"{name}.csv"))
    ours = fit(MODELS[name], data)
    theirs, stats = _semopy_fit(MODELS[name], data)
    params = theirs.inspect()
    assert len(params) == len(ours.estimates)
    est_diff, se_rel = [], []
    for _, row in params.iterrows():
        mine = _match(ours.estimates, row)
        est_diff.append(abs(mine.est - row["Estimate"]))
        if row["Std. Err"] != "-":  # fixed parameters have no standard error in semopy
            se_rel.append(abs(mine.se - float(row["Std. Err"])) / mine.se)
    assert max(est_diff) < 1e-5
    assert max(se_rel) < 1e-4
    assert int(stats["DoF"].iloc[0]) == ours.fit["df"]
    assert np.isclose(stats["chi2"].iloc[0], ours.fit["chi2"], rtol=1e-7, atol=0)
    assert abs(stats["CFI"].iloc[0] - ours.fit["cfi"]) < 1e-6


def test_the_cross_check_can_fail():
    """A model with one loading fixed differently gives different estimates: the comparison sees it."""
    data = pd.read_csv(dataset_path("holzinger_swineford.csv"))
    ours = fit(MODELS["holzinger_swineford"].replace("x1 +", "0.5*x1 +"), data)
    theirs, _ = _semopy_fit(MODELS["holzinger_swineford"], data)
    diffs = [abs(_match(ours.estimates, row).est - row["Estimate"])
             for _, row in theirs.inspect().iterrows()]
    assert max(diffs) > 1e-2
