"""Exploratory factor extraction as ``psych::fa`` (minres and ML), on a correlation matrix.

This is the numerical core used by :func:`rsnprop.measure.exploratory.efa`, by omega
(:mod:`rsnprop.measure.schmid_leiman`) and by parallel analysis.  It follows ``psych::fa`` step by
step: uniquenesses are found by L-BFGS-B from ``1 - SMC`` within ``[0.005, max(SMC, 1)]``
(minres: sum of squared off-diagonal residuals; ML: the ``FAfn`` likelihood), loadings from
the eigen decomposition, columns signed to positive sums, rotated, signed again and ordered by
the variance they account for.  Fit statistics follow ``psych::factor.stats``.

Examples
--------
>>> import numpy as np
>>> from rsnprop.measure.factor import fa_matrix
>>> r = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
>>> res = fa_matrix(r, nfactors=1, fm="minres")
>>> [round(float(v), 3) for v in res.loadings[:, 0]]     # psych::fa(r, 1)$loadings
[0.816, 0.612, 0.49]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize

from ._matrix import cor_smooth, cov2cor, single_threaded, smc
from .rotation import rotate as _rotate
from .statistics import NamedStatistics

__all__ = ["fa_matrix", "extract", "FactorSolution"]


class FactorSolution(NamedStatistics):
    """Result of :func:`fa_matrix` (see there for the statistics)."""

    title = "Factor analysis"

    def headline(self) -> list:
        """Method, rotation, number of factors, fit."""
        out = [f"{self.nfactors} factor(s), {self.fm}, {self.rotate} rotation"
               + ("" if self.converged else " (did not converge)")]
        if self.rmsea is not None:
            out.append(f"chi2({self.dof:g}) = {self.chi2:.2f}, RMSEA = {self.rmsea:.3f}, "
                       f"TLI = {self.tli:.3f}")
        return out

    def to_frame(self):
        """One row per variable (1-based position): loadings, communality, uniqueness."""

        L = np.asarray(self.loadings)
        frame = pd.DataFrame(L, columns=[f"F{j + 1}" for j in range(L.shape[1])])
        frame.insert(0, "variable", np.arange(1, L.shape[0] + 1))
        frame["communality"] = self.communality
        frame["uniqueness"] = self.uniquenesses
        return frame


def _minres_obj(psi, S, nf):
    Sm = S.copy()
    np.fill_diagonal(Sm, 1.0 - psi)
    val, vec = np.linalg.eigh(Sm)
    val = val[::-1][:nf]
    vec = vec[:, ::-1][:, :nf]
    val = np.where(val < np.finfo(float).eps, 100 * np.finfo(float).eps, val)
    load = vec * np.sqrt(val)
    resid = S - load @ load.T
    low = resid[np.tril_indices_from(resid, -1)]
    return float((low ** 2).sum())


def _minres_grad(psi, S, nf):
    Ss = S - np.diag(psi)
    val, vec = np.linalg.eigh(Ss)
    val = val[::-1][:nf]
    vec = vec[:, ::-1][:, :nf]
    load = vec * np.sqrt(np.maximum(val, 0))
    g = load @ load.T + np.diag(psi) - S
    return np.diag(g).copy()


def _ml_obj(psi, S, nf):
    sc = 1.0 / np.sqrt(psi)
    Ss = S * sc[:, None] * sc[None, :]
    e = np.linalg.eigvalsh(Ss)[::-1][nf:]
    return float(-(np.sum(np.log(e) - e) - nf + S.shape[0]))


def _ml_grad(psi, S, nf):
    sc = 1.0 / np.sqrt(psi)
    Ss = S * sc[:, None] * sc[None, :]
    val, vec = np.linalg.eigh(Ss)
    val = val[::-1][:nf]
    vec = vec[:, ::-1][:, :nf]
    load = vec * np.sqrt(np.maximum(val - 1, 0))
    load = np.sqrt(psi)[:, None] * load
    g = load @ load.T + np.diag(psi) - S
    return np.diag(g) / psi ** 2


def extract(S: np.ndarray, nfactors: int, fm: str = "minres"):
    """Unrotated loadings and uniquenesses (psych's ``fit`` inside ``fa``).

    Returns ``(loadings, psi, converged)``.
    """

    S = np.asarray(S, dtype=float)
    s_smc = smc(S)
    upper = max(s_smc.max(), 1.0)
    start = np.diag(S) - s_smc
    start = np.clip(start, 0.005, upper)
    if fm == "ml":
        fun, jac = _ml_obj, _ml_grad
    else:
        fun, jac = _minres_obj, _minres_grad
    res = minimize(fun, start, jac=jac, args=(S, nfactors), method="L-BFGS-B",
                   bounds=[(0.005, upper)] * len(start),
                   options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000})
    psi = res.x
    ok = bool(res.success)
    if not ok:  # L-BFGS-B stops "abnormally" at an exact optimum (objective ~ 0): check the
        g = jac(psi, S, nfactors)  # projected gradient instead
        g = np.where((psi <= 0.005 + 1e-12) & (g > 0), 0.0, g)
        g = np.where((psi >= upper - 1e-12) & (g < 0), 0.0, g)
        ok = bool(np.max(np.abs(g)) < 1e-5)
    if fm == "ml":
        sc = 1.0 / np.sqrt(psi)
        Ss = S * sc[:, None] * sc[None, :]
        val, vec = np.linalg.eigh(Ss)
        val = val[::-1][:nfactors]
        vec = vec[:, ::-1][:, :nfactors]
        load = np.sqrt(psi)[:, None] * (vec * np.sqrt(np.maximum(val - 1, 0)))
    else:
        Sm = S - np.diag(psi)
        val, vec = np.linalg.eigh(Sm)
        val = val[::-1][:nfactors]
        vec = vec[:, ::-1][:, :nfactors]
        load = vec * np.sqrt(np.maximum(val, 0))
    return load, psi, ok


def _sign_cols(L, phi=None):
    s = np.sign(L.sum(axis=0))
    s[s == 0] = 1
    L = L * s[None, :]
    if phi is not None:
        phi = phi * s[:, None] * s[None, :]
    return L, phi


@single_threaded
def fa_matrix(r: np.ndarray, nfactors: int = 1, fm: str = "minres", rotate: str = "oblimin",
              n_obs: float | None = None, warn_list: list | None = None) -> FactorSolution:
    """Factor analysis of a correlation matrix, as ``psych::fa(r, nfactors, n.obs, fm, rotate)``.

    Parameters
    ----------
    r : (p, p) array
        Correlation matrix.
    nfactors : int
    fm : {"minres", "ml"}
    rotate : {"oblimin", "promax", "Promax", "varimax", "none"}
    n_obs : number of observations (for chi-square, RMSEA, TLI, BIC), optional.

    Returns
    -------
    FactorSolution with ``loadings`` (p x k, rotated and ordered), ``phi`` (k x k or None),
    ``structure``, ``communality``, ``uniquenesses``, ``values`` (eigenvalues of r with
    communalities on the diagonal), ``e_values`` (eigenvalues of r), ``ss_loadings``,
    ``objective``, ``chi2``, ``dof``, ``pvalue``, ``rmsea``, ``tli``, ``bic``, ``rms``,
    ``converged``.
    """
    fm = {"mle": "ml", "ML": "ml", "MLE": "ml"}.get(fm, fm)
    if fm not in ("minres", "ml"):
        from ..errors import InputError

        raise InputError("unknown factoring method; use minres or ml", parameter="fm", value=fm)
    r = cov2cor(np.asarray(r, dtype=float))
    warn = warn_list if warn_list is not None else []
    load, psi, ok = extract(r, nfactors, fm)
    if not ok:
        from ..errors import ConvergenceWarning

        msg = f"factor extraction ({fm}, {nfactors} factors) did not converge"
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        warn.append(msg)
    load, _ = _sign_cols(load)
    load[load == 0] = 1e-15
    model = load @ load.T
    Sd = r.copy()
    np.fill_diagonal(Sd, np.diag(model))
    values = np.sort(np.linalg.eigvalsh(Sd))[::-1]
    e_values = np.sort(np.linalg.eigvalsh(r))[::-1]
    phi = None
    if nfactors > 1 and rotate != "none":
        L, phi, _ = _rotate(load, rotate, warn_list=warn)
    else:
        L = load.copy()
    L, phi = _sign_cols(L, phi)
    if nfactors > 1:
        ev = np.diag(L.T @ L) if phi is None else np.diag(phi @ L.T @ L)
        order = np.argsort(-ev, kind="stable")
        L = L[:, order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    communality = np.diag(model).copy()
    if communality.max() > 1:
        from ..errors import HeywoodCaseWarning

        msg = "an ultra-Heywood case was detected (a communality above 1): examine the solution"
        warnings.warn(msg, HeywoodCaseWarning, stacklevel=2)
        warn.append(msg)
    uniq = np.diag(r - model).copy()
    if phi is None:
        ss = (L ** 2).sum(axis=0)
        structure = L
    else:
        ss = np.diag(phi @ L.T @ L)
        structure = L @ phi
    out = {"loadings": L, "phi": phi, "structure": structure, "communality": communality,
           "uniquenesses": uniq, "values": values, "e_values": e_values, "ss_loadings": ss,
           "prop_var": ss / (communality + uniq).sum(), "converged": ok, "fm": fm,
           "rotate": rotate, "nfactors": nfactors}
    out.update(_fit_stats(r, L, phi, n_obs, nfactors))
    return FactorSolution(out)


def _fit_stats(r, f, phi, n_obs, nfactors):
    """The subset of ``psych::factor.stats`` reported by rsnprop."""

    n = r.shape[0]
    model = f @ f.T if phi is None else f @ phi @ f.T
    residual = r - model
    dof = n * (n - 1) / 2 - n * nfactors + nfactors * (nfactors - 1) / 2
    resid_off = residual.copy()
    np.fill_diagonal(resid_off, 0)
    rstar_off = float((resid_off ** 2).sum())
    rms = np.sqrt(rstar_off / (n * (n - 1)))
    m = model.copy()
    np.fill_diagonal(m, np.diag(r))
    m = cor_smooth(m)
    rr = cor_smooth(r)
    try:
        mir = np.linalg.solve(m, rr)
        sign, logdet = np.linalg.slogdet(mir)
        objective = float(np.trace(mir) - logdet - n)
    except np.linalg.LinAlgError:
        objective = float("nan")
    out = {"objective": objective, "dof": dof, "rms": float(rms), "chi2": None, "pvalue": None,
           "rmsea": None, "tli": None, "bic": None, "n_obs": n_obs}
    if n_obs:
        nm = (n_obs - 1) - (2 * n + 5) / 6 - (2 * nfactors) / 3
        chisq = max(objective * nm, 0.0)
        out["chi2"] = chisq
        out["pvalue"] = float(stats.chi2.sf(chisq, dof)) if dof > 0 else None
        sign, logdet_r = np.linalg.slogdet(r)
        F0 = float(np.trace(r) - logdet_r - n)
        Mm = objective / dof if dof > 0 else float("nan")
        M0 = F0 * 2 / (n * (n - 1))
        out["tli"] = (M0 - Mm) / (M0 - 1 / nm) if dof > 0 else None
        if dof > 0:
            out["rmsea"] = float(np.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0)))
            out["bic"] = chisq - dof * np.log(n_obs)
    return out
