"""The small clean's shared work (twelfth round of issue 21), each against what it replaces:
a text column's factorisation made from its distinct values when it is validated
(``validate_text.factorized_from``, ``validate_small.kept_factorized``) against
``pd.factorize`` of the validated column, and the skip logic, the ``select_multiple``
indicators and the duplicates that read it against their results without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import (
    analysis_data,
    columns,
    duplicates,
    item_values,
    skip_logic,
    small_frames,
    validate_small,
)
from rsnprop.data.log import Findings
from rsnprop.data.rules import CleaningRules
from rsnprop.data.validate_text import factorized_from
from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study
from test_clean_small_block import hostile

POOL = ["a", "b", "", "A", " a", "x y", "1", "nan", "a b", "b a", None]


@pytest.fixture(scope="module")
def ins():
    return load_instrument("instruments/rsn_internationalisation.yaml")


def test_factorized_from_equals_pandas():
    rng = np.random.default_rng(11)
    for n in [0, 1, 2, 3, 7, 40, 300]:
        for k in [1, 2, 5, 12]:
            vals_u = [POOL[i] for i in rng.integers(len(POOL), size=k + 1)]
            # the raw answers (k: missing) factorised in first-seen order, the missing
            # answers' entry last (what each became: vals_u, the last anything)
            raw = rng.integers(k + 1, size=n)
            codes, uniq = pd.factorize(np.where(raw == k, np.nan, raw), use_na_sentinel=True)
            vals = [vals_u[int(u)] for u in uniq] + [vals_u[k]]
            inv = np.where(codes < 0, len(uniq), codes).astype(np.intp)
            got = factorized_from(vals, inv)
            if vals[-1] is not None and (inv == len(vals) - 1).any():
                assert got is None        # the missing answers' entry holds a value
                continue
            want = pd.factorize(np.array(vals, dtype=object)[inv], use_na_sentinel=True)
            np.testing.assert_array_equal(got[0], want[0])
            assert got[0].dtype == np.intp
            assert got[1].dtype == object and got[1].tolist() == want[1].tolist()


def test_factorized_from_refuses_other_objects():
    assert factorized_from(["a", 1.0, None], np.array([0, 1, 2])) is None
    assert factorized_from(["a", np.nan], np.array([0, 1])) is None
    codes, uniq = factorized_from([None], np.array([0, 0]))
    assert codes.tolist() == [-1, -1] and uniq.tolist() == []


def validated(ins, n, seed, bad):
    raw = simulate_study(ins, "p1p2", n=n, seed=seed, invalid_rate=0.1, careless_rate=0.2)
    if bad:
        raw = hostile(raw, seed)
    cols = columns.select_columns(raw, ins, CleaningRules(), None, lambda m: None)
    values, _, _ = item_values.validated_values(cols, ins, CleaningRules(), Findings())
    return values


@pytest.mark.parametrize("n", [1, 3, 60, 300])
@pytest.mark.parametrize("bad", [False, True], ids=["plain", "hostile"])
def test_kept_factorisations_equal_pandas(ins, n, bad):
    values = validated(ins, n, n + 5, bad)
    text = [c for c in values.columns if values[c].dtype == object]
    kept = {c: validate_small.kept_factorized(values, c) for c in text}
    assert any(v is not None for v in kept.values())
    for c, hit in kept.items():
        if hit is None:
            continue
        codes, uniq = pd.factorize(values[c], use_na_sentinel=True)
        np.testing.assert_array_equal(hit[0], np.asarray(codes))
        assert hit[1].tolist() == uniq.tolist()
    validate_small.forget_floats(values)
    assert all(validate_small.kept_factorized(values, c) is None for c in text)


@pytest.mark.parametrize("bad", [False, True], ids=["plain", "hostile"])
def test_readers_equal_without_the_kept_factorisations(ins, bad):
    values = validated(ins, 200, 4, bad)
    kept = np.arange(len(values)) % 3 != 1
    multi = [c for c in values.columns if ins.items[c].type == "select_multiple"]

    def run():
        cache: dict = {}
        routing = skip_logic.check_skip_logic(values, ins, cache=cache)
        dups = duplicates.find_duplicates(pd.Series(np.arange(len(values)).astype(str),
                                                    dtype=object), values,
                                          [c for c in values.columns])
        texts = {c: values[c].to_numpy()[kept] for c in multi}
        ind = analysis_data._select_multiple_indicators(values.loc[kept, multi], ins.items,
                                                        kept, {}, texts, values)
        ind = {k: h[c] for k, (h, c) in ind.items()}
        return routing, dups, ind

    with_kept = run()
    validate_small._FLOATS[id(values)] = validate_small._FLOATS[id(values)][:5] + ({},)
    without = run()
    (sh_a, ro_a, pr_a, late_a), dups_a, ind_a = with_kept
    (sh_b, ro_b, pr_b, late_b), dups_b, ind_b = without
    assert sh_a.keys() == sh_b.keys() and all((sh_a[k] == sh_b[k]).all() for k in sh_a)
    assert all((ro_a[k] == ro_b[k]).all() for k in ro_a)
    assert len(pr_a) == len(pr_b) and all(a.equals(b) for a, b in zip(pr_a, pr_b))
    assert late_a.keys() == late_b.keys()
    for a, b in zip(dups_a, dups_b):
        np.testing.assert_array_equal(a, b)
    assert ind_a.keys() == ind_b.keys()
    for k in ind_a:
        np.testing.assert_array_equal(ind_a[k], ind_b[k])


def object_arrays(rng):
    yield np.array([], dtype=object)
    yield np.array([None, None], dtype=object)
    yield np.array(["a", np.nan, None], dtype=object)
    yield np.array(["a", pd.NA], dtype=object)
    yield np.array(["a", pd.NaT], dtype=object)
    yield np.array(["a", 1], dtype=object)
    yield np.array([np.str_("a"), "b"], dtype=object)
    yield np.array([1.5, None], dtype=object)
    for n in (1, 2, 3, 300):
        for share in (0.0, 0.3, 1.0):
            v = np.array([None if rng.random() < share else str(POOL[rng.integers(len(POOL) - 1)])
                          for _ in range(n)], dtype=object)
            yield v


def test_inferred_text_equals_pandas_inference():
    rng = np.random.default_rng(5)
    for v in object_arrays(rng):
        got = small_frames.inferred(v.copy())
        want = pd.Series(v.copy(), copy=False)._values
        assert type(got) is type(want) and got.dtype == want.dtype
        if hasattr(want, "_pa_array"):
            assert got._pa_array.type == want._pa_array.type
            assert got._pa_array.num_chunks == want._pa_array.num_chunks
            assert got._pa_array.equals(want._pa_array)
        else:
            assert pd.Series(got).equals(pd.Series(want))


def test_column_names_and_dtypes_equal_pandas(ins):
    values = validated(ins, 40, 2, True)
    for frame in (values, pd.DataFrame({"a": [1.0], "b": ["x"], "c": [True]}),
                  pd.DataFrame(np.zeros((2, 0)))):
        for _ in range(2):      # read, then kept
            assert small_frames.column_names(frame) == frame.columns.tolist()
            assert small_frames.frame_dtypes(frame) == list(frame.dtypes)
    names = small_frames.column_names(values)
    names.append("mutated")     # a copy each time
    values["added"] = np.nan    # a new column index: its names read again
    assert small_frames.column_names(values) == values.columns.tolist()
    assert small_frames.column_names(values)[-1] == "added"
    assert small_frames.frame_dtypes(values) == list(values.dtypes)
    values.columns = [f"x{i}" for i in range(values.shape[1])]
    assert small_frames.column_names(values) == values.columns.tolist()


def test_option_hits_kept_per_answer_equal_a_loop():
    from test_clean_small_text import option_hits_by_loop

    rng = np.random.default_rng(8)
    pool = ["a", "b", "a b", "b a", "c", "x y", "", "1", "a a"]
    for choices in (["a", "b", "c"], ["b", 1, "a", "b"], []):
        for n in (0, 1, 4, 9, 9):          # the same answers again: from the memo
            uniq = list(rng.permutation(pool)[:n])
            got = analysis_data._option_hits(uniq, choices)
            np.testing.assert_array_equal(got, option_hits_by_loop(uniq, choices))


def test_norm_tokens_equal_their_normalisation():
    from rsnprop.data.recode import _norm

    for tokens in (CleaningRules().missing_tokens, ["  N/A ", "NA", "na"], [], [[1], "x"]):
        for _ in range(2):
            got = validate_small._norm_tokens(tokens)
            assert isinstance(got, set) and got == {_norm(t) for t in tokens}
            got.add("changed")        # a new set each time


@pytest.mark.parametrize("chunks", [1, 3])
@pytest.mark.parametrize("na", [np.nan, pd.NA], ids=["str", "string"])
def test_arrow_distinct_equals_the_column_distinct(chunks, na):
    from test_clean_small_text import arrow_series, strings

    from rsnprop.data.validate_text import _distinct

    rng = np.random.default_rng(chunks)
    for n in list(range(1, 9)) + [60, 300]:
        s = arrow_series(strings(rng, n), chunks if n >= chunks else 1)
        if na is pd.NA:
            s = s.astype(pd.StringDtype("pyarrow", na_value=pd.NA))
        want = _distinct(s)
        got = _distinct(s.array)
        assert got[0] == want[0]
        assert got[1].dtype == want[1].dtype == np.intp
        np.testing.assert_array_equal(got[1], want[1])
    frame = pd.DataFrame({"a": pd.Series(["x", None], dtype="str"), "b": [1.0, 2.0],
                          "c": pd.Series(["y", "z"], dtype=object)})
    assert list(validate_small._arrow_text(frame, ["a", "c"])) == ["a"]


def layout(frame):
    return [(str(b.dtype), b.mgr_locs.as_array.tolist(), b.values.flags.c_contiguous,
             b.values.flags.f_contiguous) for b in frame._mgr.blocks]


@pytest.mark.parametrize("n", [1, 2, 300])
def test_block_frame_equals_the_constructor(n):
    rng = np.random.default_rng(n)
    floats = np.asfortranarray(rng.normal(size=(n, 3)))
    floats[0, 1] = np.nan
    objs = np.array([[None if i % 3 else f"v{i}"] for i in range(n)], dtype=object)
    for arr, names in ((floats, ["a", "b", "c"]), (objs, ["survey_language"]),
                       (floats[:, :1], ["one"])):
        got = small_frames.block_frame(arr, names, n)
        want = pd.DataFrame(arr, columns=names, copy=False,
                            dtype=object if arr.dtype == object else None)
        assert got.equals(want) and list(map(str, got.dtypes)) == list(map(str, want.dtypes))
        pd.testing.assert_index_equal(got.index, want.index, exact=True)
        assert layout(got) == layout(want)
        assert np.shares_memory(got._mgr.blocks[0].values, arr)
        assert small_frames.column_names(got) == got.columns.tolist() == names
    both = small_frames.concat_columns([small_frames.block_frame(floats, ["a", "b", "c"], n),
                                        small_frames.block_frame(objs, ["t"], n)], n)
    assert small_frames.column_names(both) == both.columns.tolist() == ["a", "b", "c", "t"]


@pytest.mark.parametrize("n", [1, 2, 7, 300])
def test_small_flow_equals_the_flow(n, monkeypatch):
    from rsnprop.data import log

    rng = np.random.default_rng(n)
    names = [r for rs in log.STEPS.values() for r in rs] + ["zz_other", "aa_custom"]
    for trial in range(20):
        pick = rng.choice(names, size=rng.integers(0, len(names)), replace=False)
        reasons = {str(r): rng.random(n) < rng.choice([0.0, 0.05, 0.5]) for r in pick}
        ids = [None if rng.random() < 0.1 else f"id{i}" for i in range(n)]
        small = log.exclusion_flow(reasons, ids)
        with monkeypatch.context() as m:
            m.setattr(log, "SMALL_ROWS", 0)
            assert log.exclusion_flow(reasons, ids) == small


def test_pairwise_cov_in_one_call_equals_the_halves():
    from rsnprop.data.careless_blocks import _SerialPool
    from rsnprop.data.careless_covariance import _pairwise_cov

    rng = np.random.default_rng(12)
    for n in (3, 4, 7, 60, 301, 700):
        for p in (1, 2, 9, 38):
            for kind in ("likert", "wide", "fraction", "complete"):
                if kind == "fraction":
                    a = rng.normal(size=(n, p))
                else:
                    a = rng.integers(-31 if kind == "wide" else 1, 32 if kind == "wide" else 8,
                                     size=(n, p)).astype(float)
                if kind != "complete":
                    a[rng.random((n, p)) < 0.15] = np.nan
                    a[1] = np.nan
                a = np.asfortranarray(a) if n % 2 else a
                one = _pairwise_cov(a, None)
                halves = _pairwise_cov(a, _SerialPool())
                for x, y in zip(one[0], halves[0]):
                    np.testing.assert_array_equal(x, y)
                assert (one[1] is None) == (halves[1] is None)
                if one[1] is not None:
                    np.testing.assert_array_equal(one[1], halves[1])
