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

from rsnprop.data.analysis_data import _option_hits, _select_multiple_indicators
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


@pytest.fixture(scope="module")
def ins():
    from rsnprop.instrument import load_instrument

    return load_instrument("instruments/rsn_internationalisation.yaml")


def numeric_frame(ins, n, seed):
    """Every numeric item as a column of valid answers, out-of-range values, fractions,
    missing-value codes, infinities, codes not among the choices and NaN; some int64."""
    from rsnprop.data.validate_small import _is_numeric_item

    rng = np.random.default_rng(seed)
    cols = [c for c, it in ins.items.items()
            if _is_numeric_item(it) and it.type != "select_multiple"]
    out = {}
    for c in cols:
        it = ins.items[c]
        lo = getattr(getattr(it, "scale", None), "min", 0) or 0
        hi = getattr(getattr(it, "scale", None), "max", 10) or 10
        pool = [lo, hi, (lo + hi) // 2, lo - 1, hi + 1, 2.5, -99, -9, 99, 999, -0.0,
                np.inf, -np.inf, np.nan, np.nan]
        pool += [float(k) for k in (getattr(it, "choices", {}) or {})][:3]
        p = np.full(len(pool), 0.02)
        p[:3] = 0.25 if rng.random() < 0.5 else 0.05
        p /= p.sum()
        x = rng.choice(np.array(pool, dtype=float), size=n, p=p)
        if rng.random() < 0.2 and np.isfinite(x).all() and (x == np.round(x)).all():
            out[c] = x.astype(np.int64)
        else:
            out[c] = x
    return pd.DataFrame(out), cols


@pytest.mark.parametrize("n", [1, 2, 3, 40, 300])
@pytest.mark.parametrize("tokens", [None, ("-99", "99", "nan", "-0", "inf", "NA")])
def test_suspect_columns_checked_together_equal_column_by_column(ins, n, tokens):
    from rsnprop.data.rules import CleaningRules
    from rsnprop.data.validate import validate_items
    from rsnprop.data.validate_small import validate_items_small

    rules = CleaningRules() if tokens is None else CleaningRules(missing_tokens=list(tokens))
    for seed in range(4):
        df, cols = numeric_frame(ins, n, seed + 10 * n)
        got = validate_items_small(df, ins, rules, cols)
        want = validate_items(df, ins, rules, cols)
        assert got[0].equals(want[0]) and list(got[0].columns) == list(want[0].columns)
        pd.testing.assert_frame_equal(got[1], want[1])
        assert got[2] == want[2]
        if n == 300:
            assert len(got[1]) and got[2], "the case has problems and recodes to compare"


def layout(frame):
    """Each block's dtype, columns and memory order (what later sums may depend on)."""
    return sorted((str(b.dtype), tuple(b.mgr_locs.as_array.tolist()),
                   getattr(b.values, "flags", None) is not None and b.values.flags.c_contiguous)
                  for b in frame._mgr.blocks)


@pytest.mark.parametrize("n", [1, 3, 60])
def test_kept_rows_from_the_kept_blocks_equal_pandas_columns(ins, n):
    from rsnprop.data import columns as columns_mod
    from rsnprop.data import item_values
    from rsnprop.data.analysis_data import kept_rows_small
    from rsnprop.data.log import Findings
    from rsnprop.data.rules import CleaningRules
    from rsnprop.simulate import simulate_study

    raw = simulate_study(ins, "p1p2", n=n, seed=n, invalid_rate=0.1, missing_rate=0.1)
    cols = columns_mod.select_columns(raw, ins, CleaningRules(), None, lambda m: None)
    values, _, _ = item_values.validated_values(cols, ins, CleaningRules(), Findings())
    plain = pd.DataFrame({c: values[c] for c in values.columns})   # nothing kept for it
    kept = np.random.default_rng(n).random(n) < 0.7
    columns = [c for c in cols.value_cols + cols.absent if c in values.columns]
    reverse = {c: it.scale.min + it.scale.max for c, it in ins.items.items()
               if it.type == "likert" and getattr(it, "reverse", False)}
    texts: dict = {}
    got = kept_rows_small(values, kept, columns, reverse, texts=texts)
    want = kept_rows_small(plain, kept, columns, reverse)
    assert texts and all(a.dtype == object for a in texts.values())
    for c, a in texts.items():
        assert list(a) == list(want[c].to_numpy())
    multi = _select_multiple_indicators(got, ins.items, kept, {}, texts)
    for (name, (hit, codes)), (name2, (hit2, codes2)) in zip(
            multi.items(), _select_multiple_indicators(want, ins.items, kept, {}).items()):
        assert name == name2
        np.testing.assert_array_equal(hit[codes], hit2[codes2])
    assert list(got.columns) == list(want.columns) and got.columns.dtype == want.columns.dtype
    assert list(map(str, got.dtypes)) == list(map(str, want.dtypes))
    assert got.equals(want)
    assert layout(got) == layout(want)


def test_text_block_equals_a_frame_of_the_columns():
    from rsnprop.data.validate_small import _text_block

    out = {"a": pd.Series(["x", None, "y"], dtype=object),
           "b": pd.Series([None, None, "z z"], dtype=object)}
    obj = _text_block(out, ["b", "a"])
    want = pd.DataFrame({c: out[c] for c in ["b", "a"]})
    got = pd.DataFrame(obj, columns=pd.Index(["b", "a"]), dtype=object, copy=False)
    assert got.equals(want) and layout(got) == layout(want)
    assert _text_block(out, []).shape == (0, 0)


def test_column_index_equals_a_new_index():
    from rsnprop.data.frames import column_index

    for names in (["a", "b"], [], ["score_x"] * 2, [1, 2], [1.0, 2.0], ["a", 1]):
        got, want = column_index(names), pd.Index(names)
        assert got.equals(want) and got.dtype == want.dtype and list(got) == list(want)
    first = column_index(["p", "q"])
    first.name = "changed"
    assert column_index(["p", "q"]).name is None


def test_numeric_columns_follow_a_changed_item(ins):
    import dataclasses

    from rsnprop.data.validate_small import _is_numeric_item, _numeric_columns

    cols = list(ins.items)
    want = [c for c in cols if ins.items[c].type != "select_multiple"
            and _is_numeric_item(ins.items[c])]
    assert _numeric_columns(cols, ins.items) == want
    items = dict(ins.items)
    c = want[0]
    items[c] = dataclasses.replace(items[c], type="text", scale=None, choices={})
    assert _numeric_columns(cols, items) == want[1:]
    assert _numeric_columns(cols, ins.items) == want
