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

import math

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["scoring_items", "reverse_keys", "reverse_code", "construct_scores",
           "mean_of_answered_floats"]


def _construct(ins, construct: str):
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

    out = df.copy()
    for item, (lo, hi) in reverse_keys(ins).items():
        if item in out.columns and (columns is None or item in columns):
            out[item] = lo + hi - pd.to_numeric(out[item], errors="coerce")
    return out


def construct_scores(df, ins, min_fraction: float = 0.5, *, prefix: str = "score_",
                     sums: bool = True, partial: bool = False):
    """Scale scores per construct: mean of the answered (already reverse-keyed) items.

    The one scoring rule of the package (the cleaning pipeline's ``score_<construct>``
    columns come from here): a score is NaN when fewer than ``min_fraction`` of the
    construct's ``k`` items are answered (CONTRIBUTING.md: "NaN when fewer than half
    answered"), i.e. fewer than ``max(1, ceil(min_fraction * k))``.  Constructs with
    ``scoring: none`` are never scored.

    Parameters
    ----------
    df : DataFrame
        Item columns (numeric; other columns are coerced, non-numbers becoming NaN).
    ins : Instrument
    min_fraction : float
        Share of a construct's items that must be answered.
    prefix : str
        Prefix of the score columns.
    sums : bool
        Score ``scoring: sum`` constructs as the sum of items, rescaled for missing items
        (mean * k).  The cleaning pipeline passes False: the clean data hold mean scores only.
    partial : bool
        When some of a construct's items are not columns of ``df``: False (default) leaves
        the construct out; True scores it from the items present (still requiring
        ``min_fraction`` of all ``k`` items, so a construct with no item present is a
        column of NaN), as the cleaning pipeline does.

    Returns
    -------
    DataFrame with one column ``<prefix><construct>`` per construct scored.

    Notes
    -----
    R equivalent: ``ifelse(rowSums(!is.na(X)) >= ceiling(min_fraction * k),
    rowMeans(X, na.rm = TRUE), NA)``.  Items are added column by column, in questionnaire
    order.

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> d = pd.DataFrame({f"rsk_{i}": [i, None] for i in range(1, 5)})
    >>> construct_scores(d, ins)["score_risk_reduction"].tolist()
    [2.5, nan]

    With an item column absent, ``partial=True`` still scores the construct (2 of 4 items
    answered is half):

    >>> from types import SimpleNamespace as NS
    >>> toy = NS(constructs={"rel": NS(items=["a", "b", "c", "d"], scoring="mean")})
    >>> df = pd.DataFrame({"a": [1, 2, None], "b": [3, None, None], "c": [5, None, 1]})
    >>> construct_scores(df, toy, partial=True)["score_rel"].tolist()
    [3.0, nan, nan]
    >>> list(construct_scores(df, toy))
    []
    """

    scores = {}
    for cid, con in ins.constructs.items():
        kind = getattr(con, "scoring", "mean") or "mean"
        if kind == "none" or (kind == "sum" and not sums):
            continue
        present = [c for c in con.items if c in df.columns]
        if not partial and (not con.items or len(present) < len(con.items)):
            continue
        mean = _mean_of_answered(df, present, len(con.items), min_fraction)
        scores[prefix + cid] = mean * len(con.items) if kind == "sum" else mean
    return pd.DataFrame(scores, index=df.index)


def _mean_of_answered(df, columns: list, k: int, min_fraction: float):
    """Row means of the answered ``columns``; NaN where fewer than ``min_fraction`` of the
    ``k`` items are answered.  The columns are added in order without copying the block."""

    def floats(c):
        col = df[c]
        if not pd.api.types.is_numeric_dtype(col):
            col = pd.to_numeric(col, errors="coerce")
        return col.to_numpy(dtype="float64", na_value=np.nan)

    return mean_of_answered_floats((floats(c) for c in columns), k, min_fraction, len(df))


def mean_of_answered_floats(arrays, k: int, min_fraction: float, n: int):
    """Row means of the answered values of ``arrays`` (float columns of ``n`` rows, NaN for
    unanswered), added in order; NaN where fewer than ``max(1, ceil(min_fraction k))`` of
    the ``k`` items are answered (``k == 0`` or no arrays: all NaN).

    >>> mean_of_answered_floats([np.array([1.0, np.nan]), np.array([3.0, np.nan])], 2, 0.5, 2)
    array([ 2., nan])
    """
    if k == 0:
        return np.full(n, np.nan)
    cnt = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)
    seen = False
    for x in arrays:          # one column at a time: a million rows hold one array, not k
        m = ~np.isnan(x)
        cnt += m
        total += np.where(m, x, 0.0)
        seen = True
    if not seen:
        return np.full(n, np.nan)
    need = max(1, math.ceil(min_fraction * k - 1e-12))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / cnt
    return np.where(cnt >= need, mean, np.nan)
