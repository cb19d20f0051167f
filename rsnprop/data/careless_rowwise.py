"""The row-wise careless indices of a large export's row blocks, with few numpy calls: the
same values as :func:`.careless.row_wise_indices`.

The early thread of a large export (:mod:`.careless_early`) computes longstring, IRV, the
pattern index and the smallest block IRV of every row, 65,536 rows at a time, beside the
main thread's skip logic, duplicates and eligibility. The functions of
:mod:`.careless_invariance` walk each such block in 4,096-row pieces with a few numpy calls
per item (longstring: four per item and piece, about 2,400 calls per block); every call
takes the GIL back from a main thread that runs Python, so the thread waited more than it
worked (1.6 s of CPU in 2.7 s of wall at a million rows). Here each block is computed with
calls over the whole block:

* longstring from the block's "same as the previous answer" matrix, with one-byte run
  counters (whole numbers: the same values, 12 -> 1.5 ms per block);
* IRV and the block IRVs of whole-number answers (every finite answer an integer and every
  sum of squares below 2**53, as Likert codes are) from the sums of each block of items,
  added up for the whole row: exact integers in any order, so the same sums, then the
  same formula as :func:`.careless_invariance.irv`; other answers go to
  :func:`.careless.row_wise_indices` itself;
* the pattern index on the whole block (:func:`.careless_invariance._pattern_block`: its
  counts are integers, the same shares for any row split).

Examples
--------
>>> import numpy as np
>>> from rsnprop.data.rules import CarelessRules
>>> from rsnprop.data.careless import row_wise_indices
>>> x = np.asfortranarray([[1.0, 1, 1, 2, 3, 3, 4, 5, 5, 5, 5, 1],
...                        [3, 4, 3, 4, np.nan, 4, 3, 4, 3, 4, 3, 4]])
>>> fast, ref = row_wise_block(x, CarelessRules()), row_wise_indices(x, CarelessRules())
>>> all(np.array_equal(fast[k], ref[k](), equal_nan=True) for k in ref)
True
"""

from __future__ import annotations

import numpy as np

from .careless import row_wise_indices
from .careless_invariance import _pattern_block

__all__ = ["row_wise_block", "longstring_runs", "whole_number_sums"]


def row_wise_block(blk, rules) -> dict:
    """``{longstring, irv, pattern, irv_block}`` of the answers as given ``blk`` (rows x
    Likert items, float64, column-major preferred) under the careless rules ``rules``: the
    values of :func:`.careless.row_wise_indices` (evaluated), computed with few calls."""

    n, p = blk.shape
    sums = whole_number_sums(blk, _item_blocks(p, rules.irv_blocks)) if p else None
    if sums is None or p > 255:
        return {k: get() for k, get in row_wise_indices(blk, rules).items()}
    k, s1, s2 = sums
    out = {"longstring": longstring_runs(blk),
           "irv": _irv_of_sums(k.sum(0), s1.sum(0), s2.sum(0)),
           "pattern": (_pattern_block(blk, rules.pattern_max_lag, 6)
                       if p > 1 else np.full(n, np.nan))}
    out["irv_block"] = (_smallest_block_irv(k, s1, s2) if p >= 3 * rules.irv_blocks
                        else np.full(n, np.nan))
    return out


def _item_blocks(p, num_split):
    """The item ranges (slices) of the blocks of :func:`.careless_invariance.irv_split`
    (R's ``cut(seq_along(items), num_split)``: consecutive items); one block of every item
    when under 3 items per block."""
    if p < 3 * num_split:
        return [slice(0, p)]
    brk = np.linspace(1, p, num_split + 1)
    block = np.searchsorted(brk[1:-1], np.arange(1, p + 1), side="left")
    edges = np.searchsorted(block, np.arange(num_split + 1))     # block is non-decreasing
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def whole_number_sums(blk, groups):
    """Per group of columns (slices), each row's answer count, sum and sum of squares
    (arrays of shape ``(len(groups), rows)``), or None unless every finite answer is a whole
    number and ``max|x|**2 * p < 2**53`` (then every partial sum is an exact integer, in any
    order). Infinite answers give None. Computed ``_SUB`` rows at a time (in cache)."""

    n, p = blk.shape
    k = np.empty((len(groups), n), np.int64)
    s1, s2 = np.empty((len(groups), n)), np.empty((len(groups), n))
    zb, rb = np.empty((min(n, _SUB), p), order="F"), np.empty((min(n, _SUB), p), order="F")
    mb = np.empty((min(n, _SUB), p), bool, order="F")
    for start in range(0, n, _SUB):
        m = min(n - start, _SUB)
        z, r, miss = zb[:m], rb[:m], mb[:m]
        np.isnan(blk[start:start + m], out=miss)
        np.copyto(z, blk[start:start + m])
        np.copyto(z, 0.0, where=miss)
        big = max(z.max(initial=0.0), -z.min(initial=0.0))
        np.rint(z, out=r)
        if not (np.isfinite(big) and big * big * p < 2.0 ** 53 and np.array_equal(r, z)):
            return None
        np.logical_not(miss, out=miss)
        for i, g in enumerate(groups):
            k[i, start:start + m] = miss[:, g].sum(1)
            s1[i, start:start + m] = z[:, g].sum(1)
        np.multiply(z, z, out=z)
        for i, g in enumerate(groups):
            s2[i, start:start + m] = z[:, g].sum(1)
    return k, s1, s2


#: rows of the sums' pieces (a piece of 38 items: 2.4 MB, in cache)
_SUB = 1 << 13


def _irv_of_sums(k, s1, s2):
    """:func:`.careless_invariance.irv` from a row's answer count ``k`` (int64), sum ``s1``
    and sum of squares ``s2`` (the same operations on the same numbers)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / k
        ss = s2 - s1 * mean
    ss = np.where(ss < 0, 0.0, ss)
    return np.divide(ss, k - 1, out=np.full(len(k), np.nan), where=k > 1) ** 0.5


def _smallest_block_irv(k, s1, s2):
    """The smallest IRV of a row's item blocks with at least 3 answers (NaN: none), as
    :func:`.careless_invariance._block_irv` takes it from ``irv_split(min_answers=3)``."""
    sds = np.stack([_irv_of_sums(k[b], s1[b], s2[b]) for b in range(len(k))], axis=1)
    sds[(k < 3).T] = np.nan
    allnan = np.isnan(sds).all(1)
    out = np.nanmin(np.where(allnan[:, None], 0.0, sds), axis=1)
    out[allnan] = np.nan
    return out


def longstring_runs(blk):
    """:func:`.careless_invariance.longstring` (without ``avg``) of a block of at most 256
    items: per item, each row's count of equal neighbours in its current run, in one byte
    (NaN breaks runs: it equals nothing), and the longest plus one."""
    n, p = blk.shape
    if p == 0:
        return np.zeros(n)
    same = np.asfortranarray(blk[:, 1:] == blk[:, :-1]).T    # items x rows, contiguous
    run, best = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    for j in range(p - 1):
        np.add(run, 1, out=run)
        np.multiply(run, same[j], out=run)
        np.maximum(best, run, out=best)
    return best + 1.0
