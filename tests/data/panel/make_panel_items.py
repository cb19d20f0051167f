"""Writes the item-level two-wave panel of tests/test_panel_latent.py (run once; the CSVs are
committed and tests/reference/panel_latent.R fits the same models in lavaan on them).

300 firms at wave 1 (``firm``, 4 relational items ``rel_1..rel_4``, 4 informational items
``inf_1..inf_4`` on a 1-7 scale, ``score_relational`` / ``score_informational`` = the mean of
the answered items, an internationalisation approach score ``approach``, the born-global flag
``bg`` and the phase ``phase`` 1-4).  About 25 % leave before wave 2, more often when the wave-1
relational factor is low (MAR), and about 3 % of the item answers are missing at random, so
FIML and listwise deletion differ.  At wave 2 the relational factor of born globals and of firms
moving to a later phase grows, and a high wave-1 approach raises the wave-2 relational factor.
``python tests/data/panel/make_panel_items.py``
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ITEMS = [f"rel_{j}" for j in range(1, 5)] + [f"inf_{j}" for j in range(1, 5)]
LOAD = np.array([1.0, 0.9, 0.8, 1.1])
ICPT = np.array([4.4, 4.1, 4.6, 4.2])


def answers(rng, rel, inf, unique):
    """Items on the 1-7 scale from the two factors, with item-specific parts ``unique``
    (carried from wave to wave: the matched residuals correlate)."""
    out = {}
    for j in range(4):
        for kind, f in (("rel", rel), ("inf", inf)):
            x = ICPT[j] + LOAD[j] * f + unique[f"{kind}_{j + 1}"] + rng.normal(0, 0.55, len(f))
            out[f"{kind}_{j + 1}"] = np.clip(np.rint(x), 1, 7)
    return pd.DataFrame(out)


def with_scores(df, rng):
    for c in ITEMS:  # about 3 % of the answers missing at random
        df.loc[rng.random(len(df)) < 0.03, c] = np.nan
    df["score_relational"] = df[ITEMS[:4]].mean(axis=1).round(4)
    df["score_informational"] = df[ITEMS[4:]].mean(axis=1).round(4)
    return df


def main():
    rng = np.random.default_rng(20260411)
    n = 300
    bg = rng.integers(0, 2, n)
    phase = rng.choice([1, 2, 3, 4], n, p=[0.2, 0.35, 0.3, 0.15])
    approach1 = np.round(4 + 0.8 * bg + rng.normal(0, 1, n), 3)
    rel1 = 0.3 * bg + 0.2 * (approach1 - 4) + rng.normal(0, 0.8, n)
    inf1 = 0.4 * rel1 + rng.normal(0, 0.7, n)
    unique = {c: rng.normal(0, 0.35, n) for c in ITEMS}
    w1 = pd.concat([pd.DataFrame({"firm": [f"F{i:03d}" for i in range(n)]}),
                    answers(rng, rel1, inf1, unique)], axis=1)
    w1 = with_scores(w1, rng)
    w1["approach"], w1["bg"], w1["phase"] = approach1, bg, phase
    moved = (rng.random(n) < 0.3) & (phase < 4)
    phase2 = phase + moved
    rel2 = 0.6 * rel1 + 0.35 * bg + 0.3 * moved + 0.15 * (approach1 - 4) + rng.normal(0, 0.55, n)
    inf2 = 0.6 * inf1 + 0.1 * rel1 + rng.normal(0, 0.55, n)
    approach2 = np.round(approach1 * 0.7 + 1.2 + 0.1 * (rel1 - inf1) + rng.normal(0, 0.6, n), 3)
    w2 = pd.concat([pd.DataFrame({"firm": w1["firm"]}), answers(rng, rel2, inf2, unique)], axis=1)
    w2 = with_scores(w2, rng)
    w2["approach"], w2["bg"], w2["phase"] = approach2, bg, phase2
    stay = rng.random(n) < 1 / (1 + np.exp(-(1.2 + 0.8 * rel1)))
    w2 = w2.loc[stay]
    w1.to_csv(HERE / "items_w1.csv", index=False)
    w2.to_csv(HERE / "items_w2.csv", index=False)
    print(len(w1), len(w2), int(moved[stay].sum()))


if __name__ == "__main__":
    main()
