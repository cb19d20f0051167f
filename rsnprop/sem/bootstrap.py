"""Nonparametric and Bollen-Stine bootstrap of a fitted model (parallel, seeded, reproducible).

Replicate ``b`` draws its rows with ``numpy.random.default_rng(SeedSequence(seed).spawn(R)[b])``
(cases are resampled within each group), so the draws, and hence every interval, do not depend on
``n_jobs``.  Each replicate is refitted by ML starting from the estimates (ordinal indicators:
thresholds, polychoric correlations and DWLS weights recomputed, then DWLS from the estimates).
Replicates that do not converge, or lack a category of an ordinal variable, are dropped (and
counted), as lavaan does.

Bollen-Stine: the data of every group are first transformed so that the model fits them exactly,
``Z = (X - xbar) S^-1/2 Sigma^1/2 + mu`` (Bollen & Stine 1992), then resampled; the bootstrap
p-value is the share of replicates whose chi-square is at least the observed one.  With missing
data (FIML) the transformation is Savalei & Yuan's (2009) second one, as semTools'
``bsBootMiss(transformation = 2)`` (lavaan itself refuses Bollen-Stine with missing data): the
cases of every missing-data pattern ``j`` are centred at the pattern's means and mapped to
``A_oo (x_o - xbar_j,o) + mu_o`` with one symmetric ``A`` solving the FIML covariance score
equations at the model-implied moments, ``sum_j n_j Sigma_oo^-1 (A_oo H_j A_oo - Sigma_oo)
Sigma_oo^-1 = 0`` (``H_j``: the pattern's ML covariance), by Newton steps from the symmetrised
``Sigma^1/2 S_EM^-1/2``.  The saturated FIML moments of the transformed data are then exactly the
model-implied ``mu`` and ``Sigma``.  Every FIML draw is refitted with its own saturated model (EM),
chi-square ``2 (logL_h1 - logL)``.

Intervals: percentile (lavaan ``boot.ci.type = "perc"``), bias-corrected (``"bca.simple"``) and
BCa with jackknife acceleration (Efron 1987).  The bootstrap standard error is the standard
deviation of the replicates (``ddof = 1``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ..distributions import norm_cdf, norm_ppf, norm_sf
from .assemble import blank_fixed
from .batch import fit_batch
from .defined import evaluate_definitions, label_values
from .fiml_engine import FIMLEngine, patterns
from .fiml_saturated import saturated_model
from .robust import _vech_index

#: below this estimated serial run time (seconds) the bootstrap does not start worker processes
PARALLEL_MIN_SECONDS = 5.0

__all__ = ["bootstrap_result", "run_bootstrap", "intervals", "savalei_yuan_transform"]


def _sqrtm(m):
    vals, vecs = np.linalg.eigh(m)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def _inv_sqrtm(m):
    vals, vecs = np.linalg.eigh(m)
    return (vecs / np.sqrt(vals)) @ vecs.T


def _duplication(p):
    """lavaan's duplication matrix (vec, column-major, from vech) and its Moore-Penrose inverse."""

    r, c = _vech_index(p)
    D = np.zeros((p * p, len(r)))
    k = np.arange(len(r))
    D[c * p + r, k] = 1.0
    D[r * p + c, k] = 1.0
    return D, np.linalg.solve(D.T @ D, D.T)


def savalei_yuan_transform(x, sigma, mu, em_cov=None, *, tol=1e-11, maxit=100):
    """Bollen-Stine transformation of incomplete data (Savalei & Yuan 2009, transformation 2).

    Parameters
    ----------
    x : numpy.ndarray
        Cases by variables, NaN for missing values (rows with no value stay as they are).
    sigma, mu : numpy.ndarray
        Model-implied covariance matrix and means of the variables.
    em_cov : numpy.ndarray, optional
        Saturated (EM) covariance matrix: the Newton iteration starts from the symmetrised
        ``Sigma^1/2 em_cov^-1/2`` (identity without it).
    tol : float
        Stop when the largest score ``sum_j n_j vech(Sigma_oo^-1 (A_oo H_j A_oo - Sigma_oo)
        Sigma_oo^-1)`` is below ``tol`` (semTools: 1e-11).
    maxit : int
        Newton steps at most.

    Returns
    -------
    z : numpy.ndarray
        Transformed data, same shape and missing values as ``x``: in pattern ``j`` the cases
        are ``A_oo (x_o - xbar_j,o) + mu_o``, so the saturated FIML estimates of ``z`` are
        ``mu`` and ``sigma``.
    A : numpy.ndarray
        The symmetric matrix of the transformation.
    converged : bool

    Examples
    --------
    The data of semTools' ``bsBootMiss(fit, transformation = 2)`` (R:
    ``semTools:::trans2(dat, Sigma, Mu, EMcov)``, rows grouped by pattern):

    >>> import numpy as np
    >>> from rsnprop.sem.bootstrap import savalei_yuan_transform
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 3)) @ np.array([[1, .5, .3], [0, 1, .4], [0, 0, 1]])
    >>> x[rng.random((200, 3)) < 0.15] = np.nan
    >>> z, A, ok = savalei_yuan_transform(x, np.eye(3), np.zeros(3))
    >>> ok, bool(np.array_equal(np.isnan(z), np.isnan(x))), bool(np.allclose(A, A.T))
    (True, True, True)
    """
    x = np.asarray(x, dtype=float)
    groups, centred, Ms, Hs, ns = _centred_patterns(x, sigma)
    p = x.shape[1]
    if em_cov is None:
        A = np.eye(p)
    else:
        B = _sqrtm(sigma) @ _inv_sqrtm(em_cov)
        A = 0.5 * (B + B.T)
    A, converged = _solve_score_equations(A, Ms, Hs, ns, tol, maxit)
    z = x.copy()
    for (key, rows), xc in zip(groups, centred):
        o = np.flatnonzero(key)
        z[np.ix_(rows, o)] = xc @ A[np.ix_(o, o)] + mu[o]
    return z, A, converged


def _centred_patterns(x, sigma):
    """Per missing-data pattern ``j`` (rows with no value left out): ``(key, rows)``, the cases
    centred at the pattern's means, and embedded in p x p: ``M_j = Sigma_oo^-1`` and the ML
    covariance ``H_j``; the pattern sizes ``n_j``."""
    p = x.shape[1]
    mask = ~np.isnan(x)
    keys, inv = np.unique(mask, axis=0, return_inverse=True)
    inv = inv.ravel()
    groups = [(key, np.flatnonzero(inv == k)) for k, key in enumerate(keys) if key.any()]
    J = len(groups)
    Ms = np.zeros((J, p, p))
    Hs = np.zeros((J, p, p))
    ns = np.zeros(J)
    centred = []
    for j, (key, rows) in enumerate(groups):
        o = np.flatnonzero(key)
        ix = np.ix_(o, o)
        xc = x[np.ix_(rows, o)]
        xc = xc - xc.mean(axis=0)
        centred.append(xc)
        ns[j] = len(rows)
        Hs[j][ix] = xc.T @ xc / len(rows)
        Ms[j][ix] = np.linalg.inv(sigma[ix])
    return groups, centred, Ms, Hs, ns


def _solve_score_equations(A, Ms, Hs, ns, tol, maxit):
    """Newton steps from ``A`` on ``sum_j n_j M_j (A H_j A - Sigma_oo) M_j = 0`` (vech, symmetric
    ``A``): ``(A, converged)``."""
    J, p = Ms.shape[0], Ms.shape[1]
    D, Dplus = _duplication(p)

    def score(A):
        T = Ms @ A @ Hs @ A @ Ms - Ms
        return Dplus @ np.tensordot(ns, T, axes=1).reshape(-1, order="F")

    f = score(A)
    converged = False
    for _ in range(maxit):
        if np.max(np.abs(f)) < tol:
            converged = True
            break
        X = Ms @ A @ Hs  # d vec(M A H A M) = (M A H (x) M + M (x) M A H) vec(dA)
        # sum_j n_j kron(X_j, M_j): rows c*p + r, columns l*p + k (column-major vec)
        K = ((ns[:, None] * X.reshape(J, -1)).T @ Ms.reshape(J, -1)).reshape(p, p, p, p)
        K = K.transpose(0, 2, 1, 3).reshape(p * p, p * p)
        step = np.linalg.solve(2.0 * Dplus @ K @ D, f)
        A = A - (D @ step).reshape(p, p, order="F")
        A = 0.5 * (A + A.T)
        f = score(A)
    else:
        converged = bool(np.max(np.abs(f)) < tol)
    return A, converged


def bollen_stine_transform(engine, theta, arrays):
    out = []
    fiml = isinstance(engine, FIMLEngine)
    for g, x in enumerate(arrays):
        sigma, mu = engine.groups[g].implied(theta)
        d = engine.data[g]
        if fiml:
            z, _, conv = savalei_yuan_transform(x, sigma, mu, d.cov)
            if not conv:
                import warnings

                from ..errors import ConvergenceWarning

                warnings.warn(f"Bollen-Stine (missing data): the transformation of group {g + 1} did not "
                              "converge", ConvergenceWarning, stacklevel=3)
            out.append(z)
            continue
        z = (x - d.mean) @ _inv_sqrtm(d.cov) @ _sqrtm(sigma)
        z = z + (mu if engine.meanstructure else d.mean)
        out.append(z)
    return out


def _moments(xs):
    """Stacked ML covariances and means of a stack of samples (B, n, p)."""
    mu = xs.mean(axis=1)
    xc = xs - mu[:, None, :]
    return xc.transpose(0, 2, 1) @ xc / xs.shape[1], mu


def _chunk_worker(engine, theta0, arrays, seeds, want_chi2=False, hess0=None):
    """Refit the model to the bootstrap samples drawn with ``seeds`` (one SeedSequence each)."""

    B = len(seeds)
    rngs = [np.random.default_rng(ss) for ss in seeds]
    idx = [[] for _ in arrays]
    for rng in rngs:  # per replicate, groups in order: independent of chunking
        for g, x in enumerate(arrays):
            idx[g].append(rng.integers(0, x.shape[0], x.shape[0]))
    covs, means, ns = [], [], []
    for g, x in enumerate(arrays):
        c, m = _moments(x[np.asarray(idx[g])])
        covs.append(c)
        means.append(m)
        ns.append(np.full(B, x.shape[0], dtype=float))
    thetas, fmin, conv = fit_batch(engine, covs, means, ns, theta0, hess0=hess0)
    thetas[~conv] = np.nan
    chi2 = np.where(conv, fmin * sum(x.shape[0] for x in arrays), np.nan)
    return thetas, chi2


def _fiml_chunk_worker(engine, theta0, arrays, seeds, want_chi2=False, hess0=None):
    """FIML refits of bootstrap samples (incomplete data), one replicate at a time; with
    ``want_chi2`` also the saturated model of every sample (EM) and the chi-square
    ``2 (logL_h1 - logL)``."""

    out = np.full((len(seeds), len(theta0)), np.nan)
    chi2 = np.full(len(seeds), np.nan)
    # EM of the saturated model starts from the model-implied moments (the saturated moments of
    # the Bollen-Stine data, close to every draw's); Newton steps polish it to the exact maximum
    starts = [gm.implied(theta0)[::-1] for gm in engine.groups] if want_chi2 else None
    for k, ss in enumerate(seeds):
        rng = np.random.default_rng(ss)
        samples = [x[rng.integers(0, x.shape[0], x.shape[0])] for x in arrays]
        pats = [patterns(x) for x in samples]
        ns = [x.shape[0] for x in samples]
        eng = FIMLEngine(engine.groups, pats, engine.q, ns)
        try:
            th, _, conv, _ = eng.fit(theta0, maxit=300)
            if conv and want_chi2:
                p = samples[0].shape[1]
                h1, th1, conv1 = saturated_model(p, len(samples), "h1", pats, ns, starts)
                if not conv1:
                    continue
                chi2[k] = max(2.0 * (h1.loglik(th1) - eng.loglik(th)), 0.0)
        except np.linalg.LinAlgError:
            continue
        if conv:
            out[k] = th
    return out, chi2


def run_bootstrap(engine, theta, arrays, R, *, kind="nonparametric", seed=None, n_jobs=None, progress=False,
                  worker=None):
    """Return ``(thetas (R x q), chi2 (R,))`` with NaN rows for failed replicates.  ``worker``
    (with ``engine`` whatever it needs, e.g. the DWLS problem of ordinal indicators) refits one
    chunk of draws casewise; by default ML (batched) or FIML."""

    fiml = worker is not None or isinstance(engine, FIMLEngine)
    worker = worker or (_fiml_chunk_worker if fiml else _chunk_worker)
    if kind == "bollen.stine":
        arrays = bollen_stine_transform(engine, theta, arrays)
    seeds = np.random.SeedSequence(seed).spawn(R)
    hess0 = None if fiml else 2.0 * engine.information(theta)
    n_jobs = 1 if n_jobs in (None, 0) else int(n_jobs)
    if n_jobs < 0:
        import os

        n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    nchunks = max(1, math.ceil(R / (10 if fiml else 100)), n_jobs * 4 if n_jobs > 1 else 1)
    bounds = np.linspace(0, R, nchunks + 1).astype(int)
    chunks = [seeds[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=R, desc="bootstrap", unit="draw")
    results = []
    # the first chunk runs here and is timed: worker processes are only started when the
    # remaining work is worth their start-up (results are identical either way: every draw
    # has its own seed)
    t0 = time.perf_counter()
    results.append(worker(engine, theta, arrays, chunks[0], kind == "bollen.stine", hess0))
    if bar is not None:
        bar.update(len(chunks[0]))
    rest = chunks[1:]
    per_draw = (time.perf_counter() - t0) / max(len(chunks[0]), 1)
    remaining = per_draw * sum(len(c) for c in rest)
    if n_jobs == 1 or remaining < PARALLEL_MIN_SECONDS:
        for c in rest:
            results.append(worker(engine, theta, arrays, c, kind == "bollen.stine", hess0))
            if bar is not None:
                bar.update(len(c))
    else:
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=n_jobs, return_as="generator")
        for c, r in zip(rest, par(delayed(worker)(engine, theta, arrays, c, kind == "bollen.stine", hess0)
                                  for c in rest)):
            results.append(r)
            if bar is not None:
                bar.update(len(c))
    if bar is not None:
        bar.close()
    thetas = np.vstack([r[0] for r in results])
    chi2 = np.concatenate([r[1] for r in results])
    return thetas, chi2


def intervals(boot, est, level=0.95, jack=None):
    """Percentile, bias-corrected and BCa limits of every column of ``boot``.

    ``jack`` (n x k jackknife estimates) gives the acceleration of BCa; without it BCa equals
    the bias-corrected interval.
    """

    a = (1 - level) / 2
    k = boot.shape[1]
    out = {name: np.full((k, 2), np.nan) for name in ("perc", "bc", "bca")}
    for j in range(k):
        x = boot[:, j]
        x = x[np.isfinite(x)]
        if len(x) < 2:
            continue
        if np.ptp(x) == 0:
            for name in out:
                out[name][j] = x[0]
            continue
        out["perc"][j] = np.quantile(x, [a, 1 - a])
        prop = np.mean(x < est[j])
        if prop <= 0 or prop >= 1:
            out["bc"][j] = out["bca"][j] = out["perc"][j]
            continue
        z0 = norm_ppf(prop)
        za = norm_ppf([a, 1 - a])
        out["bc"][j] = np.quantile(x, norm_cdf(2 * z0 + za))
        acc = 0.0
        if jack is not None:
            jj = jack[:, j]
            jj = jj[np.isfinite(jj)]
            d = jj.mean() - jj
            den = 6 * (np.sum(d ** 2) ** 1.5)
            acc = float(np.sum(d ** 3) / den) if den > 0 else 0.0
        adj = norm_cdf(z0 + (z0 + za) / (1 - acc * (z0 + za)))
        out["bca"][j] = np.quantile(x, adj)
    return out


def _jackknife(engine, theta, arrays):
    """Leave-one-out refits (all at once), for the BCa acceleration."""

    out = []
    for g, x in enumerate(arrays):
        n = x.shape[0]
        loo = np.stack([np.delete(x, i, axis=0) for i in range(n)])
        c, m = _moments(loo)
        covs, means, ns = [], [], []
        for h, y in enumerate(arrays):
            if h == g:
                covs.append(c)
                means.append(m)
                ns.append(np.full(n, n - 1, dtype=float))
            else:
                d = engine.data[h]
                covs.append(np.broadcast_to(d.cov, (n,) + d.cov.shape).copy())
                means.append(np.broadcast_to(d.mean, (n,) + d.mean.shape).copy())
                ns.append(np.full(n, y.shape[0], dtype=float))
        th, _, conv = fit_batch(engine, covs, means, ns, theta, hess0=2.0 * engine.information(theta))
        th[~conv] = np.nan
        out.append(th)
    return np.vstack(out)


def bootstrap_result(res, arrays, *, R, kind="nonparametric", seed=None, n_jobs=None, progress=False,
                     level=0.95, bca=True):
    """Bootstrap ``res`` in place: bootstrap SEs and percentile CIs in ``res.estimates``;
    everything else (all interval types, p-value of Bollen-Stine) in ``res.bootstrap``."""
    engine, theta = res._engine, res.theta
    worker = None
    wls = getattr(res, "_wls", None)
    if wls is not None:  # ordinal indicators: thresholds, polychorics and DWLS refitted per draw
        from .dwls import wls_chunk_worker

        engine, worker = wls["problem"], wls_chunk_worker
    thetas, chi2 = run_bootstrap(engine, theta, arrays, R, kind=kind, seed=seed, n_jobs=n_jobs, progress=progress,
                                 worker=worker)
    ok = np.all(np.isfinite(thetas), axis=1)
    info = {"type": kind, "R": int(R), "successful": int(ok.sum()), "failed": int((~ok).sum()),
            "seed": seed, "level": level}
    if kind == "bollen.stine":
        return _bollen_stine(res, engine, chi2, ok, info)
    good = thetas[ok]

    if isinstance(engine, FIMLEngine) or wls is not None:
        bca = False  # n FIML / DWLS refits would be slow: BCa = bias-corrected here (no acceleration)
        info["bca"] = f"without jackknife acceleration ({'WLSMV' if wls is not None else 'FIML'})"
    mat = _table_values(res.partable, good)
    est_rows = res.estimates["est"].to_numpy()
    jack = _table_values(res.partable, _jackknife(engine, theta, arrays)) if bca else None
    info["intervals"] = _bootstrap_estimates(res, mat, intervals(mat, est_rows, level=level, jack=jack))
    info["ci_type"] = "perc"
    res.bootstrap = info
    res.boot_thetas = good
    if info["failed"]:
        res.warnings.append(f"bootstrap: {info['failed']} of {R} draws did not converge and were dropped")
    return res


def _bollen_stine(res, engine, chi2, ok, info):
    """The Bollen-Stine p-value: share of the successful draws whose chi-square is at least the
    observed one (``res.fit["bollen_stine_pvalue"]``, ``res.boot_chi2``, ``res.bootstrap``)."""

    ok = ok & np.isfinite(chi2)
    info["successful"], info["failed"] = int(ok.sum()), int((~ok).sum())
    if isinstance(engine, FIMLEngine):
        info["transformation"] = "Savalei & Yuan (2009) 2 (semTools bsBootMiss)"
    obs = res.fit["chi2"]
    info["chi2_observed"] = obs
    info["pvalue"] = float(np.mean(chi2[ok] >= obs)) if ok.any() else float("nan")
    res.boot_chi2 = chi2[ok]
    res.fit["bollen_stine_pvalue"] = info["pvalue"]
    res.bootstrap = info
    return res


def _table_values(pt, thetas):
    """Per replicate (row of ``thetas``), the value of every row of the estimates table: free rows
    from theta (NaN for fixed ones), defined parameters evaluated on the replicate."""

    cols = [thetas[:, r.par] if r.par >= 0 else np.full(len(thetas), np.nan) for r in pt.rows]
    mat = np.column_stack(cols) if cols else np.zeros((len(thetas), 0))
    if pt.definitions:
        dvals = np.array([list(evaluate_definitions(pt, label_values(pt, t)).values()) for t in thetas])
        mat = np.column_stack([mat, dvals])
    return mat


def _bootstrap_estimates(res, mat, ci):
    """Bootstrap SEs, z, p-values and percentile CIs into ``res.estimates`` (fixed parameters:
    none, as lavaan's summary); return the table of every interval type."""

    pt = res.partable
    free_mask = np.array([r.par >= 0 for r in pt.rows] + [True] * len(pt.definitions))
    with np.errstate(all="ignore"):
        sd = np.std(mat, axis=0, ddof=1) if len(mat) > 1 else np.full(mat.shape[1], np.nan)
    se = np.where(free_mask, sd, np.nan)  # fixed parameters: no SE and no interval (lavaan's summary)
    e = res.estimates
    e["se"] = se
    with np.errstate(all="ignore"):
        e["z"] = np.where(se > 0, e["est"] / se, np.nan)
    e["pvalue"] = np.where(np.isfinite(e["z"]), 2 * norm_sf(np.abs(e["z"])), np.nan)
    lo = np.where(free_mask, ci["perc"][:, 0], np.nan)
    hi = np.where(free_mask, ci["perc"][:, 1], np.nan)
    e["ci_lower"], e["ci_upper"] = lo, hi
    blank_fixed(e)
    return pd.DataFrame({
        "lhs": e["lhs"], "op": e["op"], "rhs": e["rhs"], "group": e["group"], "est": e["est"], "se": se,
        "perc_lower": lo, "perc_upper": hi,
        "bc_lower": np.where(free_mask, ci["bc"][:, 0], np.nan),
        "bc_upper": np.where(free_mask, ci["bc"][:, 1], np.nan),
        "bca_lower": np.where(free_mask, ci["bca"][:, 0], np.nan),
        "bca_upper": np.where(free_mask, ci["bca"][:, 1], np.nan),
    })
