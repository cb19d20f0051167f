"""Little's (1988) test that data are missing completely at random (MCAR).

The statistic compares each missingness pattern's observed means with the maximum-likelihood
(EM) means of all rows:  d² = Σ_j n_j (ȳ_j − μ_j)ᵀ Σ_j⁻¹ (ȳ_j − μ_j), where μ_j and Σ_j are the
EM mean and covariance (divisor n) restricted to the variables observed in pattern j; under MCAR
d² is χ² with Σ_j p_j − p degrees of freedom.  It equals ``naniar::mcar_test`` (which uses
``norm``'s EM) and the same formula on lavaan's EM moments (``lavInspect(fit, "sampstat.h1")``,
``tests/reference/panel_attrition.R``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._em import em_moments
from ..errors import InputError
from ..results import Result


@dataclass
class MCARTest(Result):
    """Little's MCAR test: ``statistic`` (χ²), ``df``, ``pvalue``, ``n_patterns``, ``n`` of
    ``n_total`` rows (rows with every variable missing are not used), ``variables``."""

    statistic: float
    df: int
    pvalue: float
    n_patterns: int
    n: int
    n_total: int
    variables: list
    title: str = "Little's MCAR test"

    def to_dict(self) -> dict:
        return {"test": "Little's MCAR chi-square", "statistic": self.statistic, "df": self.df,
                "pvalue": self.pvalue, "n_patterns": self.n_patterns, "n": self.n,
                "n_total": self.n_total, "variables": list(self.variables)}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()]).drop(columns=["variables"])

    def headline(self) -> list:
        return [f"Little's MCAR test: chi2({self.df}) = {self.statistic:.3f}, p = "
                f"{self.pvalue:.4f} ({self.n_patterns} missingness patterns, n = {self.n} of "
                f"{self.n_total})"]

    def summary(self) -> str:
        return "\n".join(self.headline())


def little_mcar(data, columns=None) -> MCARTest:
    """Little's χ² test of MCAR on the numeric ``columns`` of ``data``.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : list of str, optional
        Variables tested (all columns by default); they must be numeric.

    Returns
    -------
    MCARTest

    Notes
    -----
    R: ``naniar::mcar_test(data)``; the reference test recomputes the statistic in R from
    lavaan's EM moments (``tests/reference/panel_attrition.R``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> X.loc[rng.random(200) < 0.2, "c"] = np.nan
    >>> res = little_mcar(X)
    >>> res.df, res.n_patterns, res.pvalue > 0.05
    (2, 2, True)
    """
    frame = _numeric(data, columns)
    X = frame.to_numpy(dtype=float)
    n_total = len(X)
    X = X[~np.isnan(X).all(axis=1)]
    if len(X) < 2:
        raise InputError("needs at least two rows with an observed value", parameter="data")
    names = list(frame.columns)
    try:
        mu, sigma, _, _ = em_moments(X)
    except np.linalg.LinAlgError:  # EM stopped on a singular covariance: say which variables
        _check_positive_definite(np.nan_to_num(frame.cov().to_numpy()), names)
        raise InputError("the EM covariance matrix is singular (perfectly related variables)",
                         parameter="columns") from None
    _check_positive_definite(sigma, names)
    miss = np.isnan(X)
    patterns, inverse = np.unique(miss, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    d2, df = 0.0, 0
    for j, pattern in enumerate(patterns):
        obs = ~pattern
        rows = X[inverse == j][:, obs]
        diff = rows.mean(axis=0) - mu[obs]
        d2 += len(rows) * float(diff @ np.linalg.solve(sigma[np.ix_(obs, obs)], diff))
        df += int(obs.sum())
    df -= X.shape[1]
    p = float(stats.chi2.sf(d2, df)) if df > 0 else float("nan")
    return MCARTest(statistic=float(d2), df=df, pvalue=p, n_patterns=len(patterns), n=len(X),
                    n_total=n_total, variables=list(frame.columns))


def _check_positive_definite(sigma: np.ndarray, names: list) -> None:
    """Refuse a singular EM covariance (perfectly related variables), naming them."""
    eig, vec = np.linalg.eigh(sigma)
    if eig[0] <= 1e-10 * max(eig[-1], 1e-300):
        involved = [names[i] for i in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
        raise InputError("the EM covariance matrix is singular: these variables are perfectly "
                         f"related ({', '.join(involved)}), e.g. a variable that cannot change "
                         "between waves; leave them out of the test", parameter="columns")


def _numeric(data, columns) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError("must be a data frame", parameter="data")
    columns = list(data.columns if columns is None else columns)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError("no such column", parameter="columns", column=missing[0])
    if len(columns) < 1:
        raise InputError("name at least one variable", parameter="columns")
    frame = data[columns]
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            raise InputError("must be numeric for Little's MCAR test", parameter="columns",
                             column=c)
    return frame.astype(float)
