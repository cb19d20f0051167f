"""Consistency indices of careless responding: even-odd consistency (``careless::evenodd``),
psychometric synonyms and antonyms (``careless::psychsyn``) and the person-total correlation
(Curran, 2016; R twin in tests/reference/data_careless_new.R).  Low consistency = careless
(even-odd is returned negated: higher = more careless, as ``careless`` does).

Examples
--------
>>> import numpy as np
>>> from rsnprop.data.careless_consistency import person_total
>>> x = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 5.0]])
>>> np.round(person_total(x), 3).tolist()      # cor(x[i, ], colMeans(x)) per row
[0.983, -0.983, 1.0]
"""

from __future__ import annotations

import numpy as np

from .careless_blocks import _as2d, _blocks
from .careless_covariance import pairwise_cov

__all__ = ["evenodd", "synonym_pairs", "psychsyn", "person_total"]


def _rowcorr(a, b, min_pairs: int = 2):
    """Row-wise Pearson correlation of a and b over pairwise-complete positions."""

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

    a = _as2d(x)
    cov, sdi, sdj, _ = pairwise_cov(a) if pcov is None else pcov
    with np.errstate(invalid="ignore", divide="ignore"):
        cor = cov / (sdi * sdj)
    crit = abs(critval)
    # column-major over the lower triangle, as R's as.table: j outer, i > j inner (the upper
    # triangle's indices in row-major order, swapped)
    jj, ii = np.triu_indices(a.shape[1], 1)
    c = cor[ii, jj]
    with np.errstate(invalid="ignore"):
        hit = np.isfinite(c) & ((c < -crit) if anto else (c > crit))
    return list(zip(ii[hit].tolist(), jj[hit].tolist()))



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
