"""Verdict cards show the invariance status of each verdict (issue 16): the level held between
the groups, the items set aside and whether the non-invariance policy changed the verdict."""

from __future__ import annotations

import re

from test_report import make_results

from rsnprop.report.sections.summary import measurement_line
from rsnprop.schemas import VerdictMeasurement

M = {"policy": "partial", "status": "ok", "invariance_level": "partial_scalar", "required": "scalar",
     "held": False, "items_set_aside": ["rel_1", "rel_2"], "verdict_all_items": "supported",
     "verdict_changed": True, "note": "x"}


def test_measurement_line_says_level_items_and_change():
    text = measurement_line(VerdictMeasurement(**M))
    assert "partial scalar held (required: scalar)" in text
    assert "items set aside: rel_1, rel_2" in text and "policy 'partial'" in text
    assert "With every item the verdict would be 'supported'" in text
    same = measurement_line(VerdictMeasurement(**{**M, "verdict_changed": False}))
    assert "same with every item" in same and "would be" not in same
    assert "not checked" in measurement_line(VerdictMeasurement(**{**M, "status": "not_available",
                                                                    "note": "no item columns"}))
    assert measurement_line(None) == ""


def test_verdict_cards_show_the_invariance_status(tmp_path):
    from rsnprop.report import build_report

    def edit(name, data):
        if name == "propositions.json":
            for key, block in [*data["propositions"].items(), ("joint", data["joint"])]:
                block["measurement"] = {**M, "verdict_all_items": block["verdict"],
                                        "verdict_changed": key == "P2"}
        return data

    html = build_report(make_results(tmp_path, edit=edit, files=("propositions.json",)))
    for pid in ("P1", "P2", "joint"):
        card = re.search(rf'data-proposition="{pid}">(.*?)</article>', html, re.S).group(1)
        assert 'class="note invariance"' in card and "items set aside: rel_1, rel_2" in card
        assert ("With every item the verdict would be" in card) == (pid == "P2")
    # method text on comparing two different scales, with the evidence that does not rest on it
    sec = html[html.index('id="sec-propositions"'):]
    assert "share origin and unit" in sec and "Invariance tests between the groups cannot check" in sec
    table = sec[sec.index("Evidence with and without the assumption of comparable scales"):]
    table = table[:table.index("</table>")]
    for pid in ("P1", "P2"):
        assert f"{pid}: " in table and "assumes comparable scales" in table
    assert "constant-sum allocation: ipsative" in table
    assert "latent contrast between groups" in table


def test_multiverse_table_by_policy():
    from rsnprop.report.sections.multiverse import _policy_rows

    specs = [{"proposition": "P2", "verdict": v, "choices": {"measurement_policy": pol}}
             for pol, v in (("partial", "inconclusive"), ("partial", "supported"),
                            ("report_only", "supported"), ("report_only", "supported"))]
    rows = {(r["policy"], r["proposition"]): r for r in _policy_rows(specs)}
    assert rows[("partial", "P2")]["supported"] == 0.5 and rows[("partial", "P2")]["k"] == 2
    assert rows[("report_only", "P2")]["supported"] == 1.0
    assert _policy_rows([dict(x, choices={"measurement_policy": "partial"}) for x in specs]) == []
