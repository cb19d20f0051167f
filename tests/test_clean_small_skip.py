"""The small clean's skip logic (eighth round of issue 21): the columns that share their
conditions and routing rules checked together (``skip_logic._check_small``) against the
column-by-column check the general path makes, on shuffled, blanked and hostile answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import columns, item_values, skip_logic, validate_small
from rsnprop.data.log import Findings
from rsnprop.data.rules import CleaningRules
from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study


@pytest.fixture(scope="module")
def ins():
    return load_instrument("instruments/rsn_internationalisation.yaml")


def values_of(ins, n, seed):
    """Validated values whose columns are shuffled and blanked at random (answers to hidden
    questions, required items left blank, all-missing rows)."""
    raw = simulate_study(ins, "p1p2", n=n, seed=seed, missing_rate=0.1, invalid_rate=0.05)
    cols = columns.select_columns(raw, ins, CleaningRules(), None, lambda m: None)
    values, _, _ = item_values.validated_values(cols, ins, CleaningRules(), Findings())
    rng = np.random.default_rng(seed)
    for c in values.columns.tolist():
        u = rng.random()
        if u < 0.3:
            values[c] = values[c].to_numpy()[rng.permutation(n)]
        elif u < 0.4:
            values[c] = values[c].where(rng.random(n) < 0.5)
    if n > 2:
        values.iloc[0, :] = np.nan
    validate_small.forget_floats(values)      # changed after validation: read through pandas
    return values


def checked(values, ins, monkeypatch, small):
    if not small:
        monkeypatch.setattr(skip_logic, "SMALL_ROWS", 0)
    try:
        return skip_logic.check_skip_logic(values, ins, cache={})
    finally:
        monkeypatch.undo()


def assert_same_arrays(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype
        np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("n", [1, 2, 3, 40, 300])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_check_equals_column_by_column(ins, monkeypatch, n, seed):
    values = values_of(ins, n, seed)
    small = checked(values, ins, monkeypatch, True)
    general = checked(values, ins, monkeypatch, False)
    for i in (0, 1, 3):
        assert_same_arrays(small[i], general[i])
    assert len(small[2]) == len(general[2])
    for p, q in zip(small[2], general[2]):
        pd.testing.assert_frame_equal(p, q)
    if n == 300:
        assert small[2] and small[3], "the case has problems and late answers to compare"


def test_groups_follow_a_changed_item(ins):
    values = values_of(ins, 20, 4)
    cols = values.columns.tolist()
    first = skip_logic._column_groups(cols, ins.items)
    assert skip_logic._column_groups(cols, ins.items) is first
    items = dict(ins.items)
    c = next(c for c in cols if items[c].show_if)
    items[c] = dataclasses.replace(items[c], show_if=())
    again = skip_logic._column_groups(cols, items)
    assert again is not first
    assert sum(len(g[3]) for g in again if not g[0]) == sum(len(g[3]) for g in first
                                                            if not g[0]) + 1


@pytest.mark.parametrize("n", [1, 2, 3, 40, 300])
def test_missing_share_at_once_equals_column_by_column(ins, monkeypatch, n):
    values = values_of(ins, n, n)
    rng = np.random.default_rng(n)
    floats = [c for c in values.columns if values[c].dtype == np.float64]
    for trial in range(5):
        cols = list(rng.choice(floats, size=min(len(floats), 12), replace=False))
        cols += cols[:2]                                   # an item in two constructs
        shown = {c: rng.random(n) < (0.0 if trial == 0 else 0.6) for c in cols[::3]}
        got = skip_logic.shown_missing_share(values, cols, shown)
        monkeypatch.setattr(skip_logic, "SMALL_ROWS", 0)
        want = skip_logic.shown_missing_share(values, cols, shown)
        monkeypatch.undo()
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    text = [c for c in values.columns if values[c].dtype != np.float64][:1]
    np.testing.assert_array_equal(skip_logic.shown_missing_share(values, floats[:3] + text, {}),
                                  values[floats[:3] + text].isna().mean(axis=1).to_numpy())
