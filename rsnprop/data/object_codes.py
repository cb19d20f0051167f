"""A big object column factorised by object identity first: the text columns of a large
export hold few distinct Python objects (the read makes each distinct answer once and
repeats it), so the rows are grouped by their objects' addresses (a 64-bit hash table, no
string hashing or comparison) and only the distinct objects are factorised or tested for
missingness by pandas. The results are those of ``pd.factorize`` and ``pd.isna`` on the
whole column: equal values get one code whichever objects hold them, in order of first
appearance, and each object gets what pandas gives it.

A million rows: 21-33 ms for ``pd.factorize`` of such a column, 7-8 ms here; ``pd.isna``
20 ms, 5 ms here. Up to :data:`MIN_ROWS` values (a power replication's export) pandas is
called as before.

Examples
--------
>>> import numpy as np
>>> a = np.array(["b", None, "a", "b", float("nan")] * 20_000, dtype=object)
>>> codes, uniques = factorize_objects(a)
>>> codes[:5].tolist(), uniques.tolist()
([0, -1, 1, 0, -1], ['b', 'a'])
>>> isna_objects(a)[:5].tolist()
[False, True, False, False, True]
"""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd

__all__ = ["MIN_ROWS", "factorize_objects", "isna_objects", "distinct_objects"]

#: from this many values on, an object array is grouped by its objects first
MIN_ROWS = 1 << 16


def factorize_objects(a):
    """``pd.factorize(a, use_na_sentinel=True)`` of a 1-D object array ``a``: ``(codes,
    uniques)``, the same codes (intp, -1 missing) and the same unique objects (an object
    array), made from ``a``'s distinct objects when ``a`` is large."""
    a = np.asarray(a)
    if a.dtype != object or a.ndim != 1 or len(a) < MIN_ROWS:
        return pd.factorize(a, use_na_sentinel=True)
    ptr_codes, objects = _by_identity(a)
    codes, uniques = pd.factorize(objects, use_na_sentinel=True)
    return codes[ptr_codes], uniques


def isna_objects(a):
    """``pd.isna(a)`` of a 1-D object array ``a`` (a boolean array), each distinct object of a
    large ``a`` tested once."""
    a = np.asarray(a)
    if a.dtype != object or a.ndim != 1 or len(a) < MIN_ROWS:
        return pd.isna(a)
    ptr_codes, objects = _by_identity(a)
    return pd.isna(objects)[ptr_codes]


def distinct_objects(a):
    """``(codes, objects)`` of a 1-D object array ``a``: each value's code among ``a``'s
    distinct objects (by identity, not equality: numbered in order of first appearance) and
    those objects (``objects[codes]`` holds ``a``'s objects)."""
    return _by_identity(np.asarray(a, dtype=object))


def _by_identity(a):
    """:func:`distinct_objects` of an object array."""
    a = np.ascontiguousarray(a)
    # the objects' addresses, read through a view of the array's pointers (``a`` holds the
    # objects, so no address is reused while it lives)
    buf = (ctypes.c_char * (a.size * a.itemsize)).from_address(a.ctypes.data)
    addresses = np.frombuffer(buf, dtype=np.uintp)
    codes, distinct = pd.factorize(addresses)
    codes = np.asarray(codes, dtype=np.intp)
    del addresses, buf
    # a row of each code (whichever: the rows of one code hold the same object)
    row = np.empty(len(distinct), dtype=np.intp)
    row[codes] = np.arange(len(codes))
    return codes, a[row]

