"""McDonald's omega (total and hierarchical) by the Schmid-Leiman approach of
``psych::omega``.

The steps follow ``psych::schmid`` and ``psych:::omegah``: a minres (or ML) factor analysis
with ``nfactors`` factors and varimax rotation, an oblimin transformation of those loadings
(``GPArotation::oblimin``), a general factor extracted from the factor correlations (one
factor of Phi for three or more factors; equal loadings ``sqrt(|phi_12|)`` for two), the
Schmid-Leiman transformation, then

* ``omega_total = (V_t - sum(u2)) / V_t`` (``omega.tot``),
* ``omega_h = (sum g)^2 / V_t`` (``omega_h``), ``omega_lim = (sum g)^2 / (V_t - sum(u2))``,

with ``V_t`` the sum of the correlation matrix.  With ``nfactors=1`` the "general" factor is
the single factor, so ``omega_h`` is the congeneric one-factor omega ``(sum lambda)^2 / V_t``.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.measure.schmid_leiman import omega
>>> from rsnprop.datasets import holzinger_swineford
>>> hs = holzinger_swineford()[[f"x{i}" for i in range(1, 10)]]
>>> res = omega(hs, nfactors=3)          # psych::omega(hs, nfactors = 3)
>>> round(float(res.omega_h), 3), round(float(res.omega_total), 3)
(0.449, 0.851)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._matrix import check_singular, cov2cor, single_threaded, smc
from .factor import fa_matrix
from .item_data import apply_missing, cor_matrix, select_items
from .rotation import oblimin
from .statistics import NamedStatistics

__all__ = ["omega", "omega_from_matrix", "schmid", "SchmidLeimanResult", "OmegaResult"]


def _variables(res, p: int) -> list:
    """Item names when the result knows them, else 1-based positions."""
    return list(res.get("items") or range(1, p + 1))


class SchmidLeimanResult(NamedStatistics):
    """Result of :func:`schmid`: ``g`` (general loadings), ``specific`` (group loadings),
    ``h2``, ``u2``, ``oblique``, ``phi``, ``gloading``, ``orthogonal``."""

    title = "Schmid-Leiman solution"

    def to_frame(self):
        """One row per variable: general and group-factor loadings, h2, u2."""

        spec = np.asarray(self.specific)
        frame = pd.DataFrame({"variable": _variables(self, len(self.g)), "g": self.g})
        for j in range(spec.shape[1]):
            frame[f"F{j + 1}"] = spec[:, j]
        frame["h2"] = self.h2
        frame["u2"] = self.u2
        return frame


class OmegaResult(NamedStatistics):
    """Result of :func:`omega` and :func:`omega_from_matrix` (see there for the statistics)."""

    title = "McDonald's omega"

    def headline(self) -> list:
        """Omega total and hierarchical."""
        out = [f"omega total = {self.omega_total:.3f}, omega hierarchical = {self.omega_h:.3f} "
               f"({self.nfactors} group factor(s))"]
        if "n" in self:
            out.append(f"n = {self.n} rows ({self.missing}), {self.correlation} correlations")
        return out

    def to_frame(self):
        """One row per item: general-factor loading, communality, uniqueness."""

        return pd.DataFrame({"variable": _variables(self, len(self.g_loadings)),
                             "g_loading": self.g_loadings, "h2": self.h2, "u2": self.u2})


def schmid(r: np.ndarray, nfactors: int = 3, fm: str = "minres", option: str = "equal",
           warn_list=None) -> SchmidLeimanResult:
    """Schmid-Leiman solution as ``psych::schmid(r, nfactors, fm)`` (rotate = "oblimin")."""
    r = cov2cor(np.asarray(r, dtype=float))
    fact = fa_matrix(r, nfactors, fm=fm, rotate="varimax", warn_list=warn_list)
    orth = fact.loadings
    if nfactors == 1:
        fload = orth
        gload = np.array([1.0])
        phi = np.eye(1)
    else:
        fload, phi, _ = oblimin(orth, warn_list=warn_list)
        if nfactors > 2:
            g = fa_matrix(phi, 1, fm=fm, rotate="none", warn_list=warn_list)
            gload = g.loadings[:, 0]
        else:
            if option != "equal":
                from ..errors import InputError

                raise InputError("only option='equal' is implemented for two factors",
                                 parameter="option", value=option)
            gload = np.array([np.sqrt(abs(phi[0, 1])),
                              np.sign(phi[0, 1]) * np.sqrt(abs(phi[0, 1]))])
    g = fload @ gload
    h2 = (orth ** 2).sum(axis=1)
    u2 = np.diag(r) - h2
    uniq = np.diag(r)[:, None] - fload ** 2
    primeload = fload * gload[None, :]
    uniq2 = np.diag(r)[:, None] - uniq - primeload ** 2
    uniq2[uniq2 < 0] = 0
    sm = np.sign(fload) * np.sqrt(uniq2)
    return SchmidLeimanResult({"g": g, "specific": sm, "h2": h2, "u2": u2, "oblique": fload,
                               "phi": phi, "gloading": gload, "orthogonal": orth})


@single_threaded
def omega_from_matrix(r: np.ndarray, nfactors: int = 3, fm: str = "minres",
                      flip: bool = True, warn_list=None) -> OmegaResult:
    """Omega from a correlation matrix (``psych::omega(r, nfactors, fm)``)."""
    r = cov2cor(np.asarray(r, dtype=float))
    p = r.shape[0]
    sl = schmid(r, nfactors, fm, warn_list=warn_list)
    g = sl.g.copy()
    spec = sl.specific.copy()
    m = r.copy()
    key = np.sign(g)
    key[key == 0] = 1
    if flip and key.sum() < p:
        m = m * key[:, None] * key[None, :]
        g = g * key
        spec = spec * key[:, None]
    Vt = m.sum()
    Vitem = np.trace(m)
    gsq = g.sum() ** 2
    uniq = sl.u2.sum()
    om_tot = (Vt - uniq) / Vt
    alpha = ((Vt - Vitem) / Vt) * (p / (p - 1))
    g6 = (Vt + smc(m).sum() - Vitem) / Vt
    if nfactors > 1:
        ev = np.concatenate([[np.sum(g ** 2)], (spec ** 2).sum(axis=0)])
    else:
        ev = np.array([np.sum(g ** 2), 0.0])
    return OmegaResult({"nfactors": nfactors, "omega_h": gsq / Vt, "omega_total": om_tot,
                        "omega_lim": gsq / (Vt - uniq), "alpha": alpha, "g6": g6,
                        "ecv": ev[0] / ev.sum(), "g_loadings": g, "specific_loadings": spec,
                        "h2": sl.h2, "u2": sl.u2, "phi": sl.phi, "flipped": (key < 0).tolist()})


@single_threaded
def omega(data, items=None, nfactors: int = 3, fm: str = "minres", missing: str = "listwise",
          correlation: str = "pearson", warn_list=None) -> OmegaResult:
    """Omega total and hierarchical from raw item data (``psych::omega(data, nfactors)``).

    Parameters
    ----------
    data : DataFrame or array
        Item responses, already reverse keyed.
    items : list of column names, optional (default: every numeric column)
    nfactors : int, default 3 (as psych)
    fm : {"minres", "ml"}
    missing : {"listwise", "pairwise"}
        psych uses pairwise correlations; listwise drops incomplete rows first.
    correlation : {"pearson", "polychoric"}
        ``"polychoric"`` is ``psych::omega(x, poly = TRUE)`` (pairwise polychoric).

    Returns
    -------
    OmegaResult with ``omega_h``, ``omega_total``, ``omega_lim``, ``alpha``, ``g6``, ``ecv``,
    ``g_loadings``, ``h2``, ``n``, ``missing``.
    """

    frame = apply_missing(select_items(data, items, min_items=3), missing)
    if correlation == "polychoric":
        from .polychoric_correlation import polychoric

        pc = polychoric(frame)
        r = pc.rho
        if warn_list is not None:
            warn_list.extend(pc.warnings)
    else:
        r = cor_matrix(frame, missing)

    check_singular(r, "item correlation matrix", warn_list)
    out = omega_from_matrix(r, nfactors=nfactors, fm=fm, warn_list=warn_list)
    return OmegaResult({**out, "correlation": correlation, "n": int(len(frame)),
                        "missing": missing, "items": list(frame.columns)})
