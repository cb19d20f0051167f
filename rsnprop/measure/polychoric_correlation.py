"""Polychoric correlations for ordinal items, as ``psych::polychoric`` (two-step estimator).

Thresholds come from each item's marginal proportions (``global = TRUE``: one set of
thresholds per item, as psych's default); each correlation maximises the bivariate-normal
likelihood of the pairwise-complete contingency table.  When the items do not have the same
number of response options psych switches to per-pair thresholds (``global = FALSE``) with a
0.5 continuity correction of empty cells; so does this function.  A non positive definite
result is smoothed (``psych::cor.smooth``).  Bivariate normal probabilities are
:func:`rsnprop.sem.polychoric.bvn_cdf` (Genz 2004), exact to machine precision.

Examples
--------
>>> import numpy as np
>>> from rsnprop.measure import polychoric
>>> rng = np.random.default_rng(0)
>>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], 2000)
>>> x = np.digitize(z, [-1, 0, 1]) + 1             # four ordered categories
>>> res = polychoric(x)                             # psych::polychoric(x)$rho
>>> bool(abs(res.rho[0, 1] - 0.5) < 0.05)
True
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from ..errors import InputError
from ..sem.polychoric import bvn_cdf  # the one bivariate normal CDF of the package (Genz 2004)
from ._matrix import single_threaded
from .item_data import as_frame, select_items
from .statistics import NamedStatistics

__all__ = ["polychoric", "bvn_cdf", "polychoric_pair"]


def _cell_probs(rho, rc, cc):
    rcut = np.concatenate([[-np.inf], rc, [np.inf]])
    ccut = np.concatenate([[-np.inf], cc, [np.inf]])
    F = bvn_cdf(rcut[:, None], ccut[None, :], rho)
    F[0, :] = 0.0
    F[:, 0] = 0.0
    return F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]


def _negloglik(rho, rc, cc, tab):
    P = _cell_probs(rho, rc, cc)
    with np.errstate(divide="ignore", invalid="ignore"):
        lP = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), np.nan)
    lP[~np.isfinite(lP)] = np.nan
    return float(-np.nansum(tab * lP))


def polychoric_pair(tab, rc, cc) -> float:
    """Maximum-likelihood correlation for one table given the thresholds (``polyc``)."""

    tab = np.asarray(tab, dtype=float)
    tab = tab / tab.sum()
    res = minimize_scalar(_negloglik, bounds=(-1 + 1e-9, 1 - 1e-9), method="bounded",
                          args=(np.asarray(rc), np.asarray(cc), tab),
                          options={"xatol": 1e-8})
    return float(res.x)


def _table(x, y, nvalues):
    ok = ~(np.isnan(x) | np.isnan(y))
    xi = x[ok].astype(int) - 1
    yi = y[ok].astype(int) - 1
    tab = np.zeros((nvalues, nvalues))
    np.add.at(tab, (xi, yi), 1)
    return tab


class PolychoricResult(NamedStatistics):
    """Result of :func:`polychoric` (see there for the statistics)."""

    title = "Polychoric correlations"

    def headline(self) -> list:
        """Items, thresholds (global or per pair), smoothing."""
        return [f"{len(self.items)} items, " + ("global" if self["global"] else "per-pair")
                + " thresholds" + (", smoothed (not positive definite)" if self.smoothed else "")]

    def to_frame(self):
        """The correlation matrix, one row per item."""

        frame = pd.DataFrame(self.rho, columns=self.items)
        frame.insert(0, "item", self.items)
        return frame


@single_threaded
def polychoric(data, items=None, *, correct: float = 0.5, max_cat: int = 8,
               smooth: bool = True) -> PolychoricResult:
    """Polychoric correlation matrix (``psych::polychoric(x)``).

    Parameters
    ----------
    data : DataFrame or 2-D array of integer-coded ordinal items (missing as NaN).
    items : columns to use (default all).
    correct : continuity correction for empty cells (used only when the items have
        different numbers of categories, as in psych).
    max_cat : more distinct values than this is an error (psych's ``max.cat``).

    Returns
    -------
    PolychoricResult with ``rho`` (p x p array), ``tau`` (p x (c-1) thresholds), ``items``,
    ``n_obs`` (per item), ``global`` (bool; a Python keyword, so ``res["global"]``),
    ``smoothed`` (bool), ``missing`` (always ``"pairwise"``: thresholds from each item's
    observed answers, each table from the pairs observed, as psych; drop incomplete rows
    first for listwise) and ``warnings`` (list of str).
    """

    frame = select_items(as_frame(data), items, min_items=2)
    names = list(frame.columns)
    X = frame.to_numpy(dtype=float)
    obs = X[~np.isnan(X)]
    if np.any(obs != np.round(obs)):
        raise InputError("polychoric correlations need integer-coded ordinal items",
                         parameter="correlation", value="polychoric")
    xmin, xmax = obs.min(), obs.max()
    nvalues = int(xmax - xmin + 1)
    if nvalues > max_cat:
        raise InputError(f"items have {nvalues} categories (more than {max_cat}); polychoric "
                         "correlations are not needed", parameter="correlation",
                         value="polychoric")
    X = X - xmin + 1
    p = X.shape[1]
    warn: list = []
    col_max = np.nanmax(X, axis=0)
    global_ = bool(col_max.min() == col_max.max())
    if not global_:
        warn.append("the items do not have an equal number of response alternatives: "
                    "thresholds are estimated per pair (psych's global = FALSE)")
    tau = np.full((p, nvalues - 1), np.nan)
    n_obs = np.zeros(p, dtype=int)
    for j in range(p):
        col = X[:, j][~np.isnan(X[:, j])]
        freq = np.bincount(col.astype(int) - 1, minlength=nvalues)[:nvalues]
        n_obs[j] = freq.sum()
        with np.errstate(divide="ignore"):
            tau[j] = norm.ppf(np.cumsum(freq / freq.sum())[:-1])
    rho = np.eye(p)
    fixed = 0
    for i in range(1, p):
        for j in range(i):
            tab = _table(X[:, i], X[:, j], nvalues)
            if tab.sum() == 0:
                rho[i, j] = rho[j, i] = np.nan
                continue
            if global_:
                r = polychoric_pair(tab, tau[i], tau[j])
            else:
                tot = tab.sum()
                t = tab / tot
                t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
                if correct > 0 and (t == 0).any():
                    fixed += 1
                    t[t == 0] = correct / tot
                if min(t.shape) < 2:
                    rho[i, j] = rho[j, i] = np.nan
                    continue
                rc = norm.ppf(np.cumsum(t.sum(axis=1))[:-1])
                cc = norm.ppf(np.cumsum(t.sum(axis=0))[:-1])
                r = polychoric_pair(t, rc, cc)
            rho[i, j] = rho[j, i] = r
    if fixed and correct > 0:
        warn.append(f"{fixed} table(s) had empty cells adjusted by the continuity correction")
    smoothed = False
    if smooth and not np.isnan(rho).any():
        ev = np.linalg.eigvalsh(rho)
        if ev.min() < np.finfo(float).eps:
            from ..errors import NonPositiveDefiniteWarning
            from ._matrix import cor_smooth

            rho = cor_smooth(rho)
            smoothed = True
            msg = "the polychoric matrix was not positive definite and was smoothed"
            warn.append(msg)
            warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=2)
    return PolychoricResult({"rho": rho, "tau": tau, "items": names, "n_obs": n_obs,
                             "global": global_, "smoothed": smoothed, "missing": "pairwise",
                             "warnings": warn})
