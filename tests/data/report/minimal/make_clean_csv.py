"""Regenerate clean.csv, the small stand-in clean data set of the report tests.

Run: python tests/data/report/make_clean_csv.py  (seeded: the same file every time)
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 40
bg = rng.integers(0, 2, n)
rel = np.clip(np.round(3.5 + 1.2 * bg + rng.normal(0, 1, n), 2), 1, 7)
inf = np.clip(np.round(4.5 - 0.6 * bg + rng.normal(0, 1, n), 2), 1, 7)
df = pd.DataFrame({
    "resp_id": [f"R{i:03d}" for i in range(n)],
    "bg_ms20": bg, "bg_kc25": bg * (rng.random(n) < 0.8), "bg_true": bg * (rng.random(n) < 0.6),
    "score_relational": rel, "score_informational": inf,
    "score_risk_reduction": np.round(rng.normal(4, 1, n), 2),
    "score_intl_approach": np.round(3 + 2 * bg + rng.normal(0, 0.8, n), 2),
    "years_to_first_foreign_sale": np.where(bg == 1, rng.integers(0, 3, n), rng.integers(3, 15, n)),
    "foreign_share_y3": np.round(np.where(bg == 1, rng.uniform(20, 80, n), rng.uniform(0, 19, n)), 1),
    "n_countries": rng.integers(1, 30, n),
    "employees": rng.integers(2, 249, n),
    "sector": rng.choice(list("CGJM"), n),
    "other_platform_text": [""] * n,
})
df.loc[3, "other_platform_text"] = "Viadeo & <b>Xing</b>"
df.loc[5, "other_platform_text"] = "WeChat"
df.to_csv(Path(__file__).with_name("clean.csv"), index=False)
