"""The clean of a small export on arrays (sixth round of issue 21): each array path against
the general path it replaces (pandas, or the Python loop it vectorises), and the clean's
outputs against fingerprints frozen from commit a5f3672 (before these changes)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import CleaningRules, clean
from rsnprop.data import careless_screen, validate_small
from rsnprop.data.careless import careless_indices, index_rule
from rsnprop.data.careless_consistency import synonym_pairs
from rsnprop.data.careless_covariance import pairwise_cov
from rsnprop.data.validate import _bounds, _numeric_tokens, problems_frame
from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study


@pytest.fixture(scope="module")
def ins():
    return load_instrument("instruments/rsn_internationalisation.yaml")


def frame_sha(df) -> str:
    """Column names, dtypes, index and values of a frame, hashed."""
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    h.update(repr(df.index).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


CASES = [("p1p2", 300, 3, {}), ("dif", 300, 4, {}),
         ("null", 120, 5, {"missing_rate": 0.15, "missing_mechanism": "mar"}),
         ("p1p2", 200, 6, {"careless_rate": 0.3, "invalid_rate": 0.05}), ("p1p2", 9, 7, {})]


def fingerprints(ins, scenario, n, seed, opts, rules=None) -> list:
    raw, truth = simulate_study(ins, scenario, n=n, seed=seed, return_truth=True, **opts)
    lean = clean(raw, ins, rules, diagnostics=False)
    full = clean(raw, ins, rules)
    log = {k: v for k, v in full.log.items() if k != "instrument"}
    return [frame_sha(raw), frame_sha(truth), frame_sha(lean.data), frame_sha(lean.flags),
            hashlib.sha256(json.dumps(log, sort_keys=True, default=str).encode()).hexdigest()[:16],
            frame_sha(full.problems)]


# fingerprints of (raw export, truth, clean data, flags [diagnostics=False, as a power
# replication cleans], log, problems [with diagnostics]) of each case, computed at a5f3672
# (before the array paths) with the bundled instrument and the default cleaning rules. A
# legitimate change of the simulator or of the clean changes them: recompute them then
# (fingerprints() at the commit before the change, to check nothing else moved).
EXPECTED = {
    "p1p2-300-3": ["586cc233d11c21d2", "a81bf12a64ea27ee", "69193b857a2f9a7c",
        "4bce61ba186a150f", "89d5386be64b277b", "921eb4adc5c517d9"],
    "dif-300-4": ["9861e89c3e9937e8", "d304a2092c60dfae", "a4ed7e904debf4af",
        "107423d4d549fa61", "74410244ab1a9091", "68e556375ef2d68b"],
    "null-120-5": ["80f6fba5dd965acd", "47b58c2cf6272439", "0f5fd733da376d5c",
        "a7488e1d19fa4515", "3187d5e80ae70854", "c4f13cc94ff489dd"],
    "p1p2-200-6": ["30cac5ecc97aa5fe", "ac00d1e95e18025e", "7c8e3c1aa412de22",
        "2501201cc9c4158f", "2c6ab81c4dc34db9", "1187a6e582395aa7"],
    "p1p2-9-7": ["22dcce716c516cbe", "34550b89f1351272", "141ec2dd4a382405",
        "1f90f936bb2b2c47", "2924ef0e8bc510d2", "cc355ab51e3d2fcc"],
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_simulated_and_cleaned_as_frozen(ins, case):
    scenario, n, seed, opts = case
    assert fingerprints(ins, scenario, n, seed, opts) == EXPECTED[f"{scenario}-{n}-{seed}"]


def test_problems_frame_empty_copies():
    a, b = problems_frame(), problems_frame()
    assert a is not b and a.empty and list(a.columns) == ["row", "column", "value", "reason"]
    assert [str(t) for t in a.dtypes] == ["int64", "object", "object", "object"]
    a.loc[0] = [1, "x", "y", "z"]            # a caller may change what it gets
    assert problems_frame().empty


def _synonym_pairs_loop(x, critval, anto):
    cov, sdi, sdj, _ = pairwise_cov(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        cor = cov / (sdi * sdj)
    crit, pairs, p = abs(critval), [], x.shape[1]
    for j in range(p):
        for i in range(j + 1, p):
            c = cor[i, j]
            if np.isfinite(c) and ((c < -crit) if anto else (c > crit)):
                pairs.append((i, j))
    return pairs


def test_synonym_pairs_as_the_loop():
    rng = np.random.default_rng(0)
    n_found = 0
    for t in range(120):
        n, p = int(rng.integers(3, 40)), int(rng.integers(1, 12))
        x = np.round(rng.standard_normal((n, 1)) * rng.uniform(-2, 2, p) + rng.standard_normal((n, p)))
        x[rng.random((n, p)) < 0.1] = np.nan
        if t % 7 == 0:
            x[:, 0] = 1.0          # no variance: NaN correlations
        for crit in (0.1, 0.6, -0.4):
            for anto in (False, True):
                got = synonym_pairs(x, crit, anto=anto)
                assert got == _synonym_pairs_loop(x, crit, anto)
                n_found += len(got)
    assert n_found > 100


def _suspect_loop(arr, items, tokens):
    """The column-by-column test that validate_small._suspect vectorises."""
    num_tokens = np.array(_numeric_tokens(frozenset(tokens)), dtype="float64")
    with np.errstate(invalid="ignore"):
        vmin = np.nanmin(arr, axis=0, initial=np.inf)
        vmax = np.nanmax(arr, axis=0, initial=-np.inf)
        frac = ((arr - np.floor(arr)) > 0).any(axis=0)
    out = np.zeros(arr.shape[1], dtype=bool)
    for j, item in enumerate(items):
        lo, hi = _bounds(item)
        itype = getattr(item, "type", "")
        choices = getattr(item, "choices", {}) or {}
        if len(num_tokens) and ((num_tokens >= vmin[j]) & (num_tokens <= vmax[j])).any():
            out[j] = True
        elif (lo is not None and vmin[j] < lo) or (hi is not None and vmax[j] > hi):
            out[j] = True
        elif frac[j] and (itype in ("likert", "integer") or (choices and itype == "select_one")):
            out[j] = True
        elif choices and itype == "select_one":
            allowed = np.array([float(c) for c in choices], dtype="float64")
            col = arr[:, j]
            out[j] = bool((~np.isin(col, allowed) & ~np.isnan(col)).any())
    return out


def test_suspect_columns_as_the_loop(ins):
    rules = CleaningRules()
    tokens = {t.strip().lower() for t in rules.missing_tokens}
    n_hit = 0
    for seed in range(6):
        raw = simulate_study(ins, "p1p2", n=150, seed=seed, invalid_rate=0.01 * seed,
                             missing_rate=0.1)
        cols = [c for c in raw.columns if c in ins.items and getattr(ins.items[c], "numeric", False)
                and raw[c].dtype.kind in "fi"]
        arr = validate_small.columns_array(raw, cols)
        if seed % 2:                           # fractions and codes outside every range
            arr[seed, :] += 0.5
            arr[seed + 1, ::3] = -99.0
        items = [ins.items[c] for c in cols]
        for toks in (tokens, set()):
            got = validate_small._suspect(arr, items, toks)
            np.testing.assert_array_equal(got, _suspect_loop(arr, items, toks))
            n_hit += int(got.sum())
    assert 0 < n_hit


def test_index_rule_dict_as_frame():
    rng = np.random.default_rng(3)
    flags = {f"flag_{k}": rng.random(50) < 0.2 for k in ("longstring", "irv", "mahad", "pattern",
                                                          "evenodd", "person_total")}
    for rules in (None, CleaningRules(careless={"min_index_flags": 1}).careless):
        a, b = index_rule(flags, rules), index_rule(pd.DataFrame(flags), rules)
        for x, y in zip(a, b):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def test_spread_as_reindex():
    rows = np.array([0, 2, 3, 7])
    for v in (np.array([1.5, np.nan, 2.0, 3.0]), np.array([1, 2, 3, 4]),
              np.array([True, False, True, True])):
        for fill in (None, False):
            got = careless_screen._spread(v, rows, 9, fill=fill)
            want = pd.Series(v, index=rows).reindex(range(9), fill_value=fill).to_numpy()
            assert got.dtype == want.dtype
            pd.testing.assert_series_equal(pd.Series(got), pd.Series(want))
    full = np.array([2.0, 1.0])
    assert careless_screen._spread(full, np.arange(2), 2) is not full


def test_careless_screen_indices_as_careless_indices(ins):
    """The indices and flags of the screen (arrays) are careless_indices' (frames)."""
    for seed, rate in ((1, 0.05), (2, 0.4)):
        raw = simulate_study(ins, "p1p2", n=200, seed=seed, careless_rate=rate)
        likert = [c for c in raw.columns if c in ins.items and ins.items[c].type == "likert"
                  and not getattr(ins.items[c], "attention_check", None)]
        rows = np.arange(0, 200, 2)
        cr = CleaningRules().careless
        ind, fla, notes = careless_screen._indices_of_rows(raw, ins, likert, rows, cr)
        x = raw[likert].to_numpy(dtype="float64")[rows]
        rev = {j: ins.items[c].scale.min + ins.items[c].scale.max for j, c in enumerate(likert)
               if getattr(ins.items[c], "reverse", False)}
        keyed = x.copy()
        for j, t in rev.items():
            keyed[:, j] = t - keyed[:, j]
        factors = [[c for c in con.items if c in likert] for con in ins.constructs.values()]
        want_i, want_f, want_n = careless_indices(pd.DataFrame(keyed, columns=likert, index=rows),
                                                  factors=factors, rules=cr,
                                                  raw_items=pd.DataFrame(x, columns=likert))
        assert list(ind) == list(want_i.columns) and list(fla) == list(want_f.columns)
        assert notes == want_n
        for c in ind:
            np.testing.assert_allclose(ind[c], want_i[c].to_numpy(), rtol=1e-12, atol=1e-12)
        for c in fla:
            np.testing.assert_array_equal(np.asarray(fla[c], dtype=bool), want_f[c].to_numpy())


def test_respondent_ids_of_text_as_the_conversion(monkeypatch):
    from rsnprop.data import columns

    vals = ["A1", None, "b 2", "", "7", "A1"]
    for dtype in ("str", "string", pd.StringDtype("python"), object):
        df = pd.DataFrame({"resp_id": pd.Series(vals, dtype=dtype)})
        got = columns.respondent_ids(df, print)
        with monkeypatch.context() as m:
            m.setattr(columns, "SMALL_ROWS", 0)
            want = columns.respondent_ids(df, print)
        pd.testing.assert_series_equal(got, want)
        assert got.tolist() == ["A1", None, "b 2", "", "7", "A1"]
