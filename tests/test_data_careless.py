"""Careless-responding indices against the careless package's own R code (1.2.2).

Reference: tests/reference/data_careless.R (careless_dataset with injected NAs).
Tolerance: 1e-9 absolute (same algorithms, double precision).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import careless as cl
from rsnprop.data import careless_covariance as ccov

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def data():
    x = pd.read_csv(REF / "data_careless.csv").to_numpy(dtype=float)
    ref = json.loads((REF / "data_careless.json").read_text())
    return x, {k: np.array([np.nan if v is None else v for v in vals], dtype=float)
               for k, vals in ref.items() if k != "source"}


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(a, b, rtol=0, atol=tol, equal_nan=True)


def test_longstring_and_avg(data):
    x, ref = data
    ls, avg = cl.longstring(x, avg=True)
    _close(ls, ref["longstring"])
    _close(avg, ref["avgstr"])


def test_irv(data):
    x, ref = data
    _close(cl.irv(x), ref["irv"])


def test_mahad_pairwise(data):
    x, ref = data
    _close(cl.mahad(x), ref["mahad"], tol=1e-7)


def test_evenodd(data):
    x, ref = data
    _close(cl.evenodd(x, [5] * 10), ref["evenodd"])


def test_psychsyn_and_psychant(data):
    x, ref = data
    val, k = cl.psychsyn(x, 0.60, diag=True)
    _close(val, ref["psychsyn"])
    _close(k, ref["psychsyn_pairs"])
    ext = np.hstack([x, 8 - x[:, [0, 5, 10, 15]]])
    _close(cl.psychsyn(ext, -0.60, anto=True), ref["psychant"])


def test_pairwise_cov_matches_pandas(data):
    x, _ = data
    cov = cl.pairwise_cov(x)[0]
    _close(cov, pd.DataFrame(x).cov().to_numpy(), tol=1e-10)


def test_indices_flag_planted_straightliner():
    rng = np.random.default_rng(3)
    n, k = 150, 6
    f1, f2 = rng.normal(size=(2, n, 1))
    a = np.clip(np.round(4 + 1.2 * f1 + rng.normal(0, .7, (n, k))), 1, 7)
    b = np.clip(np.round(4 + 1.2 * f2 + rng.normal(0, .7, (n, k))), 1, 7)
    df = pd.DataFrame(np.hstack([a, b]), columns=[f"a{i}" for i in range(k)] + [f"b{i}" for i in range(k)])
    df.iloc[0] = 4.0                        # straight-liner
    df.iloc[1] = rng.integers(1, 8, 2 * k)  # random responder
    idx, flags, notes = cl.careless_indices(df, factors=[list(df.columns[:k]), list(df.columns[k:])])
    assert flags.loc[0, "flag_longstring"] and flags.loc[0, "flag_irv"]
    assert flags.sum(axis=1).loc[0] >= 2
    assert idx["longstring"].iloc[0] == 2 * k
    assert not flags["flag_longstring"].iloc[2:].mean() > 0.05


def test_screen_recovers_simulated_careless_responders():
    """Known truth (rsnprop.simulate): careless respondents are excluded, attentive ones are
    not excluded for careless reasons."""
    import warnings

    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    ins = load_instrument(Path(__file__).resolve().parents[1] / "instruments"
                          / "rsn_internationalisation.yaml")
    raw, truth = simulate_study(ins, "p1p2", n=1000, seed=11, return_truth=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = clean(raw, ins)
    careless_reasons = {"attention_check", "speeding", "careless_indices"}
    hit = {e["id"] for e in res.log["excluded"] if careless_reasons & set(e["reasons"])}
    kind = dict(zip(truth["resp_id"], truth["careless"].fillna("")))
    screened = set(res.flags.loc[~np.isnan(res.flags["longstring"]), "resp_id"])
    by_kind = {}
    for rid in screened:
        by_kind.setdefault(kind[rid] or "none", []).append(rid in hit)
    assert np.mean(by_kind["straightline"]) >= 0.9 and np.mean(by_kind["random"]) >= 0.9
    assert np.mean(by_kind["speeder"]) >= 0.7
    assert np.mean(by_kind["none"]) <= 0.02


def _likert(n=3000, p=12, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, (n, p)).astype(float)
    x[rng.random((n, p)) < 0.1] = np.nan
    x[:50] = 4.0                                     # some straight-liners
    return x


def test_exact_integer_covariance_equals_float_path(monkeypatch):
    """The float32 path for small-integer answers (threaded or not) gives the float64 sums
    bit for bit."""
    from concurrent.futures import ThreadPoolExecutor

    x = _likert()
    with ThreadPoolExecutor(2) as pool:
        fast, means = ccov._pairwise_cov(x, pool)
    assert means is not None
    np.testing.assert_array_equal(means, np.nanmean(x, axis=0))
    monkeypatch.setattr(ccov, "_exact_sums", lambda a: None)
    slow, none = ccov._pairwise_cov(x)
    assert none is None
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    x[0, 0] = 2.5                                    # not integer: float path
    assert ccov._exact_sums(x) is None


def test_reverse_in_place_equals_two_matrices():
    x = _likert()
    rev_cols = {1: 8, 4: 8, 7: 8}
    x_rev = x.copy()
    for j, t in rev_cols.items():
        x_rev[:, j] = t - x[:, j]
    cols = [f"i{j}" for j in range(x.shape[1])]
    factors = [cols[:4], cols[4:8], cols[8:]]
    a = cl.careless_indices(pd.DataFrame(x_rev, columns=cols), factors=factors,
                            raw_items=pd.DataFrame(x, columns=cols))
    b = cl.careless_indices(pd.DataFrame(np.asfortranarray(x), columns=cols, copy=False),
                            factors=factors, reverse_in_place=rev_cols)
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)
    assert a[2] == b[2]


# --- indices not in careless 1.2.2: plain R definitions (tests/reference/data_careless_new.R)
# Tolerance: 1e-12 absolute (person-total: the same Pearson correlation; pattern: exact counts).

def _planted(p):
    j = np.arange(p)
    straight = np.full(p, 4.0)
    straight[[9, 19]] = np.nan                 # R's c(10, 20), 1-based
    desc = (7 - j % 7).astype(float)
    desc[np.arange(2, p, 9)] = np.nan          # R's seq(3, p, by = 9)
    return np.vstack([1 + j % 7, np.where(j % 2 == 0, 1, 7), straight,
                      np.array([2, 5, 3])[j % 3], desc]).astype(float)


@pytest.fixture(scope="module")
def data_new():
    x = pd.read_csv(REF / "data_careless.csv").to_numpy(dtype=float)
    x = np.vstack([x, _planted(x.shape[1])])
    ref = json.loads((REF / "data_careless_new.json").read_text())
    return x, {k: np.array([np.nan if v is None else v for v in vals], dtype=float)
               for k, vals in ref.items() if k != "source"}


def test_person_total_matches_r(data_new):
    x, ref = data_new
    _close(cl.person_total(x), ref["person_total"], tol=1e-12)


def test_irv_split_matches_careless(data_new):
    x, ref = data_new
    got = cl.irv_split(x, 4)
    for b in range(4):
        _close(got[:, b], ref[f"irv{b + 1}"], tol=1e-12)
    _close(cl.irv_split(x, 3)[:, 0], ref["irv3_1"], tol=1e-12)


def test_pattern_matches_r(data_new):
    x, ref = data_new
    _close(cl.pattern(x), ref["pattern"], tol=1e-12)
    _close(cl.pattern(x, max_lag=4, min_pairs=3), ref["pattern_lag4"], tol=1e-12)
    assert (cl.pattern(x)[-5:] == 1).all()          # every planted pattern is found


def test_independent_injector_caught_at_the_promised_rates():
    """Careless respondents planted by tests/careless_injector.py (no code shared with the
    simulator) into attentive simulated exports are excluded at the rates of the simulation
    study (docs/careless.md); 3 data sets of 300 here, 20 in bench/bench_careless.py."""
    import sys

    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    sys.path.insert(0, str(Path(__file__).parent))
    from careless_injector import inject

    ins = load_instrument(Path(__file__).resolve().parents[1] / "instruments"
                          / "rsn_internationalisation.yaml")
    rates = independent_rates(ins, inject, simulate_study, clean, seeds=[31, 32, 33])
    assert rates["genuine"] <= 0.02
    assert rates["straightline"] >= 0.95 and rates["random"] >= 0.90
    assert rates["diagonal"] >= 0.80
    assert rates["speeder"] == 1.0 and rates["attention"] == 1.0


def independent_rates(ins, inject, simulate_study, clean, seeds, n=300):
    """Share of each injected type excluded by the careless step, over ``seeds``."""
    import warnings

    checks = {c: float(it.attention_check.expected) for c, it in ins.items.items()
              if getattr(it, "attention_check", None)}
    likert = [c for c, it in ins.items.items() if it.type == "likert" and c not in checks]
    hit, kinds_all = [], []
    for seed in seeds:
        raw, truth = simulate_study(ins, "p1p2", n=n, seed=seed, careless_rate=0.0,
                                    return_truth=True)
        cand = truth["eligible"].to_numpy() & raw[likert].notna().any(axis=1).to_numpy()
        dirty, kinds = inject(raw, likert, checks, cand, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = clean(dirty, ins)
        why = {e["row"] - 1: set(e["reasons"]) for e in res.log["excluded"]}
        careless = {"attention_check", "speeding", "careless_indices"}
        # firms that cleaning screens out before the careless step (consent, duplicates,
        # eligibility, routing) are not screened for carelessness: out of the denominator
        before = {"no_consent", "duplicate_id", "duplicate_submission", "not_sme",
                  "not_internationalised", "not_decision_maker", "no_rsn_use"}
        rows = np.array([r for r in np.flatnonzero(cand) if not why.get(r, set()) & before],
                        dtype=int)
        hit += [bool(why.get(r, set()) & careless) for r in rows]
        kinds_all += list(kinds[rows])
    hit, kinds_all = np.array(hit), np.array(kinds_all)
    return {k: float(hit[kinds_all == k].mean()) for k in np.unique(kinds_all)}


def test_log_names_the_rule_and_values_of_each_careless_exclusion():
    """Every respondent excluded by the careless step has an entry saying which rule fired,
    with the index values that crossed the threshold; the expected accuracy (simulation
    study) is in the log and in the report's cleaning section."""
    import warnings

    from rsnprop.data import clean
    from rsnprop.data.rules import CarelessRules
    from rsnprop.instrument import load_instrument
    from rsnprop.report.sections.cleaning import cleaning_section
    from rsnprop.results import jsonsafe
    from rsnprop.simulate import simulate_study

    ins = load_instrument(Path(__file__).resolve().parents[1] / "instruments"
                          / "rsn_internationalisation.yaml")
    raw = simulate_study(ins, "p1p2", n=300, seed=7, careless_rate=0.2,
                         careless_mix={"midpoint": 1, "random": 1, "diagonal": 1, "speeder": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = clean(raw, ins)
    car = res.log["careless"]
    cr = CarelessRules()
    careless = {"attention_check", "speeding", "careless_indices"}
    excluded = {e["row"]: set(e["reasons"]) & careless for e in res.log["excluded"]}
    detail = {d["row"]: d for d in car["excluded_detail"]}
    assert {r for r, why in excluded.items() if why} == set(detail)
    assert {"irv", "mahad", "pattern"} <= {r for d in detail.values() for r in d["rules"]}
    for row, d in detail.items():
        v = d["values"]
        for rule in d["rules"]:
            if rule == "irv":
                assert v["irv"] == 0
            elif rule == "irv_block":
                assert v["irv_block"] <= cr.irv_block_max
            elif rule == "mahad":
                assert v["mahad_p"] < cr.mahad_alpha
            elif rule == "pattern":
                assert v["pattern"] > cr.pattern_max
            elif rule == "longstring":
                assert v["longstring"] > cr.longstring_max_share * 38
            elif rule == "speeding":
                assert v["duration_ratio"] < cr.min_duration_ratio
            elif rule == "attention_check":
                assert v["attention_failed"] >= 1
            else:
                assert rule == "2_weak_flags" and len(v["weak_flags"]) >= 2
    assert sum(car["excluded_by_rule"].values()) >= len(detail)
    acc = car["expected_accuracy"]
    assert acc["rule_set"] == "default" and acc["false_exclusion"] <= 0.02
    assert acc["sensitivity"]["straightline"] >= 0.95 and acc["study"]["n_sets"] >= 20
    assert f"{100 * acc['false_exclusion']:.1f}% of attentive" in res.summary()

    from rsnprop.report.inputs import Inputs

    inputs = Inputs(name="careless", cleaning_log=jsonsafe(res.log))
    text = " ".join(str(b.data) for b in cleaning_section(inputs).blocks)
    assert "Expected accuracy of this screen" in text and "attentive respondents" in text
    from rsnprop.report.sections.cleaning import rule_words

    first = car["excluded_detail"][0]
    rules = ", ".join(map(rule_words, first["rules"]))  # the rules in words, not log keys
    assert f"row {first['row']}, id {first['id']}: {rules}" in text
