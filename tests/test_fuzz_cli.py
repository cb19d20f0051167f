"""Fuzz the command line (issue 14): every sub-command over a corpus of bad inputs, fixed and
generated (hypothesis), keeps the contract of docs/errors.md.

For every run: exit 0 or 2 (never 1, never a signal), no traceback, a first stderr line that
names the fuzzed file when the run fails, and every input file's SHA-256 unchanged (outputs
are named out_*).  The runs
go through one warm rsnprop process that forks per command line (tests/cli_contract_runner.py),
on small data, so the whole file takes a few minutes.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_contract_runner import Server, build_corpus, make_bad_files, snapshot


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    server = Server()
    folder = tmp_path_factory.mktemp("fuzz")
    build_corpus(server, folder)
    make_bad_files(folder)
    yield server, folder
    server.close()


def check(env, argv, *, names=None, timeout=60):
    """Run ``argv`` and assert the contract; ``names``: the file a failure must name."""
    server, folder = env
    before = snapshot(folder)
    res = server.run(argv, folder, timeout=timeout)
    after = snapshot(folder)
    changed = sorted(k for k, h in before.items() if after.get(k) != h and "out_" not in k)
    assert not changed, f"{argv}: inputs changed or deleted: {changed}"
    assert res.returncode in (0, 2), f"{argv}: exit {res.returncode}\n{res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr, f"{argv}:\n{res.stderr}"
    if res.returncode == 2:
        first = res.first_line
        assert first.startswith("rsnprop"), f"{argv}: first line {first!r}"
        if names is not None:
            assert names in first, f"{argv}: {names!r} not named in {first!r}"
    return res


BAD_DATA = ["empty.csv", "binary.csv", "header_only.csv", "delim.csv", "short.csv", "long.csv",
            "qualtrics.csv", "hsinf.csv", "hsbig.csv", "hsmiss.csv", "not_parquet.parquet",
            "not_xlsx.xlsx", "five.parquet", "list.yaml", "no_such_file.csv", "build"]

DATA_COMMANDS = {
    "reliability": ["reliability", "{}", "--items", "x1,x2,x3", "--n-boot", "0"],
    "efa": ["efa", "{}", "--items", "x1,x2,x3,x4", "--nfactors", "1", "--n-iter", "2"],
    "fit": ["fit", "{}", "--model", "model.lav"],
    "validity": ["validity", "{}", "--model", "model.lav", "--n-boot", "0"],
    "invariance": ["invariance", "{}", "--model", "model.lav", "--group", "sex",
                   "--levels", "configural,metric"],
    "measure": ["measure", "{}", "--instrument", "ins.yaml", "--n-boot", "0", "--no-cfa"],
    "test": ["test", "{}", "--plan", "plan.yaml", "--no-latent"],
    "clean": ["clean", "{}", "--instrument", "ins.yaml", "-o", "out_z.parquet", "--log", "out_z.json"],
    "report": ["report", "{}", "-o", "out_report/report.html"],
    "panel": ["panel", "{}", "hs.csv", "--key", "x1", "-o", "out_panel.parquet"],
}


@pytest.mark.parametrize("command", sorted(DATA_COMMANDS))
def test_every_data_command_over_bad_data_files(env, command):
    for name in BAD_DATA:
        argv = [a.replace("{}", name) for a in DATA_COMMANDS[command]]
        check(env, argv, names=name.rstrip("/"))


BAD_YAML = ["list.yaml", "scalar.yaml", "latin1.yaml", "bomb.yaml", "dup.yaml", "deep.yaml",
            "binary.csv", "empty.csv", "raw.csv", "no_such.yaml", "build"]

YAML_COMMANDS = {
    "test_plan": ["test", "clean.parquet", "--plan", "{}", "--no-latent"],
    "clean_plan": ["clean", "raw.csv", "--instrument", "ins.yaml", "--plan", "{}", "-o", "out_y.csv"],
    "clean_instrument": ["clean", "raw.csv", "--instrument", "{}", "-o", "out_y.csv"],
    "run": ["run", "{}", "--build", "out_build", "-o", "out_build/r.html"],
    "power_plan": ["power", "--plan", "{}", "--n", "50", "--reps", "1", "--jobs", "1"],
    "simulate_scenario": ["simulate", "--instrument", "ins.yaml", "--scenario", "{}", "-o",
                          "out_y.csv"],
    "simulate_instrument": ["simulate", "--instrument", "{}", "-o", "out_y.csv"],
    "instrument_validate": ["instrument", "validate", "{}"],
    "instrument_show": ["instrument", "show", "{}"],
    "instrument_export": ["instrument", "export", "{}", "-f", "codebook-md", "-o", "out_y.md"],
    "measure_instrument": ["measure", "clean.parquet", "--instrument", "{}", "--n-boot", "0"],
    "reliability_instrument": ["reliability", "clean.parquet", "--instrument", "{}",
                               "--construct", "relational", "--n-boot", "0"],
}


@pytest.mark.parametrize("command", sorted(YAML_COMMANDS))
def test_every_yaml_reading_command_over_bad_yaml(env, command):
    for name in BAD_YAML:
        argv = [a.replace("{}", name) for a in YAML_COMMANDS[command]]
        res = check(env, argv, names=name)
        if name in ("bomb.yaml", "dup.yaml", "latin1.yaml", "list.yaml", "deep.yaml"):
            assert res.returncode == 2, (argv, res.stdout[-500:])


# ---- generated inputs -----------------------------------------------------------------------

_CELLS = st.one_of(
    st.sampled_from(["", " ", "NA", "N/A", "NaN", "nan", "inf", "-inf", "1e300", "-1e308",
                     "3", "4.5", "4,5", "1.234,5", "=1+1", "+A1", "-", "@x", "\"", "\"\"",
                     "é", "\u00a0", "0x10", "1_000", "7", "-99", "TRUE"]),
    st.integers(-5, 10).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6))


@st.composite
def csv_files(draw):
    ncol = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(["x1", "x2", "x3", "x4", "sex", "a", "", "x1"]),
                           min_size=ncol, max_size=ncol))
    delim = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(_CELLS, min_size=0, max_size=ncol + 1), min_size=0,
                         max_size=12))
    text = delim.join(header) + "\n" + "\n".join(delim.join(r) for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


_FUZZ = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])


@_FUZZ
@given(data=csv_files(), command=st.sampled_from(["reliability", "efa", "fit", "validity"]))
def test_generated_csv_files(env, data, command):
    _, folder = env
    (folder / "gen.csv").write_bytes(data)
    argv = [a.replace("{}", "gen.csv") for a in DATA_COMMANDS[command]]
    check(env, argv, names="gen.csv")


_YAML_VALUES = st.one_of(
    st.sampled_from(["", "null", "-1", "0", "1e309", "[]", "{}", "*x", "&x a", "'é'", "yes",
                     "[1, 2", "!!python/object:os.system", "\t", "999999999999999999999"]),
    st.integers().map(str), st.floats().map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).map(json.dumps))


@_FUZZ
@given(line=st.integers(0, 200), value=_YAML_VALUES)
def test_generated_study_plans(env, line, value):
    _, folder = env
    lines = (folder / "plan.yaml").read_text().splitlines()
    keyed = [i for i, ln in enumerate(lines) if ":" in ln and not ln.lstrip().startswith("#")]
    i = keyed[line % len(keyed)]
    key = lines[i].split(":", 1)[0]
    lines[i] = f"{key}: {value}"
    (folder / "gen_plan.yaml").write_text("\n".join(lines) + "\n")
    check(env, ["clean", "raw.csv", "--instrument", "ins.yaml", "--plan", "gen_plan.yaml", "-o",
                "out_gen.parquet"], names="gen_plan.yaml")


@_FUZZ
@given(line=st.integers(0, 2000), value=_YAML_VALUES)
def test_generated_instruments(env, line, value):
    _, folder = env
    lines = (folder / "ins.yaml").read_text().splitlines()
    keyed = [i for i, ln in enumerate(lines) if ":" in ln and not ln.lstrip().startswith("#")]
    i = keyed[line % len(keyed)]
    key = lines[i].split(":", 1)[0]
    lines[i] = f"{key}: {value}"
    (folder / "gen_ins.yaml").write_text("\n".join(lines) + "\n")
    check(env, ["instrument", "export", "gen_ins.yaml", "-f", "xlsform", "-o", "out_gen.xlsx"],
          names="gen_ins.yaml")


_OPTION_VALUES = st.one_of(st.integers(-10**12, 10**12).map(str),
                           st.sampled_from(["", "-1", "0", "nan", "inf", "1e400", "abc", ",",
                                            "x1,,x2", "--json", "é"]))

OPTION_CASES = [
    ["reliability", "hs.csv", "--items", "x1,x2,x3", "--n-boot", "0", "--omega-factors", "{}"],
    ["reliability", "hs.csv", "--items", "x1,x2,x3", "--n-boot", "{}"],
    ["reliability", "hs.csv", "--items", "{}", "--n-boot", "0"],
    ["reliability", "hs.csv", "--items", "x1,x2,x3", "--n-boot", "0", "--ci-level", "{}"],
    ["efa", "hs.csv", "--items", "x1,x2,x3,x4", "--nfactors", "{}", "--n-iter", "2"],
    ["efa", "hs.csv", "--items", "x1,x2,x3,x4", "--n-iter", "2", "--seed", "{}"],
    ["fit", "hs.csv", "--model", "model.lav", "--seed", "{}"],
    ["fit", "hs.csv", "--model", "model.lav", "--group", "{}"],
    ["invariance", "hs.csv", "--model", "model.lav", "--group", "sex", "--levels", "{}"],
    ["simulate", "--instrument", "ins.yaml", "-o", "out_o.csv", "--n", "{}"],
    ["simulate", "--instrument", "ins.yaml", "-o", "out_o.csv", "--n", "30", "--missing-rate", "{}"],
    ["power", "--plan", "plan.yaml", "--n", "{}", "--reps", "1", "--jobs", "1", "--no-analytic"],
    ["test", "clean.parquet", "--plan", "plan.yaml", "--no-latent", "--seed", "{}"],
    ["instrument", "export", "ins.yaml", "-f", "questionnaire", "--lang", "{}", "-o", "out_o.html"],
]


@_FUZZ
@given(case=st.sampled_from(range(len(OPTION_CASES))), value=_OPTION_VALUES)
def test_generated_option_values(env, case, value):
    check(env, [a.replace("{}", value) for a in OPTION_CASES[case]], timeout=120)
