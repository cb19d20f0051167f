"""Internal-consistency reliability: Cronbach's alpha (raw and standardised) with Feldt and
bootstrap confidence intervals, item statistics, alpha if an item is deleted, and McDonald's
omega, as ``psych::alpha`` and ``psych::omega``.

Formulas (``C`` the item covariance matrix, ``R`` the correlation matrix, ``k`` items):

* ``alpha = k/(k-1) * (1 - tr(C)/sum(C))``; ``alpha_std = k/(k-1) * (1 - k/sum(R))``
* Feldt (1965) interval: ``1 - (1 - alpha) * F_{1-p/2 | p/2}(n-1, (n-1)(k-1))``
  (``psych::alpha.ci``)
* ``r_drop``: corrected item-total correlation from ``C`` (``psych::alpha``'s ``r.drop``);
  ``raw_r``: correlation of the item with the mean score; ``std_r``, ``r_cor`` as psych.
* omega total/hierarchical: :mod:`rsnprop.measure.schmid_leiman` (``psych::omega``).

Missing data: ``missing="auto"`` (default, docs/missing-data.md) is listwise deletion: drops
incomplete rows first, reports ``n`` of ``n_total`` and warns when rows were dropped;
``missing="pairwise"`` uses pairwise-complete covariances exactly as ``psych::alpha`` does
(its default, ``use = "pairwise"``; ``n`` is then the number of rows).

Examples
--------
>>> from rsnprop.measure import alpha
>>> from rsnprop.datasets import bfi
>>> res = alpha(bfi(), items=["A1", "A2", "A3", "A4", "A5"], reverse=["A1"],
...             scale_min=1, scale_max=6, missing="pairwise", n_boot=0)
>>> round(res.alpha, 3), round(res.alpha_std, 3)   # psych::alpha(bfi[1:5], keys = "A1")
(0.703, 0.713)
>>> round(res.alpha_ci_lower, 3), round(res.alpha_ci_upper, 3)   # ...$feldt
(0.685, 0.72)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..results import Result, jsonsafe
from ._matrix import check_singular, cov2cor, single_threaded, smc
from .item_data import (
    apply_missing,
    cor_matrix,
    cov_matrix,
    resolve_missing,
    reverse_items,
    rows_dropped_note,
    select_items,
)
from .polychoric_correlation import polychoric
from .schmid_leiman import omega_from_matrix

__all__ = ["alpha", "feldt_ci", "alpha_from_cov", "ReliabilityResult"]


def alpha_from_cov(C: np.ndarray) -> dict:
    """Raw and standardised alpha, G6, average r from a covariance matrix (``alpha.1``)."""
    C = np.asarray(C, dtype=float)
    k = C.shape[0]
    R = cov2cor(C)
    raw = (1 - np.trace(C) / C.sum()) * (k / (k - 1))
    sumR = R.sum()
    std = (1 - k / sumR) * (k / (k - 1))
    g6 = 1 - (k - smc(R).sum()) / sumR
    av_r = (sumR - k) / (k * (k - 1))
    sC = C.sum()
    trC = np.trace(C)
    Q = (2 * k ** 2 / ((k - 1) ** 2 * sC ** 3)) * (sC * (np.trace(C @ C) + trC ** 2)
                                                    - 2 * (trC * (C @ C).sum()))
    return {"raw": float(raw), "std": float(std), "g6": float(g6), "average_r": float(av_r),
            "Q": float(Q)}


def feldt_ci(alpha_value: float, n: int, k: int, level: float = 0.95):
    """Feldt's confidence interval for alpha (``psych::alpha.ci``)."""

    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha_value) * stats.f.ppf(1 - p / 2, df1, df2)
    upper = 1 - (1 - alpha_value) * stats.f.ppf(p / 2, df1, df2)
    return float(lower), float(upper)


@dataclass(repr=False)
class ReliabilityResult(Result):
    """Reliability of one scale.  ``items`` is a list of per-item dicts."""

    n: int
    n_items: int
    missing: str
    alpha: float
    alpha_std: float
    g6: float
    average_r: float
    ase: float
    alpha_ci_lower: float
    alpha_ci_upper: float
    alpha_boot_ci_lower: float | None
    alpha_boot_ci_upper: float | None
    n_boot: int
    omega_total: float | None
    omega_h: float | None
    omega_nfactors: int | None
    items: list
    reversed: list
    ci_level: float = 0.95
    seed: int | None = None
    alpha_ordinal: float | None = None
    scale: str | None = None
    warnings: list = field(default_factory=list)
    title: str = "Reliability"
    n_total: int | None = None

    def headline(self) -> list:
        """alpha with its CI(s), omega, and the rows used."""
        out = [f"alpha = {self.alpha:.3f} [Feldt {self.ci_level:.0%} CI {self.alpha_ci_lower:.3f}, "
               f"{self.alpha_ci_upper:.3f}]"]
        if self.alpha_boot_ci_lower is not None:
            out.append(f"alpha bootstrap {self.ci_level:.0%} percentile CI [{self.alpha_boot_ci_lower:.3f}, "
                       f"{self.alpha_boot_ci_upper:.3f}] ({self.n_boot} resamples, seed {self.seed})")
        if self.omega_total is not None:
            out.append(f"omega total = {self.omega_total:.3f}, omega hierarchical = {self.omega_h:.3f}")
        out.append(f"n = {self.n} of {self.n_total if self.n_total is not None else self.n} rows "
                   f"({self.missing}), {self.n_items} items")
        return out

    def to_dict(self) -> dict:
        keys = ["scale", "n", "n_total", "n_items", "missing", "alpha", "alpha_std", "g6", "average_r",
                "ase", "alpha_ci_lower", "alpha_ci_upper", "ci_level", "alpha_boot_ci_lower",
                "alpha_boot_ci_upper", "n_boot", "seed", "alpha_ordinal", "omega_total",
                "omega_h",
                "omega_nfactors", "items", "reversed", "warnings"]
        d = {k: getattr(self, k) for k in keys}
        d["ci_method"] = "feldt"
        return jsonsafe(d)

    def to_frame(self):
        return pd.DataFrame(self.items)

    def summary(self) -> str:
        head = [
            f"{self.title}{' of ' + self.scale if self.scale else ''}: n = {self.n} of "
            f"{self.n_total if self.n_total is not None else self.n} rows ({self.missing}), {self.n_items} items"
            + (f", reversed: {', '.join(self.reversed)}" if self.reversed else ""),
            f"alpha = {self.alpha:.3f} [Feldt {self.ci_level:.0%} CI {self.alpha_ci_lower:.3f}, "
            f"{self.alpha_ci_upper:.3f}], standardised alpha = {self.alpha_std:.3f}",
        ]
        if self.alpha_boot_ci_lower is not None:
            head.append(f"bootstrap CI ({self.n_boot} resamples, seed {self.seed}): "
                        f"[{self.alpha_boot_ci_lower:.3f}, {self.alpha_boot_ci_upper:.3f}]")
        if self.alpha_ordinal is not None:
            head.append(f"ordinal alpha (polychoric) = {self.alpha_ordinal:.3f}")
        if self.omega_total is not None:
            head.append(f"omega total = {self.omega_total:.3f}, omega hierarchical = "
                        f"{self.omega_h:.3f} ({self.omega_nfactors} factor(s), psych::omega)")
        body = super().summary().split("\n", 2)[-1]
        tail = [f"warning: {w}" for w in self.warnings]
        return "\n".join(head + [body] + tail)


def cov_columns(xb: np.ndarray) -> np.ndarray:
    """``np.cov(xb, rowvar=False)`` of a C-contiguous float64 array ``xb`` (rows: cases) that
    the caller gives up (it is centred in place), with NumPy's arithmetic step by step (the
    mean of each column, the product ``X X'`` of the centred transpose, times ``1 / (n - 1)``)
    but without its argument handling: about a third of its time for the bootstrap's small
    matrices.  Anything else (another dtype or layout, fewer than two rows) is ``np.cov``'s.

    >>> x = np.array([[1., 2.], [2., 5.], [4., 4.]])
    >>> bool(np.array_equal(cov_columns(x.copy()), np.cov(x, rowvar=False)))
    True
    """
    if xb.ndim != 2 or xb.dtype != np.float64 or not xb.flags.c_contiguous or xb.shape[0] < 2 \
            or xb.shape[1] < 2:
        return np.cov(xb, rowvar=False)
    X = xb.T
    X -= X.mean(axis=1)[:, None]
    c = np.dot(X, X.T.conj())
    c *= np.true_divide(1, X.shape[1] - 1)
    return c


def _boot_alpha(X: np.ndarray, n_boot: int, seed, missing: str, level: float):
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    draws = [rng.integers(0, n, n) for _ in range(n_boot)]      # the generator's calls, in order
    complete = not np.isnan(X).any()
    if complete and X.dtype == np.float64 and n >= 2 and X.shape[1] >= 2:
        vals = _alphas_of_resamples(X, draws)
    else:
        vals = np.empty(n_boot)
        for b, idx in enumerate(draws):
            xb = X[idx]
            C = cov_columns(xb) if complete else pd.DataFrame(xb).cov().to_numpy()
            k = C.shape[0]
            vals[b] = (1 - np.trace(C) / C.sum()) * (k / (k - 1))
    lo, hi = np.nanquantile(vals, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def _alphas_of_resamples(X: np.ndarray, draws, size: int = 1 << 21) -> np.ndarray:
    """Alpha of each resample ``X[idx]`` of the complete float64 data ``X`` (``n >= 2`` rows,
    ``k >= 2`` items), each the bits of ``(1 - trace(C) / sum(C)) * (k / (k - 1))`` with ``C =
    cov_columns(X[idx])``: the resamples of a block (at most ``size`` values) stacked, their
    column means, centred products and sums by the same reductions and BLAS products per
    resample (``tests/test_measure_alpha_boot.py`` compares them with one resample at a time)."""
    n, k = X.shape
    vals = np.empty(len(draws))
    step = max(1, size // (n * k))
    for lo in range(0, len(draws), step):
        XB = X[np.stack(draws[lo:lo + step])]               # (resamples, n, k)
        XB -= XB.mean(axis=1)[:, None, :]
        C = XB.transpose(0, 2, 1) @ XB
        C *= np.true_divide(1, n - 1)
        tr = np.trace(C, axis1=1, axis2=2)
        vals[lo:lo + step] = (1 - tr / C.sum(axis=(1, 2))) * (k / (k - 1))
    return vals


@single_threaded
def alpha(data, items=None, *, reverse=None, scale_min=None, scale_max=None,
          missing: str = "auto", ci_level: float = 0.95, n_boot: int = 1000,
          seed: int | None = 12345, omega_nfactors: int | None = 1, scale: str | None = None,
          ordinal: bool = False, file=None) -> ReliabilityResult:
    """Cronbach's alpha with confidence intervals, item statistics and omega.

    Parameters
    ----------
    data : DataFrame
        Item responses (one row per respondent).
    items : list of str
        Item columns (at least 3).
    reverse : list of str or dict, optional
        Items to reverse-key as ``scale_min + scale_max - x`` (raw data only; the clean data
        set is already reverse keyed); a dict ``{item: (min, max)}`` gives per-item scales
        (``rsnprop.instrument.reverse_keys(ins, construct)``).  Without ``scale_min``/``scale_max`` the observed
        minimum and maximum over the items are used, as ``psych::alpha(keys=)`` does.
    missing : {"auto", "listwise", "pairwise"}
        ``"auto"`` (default) = ``"listwise"``: equals ``psych::alpha(na.omit(x))``; rows dropped
        are counted (``n`` of ``n_total``) and warned about.  ``"pairwise"`` reproduces
        ``psych::alpha(x)`` (psych's default).
    ci_level : float
        Level of the Feldt and bootstrap intervals.
    n_boot : int
        Bootstrap resamples for the percentile interval of alpha (0 to skip).
    seed : int
        Seed of the bootstrap (``numpy.random.default_rng``).
    omega_nfactors : int or None
        Number of group factors for omega (psych::omega); 1 gives the one-factor omega.
        None skips omega.
    ordinal : bool
        Also report ordinal alpha (Zumbo, Gadermann & Zeisser 2007): standardised alpha of
        the polychoric correlation matrix, ``psych::alpha(polychoric(x)$rho)$total$std.alpha``
        (polychoric on the rows kept by ``missing``).

    Returns
    -------
    ReliabilityResult

    Notes
    -----
    R: ``psych::alpha(x, keys = reverse)`` (``$total``, ``$feldt``, ``$item.stats``,
    ``$alpha.drop``) and ``psych::omega(x, nfactors = omega_nfactors)``.  The bootstrap interval
    resamples rows like ``psych::alpha(n.iter = )`` but with numpy's generator, so it agrees
    with R only up to Monte Carlo error.
    """
    warn: list = []
    frame = _keyed_items(data, items, reverse, scale_min, scale_max, file)
    missing = resolve_missing(missing)
    n_total = len(frame)
    frame = apply_missing(frame, missing)
    n, k = frame.shape
    rows_dropped_note(n, n_total, "psych::alpha", warn)
    C = _item_covariance(frame, missing)
    check_singular(cov2cor(C), "item correlation matrix", warn)
    tot = alpha_from_cov(C)
    lower, upper = feldt_ci(tot["raw"], n, k, ci_level)
    X = frame.to_numpy()
    rows = _item_statistics(list(frame.columns), X, C, reverse, warn)
    boot_lo = boot_hi = None
    if n_boot and n_boot > 0:
        boot_lo, boot_hi = _boot_alpha(X, int(n_boot), seed, missing, ci_level)
    om_t, om_h = _omega(frame, missing, omega_nfactors, warn)
    a_ord = _ordinal_alpha(frame, warn) if ordinal else None
    _warn_negative_items(warn)
    return ReliabilityResult(
        n=int(n), n_items=int(k), missing=missing, alpha=tot["raw"], alpha_std=tot["std"],
        g6=tot["g6"], average_r=tot["average_r"], ase=float(np.sqrt(tot["Q"] / n)),
        alpha_ci_lower=lower, alpha_ci_upper=upper, alpha_boot_ci_lower=boot_lo,
        alpha_boot_ci_upper=boot_hi, n_boot=int(n_boot or 0), omega_total=om_t, omega_h=om_h,
        omega_nfactors=omega_nfactors, items=rows, reversed=[str(r) for r in (reverse or [])],
        ci_level=ci_level, seed=seed, scale=scale, warnings=warn, alpha_ordinal=a_ord, n_total=int(n_total))


def _keyed_items(data, items, reverse, scale_min, scale_max, file):
    """The item columns, checked (and within the scale when it is given), reverse keyed."""
    frame = select_items(data, items, min_items=3, file=file)
    if scale_min is not None and scale_max is not None:
        from .item_data import check_range

        check_range(frame, {c: (scale_min, scale_max) for c in frame.columns}, file=file)
    return reverse_items(frame, reverse, scale_min, scale_max, file=file)


def _item_covariance(frame, missing: str) -> np.ndarray:
    """Item covariance matrix; InputError when a pair of items has too few rows in common."""
    C = cov_matrix(frame, missing)
    if np.isnan(C).any():
        from ..errors import InputError

        raise InputError("some pairs of items have fewer than 2 observations in common; "
                         "use missing='listwise' or drop the sparse item", parameter="missing",
                         value=missing)
    return C


def _item_statistics(names: list, X: np.ndarray, C: np.ndarray, reverse, warn: list) -> list:
    """One row per item as ``psych::alpha``'s ``item.stats`` and ``alpha.drop``; warns about
    items correlating negatively with the rest of the scale."""

    k = len(names)
    R = cov2cor(C)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        total = np.nanmean(X, axis=1)
    raw_r = pd.DataFrame(X).corrwith(pd.Series(total)).to_numpy()
    std_r = R.sum(axis=0) / np.sqrt(R.sum())
    RC = R.copy()
    np.fill_diagonal(RC, smc(R))
    r_cor = RC.sum(axis=0) / np.sqrt(RC.sum())
    rows = []
    for i, name in enumerate(names):
        keep = [j for j in range(k) if j != i]
        Ci = C[np.ix_(keep, keep)]
        c_drop = C[:, i].sum() - C[i, i]
        r_drop = c_drop / np.sqrt(C[i, i] * Ci.sum())
        drop = alpha_from_cov(Ci)
        col = X[:, i]
        rows.append({
            "item": name, "n": int((~np.isnan(col)).sum()),
            "mean": float(np.nanmean(col)), "sd": float(np.nanstd(col, ddof=1)),
            "raw_r": float(raw_r[i]), "std_r": float(std_r[i]), "r_cor": float(r_cor[i]),
            "r_drop": float(r_drop), "alpha_if_deleted": drop["raw"],
            "std_alpha_if_deleted": drop["std"],
            "reversed": name in set(map(str, reverse or [])),
        })
        if r_drop < 0:
            warn.append(f"item {name} correlates negatively with the rest of the scale "
                        f"(r_drop = {r_drop:.3f}): should it be reverse keyed?")
    return rows


def _omega(frame, missing: str, nfactors, warn: list):
    """``(omega_total, omega_h)`` of the items (``(None, None)`` when skipped or failing)."""
    if not nfactors:
        return None, None

    try:
        om = omega_from_matrix(cor_matrix(frame, missing), nfactors=int(nfactors), warn_list=warn)
        return float(om.omega_total), float(om.omega_h)
    except (np.linalg.LinAlgError, ValueError) as err:
        warn.append(f"omega could not be computed: {err}")
        return None, None


def _ordinal_alpha(frame, warn: list) -> float:
    """Standardised alpha of the polychoric correlation matrix."""

    pc = polychoric(frame)
    warn.extend(pc.warnings)
    return alpha_from_cov(pc.rho)["std"]


def _warn_negative_items(warn: list) -> None:
    """Issue the negatively-correlating-item messages as DataQualityWarning."""
    for w in warn:
        if "negatively" in w:
            from ..errors import DataQualityWarning

            warnings.warn(w, DataQualityWarning, stacklevel=3)
