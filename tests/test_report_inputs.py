"""`rsnprop report --power/--invariance`: files read from outside RESULTS_DIR."""

import json

import pytest

from rsnprop.errors import InputError, MissingFileError
from rsnprop.report.inputs import load_results


def test_override_replaces_the_folder_file(tmp_path):
    (tmp_path / "power.json").write_text(json.dumps({"results": ["folder"]}))
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"results": ["override"]}))
    assert load_results(tmp_path).power == {"results": ["folder"]}
    inputs = load_results(tmp_path, files={"power.json": other})
    assert inputs.power == {"results": ["override"]}
    assert [f["name"] for f in inputs.files] == ["power.json"]


def test_override_errors(tmp_path):
    with pytest.raises(InputError, match="unknown results file"):
        load_results(tmp_path, files={"nonsense.json": tmp_path})
    with pytest.raises(MissingFileError):
        load_results(tmp_path, files={"power.json": tmp_path / "absent.json"})


def test_cli_power_option(rsnprop_cli, tmp_path):
    power = tmp_path / "p.json"
    power.write_text("{}")
    proc = rsnprop_cli("report", tmp_path, "-o", tmp_path / "r.html", "--power", power, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "--power" in (tmp_path / "r.html").read_text(encoding="utf-8")  # provenance command line
    proc = rsnprop_cli("report", tmp_path, "-o", tmp_path / "r.html", "--power", tmp_path / "no.json")
    assert proc.returncode == 2 and "no.json" in proc.stderr
