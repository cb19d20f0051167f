"""The per-row lists of the cleaning log, built from arrays and bit masks, equal the plain
per-row formulation they replaced (routing_log's ``not_shown_answered``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rsnprop.data.log import routing_log
from rsnprop.instrument import load_instrument

INS = load_instrument(Path(__file__).resolve().parents[1] / "instruments"
                      / "rsn_internationalisation.yaml")


def _plain_listed(routed, not_shown_answered, ids):
    """One row at a time, every rule tested on every listed row (the previous code)."""
    n = len(ids)
    n_answers = np.zeros(n, dtype=np.int64)
    for rows in not_shown_answered.values():
        n_answers[rows] += 1
    per_rule = {}
    for rule in INS.routing:
        hit = np.zeros(n, dtype=bool)
        for item in rule.hides:
            if item in not_shown_answered:
                hit[not_shown_answered[item]] = True
        per_rule[rule.id] = hit & routed[rule.id]
    return [{"row": i + 1, "id": None if ids[i] is None else str(ids[i]),
             "rules": [r for r, m in per_rule.items() if m[i]], "n_answers": int(n_answers[i])}
            for i in np.flatnonzero(n_answers).tolist()]


def test_routing_rows_listed_as_one_at_a_time():
    rng = np.random.default_rng(0)
    hidden = sorted({i for r in INS.routing for i in r.hides})
    several = 0
    for _ in range(150):
        n = int(rng.integers(1, 200))
        routed = {r.id: rng.random(n) < rng.random() for r in INS.routing}
        nsa = {i: np.flatnonzero(rng.random(n) < 0.3) for i in hidden if rng.random() < 0.7}
        ids = [None if rng.random() < 0.1 else f"r{i}" for i in range(n)]
        got = routing_log(INS, routed, nsa, ids)["not_shown_answered"]
        assert got == _plain_listed(routed, nsa, ids)
        several += any(len(x["rules"]) > 1 for x in got)
    assert len(INS.routing) > 1 and several   # rows with more than one fired rule were met
