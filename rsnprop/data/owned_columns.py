"""The export's float columns given back to the system as soon as they are validated: a
column-major float block that only the frame being cleaned holds (no other frame shares it,
no view of it is alive) need not stay resident once its columns are copied into the
validated block. At a million rows the export's float block is 0.6 GB; giving each column's
pages back right after its copy lets the validated block's first touch reuse those pages
(just freed, they cost the kernel little) instead of growing the process by 0.6 GB (on a VM
that returns free memory to its host, each new gigabyte cost 1.5-2 s of CPU in page faults).

Only :func:`.validate.validate_items` called by the cleaning recipe uses this (its frame is
the recipe's own copy of the export); the released columns then read as zeros, and nothing
reads them again.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame(np.ones((4, 2), order="F"), columns=["a", "b"], copy=False)
>>> sorted(owned_columns(df, ["a", "b"]))
['a', 'b']
>>> view = df["a"]                  # a Series that reads the block: nothing is owned
>>> owned_columns(df, ["a", "b"])
{}
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np

__all__ = ["owned_columns", "give_back", "give_back_bytes"]

#: the page size assumed for :func:`give_back` (a larger real page only releases less)
_PAGE = 4096


def owned_columns(df, names) -> dict:
    """``{name: the column's float64 array}`` for the ``names`` held in a float64 block of
    ``df`` that no other pandas object shares (copy-on-write references) and no array view
    outside the block refers to; ``{}`` when none is, when the names repeat, or when pandas'
    internals are not as expected (then nothing is released: the same results)."""
    try:
        mgr = df._mgr
        if not df.columns.is_unique:
            return {}
        owned = {i for i, blk in enumerate(mgr.blocks) if _sole_owner(blk)}
        out = {}
        for name in names:
            loc = df.columns.get_loc(name)
            i, j = int(mgr.blknos[loc]), int(mgr.blklocs[loc])
            if i in owned:
                col = mgr.blocks[i].values[j]
                if col.flags.c_contiguous:
                    out[name] = col
        return out
    except (AttributeError, KeyError, TypeError, IndexError):   # other pandas internals
        return {}


def _sole_owner(blk) -> bool:
    """The block is float64, 2-D, shares its values with no other block, and its array (or
    the array it views) is referred to by the block alone."""
    values = blk.values
    if not isinstance(values, np.ndarray) or values.dtype != np.float64 or values.ndim != 2:
        return False
    if blk.refs.has_reference():
        return False
    root = values.base if values.base is not None else values
    if not isinstance(root, np.ndarray) or root.base is not None:
        return False
    # references: the block's array (a view of root, or root itself), ``root`` here, the
    # argument of getrefcount, and ``values`` when it is root
    expected = 3 if values.base is not None else 4
    del values
    return sys.getrefcount(root) == expected


def give_back(col) -> None:
    """Give the whole pages inside the 1-D array ``col`` back to the system (Linux
    ``madvise(MADV_DONTNEED)``; nothing elsewhere): they read as zeros afterwards."""
    give_back_bytes(col.ctypes.data, col.ctypes.data + col.nbytes, 16)


def give_back_bytes(first: int, stop: int, min_pages: int) -> None:
    """Give the whole pages between the addresses ``first`` and ``stop`` back to the system
    (Linux ``madvise(MADV_DONTNEED)``; nothing elsewhere, nor for fewer than ``min_pages``
    pages): they read as zeros afterwards. Only for memory nobody reads there again."""
    start = -(-first // _PAGE) * _PAGE
    end = stop // _PAGE * _PAGE
    if end - start < min_pages * _PAGE or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise(ctypes.c_void_p(start), ctypes.c_size_t(end - start), 4)  # MADV_DONTNEED
    except (AttributeError, OSError):
        pass
