"""The imputed data sets kept as arrays (issue 21: the study rebuild): ``imputed_values`` and
``completed_frame`` give the frames of ``multiple_imputation`` (block layout included), an
imputation's frame is built only when read, and its benefit scores are taken from its array with
pandas' arithmetic of ``d[its].mean(axis=1)`` (the columns added block by block), to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.data.missing import completed_frame, imputed_values, multiple_imputation
from rsnprop.propositions import StudyPlan
from rsnprop.propositions import imputation as imp_module
from rsnprop.propositions.imputation import _row_sum_order, row_mean_of_columns
from rsnprop.propositions.synthetic import synthetic_clean


def _layout(d):
    return [(str(b.dtype), b.mgr_locs.as_array.tolist()) for b in d._mgr.blocks]


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(np.round(rng.normal(4, 1.5, (n, 7))), columns=[f"i{j}" for j in range(7)])
    x = x.mask(rng.random((n, 7)) < 0.15)
    x["_bg"] = rng.integers(0, 2, n).astype(float)
    return x


@pytest.mark.parametrize("seed", [1, 2])
def test_imputed_values_are_the_frames_of_multiple_imputation(seed):
    x = _frame(90, seed)
    kw = dict(m=3, seed=seed, bounds={f"i{j}": (1.0, 7.0) for j in range(7)})
    frames = multiple_imputation(x, columns=list(x.columns), **kw)
    cols, values = imputed_values(x, columns=list(x.columns), **kw)
    for d, y in zip(frames, values):
        built = completed_frame(x, cols, y)
        pd.testing.assert_frame_equal(built, d, check_exact=True)
        assert _layout(built) == _layout(d)


@pytest.mark.parametrize("positions", [[0, 1, 2], [4, 2, 6, 0], [6, 5], [3, 1, 5, 7, 0, 2, 4, 6]])
def test_row_means_are_pandas_row_means_to_the_bit(positions):
    rng = np.random.default_rng(len(positions))
    x = _frame(200, 4)
    y = x.to_numpy() + rng.normal(0, 1e-3, x.shape)
    y[rng.random(y.shape) < 0.2] = np.nan
    y[5, :] = np.nan                                        # a row without a value
    y[6, :] = -0.0
    y[7, positions[0]] = -0.0
    d = completed_frame(x, list(x.columns), y)
    pos = np.asarray(positions)
    want = d.take(pos, axis=1).mean(axis=1).to_numpy()
    order = _row_sum_order(d, pos)
    assert order is not None and sorted(order) == sorted(positions)
    assert row_mean_of_columns(y, order).tobytes() == want.tobytes()


def test_other_layouts_are_left_to_pandas():
    x = pd.DataFrame(np.ones((4, 3)), columns=list("abc"))        # one block of three columns
    assert _row_sum_order(x, np.array([0, 2])) is None
    assert _row_sum_order(x.assign(d=np.arange(4)), np.array([3])) is None


def _data(n, seed):
    df = synthetic_clean(n, "p1p2", 0.4, seed=seed, missing_rate=0.08, n_rel=4, n_inf=5)
    rng = np.random.default_rng(seed)
    for j in (1, 2, 3):
        df[f"rsk_{j}"] = np.where(rng.random(n) < 0.05, np.nan, df[f"inf_{j}"] + rng.integers(-1, 2, n))
    df["score_risk_reduction"] = df[["rsk_1", "rsk_2", "rsk_3"]].mean(axis=1)
    return df


@pytest.mark.parametrize("benefits", [None, {"relational": ["relational"],
                                             "informational": ["informational", "risk_reduction"]}])
def test_scores_and_data_sets_are_those_of_the_built_frames(benefits, monkeypatch):
    plan = StudyPlan(name="x", missing="multiple_imputation", imputation={"m": 4, "seed": 2},
                     **({"benefits": benefits} if benefits else {}))
    df = _data(160, 3)
    imputed = imp_module._impute(df, plan)
    assert imputed.imps._built.keys() == {0}                # only the first frame is built
    for i in range(4):
        got = imputed._scores(i)
        d = imputed.imps[i]                                 # the frame, as multiple_imputation's
        for c, its in imputed.items.items():
            assert got[f"score_{c}"].tobytes() == d[its].mean(axis=1).to_numpy().tobytes()
    fast = [imputed.dataset(i) for i in range(4)]
    monkeypatch.setattr(imp_module, "_Frames", tuple)       # the frames' path of the old code
    frames = [imputed.imps[i] for i in range(4)]
    slow = imp_module._Imputed(imputed.sub, frames, imputed.items, imputed.info)
    for i in range(4):
        pd.testing.assert_frame_equal(fast[i], slow.dataset(i), check_exact=True)
        assert [a.tobytes() for a in slow.benefit_scores(i, plan)] == \
               [a.tobytes() for a in imputed.benefit_scores(i, plan)]
