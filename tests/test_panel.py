"""rsnprop.panel: linking waves (problems logged with reasons) and attrition, against R.

Reference values: tests/reference/panel_attrition.R (R 4.2: t.test, chisq.test, glm, and Little's
MCAR statistic computed from lavaan's EM moments) on tests/data/panel/wave1.csv, wave2.csv.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.errors import InputError
from rsnprop.panel import attrition, link_waves, little_mcar, panel_hash, panel_wide

HERE = Path(__file__).parent
DATA = HERE / "data" / "panel"
REF = json.loads((HERE / "reference" / "panel_attrition.json").read_text())


def _waves():
    read = lambda f: pd.read_csv(DATA / f, dtype={"firm": "string", "phase": "string"})  # noqa: E731
    return {"2013": read("wave1.csv"), "2014": read("wave2.csv")}


@pytest.fixture(scope="module")
def link():
    return link_waves(_waves(), "firm", salt="test-salt")


@pytest.fixture(scope="module")
def res(link):
    return attrition(link, ["rel", "inf", "bg", "phase"], categorical=["phase"],
                     mcar_variables=["rel", "inf"])


def test_linking_counts_and_problems(link):
    w1, w2 = link.counts
    assert (w1["rows_given"], w1["n"], w1["linked"]) == (150, 150, 150)
    assert (w2["rows_given"], w2["no_key"], w2["duplicates"], w2["n"]) == (86, 1, 1, 84)
    assert (w2["linked"], w2["later_only"]) == (82, 2)
    reasons = [(p["wave"], p["row"], p["reason"].split(" (")[0]) for p in link.problems]
    assert reasons == [("2014", 83, "answered twice in this wave"),
                       ("2014", 84, "not in the first wave"), ("2014", 85, "not in the first wave"),
                       ("2014", 86, "no panel key")]
    assert "kept data row 1" in link.problems[0]["reason"]


def test_linked_data_hold_no_key_only_the_pseudonym(link):
    assert "firm" not in link.data.columns
    assert list(link.data.columns[:2]) == ["panel_id", "wave"]
    assert link.data["panel_id"].iloc[0] == panel_hash("F000", "test-salt")
    assert not link.data["panel_id"].str.startswith("F").any()
    assert len(link.data) == 150 + 84
    d = link.to_dict()
    assert d["schema"] == "rsnprop.panel/1" and d["n_first_wave"] == 150
    json.dumps(d)


def test_counts_equal_r(res):
    c = res.counts[-1]
    assert (c["n_first"], c["stayed"], c["left"]) == (REF["n_first"], REF["stayed"], 150 - 82)


def test_profile_tests_equal_r(res):
    prof = res.profile.set_index("variable")
    for ref in REF["t_tests"]:
        row = prof.loc[ref["variable"]]
        for key in ("statistic", "df", "pvalue", "stayed", "left"):
            assert row[key] == pytest.approx(ref[key], rel=1e-10, abs=1e-12), (ref["variable"], key)
        assert row["test"] == "Welch t test (two-sided)"
    chi = prof.loc["phase"]
    for key in ("statistic", "df", "pvalue"):
        assert chi[key] == pytest.approx(REF["chisq"][key], rel=1e-10)
    assert "no continuity correction" in chi["test"]


def test_little_mcar_equals_r_on_lavaan_em(res):
    m = REF["mcar"]
    # EM convergence (rsnprop tol 1e-10, lavaan's own criterion) bounds the agreement
    assert res.mcar["statistic"] == pytest.approx(m["statistic"], rel=1e-6)
    assert res.mcar["df"] == m["df"] and res.mcar["n_patterns"] == m["n_patterns"]
    assert res.mcar["pvalue"] == pytest.approx(m["pvalue"], rel=1e-5)
    assert (res.mcar["n"], res.mcar["n_total"]) == (150, 150)


def test_logistic_equals_r_glm(res):
    lg, ref = res.logistic, REF["logistic"]
    assert [r["term"] for r in lg["coefficients"]] == ["const", "rel", "inf", "bg", "phase_3",
                                                         "phase_4"]
    for i, row in enumerate(lg["coefficients"]):
        assert row["est"] == pytest.approx(ref["est"][i], rel=1e-6, abs=1e-8)
        assert row["se"] == pytest.approx(ref["se"][i], rel=1e-5)
        assert row["pvalue"] == pytest.approx(ref["pvalue"][i], rel=1e-5, abs=1e-10)
        assert row["or_ci_lower"] == pytest.approx(ref["or_ci_lower"][i], rel=1e-5)
        assert row["or_ci_upper"] == pytest.approx(ref["or_ci_upper"][i], rel=1e-5)
    assert lg["lr_test"]["chi2"] == pytest.approx(ref["lr_chi2"], rel=1e-6)
    assert lg["lr_test"]["df"] == ref["lr_df"]
    assert lg["lr_test"]["pvalue"] == pytest.approx(ref["lr_pvalue"], rel=1e-5)
    assert (lg["n"], lg["n_total"]) == (150, 150)


def test_summary_says_what_was_computed(res):
    text = res.summary()
    assert "82 answered wave 2014 (54.7%), 68 left" in text
    assert "Little's MCAR test: chi2(2)" in text and "n = 150 of 150" in text
    json.dumps(res.to_dict())


def test_mcar_holds_when_attrition_is_random():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    X.loc[rng.random(400) < 0.3, ["b", "c"]] = np.nan
    assert little_mcar(X).pvalue > 0.01


def test_time_invariant_variable_is_reported_not_crashed(link):
    res = attrition(link, ["rel", "bg"])  # bg is the same at both waves: singular EM covariance
    assert res.mcar is None
    assert any("bg@2013 and bg@2014 are perfectly correlated" in w for w in res.warnings)


def test_wide_frame_has_missing_later_values_for_leavers(link):
    wide = panel_wide(link, ["rel"])
    assert list(wide.columns) == ["rel@2013", "rel@2014"] and len(wide) == 150
    assert wide["rel@2014"].isna().sum() == 68


@pytest.mark.parametrize("mutate, message", [
    (lambda w: {"2013": w["2013"]}, "at least two waves"),
    (lambda w: {"2013": w["2013"], "2014": w["2014"].rename(columns={"inf": "info"})},
     "does not have the columns of wave '2013' (missing: inf; extra: info)"),
    (lambda w: {"2013": w["2013"], "2014": w["2014"].iloc[:3]}, "has 3 firms"),
    (lambda w: {"2013": w["2013"], "2014": w["2014"].assign(firm=lambda d: "X" + d.firm)},
     "no firm of wave '2014' is found in wave '2013'"),
    (lambda w: {"2013": w["2013"].drop(columns="firm"), "2014": w["2014"]}, "no key column"),
])
def test_bad_panels_are_refused_with_a_clear_message(mutate, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        link_waves(mutate(_waves()), "firm")


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rsnprop", "panel", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_cli_links_and_writes_panel_and_log(tmp_path):
    for f in ("wave1.csv", "wave2.csv"):
        (tmp_path / f).write_bytes((DATA / f).read_bytes())
    r = _cli("wave1.csv", "wave2.csv", "--key", "firm", "--labels", "2013,2014", "--salt", "s",
             "--variables", "rel,inf,bg,phase", "--categorical", "phase",
             "--mcar-variables", "rel,inf", "-o", "panel.parquet", "--log", "panel.json",
             "--lean", "rel,inf", "--group", "bg", "--phase", "phase", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "82 answered wave 2014" in r.stdout
    log = json.loads((tmp_path / "panel.json").read_text())
    assert log["link"]["schema"] == "rsnprop.panel/1"
    assert log["attrition"]["schema"] == "rsnprop.attrition/1"
    assert log["link"]["files"] == {"2013": "wave1.csv", "2014": "wave2.csv"}
    assert log["change"]["schema"] == "rsnprop.panel_change/1" and len(log["change"]["tests"]) == 4
    assert "stage: change in D, moved minus not moved" in r.stdout
    data = pd.read_parquet(tmp_path / "panel.parquet")
    assert len(data) == 234 and "firm" not in data.columns


def test_cli_refuses_bad_input_with_exit_2(tmp_path):
    (tmp_path / "w1.csv").write_bytes((DATA / "wave1.csv").read_bytes())
    pd.read_csv(DATA / "wave2.csv").head(3).to_csv(tmp_path / "w2.csv", index=False)
    r = _cli("w1.csv", "w2.csv", "--key", "firm", "-o", "p.parquet", cwd=tmp_path)
    assert r.returncode == 2 and "w2.csv" in r.stderr and "has 3 firms" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "p.parquet").exists()
    r = _cli("w1.csv", "w2.csv", "--key", "firm", "-o", "w1.csv", cwd=tmp_path)
    assert r.returncode == 2 and "would overwrite the input" in r.stderr
    r = _cli("w1.csv", "nope.csv", "--key", "firm", "-o", "p.parquet", cwd=tmp_path)
    assert r.returncode == 2 and "nope.csv" in r.stderr


def test_unsalted_pseudonym_is_warned_about():
    from rsnprop.errors import DataQualityWarning

    with pytest.warns(DataQualityWarning, match="no salt given"):
        link = link_waves(_waves(), "firm")
    assert not link.to_dict()["salted"] and "no salt given" in link.summary()


def test_cli_names_the_option_of_a_bad_variable(tmp_path):
    for f in ("wave1.csv", "wave2.csv"):
        (tmp_path / f).write_bytes((DATA / f).read_bytes())
    r = _cli("wave1.csv", "wave2.csv", "--key", "firm", "--variables", "rel,nosuch",
             "-o", "p.csv", cwd=tmp_path)
    assert r.returncode == 2 and "'--variables', column 'nosuch'" in r.stderr
    assert not (tmp_path / "p.csv").exists()


CHANGE = json.loads((HERE / "reference" / "panel_change.json").read_text())


def test_change_tests_equal_r(link):
    from rsnprop.panel import change_tests

    res = change_tests(link, relational="rel", informational="inf", group="bg", phase="phase")
    rows = {r["question"]: r for r in res.rows}
    pairs = {"change in D, group 0": "group0", "change in D, group 1": "group1",
             "difference in change (1 - 0)": "diff",
             "stage: change in D, moved minus not moved": "stage"}
    assert set(rows) == set(pairs)
    for question, key in pairs.items():
        for field in ("estimate", "t", "df", "pvalue", "ci_lower", "ci_upper"):
            ref = CHANGE[key][field]
            ref = {"Inf": np.inf, "-Inf": -np.inf}.get(ref, ref)  # R's JSON of a one-sided bound
            assert rows[question][field] == pytest.approx(ref, rel=1e-10), (key, field)
    assert rows["stage: change in D, moved minus not moved"]["sided"] == "one-sided, greater"
    assert rows["stage: change in D, moved minus not moved"]["ci_label"] == "95% one-sided CI"
    assert rows["difference in change (1 - 0)"]["ci_label"] == "95% CI"
    assert res.n_linked == CHANGE["n_linked"] == 82 and res.n_first == 150
    assert rows["change in D, group 0"]["n"] + rows["change in D, group 1"]["n"] == 82
    text = res.summary()
    assert "82 of 150 first-wave firms answered both" in text and "p (one-sided, greater)" in text
    json.dumps(res.to_dict())


def test_change_tests_refuse_what_cannot_be_tested(link):
    from rsnprop.panel import change_tests

    with pytest.raises(InputError, match="no such column"):
        change_tests(link, relational="rel", informational="nope", group="bg")
    with pytest.raises(InputError, match="needs two groups"):
        change_tests(link, relational="rel", informational="inf", group="phase")


def test_identical_waves_give_reasons_not_a_crash_nor_a_verdict(tmp_path):
    """Hostile: the same file given as both waves (every change is 0, nobody moved phase).
    The descriptive tests say why they have no statistic (R's t.test stops: 'data are
    essentially constant'), and no hypothesis is decided on a perfect fit."""
    from rsnprop.panel import change_tests, link_waves

    w = _waves()["2013"]
    res = change_tests(link_waves({"a": w, "b": w}, "firm", salt="s"), relational="rel",
                       informational="inf", group="bg", phase="phase")
    assert [r["t"] for r in res.rows] == [None] * 4
    assert "essentially constant" in res.rows[0]["note"] and "0 firm(s) moved" in res.rows[3]["note"]
    assert "no variation" in res.summary()
    w.to_csv(tmp_path / "w.csv", index=False)
    r = _cli("w.csv", "w.csv", "--key", "firm", "--salt", "s", "--lean", "rel,inf", "--group",
             "bg", "--phase", "phase", "-o", "p.csv", "--log", "p.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    tests = json.loads((tmp_path / "p.json").read_text())["change"]["tests"]
    assert all(t["pvalue"] is None and t["note"] for t in tests)


def test_one_file_with_a_wave_column(tmp_path):
    w = _waves()
    both = pd.concat([w["2013"].assign(year=2013), w["2014"].assign(year=2014)])
    both.to_csv(tmp_path / "both.csv", index=False)
    r = _cli("both.csv", "--wave-column", "year", "--key", "firm", "--salt", "s", "-o", "p.csv",
             "--log", "p.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    log = json.loads((tmp_path / "p.json").read_text())["link"]
    assert log["waves"] == ["2013", "2014"]
    assert [c["n"] for c in log["counts"]] == [150, 84]
    both.iloc[:3].assign(year=None).pipe(lambda d: pd.concat([both, d])).to_csv(
        tmp_path / "gap.csv", index=False)
    r = _cli("gap.csv", "--wave-column", "year", "--key", "firm", "-o", "q.csv", cwd=tmp_path)
    assert r.returncode == 2 and "column 'year', row 237: has no wave label" in r.stderr
    r = _cli("both.csv", "--wave-column", "year", "--labels", "2014,2015", "--key", "firm",
             "-o", "q.csv", cwd=tmp_path)
    assert r.returncode == 2 and "the waves in the data are 2013, 2014" in r.stderr
