"""Frames of a small clean built from their blocks: the same frame (columns, dtypes, values,
index and block layout) as the pandas constructor the general path calls, without its
per-column inference and checks.

``pd.DataFrame({name: 1-D array, ...}, copy=False)`` of a few hundred rows spends most of its
time checking and sanitising each array and making a pyarrow ``str`` index of the names (the
flags table of a power replication: 29 columns, 580 microseconds). For 1-D NumPy arrays of
booleans or numbers that constructor keeps one block per column, a ``(1, n)`` view of the
array; :func:`frame_of_columns` hands those views to
``pandas.api.internals.create_dataframe_from_blocks`` directly (200 microseconds); any other
column goes through pandas' own inference (a ``Series`` of it). Without that pandas function
(pandas before 3.0), or for anything else than 1-D arrays of one length, it is the
constructor itself.

Examples
--------
>>> import numpy as np
>>> cols = {"row": np.arange(1, 4), "id": np.array(["a", None, "c"], dtype=object),
...         "kept": np.array([True, False, True])}
>>> frame_of_columns(cols, 3).equals(pd.DataFrame(cols, copy=False))
True
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
import pyarrow as pa

try:
    from pandas._config import using_string_dtype
except ImportError:     # pragma: no cover - another pandas: its own inference
    def using_string_dtype() -> bool:
        return False

from .frames import column_index

try:   # pandas >= 3.0
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:     # pragma: no cover - older pandas: the constructor itself
    _from_blocks = None

__all__ = ["frame_of_columns", "frame_of_dict", "concat_columns", "frame_in_order",
           "default_index", "column_names", "frame_dtypes", "block_frame"]

#: NumPy kinds a 1-D column keeps as its own block, as it is (bool, int, uint, float)
_AS_IS = frozenset("biuf")

#: the dtype pandas infers for text (``str``: pyarrow strings, NaN for missing), when its
#: arrays are pyarrow's (else None: :func:`inferred` asks pandas)
_STR = pd.StringDtype(na_value=np.nan)
_STR_ARRAY = _STR.construct_array_type()
if _STR.storage != "pyarrow":       # pragma: no cover - pandas' python strings
    _STR = None


def inferred(v):
    """``pd.Series(v, copy=False)._values`` (pandas' inference) of a 1-D object array: for
    ``str`` objects and None (at least one ``str``; pandas infers ``str`` whenever it infers
    text) the array pandas makes then (``ArrowStringArray._from_sequence(v, dtype=str)``:
    pyarrow's large strings of the objects, None as null) made at once (62 -> 20 us at 300
    rows); pandas itself for anything else (numbers, NaN, other missing values).

    >>> inferred(np.array(["a", None], dtype=object)).dtype, inferred(np.array([None, 1], dtype=object)).dtype
    (<StringDtype(na_value=nan)>, dtype('O'))
    """
    if _STR is not None and v.dtype == object and using_string_dtype():
        kinds = set(map(type, v.tolist()))
        if str in kinds and kinds <= _TEXT_KINDS:
            return _STR_ARRAY(pa.array(v, type=pa.large_string(), from_pandas=True), dtype=_STR)
    return pd.Series(v, copy=False)._values


_TEXT_KINDS = frozenset((str, type(None)))


def frame_of_columns(columns: dict, n: int) -> pd.DataFrame:
    """``pd.DataFrame(columns, copy=False)`` for ``columns`` (text name -> 1-D array of ``n``
    values), the same frame built from its blocks (module docstring)."""
    names = list(columns)
    if _from_blocks is None or not names or not all(
            type(c) is str and isinstance(v, np.ndarray) and v.shape == (n,)
            for c, v in columns.items()):
        return pd.DataFrame(columns, copy=False)
    blocks = []
    for i, v in enumerate(columns.values()):
        if v.dtype.kind not in _AS_IS:
            v = inferred(v)     # pandas' own inference (str, object...)
            if not isinstance(v, np.ndarray):
                blocks.append((v, np.array([i])))
                continue
            if v.dtype.kind not in _AS_IS and v.dtype != object:
                return pd.DataFrame(columns, copy=False)   # datetimes...: pandas' own blocks
        blocks.append((v.reshape(1, n), np.array([i])))
    return _from_blocks(blocks, pd.RangeIndex(n), column_index(names))


def frame_of_dict(columns: dict, n: int) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` (a copy, consolidated) for ``columns`` (text name -> 1-D
    NumPy array of ``n`` values) on the default index, the same frame built from its
    blocks: the columns of one NumPy dtype (after pandas' inference of the others: text
    becomes ``str``) stacked into one C-ordered block, the blocks in the order of their
    dtype's first column, each extension array a block of its own (as pandas'
    ``_form_blocks`` makes them); the constructor itself for anything else."""
    names = list(columns)
    if _from_blocks is None or not names or not all(
            type(c) is str and isinstance(v, np.ndarray) and v.shape == (n,)
            for c, v in columns.items()):
        return pd.DataFrame(columns)
    groups: dict = {}
    for i, v in enumerate(columns.values()):
        if v.dtype.kind not in _AS_IS:
            v = inferred(v)     # pandas' own inference (str, object...)
            if not isinstance(v, np.ndarray):
                groups[("ea", i)] = [(i, v)]
                continue
            if v.dtype.kind not in _AS_IS and v.dtype != object:
                return pd.DataFrame(columns)      # datetimes...: pandas' own blocks
        groups.setdefault(v.dtype, []).append((i, v))
    blocks = []
    for key, cols in groups.items():
        if type(key) is tuple:
            blocks.append((cols[0][1], np.array([cols[0][0]])))
            continue
        stacked = np.empty((len(cols), n), dtype=key)
        for k, (_, v) in enumerate(cols):
            stacked[k] = v
        blocks.append((stacked, np.array([i for i, _ in cols])))
    return _from_blocks(blocks, pd.RangeIndex(n), column_index(names))


def default_index(index, n) -> bool:
    """``index`` is ``RangeIndex(n)``."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 \
        and len(index) == n


def concat_columns(frames, n: int) -> pd.DataFrame:
    """``pd.concat(frames, axis=1).reset_index(drop=True)`` of frames of ``n`` rows on the
    default index: the same frame, each frame's blocks in order (their columns shifted), as
    that concatenation leaves them; the concatenation itself for anything else (another
    index, names that are not text, blocks that are neither NumPy arrays nor 1-D pandas
    arrays)."""
    blocks, names = [], []
    for f in frames:
        cols = column_names(f)
        parts = _blocks_of(f) if _from_blocks is not None and default_index(f.index, n) else None
        if parts is None or not all(type(c) is str for c in cols):
            return pd.concat(frames, axis=1).reset_index(drop=True)
        blocks += [(v, loc + len(names)) for v, loc in parts]
        names += cols
    return _named(_from_blocks(blocks, pd.RangeIndex(n), column_index(names)), names)


def _blocks_of(frame):
    """``[(values, column positions)]`` of the blocks of ``frame`` (None when pandas' block
    manager is not as expected)."""
    try:
        out = []
        for b in frame._mgr.blocks:
            v = b.values
            if not (isinstance(v, np.ndarray) and v.ndim == 2 or
                    isinstance(v, pd.api.extensions.ExtensionArray) and v.ndim == 1):
                return None
            out.append((v, np.asarray(b.mgr_locs.as_array, dtype=np.intp)))
        return out
    except AttributeError:
        return None


def frame_in_order(parts, columns, n: int):
    """The frame of ``columns`` (text names, each in one part) made of ``parts``, ``[(2-D
    array (n x k), its k names in the order of columns)]``: each array one block (its transpose, a view), as
    ``pd.concat([pd.DataFrame(a, columns=names), ...], axis=1)`` taken in the order of
    ``columns`` leaves them when each array is column-major (the take copies each block as
    a C-ordered ``(k, n)`` array, the blocks in the order of their first column). None
    without pandas' ``create_dataframe_from_blocks``."""
    if _from_blocks is None:
        return None
    at = {c: i for i, c in enumerate(columns)}
    blocks = [(np.asfortranarray(a).T, np.array([at[c] for c in names], dtype=np.intp))
              for a, names in parts if len(names)]
    blocks.sort(key=lambda b: int(b[1].min()))
    return _named(_from_blocks(blocks, pd.RangeIndex(n), column_index(columns)), list(columns))


def block_frame(arr, names, n: int) -> pd.DataFrame:
    """``pd.DataFrame(arr, columns=names, copy=False)`` (``dtype=object`` for an object
    array: no inference) of a 2-D NumPy array (``n`` rows) on the default index: its one
    block, the transpose of ``arr`` (a view), as that constructor makes it."""
    names = list(names)
    if _from_blocks is None:
        return pd.DataFrame(arr, columns=column_index(names), copy=False,
                            dtype=object if arr.dtype == object else None)
    return _named(_from_blocks([(arr.T, np.arange(len(names), dtype=np.intp))],
                               pd.RangeIndex(n), column_index(names)), names)


#: id(column index) -> (weak reference to it, its names): :func:`column_names`
_NAMES: dict = {}


def _named(frame, names):
    """``frame``, its column names ``names`` (a list, as ``frame.columns.tolist()`` gives
    them) kept for :func:`column_names`."""
    idx = frame.columns
    key = id(idx)
    try:
        ref = weakref.ref(idx, lambda _r, key=key: _NAMES.pop(key, None))
    except TypeError:     # pragma: no cover - an index without weak references
        return frame
    if len(_NAMES) >= 256:
        _NAMES.clear()
    _NAMES[key] = (ref, names)
    return frame


def column_names(frame) -> list:
    """``frame.columns.tolist()`` (a new list), read once per column index (an index is
    immutable: a frame that gains a column has a new one) while the index lives: the names
    of a text index are made from its pyarrow strings each time (10 us at 80 columns, and
    the steps of a small clean ask the same frames several times).

    >>> f = pd.DataFrame({"a": [1], "b": [2]})
    >>> column_names(f), column_names(f) is column_names(f)
    (['a', 'b'], False)
    """
    idx = frame.columns
    key = id(idx)
    hit = _NAMES.get(key)
    if hit is not None and hit[0]() is idx:
        return list(hit[1])
    names = idx.tolist()
    _named(frame, names)
    return list(names)


def frame_dtypes(frame) -> list:
    """``list(frame.dtypes)`` from the block manager (the dtypes ``dtypes`` puts in a
    Series: 20 -> 1 us), through pandas when its internals are not as expected.

    >>> frame_dtypes(pd.DataFrame({"a": [1.0], "b": ["x"]})) == list(pd.DataFrame({"a": [1.0], "b": ["x"]}).dtypes)
    True
    """
    try:
        return frame._mgr.get_dtypes().tolist()
    except AttributeError:     # pragma: no cover - other pandas internals
        return list(frame.dtypes)
