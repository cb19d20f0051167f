"""The simulated export's frame built from its blocks is the constructor's frame (issue 21).

:func:`rsnprop.simulate.export_frame.export_frame` stacks the columns into the blocks
``pd.DataFrame`` makes; both must give the same columns (names and index type), dtypes,
values, index and block layout (dtype, columns and memory layout of each block), for the
simulator's own exports and for columns of every kind it could meet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rsnprop.simulate.study as study
from rsnprop.simulate import simulate_study
from rsnprop.simulate.export_frame import export_frame


def _blocks(df):
    return sorted((str(b.dtype), tuple(b.mgr_locs.as_array), b.values.shape,
                   getattr(b.values, "flags", None) and b.values.flags.c_contiguous)
                  for b in df._mgr.blocks)


def _same(columns):
    ref, new = pd.DataFrame(columns), export_frame(columns)
    pd.testing.assert_frame_equal(new, ref, check_exact=True)
    assert new.columns.dtype == ref.columns.dtype and type(new.index) is type(ref.index)
    assert new.dtypes.tolist() == ref.dtypes.tolist()
    assert _blocks(new) == _blocks(ref)
    assert pd.util.hash_pandas_object(new).equals(pd.util.hash_pandas_object(ref))
    return new


def test_the_simulators_exports(monkeypatch):
    seen = []

    def keep(columns):
        seen.append(dict(columns))
        return export_frame(columns)

    monkeypatch.setattr(study, "export_frame", keep)
    ins = "instruments/rsn_internationalisation.yaml"
    for n, seed, kw in [(300, 1, {}), (1, 2, {}), (7, 3, {"careless_rate": 0.5}),
                        (50, 4, {"platform": "qualtrics"}), (80, 5, {"missing_rate": 0.0})]:
        simulate_study(ins, "p1p2", n=n, seed=seed, **kw)
    assert len(seen) == 5
    for columns in seen:
        _same(columns)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_columns_of_every_kind(n):
    rng = np.random.default_rng(n)
    text = np.array(["a", None, "c", "", "e"][:n], dtype=object)
    columns = {"id": [f"R{i}" for i in range(n)], "x": rng.random(n), "k": np.arange(n),
               "flag": rng.random(n) < 0.5, "text": text, "none": np.array([None] * n, dtype=object),
               "mixed": np.array([1, "a", None, 2.5, "b"][:n], dtype=object), "y": rng.random(n),
               "ints": [int(i) for i in range(n)], "f32": rng.random(n).astype(np.float32),
               "nan": np.full(n, np.nan), "k2": np.arange(n, dtype=np.int32)}
    _same(columns)


def test_what_it_leaves_to_the_constructor():
    n = 3
    when = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", None])).to_numpy()
    for columns in ({}, {"t": when, "x": np.ones(n)}, {"c": pd.Categorical(["a", "b", "a"])},
                    {"x": np.ones((n, 1))[:, 0], "s": pd.Series([1.0, 2.0, 3.0])}):
        _same(columns)
    with pytest.raises(ValueError):
        export_frame({"x": np.ones(2), "y": np.ones(3)})


@pytest.mark.parametrize("n", [1, 2, 300])
def test_unanswered_text_columns(n):
    """An object column of None only (a text item nobody answered) is stacked with the other
    object columns as the Series would infer it; None beside NaN or a value is left to it."""
    none = np.array([None] * n, dtype=object)
    nan_none = np.array([None, np.nan] * n, dtype=object)[:n]
    columns = {"a": none, "x": np.ones(n), "obj": np.array([1] * n, dtype=object), "b": none.copy(),
               "nan_none": nan_none, "t": np.array(["u"] * n, dtype=object),
               "one": np.array([None] * (n - 1) + [0.5], dtype=object)}
    new = _same(columns)
    assert new["a"].tolist() == [None] * n and new["a"].dtype == object
