"""The small-data paths of cleaning (a power replication's few hundred rows:
:func:`rsnprop.data.validate_small.validate_items_small`,
:func:`rsnprop.data.analysis_data.kept_rows_small`, the answered masks of the skip logic taken
at once) give exactly what the column-wise paths give: the same data, log, flags and problems,
on the bundled example export and on simulated exports with invalid codes, missing-value codes
and careless responders."""

from __future__ import annotations

import importlib.resources as ir
import json

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import CleaningRules, clean, read_table
from rsnprop.data import analysis_data, duplicates, item_values, skip_logic, survey_language
from rsnprop.data.analysis_data import kept_rows, kept_rows_small
from rsnprop.data.validate import validate_items
from rsnprop.data.validate_small import validate_items_small
from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study
from rsnprop.simulate.scenarios import get_scenario


@pytest.fixture(scope="module")
def ins():
    return load_instrument("instruments/rsn_internationalisation.yaml")


def _exports(ins):
    raw_path = ir.files("rsnprop.datasets") / "example_raw.csv"
    yield "example", read_table(raw_path)
    for k, scen in enumerate(("p1p2", "null", "reversed")):
        yield scen, simulate_study(ins, get_scenario(scen), n=120 + 90 * k, seed=k,
                                   invalid_rate=0.03, missing_rate=0.1)


def _cleaned(raw, ins, rules, diagnostics):
    res = clean(raw, ins, rules, diagnostics=diagnostics)
    return res.data, json.dumps(res.log, sort_keys=True, default=str), res.flags, res.problems


@pytest.mark.parametrize("diagnostics", [False, True])
def test_small_paths_clean_as_the_column_wise_paths(ins, monkeypatch, diagnostics):
    rules = CleaningRules(invalid_values="exclude")
    for name, raw in _exports(ins):
        small = _cleaned(raw, ins, rules, diagnostics)
        with monkeypatch.context() as m:      # every small-data path off
            for mod in (item_values, analysis_data, skip_logic, duplicates, survey_language):
                m.setattr(mod, "SMALL_ROWS", 0)
            wide = _cleaned(raw, ins, rules, diagnostics)
        for a, b in zip(small, wide):
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
            else:
                assert a == b, name
        assert len(small[3]) > 0 or not diagnostics     # the checks had problems to find


def test_validate_items_small_equals_validate_items(ins):
    rng = np.random.default_rng(5)
    n = 60
    df = pd.DataFrame({
        "rel_1": rng.integers(1, 8, n).astype(float),             # clean Likert
        "rel_2": np.where(rng.random(n) < 0.1, -99.0, 3.0),       # missing-value code
        "inf_1": np.where(rng.random(n) < 0.1, 2.5, 4.0),         # not an integer
        "inf_2": np.where(rng.random(n) < 0.1, 9.0, 1.0),         # out of range
        "employees": rng.integers(1, 400, n),                      # int64 column
        "sector": rng.choice(["C", "G", "J", None], n),            # text codes
    })
    cols = list(df.columns)
    got = validate_items_small(df, ins, CleaningRules(), cols)
    ref = validate_items(df, ins, CleaningRules(), cols)
    pd.testing.assert_frame_equal(got[0], ref[0], check_exact=True)
    pd.testing.assert_frame_equal(got[1], ref[1], check_exact=True)
    assert got[2] == ref[2] and set(got[1]["reason"]) >= {"out_of_range", "not_integer"}
    assert got[2]["rel_2"]["recoded_missing"] > 0


def test_kept_rows_small_equals_kept_rows():
    rng = np.random.default_rng(4)
    n = 40
    values = pd.DataFrame({"a": rng.integers(1, 8, n).astype(float),
                           "t": pd.Series([f"x{i}" if i % 3 else None for i in range(n)],
                                          dtype=object),
                           "b": rng.integers(1, 8, n).astype(float),
                           "r": pd.Series([None] * n, dtype=object)})
    kept = rng.random(n) < 0.6
    args = (values, kept, ["a", "t", "b", "r"], {"b": 8.0, "r": 8.0})
    pd.testing.assert_frame_equal(kept_rows_small(*args), kept_rows(*args), check_exact=True)
    only = (values, kept, ["b", "a"], {"a": 8.0})
    pd.testing.assert_frame_equal(kept_rows_small(*only), kept_rows(*only), check_exact=True)


def test_select_multiple_memo_gives_what_a_fresh_reading_gives(ins):
    from rsnprop.data import validate_text

    df = pd.DataFrame({"rsn_platforms": ["linkedin facebook", "LinkedIn", "nonsense", None,
                                         "don't know", "facebook;linkedin", "linkedin facebook"],
                       "entry_modes": ["direct", "nonsense", "direct agent", None, "linkedin",
                                       "agent", "direct"]})
    cols = list(df.columns)
    validate_text._MULTI_MEMO.clear()
    fresh = validate_items_small(df, ins, CleaningRules(), cols)
    again = validate_items_small(df, ins, CleaningRules(), cols)      # read from the memo
    assert len(validate_text._MULTI_MEMO) == 2
    for a, b in zip(fresh[:2], again[:2]):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert fresh[2] == again[2] and fresh[0]["rsn_platforms"].iloc[5] == "linkedin facebook"
    # "linkedin" is a code of one item, not of the other: the memo is per item
    assert fresh[0]["entry_modes"].iloc[4] is None
    assert set(fresh[1]["value"]) >= {"nonsense", "linkedin"}


def test_duplicates_found_alike_on_small_frames(monkeypatch):
    rng = np.random.default_rng(8)
    n = 50
    items = pd.DataFrame({"a": rng.integers(1, 4, n).astype(float), "b": rng.integers(0, 3, n),
                          "t": rng.choice(["x", "y", None], n), "c": np.nan})
    items.iloc[30:40] = items.iloc[0:10].to_numpy()      # ten later copies
    items.loc[45, "a"] = -0.0
    items.loc[46, "a"] = 0.0
    ids = pd.Series([f"R{i % 47}" for i in range(n)])
    small = duplicates.find_duplicates(ids, items)
    monkeypatch.setattr(duplicates, "SMALL_ROWS", 0)
    wide = duplicates.find_duplicates(ids, items)
    for a, b in zip(small, wide):
        np.testing.assert_array_equal(a, b)
    assert small[1][30:40].sum() >= 8 and small[0][47:].all()


def test_survey_language_alike_on_small_columns(monkeypatch):
    rng = np.random.default_rng(1)
    pool = np.array(["en", "fr", "nl", None, "EN", "fr-BE", "French (fr)", "de", np.nan, "",
                     " en ", 1, 2.5, True], dtype=object)
    found = 0
    for k in range(12):
        col = pd.Series(rng.choice(pool, 40), dtype=object)
        if k % 3 == 0:
            col = col.astype("str")
        small = survey_language.check_survey_language(col, ["en", "fr", "nl"])
        with monkeypatch.context() as m:
            m.setattr(survey_language, "SMALL_ROWS", 0)
            wide = survey_language.check_survey_language(col, ["en", "fr", "nl"])
        assert small[0].tolist() == wide[0].tolist()
        pd.testing.assert_frame_equal(small[1], wide[1], check_exact=True)
        found += len(small[1])
    assert found > 20          # unknown codes ("de", numbers, blanks) were met and reported
