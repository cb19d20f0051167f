"""The careless screen's block of the cleaning log: which rule excluded whom and the values
behind it, the thresholds, the flag counts and the screen's expected accuracy in the
simulation study (docs/careless.md, ``careless_accuracy.json`` by ``bench/bench_careless.py``).

Examples
--------
>>> from rsnprop.data.careless_report import expected_accuracy
>>> from rsnprop.data.rules import CarelessRules
>>> expected_accuracy(CarelessRules())["rule_set"]
'default'
"""

from __future__ import annotations

import importlib.resources as ir
import json
import math

import numpy as np

from .careless import INDEX_OF_FLAG

__all__ = ["careless_log", "expected_accuracy"]


def careless_log(careless, flags, reasons, rules) -> dict:
    """The log's ``careless`` block from :class:`~rsnprop.data.careless_screen.CarelessScreen`,
    the flags table, the exclusion reasons and the cleaning rules."""
    cr = rules.careless
    return {"median_duration_sec": careless.median_duration, "index_flags": careless.flag_cols,
            "decisive": [c for c in careless.flag_cols if c[len("flag_"):] in cr.decisive],
            "min_index_flags": cr.min_index_flags,
            **_careless_detail(flags, reasons, cr, rules.max_listed_problems),
            "expected_accuracy": expected_accuracy(cr),
            "flagged": {c: int(flags[c].sum()) for c in flags.columns if c.startswith("flag_")},
            "notes": careless.notes}


def expected_accuracy(careless_rules) -> dict:
    """The accuracy of these careless rules in the simulation study (docs/careless.md,
    ``rsnprop/data/careless_accuracy.json`` written by ``bench/bench_careless.py``).

    Returns ``{"rule_set", "sensitivity" (per careless type), "overall", "false_exclusion",
    "study"}`` when the rules equal one of the studied rule sets, else ``{"rule_set": None,
    "note": ...}``.

    Examples
    --------
    >>> from rsnprop.data.rules import CarelessRules
    >>> acc = expected_accuracy(CarelessRules())
    >>> acc["rule_set"], acc["false_exclusion"] <= 0.02
    ('default', True)
    >>> expected_accuracy(CarelessRules(mahad_alpha=0.2))["rule_set"] is None
    True
    """

    try:
        doc = json.loads((ir.files("rsnprop.data") / "careless_accuracy.json").read_text())
    except (FileNotFoundError, ValueError):
        return {"rule_set": None, "note": "no simulation study found (careless_accuracy.json)"}
    mine = careless_rules.model_dump(mode="json")
    for name, entry in doc.get("rule_sets", {}).items():
        if entry.get("careless_rules") == mine:
            return {"rule_set": name, **{k: entry[k] for k in ("sensitivity", "overall",
                                                               "false_exclusion", "n")},
                    "study": doc.get("study", {})}
    return {"rule_set": None, "note": "these careless rules were not part of the simulation "
                                      "study (docs/careless.md): accuracy unknown"}


def _fmt_index(v):
    return None if math.isnan(v) else float(f"{v:.4g}")


def _careless_detail(flags, reasons, cr, limit):
    """Per excluded respondent: which careless rule fired and the values behind it.

    ``{"excluded_detail": [{"row", "id", "rules": [...], "values": {...}}], ...}`` for the
    rows with an ``attention_check``, ``speeding`` or ``careless_indices`` reason (the first
    ``limit`` of them; all are counted in ``excluded_by_rule``)."""

    n = len(flags)
    fired: dict[str, np.ndarray] = {}
    if "attention_check" in reasons:
        fired["attention_check"] = np.asarray(reasons["attention_check"], bool)
    if "speeding" in reasons:
        fired["speeding"] = np.asarray(reasons["speeding"], bool)
    hit = np.asarray(reasons.get("careless_indices", np.zeros(n, bool)), bool)
    weak = np.zeros(n, dtype=bool)
    dec_cols = [c for c in INDEX_OF_FLAG if c in flags.columns and c[5:] in cr.decisive]
    weak_cols = [c for c in INDEX_OF_FLAG if c in flags.columns and c not in dec_cols]
    for c in dec_cols:
        fired[c[5:]] = hit & flags[c].to_numpy(bool)
    if weak_cols:
        nweak = flags[weak_cols].to_numpy(bool).sum(1)
        weak = hit & (nweak >= cr.min_index_flags)
        fired[f"{cr.min_index_flags}_weak_flags"] = weak
    any_fired = np.zeros(n, dtype=bool)
    for m in fired.values():
        any_fired |= m
    rows = np.flatnonzero(any_fired)
    show = {"attention_check": ["attention_failed"], "speeding": ["duration_ratio"]}
    for c in dec_cols:
        show[c[5:]] = [INDEX_OF_FLAG[c][0]]
    show[f"{cr.min_index_flags}_weak_flags"] = [INDEX_OF_FLAG[c][0] for c in weak_cols]
    listed = rows[:limit]
    # the listed rows' values read as lists once (a frame lookup per row and column cost 1 s
    # for the thousands of rows listed from a million; a numpy item per row and rule 0.1 s);
    # their ids only (a million rows' ids made objects cost 45 ms)
    cols = {k: flags[k].to_numpy()[listed].tolist() for v in show.values() for k in v
            if k in flags.columns}
    weak_flags = {c: flags[c].to_numpy(bool)[listed].tolist() for c in weak_cols}
    resp_ids = flags["resp_id"].iloc[listed].to_numpy()
    rule_hits = zip(*[m[listed].tolist() for m in fired.values()]) if fired else \
        ((),) * len(listed)
    detail = []
    for j, (i, hits) in enumerate(zip(listed.tolist(), rule_hits)):
        names = [k for k, h in zip(fired, hits) if h]
        vals = {k: _fmt_index(float(cols[k][j])) for r in names for k in show.get(r, [])
                if k in cols}
        if any(r.endswith("_weak_flags") for r in names):
            vals["weak_flags"] = [c[5:] for c in weak_cols if weak_flags[c][j]]
        detail.append({"row": i + 1, "id": resp_ids[j], "rules": names, "values": vals})
    thresholds = {INDEX_OF_FLAG[c][0]: getattr(cr, INDEX_OF_FLAG[c][1])
                  for c in dec_cols + weak_cols}
    return {"excluded_by_rule": {k: int(m.sum()) for k, m in fired.items()},
            "thresholds": thresholds, "excluded_detail": detail,
            "excluded_detail_truncated": bool(len(rows) > limit)}
