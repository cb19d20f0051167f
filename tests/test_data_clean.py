"""Tests of rsnprop.data.clean: validation, recoding, screening, classification, log, CLI."""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsnprop.data import CleaningRules, clean, read_table
from rsnprop.errors import DataFileError, PlanError, RsnpropError
from rsnprop.instrument import load_instrument
from rsnprop.io import sha256_file

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
# careless indices off unless a test turns them on: the edits below must not trip them
QUIET = {"careless": {"min_index_flags": 99, "decisive": [], "min_duration_ratio": None}}


@pytest.fixture(scope="module")
def ins():
    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def example():
    return read_table(EXAMPLE)


_KEPT = {}


def _good_rows(ins, example, n=40):
    """Rows of the example that the default rules keep (so edits below are the only cause)."""
    if "ids" not in _KEPT:
        _KEPT["ids"] = set(clean(example, ins, QUIET).data["resp_id"])
    return example[example["resp_id"].isin(_KEPT["ids"])].head(n).reset_index(drop=True)


def _reasons(res):
    return {e["id"]: e["reasons"] for e in res.log["excluded"]}


@pytest.fixture(scope="module")
def example_result(ins, example):
    return clean(example, ins, source=EXAMPLE)


def test_log_invariant_and_flow(ins, example, example_result):
    res = example_result
    lg = res.log
    assert lg["n_in"] == len(example) == lg["n_kept"] + lg["n_excluded"]
    assert lg["n_kept"] == len(res.data)
    ids_out = set(res.data["resp_id"]) | {e["id"] for e in lg["excluded"]}
    assert ids_out == set(example["resp_id"].astype(str))
    assert lg["steps"][0]["n_after"] == lg["n_in"] and lg["steps"][-1]["n_after"] == lg["n_kept"]
    assert sum(s["n_excluded"] for s in lg["steps"]) == lg["n_excluded"]
    assert lg["raw_sha256"] == sha256_file(EXAMPLE)
    assert lg["instrument"] == ins.provenance()
    assert all(e["reasons"] for e in lg["excluded"])
    json.dumps(res.to_dict(), allow_nan=False)
    pd.testing.assert_frame_equal(example, read_table(EXAMPLE))   # the input is not modified



def test_without_diagnostics_same_data_and_exclusions(ins, example, example_result):
    """diagnostics=False (power, multiverse) skips only what the log reports."""
    lean = clean(example, ins, source=EXAMPLE, diagnostics=False)
    pd.testing.assert_frame_equal(lean.data, example_result.data)
    pd.testing.assert_frame_equal(lean.flags, example_result.flags)
    for key in ("n_in", "n_kept", "n_excluded", "excluded", "steps", "problems_total"):
        assert lean.log[key] == example_result.log[key], key
    assert lean.log["diagnostics"] is False and "little_mcar" not in lean.log

def test_every_reason_listed(ins, example):
    raw = _good_rows(ins, example)
    raw.loc[1, "resp_id"] = raw.loc[0, "resp_id"]          # duplicate id ...
    raw.loc[1, ["turnover_band", "balance_band"]] = 4       # ... not an SME (finances: the
    #                                       form goes on, no screen-out) ...
    raw.loc[1, "attn_1"] = 7                                 # ... and fails an attention check
    raw.loc[2, "decision_maker"] = 0
    raw.loc[3, "phase"] = 1
    for c in ("first_foreign_sale_year", "foreign_share_y3", "foreign_share_now", "n_countries",
              "n_continents", "distant_markets", "entry_modes"):
        raw.loc[3, c] = None
    res = clean(raw, ins, QUIET)
    by_row = {e["row"]: e["reasons"] for e in res.log["excluded"]}
    assert by_row[2] == ["duplicate_id", "not_sme", "attention_check"]
    assert by_row[3] == ["not_decision_maker"]
    assert by_row[4] == ["not_internationalised"]
    assert res.log["n_excluded"] == 3


def test_validation_recoding_and_reverse_keys(ins, example):
    raw = _good_rows(ins, example).astype(object)
    raw.loc[0, "rel_1"] = 99                   # out of range
    raw.loc[1, "rel_2"] = "abc"                # not a number
    raw.loc[2, "rel_3"] = "Strongly agree"     # label -> 7
    raw.loc[3, "rel_4"] = "don't know"         # -> missing, not a problem
    raw.loc[4, "rel_7"] = 2                    # reverse keyed -> 6
    raw.loc[5, "sector"] = "m"                 # case-insensitive code -> M
    raw.loc[6, "sector"] = "ZZ"                # invalid code
    raw.loc[7, "rel_5"] = "5,0"                # decimal comma
    res = clean(raw, ins, QUIET)
    d = res.data.set_index("resp_id")
    ids = raw["resp_id"]
    assert np.isnan(d.loc[ids[0], "rel_1"]) and np.isnan(d.loc[ids[1], "rel_2"])
    assert d.loc[ids[2], "rel_3"] == 7 and np.isnan(d.loc[ids[3], "rel_4"])
    assert d.loc[ids[4], "rel_7"] == 6 and d.loc[ids[7], "rel_5"] == 5
    assert d.loc[ids[5], "sector"] == "M" and pd.isna(d.loc[ids[6], "sector"])
    p = res.problems
    got = {(r.id, r.column, r.reason, r.value) for r in p.itertuples()}
    assert (ids[0], "rel_1", "out_of_range", "99") in got
    assert (ids[1], "rel_2", "not_a_number", "abc") in got
    assert (ids[6], "sector", "invalid_code", "ZZ") in got
    assert res.log["recodes"]["rel_4"]["recoded_missing"] == 1
    assert res.log["recodes"]["rel_3"]["label_recoded"] == 1
    assert not any(r.reason != "required_missing" and r.id == ids[3] for r in p.itertuples())


def test_scores_bg_and_facts(ins, example):
    raw = _good_rows(ins, example).astype(object)
    raw.loc[0, ["founding_year", "first_foreign_sale_year", "foreign_share_y3",
                "distant_markets"]] = [2010, 2011, 22, 1]
    raw.loc[1, ["founding_year", "first_foreign_sale_year", "foreign_share_y3",
                "distant_markets"]] = [2010, 2012, 30, 1]
    raw.loc[2, ["founding_year", "first_foreign_sale_year", "foreign_share_y3"]] = [2010, 2005, 10]
    raw.loc[3, ["cs_relational", "cs_informational"]] = [70, 70]
    res = clean(raw, ins, QUIET)
    d = res.data.set_index("resp_id")
    ids = raw["resp_id"]
    assert d.loc[ids[0], ["bg_ms20", "bg_kc25", "bg_true"]].tolist() == [1, 0, 0]
    assert d.loc[ids[1], ["bg_ms20", "bg_kc25", "bg_true"]].tolist() == [1, 1, 1]
    assert d.loc[ids[0], "years_to_first_foreign_sale"] == 1
    assert np.isnan(d.loc[ids[2], "first_foreign_sale_year"])          # impossible -> missing
    assert np.isnan(d.loc[ids[3], "cs_relational"])                    # 70 + 70 != 100
    reasons = set(res.problems["reason"])
    assert {"sale_before_founding", "constant_sum"} <= reasons
    # scores: mean of available reverse-keyed items, computed here from the raw answers
    for cid, con in ins.constructs.items():
        x = raw[con.items].apply(pd.to_numeric, errors="coerce").astype(float)
        for item in con.items:
            if ins.items[item].reverse:
                x[item] = 8 - x[item]
        x = x.where((x >= 1) & (x <= 7))
        k = x.notna().sum(axis=1)
        expected = x.mean(axis=1).where(k >= np.ceil(len(con.items) / 2))
        got = d.loc[raw["resp_id"], f"score_{cid}"].to_numpy()
        np.testing.assert_allclose(got, expected.to_numpy(), equal_nan=True)


def test_privacy_drop_and_hash(ins, example):
    raw = _good_rows(ins, example).astype(object)
    raw["comments"] = "Call me: jane@firm.example"
    raw["email"] = "jane@firm.example"      # unknown column: reported and dropped
    res = clean(raw, ins, QUIET)
    text = res.data.to_csv()
    assert "jane@" not in text and "comments" not in res.data.columns
    assert "email" in res.log["columns"]["unknown_dropped"]
    assert "jane@" not in json.dumps(res.log)
    hashed = clean(raw, ins, {**QUIET, "pii": "hash", "pii_salt": "s"})
    assert hashed.data["comments"].str.len().eq(16).all()
    assert "jane@" not in hashed.data.to_csv()


def test_missing_required_column_and_bad_rules(ins, example):
    with pytest.raises(DataFileError, match="employees"):
        clean(example.drop(columns=["employees", "role"]), ins)
    with pytest.raises(DataFileError, match="construct items"):
        clean(pd.DataFrame({"a": [1]}), ins)
    with pytest.raises(PlanError, match="cleaning.careless.min_index_flags"):
        clean(example, ins, {"careless": {"min_index_flags": 0}})


def test_careless_screen_catches_planted_responders(ins, example):
    raw = _good_rows(ins, example, n=200).astype(object)
    likert = [i for i, it in ins.items.items() if it.type == "likert" and not it.attention_check]
    raw.loc[0, likert] = 4                                   # straight-liner
    raw.loc[1, "duration_sec"] = 20                          # speeder
    res = clean(raw, ins)
    r = _reasons(res)
    assert "careless_indices" in r[raw.loc[0, "resp_id"]]
    assert "speeding" in r[raw.loc[1, "resp_id"]]
    f = res.flags.set_index("resp_id")
    assert f.loc[raw.loc[0, "resp_id"], "longstring"] == len(likert)


def test_select_multiple_indicators(ins, example):
    raw = _good_rows(ins, example, n=5).astype(object)
    raw.loc[0, "entry_modes"] = "agent direct bogus"
    res = clean(raw, ins, QUIET)
    d = res.data.set_index("resp_id")
    rid = raw.loc[0, "resp_id"]
    assert d.loc[rid, "entry_modes"] == "direct agent"
    assert d.loc[rid, "entry_modes_direct"] == 1 and d.loc[rid, "entry_modes_licence"] == 0
    assert ("entry_modes", "invalid_code") in set(zip(res.problems.column, res.problems.reason))


# ---- command line ---------------------------------------------------------------------------

def test_cli_clean_writes_outputs_and_never_touches_raw(tmp_path, rsnprop_cli):
    raw = tmp_path / "raw.csv"
    raw.write_bytes(EXAMPLE.read_bytes())
    before = sha256_file(raw)
    out, log = tmp_path / "clean.parquet", tmp_path / "log.json"
    flags = tmp_path / "flags.csv"
    proc = rsnprop_cli("clean", raw, "--instrument", INSTRUMENT, "--plan",
                       REPO / "analysis" / "study.yaml", "-o", out, "--log", log, "--json",
                       "--flags", flags)
    assert proc.returncode == 0, proc.stderr
    fl = pd.read_csv(flags)
    assert len(fl) == 300 and {"longstring", "mahad", "flag_evenodd", "kept"} <= set(fl.columns)
    assert sha256_file(raw) == before
    lg = json.loads(log.read_text())
    assert proc.json()["n_kept"] == lg["n_kept"] == len(pd.read_parquet(out))
    assert lg["n_in"] == lg["n_kept"] + lg["n_excluded"] == 300
    assert int(fl["kept"].sum()) == lg["n_kept"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_same_input_same_bytes(tmp_path, ins, example, example_result):
    from rsnprop.commands.clean import write_clean_data
    from rsnprop.results import dumps

    outs = []
    for k, res in enumerate([example_result, clean(example.copy(), ins, source=EXAMPLE)]):
        write_clean_data(res.data, tmp_path / f"c{k}.parquet")
        outs.append(((tmp_path / f"c{k}.parquet").read_bytes(), dumps(res.log)))
    assert outs[0] == outs[1]


def test_cli_outputs_same_bytes_with_the_writer_thread(tmp_path, monkeypatch):
    """``rsnprop clean`` makes a large Parquet file in a second thread, started when clean()
    hands over the data; forced on the example (threshold 0), both outputs keep their bytes."""
    from rsnprop import cli
    from rsnprop.commands import clean as command

    made = {}
    started = command._DataBytes.__call__

    def spy(self, data):
        started(self, data)
        made["threaded"] = self.future is not None

    monkeypatch.setattr(command._DataBytes, "__call__", spy)
    outs = {}
    for label, threshold in (("thread", 0), ("serial", 10 ** 9)):
        monkeypatch.setattr(command, "OUTPUT_THREAD_MIN_ROWS", threshold)
        out, log = tmp_path / f"{label}.parquet", tmp_path / f"{label}.json"
        assert cli.main(["clean", str(EXAMPLE), "--instrument", str(INSTRUMENT), "-o", str(out),
                         "--log", str(log)]) == 0
        outs[label] = (out.read_bytes(), log.read_bytes(), made.pop("threaded"))
    assert outs["thread"][2] and not outs["serial"][2]
    assert outs["thread"][:2] == outs["serial"][:2]


def test_cli_memory_release_keeps_caller_settings():
    """``rsnprop clean`` asks mimalloc to return freed pages at once only when pyarrow is not
    loaded yet and the caller set nothing; handing glibc's free heap back is harmless."""
    import os
    import subprocess
    import sys

    code = ("import os, sys; from rsnprop.commands.clean import _arrow_pages_back_at_once, "
            "release_free_memory; pre = len(sys.argv) > 1 and __import__('pyarrow'); "
            "_arrow_pages_back_at_once(); release_free_memory(); "
            "print(os.environ.get('MIMALLOC_PURGE_DELAY'))")
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"}

    def run(*args, **extra):
        return subprocess.run([sys.executable, "-c", code, *args], env={**env, **extra},
                              capture_output=True, text=True, check=True).stdout.strip()

    assert run() == "0"
    assert run(MIMALLOC_PURGE_DELAY="7") == "7"
    assert run("pyarrow-first") == "None"


@pytest.mark.parametrize("content,needle", [
    (b"resp_id,foo\n1,2\n", "construct items"),
    (b"\x00\x01garbage", "construct items"),
    (b"", "empty"),
])
def test_cli_bad_input_exit_2(tmp_path, rsnprop_cli, content, needle):
    raw = tmp_path / "raw.csv"
    raw.write_bytes(content)
    proc = rsnprop_cli("clean", raw, "--instrument", INSTRUMENT, "-o", tmp_path / "c.parquet")
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c.parquet").exists()


def test_cli_missing_columns_named(tmp_path, rsnprop_cli, example):
    raw = tmp_path / "raw.csv"
    example.drop(columns=["employees", "sector"]).to_csv(raw, index=False)
    proc = rsnprop_cli("clean", raw, "--instrument", INSTRUMENT, "-o", tmp_path / "c.parquet")
    assert proc.returncode == 2
    assert "employees" in proc.stderr and "sector" in proc.stderr and "Traceback" not in proc.stderr


# ---- property-based: junk, duplicates, shuffled columns, encodings ---------------------------

_junk = st.one_of(st.none(), st.integers(-100, 300), st.floats(-1e3, 1e3, allow_nan=False),
                  st.text(alphabet=string.ascii_letters + string.digits + " ,.;'\"-éß",
                          max_size=6),
                  st.sampled_from(["don't know", "N/A", "Strongly agree", "-99", "7,5", ""]))


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_property_no_row_lost_no_exception(tmp_path_factory, ins, example, data):
    n = data.draw(st.integers(1, 25))
    rows = data.draw(st.lists(st.integers(0, len(example) - 1), min_size=n, max_size=n))
    raw = example.iloc[rows].reset_index(drop=True).astype(object)
    cols = [c for c in raw.columns if c != "resp_id"]
    for _ in range(data.draw(st.integers(0, 15))):
        r = data.draw(st.integers(0, n - 1))
        c = data.draw(st.sampled_from(cols))
        raw.at[r, c] = data.draw(_junk)
    if data.draw(st.booleans()):
        raw.loc[0, "resp_id"] = None
    order = data.draw(st.permutations(list(raw.columns)))
    raw = raw[order]
    enc = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    sep = data.draw(st.sampled_from([",", ";", "\t"]))
    path = tmp_path_factory.mktemp("prop") / "raw.csv"
    path.write_bytes(raw.to_csv(index=False, sep=sep).encode(enc, errors="replace"))
    try:
        back = read_table(path)
        res = clean(back, ins, source=path)
    except RsnpropError:
        return
    lg = res.log
    assert lg["n_in"] == n == lg["n_kept"] + lg["n_excluded"] == len(res.flags)
    assert len(res.data) == lg["n_kept"]
    assert sorted(e["row"] for e in lg["excluded"]) == sorted(set(e["row"] for e in lg["excluded"]))
    kept_rows = set(res.flags.loc[res.flags["kept"], "row"])
    assert kept_rows.isdisjoint(e["row"] for e in lg["excluded"])
    assert len(kept_rows) + lg["n_excluded"] == n


def test_rules_defaults_documented():
    r = CleaningRules()
    for name, field in CleaningRules.model_fields.items():
        assert field.default is not None or name in ("careless", "eligibility", "classification") \
            or field.description, name
    assert r.careless.max_failed_attention == 0 and r.eligibility.max_employees == 249


def test_cli_bad_cleaning_rules_exit_2(tmp_path, rsnprop_cli):
    text = (REPO / "analysis" / "study.yaml").read_text(encoding="utf-8")
    assert "max_missing_share: 0.5" in text
    plan = tmp_path / "plan.yaml"
    plan.write_text(text.replace("max_missing_share: 0.5", "max_missing_share: 5"),
                    encoding="utf-8")
    proc = rsnprop_cli("clean", EXAMPLE, "--instrument", INSTRUMENT, "--plan", plan,
                       "-o", tmp_path / "c.parquet")
    assert proc.returncode == 2 and "max_missing_share" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "c.parquet").exists()


@pytest.mark.parametrize("fmt", ["xlsx", "sav", "csv-cp1252-semicolon"])
def test_same_clean_data_from_every_format(tmp_path, ins, example, example_result, fmt):
    if fmt == "xlsx":
        path = tmp_path / "raw.xlsx"
        example.to_excel(path, index=False)
    elif fmt == "sav":
        import pyreadstat

        path = tmp_path / "raw.sav"
        e2 = example.copy()
        for c in e2.columns:
            if not pd.api.types.is_numeric_dtype(e2[c]):
                e2[c] = e2[c].astype(object).where(e2[c].notna(), "")
        pyreadstat.write_sav(e2, str(path))
    else:
        path = tmp_path / "raw.csv"
        path.write_bytes(example.to_csv(index=False, sep=";", decimal=",").encode("cp1252"))
    res = clean(read_table(path), ins)
    pd.testing.assert_frame_equal(res.data, example_result.data, check_dtype=False)
    assert res.log["excluded"] == example_result.log["excluded"]


def test_find_duplicates_equals_pandas_duplicated():
    from rsnprop.data.duplicates import find_duplicates

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.integers(1, 4, (3000, 3)).astype(float))
    x["s"] = rng.choice(["a", "b", None], 3000)
    x.iloc[::7, 0] = np.nan
    ids = pd.Series([str(i % 2900) for i in range(3000)])
    dup_id, dup_sub = find_duplicates(ids, x)
    ref = x.astype(object).where(x.notna(), "NA").duplicated().to_numpy()
    ref = ref & (x.notna().sum(axis=1) * 2 >= 4).to_numpy()
    assert (dup_sub == ref).all() and dup_sub.any()
    assert (dup_id == ids.duplicated().to_numpy()).all() and dup_id.sum() == 100


def test_cli_clean_gives_pyarrow_every_core(tmp_path):
    """Under the command line's OMP_NUM_THREADS=1 (BLAS pinning) pyarrow would size its
    CPU pool to 1 thread: ``rsnprop clean`` sizes it by the usable cores again."""
    import os
    import subprocess
    import sys

    code = ("import os, pyarrow as pa; from rsnprop import cli; "
            f"cli.main(['clean', {str(EXAMPLE)!r}, '--instrument', {str(INSTRUMENT)!r}, "
            f"'-o', {str(tmp_path / 'c.parquet')!r}]); print(pa.cpu_count())")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert int(out.stdout.strip().splitlines()[-1]) == len(os.sched_getaffinity(0))
