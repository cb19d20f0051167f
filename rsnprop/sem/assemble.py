"""From an :class:`~rsnprop.sem.estimate.Estimate` to the :class:`~rsnprop.sem.results.SEMResult`.

Whatever the estimator, the result is built the same way: lavaan's identification rules on the
fit measures (``df < 0``: no fit indices, no SEs; ``df = 0``: no CFI/TLI/RMSEA), the estimates
table (estimates, SEs, z, p-values, CIs, ``std_lv``/``std_all``, defined parameters ``:=``),
R-squared and the checks of the solution (Heywood cases, non-positive-definite matrices).
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd

from ..distributions import norm_ppf, norm_sf
from ..errors import HeywoodCaseWarning, NonPositiveDefiniteWarning
from .results import SEMResult
from .standardize import standardize_rows

__all__ = ["assemble_result", "blank_fixed"]


def assemble_result(est, *, level, model="", lazy=False):
    """The :class:`SEMResult` of the estimate ``est`` (CIs at ``level``; ``model``: its syntax).
    ``lazy=True``: the estimates table and R-squared are built when first read (the same
    numbers; a fit that only feeds a decision may never read them)."""

    pt, engine, theta, labels = est.pt, est.engine, est.theta, est.labels
    warn_list, fitm = list(est.warnings), est.fit
    _identification(fitm, warn_list)
    fitm["converged"] = est.converged
    fitm["iterations"] = est.iterations
    not_identified = fitm.get("df") is not None and fitm["df"] < 0
    lean = lazy and est.attributes.get("lean")
    cols = _check_arrays(est) if lean else _estimate_arrays(est)
    tables = {"estimates": lambda: _estimates_table(est, level, not_identified, None if lean else cols)[0],
              "r2": lambda: _r2(pt, engine, theta, labels)}
    _check_solution(pt, None, engine, theta, None if est.attributes.get("lean") else est.gdata, warn_list,
                    arrays=cols)
    res = SEMResult(
        converged=est.converged, n=int(engine.ntotal),
        n_per_group={lab: d.n for lab, d in zip(labels, est.gdata)},
        groups=list(labels), ngroups=pt.ngroups, estimator=est.estimator, fit=fitm,
        warnings=warn_list, theta=theta, vcov=est.vcov, model=model, n_dropped=est.n_dropped,
        _pt=pt, _engine=engine, _core=est.core, bootstrap=None,
        **({"_lazy": tables} if lazy else {k: build() for k, build in tables.items()}),
    )
    res.__dict__.update(est.attributes)
    return res


def _estimate_arrays(est):
    """The columns of the parameter rows the checks of the solution read (``op, lhs, rhs, est,
    group, free, std_all``) and ``std_lv``, as arrays."""
    pt, engine, theta = est.pt, est.engine, est.theta
    rows = pt.rows
    est_ = np.array([theta[r.par] if r.par >= 0 else _fixed_value(r, engine, pt) for r in rows])
    names = pt.ov + pt.lv
    totals = []
    for g in range(pt.ngroups):
        sigma, mu, IA, S, m = engine.groups[g].implied(theta, full=True)
        totals.append(IA @ S @ IA.T)
    std_lv, std_all = standardize_rows(rows, est_, totals, names, set(pt.lv), resid=_resid_by_group(engine, theta))
    return {"op": np.array([r.op for r in rows], dtype=object), "lhs": np.array([r.lhs for r in rows], dtype=object),
            "rhs": np.array([r.rhs for r in rows], dtype=object), "est": est_,
            "group": np.array([r.group for r in rows]), "free": np.array([r.par >= 0 for r in rows]),
            "std_all": std_all, "std_lv": std_lv}


def _check_arrays(est):
    """The columns of :func:`_estimate_arrays` that the checks of the solution read, for a lean fit
    (:func:`rsnprop.sem.api.fit_estimates`, whose estimates table is built when first read):
    ``std_all`` of the loadings only (NaN elsewhere; the same numbers as
    :func:`rsnprop.sem.standardize.standardize_rows`'s), no ``std_lv``."""
    pt, engine, theta = est.pt, est.engine, est.theta
    rows = pt.rows
    op, lhs, rhs, group, load, gl, il, ir = _row_structure(pt)
    est_ = np.array([theta[r.par] if r.par >= 0 else _fixed_value(r, engine, pt) for r in rows])
    std_all = np.full(len(rows), np.nan)
    if len(load):
        sds = []
        for g in range(pt.ngroups):
            sigma, mu, IA, S, m = engine.groups[g].implied(theta, full=True)
            sds.append(np.sqrt(np.clip(np.diag(IA @ S @ IA.T), 0, None)))
        sd = np.array(sds)
        std_all[load] = est_[load] * sd[gl, il] / sd[gl, ir]
    return {"op": op, "lhs": lhs, "rhs": rhs, "est": est_, "group": group,
            "free": np.array([r.par >= 0 for r in rows]), "std_all": std_all}


def _row_structure(pt):
    """``(op, lhs, rhs, group, loadings, their groups, lhs and rhs positions)`` of the table's rows,
    kept with the table a lean fit's table was copied from (:func:`rsnprop.sem.api._lean_partable`:
    ``pt.check_structure``, ``(kept, rows of the copy)``, used while the table has those rows; the
    rows' operators, names and groups are those of the kept table; the arrays are never written)."""
    kept, own = getattr(pt, "check_structure", (None, None))
    memo = kept if own is pt.rows else None
    if memo:
        return memo[0]
    rows = pt.rows
    op = np.array([r.op for r in rows], dtype=object)
    lhs, rhs = np.array([r.lhs for r in rows], dtype=object), np.array([r.rhs for r in rows], dtype=object)
    group = np.array([r.group for r in rows])
    load = np.flatnonzero(op == "=~")
    pos = {v: i for i, v in enumerate(pt.ov + pt.lv)}
    out = (op, lhs, rhs, group, load, group[load] - 1, [pos[v] for v in lhs[load]],
           [pos[v] for v in rhs[load]])
    if memo is not None:
        memo.append(out)
    return out


def _estimates_table(est, level, not_identified, cols=None):
    """lavaan's long table of the estimates, and the columns of its parameter rows as arrays
    (for the checks of the solution; ``cols``: those of :func:`_estimate_arrays`, if computed)."""

    pt, theta, labels, vcov = est.pt, est.theta, est.labels, est.vcov
    cols = cols if cols is not None else _estimate_arrays(est)
    se_par = np.sqrt(np.clip(np.diag(vcov), 0, None)) if vcov is not None else np.full(pt.npar, np.nan)
    rows = pt.rows
    est_, std_lv, std_all = cols["est"], cols["std_lv"], cols["std_all"]
    se = np.array([se_par[r.par] if r.par >= 0 else 0.0 for r in rows])
    zq = norm_ppf(0.5 + level / 2)
    with np.errstate(all="ignore"):
        z = np.where(se > 0, est_ / np.where(se > 0, se, 1), np.nan)
    pval = np.where(np.isfinite(z), 2 * norm_sf(np.abs(z)), np.nan)
    free = np.array([r.par >= 0 for r in rows])
    table = pd.DataFrame({
        "lhs": [r.lhs for r in rows], "op": [r.op for r in rows], "rhs": [r.rhs for r in rows],
        "group": [r.group for r in rows],
        "group_label": [None if labels[r.group - 1] is None else str(labels[r.group - 1]) for r in rows],
        "label": [r.label for r in rows], "free": free,
        "est": est_, "se": se, "z": z, "pvalue": pval,
        "ci_lower": est_ - zq * se, "ci_upper": est_ + zq * se,
        "std_lv": std_lv, "std_all": std_all,
    })
    if pt.definitions:
        from .defined import defined_rows

        table = pd.concat([table, defined_rows(pt, theta, vcov, table, zq)], ignore_index=True)
    blank_fixed(table, not_identified=not_identified)
    return table, cols


_INDEX_PREFIXES = ("cfi", "tli", "rmsea")
_KEEP_NOT_IDENTIFIED = ("npar", "n", "ngroups", "df", "df_scaled", "estimator", "test", "missing", "converged",
                        "iterations", "loglik", "loglik_h1", "aic", "bic", "fmin")


def _identification(fitm, warn_list):
    """lavaan's treatment of models that should not be judged by fit indices.

    ``df < 0`` (more free parameters than moments): not identified; every test statistic and fit
    index becomes NaN (null in JSON; lavaan: ``chisq``, ``cfi``, ``tli`` NA) and the standard
    errors are blanked by :func:`blank_fixed`.  ``df = 0`` (saturated): chi-square 0 and no
    CFI/TLI/RMSEA, which are undefined without degrees of freedom (lavaan prints 1, 1 and 0).
    """
    df = fitm.get("df")
    if df is None:
        return
    if df < 0:
        for k in list(fitm):
            if k not in _KEEP_NOT_IDENTIFIED and not k.startswith("baseline") and isinstance(fitm[k], (int, float)) \
                    and not isinstance(fitm[k], bool):
                fitm[k] = float("nan")
        msg = (f"the model is not identified: {fitm.get('npar')} free parameters for {fitm.get('npar', 0) + df} "
               f"observed moments (df = {df}); no fit indices and no standard errors are reported")
        warn_list.append(msg)
        _warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=4)
    elif df == 0:
        for k in list(fitm):
            if k.startswith(_INDEX_PREFIXES) or k.startswith(tuple("baseline_" + p for p in _INDEX_PREFIXES)):
                fitm[k] = float("nan")
        warn_list.append("the model is saturated (df = 0): it fits perfectly by construction; CFI, TLI and "
                         "RMSEA are undefined and not reported")


def blank_fixed(table, not_identified=False):
    """Blank (NaN; null in JSON) the SE, z, p-value and CI of fixed parameters, as lavaan's summary
    does; of every parameter when the model is not identified (lavaan: SEs NA)."""
    rows = ~table["free"].astype(bool) & (table["op"] != ":=")
    if not_identified:
        rows[:] = True
    table.loc[rows, ["se", "z", "pvalue", "ci_lower", "ci_upper"]] = np.nan


def _resid_by_group(engine, theta):
    out = []
    for gm in engine.groups:
        A, S, m = gm.matrices(theta)
        out.append(S)
    return out


def _fixed_value(r, engine, pt):
    if r.fixed_x:
        g = r.group - 1
        d = engine.data[g]
        pos = {v: i for i, v in enumerate(pt.ov)}
        if r.op == "~~":
            return float(d.cov[pos[r.lhs], pos[r.rhs]])
        return float(d.mean[pos[r.lhs]])
    return 0.0 if r.value is None else float(r.value)


def _r2(pt, engine, theta, labels):
    names = pt.ov + pt.lv
    pos = {v: i for i, v in enumerate(names)}
    endo = []
    for r in pt.rows:
        if r.group != 1:
            continue
        if r.op == "=~" and r.rhs not in endo:
            endo.append(r.rhs)
        if r.op == "~" and r.lhs not in endo:
            endo.append(r.lhs)
    out = []
    for g, lab in enumerate(labels):
        A, S, m = engine.groups[g].matrices(theta)
        IA = np.linalg.inv(np.eye(len(names)) - A)
        tot = IA @ S @ IA.T
        for v in endo:
            i = pos[v]
            out.append({"group": g + 1, "group_label": None if lab is None else str(lab), "variable": v,
                        "r2": float(1 - S[i, i] / tot[i, i]) if tot[i, i] > 0 else float("nan")})
    return pd.DataFrame(out, columns=["group", "group_label", "variable", "r2"])


def _check_solution(pt, table, engine, theta, gdata, warn_list, arrays=None):
    if arrays is None:
        arrays = {k: table[k].to_numpy() for k in ("op", "lhs", "rhs", "est", "group", "free", "std_all")}
    op, lhs, rhs = arrays["op"], arrays["lhs"], arrays["rhs"]
    est, grp, free, std_all = arrays["est"], arrays["group"], arrays["free"], arrays["std_all"]
    neg = np.flatnonzero((op == "~~") & (lhs == rhs) & free & (est < 0))
    for k in neg:
        msg = f"Heywood case: negative variance {lhs[k]} ~~ {rhs[k]} = {est[k]:.4f} (group {grp[k]})"
        warn_list.append(msg)
        _warnings.warn(msg, HeywoodCaseWarning, stacklevel=4)
    with np.errstate(invalid="ignore"):
        big = np.flatnonzero((op == "=~") & (np.abs(std_all) > 1))
    for k in big:
        msg = f"Heywood case: standardised loading {lhs[k]} =~ {rhs[k]} = {std_all[k]:.3f} > 1 (group {grp[k]})"
        warn_list.append(msg)
        _warnings.warn(msg, HeywoodCaseWarning, stacklevel=4)
    m = len(pt.lv)
    for g, gm in enumerate(engine.groups):
        A, S, _ = gm.matrices(theta)
        if m:
            psi = S[gm.p:, gm.p:]
            if np.linalg.eigvalsh(psi).min() < -1e-10:
                msg = f"the covariance matrix of the latent variables is not positive definite (group {g + 1})"
                warn_list.append(msg)
                _warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=4)
        if gdata is not None and not np.isfinite(gdata[g].logdet_cov):
            msg = f"the sample covariance matrix is not positive definite (group {g + 1})"
            warn_list.append(msg)
            _warnings.warn(msg, NonPositiveDefiniteWarning, stacklevel=4)
