"""The export frame's text columns built by pyarrow directly are the arrays a Series infers
(:func:`rsnprop.simulate.export_frame._text_array`): every kind of text column gives the
constructor's frame, and the fast path is taken only where the Series would make pandas'
pyarrow ``str`` array."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.simulate import export_frame as ef


def _blocks(df):
    return sorted((str(b.dtype), tuple(b.mgr_locs.as_array), b.values.shape,
                   getattr(b.values, "flags", None) and b.values.flags.c_contiguous)
                  for b in df._mgr.blocks)


def _same(columns):
    """export_frame(columns) is pd.DataFrame(columns): values, dtypes, blocks, arrays."""
    ref, new = pd.DataFrame(columns), ef.export_frame(columns)
    pd.testing.assert_frame_equal(new, ref, check_exact=True)
    assert new.dtypes.tolist() == ref.dtypes.tolist() and _blocks(new) == _blocks(ref)
    for c in ref.columns:
        a, b = new[c].array, ref[c].array
        assert type(a) is type(b), c
        if hasattr(b, "_pa_array"):
            assert a._pa_array.equals(b._pa_array) and a._pa_array.num_chunks == b._pa_array.num_chunks
            assert a._pa_array.type == b._pa_array.type

N = 6

TEXT = {
    "plain": [f"R{i:03d}" for i in range(N)],
    "none": ["a", None, "c", None, "", "f"],
    "nan": ["a", float("nan"), "c", "d", "e", None],
    "object_array": np.array(["x", None, "y", "z", "é", "日本"], dtype=object),
    "np_nan": np.array(["x", np.nan, "y", "z", "w", "v"], dtype=object),
    "np_float64_nan": ["x", np.float64("nan"), "y", "z", "w", "v"],
    "pd_na": ["x", pd.NA, "y", "z", "w", "v"],
    "np_str": [np.str_("x"), "y", "z", "w", "v", "u"],
    "all_none": [None] * N,
    "all_nan": [float("nan")] * N,
    "mixed_number": ["x", 1, "y", "z", "w", "v"],
    "mixed_float": ["x", 2.5, "y", "z", "w", "v"],
    "bytes": [b"x", "y", "z", "w", "v", "u"],
    "bool": ["x", True, "y", "z", "w", "v"],
    "surrogate": ["x", "\udcff", "y", "z", "w", "v"],
    "long": ["a" * 5000, "b", "", " ", "\n", "\x00"],
}


@pytest.mark.parametrize("name", sorted(TEXT))
def test_each_kind_of_text_column_is_the_constructors(name):
    rng = np.random.default_rng(3)
    columns = {"id": TEXT["plain"], "x": rng.random(N), name: TEXT[name], "k": np.arange(N),
               "y": rng.random(N)}
    if name == "surrogate":          # not UTF-8: the constructor refuses it, and so does export_frame
        with pytest.raises(UnicodeEncodeError):
            pd.DataFrame(columns)
        with pytest.raises(UnicodeEncodeError):
            ef.export_frame(columns)
        return
    _same(columns)


def test_the_fast_path_is_taken_only_for_str_and_missing_values():
    dtype = ef._text_dtype()
    assert dtype is not None and str(dtype) == "str"
    for name in ("plain", "none", "nan", "object_array", "np_nan", "long"):
        arr = ef._text_array(TEXT[name], dtype)
        assert arr is not None, name
        ref = pd.Series(TEXT[name]).array
        assert type(arr) is type(ref) and arr.dtype == ref.dtype
        assert arr._pa_array.equals(ref._pa_array) and arr._pa_array.num_chunks == ref._pa_array.num_chunks
    for name in ("np_float64_nan", "pd_na", "np_str", "all_none", "all_nan", "mixed_number", "mixed_float",
                 "bytes", "bool", "surrogate"):
        assert ef._text_array(TEXT[name], dtype) is None, name
    assert ef._text_array(TEXT["plain"], None) is None


def test_without_pandas_pyarrow_strings_the_series_decides():
    with pd.option_context("mode.string_storage", "python"):
        assert ef._text_dtype() is None
        _same({"id": TEXT["plain"], "t": TEXT["none"], "x": np.ones(N)})
