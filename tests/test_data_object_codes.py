"""A large export's text columns factorised by object identity first
(:mod:`rsnprop.data.object_codes`): the same codes, uniques and missing masks as pandas on
the whole column, and the same results from every step that uses it (the value validation,
the survey language, the skip logic, the duplicates) as the pandas path they replace."""

import decimal

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import duplicates, object_codes, skip_logic, survey_language, validate_text
from rsnprop.data.object_codes import MIN_ROWS, factorize_objects, isna_objects


def _pool(rng):
    """Distinct objects, some equal to each other (equal text in other objects, 1 == 1.0 ==
    True, NaN objects), missing values of every kind, junk."""
    base = ["a", "b", "x y", "", "NA", "n/a", "-99", "  en ", "FR", "fr-BE", "French (fr)",
            "€uro", "1 2 3", "junk!"]
    objs = [str(t) for t in base] + ["".join(list(t)) for t in base]     # equal, not identical
    objs += [None, np.nan, float("nan"), float("nan"), pd.NA, pd.NaT,
             decimal.Decimal("NaN"), 1, 1.0, True, 0, -0.0, False, 2.5, np.float64(3.0)]
    objs += [f"v{i}" for i in range(int(rng.integers(1, 300)))]
    return objs


def _column(rng, n, objs=None):
    objs = _pool(rng) if objs is None else objs
    a = np.empty(n, dtype=object)
    a[:] = [objs[i] for i in rng.integers(0, len(objs), n)]
    return a


@pytest.mark.parametrize("n", [0, 1, 5, MIN_ROWS - 1, MIN_ROWS, MIN_ROWS + 7, 150_000])
@pytest.mark.parametrize("seed", [0, 1])
def test_same_as_pandas(n, seed):
    a = _column(np.random.default_rng(seed), n)
    codes, uniq = pd.factorize(a, use_na_sentinel=True)
    got_codes, got_uniq = factorize_objects(a)
    assert got_codes.dtype == codes.dtype and np.array_equal(got_codes, codes)
    assert type(got_uniq) is type(uniq) and got_uniq.dtype == uniq.dtype
    assert len(got_uniq) == len(uniq) and all(x is y for x, y in zip(got_uniq, uniq))
    assert np.array_equal(isna_objects(a), pd.isna(a))


def test_every_object_distinct_and_views():
    rng = np.random.default_rng(3)
    a = np.array([f"id{i}" for i in rng.permutation(MIN_ROWS + 10)] + [None, "id5"], dtype=object)
    for arr in (a, a[::2], a[::-1]):            # strided and reversed views copied first
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
        got = factorize_objects(arr)
        assert np.array_equal(got[0], codes) and got[1].tolist() == uniq.tolist()
        assert np.array_equal(isna_objects(arr), pd.isna(arr))
    only_missing = np.array([None, np.nan] * MIN_ROWS, dtype=object)
    codes, uniq = factorize_objects(only_missing)
    assert (codes == -1).all() and len(uniq) == 0
    assert isna_objects(only_missing).all()


@pytest.fixture
def both_paths(monkeypatch):
    """Run a function with the identity path and with the pandas path (``MIN_ROWS`` above
    every size) and return both results."""
    modules = (object_codes, validate_text, survey_language, skip_logic, duplicates)

    def run(f, *args):
        new = f(*args)
        with monkeypatch.context() as m:
            for mod in modules:
                m.setattr(mod, "MIN_ROWS", 10**12)
            old = f(*args)
        return new, old

    return run


@pytest.mark.parametrize("n", [MIN_ROWS - 1, MIN_ROWS, 100_000])
def test_steps_same_as_pandas_path(both_paths, n):
    rng = np.random.default_rng(n)
    s = pd.Series(_column(rng, n), dtype=object)
    (u1, c1), (u0, c0) = both_paths(validate_text._distinct, s)
    assert np.array_equal(c1, c0) and [(type(x), x) for x in u1 if x is not None] == \
        [(type(x), x) for x in u0 if x is not None] and u1[-1] is None and u0[-1] is None
    (i1, t1), (i0, t0) = both_paths(survey_language._distinct_text, s)
    assert [t1[i] for i in i1] == [t0[i] for i in i0]        # the same text per row
    got, want = both_paths(survey_language.check_survey_language, s, ["en", "fr"])
    assert np.array_equal(got[0], want[0]) and got[1].equals(want[1])
    codes = got[0]
    kept = rng.random(n) < 0.7
    got, want = both_paths(survey_language.language_counts, codes, kept, ["en", "fr", "de"])
    assert got == want
    got, want = both_paths(skip_logic.notna_array, s)
    assert np.array_equal(got, want)
    (fc1, fu1), (fc0, fu0) = both_paths(skip_logic._factorize, s)
    assert np.array_equal(fc1, fc0) and list(fu1) == list(fu0)
    got, want = both_paths(skip_logic.token_mask, s, "b")
    assert np.array_equal(got, want)
    got, want = both_paths(duplicates._column_bits, s)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_duplicates_same_as_pandas_path(both_paths):
    rng = np.random.default_rng(7)
    n = MIN_ROWS + 500
    small = ["a b", "b", None, np.nan, "c", "a b"]
    items = pd.DataFrame({"x": rng.integers(0, 3, n).astype(float),
                          "m": pd.Series(_column(rng, n, small), dtype=object),
                          "t": pd.Series(_column(rng, n, small), dtype=object)})
    ids = pd.Series([f"r{i % (n - 40)}" for i in range(n)], dtype=object)
    (d1, s1), (d0, s0) = both_paths(duplicates.find_duplicates, ids, items)
    assert np.array_equal(d1, d0) and np.array_equal(s1, s0) and s1.any()


@pytest.mark.parametrize("odd", [None, "none", "nan", "int", "numpy_str", "NA", "empty"])
@pytest.mark.parametrize("n", [MIN_ROWS - 1, MIN_ROWS + 3])
def test_respondent_ids_same_as_conversion(monkeypatch, odd, n):
    """A large export's text ids taken as they are: the same ids (types and values) as the
    conversion to text that other columns and small exports take."""
    from rsnprop.data import columns

    ids = [f"B{i:07d}" for i in range(n)]
    ids[5] = {None: ids[5], "none": None, "nan": np.nan, "int": 5, "numpy_str": np.str_("x"),
              "NA": pd.NA, "empty": ""}[odd]
    df = pd.DataFrame({"resp_id": pd.Series(np.array(ids, dtype=object), dtype=object)})
    got = columns.respondent_ids(df, print)
    with monkeypatch.context() as m:
        m.setattr(columns, "MIN_ROWS", 10**12)
        want = columns.respondent_ids(df, print)
    assert got.dtype == want.dtype == object and got.index.equals(want.index)
    assert [(type(x), x) for x in got] == [(type(x), x) for x in want]
    got[0] = "changed"                      # its own array: the export is not changed
    assert df["resp_id"].iloc[0] == "B0000000"


@pytest.mark.parametrize("n_objects", [7, 4096, 4097])
def test_distinct_objects_are_the_rows_objects(n_objects):
    """Each distinct object (taken from a row of its code) is the very object the rows hold,
    sequences too; codes in order of first appearance."""
    objs = [(1, 2), (3,), [4], None, "x", 1.5, np.nan]
    objs = (objs + [[i] for i in range(n_objects)])[:n_objects]
    rng = np.random.default_rng(n_objects)
    pick = rng.integers(0, n_objects, MIN_ROWS + 100)
    pick[:n_objects] = rng.permutation(n_objects)
    a = np.empty(len(pick), dtype=object)
    for i, k in enumerate(pick.tolist()):
        a[i] = objs[k]
    codes, distinct = object_codes.distinct_objects(a)
    assert len(distinct) == n_objects
    assert all(distinct[c] is x for c, x in zip(codes.tolist(), a.tolist()))
    assert [id(x) for x in distinct] == list(dict.fromkeys(id(x) for x in a))
    assert np.array_equal(isna_objects(a), pd.isna(a))
