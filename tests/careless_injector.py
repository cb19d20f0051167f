"""An injector of careless respondents written independently of ``rsnprop.simulate``
(issue 22): it shares no code with the simulator's ``apply_careless``. It takes an export of
attentive respondents and rewrites some rows in place, as a person editing the CSV would:

* straight-liners: every Likert item one value (drawn from 1..7, so the midpoint too), the
  attention checks answered correctly (only the indices can catch them);
* random responders: every Likert item uniform on 1..7, attention checks correct;
* diagonal responders: 1-2-3-...-7-1-... (or 7-6-...-1-7-...) over the Likert items in
  questionnaire order, attention checks correct;
* speeders: answers untouched, completion time cut to 10-25 % of the median;
* attention failures: answers untouched, one attention check answered with another point.

Used by tests/test_data_careless.py (a few data sets) and bench/bench_careless.py (20).
"""

from __future__ import annotations

import numpy as np

SHARES = {"straightline": 0.10, "random": 0.05, "speeder": 0.05, "attention": 0.03,
          "diagonal": 0.03}


def inject(raw, likert, checks, candidates, seed, shares=SHARES):
    """Rewrite rows of ``raw`` (a copy is returned) and the type of every row.

    ``likert``: Likert item columns in questionnaire order (attention checks excluded);
    ``checks``: {attention column: expected answer}; ``candidates``: boolean mask of the rows
    that answered the questionnaire.
    """
    gen = np.random.Generator(np.random.PCG64(seed))
    out = raw.copy()
    kinds = np.array(["genuine"] * len(raw), dtype=object)
    rows = np.flatnonzero(np.asarray(candidates))
    gen.shuffle(rows)
    n_cand = len(rows)
    start = 0
    for name, share in shares.items():
        take = rows[start:start + int(round(share * n_cand))]
        start += len(take)
        kinds[take] = name
    block = out[likert].to_numpy(dtype=float, copy=True)
    answered = ~np.isnan(block)
    width = len(likert)
    for r in np.flatnonzero(kinds == "straightline"):
        block[r] = float(gen.integers(1, 8))
    for r in np.flatnonzero(kinds == "random"):
        block[r] = gen.integers(1, 8, size=width)
    for r in np.flatnonzero(kinds == "diagonal"):
        first = int(gen.integers(0, 7))
        sign = 1 if gen.random() < 0.5 else -1
        block[r] = 1 + (first + sign * np.arange(width)) % 7
    # careless respondents skip the items that the attentive one skipped too
    block = np.where(answered, block, np.nan)
    for j, c in enumerate(likert):
        out[c] = block[:, j]
    for c, expected in checks.items():
        out[c] = np.where(np.isin(kinds, ["straightline", "random", "diagonal"]), expected,
                          out[c])
    fail = np.flatnonzero(kinds == "attention")
    cols = list(checks)
    for r in fail:
        c = cols[int(gen.integers(0, len(cols)))]
        out.loc[out.index[r], c] = 1 + (checks[c] + int(gen.integers(0, 6))) % 7
    dur = out["duration_sec"].to_numpy(dtype=float, copy=True)
    med = np.nanmedian(dur[rows])
    spd = np.flatnonzero(kinds == "speeder")
    dur[spd] = np.round(med * gen.uniform(0.10, 0.25, size=len(spd)))
    out["duration_sec"] = dur
    return out, kinds
