"""The simulated export's frame, built from its blocks: :func:`export_frame`.

``pd.DataFrame({column: array})`` of a simulated export (83 columns at a few hundred rows)
sanitises every column on its own and then stacks the float columns into one block; with
pandas' block API (``pandas.api.internals.create_dataframe_from_blocks``, pandas >= 3) the
columns are stacked into the blocks the constructor makes - one per NumPy dtype, in the
columns' order, and one per extension array (the text columns, whose dtype a Series infers
as the constructor does) - without its work per column.  Elsewhere the constructor builds it.

>>> import numpy as np
>>> df = export_frame({"id": ["a", "b"], "x": np.array([1.0, np.nan]), "k": np.array([1, 2])})
>>> df.equals(pd.DataFrame({"id": ["a", "b"], "x": [1.0, np.nan], "k": [1, 2]}))
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

try:
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - pandas < 3: the constructor builds the frame
    create_dataframe_from_blocks = None

__all__ = ["export_frame"]

#: NumPy kinds the constructor stacks into one block per dtype (others: the constructor)
_STACKED = "fiubO"


def export_frame(columns: dict) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` (a dict of equally long 1-D arrays or lists; see the module
    docstring): the same columns, dtypes, values, index and blocks."""
    if create_dataframe_from_blocks is None or not columns:
        return pd.DataFrame(columns)
    n = len(next(iter(columns.values())))
    if n == 0:       # no rows: the constructor's own dtypes for empty columns
        return pd.DataFrame(columns)
    by_dtype: dict = {}
    blocks = []
    for j, v in enumerate(columns.values()):
        if not (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "fiub"):
            if not isinstance(v, (np.ndarray, list)) or len(v) != n:
                return pd.DataFrame(columns)
            s = pd.Series(v, copy=False)          # the dtype the constructor infers
            if not isinstance(s.dtype, np.dtype):  # an extension array: its own block
                blocks.append((s.array, np.array([j], dtype=np.intp)))
                continue
            v = s.to_numpy()
        if len(v) != n or v.ndim != 1 or v.dtype.kind not in _STACKED:
            return pd.DataFrame(columns)
        by_dtype.setdefault(v.dtype, []).append((j, v))
    for dtype, cols in by_dtype.items():
        stacked = np.empty((len(cols), n), dtype=dtype)
        for i, (_, v) in enumerate(cols):
            stacked[i] = v
        blocks.append((stacked, np.array([j for j, _ in cols], dtype=np.intp)))
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(n), columns=pd.Index(list(columns)))
