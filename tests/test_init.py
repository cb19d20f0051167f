"""``rsnprop init DIR``: a study folder of one's own from the packaged example (issue 17).

The whole pipeline in such a folder, from an installed wheel, is run by
tests/test_wheel.py; these tests check the folder itself, quickly.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from types import SimpleNamespace


from rsnprop import datasets
from rsnprop.cli import main

REPO = Path(__file__).resolve().parents[1]
STEPS = ("clean", "measure", "invariance", "test", "report")


def _init(tmp_path, *args, name="mystudy"):
    return main(["init", str(tmp_path / name), *args])


def test_example_folder_holds_the_study(tmp_path, capsys):
    from rsnprop.instrument import load_instrument
    from rsnprop.propositions import load_plan

    assert _init(tmp_path, "--example") == 0
    out = capsys.readouterr().out
    d = tmp_path / "mystudy"
    assert "cd " in out and "make" in out and "SIMULATED" in out
    for rel in ("README.md", "Makefile", ".gitignore", "study.yaml", "instrument.yaml",
                "benefits.lav", "data/raw/README.md", "data/raw/example_raw.csv"):
        assert (d / rel).is_file(), rel
    assert (d / "reports").is_dir()
    assert (d / "instrument.yaml").read_bytes() == datasets.path("rsn_internationalisation.yaml").read_bytes()
    assert (d / "data/raw/example_raw.csv").read_bytes() == datasets.path("example_raw.csv").read_bytes()
    assert not os.access(d / "data/raw/example_raw.csv", os.W_OK) or os.geteuid() == 0
    assert (d / "data/raw/example_raw.csv").stat().st_mode & 0o222 == 0  # read-only
    plan = load_plan(d / "study.yaml")
    assert plan.inputs.raw == "data/raw/example_raw.csv" and plan.inputs.instrument == "instrument.yaml"
    assert plan.name == datasets.example_plan().name
    # the plan keeps every setting of the example (only the inputs differ)
    example = datasets.example_plan().model_dump()
    mine = plan.model_dump()
    example.pop("inputs"), mine.pop("inputs")
    # ... and the panel waves, which point at the copies in data/raw/
    assert [w["raw"] for w in mine["panel"].pop("waves")] == ["data/raw/example_raw.csv",
                                                              "data/raw/example_raw_w2.csv"]
    example["panel"].pop("waves")
    assert mine == example
    assert (d / "data/raw/example_raw_w2.csv").read_bytes() == datasets.path("example_raw_w2.csv").read_bytes()
    assert (d / "data/raw/example_raw_w2.csv").stat().st_mode & 0o222 == 0  # read-only
    assert load_instrument(d / "instrument.yaml").hash == load_instrument().hash
    assert "preregistration" in (d / "study.yaml").read_text().splitlines()[0]


def test_own_study_folder_waits_for_the_export(tmp_path):
    assert _init(tmp_path, name="Firms 2027") == 0
    d = tmp_path / "Firms 2027"
    assert not (d / "data/raw/example_raw.csv").exists()
    from rsnprop.propositions import load_plan

    plan = load_plan(d / "study.yaml")
    assert plan.name == "Firms-2027" and plan.inputs.raw == "data/raw/export.csv"
    readme = (d / "README.md").read_text()
    assert readme.startswith("# Firms 2027") and "step 5" in readme
    res = subprocess.run(["make", "RSNPROP=false"], cwd=d, capture_output=True, text=True)
    assert res.returncode != 0
    assert "no survey export at data/raw/export.csv" in res.stdout + res.stderr


def test_refuses_a_non_empty_folder_and_never_overwrites_without_force(tmp_path, capsys):
    d = tmp_path / "mystudy"
    d.mkdir()
    (d / "study.yaml").write_text("mine\n")
    assert _init(tmp_path, "--example") == 2
    err = capsys.readouterr().err
    assert "mystudy" in err and "not empty" in err and "--force" in err
    assert (d / "study.yaml").read_text() == "mine\n" and len(list(d.iterdir())) == 1
    (tmp_path / "afile").write_text("x")
    assert main(["init", str(tmp_path / "afile")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_force_overwrites_the_scaffold_files_only(tmp_path, capsys):
    assert _init(tmp_path, "--example") == 0
    d = tmp_path / "mystudy"
    (d / "study.yaml").write_text("edited\n")
    (d / "notes.txt").write_text("keep me\n")
    capsys.readouterr()
    assert _init(tmp_path, "--example", "--force", "--json") == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert "study.yaml" in info["overwritten"] and "data/raw/example_raw.csv" in info["overwritten"]
    assert "preregistration" in (d / "study.yaml").read_text()
    assert (d / "notes.txt").read_text() == "keep me\n"


def _make_commands(folder: Path, *args) -> dict[str, list[str]]:
    """The rsnprop sub-commands that ``make -n`` would run, by sub-command."""
    res = subprocess.run(["make", "-n", "-B", "RSNPROP=rsnprop", *args], cwd=folder,
                         capture_output=True, text=True, check=True)
    out = {}
    for line in res.stdout.splitlines():
        words = shlex.split(line)
        if words and words[0] == "rsnprop":
            out.setdefault(words[1], words)  # the first: the panel steps clean and test again
    return out


def test_makefile_has_the_steps_of_the_repository_analysis(tmp_path):
    """Same steps, same options as analysis/Makefile (so the two do not drift apart)."""
    _init(tmp_path, "--example")
    d = tmp_path / "mystudy"
    if (REPO / "analysis" / "power.json").exists():  # the report step then reads it
        (d / "power.json").write_text("{}")
    mine = _make_commands(d)
    repo = _make_commands(REPO / "analysis")
    repo.pop("panel")  # the repository's example is a two-wave panel; a new study is not
    assert list(mine) == list(repo) == list(STEPS)
    for step in STEPS:
        assert [w for w in mine[step] if w.startswith("-")] == \
               [w for w in repo[step] if w.startswith("-")], step
    assert mine["clean"][2] == "data/raw/example_raw.csv"
    assert "reports/report.html" in mine["report"]
    for target in ("cleaning", "measure", "invariance", "test", "report", "power", "clean", "help"):
        assert re.search(rf"(?m)^{target}:", (d / "Makefile").read_text()), target
    power = _make_commands(d, "power")
    assert power["power"][power["power"].index("--plan") + 1] == "study.yaml"


def test_run_writes_the_report_inside_the_study_folder(tmp_path):
    from rsnprop.commands.run import steps

    _init(tmp_path, "--example")
    d = tmp_path / "mystudy"
    args = SimpleNamespace(plan=str(d / "study.yaml"), raw=None, instrument=None, build=None,
                           output=None, invariance_model=None, power=None)
    todo = steps(args)
    assert todo[0][1] == str(d / "data/raw/example_raw.csv")
    assert todo[-1][todo[-1].index("-o") + 1] == str(d / "reports" / "report.html")


def test_new_study_plans_never_name_files_of_the_rsnprop_repository():
    """The example plan's panel: section points into the new folder (both waves copied there);
    a study of one's own gets no panel section, only how to add one."""
    from rsnprop.propositions import plan_from_dict
    from rsnprop.scaffold import study_files
    from rsnprop.yamlio import parse_yaml

    ex = study_files("s", example=True)
    plan = plan_from_dict(parse_yaml(ex["study.yaml"].decode())[0])
    assert [w.raw for w in plan.panel.waves] == ["data/raw/example_raw.csv", "data/raw/example_raw_w2.csv"]
    assert all(w.raw in ex for w in plan.panel.waves)
    assert "../rsnprop" not in ex["study.yaml"].decode()
    own = study_files("s", example=False)
    assert plan_from_dict(parse_yaml(own["study.yaml"].decode())[0]).panel is None
    assert "add a `panel:` section" in own["study.yaml"].decode()
