"""``rsnprop power`` prints plain-language results (issue 17): "N for 80 % power: about 240
firms", never "N = n/a (grid interpolation ...)" or raw Python dicts."""

from __future__ import annotations

import re
from pathlib import Path

from rsnprop.power.study import PowerResult
from rsnprop.power.summary import n_for_power, n_sentence, verdict_table

REPO = Path(__file__).resolve().parents[1]
RAW_MARKS = ("{", "}", "n/a", "grid interpolation", "None", "'0.8'")


def _records(shares: dict[int, dict[str, float]], reps=100):
    out = []
    for n, by in shares.items():
        for i in range(reps):
            out.append({"n": n, "verdicts": {p: "supported" if i < round(s * reps) else "inconclusive"
                                             for p, s in by.items()}})
    return out


def _data(shares):
    rows = verdict_table(_records(shares), propositions=("P1", "P2"))
    return {"plan_name": "demo", "plan_hash": "ab" * 32, "scenario": "p1p2", "seed": 1,
            "reps": 100, "expected_verdicts": {"P1": "supported", "P2": "supported"},
            "results": rows, "n_for_power": n_for_power(rows), "analytic": None,
            "retention": [{"n": 100, "mean_analysed": 84.2, "mean_born_global": 38.0,
                           "mean_traditional": 46.2}], "warnings": []}


def test_summary_says_how_many_firms_in_words():
    shares = {100: {"P1": 0.55, "P2": 0.30}, 200: {"P1": 0.85, "P2": 0.55},
              300: {"P1": 0.97, "P2": 0.70}}
    text = PowerResult(_data(shares)).summary()
    for mark in RAW_MARKS:
        assert mark not in text, mark
    # P1 crosses 80 % between 100 (55 %) and 200 (85 %): linear interpolation gives 184
    assert "P1     N for 80 % power: about 190 firms (Monte Carlo range" in text
    assert "P1     N for 90 % power: about 250 firms" in text       # 200 + 100 * 5/12 = 242
    # P2 never reaches 80 %: said so, with the fitted curve's extrapolation as a hint
    assert re.search(r"P2 +N for 80 % power: more than 300 firms \(not reached by the largest "
                     r"size simulated; the fitted curve suggests about \d+0\)", text)
    assert re.search(r"(?m)^ +200 +85 % ± 4 +55 % ± 5$", text)
    assert "100 answering -> 84 analysed (38 born globals, 46 traditional)" in text


def test_sentence_for_a_target_reached_at_the_smallest_size():
    entry = {"target": 0.8, "interpolated": 100, "range": [None, 100], "logistic": 60,
             "extrapolated": True, "grid": 100}
    assert n_sentence(entry, [100, 200]) == ("N for 80 % power: 100 firms or fewer (already "
                                             "reached at the smallest size simulated)")


def test_cli_text_output_is_plain(rsnprop_cli, tmp_path):
    proc = rsnprop_cli("power", "--plan", REPO / "analysis" / "study.yaml", "--n", "40",
                       "--reps", "2", "--jobs", "1", "--seed", "5", "--no-analytic",
                       "--no-progress", "-o", tmp_path / "p.json")
    assert proc.returncode == 0, proc.stderr
    assert "N for 80 % power:" in proc.stdout and "simulated studies" in proc.stdout
    for mark in RAW_MARKS:
        assert mark not in proc.stdout, (mark, proc.stdout)


def test_simulate_and_run_summaries_are_words():
    from rsnprop.commands.run import _RunResult
    from rsnprop.commands.simulate import _SimulateResult

    sim = _SimulateResult(output="s.csv", n=50, scenario="p1p2", seed=1, platform="generic",
                          n_born_global=16, n_careless={"speeder": 1}, sha256="0" * 64,
                          expected_verdicts={"P1": "supported", "P2": "inconclusive"})
    text = sim.summary()
    assert "expected verdicts: P1 supported, P2 inconclusive" in text and "{" not in text
    run = _RunResult(steps=[{"step": "clean", "output": "b/clean.parquet"},
                            {"step": "report", "output": "reports/report.html"}])
    assert run.summary().endswith("Report: reports/report.html (self-contained: open it in a browser).")
