"""Little's (1988) test that data are missing completely at random (MCAR).

The statistic compares each missingness pattern's observed means with the maximum-likelihood
(EM) means of all rows:  d² = Σ_j n_j (ȳ_j − μ_j)ᵀ Σ_j⁻¹ (ȳ_j − μ_j), where μ_j and Σ_j are the
EM mean and covariance (divisor n) restricted to the variables observed in pattern j; under MCAR
d² is χ² with Σ_j p_j − p degrees of freedom.  The statistic is
:func:`rsnprop.data.missing.little_mcar_test` (the one the cleaning log reports); this module
gives it a result object and says which variables make the covariance singular.  It equals ``naniar::mcar_test`` (which uses
``norm``'s EM) and the same formula on lavaan's EM moments (``lavInspect(fit, "sampstat.h1")``,
``tests/reference/panel_attrition.R``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.missing import little_mcar_test
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
    names = list(frame.columns)
    used = frame.notna().any(axis=1)
    if used.sum() < 2:
        raise InputError("needs at least two rows with an observed value", parameter="data")
    _check_not_collinear(frame)
    try:
        res = little_mcar_test(frame.loc[used])
    except np.linalg.LinAlgError:  # a singular covariance: say which variables
        _check_positive_definite(np.nan_to_num(frame.cov().to_numpy()), names)
        raise InputError("the EM covariance matrix is singular (perfectly related variables)",
                         parameter="columns") from None
    if not np.isfinite(res["statistic"]) or res["statistic"] > 1e8:
        _check_positive_definite(np.nan_to_num(frame.cov().to_numpy()), names)
    return MCARTest(statistic=res["statistic"], df=res["df"],
                    pvalue=res["p_value"], n_patterns=res["missing_patterns"], n=res["n"],
                    n_total=len(frame), variables=names)


def _check_not_collinear(frame: pd.DataFrame) -> None:
    """Refuse two variables that are perfectly correlated where both are observed (the same
    variable at two waves when it cannot change): the EM covariance would be singular."""
    corr = frame.corr().to_numpy()
    i, j = np.nonzero(np.triu(np.abs(np.nan_to_num(corr)) >= 1 - 1e-9, k=1))
    if len(i):
        a, b = frame.columns[i[0]], frame.columns[j[0]]
        raise InputError(f"{a} and {b} are perfectly correlated (e.g. a variable that cannot "
                         "change between waves): the EM covariance matrix is singular; leave them "
                         "out of the test", parameter="columns")


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
