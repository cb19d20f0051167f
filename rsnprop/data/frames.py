"""The column labels of the frames a small clean builds, made once per list of names.

A pandas ``DataFrame`` built from an array with ``columns=[...]`` makes an ``Index`` of the
names each time; for text names that is a pyarrow string index (about 50 microseconds for 73
names, more than the frame's few hundred rows cost). :func:`column_index` keeps the index of
each list of text names and hands out a view of it: the same labels and dtype as
``pd.Index(names)``, so the frames are the same.

Examples
--------
>>> idx = column_index(["a", "b"])
>>> idx.equals(pd.Index(["a", "b"])) and idx.dtype == pd.Index(["a", "b"]).dtype
True
>>> column_index(["a", "b"]) is idx       # a view each time: a name set on one stays there
False
"""

from __future__ import annotations

import pandas as pd

__all__ = ["column_index", "kept_per_columns"]

#: tuple of text names -> their pandas index (at most 256 lists)
_INDEXES: dict = {}


def column_index(names) -> pd.Index:
    """``pd.Index(list(names))``, made once per list of text names (a view of the kept index
    each call); names that are not all ``str`` are made each time (``1`` and ``1.0`` are
    equal keys, not equal labels)."""
    names = list(names)
    if not all(type(c) is str for c in names):
        return pd.Index(names)
    key = tuple(names)
    hit = _INDEXES.get(key)
    if hit is None:
        if len(_INDEXES) >= 256:
            _INDEXES.clear()
        hit = _INDEXES[key] = pd.Index(names)
    return hit.view()


def kept_per_columns(cache: dict, columns, items, build):
    """``build(columns, their items)`` made once per list of ``columns`` and kept in ``cache``
    while the same item objects come (an instrument's items are frozen; at most 64 lists):
    what a small clean works out from the instrument alone, not from the answers."""
    key = tuple(columns)
    its = [items[c] for c in key]
    hit = cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], its)):
        return hit[1]
    out = build(key, its)
    if len(cache) >= 64:
        cache.clear()
    cache[key] = (its, out)
    return out
