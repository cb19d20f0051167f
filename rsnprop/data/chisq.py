"""The chi-square upper tail without importing ``scipy.stats`` (half a second of every
``rsnprop clean`` start, and of every Monte Carlo worker's): ``scipy.special.chdtrc`` is the
function ``scipy.stats.chi2.sf`` calls, given here the same answers outside its domain.

Examples
--------
>>> from rsnprop.data.chisq import chi2_sf
>>> round(float(chi2_sf(3.84, 1)), 4)
0.05
>>> chi2_sf([0.0, -1.0, float("inf")], 2).tolist()
[1.0, 1.0, 0.0]
"""

from __future__ import annotations

import numpy as np
from scipy.special import chdtrc

__all__ = ["chi2_sf"]


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``, bit for bit (R: ``pchisq(x, df, lower.tail = FALSE)``).

    Parameters
    ----------
    x : float or array_like
        Chi-square values; NaN gives NaN.
    df : float
        Degrees of freedom (> 0).

    Returns
    -------
    numpy.ndarray or numpy.float64
        The upper-tail probability; 1 for ``x <= 0`` (where ``chdtrc`` gives NaN and
        ``chi2.sf`` the probability of the whole support).
    """

    x = np.asarray(x, dtype="float64")
    with np.errstate(invalid="ignore"):
        out = np.where(x <= 0, 1.0, chdtrc(df, x))
    return out[()] if out.ndim == 0 else out
