"""`rsnprop instrument validate`: every problem at once, with YAML path and reason; exit 2."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from rsnprop.instrument import validate_instrument

INSTRUMENT = "instruments/rsn_internationalisation.yaml"

# (path, code) of every deliberate problem numbered in tests/data/instrument/broken.yaml
EXPECTED_BROKEN = {
    ("instrument.default_language", "lang.default_missing"),              # (1)
    ("scales.agree5", "scale.bad_range"),                                  # (2)
    ("choice_lists.yes_no[1].code", "choices.duplicate_code"),             # (3)
    ("constructs.alpha", "construct.too_few_items"),                       # (4)
    ("sections[0].items[0].requried", "schema.extra_forbidden"),           # (5)
    ("sections[1].show_if.item", "show_if.unknown_item"),                  # (6)
    ("sections[1].items[0].text.fr", "lang.missing"),                      # (7)
    ("sections[1].items[1].scale", "scale.unknown"),                       # (8)
    ("sections[1].items[1].source.refs[0]", "source.unknown_ref"),         # (9)
    ("sections[1].items[2].id", "id.duplicate"),                           # (10)
    ("sections[1].items[2].construct", "construct.unknown"),               # (11)
    ("sections[1].items[2].text.fr", "lang.empty"),                        # (12)
    ("sections[1].items[3].reverse", "reverse.non_numeric"),               # (13)
    ("sections[1].items[3].source", "source.missing"),                     # (14)
    ("sections[1].items[4].show_if.value", "show_if.bad_value"),           # (15)
    ("sections[1].items[5].show_if.item", "show_if.unknown_item"),         # (16)
    ("sections[1].items[7].constant_sum", "constant_sum.single"),          # (17)
    ("sections[1].items[8].type", "schema.literal_error"),                 # (18)
    ("sections", "attention.none"),                                        # (19)
    ("constructs.alpha.items", "construct.items_mismatch"),                # (20)
}


def test_shipped_instrument_is_valid(repo_root, rsnprop_cli):
    report = validate_instrument(repo_root / INSTRUMENT)
    assert report.ok, report.summary()
    proc = rsnprop_cli("instrument", "validate", INSTRUMENT, "--json", cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    out = proc.json()
    assert out["ok"] is True and out["problems"] == [] and len(out["hash"]) == 64


def test_minimal_fixture_is_valid(repo_root):
    assert validate_instrument(repo_root / "tests/data/instrument/minimal.yaml").ok


def test_broken_fixture_lists_every_problem(repo_root):
    report = validate_instrument(repo_root / "tests/data/instrument/broken.yaml")
    found = {(p["path"], p["code"]) for p in report.problems}
    missing = EXPECTED_BROKEN - found
    assert not missing, f"not reported: {sorted(missing)}"
    # the consent item has a typo (5): reported once, not again as "no consent item"
    assert ("sections", "consent.none") not in found
    assert len(report.problems) == len(EXPECTED_BROKEN)
    for p in report.problems:
        assert p["message"] == f"{p['path']} (line {p['line']}): {p['reason']}"
    assert report.exit_code == 2


def test_problems_carry_the_line_of_the_offending_key(repo_root):
    path = repo_root / "tests/data/instrument/broken.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    report = validate_instrument(path)
    by_path = {p["path"]: p["line"] for p in report.problems}

    def line_with(fragment):  # 1-based line of the first line containing fragment
        return next(i + 1 for i, text in enumerate(lines) if fragment in text)

    assert by_path["instrument.default_language"] == line_with("default_language: de")
    assert by_path["sections[0].items[0].requried"] == line_with("requried: true")
    assert by_path["sections[1].items[8].type"] == line_with("type: slider")
    assert by_path["constructs.alpha.items"] == line_with("items: [a_1, a_5]")
    assert by_path["sections"] == line_with("sections:")


def test_broken_fixture_through_the_cli(repo_root, rsnprop_cli):
    proc = rsnprop_cli("instrument", "validate", "tests/data/instrument/broken.yaml", cwd=repo_root)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    for path, _ in EXPECTED_BROKEN:
        assert path in proc.stderr, path
    first = proc.stderr.splitlines()[0]
    assert first.startswith("rsnprop instrument: error: tests/data/instrument/broken.yaml: ")
    proc = rsnprop_cli("instrument", "validate", "tests/data/instrument/broken.yaml", "--json",
                       cwd=repo_root)
    assert proc.returncode == 2
    problems = json.loads(proc.stdout)["problems"]
    assert EXPECTED_BROKEN <= {(p["path"], p["code"]) for p in problems}


def test_broken_copy_of_the_shipped_instrument(repo_root, tmp_path, rsnprop_cli):
    raw = yaml.safe_load((repo_root / INSTRUMENT).read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    sec = {s["id"]: (i, s) for i, s in enumerate(broken["sections"])}
    bi, benefits = sec["benefits"]
    ids = [it["id"] for it in benefits["items"]]
    k_rel2, k_attn1, k_rsk1 = ids.index("rel_2"), ids.index("attn_1"), ids.index("rsk_1")
    benefits["items"][k_rel2]["text"]["fr"] = "  "                   # empty translation
    benefits["items"][k_attn1]["attention_check"]["expected"] = 9    # outside 1..7
    benefits["items"][k_rsk1]["id"] = "rsk_2"                        # duplicate id
    fi, firm = sec["firm"]
    firm["items"][0]["reverse"] = True                                # reverse on select_one (role)
    ii, intl = sec["international"]
    intl["items"][1]["show_if"] = {"item": "phase", "op": "eq", "value": 9}  # not a phase code
    broken["constructs"]["risk_reduction"]["definition"].pop("fr")
    path = tmp_path / "broken_copy.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = {(p["path"], p["code"]) for p in validate_instrument(path).problems}
    expected = {
        (f"sections[{bi}].items[{k_rel2}].text.fr", "lang.empty"),
        (f"sections[{bi}].items[{k_attn1}].attention_check.expected", "value.out_of_range"),
        (f"sections[{bi}].items[{k_rsk1 + 1}].id", "id.duplicate"),  # the later rsk_2
        (f"sections[{fi}].items[0].reverse", "reverse.non_numeric"),
        (f"sections[{ii}].items[1].show_if.value", "show_if.bad_value"),
        ("constructs.risk_reduction.definition.fr", "lang.missing"),
    }
    assert expected <= found, sorted(expected - found)
    proc = rsnprop_cli("instrument", "validate", str(path))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) >= len(expected)


def test_duplicate_yaml_keys_are_reported(repo_root, tmp_path):
    text = (repo_root / "tests/data/instrument/minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("  licence: CC0-1.0\n", "  licence: CC0-1.0\n  licence: MIT\n")
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    codes = [p["code"] for p in validate_instrument(path).problems]
    assert codes == ["yaml.duplicate_key"]


@pytest.mark.parametrize("content, needle", [
    ("instrument: [unclosed", "not valid YAML"),
    ("- just\n- a list\n", "must be a mapping"),
])
def test_unreadable_files_exit_2_with_one_line(tmp_path, rsnprop_cli, content, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    proc = rsnprop_cli("instrument", "validate", str(path))
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_missing_file_exits_2(rsnprop_cli, tmp_path):
    proc = rsnprop_cli("instrument", "validate", str(tmp_path / "none.yaml"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
