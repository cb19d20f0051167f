"""Clean-data-level synthetic studies with a known truth (for tests and error-rate studies).

This generator works at the level of the *clean* data set (CONTRIBUTING.md columns), so
the proposition tests can be checked without the survey simulator and the cleaning stage.
The truth is set on the observed scale-score contrast ``D = score_relational -
score_informational``: within each group ``D ~ Normal(mu_group, 1)``, so ``mu`` *is* the
population d_z:

* ``"p1p2"``: traditional ``mu = -d`` (informational lean, P1 true), born global ``mu = +d``
  (P2 true);
* ``"null"``: ``mu = 0`` in both groups;
* ``"reversed"``: traditional ``+d``, born global ``-d``.

Item columns ``rel_1..rel_7`` and ``inf_1..inf_9`` are the true scores plus independent
noise (SD ``item_noise``); the score columns are the item means, and the variance of the
true contrast is reduced so that the observed contrast has SD 1 exactly.

Examples
--------
>>> df = synthetic_clean(n=300, scenario="p1p2", d=0.5, seed=1)
>>> df.shape[0], sorted(set(df["bg_ms20"]))
(300, [0, 1])
>>> round(float((df.score_relational - df.score_informational)[df.bg_ms20 == 1].mean()), 1)
0.6
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_clean", "SCENARIOS"]

SCENARIOS = ("p1p2", "null", "reversed")


def synthetic_clean(n=300, scenario="p1p2", d=0.5, seed=None, *, share_born_global=0.35,
                    item_noise=0.8, n_rel=7, n_inf=9, phase_slope=0.0, missing_rate=0.0):
    """A synthetic clean data set (see module docstring).

    Parameters
    ----------
    n : int
        Firms.
    scenario : {"p1p2", "null", "reversed"}
    d : float
        Population d_z of the within-firm contrast in each group.
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    share_born_global : float
        Expected share of born globals (``bg_ms20``).
    phase_slope : float
        Increase per phase of the traditional firms' informational lean (auxiliary A2).
    missing_rate : float
        Share of item answers set missing (scores from available items).
    """

    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; use one of {SCENARIOS}")
    rng = np.random.default_rng(seed)
    bg = (rng.random(n) < share_born_global).astype(int)
    share_y3 = np.where(bg == 1, rng.uniform(20, 90, n), rng.uniform(0, 19.9, n)).round(1)
    phase = rng.integers(1, 5, n)
    mu_trad, mu_bg = {"p1p2": (-d, d), "null": (0.0, 0.0), "reversed": (d, -d)}[scenario]
    mu = np.where(bg == 1, mu_bg, mu_trad - phase_slope * (phase - 2.5))
    noise_var = item_noise ** 2 * (1 / n_rel + 1 / n_inf)
    sd_true = np.sqrt(max(1.0 - noise_var, 1e-6))
    t_inf = rng.normal(4.5, 0.9, n)
    t_rel = t_inf + mu + rng.normal(0, sd_true, n)
    out = {"resp_id": [f"S{i:05d}" for i in range(n)]}
    rel = t_rel[:, None] + rng.normal(0, item_noise, (n, n_rel))
    inf = t_inf[:, None] + rng.normal(0, item_noise, (n, n_inf))
    if missing_rate:
        rel[rng.random(rel.shape) < missing_rate] = np.nan
        inf[rng.random(inf.shape) < missing_rate] = np.nan
    for j in range(n_rel):
        out[f"rel_{j + 1}"] = rel[:, j]
    for j in range(n_inf):
        out[f"inf_{j + 1}"] = inf[:, j]
    df = pd.DataFrame(out)
    df["score_relational"] = np.nanmean(rel, axis=1)
    df["score_informational"] = np.nanmean(inf, axis=1)
    df["score_intl_approach"] = 3.5 + 1.2 * (bg - 0.35) + rng.normal(0, 0.8, n)
    df["foreign_share_y3"] = share_y3
    df["bg_ms20"] = bg
    df["bg_kc25"] = (share_y3 >= 25).astype(int)
    flip = rng.random(n) < 0.1
    df["bg_true"] = np.where(flip, 1 - bg, bg)
    df["founding_year"] = rng.integers(1980, 2020, n)
    df["survey_year"] = 2026
    df["employees"] = rng.integers(2, 250, n)
    df["sector"] = rng.choice(list("CGJM"), n)
    df["b2b"] = (rng.random(n) < 0.6).astype(int)
    df["phase"] = phase
    df["rsn_hours"] = rng.gamma(2.0, 3.0, n).round(1)
    for lvl in ("org", "pro", "priv"):
        df[f"rsn_level_{lvl}"] = rng.integers(1, 6, n)
    cs = np.clip(np.round(50 + 12 * (t_rel - t_inf) + rng.normal(0, 10, n)), 0, 100)
    df["cs_relational"] = cs
    df["cs_informational"] = 100 - cs
    return df
