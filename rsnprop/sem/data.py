"""Turn a DataFrame into per-group numeric arrays (checks name the offending column/value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["prepare_data"]


def prepare_data(data, variables, group=None, missing="listwise", ordered=()):
    """Return ``(arrays, labels, n_dropped)``: one float array (rows x variables) per group.

    Rows with a missing group are dropped; with ``missing='listwise'`` rows with any missing
    model variable are dropped as well (with ``'fiml'`` they are kept).
    """

    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame", parameter="data", value=type(data).__name__)
    if missing not in ("listwise", "fiml", "ml"):
        raise InputError("missing must be 'listwise' or 'fiml'", parameter="missing", value=missing)
    cols = list(variables)
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise InputError("model variable is not a column of the data", column=absent[0], parameter="model")
    if group is not None and group not in data.columns:
        raise InputError("group column not found in the data", column=group, parameter="group")
    dtypes = data.dtypes
    if all(isinstance(dtypes[c], np.dtype) and dtypes[c].kind in "fiu" for c in cols):
        values = np.column_stack([data[c].to_numpy(dtype=float) for c in cols])  # fast path
        nrows = values.shape[0]
    else:
        frame = data[cols]
        values = _convert(frame, cols, ordered)
        nrows = len(frame)
    if group is not None:
        gcol = data[group]
        # group order: first appearance in the data, as lavaan (also for categorical columns)
        codes, uniques = pd.factorize(gcol, use_na_sentinel=True)
        uniques = list(uniques)
        keep = np.asarray(codes) >= 0
        labels = [u.item() if hasattr(u, "item") else u for u in uniques]
        gvals = np.asarray(codes)
        if len(labels) < 2:
            raise InputError("the group column needs at least two groups", column=group, parameter="group",
                             value=labels[0] if labels else None)
    else:
        keep = np.ones(nrows, dtype=bool)
        labels = [None]
        gvals = None
    if missing == "listwise":
        keep &= ~np.isnan(values).any(axis=1)
    else:
        keep &= ~np.isnan(values).all(axis=1)
    arrays = []
    for k, lab in enumerate(labels):
        sel = keep if gvals is None else keep & (gvals == k)
        arrays.append(values[sel])
    for lab, arr in zip(labels, arrays):
        if arr.shape[0] < 2:
            raise InputError("too few complete observations" + ("" if lab is None else f" in group {lab!r}"),
                             parameter="data", value=arr.shape[0])
    n_dropped = int(nrows - sum(a.shape[0] for a in arrays))
    return arrays, labels, n_dropped


def _convert(frame, cols, ordered):
    values = np.empty((len(frame), len(cols)))
    for k, c in enumerate(cols):
        s = frame[c]
        if s.dtype == bool:
            s = s.astype(float)
        if c in ordered and not pd.api.types.is_numeric_dtype(s):
            if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
                codes = s.cat.codes.astype(float)
                codes[codes < 0] = np.nan
                values[:, k] = codes
                continue
        if not pd.api.types.is_numeric_dtype(s):
            conv = pd.to_numeric(s, errors="coerce")
            bad = np.flatnonzero((conv.isna() & s.notna()).to_numpy())
            if len(bad):  # rows are 1-based data rows, as everywhere in rsnprop
                raise InputError("column is not numeric", column=c, row=int(bad[0]) + 1,
                                 value=s.iloc[bad[0]])
            s = conv
        values[:, k] = s.to_numpy(dtype=float, na_value=np.nan)
    return values
