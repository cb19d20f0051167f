"""Issue 15 (propositions half): every label says what was computed, every result says how many
firms it used out of how many it was given, results do not depend on where the plan lives,
and the example study (simulated with P1 and P2 true) gives the verdicts it was built for.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rsnprop.propositions import StudyPlan, load_plan, test_propositions
from rsnprop.propositions.interaction import interaction_tost
from rsnprop.propositions.paired import paired_tost
from rsnprop.propositions.synthetic import synthetic_clean

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "analysis" / "study.yaml"
RAW = ROOT / "rsnprop" / "datasets" / "example_raw.csv"
INSTRUMENT = ROOT / "instruments" / "rsn_internationalisation.yaml"
#: the example export is simulated with scenario p1p2 (rsnprop/datasets/README.md): both
#: propositions and their interaction are true in the population
EXPECTED = {"P1": "supported", "P2": "supported", "joint": "supported"}


@pytest.fixture(scope="module")
def example_clean():
    """The bundled example export cleaned with the committed plan's rules."""
    import warnings

    from rsnprop.data import clean, read_table
    from rsnprop.instrument import load_instrument

    ins = load_instrument(INSTRUMENT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clean(read_table(RAW, instrument=ins), ins, load_plan(PLAN).cleaning).data


@pytest.fixture(scope="module")
def example_result(example_clean):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return test_propositions(example_clean, load_plan(PLAN), multiverse=False, latent=False)


# ---------------------------------------------------------------- 5. expected verdicts
def test_example_study_reaches_the_verdicts_it_was_simulated_for(example_result):
    assert example_result.verdicts == EXPECTED
    for key in ("P1", "P2"):
        primary = example_result.propositions[key]["evidence"][0]
        assert primary["role"] == "primary" and primary["p_corrected"] < 0.05
        assert primary["estimate"] > 0          # oriented: positive = as predicted


# ---------------------------------------------------------------- 1. labels
def test_tost_rows_carry_their_90_percent_level_and_the_interval_matches_it():
    from scipy import stats

    rel = synthetic_clean(120, "p1p2", 0.5, seed=3)
    r, i = rel["score_relational"].to_numpy(), rel["score_informational"].to_numpy()
    row = paired_tost(r, i, expects="relational", alpha=0.05)
    assert row["ci_level"] == pytest.approx(0.90) and row["p_sided"] == "one-sided"
    d = (r - i)[np.isfinite(r - i)]
    half = stats.t.ppf(0.95, d.size - 1) * d.std(ddof=1) / d.size ** 0.5   # 90 % two-sided
    assert row["ci_upper"] - row["ci_lower"] == pytest.approx(2 * half, rel=1e-10)
    assert "90% CI" in row["note"]
    assert paired_tost(r, i, expects="relational", alpha=0.025)["ci_level"] == pytest.approx(0.95)


def test_every_evidence_row_states_its_interval_level_and_sidedness(example_result):
    d = json.loads(example_result.to_json())
    rows = [r for b in d["propositions"].values() for r in b["evidence"]] + d["joint"]["evidence"]
    for r in rows:
        assert r["p_sided"] in ("one-sided", "two-sided"), r["test"]
        if r["ci_lower"] is not None:
            expected = 0.9 if r["role"] == "equivalence" else 0.95
            assert r["ci_level"] == pytest.approx(expected), r["test"]
    tost = [r for r in rows if r["role"] == "equivalence"]
    assert len(tost) == 3 and all(r["alternative"] == "equivalence" for r in tost)
    mod = d["continuous"]["moderation_phase"]
    assert mod["p_sided"] == "two-sided" and mod["statistic_name"] == "F"
    assert d["continuous"]["approach_slope"]["p_sided"] == "one-sided"


def test_interaction_tost_level_follows_alpha():
    df = synthetic_clean(200, "p1p2", 0.5, seed=9)
    from rsnprop.propositions.prepare import analysis_frame

    frame, _ = analysis_frame(df, StudyPlan(name="x"))
    assert interaction_tost(frame, alpha=0.05)["ci_level"] == pytest.approx(0.90)
    assert interaction_tost(frame, alpha=0.10)["ci_level"] == pytest.approx(0.80)


def test_summary_labels_levels_and_sides(example_result):
    text = example_result.summary()
    assert "90% CI" in text and "95% CI" in text and "p (one-sided)" in text
    tost_lines = [ln for ln in text.splitlines() if ln.strip().startswith("TOST")]
    assert tost_lines and all("90% CI" in ln and "95% CI" not in ln for ln in tost_lines)


def test_n_used_and_n_total_given_per_group(example_clean, example_result):
    n = example_result.n
    bg = example_clean["bg_ms20"]
    assert n["n_total"] == len(example_clean)
    assert n["groups"]["born_global"]["n_total"] == int((bg == 1).sum())
    assert n["groups"]["traditional"]["n_total"] == int((bg == 0).sum())
    assert n["unclassified"] == int(bg.isna().sum()) > 0
    # every firm given is either used or counted under one reason for leaving it out
    assert n["n"] + n["unclassified"] + n["missing_score"] + n["excluded_by_rule"] == n["n_total"]
    for key, group in (("P1", "traditional"), ("P2", "born_global")):
        block = example_result.propositions[key]
        assert block["n"] == n["groups"][group]["n"] and block["n_total"] == n["groups"][group]["n_total"]
    text = example_result.summary()
    line = text.splitlines()[1]
    assert f"{n['n']} of {n['n_total']}" in line and f"{n['unclassified']} not classified" in line
    g = n["groups"]["traditional"]
    assert f"paired t (n = {g['n']} of {g['n_total']})" in text


def test_firms_without_scores_are_counted_apart_from_unclassified():
    df = synthetic_clean(150, "p1p2", 0.5, seed=12)
    df.loc[df.index[:5], "score_relational"] = float("nan")
    df.loc[df.index[5:8], "bg_ms20"] = float("nan")
    res = test_propositions(df, StudyPlan(name="x"), secondary=False)
    assert (res.n["missing_score"], res.n["unclassified"], res.n["n"]) == (5, 3, 142)
    assert any("5 without both benefit scores" in w and "3 not classified" in w for w in res.warnings)


# ---------------------------------------------------------------- 2. where files live
def _small_grid_plan(folder: Path, *, with_inputs: bool = True) -> Path:
    """The committed plan with a 3-cell grid (one re-cleaning rule needs the raw export), its
    inputs copied beside it in the repository's layout when ``with_inputs``."""
    import yaml

    data = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    data["multiverse"] = {"enabled": True, "born_global_definitions": ["bg_ms20"],
                          "careless": [{"name": "as_cleaned"},
                                       {"name": "strict", "cleaning": {"careless": {"min_index_flags": 1}}}],
                          "missing": ["available"], "estimators": ["t", "rank"], "controls": [False]}
    plan = folder / "analysis" / "study.yaml"
    plan.parent.mkdir(parents=True)
    plan.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if with_inputs:
        (folder / "rsnprop" / "datasets").mkdir(parents=True)
        shutil.copy2(RAW, folder / "rsnprop" / "datasets" / RAW.name)
        (folder / "instruments").mkdir()
        shutil.copy2(INSTRUMENT, folder / "instruments" / INSTRUMENT.name)
    return plan


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "rsnprop", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_plan_paths_are_relative_to_the_plan_file_not_the_cwd(tmp_path, example_clean, monkeypatch):
    plan_path = _small_grid_plan(tmp_path / "copy")
    clean = tmp_path / "clean.parquet"
    example_clean.to_parquet(clean)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plan = load_plan(plan_path)
    assert plan.input_path("raw") == (tmp_path / "copy" / "rsnprop" / "datasets" / RAW.name).resolve()
    # the CLI from another folder, and the API (no multiverse argument: follows the plan)
    proc = _cli("test", clean, "--plan", plan_path, "--no-latent", "--json", cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)["multiverse"]
    monkeypatch.chdir(elsewhere)
    api = test_propositions(example_clean, load_plan(plan_path), latent=False, secondary=False).multiverse
    assert api is not None, "the API follows multiverse.enabled"
    for mv in (cli, api):
        assert (mv["n_specifications"], mv["n_available"]) == (4, 4), mv["not_available"]
        assert mv["ci_level"] == 0.95      # the level of every ci_lower_* / ci_upper_*
    assert [s["verdict_P1"] for s in cli["specifications"]] == [s["verdict_P1"] for s in api["specifications"]]


def test_missing_plan_inputs_are_reported_k_of_n_with_the_reason(tmp_path, example_clean):
    plan_path = _small_grid_plan(tmp_path, with_inputs=False)
    clean = tmp_path / "clean.parquet"
    example_clean.to_parquet(clean)
    proc = _cli("test", clean, "--plan", plan_path, "--no-latent", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 4 specifications computed (2 not available)" in proc.stdout
    assert "inputs.raw does not exist" in proc.stdout and str(tmp_path / "analysis") in proc.stdout
    proc = _cli("test", clean, "--plan", plan_path, "--no-latent", "--json", cwd=tmp_path)
    mv = json.loads(proc.stdout)["multiverse"]
    assert mv["n_available"] == 2
    assert [g["n"] for g in mv["not_available"]] == [2]
    assert "inputs.raw does not exist" in mv["not_available"][0]["reason"]


def test_plan_hash_does_not_depend_on_the_plan_folder(tmp_path):
    copy = tmp_path / "study.yaml"
    shutil.copy2(PLAN, copy)
    assert load_plan(copy).hash == load_plan(PLAN).hash
    assert load_plan(copy).base_dir == tmp_path.resolve()
