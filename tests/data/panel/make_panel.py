"""Writes the small two-wave panel of tests/test_panel.py (run once; the CSVs are committed).

Wave 1: 150 firms; wave 2: the firms that stayed (more likely when wave-1 ``rel`` is high:
attrition related to the first-wave answers, MAR), one firm answering twice, two firms new in
wave 2 and one row without a key.  ``python tests/data/panel/make_panel.py``
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
rng = np.random.default_rng(20132014)
n = 150
w1 = pd.DataFrame({
    "firm": [f"F{i:03d}" for i in range(n)],
    "rel": np.round(rng.normal(4.5, 1.0, n), 3),
    "inf": np.round(rng.normal(4.0, 1.1, n), 3),
    "bg": rng.integers(0, 2, n),
    "phase": rng.choice(["2", "3", "4"], n),
})
stay = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.6 * (w1.rel - 4.5) + 1.2)))
w2 = w1.loc[stay].copy()
w2["rel"] = np.round(w2.rel + 0.3 * w2.bg + rng.normal(0, 0.5, len(w2)), 3)
w2["inf"] = np.round(w2.inf + rng.normal(0, 0.5, len(w2)), 3)
# about a third of the firms move to a later phase, and lean more relational when they do
moved = (rng.random(len(w2)) < 0.35) & (w2.phase != "4")
w2.loc[moved, "phase"] = (w2.loc[moved, "phase"].astype(int) + 1).astype(str)
w2.loc[moved, "rel"] = np.round(w2.loc[moved, "rel"] + 0.4, 3)
extra = pd.DataFrame({"firm": ["F900", "F901", None], "rel": [5.0, 3.2, 4.1],
                      "inf": [4.0, 3.5, 4.4], "bg": [1, 0, 1], "phase": ["3", "2", "4"]})
twice = w2.iloc[[0]].assign(rel=1.0)
w2 = pd.concat([w2, twice, extra], ignore_index=True)
w1.to_csv(HERE / "wave1.csv", index=False)
w2.to_csv(HERE / "wave2.csv", index=False)
print(len(w1), len(w2), int(stay.sum()))
