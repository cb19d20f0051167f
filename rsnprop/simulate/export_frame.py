"""The simulated export's frame, built from its blocks: :func:`export_frame`.

``pd.DataFrame({column: array})`` of a simulated export (83 columns at a few hundred rows)
sanitises every column on its own and then stacks the float columns into one block; with
pandas' block API (``pandas.api.internals.create_dataframe_from_blocks``, pandas >= 3) the
columns are stacked into the blocks the constructor makes - one per NumPy dtype, in the
columns' order, and one per extension array (the text columns, whose dtype a Series infers
as the constructor does) - without its work per column.  Elsewhere the constructor builds it.
A text column of ``str`` and missing values (``None``, float NaN) is built by pyarrow directly
when a Series of text infers pandas' pyarrow ``str`` dtype (pandas >= 3): the array the
inference makes (one ``large_string`` chunk, missing values as nulls) without its checks, which
cost some 0.1 ms per column (:func:`_text_array`).  A column given as a pyarrow
``large_string`` array (:mod:`rsnprop.simulate.export_text`) is that text column as it is
(the values of a list of the same ``str``), or that list where pandas would infer another dtype.

>>> import numpy as np
>>> df = export_frame({"id": ["a", "b"], "x": np.array([1.0, np.nan]), "k": np.array([1, 2])})
>>> df.equals(pd.DataFrame({"id": ["a", "b"], "x": [1.0, np.nan], "k": [1, 2]}))
True
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

try:
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - pandas < 3: the constructor builds the frame
    create_dataframe_from_blocks = None

__all__ = ["export_frame"]

#: the types of the values of a text column built by pyarrow (:func:`_text_array`)
_TEXT_KINDS = frozenset((str, type(None), float))

#: NumPy kinds the constructor stacks into one block per dtype (others: the constructor)
_STACKED = "fiubO"


def export_frame(columns: dict) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` (a dict of equally long 1-D arrays, lists or pyarrow
    ``large_string`` arrays, the latter as lists; see the module docstring): the same columns, dtypes, values, index and blocks."""
    if create_dataframe_from_blocks is None or not columns:
        return pd.DataFrame(_plain(columns))
    n = len(next(iter(columns.values())))
    if n == 0:       # no rows: the constructor's own dtypes for empty columns
        return pd.DataFrame(_plain(columns))
    by_dtype: dict = {}
    blocks = []
    text_dtype = _text_dtype()
    for j, v in enumerate(columns.values()):
        if isinstance(v, pa.Array):
            if text_dtype is not None and v.type == pa.large_string() and len(v) == n:
                blocks.append((pd.arrays.ArrowStringArray(pa.chunked_array([v]), dtype=text_dtype),
                               np.array([j], dtype=np.intp)))
                continue
            v = v.to_pylist()
        if not (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "fiub"):
            if not isinstance(v, (np.ndarray, list)) or len(v) != n:
                return pd.DataFrame(_plain(columns))
            text = _text_array(v, text_dtype)
            if text is not None:
                blocks.append((text, np.array([j], dtype=np.intp)))
                continue
            if _all_none(v):     # what the Series infers (object, None kept), without its 0.1 ms
                by_dtype.setdefault(v.dtype, []).append((j, v))
                continue
            s = pd.Series(v, copy=False)          # the dtype the constructor infers
            if not isinstance(s.dtype, np.dtype):  # an extension array: its own block
                blocks.append((s.array, np.array([j], dtype=np.intp)))
                continue
            v = s.to_numpy()
        if len(v) != n or v.ndim != 1 or v.dtype.kind not in _STACKED:
            return pd.DataFrame(_plain(columns))
        by_dtype.setdefault(v.dtype, []).append((j, v))
    for dtype, cols in by_dtype.items():
        stacked = np.empty((len(cols), n), dtype=dtype)
        for i, (_, v) in enumerate(cols):
            stacked[i] = v
        blocks.append((stacked, np.array([j for j, _ in cols], dtype=np.intp)))
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(n), columns=pd.Index(list(columns)))


def _plain(columns: dict) -> dict:
    """``columns`` with its pyarrow arrays as lists of their values (what the constructor
    is given when it builds the frame)."""
    return {k: v.to_pylist() if isinstance(v, pa.Array) else v for k, v in columns.items()}


#: (pandas' two options that decide it) -> :func:`_text_dtype`'s answer, probed once each
_TEXT_DTYPES: dict = {}


def _text_dtype():
    """The dtype a Series of ``str`` infers when it is pandas' pyarrow ``str`` (an
    ``ArrowStringArray``; the default of pandas 3), else None (the options say otherwise):
    probed with a Series once per value of the two options that decide it
    (``future.infer_string``, deprecated in pandas 3 but still read, and
    ``mode.string_storage``), not once per frame (0.1 ms)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        key = (pd.get_option("future.infer_string"), pd.get_option("mode.string_storage"))
    if key not in _TEXT_DTYPES:
        probe = pd.Series(["a"])
        _TEXT_DTYPES[key] = (probe.dtype if type(probe.array) is pd.arrays.ArrowStringArray
                             else None)
    return _TEXT_DTYPES[key]


# probed once at import, for the options then in force: the probe Series is the first text
# pyarrow converts from pandas in a process, and imports and sets up pyarrow's pandas layer
# (pyarrow.pandas_compat): a process that forks workers (rsnprop power) hands both to them
# with its imports, instead of each worker's first replication doing it
_text_dtype()


def _all_none(values) -> bool:
    """Whether ``values`` is an object array of ``None`` only (a text item nobody answered):
    a Series of it is an object column of those ``None`` (pandas infers no other dtype)."""
    return (isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1
            and all(x is None for x in values))


def _text_array(values, dtype):
    """``pd.Series(values).array`` for ``values`` of ``str`` and missing values (``None`` or a
    float NaN) with at least one ``str``, given :func:`_text_dtype`: pyarrow's ``large_string``
    array of them in one chunk; None for any other column (the Series decides)."""
    if dtype is None:
        return None
    kinds = set(map(type, values))      # str, None and float NaN only, at least one str
    if str not in kinds or not kinds <= _TEXT_KINDS:
        return None
    if float in kinds and not all(math.isnan(x) for x in values if type(x) is float):
        return None
    try:
        chunk = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, ValueError, TypeError):   # e.g. a lone surrogate: the Series decides
        return None
    return pd.arrays.ArrowStringArray(pa.chunked_array([chunk]), dtype=dtype)
