"""Convergent and discriminant validity from a confirmatory factor analysis.

For every construct (factor) of a CFA fitted by :func:`rsnprop.sem.fit` (ML):

* ``cr`` -- composite reliability from standardised loadings (Fornell & Larcker 1981;
  Raykov 1997): ``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))``;
* ``omega`` -- ``semTools::compRelSEM(fit)``: ``(sum lambda)^2 phi / sum(S)`` with ``S`` the
  observed (ML, divisor n) covariance matrix of the construct's items; ``omega_model`` the
  same with the model-implied matrix (``compRelSEM(fit, obs.var = FALSE)``);
* ``ave`` -- ``semTools::AVE(fit)``: ``sum(lambda^2) phi / sum(diag S)``; ``ave_std`` the
  mean squared standardised loading (Fornell & Larcker's definition; equal to ``ave`` when
  implied and observed variances coincide);
* Fornell-Larcker criterion: ``sqrt(AVE)`` of both constructs above their latent correlation
  (per pair, and per construct ``fornell_larcker_passed``: above all its correlations);
* HTMT with bootstrap intervals and verdicts: :mod:`rsnprop.measure.heterotrait_monotrait`.

Examples
--------
>>> from rsnprop.measure import validity
>>> from rsnprop.datasets import holzinger_swineford
>>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
>>> res = validity(holzinger_swineford(), model, n_boot=0)
>>> c = res.constructs["visual"]
>>> round(c["omega"], 3), round(c["ave"], 3)     # semTools::compRelSEM(fit), semTools::AVE(fit)
(0.612, 0.371)
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..results import Result, jsonsafe
from ._matrix import single_threaded

__all__ = ["parse_measurement", "validity", "validity_from_fit", "ValidityResult",
           "composite_reliability", "ave", "HTMT_STRICT", "HTMT_LIBERAL", "AVE_MIN", "CR_MIN"]

HTMT_STRICT = 0.85
HTMT_LIBERAL = 0.90
AVE_MIN = 0.5
CR_MIN = 0.7


def parse_measurement(model: str) -> dict:
    """``{factor: [indicators]}`` from the ``=~`` lines of lavaan syntax (modifiers such as
    ``1*x``, ``NA*x`` or ``a*x`` are dropped)."""
    from ..errors import ModelSyntaxError

    out: dict = {}
    text = re.sub(r"#[^\n]*", "", model)
    for stmt in re.split(r"[;\n]", text):
        if "=~" not in stmt:
            continue
        lhs, rhs = stmt.split("=~", 1)
        lhs = lhs.strip()
        if not re.fullmatch(r"[A-Za-z_.][\w.]*", lhs):
            raise ModelSyntaxError("bad factor name in measurement statement", parameter="model",
                                   value=stmt.strip())
        for term in rhs.split("+"):
            term = term.strip()
            if not term:
                continue
            name = term.split("*")[-1].strip()
            out.setdefault(lhs, [])
            if name not in out[lhs]:
                out[lhs].append(name)
    if not out:
        raise ModelSyntaxError("the model has no measurement part ('=~')", parameter="model")
    return out


def composite_reliability(std_loadings) -> float:
    """Composite reliability from standardised loadings (Fornell & Larcker 1981)."""
    lam = np.asarray(std_loadings, dtype=float)
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum()))


def ave(std_loadings) -> float:
    """Average variance extracted from standardised loadings: ``mean(l^2)``."""
    lam = np.asarray(std_loadings, dtype=float)
    return float((lam ** 2).mean())


@single_threaded
def fit_cfa(model: str, data, **kwargs):
    """Fit a CFA with :func:`rsnprop.sem.fit` (ML, listwise)."""
    from ..errors import EstimationError

    try:
        from ..sem import fit as sem_fit
    except ImportError as err:  # pragma: no cover - the SEM stage is part of the package
        raise EstimationError(f"the SEM engine is not available ({err})") from err
    return sem_fit(model, data, **kwargs)


def validity_from_fit(fit, data, constructs: dict | None = None, model: str | None = None,
                      warn_list=None, sample_cov=None) -> dict:
    """CR, omega (compRelSEM), AVE and Fornell-Larcker from a fitted CFA.

    ``fit`` needs ``.estimates`` (lavaan long table with ``est`` and ``std_all``); ``data``
    is used for the observed covariance matrix (listwise, divisor n, as lavaan's sample
    statistics) unless ``sample_cov`` (same item order) is given, e.g. the EM estimate
    under FIML.
    """
    from .item_data import select_items

    warn = warn_list if warn_list is not None else []
    est = fit.estimates
    if "group" in est.columns:
        est = est[est["group"].fillna(1) == est["group"].fillna(1).min()]
    lam = est[est["op"] == "=~"]
    if constructs is None:
        constructs = {}
        for f, item in zip(lam["lhs"], lam["rhs"]):
            constructs.setdefault(f, []).append(item)
    factors = list(constructs)
    items = list(dict.fromkeys(i for f in factors for i in constructs[f]))
    frame = select_items(data, items, min_items=1, check_constant=False)
    if sample_cov is None:
        frame = frame.dropna()
        S = np.cov(frame.to_numpy(), rowvar=False, ddof=0)
    else:
        S = np.asarray(sample_cov, dtype=float)
    pos = {c: j for j, c in enumerate(frame.columns)}
    value = _estimate_lookup(est)
    cross = {item: len(set(lam.loc[lam["rhs"] == item, "lhs"])) > 1 for item in items}
    out = {}
    for f in factors:
        its = list(constructs[f])
        idx = [pos[i] for i in its]
        out[f] = _convergent_validity(f, its, S[np.ix_(idx, idx)], value,
                                      any(cross[i] for i in its), warn)
    lv, fl = _fornell_larcker(out, factors, value)
    return {"constructs": out, "latent_correlations": lv, "factors": factors,
            "fornell_larcker": fl, "n": int(len(frame))}


def _estimate_lookup(est):
    """``value(lhs, op, rhs, col="est"|"std_all")`` from the estimates table (NaN when the
    parameter is absent; ``~~`` looked up both ways round)."""
    lookup = {}
    for lhs_, op_, rhs_, e_, s_ in zip(est["lhs"], est["op"], est["rhs"], est["est"],
                                       est["std_all"]):
        lookup.setdefault((str(lhs_), str(op_), str(rhs_)), (float(e_), float(s_)))

    def value(lhs, op, rhs, col="est"):
        hit = lookup.get((lhs, op, rhs))
        if hit is None and op == "~~":
            hit = lookup.get((rhs, op, lhs))
        if hit is None:
            return float("nan")
        return hit[0] if col == "est" else hit[1]

    return value


def _convergent_validity(f: str, its: list, Sf: np.ndarray, value, cross_loaded: bool,
                         warn: list) -> dict:
    """CR, omega (observed and model-implied), AVE and its checks for construct ``f``
    (``Sf``: the observed covariance matrix of its items)."""
    raw = np.array([value(f, "=~", i) for i in its])
    std = np.array([value(f, "=~", i, "std_all") for i in its])
    phi = value(f, "~~", f)
    common = np.outer(raw, raw) * phi
    theta = np.nan_to_num(np.array([[value(a, "~~", b) for b in its] for a in its]), nan=0.0)
    implied = common + theta
    rec = {"items": its, "std_loadings": dict(zip(its, std.tolist())),
           "cr": composite_reliability(std) if len(its) > 1 else None,
           "omega": float(common.sum() / Sf.sum()) if len(its) > 1 else None,
           "omega_model": float(common.sum() / implied.sum()) if len(its) > 1 else None,
           "ave_std": ave(std)}
    if cross_loaded or len(its) < 2:
        rec["ave"] = None
        if cross_loaded:
            warn.append(f"construct {f} has cross-loading indicators: AVE not computed "
                        "(as semTools::AVE)")
    else:
        rec["ave"] = float((raw ** 2).sum() * phi / np.trace(Sf))
    a_ = rec["ave"] if rec["ave"] is not None else rec["ave_std"]
    rec["sqrt_ave"] = float(np.sqrt(a_))
    rec["ave_ok"] = bool(a_ >= AVE_MIN)
    rec["cr_ok"] = bool(rec["cr"] is not None and rec["cr"] >= CR_MIN)
    weak = [i for i, v in zip(its, std) if abs(v) < 0.5]
    if weak:
        rec["weak_items"] = weak
    return rec


def _fornell_larcker(out: dict, factors: list, value):
    """Latent correlation matrix and the Fornell-Larcker check per pair; adds
    ``max_latent_r`` and ``fornell_larcker_passed`` to each construct of ``out``."""
    k = len(factors)
    lv = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            lv[a, b] = lv[b, a] = value(factors[a], "~~", factors[b], "std_all")
    fl = []
    for a in range(k):
        for b in range(a + 1, k):
            r = lv[a, b]
            sa, sb = out[factors[a]]["sqrt_ave"], out[factors[b]]["sqrt_ave"]
            fl.append({"a": factors[a], "b": factors[b], "r": float(r), "sqrt_ave_a": sa,
                       "sqrt_ave_b": sb,
                       "passed": bool(np.isfinite(r) and sa > abs(r) and sb > abs(r))})
    for a, f in enumerate(factors):
        others = [abs(lv[a, b]) for b in range(k) if b != a and np.isfinite(lv[a, b])]
        out[f]["max_latent_r"] = float(max(others)) if others else None
        out[f]["fornell_larcker_passed"] = bool(not others
                                                or out[f]["sqrt_ave"] > max(others))
    return lv, fl


def _validity_rows(data, items: list, missing: str, file, warn: list):
    """The rows and missing-data method of the CFA: ``(frame, method, sample_cov, n_total)``;
    under FIML ``sample_cov`` is the EM covariance matrix (else None).  Warns about
    near-singular items and dropped rows."""
    from ..errors import InputError
    from ._matrix import check_singular, cov2cor, em_moments
    from .item_data import select_items

    if missing not in ("auto", "listwise", "fiml"):
        raise InputError("missing must be 'auto', 'listwise' or 'fiml'", parameter="missing",
                         value=missing)
    frame = select_items(data, items, min_items=2, file=file)
    n_total = len(frame)
    if missing == "auto":
        missing = "fiml" if frame.isna().to_numpy().any() else "listwise"
    sample_cov = None
    if missing == "fiml":
        frame = frame[frame.notna().any(axis=1)]
        sample_cov = em_moments(frame.to_numpy())[1]
        check_singular(cov2cor(sample_cov), "item correlation matrix", warn)
    else:
        frame = frame.dropna()
        check_singular(np.corrcoef(frame.to_numpy(), rowvar=False), "item correlation matrix",
                       warn)
    if len(frame) < n_total:
        from ..errors import DataQualityWarning

        msg = (f"{len(frame)} of {n_total} rows used: {n_total - len(frame)} dropped ("
               + ("listwise deletion of incomplete rows; missing='fiml' would use every available value)"
                  if missing == "listwise" else "rows without any item value)"))
        warn.append(msg)
        warnings.warn(msg, DataQualityWarning, stacklevel=4)
    return frame, missing, sample_cov, n_total


@dataclass(repr=False)
class ValidityResult(Result):
    """Result of :func:`validity`."""

    n: int
    model: str
    factors: list
    constructs: dict
    latent_correlations: list
    fornell_larcker: list
    htmt: dict
    htmt2: dict
    htmt_pairs: list
    n_boot: int
    seed: int | None
    converged: bool
    missing: str
    fit: dict
    warnings: list = field(default_factory=list)
    cmv: dict | None = None
    thresholds: dict = field(default_factory=lambda: {
        "htmt_strict": HTMT_STRICT, "htmt_liberal": HTMT_LIBERAL, "ave": AVE_MIN, "cr": CR_MIN})
    title: str = "Construct validity (CFA)"
    n_total: int | None = None

    def headline(self) -> list:
        """CR and AVE per construct, the HTMT verdicts and the rows used."""
        out = [f"{f}: CR = {self.constructs[f]['cr']:.3f}, AVE = {self.constructs[f]['ave']:.3f}"
               for f in self.factors]
        out += [f"HTMT {p['a']}-{p['b']} = {p['htmt']:.3f}: {p['verdict']}" for p in self.htmt_pairs]
        out.append(f"n = {self.n} of {self.n_total if self.n_total is not None else self.n} rows "
                   f"(missing data: {self.missing})")
        return out

    def to_dict(self) -> dict:
        keys = ["n", "n_total", "missing", "model", "converged", "fit", "factors", "constructs",
                "latent_correlations", "fornell_larcker", "htmt", "htmt2", "htmt_pairs",
                "n_boot", "seed", "thresholds", "warnings"]
        out = {k: getattr(self, k) for k in keys}
        if self.cmv is not None:
            out["cmv"] = self.cmv
        return jsonsafe(out)

    def to_frame(self):
        import pandas as pd

        rows = []
        for f in self.factors:
            c = self.constructs[f]
            rows.append({"construct": f, "items": len(c["items"]), "cr": c["cr"],
                         "omega": c["omega"], "ave": c["ave"], "sqrt_ave": c["sqrt_ave"],
                         "ave_ok": c["ave_ok"], "cr_ok": c["cr_ok"]})
        return pd.DataFrame(rows)

    def matrix_frame(self):
        """Validity matrix: sqrt(AVE) on the diagonal, latent correlations below, HTMT above."""
        import pandas as pd

        k = len(self.factors)
        M = np.full((k, k), np.nan)
        for a, fa in enumerate(self.factors):
            M[a, a] = self.constructs[fa]["sqrt_ave"]
            for b, fb in enumerate(self.factors):
                if b < a:
                    M[a, b] = self.latent_correlations[a][b]
                elif b > a:
                    M[a, b] = self.htmt[fa][fb]
        return pd.DataFrame(M, index=self.factors, columns=self.factors)

    def summary(self) -> str:
        import pandas as pd

        lines = [f"{self.title}: n = {self.n} of {self.n_total if self.n_total is not None else self.n} rows "
                 f"({self.missing}), converged = {self.converged}"]
        if self.fit:
            keys = [k for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr") if k in self.fit]
            lines.append("fit: " + ", ".join(f"{k} = {self.fit[k]:.3f}" if isinstance(
                self.fit[k], float) else f"{k} = {self.fit[k]}" for k in keys))
        lines.append(super().summary().split("\n", 2)[-1])
        with pd.option_context("display.float_format", "{:.3f}".format):
            lines.append("validity matrix (diagonal sqrt(AVE), below latent r, above HTMT):")
            lines.append(self.matrix_frame().to_string())
        for p in self.htmt_pairs:
            ci = (f" [{p['ci_lower']:.3f}, {p['ci_upper']:.3f}]"
                  if p.get("ci_lower") is not None else "")
            lines.append(f"HTMT {p['a']}-{p['b']} = {p['htmt']:.3f}{ci}: {p['verdict']}")
        for p in self.fornell_larcker:
            lines.append(f"Fornell-Larcker {p['a']}-{p['b']}: r = {p['r']:.3f}, sqrt(AVE) "
                         f"{p['sqrt_ave_a']:.3f}/{p['sqrt_ave_b']:.3f} -> "
                         f"{'passed' if p['passed'] else 'FAILED'}")
        if self.cmv:
            h = self.cmv.get("harman")
            if h:
                lines.append(f"Harman: one factor explains {h['fa_share']:.1%} (factor), "
                             f"{h['pc_share']:.1%} (component); concern: {h['concern']}")
            c = self.cmv.get("common_latent_factor")
            if c:
                mv = c.get("method_variance")
                lines.append("common latent factor: " + (
                    "not interpretable (negative method variance)" if mv is None else
                    f"method variance {mv:.1%}, {c['n_flagged']} loading(s) change by more "
                    f"than {c['delta_threshold']}") + (
                    f"; chi2 diff = {c['chi2_diff']:.2f}, p = {c['p_diff']:.3g}"
                    if c.get("chi2_diff") is not None else ""))
            m = self.cmv.get("marker_variable")
            if m:
                lines.append(f"marker variable {m['marker']}: r_M = {m['r_m']:.3f}; "
                             f"{len(m['changed'])} correlation(s) lose significance")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@single_threaded
def validity(data, model: str, *, n_boot: int = 1000, seed: int | None = 12345,
             level: float = 0.95, fit=None, missing: str = "auto",
             file=None) -> ValidityResult:
    """Composite reliability, AVE, Fornell-Larcker and HTMT from a CFA of ``model``.

    Parameters
    ----------
    data : DataFrame
    model : str
        lavaan syntax of the measurement model (``f =~ a + b + c``).
    n_boot, seed, level : bootstrap of the HTMT intervals.
    fit : fitted model, optional
        A result of :func:`rsnprop.sem.fit` for ``model`` (fitted here when omitted, ML).
    missing : {"auto", "listwise", "fiml"}
        ``"fiml"`` fits the CFA by full-information ML (lavaan ``missing = "ml"``) and uses
        the EM (saturated) covariance matrix for omega, AVE and HTMT, as semTools does.
        ``"auto"`` (default, docs/missing-data.md): ``"fiml"`` when an item has a missing
        value, else the complete data.  ``n`` of ``n_total`` rows are used; a
        DataQualityWarning says when rows were dropped.

    Notes
    -----
    R: ``fit <- lavaan::cfa(model, data)``; ``semTools::compRelSEM(fit)``,
    ``semTools::compRelSEM(fit, obs.var = FALSE)``, ``semTools::AVE(fit)``,
    ``lavInspect(fit, "cor.lv")``, ``semTools::htmt(model, data, htmt2 = FALSE)``.
    """
    warn: list = []
    constructs = parse_measurement(model)
    items = list(dict.fromkeys(i for f in constructs for i in constructs[f]))
    frame, missing, sample_cov, n_total = _validity_rows(data, items, missing, file, warn)
    if fit is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_cfa(model, frame, missing=missing)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)
    warn.extend(getattr(fit, "warnings", []) or [])
    converged = bool(getattr(fit, "converged", True))
    if not converged:
        warn.append("the CFA did not converge: CR, AVE and Fornell-Larcker are not trustworthy")
    val = validity_from_fit(fit, frame, constructs, warn_list=warn, sample_cov=sample_cov)
    from .heterotrait_monotrait import htmt

    ht = htmt(frame, constructs, n_boot=n_boot, seed=seed, level=level, missing=missing)
    fitd = dict(getattr(fit, "fit", {}) or {})
    factors = val["factors"]
    for f in factors:
        c = val["constructs"][f]
        if not c["ave_ok"]:
            warn.append(f"construct {f}: AVE below {AVE_MIN} (convergent validity not supported)")
    return ValidityResult(
        n=int(len(frame)), model=model, missing=missing, factors=factors, constructs=val["constructs"],
        latent_correlations=val["latent_correlations"].tolist(),
        fornell_larcker=val["fornell_larcker"],
        htmt={a: {b: float(ht["htmt"].loc[a, b]) for b in factors} for a in factors},
        htmt2={a: {b: float(ht["htmt2"].loc[a, b]) for b in factors} for a in factors},
        htmt_pairs=ht["pairs"], n_boot=ht["n_boot"], seed=seed, converged=converged,
        fit={k: fitd.get(k) for k in ("chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
             if k in fitd}, warnings=warn, n_total=int(n_total))
