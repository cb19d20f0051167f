"""Reference data for multiple imputation in the proposition tests (tests/test_propositions_mi.py).

Writes, from this folder (``../../.venv/bin/python propositions_mi_data.py``):

* ``propositions_mi_data.csv``: 150 firms, items rel_1..rel_4 and inf_1..inf_4 (1-7, about
  15 % of the answers missing completely at random), ``bg_ms20``, and the clean data's
  ``score_relational`` / ``score_informational`` (mean of the answered items, NaN with fewer
  than half answered);
* ``propositions_mi_estimates.csv``: the per-imputation estimates and variances that rsnprop
  computes for P1, P2 and the joint test (estimators t and hc3; plan ``PLAN`` below), which
  ``propositions_mi.R`` pools with ``mice::pool.scalar``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
#: the plan used for the reference values (also in the test)
PLAN = {"name": "mi-reference", "missing": "multiple_imputation",
        "imputation": {"m": 20, "seed": 11}}


def make_data(n: int = 150, seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bg = (rng.random(n) < 0.4).astype(int)
    t_inf = rng.normal(4.2, 0.9, n)
    t_rel = t_inf + np.where(bg == 1, 0.45, -0.4) + rng.normal(0, 0.7, n)
    out = {"resp_id": [f"F{i:04d}" for i in range(1, n + 1)]}
    items = {}
    for name, true in (("rel", t_rel), ("inf", t_inf)):
        for j in range(1, 5):
            x = np.clip(np.round(true + rng.normal(0, 0.8, n)), 1, 7)
            x[rng.random(n) < 0.15] = np.nan
            items[f"{name}_{j}"] = x
    out.update(items)
    df = pd.DataFrame(out)
    for c, pre in (("relational", "rel"), ("informational", "inf")):
        block = df[[f"{pre}_{j}" for j in range(1, 5)]]
        df[f"score_{c}"] = block.mean(axis=1).where(block.notna().sum(axis=1) >= 2)
    df["bg_ms20"] = bg
    return df


def estimates(df: pd.DataFrame) -> pd.DataFrame:
    from rsnprop.propositions.evaluate import evaluate_spec
    from rsnprop.propositions.plan import plan_from_dict

    plan = plan_from_dict(PLAN)
    rows = []
    for est in ("t", "hc3"):
        spec = evaluate_spec(df, plan, estimator=est, bayes=False)
        for key, row in spec["primary"].items():
            per = row["per_imputation"]
            for i, (q, u) in enumerate(zip(per["estimate"], per["variance"]), start=1):
                rows.append({"key": key, "estimator": est, "imputation": i, "estimate": repr(q),
                             "variance": repr(u), "df_complete": repr(row["df_complete"])})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    data = make_data()
    data.to_csv(HERE / "propositions_mi_data.csv", index=False)
    # the estimates are computed from the CSV as read back (what the test does)
    back = pd.read_csv(HERE / "propositions_mi_data.csv")
    estimates(back).to_csv(HERE / "propositions_mi_estimates.csv", index=False)
