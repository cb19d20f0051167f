"""The simulator on arrays (sixth round of issue 21): the latent scores and facts as
``{column: array}`` give the frames' columns, the per-instrument item table follows the
instrument, and a study is the same whether its steps read frames or arrays. The whole
exports are pinned in tests/test_data_small_arrays.py (fingerprints frozen at a5f3672) and
tests/test_simulate.py (SHA-256 of CSV bytes)."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study
from rsnprop.simulate.answers import item_meta, simulate_answers
from rsnprop.simulate.facts import fact_arrays, simulate_facts
from rsnprop.simulate.population import (
    column_of,
    latent_arrays,
    likert_arrays,
    n_rows,
    population_parameters,
    simulate_latent,
)
from rsnprop.simulate.scenarios import get_scenario


@pytest.fixture(scope="module")
def ins():
    return load_instrument("instruments/rsn_internationalisation.yaml")


def _same_column(a, b):
    assert a.dtype == b.dtype
    pd.testing.assert_series_equal(pd.Series(a), pd.Series(b))


@pytest.mark.parametrize("scenario", ["p1p2", "dif"])
def test_arrays_are_the_frames_columns(ins, scenario):
    pp = population_parameters(ins, scenario)
    lat = latent_arrays(pp, 150, np.random.default_rng(1))
    frame = simulate_latent(pp, 150, np.random.default_rng(1))
    assert list(lat) == list(frame.columns) and n_rows(lat) == len(frame) == 150
    for c in frame.columns:
        _same_column(lat[c], column_of(frame, c))
    spec = get_scenario(scenario).facts
    facts = fact_arrays(lat, spec, np.random.default_rng(2))
    facts_frame = simulate_facts(frame, spec, np.random.default_rng(2))
    assert list(facts) == list(facts_frame.columns)
    for c in facts_frame.columns:
        _same_column(facts[c], facts_frame[c].to_numpy())
    a = likert_arrays(pp, lat, np.random.default_rng(3))
    b = likert_arrays(pp, frame, np.random.default_rng(3))
    assert list(a) == list(b) and all(np.array_equal(a[c], b[c]) for c in a)


def test_answers_alike_from_frames_and_arrays(ins):
    sc = get_scenario("p1p2")
    pp = population_parameters(ins, sc)
    lat = latent_arrays(pp, 120, np.random.default_rng(5))
    facts = fact_arrays(lat, sc.facts, np.random.default_rng(6))
    likert = {c: v.astype(float) for c, v in likert_arrays(pp, lat, np.random.default_rng(7)).items()}
    got = simulate_answers(ins, pp, sc, lat, facts, likert, np.random.default_rng(8))
    want = simulate_answers(ins, pp, sc, pd.DataFrame(lat), pd.DataFrame(facts),
                            pd.DataFrame(likert), np.random.default_rng(8))
    assert list(got[0]) == list(want[0])
    for c in got[0]:
        _same_column(got[0][c], want[0][c])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[2], want[2])


def test_item_meta_follows_the_instrument(ins):
    m = item_meta(ins)
    assert item_meta(ins) is m                              # read once
    assert m.type["rel_1"] == "likert" and m.range["rel_1"] == (1.0, 7.0)
    other = copy.copy(ins)
    other.items = dict(ins.items)
    it = other.items["rel_1"]
    other.items["rel_1"] = dataclasses.replace(it, required=not it.required)
    m2 = item_meta(other)                                    # another items dict, another table
    assert m2 is not m and m2.required["rel_1"] != m.required["rel_1"]
    other.items["rel_1"] = it                                 # an item replaced in place
    assert item_meta(other).required["rel_1"] == m.required["rel_1"]


def test_study_from_a_copied_instrument_is_the_same(ins):
    """A copy of the instrument (new item table) simulates the same export."""
    a = simulate_study(ins, "p1p2", n=60, seed=9, careless_rate=0.2, missing_rate=0.1)
    b = simulate_study(copy.deepcopy(ins), "p1p2", n=60, seed=9, careless_rate=0.2,
                       missing_rate=0.1)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def _mar_intercept_loop(z, rate):
    """The 80-step bisection of quirks.missing_arrays before it stopped early."""
    from scipy import special

    lo, hi = -30.0, 30.0
    for _ in range(80):
        a = (lo + hi) / 2
        if special.expit(a + 1.2 * z).mean() < rate:
            lo = a
        else:
            hi = a
    return a


def test_mar_intercept_as_the_80_steps():
    from rsnprop.simulate.quirks import _mar_intercept

    rng = np.random.default_rng(0)
    for t in range(200):
        n = int(rng.integers(1, 400))
        z = rng.standard_normal(n) * rng.uniform(0, 3) if t % 10 else np.zeros(n)
        rate = float(rng.choice([0.0, 1e-9, 0.01, 0.03, 0.2, 0.5, 0.97, 1.0]))
        assert _mar_intercept(1.2 * z, rate) == _mar_intercept_loop(z, rate)


def test_pattern_text_as_a_join_per_row():
    from rsnprop.simulate.answers import _pattern_text

    rng = np.random.default_rng(4)
    for codes in (["linkedin", "facebook", "x", "instagram", "other"], [1, 1.0, True, "1"],
                  [0.0, -0.0, 2]):
        for _ in range(3):                    # the memo of the patterns seen before
            hits = rng.random((200, len(codes))) < 0.5
            want = [" ".join(str(c) for c, h in zip(codes, row) if h) for row in hits]
            assert _pattern_text(hits, codes).tolist() == want


def test_kept_parameters_follow_scenario_and_instrument(ins, monkeypatch):
    from rsnprop.simulate import study

    def fresh(scenario, instrument=ins, **kw):
        with monkeypatch.context() as m:
            m.setattr(study, "_parameters", study.population_parameters)
            return simulate_study(instrument, scenario, n=40, seed=3, **kw)

    for scenario, kw in (("p1p2", {}), ("null", {}), ("p1p2", {"bg_share": 0.8}), ("dif", {}),
                         ("p1p2", {})):
        pd.testing.assert_frame_equal(simulate_study(ins, scenario, n=40, seed=3, **kw),
                                      fresh(scenario, **kw), check_exact=True)
    other = copy.copy(ins)                         # a construct with one item fewer
    other.constructs = dict(ins.constructs)
    con = other.constructs["relational"]
    other.constructs["relational"] = dataclasses.replace(con, items=list(con.items)[:-1])
    got = simulate_study(other, "p1p2", n=40, seed=3)
    pd.testing.assert_frame_equal(got, fresh("p1p2", other), check_exact=True)
    assert not got.equals(simulate_study(ins, "p1p2", n=40, seed=3))
