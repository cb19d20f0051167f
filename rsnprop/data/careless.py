"""Careless-responding indices, vectorised (no Python loop over respondents).

Each function mirrors the R package ``careless`` (Yentes & Wilhelm, version 1.2.x) and gives
the same numbers (tests/reference/data_careless.R runs the package's own R code):

=====================  ===========================================  ==========================
function               meaning (higher = more careless unless said)  R
=====================  ===========================================  ==========================
:func:`longstring`     longest run of identical consecutive answers  ``careless::longstring``
:func:`irv`            intra-individual SD (low = straight-lining)   ``careless::irv``
:func:`irv_split`      IRV of each block of consecutive items        ``careless::irv(split=)``
:func:`mahad`          Mahalanobis D2 (psych::outlier, pairwise)     ``careless::mahad``
:func:`evenodd`        minus Spearman-Brown even-odd correlation     ``careless::evenodd``
:func:`psychsyn`       within-person synonym correlation (low = bad) ``careless::psychsyn``
:func:`person_total`   correlation with the item means (low = bad)   R script (Curran 2016)
:func:`pattern`        share of answers following one lag-L rule     R script (this package)
=====================  ===========================================  ==========================

``person_total`` and ``pattern`` are not in ``careless`` 1.2.2; their R twins are plain R
functions in tests/reference/data_careless_new.R.

All take a 2-D float array (rows = respondents, columns = items in questionnaire order, NaN =
missing) and process rows in blocks so that memory stays bounded for a million rows.

References
----------
Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey data.
Journal of Experimental Social Psychology, 66, 4-19.
Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
Psychological Methods, 17(3), 437-455.
Goldammer, P., Annen, H., Stöckli, P. L., & Jonas, K. (2020). Careless responding in
questionnaire measures: Detection, impact, and remedies. The Leadership Quarterly, 31(4), 101384.
"""

from __future__ import annotations

__all__ = ["longstring", "irv", "irv_split", "mahad", "evenodd", "psychsyn", "person_total", "pattern",
           "pairwise_cov", "careless_indices", "index_rule", "INDEX_OF_FLAG"]

_BLOCK = 1 << 17        # row block of the floating-point covariance sums (fixes their rounding)
_ROW_BLOCK = 1 << 12    # row block of the row-wise indices (no effect on their values)
_EXACT_BLOCK = 1 << 14  # row block of the exact small-integer covariance sums
_EXACT_MAX = 31         # |answer| bound of that path: block * 31**2 < 2**24 (exact in float32)
_THREAD_MIN_ROWS = 1 << 13  # fewer rows: the two halves run one after the other (no threads)


def _blocks(n: int, size: int = _ROW_BLOCK):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _as2d(x):
    import numpy as np

    a = np.asarray(x, dtype="float64")
    if a.ndim != 2:
        raise ValueError("expected a 2-D array (respondents x items)")
    return a


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
    import numpy as np

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
    import numpy as np

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
    import numpy as np

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


def pairwise_cov(x):
    """Pairwise-complete covariance matrix, means and counts (R ``cov(x, use="pairwise")``).

    For each pair of columns, the covariance over the rows where both are observed, with that
    subset's own means and an n - 1 denominator. Computed with matrix products (fast for a
    million rows). Returns ``(cov, sd_pair_i, sd_pair_j, counts)`` where the ``sd_pair``
    matrices hold each column's SD over the pair's complete rows (for pairwise correlations).
    """
    return _pairwise_cov(_as2d(x))[0]


class _Done:
    """A finished future (the result of a call made at once)."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class _SerialPool:
    """``ThreadPoolExecutor`` stand-in that runs each call at once in this thread: the same
    calls on the same halves (hence the same numbers), without starting threads, which cost
    more than the work below a few thousand rows (and a Monte Carlo worker has no idle core)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args, **kw):
        return _Done(fn(*args, **kw))


def _halves(n: int, k: int = 2):
    step = -(-n // k) if n else 0
    return [slice(i, min(n, i + step)) for i in range(0, n, step)] if n else [slice(0, 0)]


def _exact_sums(a):
    """Pairwise sums of a block of small integers (|x| <= 31, NaN missing), exactly.

    In float32 matrix products every product and partial sum is an integer below 2**24, so the
    sums are exact and equal to the float64 sums of the general path (which are exact too for
    such data). Returns None when a value is not such an integer.
    """
    import numpy as np

    p = a.shape[1]
    sxy = np.zeros((p, p))
    sx = np.zeros((p, p))
    sxx = np.zeros((p, p))
    cnt = np.zeros((p, p))
    for sl in _blocks(a.shape[0], _EXACT_BLOCK):
        blk = a[sl]
        m = ~np.isnan(blk)
        z = np.where(m, blk, 0.0)
        if not (np.abs(z).max(initial=0.0) <= _EXACT_MAX and (z == np.rint(z)).all()):
            return None
        z = z.astype(np.float32)
        m = m.astype(np.float32)
        sxy += z.T @ z
        sx += z.T @ m
        sxx += (z * z).T @ m
        cnt += m.T @ m
    return sxy, sx, sxx, cnt


def _pairwise_cov(a, pool=None):
    """:func:`pairwise_cov` and the column means over observed values (``np.nanmean``) or
    None when not computed. With small-integer data the sums are exact (computed on both
    halves of the rows at once when a thread ``pool`` is given); otherwise in float64."""
    import numpy as np

    p = a.shape[1]
    if not np.isnan(a).any():
        n = a.shape[0]
        mean = a.mean(0)
        cov = np.zeros((p, p))
        for sl in _blocks(n, _BLOCK):
            d = a[sl] - mean
            cov += d.T @ d
        cov /= (n - 1)
        sd = np.sqrt(np.diag(cov))
        return (cov, np.repeat(sd[:, None], p, 1), np.repeat(sd[None, :], p, 0),
                np.full((p, p), float(n))), None
    parts = ([f.result() for f in [pool.submit(_exact_sums, a[h]) for h in _halves(len(a))]]
             if pool is not None else [_exact_sums(a)])
    means = None
    if all(q is not None for q in parts):
        sxy, sx, sxx, cnt = (sum(q[k] for q in parts) for k in range(4))  # exact integers
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.diag(sx) / np.diag(cnt)    # = np.nanmean(a, axis=0): exact sums
    else:
        sxy = np.zeros((p, p))
        sx = np.zeros((p, p))
        sxx = np.zeros((p, p))
        cnt = np.zeros((p, p))
        for sl in _blocks(a.shape[0], _BLOCK):
            blk = np.ascontiguousarray(a[sl])   # C order: same sums as on a C array
            m = (~np.isnan(blk)).astype("float64")
            z = np.where(m > 0, blk, 0.0)
            sxy += z.T @ z
            sx += z.T @ m          # sum of x_i over rows where i and j are observed
            sxx += (z * z).T @ m
            cnt += m.T @ m
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_i = sx / cnt
        mean_j = sx.T / cnt
        cov = (sxy - cnt * mean_i * mean_j) / (cnt - 1)
        var_i = (sxx - cnt * mean_i ** 2) / (cnt - 1)
        var_j = var_i.T
    return (cov, np.sqrt(np.clip(var_i, 0, None)), np.sqrt(np.clip(var_j, 0, None)), cnt), means


def mahad(x, *, cov=None, mean=None, inv=None):
    """Mahalanobis D2 of each row from the centroid (``careless::mahad`` / ``psych::outlier``).

    Centres each column at its mean over observed values, inverts the pairwise-complete
    covariance matrix and computes ``d' S^-1 d`` with missing deviations set to 0 (psych's
    ``na.rm = TRUE`` rule). Rows with no answer get NaN. Compare with the chi-square
    distribution with p degrees of freedom.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 3))
    >>> d2 = mahad(x)
    >>> bool(abs(d2.mean() - 3 * 199 / 200) < 1e-9)   # mean D2 = p (n-1)/n
    True
    """
    import numpy as np

    a = _as2d(x)
    n, p = a.shape
    out = np.full(n, np.nan)
    if n < 2 or p == 0:
        return out
    if inv is None:
        cov = pairwise_cov(a)[0] if cov is None else cov
        if not np.isfinite(cov).all():
            return out
        inv = _inverse(cov)
    mean = np.nanmean(a, axis=0) if mean is None else mean
    buf = np.empty((min(n, _ROW_BLOCK), p))    # C order: the same sums as on a C array
    for sl in _blocks(n):
        d = buf[:sl.stop - sl.start]
        np.subtract(a[sl], mean, out=d)
        miss = np.isnan(d)
        allnan = miss.all(1)
        d[miss] = 0.0
        v = np.einsum("ij,ij->i", d @ inv, d)
        v[allnan] = np.nan
        out[sl] = v
    return out


def _inverse(cov):
    import numpy as np

    try:
        return np.linalg.inv(cov)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(cov)


def _rowcorr(a, b, min_pairs: int = 2):
    """Row-wise Pearson correlation of a and b over pairwise-complete positions."""
    import numpy as np

    m = ~(np.isnan(a) | np.isnan(b))
    k = m.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.where(m, a, 0.0).sum(1) / k
        mb = np.where(m, b, 0.0).sum(1) / k
        da = np.where(m, a - ma[:, None], 0.0)
        db = np.where(m, b - mb[:, None], 0.0)
        saa = (da * da).sum(1)
        sbb = (db * db).sum(1)
        r = (da * db).sum(1) / np.sqrt(saa * sbb)
    bad = (k < min_pairs) | (saa <= 1e-12 * np.maximum(1, k)) | (sbb <= 1e-12 * np.maximum(1, k))
    r[bad] = np.nan
    return np.clip(r, -1.0, 1.0), k


def evenodd(x, factors, *, columns=None):
    """Even-odd consistency (``careless::evenodd``, version >= 1.2: higher = more careless).

    For each factor (consecutive blocks of ``factors[j]`` columns) the means of its even- and
    odd-numbered items are computed; the correlation of the two half-scores across factors is
    corrected with Spearman-Brown (``2r / (1 + r)``, floored at -1) and negated. NaN when the
    correlation is undefined (fewer than two factors with both halves, or zero variance).

    Parameters
    ----------
    x : array-like, shape (n, sum(factors))
    factors : sequence of int
        Number of items of each factor, in column order (at least two factors).
    columns : sequence of int, optional
        Use ``x[:, columns]`` as the items (same result, without copying the whole matrix).

    Examples
    --------
    >>> r = evenodd([[1, 1, 4, 4, 7, 7], [1, 7, 7, 1, 4, 4]], [2, 2, 2])
    >>> float(r[0]), bool(r[1] > -1)
    (-1.0, True)
    """
    import numpy as np

    a = _as2d(x)
    factors = [int(f) for f in factors]
    if len(factors) < 2:
        raise ValueError("even-odd needs at least two factors")
    cols = None if columns is None else np.asarray(columns, dtype=np.intp)
    if sum(factors) > (a.shape[1] if cols is None else len(cols)):
        raise ValueError("the factors hold more items than x has columns")
    n, p = a.shape[0], (a.shape[1] if cols is None else len(cols))
    out = np.full(n, np.nan)
    k = len(factors)
    # half-score means by matrix products: w_even[:, j] / w_odd[:, j] pick factor j's even- /
    # odd-numbered items (1-based, as careless), so sums and counts are two products each
    w_even = np.zeros((p, k))
    w_odd = np.zeros((p, k))
    start = 0
    for j, f in enumerate(factors):
        pos = np.arange(f)
        w_even[start + pos[1::2], j] = 1.0
        w_odd[start + pos[0::2], j] = 1.0
        start += f
    w = np.hstack([w_even, w_odd])
    for sl in _blocks(n):
        blk = np.ascontiguousarray(a[sl] if cols is None else a[sl][:, cols])  # C order
        m = ~np.isnan(blk)
        z = np.where(m, blk, 0.0)
        sums = z @ w
        cnt = m.astype("float64") @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(cnt > 0, sums / cnt, np.nan)
        ev, od = means[:, :k], means[:, k:]
        r, _ = _rowcorr(ev, od)
        with np.errstate(invalid="ignore", divide="ignore"):
            sb = np.where(r <= -1, -1.0, 2 * r / (1 + r))
            sb = np.where(sb < -1, -1.0, sb)
        out[sl] = -sb
    return out


def synonym_pairs(x, critval: float = 0.6, *, anto: bool = False, pcov=None):
    """Item pairs (i, j), i > j, whose pairwise correlation exceeds ``critval`` (or is below
    ``-|critval|`` with ``anto=True``), ordered as ``careless:::get_item_pairs``."""
    import numpy as np

    a = _as2d(x)
    cov, sdi, sdj, _ = pairwise_cov(a) if pcov is None else pcov
    with np.errstate(invalid="ignore", divide="ignore"):
        cor = cov / (sdi * sdj)
    crit = abs(critval)
    pairs = []
    p = a.shape[1]
    for j in range(p):            # column-major over the lower triangle, as R's as.table
        for i in range(j + 1, p):
            c = cor[i, j]
            if np.isfinite(c) and ((c < -crit) if anto else (c > crit)):
                pairs.append((i, j))
    return pairs


def psychsyn(x, critval: float = 0.6, *, anto: bool = False, pairs=None, diag: bool = False):
    """Psychometric synonyms (or antonyms) index (``careless::psychsyn``/``psychant``).

    Item pairs correlating above ``critval`` across respondents (below ``-critval`` for
    antonyms) are found; each respondent's index is the correlation, across those pairs, of the
    first and second items' answers. Low synonym (high antonym) correlations suggest careless
    answering. NaN when fewer than three complete pairs or no variance. Unlike R's default
    (``resample_na = TRUE``, a random re-shuffle of pairs when the correlation is NA), no
    resampling is done, so the result is deterministic (R: ``resample_na = FALSE``).

    Returns
    -------
    numpy.ndarray, or (values, n_pairs) with ``diag=True``
    """
    import numpy as np

    a = _as2d(x)
    if pairs is None:
        pairs = synonym_pairs(a, critval, anto=anto)
    n, p = a.shape
    out = np.full(n, np.nan)
    npairs = np.zeros(n, dtype="int64")
    if pairs:
        # Sums over the complete pairs as quadratic forms with the pair-count matrix
        # A[i, j] = number of pairs (first i, second j): five matrix products per block
        # instead of gathering an (n x pairs) array twice.
        amat = np.zeros((p, p))
        for i, j in pairs:
            amat[i, j] += 1.0
        for sl in _blocks(n):
            blk = np.ascontiguousarray(a[sl])   # C order: same sums as on a C array
            m = (~np.isnan(blk)).astype("float64")
            z = np.where(m > 0, blk, 0.0)
            z2 = z * z
            am_t = m @ amat.T          # for each i: number of its pairs whose second is observed
            az_t = z @ amat.T
            k = np.einsum("ij,ij->i", m, am_t)
            sa = np.einsum("ij,ij->i", z, am_t)
            saa = np.einsum("ij,ij->i", z2, am_t)
            mz = m @ amat               # for each j: number of its pairs whose first is observed
            sb = np.einsum("ij,ij->i", z, mz)
            sbb = np.einsum("ij,ij->i", z2, mz)
            sab = np.einsum("ij,ij->i", z, az_t)
            with np.errstate(invalid="ignore", divide="ignore"):
                vxa = saa - sa * sa / k
                vxb = sbb - sb * sb / k
                r = (sab - sa * sb / k) / np.sqrt(vxa * vxb)
            bad = (k < 3) | (vxa <= 1e-12 * np.maximum(1, k)) | (vxb <= 1e-12 * np.maximum(1, k))
            r[bad] = np.nan
            out[sl] = np.clip(r, -1.0, 1.0)
            npairs[sl] = np.rint(k).astype("int64")
    return (out, npairs) if diag else out


def person_total(x, *, mean=None):
    """Person-total correlation: each row's correlation with the item means (Curran 2016).

    Attentive respondents agree more with items most respondents agree with, so their answers
    correlate positively with the sample's item means; random and pattern answers do not.
    Computed on the answers as given (:func:`careless_indices`): reverse-keyed items, with
    their low means, make the profile of means informative. Pearson correlation over the
    row's answered items; NaN
    with fewer than three answers or no variance (straight-lining). R:
    ``apply(x, 1, cor, colMeans(x, na.rm = TRUE), use = "complete.obs")``.

    Parameters
    ----------
    x : array-like, shape (n, p)
    mean : array-like, shape (p,), optional
        Item means (default: ``np.nanmean(x, axis=0)``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 3, 4], [2, 3, 4, 5], [4, 3, 2, 1], [3, 3, 3, 3]])
    >>> person_total(x).round(3).tolist()
    [1.0, 1.0, -1.0, nan]
    """
    import numpy as np

    a = _as2d(x)
    m = np.nanmean(a, axis=0) if mean is None else np.asarray(mean, dtype="float64")
    m = np.where(np.isnan(m), 0.0, m)
    out = np.full(a.shape[0], np.nan)
    for sl in _blocks(a.shape[0]):
        blk = a[sl]
        obs = ~np.isnan(blk)
        z = np.where(obs, blk, 0.0)
        w = obs.astype("float64")
        # the row's sums over its answered items, as matrix-vector products
        k, sx, sxx = w.sum(1), z.sum(1), np.einsum("ij,ij->i", z, z)
        sm, smm, sxm = w @ m, w @ (m * m), z @ m
        with np.errstate(invalid="ignore", divide="ignore"):
            vx = sxx - sx * sx / k
            vm = smm - sm * sm / k
            r = (sxm - sx * sm / k) / np.sqrt(vx * vm)
        bad = (k < 3) | (vx <= 1e-12 * np.maximum(1, k)) | (vm <= 1e-12 * np.maximum(1, k))
        r[bad] = np.nan
        out[sl] = np.clip(r, -1.0, 1.0)
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
    import numpy as np

    a = _as2d(x)
    out = np.full(a.shape[0], np.nan)
    for sl in _blocks(a.shape[0]):
        out[sl] = _pattern_block(a[sl], max_lag, min_pairs)
    return out


def _modal_counts(d, bad, span):
    """Per row, the count of the most common value of the integer array ``d`` (values in
    ``[-span, span]``) among the positions not ``bad``: one ``bincount`` over row-offset
    codes for small spans, a row-wise sort otherwise. ``d`` is overwritten."""
    import numpy as np

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
    import numpy as np

    nb, p = blk.shape
    miss = np.isnan(blk)
    q = np.rint(np.where(miss, 0.0, blk))
    lo, hi = (q[~miss].min(), q[~miss].max()) if (~miss).any() else (0.0, 0.0)
    span = int(hi - lo)
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


def _block_irv(pool, rows, x, rules, n, p):
    """Smallest block IRV of each row over blocks with at least 3 answers (NaN: none)."""
    import numpy as np

    k = rules.irv_blocks
    if p < 3 * k:
        return np.full(n, np.nan)
    sds = rows(pool, irv_split, x, k, min_answers=3)()
    allnan = np.isnan(sds).all(1)
    out = np.nanmin(np.where(allnan[:, None], 0.0, sds), axis=1)
    out[allnan] = np.nan
    return out


def careless_indices(items, *, factors=None, rules=None, raw_items=None, reverse_in_place=None):
    """All careless-responding indices and their flags for a block of Likert items.

    Parameters
    ----------
    items : pandas.DataFrame
        Likert answers after reverse keying, columns in questionnaire order (Mahalanobis,
        even-odd and synonym indices use these).
    factors : list of list of str, optional
        Item columns of each construct (for even-odd); skipped when fewer than two.
    rules : rsnprop.data.rules.CarelessRules, optional
    raw_items : pandas.DataFrame, optional
        The answers as given (before reverse keying) for longstring, IRV, pattern and
        person-total; ``items`` when omitted.
    reverse_in_place : dict, optional
        ``{column position: lo + hi}``: ``items`` holds the answers as given (a float64 array
        that may be overwritten, ``raw_items`` omitted); longstring and IRV are computed on
        it first, then those columns are reverse keyed in place (``lo + hi - x``) for the
        other indices. Same results as passing both matrices, with one copy fewer.

    Returns
    -------
    indices : pandas.DataFrame
        ``longstring, irv, mahad, mahad_p, evenodd, irv_block, pattern, person_total,
        psychsyn, psychant`` per row.
    flags : pandas.DataFrame
        Boolean ``flag_<index>`` columns (an index whose threshold is ``None`` is computed but
        sets no flag).
    notes : list of str
        Indices that could not be computed and why.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import chi2

    from .rules import CarelessRules

    from ._threads import one_blas_thread

    rules = rules or CarelessRules()
    with one_blas_thread():
        x = items.to_numpy(dtype="float64", na_value=np.nan)
        xr = x if raw_items is None else raw_items.to_numpy(dtype="float64", na_value=np.nan)
        n, p = x.shape
        notes = []
        cols = list(items.columns)
        groups = [[c for c in f if c in cols] for f in (factors or [])]
        groups = [g for g in groups if g]
        grouped = [cols.index(c) for g in groups for c in g]
        xs = x if len(groups) >= 2 else None   # even-odd reads the constructs' columns
        # Both cores: every row-wise index is computed on the two halves of the rows at once
        # (numpy releases the GIL; a row's values do not depend on the split), and the
        # covariance sums too when they are exact (small integers), so the results do not
        # depend on the threading.
        from concurrent.futures import ThreadPoolExecutor

        halves = _halves(n)

        def _rows(pool, fn, arr, *args, **kw):
            futs = [pool.submit(fn, arr[h], *args, **kw) for h in halves]
            return lambda: np.concatenate([f.result() for f in futs])

        big = n >= _THREAD_MIN_ROWS
        with (ThreadPoolExecutor(max_workers=2) if big else _SerialPool()) as pool:
            if reverse_in_place:
                if raw_items is not None:
                    raise ValueError("reverse_in_place: pass the answers as given as items")
                if not x.flags.writeable:   # pandas hands out read-only views
                    try:
                        x.flags.writeable = True
                    except ValueError:
                        x = x.copy(order="K")
                xr = x
                ls, v = _rows(pool, longstring, x)(), _rows(pool, irv, x)()
                pat = (_rows(pool, pattern, x, max_lag=rules.pattern_max_lag)()
                       if p > 1 else np.full(n, np.nan))
                blk = _block_irv(pool, _rows, x, rules, n, p)
                pt = (_rows(pool, person_total, x, mean=np.nanmean(x, axis=0))()
                      if n > 2 and p > 2 else None)
                get_ls, get_irv, get_pat = (lambda: ls), (lambda: v), (lambda: pat)
                get_pt = lambda: pt   # noqa: E731
                for j, total in reverse_in_place.items():   # = reverse_key(x[:, j], lo, hi)
                    np.subtract(total, x[:, j], out=x[:, j])
            pcov, means = _pairwise_cov(x, pool) if n > 2 and p else (None, None)
            if not reverse_in_place:
                get_ls = _rows(pool, longstring, xr)
                get_irv = _rows(pool, irv, xr)
                get_pat = (_rows(pool, pattern, xr, max_lag=rules.pattern_max_lag)
                           if p > 1 else (lambda: np.full(n, np.nan)))
                blk = _block_irv(pool, _rows, xr, rules, n, p)
                get_pt = (_rows(pool, person_total, xr, mean=np.nanmean(xr, axis=0))
                          if n > 2 and p > 2 else (lambda: None))
            get_eo = (_rows(pool, evenodd, xs, [len(g) for g in groups], columns=grouped)
                      if xs is not None else None)
            get_d2 = None
            if n > p + 1 and p and np.isfinite(pcov[0]).all():
                get_d2 = _rows(pool, mahad, x,
                               mean=np.nanmean(x, axis=0) if means is None else means,
                               inv=_inverse(pcov[0]))
            syn = {}
            for name, anto, crit in (("psychsyn", False, rules.psychsyn_critval),
                                     ("psychant", True, rules.psychant_critval)):
                if pcov is None:
                    continue
                pairs = synonym_pairs(x, crit, anto=anto, pcov=pcov)
                syn[name] = (len(pairs), _rows(pool, psychsyn, x, pairs=pairs)
                             if len(pairs) >= 3 else None)
            ls, v, pat = get_ls(), get_irv(), get_pat()
            pt = get_pt()
            eo = get_eo() if get_eo is not None else None
            d2 = get_d2() if get_d2 is not None else (np.full(n, np.nan) if n > p + 1 and p
                                                      else None)
            syn = {k: (npairs, get() if get is not None else None)
                   for k, (npairs, get) in syn.items()}
        answered = np.zeros(n, dtype=np.int64)   # = (~np.isnan(xr)).sum(1), by column
        for j in range(xr.shape[1]):
            answered += ~np.isnan(xr[:, j])
        idx: dict = {}      # columns in order; one frame each at the end
        flags: dict = {}
        idx["longstring"] = ls
        if rules.longstring_max_share is not None and p:
            flags["flag_longstring"] = ls > rules.longstring_max_share * p
        idx["irv"] = v
        thr = rules.irv_min
        flags["flag_irv"] = ((v <= 0) if thr is None else (v < thr)) & (answered >= max(3, p // 2))
        if d2 is not None:
            pval = chi2.sf(d2, df=p)
            idx["mahad"] = d2
            idx["mahad_p"] = pval
            if rules.mahad_alpha is not None:
                flags["flag_mahad"] = pval < rules.mahad_alpha
        else:
            notes.append("Mahalanobis distance not computed: fewer respondents than items + 2")
        if eo is not None:
            idx["evenodd"] = eo
            if rules.evenodd_max is not None:
                flags["flag_evenodd"] = eo > rules.evenodd_max
        elif factors:
            notes.append("even-odd not computed: fewer than two constructs")
        idx["irv_block"] = blk
        if rules.irv_block_max is not None:
            flags["flag_irv_block"] = blk <= rules.irv_block_max
        idx["pattern"] = pat
        if rules.pattern_max is not None:
            flags["flag_pattern"] = pat > rules.pattern_max
        if pt is not None:
            idx["person_total"] = pt
            if rules.person_total_min is not None:
                flags["flag_person_total"] = pt < rules.person_total_min
        for name, anto, crit, lim in (("psychsyn", False, rules.psychsyn_critval,
                                       rules.psychsyn_min),
                                      ("psychant", True, rules.psychant_critval,
                                       rules.psychant_max)):
            if name not in syn:
                continue
            npairs, val = syn[name]
            if val is None:
                if lim is not None:
                    notes.append(f"{name} not computed: {npairs} item pair(s) beyond "
                                 f"r = {crit:+.2f} (at least 3 needed)")
                continue
            idx[name] = val
            if lim is not None:
                flags[f"flag_{name}"] = (val < lim) if not anto else (val > lim)
    # one frame each, built at once (inserting column by column costs more than the indices
    # at a few hundred rows); the flags as plain booleans (NaN comparisons are False already)
    idx = pd.DataFrame(idx, index=items.index)
    flags = pd.DataFrame({c: np.asarray(f, dtype=bool) for c, f in flags.items()},
                         index=items.index)
    return idx, flags, notes


#: threshold field of each index flag (for the log: which threshold the value crossed)
INDEX_OF_FLAG = {"flag_longstring": ("longstring", "longstring_max_share"),
                 "flag_irv": ("irv", "irv_min"),
                 "flag_irv_block": ("irv_block", "irv_block_max"),
                 "flag_mahad": ("mahad_p", "mahad_alpha"),
                 "flag_pattern": ("pattern", "pattern_max"),
                 "flag_evenodd": ("evenodd", "evenodd_max"),
                 "flag_person_total": ("person_total", "person_total_min"),
                 "flag_psychsyn": ("psychsyn", "psychsyn_min"),
                 "flag_psychant": ("psychant", "psychant_max")}


def index_rule(flags, rules=None):
    """The index part of the careless screen: decisive flags alone, weak flags in numbers.

    Parameters
    ----------
    flags : pandas.DataFrame
        Boolean ``flag_<index>`` columns (from :func:`careless_indices`).
    rules : rsnprop.data.rules.CarelessRules, optional

    Returns
    -------
    excluded : numpy.ndarray of bool
        Rows with a decisive flag or at least ``rules.min_index_flags`` weak flags.
    decisive : numpy.ndarray of bool
        Rows with a decisive flag.
    n_weak : numpy.ndarray of int
        Number of weak flags of each row.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"flag_longstring": [True, False, False],
    ...                   "flag_evenodd": [False, True, True],
    ...                   "flag_person_total": [False, True, False]})
    >>> index_rule(f)[0].tolist()
    [True, True, False]
    """
    import numpy as np

    from .rules import CarelessRules

    rules = rules or CarelessRules()
    n = len(flags)
    dec_cols = [c for c in flags.columns if c[len("flag_"):] in rules.decisive]
    weak_cols = [c for c in flags.columns if c.startswith("flag_") and c not in dec_cols]
    decisive = (flags[dec_cols].to_numpy(dtype=bool).any(axis=1) if dec_cols
                else np.zeros(n, dtype=bool))
    n_weak = (flags[weak_cols].to_numpy(dtype=bool).sum(axis=1) if weak_cols
              else np.zeros(n, dtype=np.int64))
    return decisive | (n_weak >= rules.min_index_flags), decisive, n_weak
