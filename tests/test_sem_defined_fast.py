"""The defined parameters' rows (``defined_rows``: each expression compiled once, the labels'
parameters found once) are those of the per-evaluation lookups they replace, to the bit."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import HS_MODEL, REF, hs_data, load  # noqa: E402

from rsnprop.distributions import norm_ppf, norm_sf  # noqa: E402
from rsnprop.errors import ModelSyntaxError  # noqa: E402
from rsnprop.sem import fit  # noqa: E402
from rsnprop.sem.defined import _compile, defined_rows, evaluate_definitions, label_values  # noqa: E402


def _reference_rows(pt, theta, vcov, table, zq):
    """defined_rows before: label_values and a compile per evaluation."""

    def evaluate(values):
        env, out = dict(values), {}
        for d in pt.definitions:
            val = float(eval(_compile(d.rhs), {"__builtins__": {}, "exp": np.exp, "log": np.log,
                                                "sqrt": np.sqrt, "abs": np.abs}, env))
            env[d.lhs] = out[d.lhs] = val
        return out

    def f(t):
        return np.array(list(evaluate(label_values(pt, t)).values()))

    est = f(theta)
    J = np.zeros((len(est), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        J[:, j] = (f(tp) - f(tm)) / (2 * h)
    se = np.sqrt(np.clip(np.diag(J @ vcov @ J.T), 0, None))
    std = {col: np.array(list(evaluate(label_values(pt, theta, est_column=table[col].to_numpy()[: len(pt.rows)])).values()))
           for col in ("std_lv", "std_all")}
    with np.errstate(all="ignore"):
        z = est / se
    return est, se, z, 2 * norm_sf(np.abs(z)), std


@pytest.mark.parametrize("case", ["poldem", "hs"])
def test_defined_rows_are_the_per_evaluation_rows(case):
    if case == "poldem":
        ref = load("sem_poldem.json")
        res = fit(ref["model"], pd.read_csv(REF / "sem_poldem.csv"))
    else:
        model = HS_MODEL.replace("x2", "a*x2").replace("x3", "b*x3").replace("x5", "a*x5")
        res = fit(model + "\nab := a*b\nr := sqrt(a^2) + exp(-b) / 2\nq := ab^2 - r", hs_data())
    pt, theta, vcov, table = res._pt, res.theta, res.vcov, res.estimates
    zq = norm_ppf(0.975)
    got = defined_rows(pt, theta, vcov, table, zq)
    est, se, z, p, std = _reference_rows(pt, theta, vcov, table, zq)
    for name, want in (("est", est), ("se", se), ("z", z), ("pvalue", p), ("std_lv", std["std_lv"]),
                       ("std_all", std["std_all"])):
        assert got[name].to_numpy().tobytes() == want.tobytes(), name
    assert len(got) == len(pt.definitions) >= 2


def test_a_bad_expression_is_refused_every_time():
    values = {"a": 1.0}
    pt = type("PT", (), {"definitions": [type("D", (), {"lhs": "z", "rhs": "a.__class__"})()]})()
    for _ in range(2):
        with pytest.raises(ModelSyntaxError):
            evaluate_definitions(pt, values)
