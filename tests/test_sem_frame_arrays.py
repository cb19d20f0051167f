"""The groups' arrays from a frame's kept array (:mod:`rsnprop.sem.frame_arrays`) are those of
:func:`rsnprop.sem.data.prepare_data` (the same bits, rows, layout), or not given."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from rsnprop.sem import frame_arrays as fa
from rsnprop.sem.data import prepare_data


def _frame(rng, n, case):
    cols = ["a", "b", "c", "d"]
    x = rng.normal(size=(n, 4))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:3] = np.nan                                          # rows without a value
    g = rng.integers(0, 2, size=n).astype(float)
    if case == "unsorted_labels":
        g = np.where(g == 0, 7.0, 3.0)                      # first appearance is not sorted order
    elif case == "nan_group":
        g[rng.random(n) < 0.2] = np.nan
    elif case == "one_group":
        g[:] = 1.0
    elif case == "tiny_group":
        g[:] = 0.0
        g[5] = 1.0
    elif case == "n2":
        x, g = x[3:5], np.array([0.0, 1.0])
    frame = pd.DataFrame({**dict(zip(cols, x.T)), "grp": g})
    return frame, cols, x, g


@pytest.mark.parametrize("case", ["plain", "unsorted_labels", "nan_group", "one_group", "tiny_group", "n2"])
@pytest.mark.parametrize("missing", ["fiml", "listwise"])
def test_frame_arrays_are_prepare_data(case, missing):
    rng = np.random.default_rng(len(case))
    frame, cols, x, g = _frame(rng, 40, case)
    fa.keep_frame_arrays(frame, cols, x, "grp", g)
    variables = ["c", "a", "d"]                             # another order, a column left out
    got = fa.frame_arrays(frame, variables, "grp", missing)
    try:
        ref = prepare_data(frame, variables, group="grp", missing=missing)
    except Exception:                                       # prepare_data's error: not answered here
        assert got is None
        return
    assert got is not None
    arrays, labels, n_dropped, totals = got
    codes, uniques = pd.factorize(frame["grp"], use_na_sentinel=True)     # api._sample_sizes' counts
    counts = np.bincount(np.asarray(codes)[np.asarray(codes) >= 0], minlength=len(uniques))
    ref_totals = dict(zip([u.item() if hasattr(u, "item") else u for u in uniques], (int(c) for c in counts)))
    assert totals == ref_totals and list(totals) == list(ref_totals)
    assert all(type(k) is type(r) and type(v) is int for (k, v), r in zip(totals.items(), ref_totals))
    assert labels == ref[1] and [type(v) for v in labels] == [type(v) for v in ref[1]]
    assert n_dropped == ref[2]
    for a, b in zip(arrays, ref[0]):
        assert a.shape == b.shape and a.flags.c_contiguous == b.flags.c_contiguous
        assert np.array_equal(a.view(np.int64), b.view(np.int64))     # the bits, NaN included


def test_frame_arrays_only_for_the_kept_frame_and_group():
    rng = np.random.default_rng(1)
    frame, cols, x, g = _frame(rng, 30, "plain")
    fa.keep_frame_arrays(frame, cols, x, "grp", g)
    assert fa.frame_arrays(frame.copy(), cols, "grp", "fiml") is None   # another frame
    assert fa.frame_arrays(frame, cols, "other", "fiml") is None         # another group column
    assert fa.frame_arrays(frame, cols + ["e"], "grp", "fiml") is None   # a variable not kept
    assert fa.frame_arrays(frame, cols, "grp", "auto") is None
    key = id(frame)
    del frame
    gc.collect()
    assert key not in fa._KEPT                                           # ends with its frame
