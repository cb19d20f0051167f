"""Invariance indices of careless responding: the same answer again and again
(``longstring``), too little spread (``irv``, and per block of items ``irv_split``) and
answers following one mechanical rule (``pattern``: a repeated step between answers L apart).

Examples
--------
>>> import numpy as np
>>> from rsnprop.data.careless_invariance import longstring, irv
>>> x = np.array([[3.0, 3.0, 3.0, 3.0], [1.0, 2.0, 2.0, 5.0]])
>>> longstring(x).tolist(), np.round(irv(x), 3).tolist()      # careless::longstring, irv
([4.0, 2.0], [0.0, 1.732])
"""

from __future__ import annotations

import numpy as np

from .careless_blocks import _as2d, _blocks

__all__ = ["longstring", "irv", "irv_split", "pattern"]


def longstring(x, *, avg: bool = False):
    """Longest run of identical consecutive answers per respondent (``careless::longstring``).

    Missing answers break runs (as R's ``rle`` does: each NA is a run of length 1).

    Parameters
    ----------
    x : array-like, shape (n, p)
    avg : bool
        Also return the average run length (``avgstr`` in R).

    Examples
    --------
    >>> longstring([[1, 1, 1, 2], [3, 4, 3, 4]])
    array([3., 1.])
    """

    a = _as2d(x)
    n, p = a.shape
    longest = np.zeros(n)
    runs = np.zeros(n)
    if p == 0:
        return (longest, runs) if avg else longest
    for sl in _blocks(n):
        blk = a[sl]
        run = np.ones(blk.shape[0])
        best = np.ones(blk.shape[0])
        nruns = np.ones(blk.shape[0])
        for j in range(1, p):
            same = blk[:, j] == blk[:, j - 1]  # False when either is NaN
            run = np.where(same, run + 1, 1.0)
            np.maximum(best, run, out=best)
            nruns += ~same
        longest[sl] = best
        runs[sl] = p / nruns
    return (longest, runs) if avg else longest



def irv(x):
    """Intra-individual response variability: the SD of each row (``careless::irv``).

    Sample SD (n - 1 denominator) of the answered items; NaN with fewer than two answers.

    Examples
    --------
    >>> irv([[1, 2, 3], [4, 4, 4]]).tolist()
    [1.0, 0.0]
    """

    a = _as2d(x)
    out = np.full(a.shape[0], np.nan)
    for sl in _blocks(a.shape[0]):
        blk = np.ascontiguousarray(a[sl])   # C order: same sums as on a C array
        m = ~np.isnan(blk)
        k = m.sum(1)
        z = np.where(m, blk, 0.0)
        s1 = z.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / k
            # sum of squared deviations = sum z^2 - k mean^2 (exact enough for answer scales;
            # the R reference agrees to 1e-12)
            ss = np.einsum("ij,ij->i", z, z) - s1 * mean
        ss = np.where(ss < 0, 0.0, ss)
        out[sl] = np.divide(ss, k - 1, out=np.full(len(k), np.nan), where=k > 1) ** 0.5
    return out



def irv_split(x, num_split: int = 4, *, min_answers: int = 2):
    """IRV of each of ``num_split`` blocks of consecutive items (``careless::irv(x,
    split = TRUE, num.split = num_split)``, columns ``irv1...``; Dunn et al. 2018).

    Blocks as R's ``cut(seq_along(items), num_split)``: equal-width intervals of the item
    positions. A block with fewer than ``min_answers`` answers is NaN (R: ``sd`` of one value
    is NA). A block SD of 0 in an otherwise varied questionnaire is partial straight-lining
    (e.g. the last quarter answered with one value).

    Examples
    --------
    >>> irv_split([[1, 5, 2, 6, 4, 4, 4, 4]], 2).round(4).tolist()
    [[2.3805, 0.0]]
    """

    a = _as2d(x)
    n, p = a.shape
    brk = np.linspace(1, p, num_split + 1)
    block = np.searchsorted(brk[1:-1], np.arange(1, p + 1), side="left")  # right-closed bins
    out = np.full((n, num_split), np.nan)
    for b in range(num_split):
        cols = np.flatnonzero(block == b)
        if len(cols):
            sub = a[:, cols]
            v = irv(sub)
            v[(~np.isnan(sub)).sum(1) < max(2, min_answers)] = np.nan
            out[:, b] = v
    return out



def pattern(x, *, max_lag: int = 12, min_pairs: int = 6):
    """Pattern index: the largest share of answers that follow one rule "answer L items back
    plus d", over lags L = 1..``max_lag`` (higher = more careless).

    For each lag L, the differences ``x[j] - x[j - L]`` over pairs where both are answered are
    counted and the share of the most common difference is kept; the index is the maximum
    over the lags with at least ``min_pairs`` pairs (NaN when none). Straight-lining gives 1
    (d = 0 at lag 1), diagonal answers (1-2-3-...) close to 1 (d = 1 at lag 1), zigzags,
    sawtooths and repeated motifs close to 1 at their period; attentive answers to several
    constructs stay far below. Computed on the answers as given (what the respondent saw).
    Differences are rounded to integers (Likert codes). R twin: ``pattern_index`` in
    tests/reference/data_careless_new.R.

    Examples
    --------
    >>> pattern([[1, 2, 3, 4, 5, 6, 7, 1, 2, 3], [1, 7, 1, 7, 1, 7, 1, 7, 1, 7],
    ...          [4, 2, 6, 5, 1, 3, 7, 2, 5, 4]], max_lag=4).round(3).tolist()
    [0.889, 1.0, 0.5]
    """

    a = _as2d(x)
    out = np.full(a.shape[0], np.nan)
    for sl in _blocks(a.shape[0]):
        out[sl] = _pattern_block(a[sl], max_lag, min_pairs)
    return out



def _modal_counts(d, bad, span):
    """Per row, the count of the most common value of the integer array ``d`` (values in
    ``[-span, span]``) among the positions not ``bad``: one ``bincount`` over row-offset
    codes for small spans, a row-wise sort otherwise. ``d`` is overwritten."""

    nb, m = d.shape
    width = 2 * span + 2                               # one spare bin for the bad positions
    if width <= 256:
        d += span
        d[bad] = width - 1
        code = d.astype(np.intp)
        code += (np.arange(nb, dtype=np.intp) * width)[:, None]
        counts = np.bincount(code.ravel(), minlength=nb * width).reshape(nb, width)
        return counts[:, :-1].max(1)
    srt = np.sort(np.where(bad, np.inf, d.astype("float64")), axis=1)
    run = np.ones(nb)
    best = np.where(np.isfinite(srt[:, 0]), 1.0, 0.0)
    for j in range(1, m):
        same = (srt[:, j] == srt[:, j - 1]) & np.isfinite(srt[:, j])
        run = np.where(same, run + 1, 1.0)
        best = np.maximum(best, np.where(np.isfinite(srt[:, j]), run, 0.0))
    return best



def _pattern_block(blk, max_lag, min_pairs):
    nb, p = blk.shape
    r = np.rint(blk)
    miss = np.isnan(r)
    lo, hi = np.fmin.reduce(r, axis=None), np.fmax.reduce(r, axis=None)  # NaN: none answered
    lo, hi = (0.0, 0.0) if np.isnan(lo) else (lo, hi)
    span = int(hi - lo)
    if span <= _COUNTED_MAX_SPAN and nb >= _COUNTED_MIN_ROWS:
        return _pattern_counted(r, lo, miss, span, max_lag, min_pairs)
    if 5 * span + 3 <= 256:
        return _pattern_coded(r, lo, miss, span, max_lag, min_pairs)
    q = np.where(miss, 0.0, r)
    q = (q - lo).astype(np.int16 if span < 2 ** 14 else np.int64)
    best = np.full(nb, -1.0)
    for lag in range(1, min(max_lag, p - 1) + 1):
        bad = miss[:, lag:] | miss[:, :-lag]
        k = (p - lag) - bad.sum(1)
        if not (k >= min_pairs).any():
            continue
        top = _modal_counts(q[:, lag:] - q[:, :-lag], bad, span)
        share = np.where(k >= min_pairs, top / np.maximum(k, 1), -1.0)
        np.maximum(best, share, out=best)
    best[best < 0] = np.nan
    return best



_COUNTED_MAX_SPAN = 20   # answers' range of _pattern_counted (int8 codes, see there)
_COUNTED_MIN_ROWS = 1024  # fewer rows: its 2 (2 span + 1) calls per lag cost more than a bincount


def _pattern_counted(r, lo, miss, span, max_lag, min_pairs):
    """:func:`_pattern_block` for Likert-like spans (up to ``_COUNTED_MAX_SPAN``) on one-byte
    codes, item-major: per lag one subtraction, then per difference ``d`` one comparison and
    one sum over the items (contiguous rows of bytes, vectorised), instead of a ``bincount``
    over row-offset codes (a random write per answer pair). A missing answer is coded 60 as
    the later item and -40 as the earlier one, so a pair with a missing answer has a
    difference outside ``[-span, span]`` (both missing: 100) and is never counted. Counts
    are integers: the same shares exactly (2.3x less CPU than :func:`_pattern_coded`)."""

    nb, p = r.shape
    ans = np.where(miss, 0.0, r - lo).T.astype(np.int8)   # items x rows, 0..span
    later, earlier = ans, ans.copy()
    later[miss.T], earlier[miss.T] = 60, -40
    dtype = np.uint8 if p <= 255 else np.int64              # a count is at most p - 1
    diff, same = np.empty((p - 1, nb), np.int8), np.empty((p - 1, nb), bool)
    counts = np.empty((2 * span + 1, nb), dtype)
    best = np.full(nb, -1.0)
    for lag in range(1, min(max_lag, p - 1) + 1):
        m = p - lag
        np.subtract(later[lag:], earlier[:-lag], out=diff[:m])
        for i in range(2 * span + 1):
            np.equal(diff[:m], i - span, out=same[:m])
            np.add.reduce(same[:m].view(np.uint8), axis=0, out=counts[i], dtype=dtype)
        k = counts.sum(0, dtype=np.int64)
        share = np.where(k >= min_pairs, counts.max(0) / np.maximum(k, 1), -1.0)
        np.maximum(best, share, out=best)
    best[best < 0] = np.nan
    return best


def _pattern_coded(r, lo, miss, span, max_lag, min_pairs):
    """:func:`_pattern_block` for small spans with one subtraction and one ``bincount`` per
    lag (``r`` the rounded answers, NaN when missing, ``lo`` the smallest). A missing answer
    is coded ``span + 1 + span`` when it is the later item and minus that
    when it is the earlier one, so a pair with a missing answer lands past the ``2 span + 1``
    bins of the differences (both missing: past them too) and needs no mask; the pairs of a
    row are the sum of its difference bins. Counts are integers: the same shares exactly."""

    nb, p = r.shape
    big, width = 2 * span + 1, 5 * span + 3
    earlier = np.where(miss, -big, r - lo).astype(np.intp)
    earlier *= nb                                       # bin-major codes: bin * nb + row
    later = earlier + (span * nb + np.arange(nb, dtype=np.intp))[:, None]
    later[miss] = (big + span) * nb + np.nonzero(miss)[0]
    best = np.full(nb, -1.0)
    for lag in range(1, min(max_lag, p - 1) + 1):
        code = later[:, lag:] - earlier[:, :-lag]
        counts = np.bincount(code.ravel(), minlength=nb * width).reshape(width, nb)[:big]
        k = counts.sum(0)
        share = np.where(k >= min_pairs, counts.max(0) / np.maximum(k, 1), -1.0)
        np.maximum(best, share, out=best)
    best[best < 0] = np.nan
    return best



def _block_irv(pool, rows, x, rules, n, p):
    """Smallest block IRV of each row over blocks with at least 3 answers (NaN: none)."""

    k = rules.irv_blocks
    if p < 3 * k:
        return np.full(n, np.nan)
    sds = rows(pool, irv_split, x, k, min_answers=3)()
    allnan = np.isnan(sds).all(1)
    out = np.nanmin(np.where(allnan[:, None], 0.0, sds), axis=1)
    out[allnan] = np.nan
    return out
