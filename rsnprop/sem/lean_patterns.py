"""The missing-data patterns of a lean fit (:attr:`rsnprop.sem.fiml_engine.FIMLEngine.padded`: power
replications, decisions by score tests) built from the data in one set of array operations: the
embedded batch of :class:`rsnprop.sem.fiml_lean.Padded` without a
:class:`~rsnprop.sem.fiml_engine.Pattern` object per pattern.

:func:`~rsnprop.sem.fiml_engine.patterns` makes one object per pattern (its rows, mean and
covariance matrix by a dozen numpy calls each: ~40 patterns per data set of a check), and
:class:`~rsnprop.sem.fiml_lean.Padded` copies them into its stacked arrays again.  Here the rows
are sorted by pattern once and the patterns' sums taken by ``np.add.reduceat``: the same patterns
in the same order (the packed-bit codes of :func:`~rsnprop.sem.fiml_engine._unique_rows`), the same
counts, the means and covariance matrices to rounding (sums in another order), which a lean fit
allows.  The full fits (and a check's fallback to them) still build their patterns with
:func:`~rsnprop.sem.fiml_engine.patterns`, when first read (:class:`LazyPatterns`).  Tested against it (``tests/test_sem_lean_pieces.py``).
"""

from __future__ import annotations

import numpy as np

from .fiml_engine import _unique_rows, patterns
from .fiml_lean import Padded

__all__ = ["LazyPatterns", "padded_from_data"]


def padded_from_data(x):
    """``Padded(patterns(x), p)`` of the data ``x`` (rows; NaN = missing) from arrays (module
    docstring); the patterns of :func:`~rsnprop.sem.fiml_engine.patterns` when ``x`` has no row
    with a value."""
    n, p = x.shape
    mask = ~np.isnan(x)
    keys, inv = _unique_rows(mask)
    seen = keys.any(axis=1)
    if n == 0 or not seen.any():
        return Padded(patterns(x), p)
    order = np.argsort(inv, kind="stable")
    inv_s = inv[order]
    starts = np.flatnonzero(np.r_[True, inv_s[1:] != inv_s[:-1]])
    ns = np.diff(np.r_[starts, n])
    obs_s = mask[order]
    xs = np.where(obs_s, x[order], 0.0)
    mean = np.add.reduceat(xs, starts, axis=0) / ns[:, None]
    xc = np.where(obs_s, xs - mean[inv_s], 0.0)
    cov = np.add.reduceat(xc[:, :, None] * xc[:, None, :], starts, axis=0) / ns[:, None, None]
    keep = seen[inv_s[starts]]                            # not the pattern of rows without a value
    out = object.__new__(Padded)
    out.K, out.p = int(keep.sum()), p
    out.ns, out.obs, out.mean, out.cov = ns[keep], keys[inv_s[starts]][keep], mean[keep], cov[keep]
    nmis = p - out.obs.sum(axis=1)
    out.mpos = np.flatnonzero(nmis)
    width = int(nmis.max(initial=0))
    first = np.argsort(out.obs, axis=1, kind="stable")[:, :width]     # the missing indices, ascending
    out.midx = np.where(np.arange(width)[None, :] < nmis[:, None], first, p)[out.mpos]
    out._finish([out])
    return out


class LazyPatterns:
    """``[patterns(x) for x in arrays]`` (:func:`~rsnprop.sem.fiml_engine.patterns`, the same objects)
    found when first read: the patterns of a data set that only lean fits use are never built."""

    __slots__ = ("arrays", "found")

    def __init__(self, arrays):
        self.arrays, self.found = arrays, None

    def _list(self):
        if self.found is None:
            self.found = [patterns(x) for x in self.arrays]
        return self.found

    def __getitem__(self, g):
        return self._list()[g]

    def __len__(self):
        return len(self.arrays)

    def __iter__(self):
        return iter(self._list())
