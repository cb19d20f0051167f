"""rsnprop.io.json_text writes exactly the text of rsnprop.results.dumps (the cleaning log of
the clean command goes through it), for any mix of JSON and numpy/pandas values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsnprop.io import json_text
from rsnprop.results import dumps

_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-5, 5).map(np.int64), st.floats(width=32).map(np.float32),
                    st.booleans().map(np.bool_))
_key = st.one_of(st.text(max_size=5), st.integers(-3, 3), st.booleans(), st.none())
_value = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(_key, inner, max_size=4)), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_value)
def test_json_text_equals_dumps(obj):
    assert json_text(obj) == dumps(obj)


@pytest.mark.parametrize("obj", [
    {"a": np.array([1.0, np.nan]), "b": pd.Series([1, 2], index=["x", "y"])},
    pd.DataFrame({"x": [1.5, math.inf], "y": ["é", None]}),
    {"s": {3, 1, 2}, "t": frozenset({"b", "a"}), "ts": pd.Timestamp("2025-01-02")},
    [[], {}, [[]], {"": {"": []}}, "\u2028\"\\\n"],
])
def test_json_text_equals_dumps_on_library_values(obj):
    assert json_text(obj) == dumps(obj)


def test_json_text_of_other_objects_equals_dumps():
    class Odd:
        __slots__ = ()

        def __repr__(self):
            return "odd"

    obj = {"x": Odd(), "y": [Odd(), 1]}
    assert json_text(obj) == dumps(obj)


@pytest.mark.parametrize("obj", [
    {None: 1, "None": 2},
    {"1": "a", 1: "b", False: "c", "False": "d"},
    [{"x": 1, 2: [{None: [], "None": {}}], "2": 3}],
    {np.int64(4): 1, "4": 2, 4.0: 3},
])
def test_keys_that_read_alike_become_one_key(obj):
    """jsonsafe turns keys into text, so ``None`` and ``"None"`` are one key: the last value
    at the first key's place. json_text wrote both keys (twice the same JSON key)."""
    assert json_text(obj) == dumps(obj)
    assert json_text(obj).count('"None"') <= 1


def test_text_subclass_keys_as_dumps():
    import enum

    class Kind(str, enum.Enum):
        a = "x"

    obj = {Kind.a: 1, "b": [Kind.a]}
    assert json_text(obj) == dumps(obj)


_record = st.fixed_dictionaries({"row": st.integers(0, 5), "id": st.one_of(st.none(), st.text(max_size=3)),
                                 "rules": st.lists(st.sampled_from(["a", "b", "é\\n"]), max_size=3)},
                                optional={"x": _value})
_records = st.lists(st.one_of(_record, _record, _record, _value), min_size=16, max_size=40)


@settings(max_examples=300, deadline=None)
@given(_records)
def test_lists_of_records_equal_dumps(obj):
    """Lists of 16 items and more whose first is a dict go through the column-wise writer:
    the same keys in the same order, keys in another order, other items, nested values."""
    assert json_text(obj) == dumps(obj)
    assert json_text({"excluded": obj}) == dumps({"excluded": obj})


@pytest.mark.parametrize("records", [
    [{"row": i, "id": f"B{i}", "reasons": ["speeding"] if i % 3 else ["a", "b"]}
     for i in range(40)],
    [{"row": i, "rules": [i % 2 == 0, 1, "1"], "v": {"k": [1.5, float("nan")]}} for i in range(20)],
    [{"row": i, "id": [{"a": [1]}, [2]]} for i in range(20)],            # unhashable list items
    [{"b": 1, "a": 2}] * 10 + [{"a": 2, "b": 1}] * 10,                     # keys in another order
    [{"row": np.int64(i), "x": np.float64(i / 3), "y": True, "z": None} for i in range(20)],
    [{1: "a"}] * 20 + [{"1": "b"}],                                       # keys not text
])
def test_records_written_column_wise_equal_dumps(records):
    assert json_text(records) == dumps(records)


@pytest.mark.parametrize("obj", [
    [1], {"a": 1}, [[["x"]]], {"a": {"b": {"c": [{"d": 1}]}}},            # one item each level
    [{"k": i} for i in range(16)],                                         # one key, 16 rows
    {"a": [{"row": i, "id": None, "reasons": ["r"]} for i in range(16)], "z": [{"q": 1}] * 17},
    {"x": [[{"row": i} for i in range(16)], [{"row": i, "w": "é"} for i in range(18)]]},
])
def test_brackets_joined_to_first_and_last_items(obj):
    """The brackets and commas around the items go into one join (no copy of the whole):
    the same text for one item, one key, and records nested at several levels."""
    assert json_text(obj) == dumps(obj)


def test_log_sized_lists_equal_dumps():
    """A log-like object with 20,000 excluded rows and 10,000 routing rows, nested."""
    rng = np.random.default_rng(0)
    excluded = [{"row": i + 1, "id": None if i % 97 == 0 else f"B{i:07d}",
                 "reasons": ["speeding", "careless_indices"][: 1 + i % 2]} for i in range(20_000)]
    routing = [{"row": i, "id": f"é{i}", "rules": ["not_sme"], "n_answers": int(k)}
               for i, k in enumerate(rng.integers(1, 50, 10_000))]
    obj = {"schema": "x", "excluded": excluded, "routing": {"not_shown_answered": routing,
                                                            "n": 1}, "warnings": []}
    assert json_text(obj) == dumps(obj)
