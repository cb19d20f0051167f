"""The distribution functions the package calls, through :mod:`scipy.special`, bit for bit.

``scipy.stats`` costs about half a second of imports (with the ``scipy.spatial``,
``scipy.ndimage`` and ``scipy.constants`` it pulls in) in every process that imports it: the
power command, each ``rsnprop`` command, the rebuild's fork server. The modules that only need
a normal, chi-square or Student t tail call these functions instead: each computes what the
``scipy.stats`` method computes (SciPy 1.17: ``rv_continuous.sf/cdf/ppf/logpdf/logcdf``, the
argument checks, the support's edges and the private ``_sf``, ``_cdf``... of the distribution,
which call :mod:`scipy.special`), so the same bits and the same NumPy types (a NumPy float for a
scalar, an array for an array): ``tests/test_distributions.py`` compares them with
``scipy.stats`` on random values and on NaN, +-inf, +-0, huge, tiny and invalid parameters.

R: ``pnorm``, ``qnorm``, ``pchisq``, ``pchisq(ncp = )``, ``dt(log = TRUE)``, ``pt(log.p = TRUE)``.

Examples
--------
>>> from rsnprop.distributions import norm_sf, chi2_sf
>>> round(float(norm_sf(1.959963984540054)), 6)
0.025
>>> round(float(chi2_sf(3.84, 1)), 4)
0.05
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["norm_sf", "norm_cdf", "norm_ppf", "chi2_sf", "ncx2_cdf", "t_logpdf", "t_logcdf", "t_logcdf_float"]

#: ``scipy.stats._continuous_distns._norm_pdf_logC``
_NORM_LOGC = np.log(2 * np.pi) / 2.0


def _float(x):
    """``x`` as SciPy's wrappers read it: an array of ``x``'s type promoted to float64."""
    x = np.asarray(x)
    return np.asarray(x, dtype=np.promote_types(x.dtype, np.float64))


def _result(out):
    return out[()] if out.ndim == 0 else out


def norm_sf(x):
    """``scipy.stats.norm.sf(x)``, P(Z > x) (R: ``pnorm(x, lower.tail = FALSE)``).

    ``_sf`` is ``ndtr(-x)``; the wrapper's edges (1 at ``-inf``, 0 at ``inf``, NaN for NaN)
    are what ``ndtr`` gives there.
    """
    return _result(np.asarray(special.ndtr(-_float(x))))


def norm_cdf(x):
    """``scipy.stats.norm.cdf(x)``, P(Z <= x) (R: ``pnorm(x)``): ``ndtr(x)``."""
    return _result(np.asarray(special.ndtr(_float(x))))


def norm_ppf(q):
    """``scipy.stats.norm.ppf(q)`` (R: ``qnorm(q)``): ``ndtri(q) + loc`` inside (0, 1),
    -inf at 0, inf at 1, NaN elsewhere and for NaN."""
    q = np.asarray(q)
    inside = (q > 0) & (q < 1)
    with np.errstate(invalid="ignore"):
        out = np.where(inside, special.ndtri(np.where(inside, q, 0.5)) + 0, np.nan)
    out = np.where(q == 0, -np.inf, np.where(q == 1, np.inf, out))
    return _result(np.asarray(out, dtype="d"))


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)`` (R: ``pchisq(x, df, lower.tail = FALSE)``): ``chdtrc(df,
    x)`` for ``0 < x < inf``, 1 for ``x <= 0``, 0 at ``inf``; NaN for NaN or ``df <= 0``."""
    x, df = _float(x), np.asarray(df)
    good = df > 0
    with np.errstate(invalid="ignore"):
        inside = good & (x > 0) & (x < np.inf)
        out = np.where(inside, special.chdtrc(df, x), 0.0)
    out = np.where(good & (x <= 0), 1.0, out)
    out = np.where(~good | np.isnan(x), np.nan, out)
    return _result(np.asarray(out, dtype=np.promote_types(x.dtype, np.float64)))


def ncx2_cdf(x, df, nc):
    """``scipy.stats.ncx2.cdf(x, df, nc)`` (R: ``pchisq(x, df, ncp = nc)``): ``chndtr(x, df,
    nc)``, or the central ``chdtr(df, x)`` where ``nc == 0``, for ``0 < x < inf``; 0 for
    ``x <= 0``, 1 at ``inf``; NaN for NaN, ``df <= 0``, an infinite df or ``nc < 0``."""
    x, df, nc = _float(x), np.asarray(df), np.asarray(nc)
    with np.errstate(invalid="ignore", over="ignore"):
        good = (df > 0) & np.isfinite(df) & (nc >= 0)
        inside = good & (x > 0) & (x < np.inf)
        central = special.chdtr(df, x)
        out = np.where(inside, np.where(nc != 0, special.chndtr(x, df, nc), central), 0.0)
    out = np.where(good & (x >= np.inf), 1.0, out)
    out = np.where(~good | np.isnan(x), np.nan, out)
    return _result(np.asarray(out, dtype=np.promote_types(x.dtype, np.float64)))


def _t_logpdf_inside(x, df):
    """``scipy.stats.t._logpdf``: the normal's where ``df`` is infinite."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.log(special.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi))
             - (df + 1) / 2 * np.log1p(x * x / df))
        normal = -x ** 2 / 2.0 - _NORM_LOGC
    return np.where(df == np.inf, normal, t)


def t_logpdf(x, df):
    """``scipy.stats.t.logpdf(x, df)`` (R: ``dt(x, df, log = TRUE)``); NaN for NaN or
    ``df <= 0``, -inf at +-inf."""
    x, df = _float(x), np.asarray(df)
    good = df > 0
    with np.errstate(invalid="ignore"):
        inside = good & (-np.inf <= x) & (x <= np.inf)
    xs, dfs = np.broadcast_arrays(x, df)
    out = np.where(inside, _t_logpdf_inside(np.atleast_1d(xs), np.atleast_1d(dfs)).reshape(xs.shape) - 0.0,
                   -np.inf)
    out = np.where(~good | np.isnan(x), np.nan, out)
    return _result(np.asarray(out, dtype=np.promote_types(x.dtype, np.float64)))


def t_logcdf(x, df):
    """``scipy.stats.t.logcdf(x, df)`` (R: ``pt(x, df, log.p = TRUE)``): ``log(stdtr(df, x))``
    below the median (0), ``log1p(-stdtr(df, -x))`` from it on; 0 at inf, -inf at -inf, NaN
    for NaN or ``df <= 0``."""
    x, df = _float(x), np.asarray(df)
    good = df > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = good & (-np.inf < x) & (x < np.inf)
        median = special.stdtrit(df, 0.5)
        low = np.log(special.stdtr(df, x))
        high = np.log1p(-special.stdtr(df, -x))
    out = np.where(inside, np.where(x < median, low, high), -np.inf)
    out = np.where((~good) | np.isnan(x), np.nan, out)
    out = np.where(good & (x >= np.inf), 0.0, out)
    return _result(np.asarray(out, dtype=np.promote_types(x.dtype, np.float64)))


def t_logcdf_float(x: float, df: float) -> float:
    """:func:`t_logcdf` of one ``x`` and ``df`` as a Python float, without the array checks
    (about 60 us less per call: a Bayes factor's integrand calls it some 400 times): ``log(cdf)``
    below the median (``stdtrit(df, 0.5)``), ``log1p(-sf)`` from it on, on 1-element arrays (a
    NumPy scalar's ``log`` may differ in the last bit); not finite ``x`` or ``df``, or ``df <=
    0``: :func:`t_logcdf` itself. The same bits as ``scipy.stats.t.logcdf`` (R: ``pt(x, df,
    log.p = TRUE)``; tests/test_propositions_bayes_fast.py)."""
    if not (math.isfinite(x) and df > 0 and math.isfinite(df)):
        return float(t_logcdf(x, df))
    dfa, xa = np.array([df]), np.array([x])
    with np.errstate(divide="ignore"):
        if x < special.stdtrit(dfa, 0.5)[0]:
            return float(np.log(special.stdtr(dfa, xa))[0])
        return float(np.log1p(-special.stdtr(dfa, -xa))[0])
