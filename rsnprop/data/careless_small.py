"""The row-wise careless indices of a small export (a power replication's few hundred rows),
computed with fewer numpy calls: the same values as :func:`.careless.row_wise_indices`.

Longstring, IRV, the pattern index and the smallest block IRV of a row depend on that row's
answers only; the careless screen takes them from here for a small block of rows
(:func:`row_wise_given`, handed to :func:`.careless._compute_indices` as its ``given``, as
the early indices of a large export are). Longstring is computed otherwise than there, on
the whole block at once: the longest run of equal neighbours from the positions where a run
starts (a running maximum), instead of a loop over the items with four numpy calls each
(integers: the same values; 207 -> 55 us at 269 rows x 38 items). IRV, the pattern index
and the block IRV are those of :mod:`.careless_invariance` themselves, called once (no row
halves). A pattern index with every lag's differences in one ``bincount`` was tried and
not kept: its counts (lags x rows x bins, ~850 kB) cost more to allocate than the 12 calls.

Examples
--------
>>> import numpy as np
>>> from rsnprop.data.careless_small import longstring_small
>>> longstring_small(np.array([[1.0, 1.0, 1.0, 2.0], [3.0, 4.0, 3.0, 4.0]])).tolist()
[3.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from .careless import row_wise_indices
from .careless_blocks import _ROW_BLOCK
from .careless_invariance import _block_irv, irv, pattern

__all__ = ["MAX_ROWS", "row_wise_given", "longstring_small"]

#: up to this many rows (one row block of every index) the row-wise indices are computed here
MAX_ROWS = _ROW_BLOCK


def row_wise_given(x, rules):
    """A callable returning ``{longstring, irv, pattern, irv_block}`` of the answers as given
    ``x`` (rows x Likert items, float64), computed now (before ``x`` is reverse keyed in
    place): the values :func:`.careless.row_wise_indices` gives. ``None`` above
    ``MAX_ROWS`` rows."""
    n, p = x.shape
    if n > MAX_ROWS:
        return None
    out = {"longstring": longstring_small(x), "irv": irv(x),
           "pattern": (pattern(x, max_lag=rules.pattern_max_lag)
                       if p > 1 else np.full(n, np.nan))}
    out["irv_block"] = _block_irv(None, _at_once, x, rules, n, p)
    return lambda: out


def _at_once(pool, fn, arr, *args, **kw):
    """The ``rows`` of :func:`.careless.row_wise_indices` without a pool: one call."""
    value = fn(arr, *args, **kw)
    return lambda: value


def longstring_small(x):
    """:func:`.careless_invariance.longstring` (without ``avg``) of a float64 block: each
    position's run length is its distance to the last position where the row's answer
    changed (or was missing, which breaks runs) plus one; the longest of them."""
    a = np.asarray(x, dtype="float64")
    n, p = a.shape
    if p == 0 or n == 0:
        return np.zeros(n)
    if p == 1:
        return np.ones(n)
    pos = np.arange(1, p)
    start = np.where(a[:, 1:] == a[:, :-1], 0, pos)     # False when either is NaN
    np.maximum.accumulate(start, axis=1, out=start)
    start -= pos
    # run at position j: j - start + 1; the longest is 1 - min(start - j)
    return (1 - start.min(axis=1)).astype("float64")


def reference(x, rules) -> dict:
    """:func:`.careless.row_wise_indices` of ``x``, evaluated (what the tests compare)."""
    return {k: get() for k, get in row_wise_indices(np.asarray(x, dtype="float64"),
                                                   rules).items()}
