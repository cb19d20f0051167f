"""Student t statistics and probabilities without SciPy's test and distribution objects.

A power replication runs a handful of t-tests on a few hundred firms; :func:`scipy.stats.ttest_rel`
and the methods of :data:`scipy.stats.t` spend most of their time checking and broadcasting
their arguments (about 1 ms per test).  The functions here do the same arithmetic in the same
order on a 1-d float array, so that their results are SciPy's to the last bit
(``tests/test_propositions_fast_tests.py`` compares them on random data and edge cases):

* :func:`one_sample_t` is ``scipy.stats.ttest_1samp(a, 0).statistic`` (and so
  ``ttest_rel(a, zeros)``): the mean over ``sqrt(var(a, ddof=1) / n)``, the variance as
  SciPy's ``_var`` computes it (mean of the squared deviations times ``n / (n - 1)``);
* :func:`t_sf`, :func:`t_cdf` and :func:`t_ppf` are ``stats.t.sf``, ``stats.t.cdf`` and
  ``stats.t.ppf`` with ``loc = 0, scale = 1``: SciPy's ``t`` distribution calls
  :func:`scipy.special.stdtr` and :func:`scipy.special.stdtrit` for them.

What the SciPy objects do besides is left out: :func:`one_sample_t` does not warn when the
values are nearly identical (SciPy's "Precision loss occurred in moment calculation"
RuntimeWarning; the callers have already set aside an array without variation), and the
distribution functions give NaN, as SciPy does, for ``df <= 0`` or a NaN argument.  The
full analysis keeps :func:`scipy.stats.ttest_rel` (and its warning); the Monte Carlo power
(:func:`rsnprop.propositions.lean.lean_tests`) uses these.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> a = np.array([0.5, 1.0, -0.2, 0.8, 1.4, 0.3])
>>> bool(one_sample_t(a) == stats.ttest_1samp(a, 0.0).statistic)
True
>>> bool(t_sf(2.0, 5) == stats.t.sf(2.0, 5)), bool(t_ppf(0.975, 5) == stats.t.ppf(0.975, 5))
(True, True)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["one_sample_t", "t_sf", "t_cdf", "t_ppf", "mean_var"]

_NAN = np.float64(math.nan)


def one_sample_t(a) -> float:
    """t of the one-sample test of ``mean(a) = 0`` (``scipy.stats.ttest_1samp(a, 0)``), ``a``
    a 1-d float array (NaN propagates, as with SciPy's default ``nan_policy``)."""
    n = a.size
    mean = a.mean()
    dev = a - mean
    var = np.mean(dev ** 2) * (n / (n - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.divide(mean - 0.0, np.sqrt(var / n)))


def mean_var(a):
    """``(a.mean(), ss)`` of a 1-d float64 array ``a`` with at least one value, ``ss`` the sum of
    squared deviations from the mean, so that ``ss / (n - ddof)`` is ``a.var(ddof=ddof)`` and its
    square root ``a.std(ddof=ddof)`` to the last bit: NumPy's own steps (``_mean``, ``_var``: the
    same pairwise sum, divided by the count; the deviations squared and summed) in one pass,
    without its wrappers (about 5 us per call on a few hundred values).

    >>> a = np.array([0.5, 1.0, -0.2, 0.8])
    >>> m, ss = mean_var(a)
    >>> bool(m == a.mean()), bool(np.sqrt(ss / 3) == a.std(ddof=1)), bool(ss / 4 == a.var())
    (True, True, True)
    """
    n = a.size
    mean = np.add.reduce(a) / n
    dev = np.subtract(a, mean)
    np.square(dev, out=dev)
    return mean, np.add.reduce(dev)


def t_sf(x, df) -> np.float64:
    """``scipy.stats.t.sf(x, df)``: P(T > x), a NumPy float as SciPy gives it."""
    return special.stdtr(df, -x) if df > 0 else _NAN


def t_cdf(x, df) -> np.float64:
    """``scipy.stats.t.cdf(x, df)``: P(T <= x)."""
    return special.stdtr(df, x) if df > 0 else _NAN


def t_ppf(q, df) -> np.float64:
    """``scipy.stats.t.ppf(q, df)``: the ``q`` quantile (``q`` in [0, 1], else NaN)."""
    if not df > 0 or not 0 <= q <= 1:
        return _NAN
    if q == 0 or q == 1:          # the ends of the support, as SciPy's ppf gives them
        return np.float64(-math.inf if q == 0 else math.inf)
    return special.stdtrit(df, q)
