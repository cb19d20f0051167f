"""Scoring helpers shared by cleaning and measurement: which items score a construct,
which are reverse keyed, and how to reverse-key and score (mean of available items).

Examples
--------
>>> from rsnprop.instrument import load_instrument, scoring_items, reverse_keys
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> scoring_items(ins, "risk_reduction")
['rsk_1', 'rsk_2', 'rsk_3', 'rsk_4']
>>> reverse_keys(ins, "relational")
{'rel_7': (1, 7)}
"""

from __future__ import annotations

__all__ = ["scoring_items", "reverse_keys", "reverse_code", "construct_scores"]


def _construct(ins, construct: str):
    from ..errors import InputError

    if construct not in ins.constructs:
        raise InputError(f"unknown construct; the instrument defines {', '.join(ins.constructs)}",
                         parameter="construct", value=construct)
    return ins.constructs[construct]


def scoring_items(ins, construct: str) -> list[str]:
    """Ids of the items that score ``construct`` (questionnaire order; no attention checks).

    R equivalent: the item list of ``psych::scoreItems`` keys for that construct.
    """
    return list(_construct(ins, construct).items)


def reverse_keys(ins, construct: str | None = None) -> dict[str, tuple]:
    """Reverse-keyed item id -> ``(min, max)`` of its scale (all constructs when None).

    A reversed answer is ``min + max - x`` (``psych::reverse.code(keys=-1, mini, maxi)``).
    """
    ids = scoring_items(ins, construct) if construct else list(ins.items)
    return {i: (ins.items[i].scale.min, ins.items[i].scale.max) for i in ids if ins.items[i].reverse}


def reverse_code(df, ins, *, columns=None):
    """Return a copy of ``df`` with every reverse-keyed item column reversed (``min+max-x``).

    Only columns present in ``df`` (and, when given, in ``columns``) are touched; values
    stay NaN when missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> reverse_code(pd.DataFrame({"rel_7": [1.0, 7.0, None]}), ins)["rel_7"].tolist()
    [7.0, 1.0, nan]
    """
    import pandas as pd

    out = df.copy()
    for item, (lo, hi) in reverse_keys(ins).items():
        if item in out.columns and (columns is None or item in columns):
            out[item] = lo + hi - pd.to_numeric(out[item], errors="coerce")
    return out


def construct_scores(df, ins, *, min_fraction: float = 0.5, prefix: str = "score_"):
    """Scale scores per construct: mean of the available (already reverse-keyed) items.

    A score is NaN when fewer than ``min_fraction`` of the construct's items are answered
    (CONTRIBUTING.md: "NaN when fewer than half answered").  Constructs with
    ``scoring: sum`` use the sum of items, rescaled for missing items (mean * k).

    Returns a DataFrame with one column ``<prefix><construct>`` per construct whose items
    are all present in ``df``.

    R equivalent: ``rowMeans(df[items], na.rm = TRUE)`` masked where
    ``rowSums(!is.na(df[items])) < min_fraction * length(items)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> d = pd.DataFrame({f"rsk_{i}": [i, None] for i in range(1, 5)})
    >>> construct_scores(d, ins)["score_risk_reduction"].tolist()
    [2.5, nan]
    """
    import numpy as np
    import pandas as pd

    scores = {}
    for cid, con in ins.constructs.items():
        if con.scoring == "none" or not con.items or not all(i in df.columns for i in con.items):
            continue
        block = df[con.items].apply(pd.to_numeric, errors="coerce")
        n_ok = block.notna().sum(axis=1)
        mean = block.mean(axis=1, skipna=True)
        value = mean * len(con.items) if con.scoring == "sum" else mean
        scores[prefix + cid] = value.where(n_ok >= min_fraction * len(con.items), np.nan)
    return pd.DataFrame(scores, index=df.index)
