"""Scale scores: ``score_<construct>`` = mean of the answered (reverse-keyed) items, missing
when fewer than ``min_share`` of the items are answered (default: half).

R equivalent: ``ifelse(rowSums(!is.na(X)) >= ceiling(k / 2), rowMeans(X, na.rm = TRUE), NA)``.

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace as NS
>>> ins = NS(constructs={"rel": NS(items=["a", "b", "c", "d"])})
>>> df = pd.DataFrame({"a": [1, 2, None], "b": [3, None, None], "c": [5, None, 1],
...                    "d": [None, None, None]})
>>> construct_scores(df, ins)["score_rel"].tolist()
[3.0, nan, nan]
"""

from __future__ import annotations

__all__ = ["construct_scores"]


def construct_scores(values, instrument, min_share: float = 0.5):
    """``score_<construct>`` columns for every construct with ``scoring: mean`` (default)."""
    import math

    import numpy as np
    import pandas as pd

    out = pd.DataFrame(index=values.index)
    for cid, con in instrument.constructs.items():
        if getattr(con, "scoring", "mean") not in ("mean", None):
            continue
        cols = [c for c in con.items if c in values.columns]
        k = len(con.items)
        if not cols or k == 0:
            out[f"score_{cid}"] = np.nan
            continue
        # column by column, adding the columns in order (as the row sum of the items'
        # column-major matrix did), without copying the items
        n = np.zeros(len(values), dtype=np.int64)
        total = np.zeros(len(values))
        for c in cols:
            x = values[c].to_numpy(dtype="float64", na_value=np.nan)
            m = ~np.isnan(x)
            n += m
            total += np.where(m, x, 0.0)
        need = max(1, math.ceil(min_share * k - 1e-12))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
        out[f"score_{cid}"] = np.where(n >= need, mean, np.nan)
    return out
