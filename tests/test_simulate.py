"""Tests of rsnprop.simulate: population recovery, facts, quirks, determinism, CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.errors import InputError, SpecificationError
from rsnprop.simulate import (SIMULATED_PREFIX, get_scenario, list_scenarios,
                              population_parameters, simulate_study, write_raw)
from rsnprop.simulate.population import likert_thresholds
from rsnprop.simulate.scenarios import parse_population_syntax, scenario_from_dict

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
CLEAN_RATES = dict(careless_rate=0.0, missing_rate=0.0, invalid_rate=0.0)


@pytest.fixture(scope="module")
def ins():
    from rsnprop.instrument import load_instrument

    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def big(ins):
    """A large clean sample (no careless, missing or invalid answers) with its truth."""
    return simulate_study(ins, "p1p2", n=10000, seed=11, return_truth=True, **CLEAN_RATES)


def _score(raw, ins, construct):
    cols = [i for i in ins.constructs[construct].items if i in raw.columns
            and ins.items[i].attention_check is None]
    x = raw[cols].astype(float).copy()
    for c in cols:
        if ins.items[c].reverse:
            x[c] = ins.items[c].scale.min + ins.items[c].scale.max - x[c]
    return x.mean(axis=1)


# --- population model ----------------------------------------------------------------------

def test_thresholds_match_r():
    # R: qnorm(pbeta((1:6)/7, 2*(1+0.25), 2*(1-0.25)))  (tests/reference/simulate_thresholds.R)
    ref = json.loads((REPO / "tests/reference/simulate_thresholds.json").read_text())
    for case in ref["cases"]:
        got = likert_thresholds(case["k"], case["skew"])
        np.testing.assert_allclose(got, case["thresholds"], atol=1e-10)


def test_latent_d_between_groups_recovered(ins, big):
    _, truth = big
    pp = population_parameters(ins, "p1p2")
    g = truth["born_global"] == 1
    for c in pp.constructs:
        e = truth[f"eta_{c}"]
        d = (e[g].mean() - e[~g].mean()) / np.sqrt((e[g].var() + e[~g].var()) / 2)
        assert abs(d - pp.d_between[c]) < 0.05, (c, d, pp.d_between[c])
    assert pp.d_between["intl_approach"] == pytest.approx(1.2, abs=0.05)


def test_within_group_contrast_recovered(ins, big):
    _, truth = big
    pp = population_parameters(ins, "p1p2")
    for grp in ("traditional", "born_global"):
        sub = truth[truth["group"] == grp]
        diff = sub["eta_relational"] - sub["eta_informational"]
        assert diff.mean() == pytest.approx(pp.contrasts[grp]["diff"], abs=0.04)
        assert diff.std() == pytest.approx(pp.contrasts[grp]["sd"], abs=0.04)
    assert pp.expected == {"P1": "supported", "P2": "supported"}


def test_observed_scores_follow_propositions(ins, big):
    raw, truth = big
    diff = _score(raw, ins, "relational") - _score(raw, ins, "informational")
    bg = truth["born_global"].to_numpy() == 1
    assert diff[bg].mean() > 0.15 and diff[~bg].mean() < -0.15
    # the loadings show up as item-total correlations, the truth as score validity
    score = _score(raw, ins, "relational").to_numpy()
    ok = ~np.isnan(score)
    r = np.corrcoef(score[ok], truth["eta_relational"].to_numpy()[ok])[0, 1]
    assert r > 0.8


@pytest.mark.parametrize("name, p1, p2", [("null", "equivalent", "equivalent"),
                                          ("reversed", "contradicted", "contradicted"),
                                          ("p2_only", "equivalent", "supported")])
def test_expected_verdicts_of_named_scenarios(ins, name, p1, p2):
    assert population_parameters(ins, name).expected == {"P1": p1, "P2": p2}


def test_null_scenario_has_no_contrast(ins):
    raw, truth = simulate_study(ins, "null", n=6000, seed=5, return_truth=True, **CLEAN_RATES)
    diff = _score(raw, ins, "relational") - _score(raw, ins, "informational")
    for g in (0, 1):
        m = truth["born_global"].to_numpy() == g
        se = diff[m].std() / np.sqrt(m.sum())
        assert abs(diff[m].mean()) < 4 * se + 0.02


# --- facts ---------------------------------------------------------------------------------

def test_facts_consistent_with_born_global_definitions(ins, big):
    raw, truth = big
    ok = truth["consent"].to_numpy() == 1
    r, t = raw[ok & raw["decision_maker"].eq(1).to_numpy()], truth[ok & raw["decision_maker"].eq(1).to_numpy()]
    years = r["first_foreign_sale_year"] - r["founding_year"]
    bg = t["born_global"].to_numpy() == 1
    assert (r.loc[bg, "foreign_share_y3"] >= 25).all()
    assert (years[bg] <= 3).all()
    trad = ~bg
    assert (r.loc[trad, "foreign_share_y3"].fillna(0) < 25).all()
    ms20_only = trad & (r["foreign_share_y3"].fillna(0) >= 20).to_numpy()
    assert 0.01 < ms20_only[trad].mean() < 0.08          # borderline firms exist, but few
    phase1 = r["phase"].to_numpy() == 1
    assert r.loc[phase1, "first_foreign_sale_year"].isna().all()
    assert (r["n_continents"].dropna() >= 0).all()
    distant = r["distant_markets"] == 1
    assert (r.loc[distant, "n_continents"] >= 2).all()
    assert (r["first_foreign_sale_year"].dropna() >= r.loc[r["first_foreign_sale_year"].notna(), "founding_year"]).all()


def test_constant_sum_adds_to_100(ins, big):
    raw, _ = big
    both = raw[["cs_relational", "cs_informational"]].dropna()
    assert len(both) > 0 and (both.sum(axis=1) == 100).all()


# --- quirks --------------------------------------------------------------------------------

def test_careless_rate_and_attention_checks(ins):
    raw, truth = simulate_study(ins, "p1p2", n=4000, seed=3, return_truth=True, careless_rate=0.10,
                                missing_rate=0.0, invalid_rate=0.0)
    answering = (truth["consent"] == 1).to_numpy() & raw["decision_maker"].eq(1).to_numpy()
    careless = truth["careless"].to_numpy() != ""
    assert 0.08 < careless[answering].mean() < 0.12
    assert not careless[~answering].any()
    fail = (raw["attn_1"] != 1) | (raw["attn_2"] != 6)
    assert fail[careless].mean() > 0.7
    assert fail[answering & ~careless].mean() < 0.02
    speed = raw["duration_sec"]
    assert speed[truth["careless"] == "speeder"].median() < 0.4 * speed[answering & ~careless].median()
    likert = [i for i in ins.constructs["relational"].items]
    straight = (truth["careless"] == "straightline").to_numpy()
    assert (raw.loc[straight, likert].nunique(axis=1) == 1).all()


def test_missing_mcar_rate_and_mar_dependence(ins):
    items = ins.constructs["informational"].items
    raw, truth = simulate_study(ins, "p1p2", n=4000, seed=4, return_truth=True, careless_rate=0.0,
                                missing_rate=0.10, missing_mechanism="mcar", invalid_rate=0.0)
    ok = truth["eligible"].to_numpy()
    rate = raw.loc[ok, items].isna().to_numpy().mean()
    assert 0.09 < rate < 0.11
    raw2, truth2 = simulate_study(ins, "p1p2", n=4000, seed=4, return_truth=True, careless_rate=0.0,
                                  missing_rate=0.10, missing_mechanism="mar", invalid_rate=0.0)
    ok2 = (truth2["consent"] == 1).to_numpy() & raw2["decision_maker"].eq(1).to_numpy()
    miss = raw2.loc[ok2, items].isna().mean(axis=1)
    emp = np.log(raw2.loc[ok2, "employees"])
    assert np.corrcoef(miss, emp)[0, 1] > 0.15
    assert 0.08 < raw2.loc[ok2, items].isna().to_numpy().mean() < 0.12
    # required items are never missing for respondents who answer
    assert raw2.loc[ok2, "founding_year"].notna().all()


def test_invalid_codes_present_only_when_asked(ins):
    items = [i for c in ("relational", "informational") for i in ins.constructs[c].items]
    raw = simulate_study(ins, "p1p2", n=2000, seed=6, invalid_rate=0.01, careless_rate=0.0)
    vals = raw[items].to_numpy()
    bad = ~np.isnan(vals) & ((vals < 1) | (vals > 7))
    assert 0.005 < bad.mean() < 0.02
    assert set(np.unique(vals[bad])) <= {0.0, 8.0, 99.0, -9.0}
    raw0 = simulate_study(ins, "p1p2", n=2000, seed=6, invalid_rate=0.0)
    v0 = raw0[items].to_numpy()
    assert not (~np.isnan(v0) & ((v0 < 1) | (v0 > 7))).any()


def test_quirks_do_not_change_the_firms(ins):
    """Each step has its own random stream: the latent truth does not depend on the rates."""
    _, t1 = simulate_study(ins, "p1p2", n=200, seed=8, return_truth=True, careless_rate=0.0)
    _, t2 = simulate_study(ins, "p1p2", n=200, seed=8, return_truth=True, careless_rate=0.2)
    pd.testing.assert_series_equal(t1["eta_relational"], t2["eta_relational"])


# --- export --------------------------------------------------------------------------------

def test_generic_export_columns(ins):
    raw = simulate_study(ins, "p1p2", n=30, seed=1)
    assert list(raw.columns[:3]) == ["resp_id", "submitted_at", "duration_sec"]
    item_cols = [i for i, it in ins.items.items() if it.type != "meta"]
    assert set(item_cols) <= set(raw.columns)
    assert set(raw.columns) - set(item_cols) <= {"resp_id", "submitted_at", "duration_sec", "survey_year",
                                                 "survey_language"}
    assert raw["resp_id"].str.startswith(SIMULATED_PREFIX).all() and raw["resp_id"].is_unique


def test_same_seed_same_bytes_other_seed_other_bytes(ins, tmp_path):
    h = []
    for k, seed in enumerate((7, 7, 8)):
        write_raw(simulate_study(ins, "p1p2", n=60, seed=seed), tmp_path / f"r{k}.csv")
        h.append(hashlib.sha256((tmp_path / f"r{k}.csv").read_bytes()).hexdigest())
    assert h[0] == h[1] != h[2]


def test_read_table_reads_the_export(ins, tmp_path):
    from rsnprop.data import read_table

    raw = simulate_study(ins, "p1p2", n=80, seed=2)
    write_raw(raw, tmp_path / "raw.csv")
    back = read_table(tmp_path / "raw.csv", instrument=ins)
    assert len(back) == 80
    np.testing.assert_allclose(back["rel_1"].to_numpy(dtype=float), raw["rel_1"].to_numpy(dtype=float))


def test_bundled_example_is_reproducible(ins):
    example = REPO / "rsnprop" / "datasets" / "example_raw.csv"
    raw = simulate_study(ins, "p1p2", n=300, seed=2026)
    from rsnprop.simulate.quirks import raw_csv_bytes

    assert raw_csv_bytes(raw) == example.read_bytes()


# --- scenarios -----------------------------------------------------------------------------

def test_named_scenarios_and_yaml(tmp_path):
    assert list_scenarios() == ["dif", "null", "p1p2", "p2_only", "reversed"]
    f = tmp_path / "mine.yaml"
    f.write_text("base: null\nmeans:\n  born_global: {relational: 0.8}\nbg_share: 0.3\n")
    from rsnprop.simulate import load_scenario

    sc = load_scenario(f)
    assert sc.name == "mine" and sc.bg_share == 0.3
    assert sc.means["born_global"]["relational"] == 0.8
    assert sc.means["born_global"]["intl_approach"] == 1.2     # kept from the base


def test_dif_spec_is_validated_and_recorded():
    from rsnprop.errors import SpecificationError
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import population_parameters

    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    pp = population_parameters(ins, "dif")
    assert pp.items["rel_1"]["dif"] == {"born_global": 0.5}
    assert all(not v["dif"] for k, v in pp.items.items() if k != "rel_1")
    assert pp.expected == population_parameters(ins, "null").expected      # truth unchanged
    for bad in ({"dif": [{"scale": "relational", "k": 99}]},
                {"dif": [{"scale": "nope"}]},
                {"dif": [{"items": ["rel_99"]}]}):
        with pytest.raises(SpecificationError):
            population_parameters(ins, {"base": "null", **bad})
    with pytest.raises(SpecificationError):
        population_parameters(ins, {"base": "null", "dif": [{"group": "both"}]})


def test_lavaan_like_syntax():
    sc = scenario_from_dict({"name": "s", "model": """
        relational =~ 0.8*rel_1 + 0.6*rel_2   # loadings
        relational ~~ 0.3*informational
        relational ~ 0.2*1 + 0.5*born_global + -0.1*phase
    """})
    assert sc.loadings["relational"] == [0.8, 0.6]
    assert sc.correlation("informational", "relational") == 0.3
    assert sc.means["traditional"]["relational"] == 0.2
    assert sc.means["born_global"]["relational"] == pytest.approx(0.7)
    assert sc.phase_slopes["traditional"]["relational"] == -0.1
    with pytest.raises(SpecificationError, match="numeric value"):
        parse_population_syntax("relational =~ rel_1")


def test_bad_scenarios_name_the_problem(ins):
    with pytest.raises(SpecificationError, match="unknown scenario"):
        get_scenario("p3")
    with pytest.raises(SpecificationError) as err:
        scenario_from_dict({"name": "x", "bg_share": 1.5})
    assert err.value.parameter == "bg_share"
    with pytest.raises(SpecificationError, match="positive definite"):
        population_parameters(ins, {"name": "x", "correlations": {
            "relational~~informational": 0.95, "relational~~risk_reduction": 0.95,
            "informational~~risk_reduction": -0.9}})
    with pytest.raises(InputError):
        simulate_study(ins, "p1p2", n=0, seed=1)


# --- CLI -----------------------------------------------------------------------------------

def test_cli_simulate_writes_csv_and_json(rsnprop_cli, tmp_path):
    out = tmp_path / "raw.csv"
    scen = tmp_path / "mine.yaml"
    scen.write_text("base: p1p2\nbg_share: 0.5\n")
    proc = rsnprop_cli("simulate", "--instrument", INSTRUMENT, "--scenario", scen, "--n", "40",
                       "--seed", "3", "-o", out, "--truth", tmp_path / "truth.csv",
                       "--params", tmp_path / "params.json", "--json")
    assert proc.returncode == 0, proc.stderr
    info = proc.json()
    assert info["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert info["n"] == 40 and info["simulated"] is True and info["scenario"] == "mine"
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert truth["resp_id"].tolist() == pd.read_csv(out)["resp_id"].tolist()
    assert json.loads((tmp_path / "params.json").read_text())["bg_share"] == 0.5
    proc = rsnprop_cli("simulate", "--instrument", INSTRUMENT, "--n", "40", "--seed", "3",
                       "-o", out)
    assert proc.returncode == 0, proc.stderr
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate.quirks import raw_csv_bytes

    again = simulate_study(load_instrument(INSTRUMENT), "p1p2", n=40, seed=3)
    assert raw_csv_bytes(again) == out.read_bytes()


@pytest.mark.parametrize("args, needle", [
    (["--scenario", "nope"], "scenario"),
    (["--n", "0"], "--n"),
    (["--careless-rate", "2"], "--careless-rate"),
])
def test_cli_simulate_bad_input_exits_2(rsnprop_cli, tmp_path, args, needle):
    proc = rsnprop_cli("simulate", "--instrument", INSTRUMENT, *args, "-o", tmp_path / "x.csv")
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_simulate_missing_instrument_exits_2(rsnprop_cli, tmp_path):
    proc = rsnprop_cli("simulate", "--instrument", tmp_path / "none.yaml", "-o", tmp_path / "x.csv")
    assert proc.returncode == 2 and "none.yaml" in proc.stderr


@pytest.mark.parametrize("platform", ["xlsform", "limesurvey", "qualtrics"])
def test_platform_exports_read_back_to_item_ids(ins, tmp_path, platform):
    from rsnprop.data import read_table

    generic = simulate_study(ins, "p1p2", n=40, seed=4)
    raw = simulate_study(ins, "p1p2", n=40, seed=4, platform=platform)
    assert "rel_1" not in raw.columns or platform == "qualtrics" or platform == "limesurvey"
    write_raw(raw, tmp_path / "x.csv", platform=platform)
    back = read_table(tmp_path / "x.csv", platform=platform, instrument=ins)
    items = [i for i in generic.columns if i.startswith(("rel_", "inf_", "ia_", "cs_"))]
    np.testing.assert_allclose(back[items].to_numpy(dtype=float), generic[items].to_numpy(dtype=float))
    assert back["resp_id"].tolist() == generic["resp_id"].tolist()


def test_array_quirks_blank_and_corrupt_the_same_cells_as_the_frame_ones():
    from rsnprop.simulate.quirks import apply_missing, inject_invalid, invalid_arrays, missing_arrays

    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.integers(1, 8, 200), "b": rng.integers(1, 6, 200).astype(float)})
    drv = rng.random(200) + 1
    for mech in ("mcar", "mar"):
        framed = apply_missing(df, ["a", "b"], np.random.default_rng(9), rate=0.2, mechanism=mech, driver=drv)
        arrays = missing_arrays({c: df[c].to_numpy() for c in df}, ["a", "b"], np.random.default_rng(9), 200,
                                rate=0.2, mechanism=mech, driver=drv)
        for c in df:
            np.testing.assert_array_equal(framed[c].to_numpy(), arrays[c])
    framed = inject_invalid(framed, {"a": (1, 7), "b": (1, 5)}, np.random.default_rng(2), rate=0.1)
    arrays = invalid_arrays(arrays, {"a": (1, 7), "b": (1, 5)}, np.random.default_rng(2), 200, rate=0.1)
    for c in df:
        np.testing.assert_array_equal(framed[c].to_numpy(), arrays[c])
    assert (arrays["a"] == 99).any() and np.isnan(arrays["b"]).any()
    assert missing_arrays({"a": df["a"].to_numpy()}, ["a"], rng, 200, rate=0)["a"].dtype.kind == "i"


@pytest.mark.parametrize("scen, n, seed, opts, sha", [
    ("p1p2", 300, 1, {}, "8c14aa156d03d74519f6fda3988f7bc5141d08cd8d048f44450f3ab2b643a18a"),
    ("null", 120, 7, {"careless_rate": 0.3, "missing_rate": 0.2, "invalid_rate": 0.05},
     "c53a489982f3611ba94c8b2fb37a21c183f9e907ecb10bd9bf418b6f6b84624d"),
    ("dif", 80, 3, {"careless_mix": {"diagonal": 1, "midpoint": 1, "attention": 1, "partial": 1},
                    "careless_rate": 0.4},
     "bea55989e9b148edf96d421b985a3f62b9ded68f98896d1165cfa41c1dc909b2"),
])
def test_simulated_exports_keep_their_bytes(scen, n, seed, opts, sha):
    """The simulator on arrays (answers, routing, careless responders: issue 21, fifth round)
    writes the bytes main 58750d8 wrote (same draws in the same order)."""
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study
    from rsnprop.simulate.quirks import raw_csv_bytes

    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    raw = simulate_study(ins, scen, n=n, seed=seed, **opts)
    assert hashlib.sha256(raw_csv_bytes(raw)).hexdigest() == sha


def test_careless_arrays_are_apply_careless_on_an_array():
    from rsnprop.simulate.quirks import apply_careless, careless_arrays

    x = np.random.default_rng(2).integers(1, 8, (60, 9)).astype(float)
    mix = {"straightline": 1, "random": 1, "speeder": 1, "diagonal": 1, "pattern": 1}
    frame, kind = apply_careless(pd.DataFrame(x), np.random.default_rng(5), rate=0.5, mix=mix,
                                 scale_min=1, scale_max=7)
    vals, kind2 = careless_arrays(x.copy(), np.random.default_rng(5), rate=0.5, mix=mix,
                                  scale_min=1, scale_max=7)
    np.testing.assert_array_equal(frame.to_numpy(), vals)
    assert kind.tolist() == kind2.tolist() and (kind != "").sum() > 10
