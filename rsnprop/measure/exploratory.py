"""Factor structure: KMO, Bartlett's test of sphericity, parallel analysis and exploratory
factor analysis with a loadings table that flags cross-loadings.

* :func:`kmo` -- ``psych::KMO`` (overall MSA and per item).
* :func:`bartlett` -- ``psych::cortest.bartlett(R, n)``:
  ``chi2 = -log(det R) * (n - 1 - (2p + 5)/6)``, ``df = p(p-1)/2``.
* :func:`parallel_analysis` -- ``psych::fa.parallel`` (``fa = "both"``, simulated normal
  data, 95th percentile): the observed eigenvalues are psych's exactly; the simulated ones
  use numpy's generator (seeded), so they agree with R up to Monte Carlo error.
* :func:`efa` -- all of the above plus ``psych::fa(x, nfactors, fm, rotate)``.

Examples
--------
>>> from rsnprop.measure import efa
>>> from rsnprop.datasets import holzinger_swineford
>>> res = efa(holzinger_swineford(), items=[f"x{i}" for i in range(1, 10)], nfactors=3,
...           seed=1)
>>> round(res.kmo, 3), round(res.bartlett_chi2, 1)     # psych::KMO, psych::cortest.bartlett
(0.752, 904.1)
>>> res.nfactors, res.parallel_analysis_factors
(3, 3)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..results import Result, jsonsafe
from ._matrix import check_singular, cov2cor, single_threaded
from .factor import fa_matrix
from .item_data import apply_missing, cor_matrix, resolve_missing, rows_dropped_note, select_items
from .statistics import NamedStatistics

__all__ = ["kmo", "bartlett", "parallel_analysis", "efa", "EFAResult", "loadings_table",
           "KMOResult", "BartlettResult", "ParallelAnalysisResult"]


class KMOResult(NamedStatistics):
    """Result of :func:`kmo`: ``msa`` (overall) and ``msai`` (per variable, in order)."""

    title = "Kaiser-Meyer-Olkin measure of sampling adequacy"

    def headline(self) -> list:
        """The overall MSA."""
        return [f"KMO = {self.msa:.3f}"]

    def to_frame(self):
        """One row per variable (1-based position): its MSA."""

        return pd.DataFrame({"variable": np.arange(1, len(self.msai) + 1), "msa": self.msai})


class BartlettResult(NamedStatistics):
    """Result of :func:`bartlett`: ``chi2``, ``df``, ``pvalue``."""

    title = "Bartlett's test of sphericity"

    def headline(self) -> list:
        """The test statistic."""
        return [f"chi2({self.df}) = {self.chi2:.2f}, p = {self.pvalue:.3g}"]

    def to_frame(self):
        """One row: ``chi2, df, pvalue``."""

        return pd.DataFrame([{"chi2": self.chi2, "df": self.df, "pvalue": self.pvalue}])


class ParallelAnalysisResult(NamedStatistics):
    """Result of :func:`parallel_analysis` (see there for the statistics)."""

    title = "Parallel analysis"

    def headline(self) -> list:
        """The numbers of factors and components suggested."""
        return [f"{self.nfactors} factor(s), {self.ncomponents} component(s) "
                f"({self.n_iter} simulated data sets, seed {self.seed})"]

    def to_frame(self):
        """One row per position: observed, mean simulated and quantile eigenvalues."""

        return pd.DataFrame({"position": np.arange(1, len(self.fa_values) + 1),
                             "fa_values": self.fa_values, "fa_sim": self.fa_sim,
                             "fa_sim_quantile": self.fa_sim_quantile, "pc_values": self.pc_values,
                             "pc_sim": self.pc_sim, "pc_sim_quantile": self.pc_sim_quantile})


def kmo(r: np.ndarray) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy (``psych::KMO(r)``).

    Returns a :class:`KMOResult`: ``msa`` (overall) and ``msai`` (per item, an array).
    """
    r = cov2cor(np.asarray(r, dtype=float))
    try:
        Q = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        Q = r.copy()
    Q = cov2cor(Q)
    np.fill_diagonal(Q, 0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0)
    sq, sr = (Q ** 2), (r0 ** 2)
    msa = sr.sum() / (sr.sum() + sq.sum())
    msai = sr.sum(axis=0) / (sr.sum(axis=0) + sq.sum(axis=0))
    return KMOResult({"msa": float(msa), "msai": msai})


def bartlett(r: np.ndarray, n: int) -> BartlettResult:
    """Bartlett's test that ``r`` is an identity matrix (``psych::cortest.bartlett(r, n)``).

    Returns a :class:`BartlettResult`: ``chi2``, ``df``, ``pvalue``.
    """

    r = np.asarray(r, dtype=float).copy()
    np.fill_diagonal(r, 1.0)
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        logdet = -np.inf
    chi2 = -logdet * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) / 2
    return BartlettResult({"chi2": float(chi2), "df": int(df),
                           "pvalue": float(stats.chi2.sf(chi2, df))})


@single_threaded
def parallel_analysis(data=None, items=None, *, r=None, n_obs=None, n_iter: int = 20,
                      quantile: float = 0.95, fm: str = "minres", seed: int | None = 12345,
                      missing: str = "auto") -> ParallelAnalysisResult:
    """Horn's parallel analysis as ``psych::fa.parallel`` (simulated normal data).

    The number of factors (components) is the count of leading observed eigenvalues of the
    reduced (full) correlation matrix above the ``quantile`` of the simulated ones.  The
    reduced eigenvalues come from a one-factor ``fm`` solution as in psych (``SMC = FALSE``).

    Returns a :class:`ParallelAnalysisResult` with ``nfactors``, ``ncomponents``, ``fa_values``, ``pc_values``,
    ``fa_sim`` (mean), ``pc_sim`` (mean), ``fa_sim_quantile``, ``pc_sim_quantile``,
    ``n_iter``, ``seed``.
    """
    if r is None:
        frame = apply_missing(select_items(data, items), missing)
        r = cor_matrix(frame, missing)
        n_obs = len(frame) if n_obs is None else n_obs
    r = cov2cor(np.asarray(r, dtype=float))
    p = r.shape[0]
    if not n_obs:
        from ..errors import InputError

        raise InputError("parallel analysis needs the number of observations", parameter="n_obs")
    pc_values = np.sort(np.linalg.eigvalsh(r))[::-1]
    fa_values = fa_matrix(r, 1, fm=fm, rotate="none").values
    rng = np.random.default_rng(seed)
    sim_pc = np.empty((n_iter, p))
    sim_fa = np.empty((n_iter, p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n_iter):
            x = rng.standard_normal((int(n_obs), p))
            c = np.corrcoef(x, rowvar=False)
            sim_pc[i] = np.sort(np.linalg.eigvalsh(c))[::-1]
            sim_fa[i] = fa_matrix(c, 1, fm=fm, rotate="none").values
    q_pc = np.quantile(sim_pc, quantile, axis=0)
    q_fa = np.quantile(sim_fa, quantile, axis=0)

    def _count(obs, q):
        below = np.nonzero(~(obs > q))[0]
        return int(below[0]) if below.size else int(len(obs))

    return ParallelAnalysisResult({
        "nfactors": _count(fa_values, q_fa), "ncomponents": _count(pc_values, q_pc),
        "fa_values": fa_values, "pc_values": pc_values, "fa_sim": sim_fa.mean(axis=0),
        "pc_sim": sim_pc.mean(axis=0), "fa_sim_quantile": q_fa, "pc_sim_quantile": q_pc,
        "n_iter": n_iter, "quantile": quantile, "seed": seed, "fm": fm})


def loadings_table(loadings: np.ndarray, items, factor_names=None, *, primary_min: float = 0.4,
                   cross_min: float = 0.3, communality=None) -> list[dict]:
    """One row per item: loadings, the primary factor, and flags.

    An item is flagged ``cross_loading`` when a second factor's loading is ``>= cross_min``
    in absolute value, and ``weak`` when its largest loading is below ``primary_min``.
    """
    L = np.asarray(loadings, dtype=float)
    k = L.shape[1]
    names = factor_names or [f"F{j + 1}" for j in range(k)]
    rows = []
    for i, item in enumerate(items):
        a = np.abs(L[i])
        order = np.argsort(-a, kind="stable")
        row = {"item": item}
        row.update({names[j]: float(L[i, j]) for j in range(k)})
        row["primary"] = names[order[0]]
        row["cross_loadings"] = [names[j] for j in order[1:] if a[j] >= cross_min]
        row["cross_loading"] = bool(row["cross_loadings"])
        row["weak"] = bool(a[order[0]] < primary_min)
        if communality is not None:
            row["communality"] = float(communality[i])
        rows.append(row)
    return rows


@dataclass(repr=False)
class EFAResult(Result):
    """Result of :func:`efa`."""

    n: int
    missing: str
    correlation: str
    items: list
    kmo: float
    kmo_items: dict
    bartlett_chi2: float
    bartlett_df: int
    bartlett_pvalue: float
    parallel_analysis_factors: int | None
    parallel_analysis_components: int | None
    parallel: dict | None
    nfactors: int
    fm: str
    rotation: str
    loadings: list
    phi: list | None
    fit: dict
    eigenvalues: list
    variance: dict
    cross_loading_threshold: float
    warnings: list = field(default_factory=list)
    title: str = "Exploratory factor analysis"
    n_total: int | None = None

    def headline(self) -> list:
        """KMO, Bartlett, parallel analysis, factors extracted and their correlations."""
        out = [f"KMO = {self.kmo:.3f}; Bartlett chi2({self.bartlett_df}) = {self.bartlett_chi2:.2f}, "
               f"p = {self.bartlett_pvalue:.3g}"]
        if self.parallel_analysis_factors is not None:
            seed = (self.parallel or {}).get("seed")
            out.append(f"parallel analysis ({(self.parallel or {}).get('n_iter')} simulated data sets, seed {seed}): "
                       f"{self.parallel_analysis_factors} factor(s), {self.parallel_analysis_components} "
                       f"component(s); {self.nfactors} extracted")
        else:
            out.append(f"{self.nfactors} factor(s) extracted")
        if self.phi is not None:
            names = [f"{'ML' if self.fm == 'ml' else 'MR'}{j + 1}" for j in range(self.nfactors)]
            pairs = [f"{names[i]}-{names[j]} {self.phi[i][j]:.2f}" for i in range(self.nfactors)
                     for j in range(i + 1, self.nfactors)]
            out.append("factor correlations: " + ", ".join(pairs))
        out.append(f"n = {self.n} of {self.n_total if self.n_total is not None else self.n} rows "
                   f"({self.missing}), {len(self.items)} items, {self.fm}, {self.rotation} rotation")
        return out

    def to_dict(self) -> dict:
        keys = ["n", "n_total", "missing", "correlation", "items", "kmo", "kmo_items", "bartlett_chi2",
                "bartlett_df", "bartlett_pvalue", "parallel_analysis_factors",
                "parallel_analysis_components", "parallel", "nfactors", "fm", "rotation",
                "loadings", "phi", "fit", "eigenvalues", "variance", "cross_loading_threshold",
                "warnings"]
        return jsonsafe({k: getattr(self, k) for k in keys})

    def to_frame(self):
        frame = pd.DataFrame(self.loadings)
        frame["cross_loadings"] = frame["cross_loadings"].map(", ".join)
        return frame

    def summary(self) -> str:
        head = [
            f"{self.title}: n = {self.n} of {self.n_total if self.n_total is not None else self.n} rows "
            f"({self.missing}), {len(self.items)} items, "
            f"{self.correlation} correlations",
            f"KMO = {self.kmo:.3f}; Bartlett chi2({self.bartlett_df}) = {self.bartlett_chi2:.2f}, "
            f"p = {self.bartlett_pvalue:.3g}",
        ]
        if self.parallel_analysis_factors is not None:
            head.append(f"parallel analysis: {self.parallel_analysis_factors} factor(s), "
                        f"{self.parallel_analysis_components} component(s)")
        head.append(f"{self.nfactors} factor(s), {self.fm}, {self.rotation} rotation; "
                    f"cross-loadings flagged at |loading| >= {self.cross_loading_threshold}")
        body = super().summary().split("\n", 2)[-1]
        tail = [f"warning: {w}" for w in self.warnings]
        return "\n".join(head + [body] + tail)


@single_threaded
def efa(data, items=None, *, nfactors: int | None = None, fm: str = "minres",
        rotate: str = "oblimin", correlation: str = "pearson", missing: str = "auto",
        n_iter: int = 20, seed: int | None = 12345, parallel: bool = True,
        cross_loading: float = 0.3, primary_min: float = 0.4, file=None) -> EFAResult:
    """Sampling adequacy, sphericity, number of factors and an exploratory factor analysis.

    Parameters
    ----------
    data : DataFrame
    items : list of str (at least 3)
    nfactors : int, optional
        Number of factors; by default the parallel-analysis suggestion (at least 1).
    fm : {"minres", "ml"}
    rotate : {"oblimin", "promax", "varimax", "none"}
    correlation : {"pearson", "polychoric"}
        Polychoric correlations for ordinal items (``psych::polychoric``).
    missing : {"auto", "listwise", "pairwise"}
        ``"auto"`` (default, docs/missing-data.md) = ``"listwise"``: the numbers of
        ``psych::fa(na.omit(x))``; rows dropped are counted (``n`` of ``n_total``) and warned
        about.  ``"pairwise"``: psych's default (``use = "pairwise"``, ``n`` = all rows).
    n_iter, seed : parallel-analysis simulations and their seed.
    cross_loading : float
        Secondary loadings at or above this (absolute) value are flagged.

    Notes
    -----
    R: ``psych::KMO(r)``, ``psych::cortest.bartlett(r, n)``, ``psych::fa.parallel(x)``,
    ``psych::fa(r, nfactors, n.obs = n, fm = fm, rotate = rotate)``.
    """
    warn: list = []
    missing = resolve_missing(missing)
    frame = select_items(data, items, file=file)
    n_total = len(frame)
    frame = apply_missing(frame, missing)
    names = list(frame.columns)
    n = len(frame)
    rows_dropped_note(n, n_total, "psych (KMO, cortest.bartlett, fa)", warn)
    r = _efa_correlations(frame, correlation, missing, warn)
    singular = check_singular(r, "item correlation matrix", warn)
    k = kmo(r)
    b = bartlett(r, n)
    pa = parallel_analysis(r=r, n_obs=n, n_iter=n_iter, seed=seed, fm=fm) if parallel else None
    if nfactors is None:
        nfactors = max(1, pa.nfactors) if pa else 1
    _check_nfactors(nfactors, len(names))
    res = _extract(r + np.eye(len(names)) * 1e-8 if singular else r, nfactors, fm, rotate, n, warn)
    fnames = [f"{'ML' if res.fm == 'ml' else 'MR'}{j + 1}" for j in range(nfactors)]
    table = loadings_table(res.loadings, names, fnames, primary_min=primary_min,
                           cross_min=cross_loading, communality=res.communality)
    n_cross = sum(r_["cross_loading"] for r_ in table)
    if n_cross:
        warn.append(f"{n_cross} item(s) load >= {cross_loading} on more than one factor: "
                    + ", ".join(r_["item"] for r_ in table if r_["cross_loading"]))
    return EFAResult(
        n=n, missing=missing, correlation=correlation, items=names, kmo=k.msa,
        kmo_items=dict(zip(names, k.msai.tolist())), bartlett_chi2=b.chi2,
        bartlett_df=b.df, bartlett_pvalue=b.pvalue,
        parallel_analysis_factors=pa.nfactors if pa else None,
        parallel_analysis_components=pa.ncomponents if pa else None,
        parallel=({k_: pa[k_] for k_ in ("fa_values", "pc_values", "fa_sim", "pc_sim",
                                         "fa_sim_quantile", "pc_sim_quantile", "n_iter",
                                         "quantile", "seed")} if pa else None),
        nfactors=nfactors, fm=res.fm, rotation=rotate, loadings=table,
        phi=None if res.phi is None else res.phi.tolist(),
        fit={k_: res[k_] for k_ in ("objective", "chi2", "dof", "pvalue", "rmsea", "tli", "bic",
                                    "rms")},
        eigenvalues=res.e_values.tolist(),
        variance={"ss_loadings": dict(zip(fnames, res.ss_loadings.tolist())),
                  "proportion": dict(zip(fnames, res.prop_var.tolist()))},
        cross_loading_threshold=cross_loading, warnings=warn, n_total=int(n_total))


def _efa_correlations(frame, correlation: str, missing: str, warn: list) -> np.ndarray:
    """Pearson (by ``missing``) or polychoric item correlations; InputError when a pair of
    items has no rows in common."""

    if correlation == "pearson":
        r = cor_matrix(frame, missing)
    elif correlation == "polychoric":
        from .polychoric_correlation import polychoric

        pc = polychoric(frame)
        r = pc.rho
        warn.extend(pc.warnings)
    else:
        raise InputError("correlation must be 'pearson' or 'polychoric'", parameter="correlation",
                         value=correlation)
    if np.isnan(r).any():
        raise InputError("some pairs of items have no observations in common",
                         parameter="missing", value=missing)
    return r


def _check_nfactors(nfactors: int, p: int) -> None:
    """InputError unless ``p`` items identify ``nfactors`` factors (positive degrees of
    freedom, as psych)."""
    max_f = int(np.floor((2 * p + 1 - np.sqrt(8 * p + 1)) / 2))
    if nfactors < 1 or nfactors > max(max_f, 1):
        from ..errors import InputError

        raise InputError(f"{p} items identify at most {max(max_f, 1)} factor(s)",
                         parameter="nfactors", value=nfactors)


def _extract(r, nfactors, fm, rotate, n, warn):
    """:func:`fa_matrix`, its warnings re-issued at the caller of :func:`efa`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fa_matrix(r, nfactors, fm=fm, rotate=rotate, n_obs=n, warn_list=warn)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)
    return res
