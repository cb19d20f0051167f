"""Input handling shared by the measurement functions: reading files, selecting and checking
item columns, reverse keying and the missing-data policy.

Every problem a user can cause raises :class:`~rsnprop.errors.InputError` naming the column
(exit status 2 on the command line): unknown column, non-numeric values, constant items,
fewer than the required number of items.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.measure.item_data import apply_missing, select_items
>>> df = pd.DataFrame({"a": [1, 2, 3, None], "b": ["2", "3", "1", "4"], "c": [5, 4, 3, 2]})
>>> frame = select_items(df, ["a", "b", "c"])       # numeric text is read as numbers
>>> list(frame.dtypes.astype(str)), len(apply_missing(frame, "listwise"))
(['float64', 'float64', 'float64'], 3)
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, InputError

MISSING_POLICIES = ("listwise", "pairwise")


def as_frame(data):
    """Accept a DataFrame, a dict of columns or a 2-D array (columns named V1, V2, ...)."""

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, dict):
        return pd.DataFrame(data)
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise InputError("data must be a table (2-D): rows are respondents, columns items",
                         parameter="data")
    return pd.DataFrame(arr, columns=[f"V{i + 1}" for i in range(arr.shape[1])])


def select_items(data, items: Sequence[str] | None, *, min_items: int = 3, file=None,
                 check_constant: bool = True):
    """Return the item columns of ``data`` as a float DataFrame, after checking them.

    Raises
    ------
    InputError
        unknown column, non-numeric values, constant item, fewer than ``min_items`` items.
    """

    df = as_frame(data)
    if items is None or len(items) == 0:
        items = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    items = list(dict.fromkeys(str(i) for i in items))
    cols = {str(c): c for c in df.columns}
    for it in items:
        if it not in cols:
            close = [c for c in cols if c.lower() == it.lower()]
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError(f"unknown column{hint}", file=file, column=it)
    if len(items) < min_items:
        raise InputError(f"at least {min_items} items are needed, got {len(items)}",
                         file=file, parameter="items", value=",".join(items))
    out = {}
    for it in items:
        s = df[cols[it]]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if not pd.api.types.is_numeric_dtype(s):
            num = pd.to_numeric(s, errors="coerce")
            bad = s[num.isna() & s.notna()]
            if len(bad):
                row = bad.index[0]
                raise InputError("item values must be numeric", file=file, column=it,
                                 row=int(row) + 1 if isinstance(row, (int, np.integer)) else row,
                                 value=bad.iloc[0])
            s = num
        out[it] = s.astype(float).to_numpy()
    frame = pd.DataFrame(out, index=df.index)
    if check_constant:
        for it in items:
            v = frame[it].dropna()
            if len(v) == 0:
                raise InputError("item has no observed values", file=file, column=it)
            if v.nunique() < 2:
                raise InputError(f"item is constant (every answer is {v.iloc[0]:g}); it carries "
                                 "no information and must be removed", file=file, column=it)
    return frame


def reverse_items(frame, reverse, scale_min=None, scale_max=None, file=None):
    """Reverse-key items: ``x -> scale_min + scale_max - x``.

    ``reverse`` is a list of item names, or a dict ``{item: (min, max)}`` giving each item's
    own scale (as ``rsnprop.instrument.reverse_keys`` returns).  Without bounds the observed
    minimum and maximum over all items are used (as ``psych::alpha`` does with ``keys``).
    """
    if not reverse:
        return frame
    if isinstance(reverse, dict):
        bounds = {str(k): v for k, v in reverse.items()}
    else:
        bounds = {str(r): (scale_min, scale_max) for r in reverse}
    out = frame.copy()
    for r in bounds:
        if r not in out.columns:
            raise InputError("reverse-keyed item is not among the items", file=file, column=r,
                             parameter="reverse")
    for r, (lo, hi) in bounds.items():
        lo = np.nanmin(frame.to_numpy()) if lo is None else float(lo)
        hi = np.nanmax(frame.to_numpy()) if hi is None else float(hi)
        if hi <= lo:
            raise InputError("scale maximum must be above the scale minimum",
                             parameter="scale_max", value=hi)
        v = out[r]
        outside = v[(v < lo) | (v > hi)]
        if len(outside):
            raise InputError(f"value outside the scale [{lo:g}, {hi:g}]", file=file, column=r,
                             value=outside.iloc[0])
        out[r] = lo + hi - v
    return out


def check_range(frame, bounds: dict, file=None, hint: str = ""):
    """Raise InputError for the first value outside its item's ``(min, max)``."""
    for item, (lo, hi) in bounds.items():
        if item not in frame.columns or lo is None or hi is None:
            continue
        v = frame[item]
        bad = v[(v < float(lo)) | (v > float(hi))]
        if len(bad):
            row = bad.index[0]
            raise InputError(f"value outside the scale [{float(lo):g}, {float(hi):g}]{hint}",
                             file=file, column=item,
                             row=int(row) + 1 if isinstance(row, (int, np.integer)) else row,
                             value=bad.iloc[0])


def resolve_missing(missing: str) -> str:
    """The method ``missing`` stands for: ``"auto"`` (the package default, see
    docs/missing-data.md) is listwise deletion for the item statistics (no likelihood to
    maximise over incomplete rows); ``"pairwise"`` is psych's default."""
    if missing == "auto":
        return "listwise"
    if missing not in MISSING_POLICIES:
        raise InputError("missing must be 'auto', 'listwise' or 'pairwise'", parameter="missing",
                         value=missing)
    return missing


def rows_dropped_note(n: int, n_total: int, what: str, warn: list) -> None:
    """Warn (DataQualityWarning and ``warn``) when listwise deletion left ``n`` of ``n_total``
    rows, naming the R call that gives psych's default (pairwise) numbers."""
    if n >= n_total:
        return

    msg = (f"{n} of {n_total} rows used: {n_total - n} incomplete rows dropped (listwise deletion); "
           f"{what}'s default uses pairwise-complete correlations: missing='pairwise' gives its numbers")
    warn.append(msg)
    warnings.warn(msg, DataQualityWarning, stacklevel=4)


def apply_missing(frame, missing: str = "listwise"):
    """Listwise: drop incomplete rows.  Pairwise: keep every row (statistics use pairwise
    complete observations)."""
    missing = resolve_missing(missing)
    if missing == "listwise":
        out = frame.dropna()
        if len(out) < 3:
            raise InputError(f"only {len(out)} complete rows remain after listwise deletion",
                             parameter="missing", value=missing)
        return out
    return frame


def cor_matrix(frame, missing: str = "listwise"):
    """Pearson correlation matrix (pairwise complete observations under ``pairwise``)."""
    return frame.corr().to_numpy() if missing == "pairwise" else np.corrcoef(
        frame.to_numpy(), rowvar=False)


def cov_matrix(frame, missing: str = "listwise"):
    """Sample covariance matrix (n - 1 divisor; pairwise complete under ``pairwise``)."""
    return frame.cov().to_numpy() if missing == "pairwise" else np.cov(frame.to_numpy(),
                                                                       rowvar=False)
