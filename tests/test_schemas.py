"""Stage output contracts (rsnprop/schemas/): every stage writes its schema id, the models
accept what the stages write, readers refuse older or foreign files by name, and
docs/schemas.md is what the models generate.

The example study's real outputs are validated in tests/test_pipeline.py (which builds them
anyway); here: the SEM fit and power outputs, the error messages, the generated page.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import rsnprop
from rsnprop.errors import DataFileError, MissingFileError, RsnpropError
from rsnprop.schemas import MODELS, Fit, Invariance, Power, load_result, validate_result

from conftest import REPO

HS = REPO / "rsnprop" / "datasets" / "holzinger_swineford.csv"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

# module that writes each stage output -> its SCHEMA constant must be the model's
WRITERS = {"rsnprop.data.log": "rsnprop.cleaning/1",
           "rsnprop.measure.pipeline": "rsnprop.measurement/1",
           "rsnprop.sem.results": "rsnprop.fit/1",
           "rsnprop.sem.invariance_steps": "rsnprop.invariance/1",
           "rsnprop.propositions.result": "rsnprop.propositions/1",
           "rsnprop.power.study": "rsnprop.power/1",
           "rsnprop.power.panel": "rsnprop.panel_power/1",
           "rsnprop.panel.study": "rsnprop.panel_propositions/1"}


def test_every_stage_declares_the_schema_its_model_reads():
    assert sorted(WRITERS.values()) == sorted(MODELS)
    for module, schema_id in WRITERS.items():
        assert importlib.import_module(module).SCHEMA == schema_id, module
        assert MODELS[schema_id].SCHEMA == schema_id


@pytest.mark.parametrize("group", [None, "school"])
def test_fit_json_follows_its_schema(rsnprop_cli, tmp_path, group):
    args = ["fit", HS, "--model", MODEL, "--json"] + (["--group", group] if group else [])
    proc = rsnprop_cli(*args)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "fit.json"
    out.write_text(proc.stdout)
    res = rsnprop.load_result(out)
    assert isinstance(res, Fit) and res.converged
    assert res.n == 301 and res.fit["df"] == (48 if group else 24)
    loading = next(e for e in res.estimates if (e.lhs, e.op, e.rhs) == ("visual", "=~", "x2"))
    assert loading.se is not None and loading.se > 0
    assert (res.n_per_group is not None) == bool(group)


def test_power_output_follows_its_schema(rsnprop_cli, tmp_path):
    out = tmp_path / "power.json"
    proc = rsnprop_cli("power", "--plan", REPO / "analysis" / "study.yaml", "--instrument",
                       REPO / "instruments" / "rsn_internationalisation.yaml", "--n", "40",
                       "--reps", "2", "--jobs", "1", "--seed", "3", "--no-analytic", "-o", out)
    assert proc.returncode == 0, proc.stderr
    res = load_result(out, expect=Power)
    assert res.ns == [40] and {r.proposition for r in res.results} == {"P1", "P2", "joint"}
    assert all(0 <= r.power <= 1 and r.reps == 2 for r in res.results)


INVARIANCE = {"schema": "rsnprop.invariance/1", "group": "g", "groups": ["a", "b"],
              "n_per_group": {"a": 10, "b": 12}, "estimator": "ML", "rule": "Chen (2007)",
              "steps": [{"name": "configural", "converged": True, "held": True}],
              "level": "configural", "warnings": [], "added_by_a_later_stage": 1}


def _write(tmp_path, doc, name="out.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_extra_keys_are_kept(tmp_path):
    res = load_result(_write(tmp_path, INVARIANCE), expect="invariance")
    assert isinstance(res, Invariance) and res.model_extra == {"added_by_a_later_stage": 1}
    assert Invariance.from_file(_write(tmp_path, INVARIANCE)).level == "configural"


@pytest.mark.parametrize("doc, expect, needles", [
    ({k: v for k, v in INVARIANCE.items() if k != "schema"}, "invariance",
     ["expected schema 'rsnprop.invariance/1'", "found no 'schema' key"]),
    (dict(INVARIANCE, schema="rsnprop.invariance/0"), None,
     ["expected schema 'rsnprop.invariance/1'", "found 'rsnprop.invariance/0'", "another version"]),
    (dict(INVARIANCE, schema="rsnprop.invariance/0"), Invariance,
     ["expected schema 'rsnprop.invariance/1'", "found 'rsnprop.invariance/0'"]),
    (INVARIANCE, "rsnprop.propositions/1",
     ["expected schema 'rsnprop.propositions/1'", "found 'rsnprop.invariance/1'"]),
    (dict(INVARIANCE, schema="lavaan.fit/2"), None,
     ["expected a schema of rsnprop.cleaning/1", "found 'lavaan.fit/2'"]),
    ([1, 2], None, ["found a JSON list"]),
    ({k: v for k, v in INVARIANCE.items() if k != "steps"}, None,
     ["does not follow schema 'rsnprop.invariance/1'", "steps"]),
    (dict(INVARIANCE, steps=[{"name": "metric", "converged": "perhaps", "held": True}]), None,
     ["steps.0.converged"]),
])
def test_older_or_foreign_files_are_refused_by_name(tmp_path, doc, expect, needles):
    path = _write(tmp_path, doc, "stage.json")
    with pytest.raises(DataFileError) as err:
        load_result(path, expect=expect)
    text = str(err.value)
    assert text.startswith(str(path)) and isinstance(err.value, RsnpropError)
    for needle in needles:
        assert needle in text


def test_unreadable_files(tmp_path):
    with pytest.raises(MissingFileError):
        load_result(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataFileError, match="not a JSON stage output"):
        load_result(bad)
    with pytest.raises(DataFileError, match="unknown stage output 'nonsense'"):
        validate_result(INVARIANCE, expect="nonsense")


def test_docs_page_is_generated_from_the_models():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "schemas_doc.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    page = (REPO / "docs" / "schemas.md").read_text(encoding="utf-8")
    for schema_id, model in MODELS.items():
        assert f"## `{schema_id}`" in page
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in page, (schema_id, name)


def test_the_contracts_depend_on_no_stage():
    """rsnprop.schemas is read by every later stage and the report: it imports only the core."""
    import ast

    package = set()  # rsnprop modules imported from outside rsnprop.schemas
    for path in sorted((REPO / "rsnprop" / "schemas").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                package.add(node.module or "")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rsnprop"):
                package.add(node.module.removeprefix("rsnprop").lstrip("."))
            elif isinstance(node, ast.Import):
                package |= {a.name.removeprefix("rsnprop.") for a in node.names
                            if a.name.startswith("rsnprop")}
    assert package == {"errors"}, package


REPORT_FIXTURES = REPO / "tests" / "data" / "report" / "pipeline"


def test_measurement_model_types_what_the_report_reads():
    """measurement.json of the real pipeline validates, its nested records are typed, and
    integers stay integers (the report's tables and CSV files print them as written)."""
    res = load_result(REPORT_FIXTURES / "measurement.json", expect="measurement")
    assert res.cfa.fit.cfi is not None and isinstance(res.cfa.fit.df, int)
    assert {e.construct_id for e in res.cfa.loadings} == set(res.constructs)
    first = res.efa.loadings[0].factor_loadings()  # pattern loadings: one key per factor
    assert set(first) == set(res.efa.factor_constructs) and all(
        isinstance(v, float) for v in first.values())
    assert {it.construct_id for it in res.items} == set(res.constructs)
    assert res.validity.htmt_pairs and set(res.validity_matrix.constructs) == set(res.constructs)
    assert [r.construct_id for r in res.reliability_table] == res.constructs
    assert isinstance(res.reliability_table[0].n_items, int)


def test_invariance_steps_are_typed():
    res = load_result(REPORT_FIXTURES / "invariance.json", expect=Invariance)
    assert res.steps[0].lrt is None and res.steps[1].lrt.pvalue is not None
    assert all(isinstance(st.freed, list) for st in res.steps)


def test_a_wrong_nested_type_is_named_by_its_path(tmp_path):
    doc = json.loads((REPORT_FIXTURES / "measurement.json").read_text(encoding="utf-8"))
    doc["cfa"]["fit"]["cfi"] = "high"
    with pytest.raises(DataFileError, match=r"cfa\.fit\.cfi"):
        load_result(_write(tmp_path, doc), expect="measurement")
