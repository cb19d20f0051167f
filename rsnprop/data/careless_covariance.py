"""Covariance-based careless indices: the pairwise-complete covariance matrix (R
``cov(x, use = "pairwise")``) and the Mahalanobis distance (``careless::mahad``,
``psych::outlier``), vectorised on row blocks.

Examples
--------
>>> import numpy as np
>>> from rsnprop.data.careless_covariance import pairwise_cov
>>> x = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 4.0]])
>>> cov, sd_i, sd_j, counts = pairwise_cov(x)
>>> np.round(cov, 3).tolist()                        # cov(x, use = "pairwise")
[[1.667, 1.833], [1.833, 2.333]]
"""

from __future__ import annotations

import numpy as np

from .careless_blocks import _BLOCK, _EXACT_BLOCK, _EXACT_MAX, _ROW_BLOCK, _as2d, _blocks, _halves

__all__ = ["pairwise_cov", "mahad"]


def pairwise_cov(x):
    """Pairwise-complete covariance matrix, means and counts (R ``cov(x, use="pairwise")``).

    For each pair of columns, the covariance over the rows where both are observed, with that
    subset's own means and an n - 1 denominator. Computed with matrix products (fast for a
    million rows). Returns ``(cov, sd_pair_i, sd_pair_j, counts)`` where the ``sd_pair``
    matrices hold each column's SD over the pair's complete rows (for pairwise correlations).
    """
    return _pairwise_cov(_as2d(x))[0]



def _exact_sums(a):
    """Pairwise sums of a block of small integers (|x| <= 31, NaN missing), exactly.

    In float32 matrix products every product and partial sum is an integer below 2**24, so the
    sums are exact and equal to the float64 sums of the general path (which are exact too for
    such data). Returns None when a value is not such an integer.
    """

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
    try:
        return np.linalg.inv(cov)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(cov)
