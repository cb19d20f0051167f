"""Simulation study of the careless-responding screen (``make bench``; issue 22).

``RSNPROP_CARELESS_SETS`` data sets (default 20) of 300 simulated firms, 20 % of the
respondents careless in equal shares of every type of ``rsnprop.simulate.quirks.CARELESS_TYPES``
(straight-lining at any value, at the midpoint, random, diagonal, other patterns, partial,
speeders, attention failures). Each set is cleaned with the plan's careless rules
(``analysis/study.yaml``: ``cleaning:`` = default, and each ``multiverse.careless`` variant
merged over it). Reported per type and overall: the share excluded by the careless step
(sensitivity) and the share of attentive respondents it excludes (false exclusion), for each
index and for the combined rule.

Written (committed; rerun after changing the rules or the simulator):

* ``rsnprop/data/careless_accuracy.json`` -- the accuracy of each rule set, which ``clean``
  puts beside the counts in the cleaning log and the report;
* ``docs/figures/careless_roc.png`` -- ROC curves of the indices;
* the tables in ``docs/careless.md`` between the ``bench:careless`` markers;
* ``bench/results/bench_careless.json``.

Targets (default rules): straight-liners (any value and midpoint) >= 95 %, random >= 90 %,
diagonal and pattern >= 80 %, speeders and attention failures 100 %, attentive respondents
excluded <= 2 %.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"
PLAN = REPO / "analysis" / "study.yaml"
ACCURACY = REPO / "rsnprop" / "data" / "careless_accuracy.json"
FIGURE = REPO / "docs" / "figures" / "careless_roc.png"
DOC = REPO / "docs" / "careless.md"
N_SETS = int(os.environ.get("RSNPROP_CARELESS_SETS", "20"))
STUDY = {"n": 300, "rate": 0.2, "seed": 2022}
TARGETS = {"straightline": 0.95, "midpoint": 0.95, "random": 0.90, "diagonal": 0.80,
           "pattern": 0.80, "speeder": 1.0, "attention": 1.0}
MAX_FALSE_EXCLUSION = 0.02
INDICES = ["longstring", "irv", "irv_block", "mahad", "pattern", "evenodd", "person_total", "psychsyn",
           "duration_ratio"]
RULES = ["attention_check", "speeding", "longstring", "irv", "irv_block", "mahad", "pattern", "evenodd",
         "person_total", "weak", "excluded"]


def plan_rule_sets(plan=PLAN) -> dict:
    """{"default": plan's cleaning section, <variant>: it with the variant merged over}."""
    import yaml

    from rsnprop.propositions.multiverse import deep_merge

    doc = yaml.safe_load(Path(plan).read_text())
    base = doc.get("cleaning", {})
    sets = {"default": base}
    for v in (doc.get("multiverse", {}) or {}).get("careless", []) or []:
        if v.get("cleaning"):
            sets[v["name"]] = deep_merge(base, v["cleaning"])
    return sets


def _pct(x):
    import math

    return "" if math.isnan(x) else f"{100 * x:.1f}"


def markdown_tables(accs: dict) -> str:
    """The per-type tables of the study (one per rule set, rules as columns)."""
    lines = []
    for name, acc in accs.items():
        types = list(acc["n"])
        rules = [r for r in RULES if r in acc["by_rule"]]
        lines += [f"**{name}** (false exclusion of attentive respondents "
                  f"{_pct(acc['false_exclusion'])} %, careless excluded overall "
                  f"{_pct(acc['overall'])} %)", "",
                  "| type | n | " + " | ".join(rules) + " |",
                  "|---|---:|" + "---:|" * len(rules)]
        for t in types:
            lines.append(f"| {t} | {acc['n'][t]} | "
                         + " | ".join(_pct(acc["by_rule"][r][t]) for r in rules) + " |")
        lines.append("")
    lines.append("Cells: % of the respondents of that type flagged by the rule (column), "
                 "`weak` = enough weak flags, `excluded` = excluded by the careless step "
                 "(sensitivity; for `genuine`, false exclusion).")
    return "\n".join(lines)


def roc_figure(rows, path):
    """ROC curves of the indices: all careless types, random + speeders, patterns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rsnprop.simulate.careless_study import roc_points

    panels = [("all careless types", None), ("random and speeders", ["random", "speeder"]),
              ("diagonal and other patterns", ["diagonal", "pattern"]),
              ("straight-liners (any value, midpoint)", ["straightline", "midpoint"])]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), sharey=True)
    for ax, (title, types) in zip(axes, panels):
        for idx in INDICES:
            if idx in rows.columns:
                fpr, tpr = roc_points(rows, idx, types)
                ax.plot(fpr, tpr, label=idx, lw=1.4, drawstyle="steps-post")
        ax.plot([0, 1], [0, 1], color="grey", lw=0.6, ls=":")
        ax.axvline(MAX_FALSE_EXCLUSION, color="black", lw=0.6, ls="--")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("false positive rate (attentive respondents)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
    axes[0].set_ylabel("true positive rate")
    axes[-1].legend(fontsize=8, loc="lower right")
    fig.suptitle("Careless-responding indices: ROC curves (simulation study, "
                 f"{rows['dataset'].nunique()} data sets; dashed: 2 % false positives)",
                 fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


def _write_doc_tables(text):
    doc = DOC.read_text()
    start, end = "<!-- bench:careless:start -->", "<!-- bench:careless:end -->"
    a, b = doc.index(start) + len(start), doc.index(end)
    DOC.write_text(doc[:a] + "\n" + text + "\n" + doc[b:])


@pytest.mark.bench
def test_careless_screen_accuracy():
    from rsnprop.data.rules import CleaningRules
    from rsnprop.simulate.careless_study import accuracy, careless_study

    sets = plan_rule_sets()
    rows = careless_study(INSTRUMENT, n_sets=N_SETS, rule_sets=sets, **STUDY)
    accs = {name: accuracy(rows, name) for name in sets}
    out = {"study": {**STUDY, "n_sets": N_SETS, "scenario": "p1p2",
                     "instrument": INSTRUMENT.name,
                     "types": "every type of rsnprop.simulate.quirks.CARELESS_TYPES, equal shares"},
           "rule_sets": {name: {"careless_rules": CleaningRules.from_any(r).careless.model_dump(
                                    mode="json"),
                                **{k: accs[name][k] for k in ("n", "sensitivity", "overall",
                                                              "false_exclusion")}}
                         for name, r in sets.items()}}
    ACCURACY.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    roc_figure(rows, FIGURE)
    _write_doc_tables(markdown_tables(accs))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_careless.json").write_text(
        json.dumps({name: accs[name] for name in accs}, indent=1, sort_keys=True))
    d = accs["default"]
    print("\n" + markdown_tables({"default": d}))
    assert d["false_exclusion"] <= MAX_FALSE_EXCLUSION
    for t, target in TARGETS.items():
        assert d["sensitivity"][t] >= target, (t, d["sensitivity"][t])


@pytest.mark.bench
def test_independent_injector_full():
    """The injector of tests/careless_injector.py (no code shared with the simulator) on
    ``RSNPROP_CARELESS_SETS`` data sets of 300: caught at the same rates (default rules)."""
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from careless_injector import inject
    from test_data_careless import independent_rates

    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    ins = load_instrument(INSTRUMENT)
    rates = independent_rates(ins, inject, simulate_study, clean,
                              seeds=list(range(500, 500 + N_SETS)))
    text = ("| injected type | excluded % |\n|---|---:|\n"
            + "\n".join(f"| {k} | {_pct(v)} |" for k, v in rates.items())
            + f"\n\n{N_SETS} data sets of 300 (seeds 500-{499 + N_SETS}), default rules.")
    doc = DOC.read_text()
    start, end = "<!-- bench:injector:start -->", "<!-- bench:injector:end -->"
    a, b = doc.index(start) + len(start), doc.index(end)
    DOC.write_text(doc[:a] + "\n" + text + "\n" + doc[b:])
    print("\n" + text)
    assert rates["genuine"] <= MAX_FALSE_EXCLUSION
    for t in ("straightline", "random", "diagonal", "speeder", "attention"):
        assert rates[t] >= TARGETS[t], (t, rates[t])
