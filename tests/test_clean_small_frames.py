"""The frames of a small clean built from their blocks (ninth round of issue 21): each
against the pandas construction it replaces, with the block layout."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rsnprop.data.eligibility import _criteria_frame, check_eligibility, screen_eligibility
from rsnprop.data.log import Findings
from rsnprop.data.rules import CleaningRules
from rsnprop.data.skip_logic import apply_skip_logic
from rsnprop.data.small_frames import frame_of_columns
from rsnprop.data.validate_small import validate_items_small
from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study


def layout(df):
    """Each block's dtype, columns, array type and memory order."""
    return [(str(b.dtype), b.mgr_locs.as_array.tolist(), type(b.values).__name__,
             getattr(getattr(b.values, "flags", None), "c_contiguous", None),
             getattr(getattr(b.values, "flags", None), "f_contiguous", None))
            for b in df._mgr.blocks]


def assert_same_frame(a, b):
    assert list(a.columns) == list(b.columns) and a.columns.dtype == b.columns.dtype
    pd.testing.assert_index_equal(a.index, b.index, exact=True)
    assert list(map(str, a.dtypes)) == list(map(str, b.dtypes))
    assert a.equals(b)
    assert layout(a) == layout(b)


def random_columns(rng, n):
    cols = {"row": np.arange(1, n + 1), "flag": rng.random(n) < 0.5,
            "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "k": rng.integers(0, 5, n), "u": rng.integers(0, 5, n).astype(np.uint8),
            "f32": rng.random(n).astype(np.float32)}
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    ids[rng.random(n) < 0.3] = None
    cols["id"] = ids
    cols["mixed"] = np.array([1, "a", None, 2.5][:1] * n, dtype=object)
    cols["mixed"][: n // 2] = "a"
    cols["none"] = np.array([None] * n, dtype=object)
    cols["when"] = np.arange(n).astype("datetime64[s]")
    return cols


@pytest.mark.parametrize("n", [1, 2, 3, 300])
@pytest.mark.parametrize("seed", [0, 1])
def test_frame_of_columns_is_the_constructor(n, seed):
    cols = random_columns(np.random.default_rng(seed), n)
    got = frame_of_columns(dict(cols), n)
    assert_same_frame(got, pd.DataFrame(dict(cols), copy=False))
    # the numeric columns are views of the arrays, as the constructor keeps them
    assert np.shares_memory(got["x"].to_numpy(), cols["x"])
    # any column set in the order given
    keys = list(cols)[::-1]
    assert_same_frame(frame_of_columns({k: cols[k] for k in keys}, n),
                      pd.DataFrame({k: cols[k] for k in keys}, copy=False))


def test_frame_of_columns_falls_back():
    for cols, n in (({"a": [1, 2]}, 2), ({1: np.zeros(2)}, 2),
                    ({"a": np.zeros(3)}, 3), ({}, 0)):
        assert_same_frame(frame_of_columns(dict(cols), n), pd.DataFrame(dict(cols), copy=False))


@pytest.mark.parametrize("n", [1, 5, 300])
def test_criteria_frame_and_columns(n):
    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    raw = simulate_study(ins, "p1p2", n=n, seed=n)
    rules = CleaningRules()
    cols = [c for c in raw.columns if c in ins.items]
    values, _, _ = validate_items_small(raw, ins, rules, cols)
    found = Findings()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        routing = apply_skip_logic(values, ins, found)
        ref = check_eligibility(values, ins, rules.eligibility, routed=routing.routed)
        sample = screen_eligibility(values, ins, rules, routing, np.ones(n), np.zeros(n, bool),
                                    found)
    assert sample.elig.equals(ref) and list(sample.elig.columns) == list(ref.columns)
    assert list(map(str, sample.elig.dtypes)) == list(map(str, ref.dtypes))
    for c, a in sample.columns().items():
        np.testing.assert_array_equal(a, ref[c].to_numpy())
    # another index: the constructor's frame
    idx = pd.RangeIndex(1, n + 1)
    assert_same_frame(_criteria_frame(sample.criteria, idx),
                      pd.DataFrame(sample.criteria, index=idx))



def pieces(rng, n):
    """Frames as the analysis frame's assembly meets them: a str column, an object block,
    float blocks (column- and row-major), a mixed frame."""
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    a = pd.DataFrame({"resp_id": ids})
    b = pd.DataFrame(np.asfortranarray(rng.normal(size=(n, 3))), columns=["x", "y", "z"],
                     copy=False)
    c = pd.DataFrame(np.array([["u", None]] * n, dtype=object), columns=["t1", "t2"],
                     dtype=object)
    d = pd.DataFrame({"f": rng.random(n), "s": ids, "g": rng.random(n), "i": np.arange(n)})
    e = pd.DataFrame(rng.normal(size=(n, 2)), columns=["p", "q"])
    return [a, b, c, d, e]


@pytest.mark.parametrize("n", [1, 2, 300])
def test_concat_columns_is_pandas_concat(n):
    from rsnprop.data.small_frames import concat_columns

    frames = pieces(np.random.default_rng(n), n)
    assert_same_frame(concat_columns(frames, n), pd.concat(frames, axis=1).reset_index(drop=True))
    # another index, names not text: pandas' own concatenation
    moved = [f.set_axis(pd.RangeIndex(5, 5 + n)) for f in frames]
    assert_same_frame(concat_columns(moved, n), pd.concat(moved, axis=1).reset_index(drop=True))
    odd = frames + [pd.DataFrame({1: np.zeros(n)})]
    assert_same_frame(concat_columns(odd, n), pd.concat(odd, axis=1).reset_index(drop=True))


@pytest.mark.parametrize("n", [1, 2, 300])
@pytest.mark.parametrize("first", ["num", "text"])
def test_frame_in_order_is_concat_then_take(n, first):
    from rsnprop.data.small_frames import frame_in_order

    rng = np.random.default_rng(n)
    num = ["x", "y", "z", "w"]
    others = ["t1", "t2"]
    block = np.asfortranarray(rng.normal(size=(n, 4)))
    obj = np.asfortranarray(np.array([["u", None]] * n, dtype=object))
    # each part's names in the order of ``columns`` (as the kept rows take them)
    columns = ["x", "t1", "y", "z", "t2", "w"] if first == "num" else \
        ["t1", "x", "y", "t2", "z", "w"]
    both = pd.concat([pd.DataFrame(block, columns=num, copy=False),
                      pd.DataFrame(obj, columns=others, dtype=object, copy=False)], axis=1)
    at = {c: i for i, c in enumerate(both.columns.tolist())}
    ref = both.take([at[c] for c in columns], axis=1)
    assert_same_frame(frame_in_order([(block, num), (obj, others)], columns, n), ref)


@pytest.mark.parametrize("n", [1, 2, 300])
def test_export_floats_is_the_pandas_read(n):
    from rsnprop.data.validate_small import _export_floats, columns_array

    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, 4))
    x[rng.random((n, 4)) < 0.2] = np.nan
    x[0, 0] = -0.0
    df = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    df["i"] = rng.integers(-5, 5, n)
    df["u"] = rng.integers(0, 2**63, n, dtype=np.uint64)
    df["s"] = "t"
    df["f32"] = rng.random(n).astype(np.float32)
    df["e"] = rng.random(n)
    df["big"] = np.int64(2**53 + 1)
    for cols in (["d", "i", "a", "u", "e", "f32", "big"], ["e"], ["i"], []):
        got = _export_floats(df, cols)
        ref = df.take([df.columns.get_loc(c) for c in cols], axis=1).to_numpy(
            dtype="float64", na_value=np.nan)
        assert got.dtype == np.float64 and got.shape == ref.shape
        np.testing.assert_array_equal(got.view(np.uint64), ref.view(np.uint64))
    ea = df.astype({"i": "Int64"})       # a pandas array: the pandas read
    np.testing.assert_array_equal(_export_floats(ea, ["a", "i"]), columns_array(ea, ["a", "i"]))


@pytest.mark.parametrize("n", [1, 2, 300])
@pytest.mark.parametrize("k, t", [(3, 2), (3, 0), (0, 2)])
def test_values_frame_is_the_concatenation(n, k, t):
    from rsnprop.data.validate_small import _values_frame

    rng = np.random.default_rng(n + k + t)
    floats = np.asfortranarray(rng.normal(size=(n, 5)))[:, :k]
    obj = np.asfortranarray(np.array([["a", None, 1.5]] * n, dtype=object)[:, :t])
    num, text = ["x", "y", "z"][:k], ["s", "t"][:t]
    idx = pd.RangeIndex(n)
    ref = pd.DataFrame(floats, columns=num, index=idx, copy=False)
    if text:
        ref = pd.concat([ref, pd.DataFrame(obj, columns=text, index=idx, dtype=object,
                                           copy=False)], axis=1)
    got = _values_frame(floats, num, obj, text, idx)
    assert_same_frame(got, ref)
    assert k == 0 or np.shares_memory(got[num[0]].to_numpy(), floats)
    other = pd.RangeIndex(1, n + 1)       # another index: the concatenation itself
    assert _values_frame(floats, num, obj, text, other).index.equals(other)


def with_duplicates(raw, seed):
    """``raw`` with later copies of some rows: exact, with -0.0 for 0.0, under another id,
    mostly unanswered copies, and near copies (one answer changed)."""
    rng = np.random.default_rng(seed)
    raw = raw.copy()
    n = len(raw)
    src = rng.choice(n, size=max(1, n // 5))
    dst = rng.choice(n, size=len(src))
    for k, (a, b) in enumerate(zip(src.tolist(), dst.tolist())):
        if a >= b:
            continue
        raw.iloc[b] = raw.iloc[a]
        if k % 4 == 1:
            raw.loc[b, "resp_id"] = f"other{k}"
        elif k % 4 == 2:
            c = rng.choice([c for c in raw.columns if raw[c].dtype == np.float64])
            raw.loc[b, c] = 1.0 + np.nan_to_num(raw.loc[b, c])
        elif k % 4 == 3:          # -0.0 where the first copy has 0.0: the same answer
            raw.loc[a, "foreign_share_now"], raw.loc[b, "foreign_share_now"] = 0.0, -0.0
    if n > 4:
        raw.iloc[3, 2:] = np.nan
        raw.iloc[4, 2:] = np.nan
    return raw


@pytest.mark.parametrize("n", [1, 2, 5, 60, 300])
@pytest.mark.parametrize("seed", [1, 2])
def test_duplicates_small_against_row_keys(monkeypatch, n, seed):
    from rsnprop.data import duplicates
    from rsnprop.data.columns import respondent_ids

    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    raw = with_duplicates(simulate_study(ins, "p1p2", n=n, seed=seed), seed)
    cols = [c for c in raw.columns if c in ins.items]
    values, _, _ = validate_items_small(raw, ins, CleaningRules(), cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = respondent_ids(raw, lambda m: None)
    cases = [list(values.columns), [c for c in values.columns if values[c].dtype == object],
             [c for c in values.columns if values[c].dtype != object][:5]]
    got = [duplicates.find_duplicates(ids, values, c) for c in cases]
    monkeypatch.setattr(duplicates, "SMALL_ROWS", 0)
    ref = [duplicates.find_duplicates(ids, values, c) for c in cases]
    for (a1, a2), (b1, b2) in zip(got, ref):
        np.testing.assert_array_equal(a1, b1)
        np.testing.assert_array_equal(a2, b2)
    assert n < 60 or any(r[1].any() for r in ref)          # duplicates were met


@pytest.mark.parametrize("n", [1, 60, 300])
@pytest.mark.parametrize("bad", [False, True])
def test_problem_rows_are_the_table_rows(n, bad):
    from test_clean_small_block import hostile

    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    raw = simulate_study(ins, "p1p2", n=n, seed=n, invalid_rate=0.1)
    raw = hostile(raw, n) if bad else raw
    cols = [c for c in raw.columns if c in ins.items]
    rules = CleaningRules()
    values, table, recodes = validate_items_small(raw, ins, rules, cols)
    values2, rows, recodes2 = validate_items_small(raw, ins, rules, cols, table=False)
    assert values.equals(values2) and recodes == recodes2
    assert len(rows) == len(table)
    np.testing.assert_array_equal(rows.rows, table["row"].to_numpy())
    assert n < 60 or len(table)


@pytest.mark.parametrize("n", [1, 60, 300])
def test_answered_block_is_notna(n):
    from test_clean_small_block import hostile

    from rsnprop.data.validate_small import answered_block

    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    raw = hostile(simulate_study(ins, "p1p2", n=n, seed=n, missing_rate=0.2), n)
    cols = [c for c in raw.columns if c in ins.items]
    values, _, _ = validate_items_small(raw, ins, CleaningRules(), cols)
    got = answered_block(values)
    assert got.flags.f_contiguous and got.dtype == bool
    np.testing.assert_array_equal(got, values.notna().to_numpy())
    text = [c for c in values.columns if values[c].dtype == object]
    assert not values[text].notna().to_numpy().all()      # missing text answers were met
    values["extra"] = np.nan                               # another column: through pandas
    np.testing.assert_array_equal(answered_block(values), values.notna().to_numpy())


@pytest.mark.parametrize("n", [1, 2, 300])
def test_not_a_choice_is_isin(n):
    from rsnprop.data.validate_small import _not_a_choice

    rng = np.random.default_rng(n)
    allowed = [np.array([1.0, 2.0]), np.array([]), np.array([0.0, 3.0, 5.0, 7.0]),
               np.array([-99.0]), np.array([1.5, 2.0, 2.5])]
    sub = rng.integers(-1, 8, (n, len(allowed))).astype(float)
    sub[rng.random(sub.shape) < 0.2] = np.nan
    sub[rng.random(sub.shape) < 0.1] = -0.0
    sub[0, 4] = 2.5
    ref = np.column_stack([~np.isin(sub[:, k], a) & ~np.isnan(sub[:, k])
                           for k, a in enumerate(allowed)])
    np.testing.assert_array_equal(_not_a_choice(sub, allowed), ref)
