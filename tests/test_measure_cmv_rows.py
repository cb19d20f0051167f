"""The common latent factor's rows read the standardised loadings from one pass over each
estimates table (issue 21: the study rebuild): the values of selecting each (factor, item) pair's
rows and reading the first one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rsnprop.datasets import holzinger_swineford
from rsnprop.measure import cmv


def _std_by_selection(est, f, i):
    m = est[(est["lhs"] == f) & (est["op"] == "=~") & (est["rhs"] == i)]
    return float(m["std_all"].iloc[0]) if len(m) else float("nan")


def _rows_by_selection(eb, ec, constructs, name, delta):
    rows = []
    for f, its in constructs.items():
        for i in its:
            sb, sc, sm = _std_by_selection(eb, f, i), _std_by_selection(ec, f, i), _std_by_selection(ec, name, i)
            rows.append({"construct": f, "item": i, "std_base": sb, "std_clf": sc, "method_loading": sm,
                         "delta": sb - sc, "flagged": bool(abs(sb - sc) > delta)})
    return rows


def _same(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert ra.keys() == rb.keys()
        for k in ra:
            x, y = ra[k], rb[k]
            assert (isinstance(x, float) and math.isnan(x) and math.isnan(y)) or x == y, k


def test_rows_of_a_fitted_common_latent_factor():
    from rsnprop.measure.construct_validity import fit_cfa

    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    d = holzinger_swineford()
    constructs = cmv.parse_measurement(model)
    items = [i for f in constructs for i in constructs[f]]
    base = fit_cfa(model, d[items])
    clf = fit_cfa(model + "\nCMV =~ " + " + ".join(f"1*{i}" for i in items)
                  + "".join(f"\nCMV ~~ 0*{f}" for f in constructs), d[items])
    got = cmv._loading_changes(base.estimates, clf.estimates, constructs, "CMV", 0.2)
    _same(got, _rows_by_selection(base.estimates, clf.estimates, constructs, "CMV", 0.2))
    assert not any(math.isnan(r["method_loading"]) for r in got)


def test_first_row_of_a_pair_and_missing_pairs():
    est = pd.DataFrame({"lhs": ["F", "F", "F", "M", "F", "x1"], "op": ["=~", "=~", "~~", "=~", "=~", "~~"],
                        "rhs": ["x1", "x2", "x1", "x1", "x1", "x1"],
                        "std_all": [0.5, np.nan, 9.0, -0.25, 0.75, 1.0], "group": [1, 1, 1, 1, 2, 1]})
    constructs = {"F": ["x1", "x2", "x3"]}
    got = cmv._loading_changes(est, est, constructs, "M", 0.1)
    _same(got, _rows_by_selection(est, est, constructs, "M", 0.1))
    assert got[0]["std_base"] == 0.5 and math.isnan(got[2]["std_clf"]) and got[0]["method_loading"] == -0.25
