"""The simulator's steps on blocks (routing, missing and invalid codes, Likert items) give
what the column-by-column versions they replaced gave: the same arrays, bit for bit, on the
simulator's own answers and on random ones (NaN, integer and Series columns, one row, no
column, duplicated thresholds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rsnprop.simulate.study as study
from rsnprop.instrument import load_instrument
from rsnprop.simulate import population, quirks
from rsnprop.simulate.answers import condition_holds
from rsnprop.simulate.scenarios import get_scenario


@pytest.fixture(scope="module")
def ins():
    return load_instrument("instruments/rsn_internationalisation.yaml")


def _same(a: dict, b: dict):
    assert list(a) == list(b)
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.dtype == y.dtype and x.shape == y.shape, k
        if x.dtype == object:
            assert x.tolist() == y.tolist(), k
        else:
            assert x.tobytes() == y.tobytes(), k


def _old_missing(cols, columns, rng, n, *, rate):
    p = np.full(n, rate)
    hit = rng.random((n, len(columns))) < p[:, None]
    new = {}
    for j, col in enumerate(columns):
        vals = np.array(cols[col], dtype=float)
        vals[hit[:, j]] = np.nan
        new[col] = vals
    return new


def _old_invalid(cols, ranges, rng, n, *, rate):
    names = list(ranges)
    hit = rng.random((n, len(names))) < rate
    which = rng.integers(0, 4, size=(n, len(names)))
    new = {}
    for j, col in enumerate(names):
        lo, hi = ranges[col]
        vals = np.array(cols[col], dtype=float)
        mask = hit[:, j] & ~np.isnan(vals)
        if mask.any():
            vals[mask] = np.array([lo - 1, hi + 1, 99, -9], dtype=float)[which[:, j][mask]]
        new[col] = vals
    return new


def _old_routing(values, meta, consent, answering, n):
    held, choices = {}, {}
    for iid, conds in meta.show.items():
        if iid not in values or iid in ("consent",):
            continue
        shown = np.ones(n, dtype=bool) if iid == "decision_maker" else answering.copy()
        if iid == "decision_maker":
            shown &= consent == 1
        for key, cond in conds:
            if key not in held:
                held[key] = condition_holds(cond, values, n, choices)
            shown &= held[key]
        for key in [k for k in held if k[0] == iid]:
            del held[key]
        v = values[iid]
        if v.dtype == object:
            v = v.copy()
            v[~shown | np.equal(v, None) | np.equal(v, "")] = None
        else:
            v = np.where(shown, v, np.nan)
        values[iid] = v


def _random_columns(rng, n, k):
    cols = {}
    for j in range(k):
        v = rng.integers(1, 8, size=n).astype(float)
        v[rng.random(n) < 0.2] = np.nan
        if j % 5 == 1:
            v = pd.Series(v)
        elif j % 5 == 2:
            v = rng.integers(1, 8, size=n)           # integers: float copies
        cols[f"c{j}"] = v
    return cols


@pytest.mark.parametrize("n,k", [(1, 1), (1, 5), (7, 0), (40, 3), (300, 40)])
def test_missing_and_invalid_on_a_block(n, k):
    cols = _random_columns(np.random.default_rng(n + k), n, k)
    names = list(cols)
    for rate in (0.0, 0.05, 0.5, 0.99):
        got = quirks.missing_arrays(cols, names, np.random.default_rng(1), n, rate=rate)
        want = (_old_missing(cols, names, np.random.default_rng(1), n, rate=rate) if rate > 0
                else {c: cols[c] for c in names})
        _same({c: np.asarray(v, dtype=float) for c, v in got.items()},
              {c: np.asarray(v, dtype=float) for c, v in want.items()})
        ranges = {c: (1, 7) if j % 2 else (0.0, 10.5) for j, c in enumerate(names)}
        got = quirks.invalid_arrays(cols, ranges, np.random.default_rng(2), n, rate=rate)
        want = (_old_invalid(cols, ranges, np.random.default_rng(2), n, rate=rate) if rate > 0
                else {c: cols[c] for c in names})
        _same({c: np.asarray(v, dtype=float) for c, v in got.items()},
              {c: np.asarray(v, dtype=float) for c, v in want.items()})


def _old_likert(params, latent, rng):
    n = population.n_rows(latent)
    cols = {}
    noise = rng.standard_normal((n, len(params.items)))
    for j, (iid, spec) in enumerate(params.items.items()):
        lam = spec["loading"]
        ystar = lam * population.column_of(latent, f"eta_{spec['construct']}") \
            + np.sqrt(1 - lam ** 2) * noise[:, j]
        for g, shift in (spec.get("dif") or {}).items():
            ystar = ystar + shift * (population.column_of(latent, "group") == g)
        cat = np.searchsorted(np.asarray(spec["thresholds"]), ystar, side="left")
        cols[iid] = spec["min"] + cat
    return cols


@pytest.mark.parametrize("n", [1, 2, 40, 300])
def test_likert_items_as_one_block(ins, n):
    params = study._parameters(ins, get_scenario("p1p2"))
    latent = population.latent_arrays(params, n, np.random.default_rng(n))
    _same(population.likert_arrays(params, latent, np.random.default_rng(5)),
          _old_likert(params, latent, np.random.default_rng(5)))
    # other loadings, thresholds per item (several distinct lists), DIF and a 5-point item
    items = {}
    for j, (iid, spec) in enumerate(params.items.items()):
        spec = dict(spec, loading=[0.3, 0.55, 0.8, 0.95][j % 4])
        if j % 3 == 0:
            spec = dict(spec, min=0, thresholds=[-1.0, 0.0, 0.5, 1.5])
        if j % 7 == 0:
            spec = dict(spec, dif={"born_global": 0.4})
        items[iid] = spec
    other = type("P", (), {"items": items})()
    _same(population.likert_arrays(other, latent, np.random.default_rng(6)),
          _old_likert(other, latent, np.random.default_rng(6)))
    assert population.likert_arrays(type("P", (), {"items": {}})(), latent,
                                    np.random.default_rng(1)) == {}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 3, 40, 300])
def test_routing_as_column_by_column(ins, monkeypatch, n, seed):
    seen = []
    real = study._apply_routing

    def both(values, meta, consent, answering, n_):
        before = dict(values)
        want = dict(values)
        _old_routing(want, meta, consent, answering, n_)
        real(values, meta, consent, answering, n_)
        _same(values, want)
        for c in before:     # the answers given are not changed in place
            assert before[c] is not values[c] or c == "consent" or c not in meta.show
        seen.append(len(values))

    monkeypatch.setattr(study, "_apply_routing", both)
    study.simulate_study(ins, "p1p2", n=n, seed=seed, careless_rate=0.3, missing_rate=0.2)
    assert seen
