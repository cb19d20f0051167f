"""Writes hyp_wave1.csv and hyp_wave2.csv, the panel of tests/test_panel_verdicts.py (run once; the
CSVs are committed): the two waves of make_panel.py with the columns a study plan names
(``score_relational``, ``score_informational``, ``bg_ms20``, ``phase``) and an internationalisation
approach score ``score_intl_approach`` for the cross-lagged hypothesis C3.  Wave-2 approach =
wave-1 approach + 0.3 x wave-1 lean (rel - inf) + noise, so the reverse path is not zero.
``python tests/data/panel/make_panel_hypotheses.py``
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
rng = np.random.default_rng(2014)
names = {"rel": "score_relational", "inf": "score_informational", "bg": "bg_ms20"}
w1 = pd.read_csv(HERE / "wave1.csv", dtype={"firm": "string", "phase": "string"})
w2 = pd.read_csv(HERE / "wave2.csv", dtype={"firm": "string", "phase": "string"})
w1["score_intl_approach"] = np.round(rng.normal(4.0, 1.0, len(w1)) + 0.3 * w1.bg, 3)
base = w1.set_index("firm").reindex(w2["firm"])
noise = rng.normal(0, 0.5, len(w2))
w2["score_intl_approach"] = np.round(np.where(
    base["score_intl_approach"].notna(),
    base["score_intl_approach"] + 0.3 * (base["rel"] - base["inf"]) + noise,
    rng.normal(4.0, 1.0, len(w2))), 3)
w1.rename(columns=names).to_csv(HERE / "hyp_wave1.csv", index=False)
w2.rename(columns=names).to_csv(HERE / "hyp_wave2.csv", index=False)
print(len(w1), len(w2))
