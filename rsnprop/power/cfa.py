"""Monte Carlo power of decisions on a CFA (simulate from a population, fit, decide).

The population is written in lavaan syntax with every value given (loadings ``f =~ v*x``,
factor (co)variances ``f ~~ v*g``, residual variances ``x ~~ v*x``), as for lavaan's
``simulateData``; data are multivariate normal with the implied covariance
``Sigma = Lambda Phi Lambda' + Theta``.  Each replication fits the analysis model with
:func:`rsnprop.sem.fit` (ML) and records the decisions:

``reject_exact_fit``
    chi-square test of exact fit rejects at ``alpha`` (power to detect misspecification);
``rmsea_above_05``
    RMSEA > 0.05;
``cfi_below_95``
    CFI < 0.95;
``sig_<lhs><op><rhs>``
    a parameter named in ``parameters`` significant at ``alpha`` (two-sided z test).

:data:`HS_POPULATION` is the Holzinger & Swineford (1939) three-factor model at lavaan's
estimates (``cfa(HS.model, HolzingerSwineford1939)``, rounded to 3 decimals) plus a
cross-loading ``visual =~ 0.3*x9`` that the analysis model :data:`HS_MODEL` omits.

Examples
--------
>>> Sigma, names = implied_covariance("f =~ 1*a + 0.5*b\\nf ~~ 1*f\\na ~~ 0.5*a\\nb ~~ 0.75*b")
>>> names, Sigma.round(2).tolist()
(['a', 'b'], [[1.5, 0.5], [0.5, 1.0]])
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats as st

from ..errors import InputError, ModelSyntaxError
from ..results import Result, jsonsafe
from ..sem import fit
from ..sem.api import fit_core
from ..sem.batch import evaluate_batch, fit_batch
from ..sem.engine import GroupData
from ..sem.fitmeasures import incremental, rmsea_point
from ..sem.partable import build_partable
from ..simulate.scenarios import parse_population_syntax
from .montecarlo import replication_seed, run_blocks
from .summary import wilson

__all__ = ["HS_MODEL", "HS_POPULATION", "implied_covariance", "cfa_power", "CFAPowerResult",
           "cfa_block", "cfa_block_batch"]

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

HS_POPULATION = """
visual  =~ 1*x1 + 0.554*x2 + 0.729*x3 + 0.3*x9
textual =~ 1*x4 + 1.113*x5 + 0.926*x6
speed   =~ 1*x7 + 1.18*x8 + 1.082*x9
visual ~~ 0.809*visual
textual ~~ 0.979*textual
speed ~~ 0.384*speed
visual ~~ 0.408*textual
visual ~~ 0.262*speed
textual ~~ 0.173*speed
x1 ~~ 0.549*x1
x2 ~~ 1.134*x2
x3 ~~ 0.844*x3
x4 ~~ 0.371*x4
x5 ~~ 0.446*x5
x6 ~~ 0.356*x6
x7 ~~ 0.799*x7
x8 ~~ 0.488*x8
x9 ~~ 0.566*x9
"""


def implied_covariance(population: str):
    """``(Sigma, observed names)`` of a fully specified CFA population (lavaan syntax)."""

    rows = parse_population_syntax(population)
    factors = []
    for lhs, op, rhs, _ in rows:
        if op == "=~" and lhs not in factors:
            factors.append(lhs)
    observed = []
    for lhs, op, rhs, _ in rows:
        if op == "=~" and rhs not in observed and rhs not in factors:
            observed.append(rhs)
    fi = {f: i for i, f in enumerate(factors)}
    oi = {o: i for i, o in enumerate(observed)}
    L = np.zeros((len(observed), len(factors)))
    Phi = np.zeros((len(factors), len(factors)))
    Theta = np.zeros((len(observed), len(observed)))
    for lhs, op, rhs, v in rows:
        if op == "=~":
            L[oi[rhs], fi[lhs]] = v
        elif op == "~~" and lhs in fi and rhs in fi:
            Phi[fi[lhs], fi[rhs]] = Phi[fi[rhs], fi[lhs]] = v
        elif op == "~~" and lhs in oi and rhs in oi:
            Theta[oi[lhs], oi[rhs]] = Theta[oi[rhs], oi[lhs]] = v
        else:
            raise ModelSyntaxError("population statements must be loadings (=~) or variances/"
                                   "covariances (~~) of the model's factors and indicators",
                                   parameter="population", value=f"{lhs} {op} {rhs}")
    Sigma = L @ Phi @ L.T + Theta
    if np.linalg.eigvalsh(Sigma).min() <= 0:
        raise ModelSyntaxError("the population covariance matrix is not positive definite",
                               parameter="population")
    return Sigma, observed


def _decide(res, alpha, parameters):
    fit = res.fit
    out = {"converged": bool(res.converged), "chi2": fit.get("chi2"), "pvalue": fit.get("pvalue"),
           "cfi": fit.get("cfi"), "rmsea": fit.get("rmsea")}
    p = fit.get("pvalue")
    out["reject_exact_fit"] = bool(p is not None and p < alpha)
    out["rmsea_above_05"] = bool(fit.get("rmsea") is not None and fit["rmsea"] > 0.05)
    out["cfi_below_95"] = bool(fit.get("cfi") is not None and fit["cfi"] < 0.95)
    est = res.estimates
    for spec in parameters:
        lhs, op, rhs = spec
        row = est[(est["lhs"] == lhs) & (est["op"] == op) & (est["rhs"] == rhs)]
        pv = float(row["pvalue"].iloc[0]) if len(row) else float("nan")
        out[f"sig_{lhs}{op}{rhs}"] = bool(not math.isnan(pv) and pv < alpha)
    return out


def cfa_block(task: dict) -> list[dict]:
    """Worker entry point: simulate and fit the replications ``task["keys"]``."""

    Sigma, names = implied_covariance(task["population"])
    chol = np.linalg.cholesky(Sigma)
    params = [tuple(p) for p in task.get("parameters", [])]
    out = []
    for n, rep in task["keys"]:
        rng = np.random.default_rng(replication_seed(task["seed"], n, rep))
        X = rng.standard_normal((n, len(names))) @ chol.T
        rec = {"n": int(n), "rep": int(rep), "error": None}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit(task["model"], pd.DataFrame(X, columns=names))
            rec.update(_decide(res, task["alpha"], params))
            for k in ("chi2", "pvalue", "cfi", "rmsea"):
                if rec[k] is not None:
                    rec[k] = float(f"{float(rec[k]):.12g}")
        except Exception as err:  # noqa: BLE001 - a failed fit is a result
            rec["error"] = f"{type(err).__name__}: {err}"[:300]
        out.append(rec)
    return out


def _batch_setup(model, names, x0):
    """Parameter table, engine and start values of ``model`` (fitted once to ``x0``)."""

    pt = build_partable(model, ngroups=1, meanstructure=False, data_columns=list(names))
    order = [names.index(v) for v in pt.ov]
    core = fit_core(pt, [GroupData.from_array(x0[:, order])])
    return pt, core["engine"], core["theta"], order


def cfa_block_batch(task: dict) -> list[dict]:
    """Worker entry point, batched: the same replications as :func:`cfa_block` (same data,
    same seeds), fitted together by :func:`rsnprop.sem.batch.fit_batch` (the ML engine
    vectorised over replications), with lavaan's chi-square, CFI, RMSEA and ML standard
    errors (inverse expected information / N)."""

    Sigma, names = implied_covariance(task["population"])
    chol = np.linalg.cholesky(Sigma)
    keys = task["keys"]
    n = int(keys[0][0])
    xs = np.empty((len(keys), n, len(names)))
    for b, (m, rep) in enumerate(keys):
        rng = np.random.default_rng(replication_seed(task["seed"], m, rep))
        xs[b] = rng.standard_normal((m, len(names))) @ chol.T
    pt, engine, theta0, order = _batch_setup(task["model"], names, xs[0])
    xs = xs[:, :, order]
    p = len(order)
    mean = xs.mean(axis=1)
    xc = xs - mean[:, None, :]
    cov = xc.transpose(0, 2, 1) @ xc / n
    ns = np.full(len(keys), float(n))
    thetas, fmin, conv = fit_batch(engine, [cov], [mean], [ns], theta0)
    sign, ld = np.linalg.slogdet(cov)
    _, _, hess = evaluate_batch(engine, thetas, [(cov, mean, ld, np.ones(len(keys)))], need_grad=True)
    npar = pt.npar - len(pt.constraints)
    df = p * (p + 1) // 2 - npar
    df_b = p * (p - 1) // 2
    alpha = task["alpha"]
    par_of = {(r.lhs, r.op, r.rhs): r.par for r in pt.rows if r.group == 1}
    out = []
    for b, (m, rep) in enumerate(keys):
        rec = {"n": int(m), "rep": int(rep), "error": None, "converged": bool(conv[b])}
        chi2 = max(float(fmin[b]) * n, 0.0)
        chi2_b = n * float(np.sum(np.log(np.diag(cov[b]))) - ld[b])
        cfi, _ = incremental(chi2, df, chi2_b, df_b)
        rmsea = rmsea_point(chi2, df, n, 1)
        pv = float(st.chi2.sf(chi2, df)) if df > 0 else float("nan")
        rec.update({"chi2": chi2, "pvalue": pv, "cfi": cfi, "rmsea": rmsea})
        rec["reject_exact_fit"] = bool(not math.isnan(pv) and pv < alpha)
        rec["rmsea_above_05"] = bool(rmsea > 0.05)
        rec["cfi_below_95"] = bool(cfi is not None and cfi < 0.95)
        try:
            vcov = np.linalg.inv(0.5 * hess[b]) / n
        except np.linalg.LinAlgError:
            vcov = np.full((len(theta0), len(theta0)), np.nan)
        for lhs, op, rhs in (tuple(x) for x in task.get("parameters", [])):
            k = par_of.get((lhs, op, rhs), par_of.get((rhs, op, lhs), -1))
            if k < 0:
                sig = False
            else:
                se = float(np.sqrt(max(vcov[k, k], 0.0)))
                z = thetas[b, k] / se if se > 0 else float("nan")
                pz = 2 * float(st.norm.sf(abs(z))) if not math.isnan(z) else float("nan")
                sig = bool(not math.isnan(pz) and pz < alpha)
            rec[f"sig_{lhs}{op}{rhs}"] = sig
        for key in ("chi2", "pvalue", "cfi", "rmsea"):
            if rec[key] is not None and rec[key] == rec[key]:
                rec[key] = float(f"{float(rec[key]):.12g}")
        out.append(rec)
    return out


class CFAPowerResult(Result):
    """Power (share of replications) of each decision, with MC standard errors."""

    title = "CFA Monte Carlo power"

    def __init__(self, data, records):
        self.data, self.records = data, records

    def to_dict(self):
        return jsonsafe(self.data)

    def to_frame(self):
        return pd.DataFrame(self.data["results"])


def cfa_power(model: str = HS_MODEL, population: str = HS_POPULATION, n=300, reps: int = 1000, *,
              seed: int = 1, alpha: float = 0.05, parameters=(("visual", "~~", "speed"),),
              jobs=None, backend: str = "joblib", block_size: int = 50, stream=None,
              progress: bool = False, client=None, scheduler=None,
              method: str = "batch") -> CFAPowerResult:
    """Monte Carlo power of CFA decisions (see module docstring).

    ``method="fit"`` fits every replication with :func:`rsnprop.sem.fit`; ``"batch"`` (default)
    fits the replications of a block together with the same ML engine vectorised over
    replications (:func:`rsnprop.sem.batch.fit_batch`): same data, same decisions, much less
    Python overhead.

    R equivalent of one replication: ``d <- simulateData(population, sample.nobs = n);
    f <- cfa(model, d); fitMeasures(f, "pvalue") < alpha``.
    """

    implied_covariance(population)  # validate before starting workers
    ns = sorted({int(x) for x in (n if isinstance(n, (list, tuple)) else [n])})
    if int(reps) < 1:
        raise InputError("must be a positive integer", parameter="reps", value=reps)
    payload = {"model": model, "population": population, "seed": int(seed), "alpha": float(alpha),
               "parameters": [list(p) for p in parameters]}
    config = {"what": "cfa power", **payload}
    keys = [(m, r) for m in ns for r in range(int(reps))]
    if method not in ("batch", "fit"):
        raise InputError("method must be 'batch' or 'fit'", parameter="method", value=method)
    records = run_blocks(cfa_block_batch if method == "batch" else cfa_block, keys, payload, jobs=jobs, backend=backend,
                         block_size=block_size, stream=stream, config=config, progress=progress,
                         client=client, scheduler=scheduler)
    decisions = ["reject_exact_fit", "rmsea_above_05", "cfi_below_95"] + \
        [f"sig_{a}{b}{c}" for a, b, c in parameters]
    rows = []
    for m in ns:
        sub = [r for r in records if r["n"] == m]
        ok = [r for r in sub if not r.get("error")]
        for dname in decisions:
            k = sum(1 for r in ok if r.get(dname))
            R = len(sub)
            p = k / R
            lo, hi = wilson(k, R)
            rows.append({"n": m, "decision": dname, "reps": R, "power": p,
                         "mc_se": (p * (1 - p) / R) ** 0.5, "ci_lower": lo, "ci_upper": hi})
        rows_conv = sum(1 for r in ok if r.get("converged"))
        rows.append({"n": m, "decision": "converged", "reps": len(sub), "power": rows_conv / len(sub),
                     "mc_se": None, "ci_lower": None, "ci_upper": None})
    data = {"kind": "cfa_power", "method": method, "model": model, "population": population, "seed": int(seed),
            "alpha": alpha, "reps": int(reps), "ns": ns, "results": rows,
            "failed": sum(1 for r in records if r.get("error"))}
    return CFAPowerResult(data, records)
