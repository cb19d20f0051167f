"""The small clean's text shortcuts (eighth round of issue 21), each against what it
replaces: a pyarrow string column factorised without pandas' wrappers
(``validate_text._arrow_factorize`` against ``pd.factorize``), the ``select_multiple``
indicators from each answer's tokens (``analysis_data._option_hits`` against one
membership test per answer and option)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from rsnprop.data.analysis_data import _option_hits
from rsnprop.data.validate_text import _arrow_factorize, _distinct

POOL = ["a", "b", "", "A", " a", "é", "NA", "x y", "1", "1.0", "nan", "a b", "b a"]


def strings(rng, n):
    return [None if rng.random() < 0.2 else POOL[rng.integers(len(POOL))] for _ in range(n)]


def arrow_series(vals, chunks):
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if chunks == 1:
        return pd.Series(vals, dtype=dtype)
    cut = np.linspace(0, len(vals), chunks + 1).astype(int)
    ca = pa.chunked_array([pa.array(vals[a:b], pa.large_string())
                           for a, b in zip(cut[:-1], cut[1:])], pa.large_string())
    return pd.Series(pd.array(ca, dtype=dtype))


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_arrow_factorize_equals_pandas(chunks):
    rng = np.random.default_rng(chunks)
    for n in list(range(1, 12)) + [50, 300]:
        s = arrow_series(strings(rng, n), chunks if n >= chunks else 1)
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        got_codes, got_uniq = _arrow_factorize(s.array)
        assert got_codes.dtype == np.intp
        np.testing.assert_array_equal(got_codes, np.asarray(codes))
        assert got_uniq == [str(u) for u in uniq.tolist()]


def test_distinct_of_arrow_text_equals_its_object_image():
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 40, 300):
        vals = strings(rng, n)
        s = pd.Series(vals, dtype="str")
        want = _distinct(s.astype(object))
        got = _distinct(s)
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])
    assert _distinct(pd.Series([None, None], dtype="str"))[0] == [None]


def option_hits_by_loop(uniq, choices):
    toks = [set(str(u).split(" ")) for u in uniq]
    return np.column_stack([np.array([float(str(code) in t) for t in toks] + [np.nan])
                            for code in choices]) if choices else np.empty((len(uniq) + 1, 0))


@pytest.mark.parametrize("choices", [["a", "b", "x"], [1, "1", 2], [], ["y", "A", "nan"]])
def test_option_hits_equal_a_test_per_answer_and_option(choices):
    rng = np.random.default_rng(len(choices))
    for n in (0, 1, 5, 40):
        uniq = list(dict.fromkeys(v for v in strings(rng, n) if v is not None))
        got = _option_hits(uniq, choices)
        want = option_hits_by_loop(uniq, choices)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
