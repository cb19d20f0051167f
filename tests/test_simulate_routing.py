"""The simulator's routing reads each ``select_multiple`` column once per set of answers
(``condition_holds(..., choices)``): the same rows as a condition read on its own, and a
column replaced in the answers is read again (issue 21)."""

from __future__ import annotations

import numpy as np

from rsnprop.simulate.answers import condition_holds


def _cond(item, op, value):
    return {"item": item, "op": op, "value": value}


def test_kept_choices_give_the_rows_of_each_condition_alone():
    rng = np.random.default_rng(3)
    codes = ["linkedin", "x", "facebook", "other", "xing"]
    col = np.array([" ".join(c for c in codes if rng.random() < 0.4) for _ in range(200)], dtype=object)
    col[rng.random(200) < 0.1] = None
    col[rng.random(200) < 0.05] = ""
    col[:3] = [np.nan, 7, "linkedin  x"]       # a float NaN, a number, two spaces
    values = {"p": col}
    choices: dict = {}
    for code in [*codes, "link", "9", 7, "linkedin x"]:
        alone = condition_holds(_cond("p", "selected", code), values, 200)
        kept = condition_holds(_cond("p", "selected", code), values, 200, choices)
        loop = np.array([isinstance(x, str) and str(code) in x.split() for x in col])
        assert np.array_equal(alone, loop) and np.array_equal(kept, loop), code
    assert set(choices) == {"p"}


def test_a_replaced_column_is_read_again():
    choices: dict = {}
    values = {"p": np.array(["a b", "b", None], dtype=object)}
    first = condition_holds(_cond("p", "selected", "a"), values, 3, choices)
    values["p"] = np.array([None, "a", "a c"], dtype=object)     # routed: a new array
    second = condition_holds(_cond("p", "selected", "a"), values, 3, choices)
    assert first.tolist() == [True, False, False]
    assert second.tolist() == [False, True, True]
    missing = condition_holds(_cond("q", "selected", "a"), values, 3, choices)
    assert missing.tolist() == [True, True, True]
