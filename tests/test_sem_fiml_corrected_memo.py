"""The FIML-corrected robust indices keep their data-only parts (h1 and baseline: ``_h1_parts``)
on the saturated model's engine for the next model fitted to the same data; the indices of a
model fitted after another (ML and MLR, one and two groups) are those of the same model fitted
first, to the bit."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import HS_MODEL, hs_data  # noqa: E402

from rsnprop.sem import fiml, fit  # noqa: E402

ROBUST = ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust")


def _data():
    df = hs_data().copy()
    rng = np.random.default_rng(4)
    for c in ("x1", "x4", "x5", "x8"):
        df.loc[rng.random(len(df)) < 0.12, c] = np.nan
    return df


def _robust(res):
    return [res.fit[k] for k in ROBUST if k in res.fit]


@pytest.mark.parametrize("group", [None, "school"])
def test_a_second_model_on_the_same_data_has_the_indices_of_a_first(group):
    df = _data()
    other = HS_MODEL + "\nx1 ~~ x4"
    kw = dict(missing="fiml", group=group)
    fresh = {}
    for est in ("ML", "MLR"):                           # each the first model of its data
        fiml._DATA_MODELS.clear()
        fresh[est] = fit(HS_MODEL, df, estimator=est, **kw)
    fiml._DATA_MODELS.clear()
    fit(other, df, estimator="ML", **kw)               # the h1 parts computed here (V6)
    for est in ("MLR", "ML", "MLR"):                  # then read (V3 computed once, then read)
        again = fit(HS_MODEL, df, estimator=est, **kw)
        want = _robust(fresh[est])
        assert len(want) == 5 and np.isfinite(want).all()
        assert np.array_equal(_robust(again), want)
        assert again.fit["cfi_robust"] != fit(other, df, estimator=est, **kw).fit["cfi_robust"]
