"""The constant-sum single item as a cross-check: firms split 100 points between
relational (``cs_relational``) and informational (``cs_informational``) benefits.

Within a group the contrast is ``cs_relational - cs_informational`` (points; 0 = even
split), tested like D with a one-sided paired t-test; rows have the keys of
:mod:`rsnprop.propositions.paired` (``status = "not_available"`` when the item is absent).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"cs_relational": [70, 60, 80, 65, 75], "cs_informational": [30, 40, 20, 35, 25]})
>>> constant_sum_within(df, expects="relational")["p_value"] < 0.01
True

R: ``t.test(cs_relational, cs_informational, paired = TRUE, alternative = "greater")``.
"""

from __future__ import annotations

import pandas as pd

from .paired import evidence_row, paired_t

__all__ = ["constant_sum_within", "CS_COLUMNS"]

CS_COLUMNS = ("cs_relational", "cs_informational")


def constant_sum_within(df, *, expects):
    """One-sided paired t-test of the constant-sum split in one group (see module doc)."""

    if not all(c in df.columns for c in CS_COLUMNS):
        return evidence_row("constant sum (paired t)", status="not_available",
                    note="constant-sum item not in the data")
    rel = pd.to_numeric(df[CS_COLUMNS[0]], errors="coerce").to_numpy(float)
    inf = pd.to_numeric(df[CS_COLUMNS[1]], errors="coerce").to_numpy(float)
    row = paired_t(rel, inf, expects=expects)
    row["test"] = "constant sum (paired t)"
    row["note"] = (row.get("note") or "") + " estimate in points out of 100"
    return row
