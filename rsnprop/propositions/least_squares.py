"""Ordinary least squares as statsmodels computes it, without statsmodels' model classes.

:func:`ols_fit` repeats the arithmetic of ``statsmodels.regression.linear_model.OLS(y,
X).fit()`` (method ``"pinv"``, its default) step by step, in the same order and with the same
NumPy calls, so that its estimates, standard errors, residual scale and degrees of freedom are
statsmodels' to the last bit (``tests/test_propositions_fast_tests.py`` compares them on random
designs):

* the pseudo-inverse of ``X`` from its SVD with statsmodels' cut-off (``pinv_extended``:
  singular values below ``1e-15`` times the largest count as zero), ``params = pinv(X) @ y``,
  ``normalized_cov_params = pinv(X) @ pinv(X).T``, the rank from the singular values;
* the classical covariance ``normalized_cov_params * ssr / (n - rank)``;
* HC3 (``fit(cov_type="HC3")``): leverages ``h_i`` as statsmodels' ``_abat_diagonal``,
  ``pinv(X) @ diag((e_i / (1 - h_i))^2) @ pinv(X).T``.

Importing statsmodels' regression module costs about 0.2 s of CPU (some 200 modules: patsy,
the formula and results machinery) in every ``rsnprop power`` run whose replications only need
these few lines; the Monte Carlo power uses :func:`ols_fit`
(:func:`rsnprop.propositions.lean.lean_tests`), the full analysis keeps statsmodels.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.column_stack([np.ones(50), rng.normal(size=50)]); y = X @ [1.0, 2.0] + rng.normal(size=50)
>>> fit = ols_fit(y, X)
>>> float(fit.df_resid), fit.params.round(2).tolist()
(48.0, [1.05, 1.88])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lean import is_lean
from .student_t import t_ppf, t_sf

__all__ = ["ols_fit", "fit_ols", "OLSFit"]


@dataclass
class OLSFit:
    """What :func:`ols_fit` finds: the attributes of statsmodels' results of the same names
    (``params``, ``bse``, ``scale``, ``df_resid``, ``rank``, ``resid``, ``cov_params``)."""

    params: np.ndarray
    bse: np.ndarray
    scale: np.float64
    df_resid: np.float64
    rank: np.int64
    resid: np.ndarray
    cov_params: np.ndarray

    @property
    def tvalues(self) -> np.ndarray:
        """``params / bse``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    def pvalue(self, i: int) -> float:
        """Two-sided p-value of coefficient ``i`` (t distribution with ``df_resid`` df)."""
        return t_sf(abs(float(self.tvalues[i])), self.df_resid) * 2

    def conf_int(self, i: int, confidence: float = 0.95) -> tuple[float, float]:
        """Two-sided ``confidence`` interval of coefficient ``i`` (t distribution)."""
        half = t_ppf((1 + confidence) / 2, self.df_resid) * float(self.bse[i])
        return float(self.params[i]) - half, float(self.params[i]) + half


def _pinv_extended(x, rcond=1e-15):
    """``statsmodels.tools.tools.pinv_extended``: the pseudo-inverse and the singular values."""
    u, s, vt = np.linalg.svd(x.conjugate(), False)
    s_orig = np.copy(s)
    cutoff = rcond * np.maximum.reduce(s)
    for i in range(min(vt.shape[1], u.shape[0])):
        s[i] = 1.0 / s[i] if s[i] > cutoff else 0.0
    return np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u))), s_orig


class _Design:
    """What :func:`ols_fit` finds from the design alone (the pseudo-inverse, ``pinv @ pinv.T``,
    the rank and, when asked, the HC3 leverages), kept for the last design: the fits of the
    imputed data sets of a pooled test share theirs (the same arrays, so the same numbers)."""

    __slots__ = ("key", "X", "parts", "h")

    def __init__(self):
        self.key = self.X = self.parts = self.h = None

    def __call__(self, X):
        key = (X.shape, X.dtype.str, X.tobytes())     # the same bits (-0.0 and NaN alike)
        if key != self.key:
            pinv, singular = _pinv_extended(X)
            ncp = np.dot(pinv, np.transpose(pinv))
            rank = np.linalg.matrix_rank(np.diag(singular))
            self.key, self.X, self.parts, self.h = key, X.copy(), (pinv, ncp, rank), None
        return (*self.parts, self.leverage)

    def leverage(self):
        """The HC3 leverages ``h_i`` of the design (statsmodels' ``_abat_diagonal``)."""
        if self.h is None:
            self.h = np.einsum("ij,ik,kj->i", self.X, self.X, self.parts[1])
        return self.h


_design = _Design()


def ols_fit(y, X, cov_type: str = "nonrobust") -> OLSFit:
    """OLS of ``y`` (1-d float array) on the design ``X`` (2-d float array, the intercept
    column included): ``OLS(y, X).fit()`` for ``cov_type="nonrobust"``,
    ``OLS(y, X).fit(cov_type="HC3")`` for ``"HC3"``."""
    if cov_type not in ("nonrobust", "HC3"):
        raise ValueError(f"cov_type must be 'nonrobust' or 'HC3', not {cov_type!r}")
    y, X = np.asarray(y), np.asarray(X)
    pinv, ncp, rank, leverage = _design(X)
    params = np.dot(pinv, y)
    resid = y - np.dot(X, params)
    df_resid = float(X.shape[0]) - rank
    scale = np.dot(resid, resid) / df_resid
    if cov_type == "nonrobust":
        cov = ncp * scale
    else:
        h = leverage()
        cov = np.dot(pinv, ((resid / (1 - h)) ** 2)[:, None] * pinv.T)
    return OLSFit(params=params, bse=np.sqrt(np.diag(cov)), scale=scale, df_resid=df_resid,
                  rank=rank, resid=resid, cov_params=cov)


def fit_ols(y, X, cov_type: str = "nonrobust"):
    """The fit the tests read (``params``, ``bse``, ``df_resid``, ``scale``): :func:`ols_fit`
    within :func:`rsnprop.propositions.lean.lean_tests` (the Monte Carlo power), else
    statsmodels' ``OLS(y, X).fit()`` (``fit(cov_type=..., use_t=True)`` for a robust
    covariance), as the full analysis has always computed it."""
    if is_lean():
        return ols_fit(y, X, cov_type)
    # the full analysis only: a power replication never imports statsmodels' model classes
    from statsmodels.regression.linear_model import OLS

    model = OLS(y, X)
    return model.fit() if cov_type == "nonrobust" else model.fit(cov_type=cov_type, use_t=True)
