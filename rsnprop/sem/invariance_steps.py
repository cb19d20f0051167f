"""The steps of a measurement-invariance sequence, across groups or across waves.

Each step is a model with more equality constraints than the one before (metric: loadings;
scalar: + intercepts, or thresholds for ordinal items; strict: + residual variances).  This module
holds what both sequences share (:func:`rsnprop.sem.invariance` across groups, in
:mod:`rsnprop.sem.group_invariance`; :func:`rsnprop.sem.longitudinal.longitudinal_invariance`
across waves): the record of a fitted step, its comparison with the previous step, the
decision rule, the running log of the sequence and :class:`InvarianceResult`.

Steps are compared by a chi-square difference (likelihood-ratio) test and by the changes in
CFI, RMSEA and SRMR.  Decision rule (Chen 2007, *Structural Equation Modeling* 14, 464-504): a
step fails when ``delta_cfi <= -0.010`` **and** (``delta_rmsea >= 0.015`` or ``delta_srmr >=
0.030`` for metric, ``>= 0.010`` for scalar and strict).  ``rule="lrt"`` uses the chi-square
difference test at ``alpha`` instead.  ``rule="score"`` (ML only) fails a step when a score test
of one of the step's new equality constraints (:func:`rsnprop.sem.scoretest.score_tests`,
lavaan's ``lavTestScore``) is significant after ``correction`` at ``alpha``.  The level reported
is the last step that holds in sequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from ..distributions import chi2_sf
from ..results import Result, jsonsafe
from .scoretest import score_tests

__all__ = ["InvarianceResult", "SCHEMA", "STEP_FIT_KEYS", "StepLog", "step_record", "lrt", "judge_step",
           "compare_steps", "collect_warnings", "rule_text", "drop_strict_for_delta", "STEP_TYPE",
           "step_score_tests", "close_call"]

#: contract of the JSON of InvarianceResult.to_dict (rsnprop.schemas.Invariance)
SCHEMA = "rsnprop.invariance/1"

#: columns of :meth:`InvarianceResult.to_frame`, lavaan's names: standard and (when the
#: estimator has them) scaled / robust side by side
_FRAME_KEYS = ("name", "n", "chi2", "df", "pvalue", "chi2_scaled", "df_scaled", "pvalue_scaled", "cfi",
               "rmsea", "cfi_robust", "rmsea_robust", "srmr", "delta_cfi", "delta_rmsea", "delta_cfi_robust",
               "delta_rmsea_robust", "delta_srmr")
_SRMR_CUT = {"metric": 0.030, "scalar": 0.010, "strict": 0.010}


class InvarianceResult(Result):
    """Result of :func:`invariance`.

    Attributes
    ----------
    steps : list of dict
        One per fitted step: ``name, group_equal, freed, converged, n, n_total``, the fit
        measures under the same keys as :attr:`SEMResult.fit <rsnprop.sem.results.SEMResult>`
        (lavaan's names: ``chi2, df, pvalue, cfi, tli, rmsea, srmr`` are the standard
        statistics; MLR and WLSMV add ``chi2_scaled, pvalue_scaled, cfi_scaled, cfi_robust,
        rmsea_scaled, rmsea_robust...``), ``fit_indices`` (``"robust"`` or ``"standard"``: the
        CFI/RMSEA the rule compares), ``delta_cfi, delta_rmsea, delta_srmr`` (standard) and, with
        robust indices, ``delta_cfi_robust, delta_rmsea_robust``; ``lrt {chi2_diff, df_diff,
        pvalue, method}``, ``held``.  The configural step equals ``fit(model, data, group=...)``
        key by key.
    n, n_total : int
        Rows used / rows given (lavaan's "Used" and "Total").
    n_per_group, n_total_per_group : dict
        The same per group.
    missing : str
        Missing-data method used (``"fiml"`` or ``"listwise"``).
    level : str
        Highest level that holds in sequence (``"none"`` when even configural fails to converge).
    fits : dict
        The fitted :class:`~rsnprop.sem.results.SEMResult` of every step, by name.
    latent_means : dict
        ``{group: {factor: mean}}`` from the most constrained model that still frees latent
        means (scalar or partial scalar); the first group is the reference (0).
    latent_mean_differences : pandas.DataFrame
        ``group, factor, est, se, z, pvalue, ci_lower, ci_upper, std`` (difference to the first
        group; ``std`` divides by the reference group's latent SD).
    """

    title = "Measurement invariance"

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def to_frame(self):
        keys = [k for k in _FRAME_KEYS if any(s.get(k) is not None for s in self.steps)]
        rows = []
        for s in self.steps:
            r = {k: s.get(k) for k in keys}
            lrt = s.get("lrt") or {}
            r.update(chi2_diff=lrt.get("chi2_diff"), df_diff=lrt.get("df_diff"), p_diff=lrt.get("pvalue"),
                     lrt_method=lrt.get("method", "likelihood ratio" if lrt else None),
                     held=s.get("held"), freed=", ".join(s.get("freed", [])))
            rows.append(r)
        return pd.DataFrame(rows)

    def to_dict(self):
        return jsonsafe({
            "group": self.group, "groups": [str(g) for g in self.groups], "n": self.n, "n_total": self.n_total,
            "n_per_group": self.n_per_group, "n_total_per_group": self.n_total_per_group,
            "missing": self.missing, "estimator": self.estimator, "rule": self.rule, "steps": self.steps,
            "level": self.level,
            "latent_means": self.latent_means,
            "latent_mean_differences": self.latent_mean_differences,
            "warnings": self.warnings,
            "schema": SCHEMA,
        })

    def _sample_text(self):
        tot = getattr(self, "n_total_per_group", {}) or {}
        per = ", ".join(f"{k}: {v} of {tot.get(k, v)}" for k, v in self.n_per_group.items())
        return (f"rows used {self.n} of {self.n_total} ({per}); missing data: "
                f"{ {'fiml': 'FIML', 'listwise': 'listwise deletion'}.get(self.missing, self.missing) }")

    def headline(self) -> list:
        """The lines a reader needs first: level held, the rule, rows used, latent means."""
        out = [f"level held: {self.level}", f"rule: {self.rule}", self._sample_text()]
        lmd = self.latent_mean_differences
        if lmd is not None and len(lmd):
            model = getattr(self, "latent_means_model", None)
            out.append(f"latent mean differences (vs {lmd['reference'].iloc[0]}, {model} model, 95% CI):")
            out += [f"  {r.group} - {r.reference}, {r.factor}: {r.est:.3f} [{r.ci_lower:.3f}, {r.ci_upper:.3f}], "
                    f"p = {r.pvalue:.3g}, std (reference SD) = {r.std:.3f}" for r in lmd.itertuples()]
        return out

    def summary(self):
        with pd.option_context("display.width", 200, "display.max_columns", 40,
                               "display.float_format", "{:.3f}".format):
            text = [f"{self.title} by '{self.group}' ({self.estimator})"] + self.headline()
            text.append(self.to_frame().to_string(index=False))
        text.append("chi2, cfi, rmsea: standard statistics; *_scaled / *_robust: lavaan's scaled and robust "
                    "versions; p_diff: chi-square difference test (lrt_method)")
        for w in self.warnings:
            text.append(f"warning: {w}")
        return "\n".join(text)

    def __repr__(self):
        return (f"<InvarianceResult by {self.group!r} ({self.estimator}): level held {self.level!r}, "
                f"{len(self.steps)} steps, n = {self.n} of {self.n_total}>")

    def to_html(self):
        warn = "".join(f"<li>{escape(w)}</li>" for w in self.warnings)
        return ("<div class='rsnprop-invariance'>" + super().to_html()
                + (f"<ul class='rsnprop-warnings'>{warn}</ul>" if warn else "") + "</div>")


#: fit measures copied into a step record under lavaan's names (``fitMeasures``: ``chisq`` ->
#: ``chi2``, ``cfi.robust`` -> ``cfi_robust``...): a step's ``cfi`` is the standard CFI, as in
#: :func:`rsnprop.sem.fit`, never the robust one.
STEP_FIT_KEYS = ("npar", "chi2", "df", "pvalue", "chi2_scaled", "df_scaled", "pvalue_scaled",
                 "chi2_scaling_factor", "chi2_shift", "cfi", "tli", "cfi_scaled", "tli_scaled",
                 "cfi_robust", "tli_robust", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue",
                 "rmsea_scaled", "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled", "rmsea_robust",
                 "rmsea_ci_lower_robust", "rmsea_ci_upper_robust", "srmr", "loglik", "aic", "bic")


def step_record(name, res, group_equal, freed):
    """One step: its fit measures keyed exactly as ``res.fit`` (lavaan's names), the rows used and
    which CFI/RMSEA the decision rule compares (``fit_indices``: ``"robust"`` when the fit has
    robust indices, i.e. MLR and WLSMV, as lavaan's ``cfi.robust``/``rmsea.robust``)."""
    f = res.fit
    rec = {"name": name, "group_equal": list(group_equal), "freed": list(freed), "converged": res.converged,
           "n": int(res.n), "n_total": int(getattr(res, "n_total", res.n))}
    rec.update({k: f[k] for k in STEP_FIT_KEYS if k in f})
    rec["fit_indices"] = "robust" if f.get("cfi_robust") is not None and f.get("rmsea_robust") is not None \
        else "standard"
    return rec


def lrt(res1, res0):
    """Chi-square difference test of nested ``res1`` (more constrained) against ``res0``.

    With MLR, the Satorra-Bentler (2001) scaled difference; with WLSMV the scaled-shifted
    Satorra (2000) difference; both as lavaan's ``lavTestLRT``.
    """

    f1, f0 = res1.fit, res0.fit
    d_df = f1["df"] - f0["df"]
    d_chi = f1["chi2"] - f0["chi2"]
    out = {"chi2_diff": d_chi, "df_diff": d_df}
    if res1.estimator in ("WLSMV", "DWLS"):
        from .ordinal import satorra2000

        return satorra2000(res0, res1)
    if "chi2_scaling_factor" in f1 and "chi2_scaling_factor" in f0 and d_df > 0 and res1.estimator == "MLR":
        c1, c0 = f1["chi2_scaling_factor"], f0["chi2_scaling_factor"]
        cd = (f1["df"] * c1 - f0["df"] * c0) / d_df
        out["scaling_factor"] = cd
        out["chi2_diff"] = d_chi / cd if cd > 0 else float("nan")
        out["method"] = "satorra.bentler.2001"
    out["pvalue"] = float(chi2_sf(out["chi2_diff"], d_df)) if d_df > 0 else float("nan")
    return out


#: parameter type whose equality a step adds (the constraints a score test of the step releases)
STEP_TYPE = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals", "means": "means"}


def step_score_tests(res, name, correction, alpha, cumulative=True):
    """Score tests of the constraints step ``name`` adds (:data:`STEP_TYPE`) in the fit ``res``,
    computed once per fit (the partial search asks again for the tests its step was judged by);
    ``cumulative=False``: the univariate tests only (:func:`rsnprop.sem.scoretest.score_tests`)."""
    key = (STEP_TYPE[name.replace("partial_", "")], correction, alpha, cumulative)
    kept = res.__dict__.get("_step_score_tests")
    if kept is None or kept[0] != key:
        kept = (key, score_tests(res, types=(key[0],), correction=correction, alpha=alpha, cumulative=cumulative))
        res.__dict__["_step_score_tests"] = kept
    return kept[1]


def _score_step(rec, res, correction, alpha, cumulative=True):
    """Score tests of the step's own constraints; ``rec["score_tests"]`` and ``rec["held"]``."""

    st = step_score_tests(res, rec["name"], correction, alpha, cumulative)
    rec["score_tests"] = {"total": st.total, "correction": correction, "alpha": alpha,
                          # without the cumulative tests (power replications): the rows as built,
                          # not read back from the table (the same values)
                          "univariate": (st.univariate.to_dict("records") if cumulative
                                         else [dict(r) for r in st.records]),
                          "cumulative": st.cumulative.to_dict("records") if cumulative else []}
    rec["held"] = not any(r["flagged"] for r in st.records)
    return st


def collect_warnings(warnings, name, res):
    """Add a step's warnings, prefixed by the step; the rows-used line (the same rows in every
    step) only once."""
    for w in res.warnings:
        if w.startswith(f"{res.n} of {getattr(res, 'n_total', '')} rows used"):
            if w not in warnings:
                warnings.append(w)
        else:
            warnings.append(f"{name}: {w}")


def compare_steps(rec, prev, prev_res, res, rule, alpha, correction="holm", cumulative=True):
    """Deltas of the fit indices and the difference test of ``rec`` (fit ``res``) against the
    previous step ``prev`` (fit ``prev_res``), and ``rec["held"]`` under ``rule``
    (``cumulative=False``: the score rule runs the univariate score tests only)."""
    # standard indices always; robust ones beside them when the fit has them (lavaan names)
    rec["delta_cfi"] = rec["cfi"] - prev["cfi"]
    rec["delta_rmsea"] = rec["rmsea"] - prev["rmsea"]
    rec["delta_srmr"] = rec["srmr"] - prev["srmr"]
    if rec["fit_indices"] == "robust" and prev["fit_indices"] == "robust":
        rec["delta_cfi_robust"] = rec["cfi_robust"] - prev["cfi_robust"]
        rec["delta_rmsea_robust"] = rec["rmsea_robust"] - prev["rmsea_robust"]
    sfx = "_robust" if "delta_cfi_robust" in rec else ""
    d_cfi, d_rmsea = rec["delta_cfi" + sfx], rec["delta_rmsea" + sfx]
    rec["lrt"] = lrt(res, prev_res)
    base = rec["name"].replace("partial_", "")
    cut = _SRMR_CUT.get(base, 0.010)
    fails = d_cfi <= -0.010 and (d_rmsea >= 0.015 or rec["delta_srmr"] >= cut)
    if rule == "score":
        _score_step(rec, res, correction, alpha, cumulative)
    elif rule == "lrt":
        p = rec["lrt"]["pvalue"]
        # no valid difference test: fall back to the fit-index rule
        rec["held"] = bool(not fails) if math.isnan(p) else bool(not (p < alpha))
    else:
        rec["held"] = bool(not fails)
    return rec


def rule_text(rule, alpha, fit_indices="standard", correction="holm"):
    """The decision rule in words (``InvarianceResult.rule``)."""
    if rule == "score":
        return (f"score tests (lavTestScore) of the step's equality constraints: a step holds unless "
                f"a {correction}-corrected p < {alpha}")
    indices = ("; CFI and RMSEA are the robust ones (lavaan cfi.robust, rmsea.robust)" if fit_indices == "robust"
               else "; CFI and RMSEA are the standard ones")
    if rule == "lrt":
        return (f"chi-square difference test: a step holds unless p < {alpha} (the fit-index rule of Chen (2007) "
                f"where no difference test is available{indices})")
    return ("Chen (2007): a step fails when delta CFI <= -0.010 and (delta RMSEA >= 0.015 or delta SRMR >= "
            "0.030 for metric / 0.010 for scalar and strict)" + indices)


def judge_step(rec, res, prev, rule, alpha, correction="holm", cumulative=True):
    """Fill the comparison keys of ``rec`` (fit ``res``): the first step (``prev`` None) holds when
    it converges; a later one is compared with ``prev = (record, fit)`` (:func:`compare_steps`)."""
    if prev is None:
        rec.update(delta_cfi=None, delta_rmsea=None, delta_srmr=None, lrt=None, held=bool(res.converged))
    else:
        compare_steps(rec, prev[0], prev[1], res, rule, alpha, correction, cumulative)
    return rec


def close_call(steps, alpha, rel=2e-3):
    """True when a decision of the score rule in ``steps`` is within ``rel`` of changing: a step
    that did not converge, a corrected p-value within ``rel * alpha`` of ``alpha``, or two flagged
    univariate statistics of a step within ``rel`` relative of each other (their order picks the
    constraint freed first).  A sequence whose fits differ from another's in their last digits
    (warm starts, the lean fits' stop at a gradient of 1e-6: statistics within ~6e-5 relative,
    p-values near ``alpha`` within ~4e-4 relative) makes the same decisions when this is False.

    >>> close_call([{"converged": True, "score_tests": {"univariate": [
    ...     {"X2": 9.0, "p_adjusted": 0.05005, "flagged": False}]}}], 0.05)
    True
    """
    for s in steps:
        if not s.get("converged", True):
            return True
        uni = (s.get("score_tests") or {}).get("univariate") or []
        if any(abs(r["p_adjusted"] - alpha) <= rel * alpha for r in uni):
            return True
        x2 = sorted(r["X2"] for r in uni if r["flagged"])
        if any(b - a <= rel * abs(b) for a, b in zip(x2, x2[1:])):
            return True
    return False


def drop_strict_for_delta(levels, ordinal, parameterization):
    """``(levels, notes)``: with ordinal indicators in the delta parametrisation the strict step
    cannot be tested (residual variances are not parameters): it is left out, with a note."""
    if ordinal and "strict" in levels and parameterization == "delta":
        return [lv for lv in levels if lv != "strict"], [
            "strict invariance is not tested with ordinal indicators (delta parametrisation: "
            "residual variances are not parameters; use parameterization='theta')"]
    return list(levels), []


@dataclass
class StepLog:
    """The sequence as it runs: the step records and fits (by step name) in order, the warnings,
    and the level held in sequence (``"none"`` until a step holds)."""

    steps: list = field(default_factory=list)
    fits: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    level: str = "none"
    chain_ok: bool = True

    def add(self, rec, res):
        """Append a fitted step (a later fit of the same name replaces the earlier one in ``fits``)."""
        self.steps.append(rec)
        self.fits[rec["name"]] = res

    def advance(self, name, rec):
        """The level held moves to ``rec`` while every step so far held (``means`` tests latent
        means, not a level of measurement invariance: it never moves the level)."""
        if name == "means":
            return
        if self.chain_ok and rec["held"]:
            self.level = rec["name"]
        else:
            self.chain_ok = False
