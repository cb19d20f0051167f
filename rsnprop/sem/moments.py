"""Models from published tables: sample covariance (or correlation) matrices instead of raw data.

lavaan's conventions (``sem(model, sample.cov = S, sample.nobs = N, sample.mean = m)``): the
matrix is taken as the unbiased covariance matrix and rescaled by ``(N - 1) / N`` for ML; the model
has a mean structure only when means are given (or the syntax has ``~ 1``); log-likelihood, AIC and
BIC are those of the rescaled moments.  A correlation matrix with standard deviations is turned
into ``D R D``.  A lower triangle (upper cells empty) is completed symmetrically.  Several groups:
a dict ``{label: matrix}`` (and dicts or lists of ``sample_nobs``/``sample_mean``).

Errors name the offending cell (``row``/``column`` are the variable names): an asymmetric
matrix, names of the rows that differ from those of the columns, a non-numeric or missing cell,
a matrix that is not positive definite (the variable at which the Cholesky factorisation fails)
and a model variable absent from the matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .engine import GroupData

__all__ = ["read_moments", "moments_groups"]


def _label(name):
    return "sample_cov" if name is None else f"sample_cov[{name!r}]"


def read_moments(frame, sd=None, group=None):
    """``(names, cov)`` of one matrix given as a DataFrame with variable names as index and columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Full symmetric matrix or its lower triangle (upper cells NaN).
    sd : mapping or pandas.Series, optional
        Standard deviations by variable: ``frame`` is then a correlation matrix.
    group : optional
        Group label, for messages.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[1.0, None], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> names, cov = read_moments(m, sd={"a": 2.0, "b": 3.0})
    >>> names, cov.tolist()
    (['a', 'b'], [[4.0, 3.0], [3.0, 9.0]])
    """

    where = _label(group)
    if not isinstance(frame, pd.DataFrame):
        raise InputError("the sample covariance matrix must be a pandas DataFrame with variable names as "
                         "index and columns", parameter=where, value=type(frame).__name__)
    rows, cols = [str(x) for x in frame.index], [str(x) for x in frame.columns]
    if len(rows) != len(cols):
        raise InputError(f"the matrix is not square ({len(rows)} rows, {len(cols)} columns)", parameter=where)
    for r, c in zip(rows, cols):
        if r != c:
            raise InputError(f"row name {r!r} differs from column name {c!r} (same variables in the same order)",
                             parameter=where, row=r, column=c)
    if len(set(cols)) != len(cols):
        raise InputError("a variable name appears twice", parameter=where, value=next(c for c in cols if cols.count(c) > 1))
    values = np.empty((len(cols), len(cols)))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            v = frame.iat[i, j]
            try:
                values[i, j] = np.nan if v is None or (isinstance(v, str) and not v.strip()) else float(v)
            except (TypeError, ValueError):
                raise InputError("cell is not a number", parameter=where, row=r, column=c, value=v) from None
    upper = values[np.triu_indices(len(cols), 1)]
    if len(upper) and np.isnan(upper).all():  # lower triangle
        values = np.tril(values) + np.tril(values, -1).T
    bad = np.argwhere(np.isnan(values))
    if len(bad):
        i, j = bad[0]
        raise InputError("cell is empty", parameter=where, row=rows[i], column=cols[j])
    tol = 1e-8 * max(1.0, float(np.abs(values).max()))
    asym = np.argwhere(np.abs(values - values.T) > tol)
    if len(asym):
        i, j = next((a, b) for a, b in asym.tolist() if a > b)  # the lower-triangle cell
        raise InputError(f"the matrix is not symmetric: [{rows[i]}, {cols[j]}] = {values[i, j]:g} but "
                         f"[{rows[j]}, {cols[i]}] = {values[j, i]:g}", parameter=where, row=rows[i], column=cols[j],
                         value=values[i, j])
    if sd is not None:
        values = _cor_to_cov(values, cols, sd, where, rows)
    return cols, values


def _cor_to_cov(values, cols, sd, where, rows):
    for k, c in enumerate(cols):
        if abs(values[k, k] - 1.0) > 1e-6:
            raise InputError("with standard deviations the matrix must be a correlation matrix (1 on the "
                             "diagonal)", parameter=where, row=rows[k], column=c, value=values[k, k])
    s = np.empty(len(cols))
    for k, c in enumerate(cols):
        try:
            s[k] = float(sd[c])
        except (KeyError, TypeError, ValueError):
            raise InputError("no standard deviation for this variable", parameter="sample_sd", column=c) from None
        if not s[k] > 0:
            raise InputError("standard deviation must be positive", parameter="sample_sd", column=c, value=s[k])
    return values * np.outer(s, s)


def _positive_definite(cov, names, where):
    """Raise naming the variable at which the Cholesky factorisation of ``cov`` fails."""
    for k in range(1, len(names) + 1):
        sub = cov[:k, :k]
        if np.linalg.eigvalsh(sub).min() <= 1e-12 * max(1.0, float(np.abs(sub).max())):
            raise InputError(f"the matrix is not positive definite (its leading {k} x {k} block, up to "
                             f"{names[k - 1]!r}, is singular or indefinite)", parameter=where,
                             row=names[k - 1], column=names[k - 1], value=cov[k - 1, k - 1])


def _per_group(value, labels, what):
    if isinstance(value, dict):
        missing = [g for g in labels if g not in value]
        if missing:
            raise InputError(f"{what} has no entry for a group", parameter=what, value=missing[0])
        return [value[g] for g in labels]
    if isinstance(value, (list, tuple)) and len(labels) > 1:
        if len(value) != len(labels):
            raise InputError(f"{what} needs one entry per group ({len(labels)})", parameter=what, value=len(value))
        return list(value)
    return [value] * len(labels) if len(labels) == 1 or value is None else [value] * len(labels)


def moments_groups(sample_cov, sample_nobs, variables, sample_mean=None, sample_sd=None):
    """Per group :class:`~rsnprop.sem.engine.GroupData` of the model ``variables`` (ML: cov times
    ``(N - 1) / N``) and the group labels; ``meanstructure`` is whether means were given."""

    if isinstance(sample_cov, dict):
        labels = list(sample_cov)
        mats = [sample_cov[g] for g in labels]
    else:
        labels, mats = [None], [sample_cov]
    if len(labels) == 1 and isinstance(sample_nobs, (list, tuple)) and len(sample_nobs) == 1:
        sample_nobs = sample_nobs[0]
    nobs = _per_group(sample_nobs, labels, "sample_nobs")
    means = _per_group(sample_mean, labels, "sample_mean")
    sds = _per_group(sample_sd, labels, "sample_sd")
    out = []
    for g, m, n, mu, sd in zip(labels, mats, nobs, means, sds):
        where = _label(g)
        try:
            n = int(n)
        except (TypeError, ValueError):
            raise InputError("sample_nobs must be a whole number of observations", parameter="sample_nobs",
                             value=n) from None
        if n < 2:
            raise InputError("sample_nobs must be at least 2", parameter="sample_nobs", value=n)
        names, cov = read_moments(m, sd=sd, group=g)
        absent = [v for v in variables if v not in names]
        if absent:
            raise InputError("model variable is not in the sample covariance matrix", parameter=where,
                             column=absent[0])
        idx = [names.index(v) for v in variables]
        cov = cov[np.ix_(idx, idx)]
        _positive_definite(cov, list(variables), where)
        mean = np.zeros(len(variables)) if mu is None else _mean_vector(mu, variables, g)
        cov = cov * (n - 1) / n
        out.append(GroupData(n=n, cov=cov, mean=mean, logdet_cov=float(np.linalg.slogdet(cov)[1])))
    return out, labels


def _mean_vector(mu, variables, group):
    where = "sample_mean" if group is None else f"sample_mean[{group!r}]"
    if isinstance(mu, pd.DataFrame):
        if len(mu) != 1:
            raise InputError("sample_mean must be one row of means", parameter=where, value=len(mu))
        mu = mu.iloc[0]
    if not hasattr(mu, "__getitem__") or not hasattr(mu, "keys"):
        raise InputError("sample_mean must be a mapping or Series of means by variable name", parameter=where,
                         value=type(mu).__name__)
    out = np.empty(len(variables))
    for k, v in enumerate(variables):
        if v not in mu.keys():
            raise InputError("model variable has no sample mean", parameter=where, column=v)
        try:
            out[k] = float(mu[v])
        except (TypeError, ValueError):
            raise InputError("sample mean is not a number", parameter=where, column=v, value=mu[v]) from None
    return out
