"""Measurement invariance across groups: configural -> metric -> scalar -> strict.

Each step is a multigroup model with more equality constraints (``group_equal``): metric
(loadings), scalar (+ intercepts; + thresholds for ordinal items), strict (+ residual variances).
Steps are compared with the previous one by a chi-square difference (likelihood-ratio) test
and by the changes in CFI, RMSEA and SRMR.

Decision rule (Chen 2007, *Structural Equation Modeling* 14, 464-504): a step fails when
``delta_cfi <= -0.010`` **and** (``delta_rmsea >= 0.015`` **or** ``delta_srmr >= 0.030`` for
metric, ``>= 0.010`` for scalar and strict).  ``rule="lrt"`` uses the chi-square difference test
at ``alpha`` instead.  ``rule="score"`` (ML only) fails a step when a score test of one of the
step's new equality constraints (:func:`rsnprop.sem.scoretest.score_tests`, lavaan's
``lavTestScore``) is significant after ``correction`` at ``alpha``: with Holm or Bonferroni a
family-wise test that says *which* constraint fails.  The level reported is the last step that
holds in sequence.

Partial invariance (``partial_search=True``): when a step fails, constraints are freed one at a
time until the step holds or ``max_free`` constraints are freed.  ``locate="lrt"`` frees the
constraint whose release lowers chi-square most (one refit per candidate, a likelihood-ratio
search); ``locate="score"`` frees the one with the largest univariate score statistic among
those flagged after ``correction`` (one refit per freed constraint), as semTools users do with
``lavTestScore`` (Byrne, Shavelson & Muthen 1989 for the iterative release).
"""

from __future__ import annotations

import math

from ..errors import InputError
from ..results import Result, jsonsafe

__all__ = ["invariance", "InvarianceResult", "LEVELS", "SCHEMA"]

#: contract of the JSON of InvarianceResult.to_dict (rsnprop.schemas.Invariance)
SCHEMA = "rsnprop.invariance/1"

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
    # optional last step (not a measurement-invariance level): equal latent means on top of the
    # previous step; it does not change ``level``
    "means": None,
}
#: columns of :meth:`InvarianceResult.to_frame`, lavaan's names: standard and (when the
#: estimator has them) scaled / robust side by side
_FRAME_KEYS = ("name", "n", "chi2", "df", "pvalue", "chi2_scaled", "df_scaled", "pvalue_scaled", "cfi",
               "rmsea", "cfi_robust", "rmsea_robust", "srmr", "delta_cfi", "delta_rmsea", "delta_cfi_robust",
               "delta_rmsea_robust", "delta_srmr")
_SRMR_CUT = {"metric": 0.030, "scalar": 0.010, "strict": 0.010}
_CANDIDATE_OP = {"metric": "=~", "scalar": "~1", "strict": "~~"}


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
        import pandas as pd

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
        import pandas as pd

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
        from html import escape

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


def _step_record(name, res, group_equal, freed):
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
    from scipy import stats

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
    out["pvalue"] = float(stats.chi2.sf(out["chi2_diff"], d_df)) if d_df > 0 else float("nan")
    return out


#: parameter type whose equality a step adds (the constraints a score test of the step releases)
_STEP_TYPE = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals", "means": "means"}


def _score_step(rec, res, correction, alpha):
    """Score tests of the step's own constraints; ``rec["score_tests"]`` and ``rec["held"]``."""
    from .scoretest import score_tests

    base = rec["name"].replace("partial_", "")
    st = score_tests(res, types=(_STEP_TYPE[base],), correction=correction, alpha=alpha)
    rec["score_tests"] = {"total": st.total, "correction": correction, "alpha": alpha,
                          "univariate": st.univariate.to_dict("records"),
                          "cumulative": st.cumulative.to_dict("records")}
    rec["held"] = bool(not st.univariate["flagged"].any())
    return st


def _collect_warnings(warnings, name, res):
    """Add a step's warnings, prefixed by the step; the rows-used line (the same rows in every
    step) only once."""
    for w in res.warnings:
        if w.startswith(f"{res.n} of {getattr(res, 'n_total', '')} rows used"):
            if w not in warnings:
                warnings.append(w)
        else:
            warnings.append(f"{name}: {w}")


def _compare(rec, prev, prev_res, res, rule, alpha, correction="holm"):
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
        _score_step(rec, res, correction, alpha)
    elif rule == "lrt":
        p = rec["lrt"]["pvalue"]
        # no valid difference test: fall back to the fit-index rule
        rec["held"] = bool(not fails) if math.isnan(p) else bool(not (p < alpha))
    else:
        rec["held"] = bool(not fails)
    return rec


def invariance(model, data, group=None, *, repeated=None, levels=("configural", "metric", "scalar", "strict"),
               partial_search=False, estimator="ML", missing="auto", ordered=None, std_lv=False,
               rule="chen2007", alpha=0.05, max_free=None, level=0.95, parameterization="delta",
               locate="lrt", correction="holm"):
    """Run the measurement-invariance sequence of ``model`` across the groups of ``group``.

    Parameters
    ----------
    model : str
        lavaan syntax of the (configural) measurement model.
    data : pandas.DataFrame
    group : str
        Grouping column (e.g. ``"bg_ms20"``); groups in order of first appearance.
    levels : sequence of str
        Subset (in order) of ``configural, metric, scalar, strict``, optionally followed by
        ``means`` (equal latent means on top of the last of scalar/strict: an omnibus test of
        latent mean differences, reported as a step but not counted in ``level``).
    partial_search : bool
        Free constraints one at a time (largest chi-square drop first) when a step fails.
    estimator, missing, ordered, std_lv
        As in :func:`rsnprop.sem.fit`.
    rule : {"chen2007", "lrt", "score"}
    alpha : float
        Level of the chi-square difference test when ``rule="lrt"``, of the corrected score
        tests with ``rule="score"`` or ``locate="score"``.
    locate : {"lrt", "score"}
        How the partial search picks the constraint to free (module docstring).
    correction : str
        Correction of the univariate score tests (``holm``, ``bonferroni``, ``fdr_bh``,
        ``none``, ...: ``p.adjust`` names), over the constraints of the step.
    max_free : int, optional
        Largest number of constraints freed per step in the partial search (default: half).
    parameterization : {"delta", "theta"}
        Ordinal indicators (as :func:`rsnprop.sem.fit`).  ``"theta"`` makes the residual
        variances of the latent responses parameters, so that the strict step (equal loadings,
        thresholds and residual variances, lavaan's ``group.equal = c("thresholds", "loadings",
        "intercepts", "residuals")`` with ``parameterization = "theta"``) can be tested; with
        ``"delta"`` it is skipped (a note in ``warnings``).  Configural and scalar fit the same
        in both; the metric models differ (lavaan's defaults: delta fixes the scaling factors,
        theta the residual variances at 1 in every group).
    repeated : list of str, optional
        Longitudinal invariance instead of groups: the factors of one construct at successive
        waves, indicators matched by position (:func:`rsnprop.sem.longitudinal.longitudinal_invariance`;
        give no ``group``).

    Returns
    -------
    InvarianceResult

    Examples
    --------
    >>> from rsnprop.sem import invariance
    >>> from rsnprop.datasets import holzinger_swineford
    >>> inv = invariance("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
    ...                  holzinger_swineford(), "school", levels=("configural", "metric", "scalar"))
    >>> [round(s["chi2"], 3) for s in inv.steps]
    [115.851, 124.044, 164.103]
    >>> inv.level
    'metric'

    In R: ``semTools::measEq.syntax`` or ``cfa(model, data, group = "school",
    group.equal = c("loadings", "intercepts"))`` for each step, then ``lavTestLRT``.

    Ordinal (Likert) items, strict step included (theta parametrisation):

    >>> from rsnprop.datasets import bfi
    >>> items = ["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "C4", "C5"]
    >>> d = bfi()[items + ["gender"]].dropna()
    >>> inv = invariance("agree =~ A1 + A2 + A3 + A4 + A5\\nconsc =~ C1 + C2 + C3 + C4 + C5", d,
    ...                  "gender", ordered=items, parameterization="theta")
    >>> [(s["name"], round(float(s["chi2_scaled"])), s["df"]) for s in inv.steps]
    [('configural', 644, 68), ('metric', 604, 76), ('scalar', 707, 114), ('strict', 737, 124)]
    >>> inv.level
    'strict'

    In R: ``cfa(model, data, ordered = items, group = "gender", parameterization = "theta",
    group.equal = c("thresholds", "loadings", "intercepts", "residuals"))`` for the strict step.
    """
    from .api import fit

    if repeated is not None:
        if group is not None:
            raise InputError("give either group or repeated, not both", parameter="repeated", value=group)
        from .longitudinal import longitudinal_invariance

        return longitudinal_invariance(model, data, repeated, levels=levels, partial_search=partial_search,
                                       estimator=estimator, missing=missing, ordered=ordered, std_lv=std_lv,
                                       rule=rule, alpha=alpha, max_free=max_free, level=level,
                                       parameterization=parameterization)
    levels = list(levels)
    for lv in levels:
        if lv not in LEVELS:
            raise InputError(f"unknown invariance level (known: {', '.join(LEVELS)})", parameter="levels", value=lv)
    order = list(LEVELS)
    if [order.index(x) for x in levels] != sorted(order.index(x) for x in levels):
        raise InputError("levels must be in the order configural, metric, scalar, strict, means",
                         parameter="levels", value=",".join(levels))
    if "means" in levels and not {"scalar", "strict"} & set(levels):
        raise InputError("the 'means' step needs scalar (or strict) invariance before it", parameter="levels",
                         value=",".join(levels))
    if rule not in ("chen2007", "lrt", "score"):
        raise InputError("rule must be 'chen2007', 'lrt' or 'score'", parameter="rule", value=rule)
    if locate not in ("lrt", "score"):
        raise InputError("locate must be 'lrt' or 'score'", parameter="locate", value=locate)
    if "score" in (rule, locate):
        from .scoretest import check_correction

        check_correction(correction)
    if group is None or group not in getattr(data, "columns", []):
        raise InputError("group column not found in the data", column=group, parameter="group")
    ordinal = bool(ordered) or str(estimator).upper() in ("WLSMV", "DWLS")
    if parameterization not in ("delta", "theta"):
        raise InputError("parameterization must be 'delta' or 'theta'", parameter="parameterization",
                         value=parameterization)
    if ordinal and "score" in (rule, locate):
        raise InputError("score tests of equality constraints need ML (continuous indicators)",
                         parameter="rule" if rule == "score" else "locate", value="score")
    if parameterization != "delta" and not ordinal:
        raise InputError("parameterization is for ordinal indicators (ordered=[...])", parameter="parameterization",
                         value=parameterization)
    notes = []
    if ordinal and "strict" in levels and parameterization == "delta":
        levels = [lv for lv in levels if lv != "strict"]
        notes.append("strict invariance is not tested with ordinal indicators (delta parametrisation: "
                     "residual variances are not parameters; use parameterization='theta')")

    def equal_for(name):
        if name == "means":
            prev = [lv for lv in levels if lv in ("scalar", "strict")][-1]
            return equal_for(prev) + ["means"]
        eq = list(LEVELS[name])
        if ordinal and "intercepts" in eq:
            eq[eq.index("intercepts")] = "thresholds"
        return eq

    kw = dict(group=group, estimator=estimator, missing=missing, ordered=ordered, std_lv=std_lv, level=level)
    if parameterization != "delta":
        kw["parameterization"] = parameterization
    steps, fits, warnings = [], {}, list(notes)
    prev_rec = prev_res = None
    held_level = "none"
    chain_ok = True
    partial: list[str] = []
    for name in levels:
        eq = equal_for(name)
        res = fit(model, data, group_equal=eq, group_partial=partial, **kw)
        rec = _step_record(("partial_" if partial else "") + name, res, eq, partial)
        if prev_rec is not None:
            _compare(rec, prev_rec, prev_res, res, rule, alpha, correction)
        else:
            rec.update(delta_cfi=None, delta_rmsea=None, delta_srmr=None, lrt=None, held=bool(res.converged))
        steps.append(rec)
        fits[rec["name"]] = res
        _collect_warnings(warnings, name, res)
        if not rec["held"] and partial_search and prev_rec is not None and name in _CANDIDATE_OP:
            freed = list(partial)
            limit = max_free if max_free is not None else None
            cur_res, cur_rec = res, rec
            cands = _candidates(res, name)
            if limit is None:
                limit = max(1, len(cands) // 2)
            n_new = 0
            while not cur_rec["held"] and cands and n_new < limit:
                if locate == "score":
                    best = _score_pick(cur_res, cur_rec, name, cands, correction, alpha,
                                       lambda c: fit(model, data, group_equal=eq, group_partial=freed + [c], **kw))
                else:
                    best = _lrt_pick(cands, lambda c: fit(model, data, group_equal=eq,
                                                          group_partial=freed + [c], **kw))
                if best is None:
                    break
                freed.append(best[0])
                cands.remove(best[0])
                n_new += 1
                cur_res = best[1]
                cur_rec = _step_record("partial_" + name, cur_res, eq, freed)
                _compare(cur_rec, prev_rec, prev_res, cur_res, rule, alpha, correction)
            if cur_res is not res:
                steps.append(cur_rec)
                fits["partial_" + name] = cur_res
                rec, res = cur_rec, cur_res
                partial = freed
        if name == "means":
            pass  # a test of equal latent means, not a level of measurement invariance
        elif chain_ok and rec["held"]:
            held_level = rec["name"]
        else:
            chain_ok = False
        prev_rec, prev_res = rec, res
    # latent means from the most constrained model with free latent means that held, else scalar
    lm_res = None
    for name in ("partial_scalar", "scalar"):
        if name in fits and any(s["name"] == name and s["held"] for s in steps):
            lm_res = fits[name]
            break
    if lm_res is None:
        lm_res = fits.get("partial_scalar") or fits.get("scalar")
    if lm_res is None:
        lm_res = next((fits[k] for k in ("partial_strict", "strict") if k in fits), None)
    latent_means, diffs = _latent_means(lm_res) if lm_res is not None else ({}, None)
    first = next(iter(fits.values()))
    return InvarianceResult(group=group, groups=first.groups, n=int(first.n), n_total=int(first.n_total),
                            n_per_group={str(k): v for k, v in first.n_per_group.items()},
                            n_total_per_group={str(k): v for k, v in first.n_total_per_group.items()},
                            missing=first.missing,
                            estimator=first.estimator,
                            rule=_rule_text(rule, alpha, steps[0]["fit_indices"], correction),
                            steps=steps, level=held_level,
                            fits=fits, latent_means=latent_means, latent_mean_differences=diffs,
                            latent_means_model=None if lm_res is None else
                            next(k for k, v in fits.items() if v is lm_res), warnings=warnings)


def _lrt_pick(cands, refit):
    """The candidate whose release lowers chi-square most: ``(candidate, fit)`` or None."""
    best = None
    for c in cands:
        r2 = refit(c)
        if r2.converged and (best is None or r2.fit["chi2"] < best[1].fit["chi2"]):
            best = (c, r2)
    return best


def _score_pick(res, rec, name, cands, correction, alpha, refit):
    """The flagged constraint with the largest univariate score statistic: ``(candidate, fit)``
    or None when none is flagged (or its refit does not converge)."""
    from .scoretest import score_tests

    st = score_tests(res, types=(_STEP_TYPE[name],), correction=correction, alpha=alpha)
    u = st.univariate[st.univariate["flagged"]].sort_values("X2", ascending=False, kind="stable")
    for r in u.itertuples():
        c = f"{r.lhs}~1" if r.op == "~1" else f"{r.lhs}{r.op}{r.rhs}"
        if c in cands:
            r2 = refit(c)
            return (c, r2) if r2.converged else None
    return None


def _rule_text(rule, alpha, fit_indices="standard", correction="holm"):
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


def _candidates(res, name):
    op = _CANDIDATE_OP[name]
    e = res.estimates
    if name == "scalar" and res.estimator in ("WLSMV", "DWLS"):
        sel = e[(e.op == "|") & e.free & (e.group == 1)]
        # continuous variables mixed in: their intercepts are equal with the thresholds (lavaan)
        num = e[(e.op == "~1") & e.free & (e.group == 1) & e.lhs.isin(res._pt.ov)]
        return [f"{r.lhs}|{r.rhs}" for r in sel.itertuples()] + [f"{r.lhs}~1" for r in num.itertuples()]
    if name == "strict" and res.estimator in ("WLSMV", "DWLS"):  # theta: residual variances fixed at 1
        sel = e[(e.op == "~~") & (e.lhs == e.rhs) & e.lhs.isin(res._pt.ov) & (e.group == 1)]
        return [f"{r.lhs}~~{r.rhs}" for r in sel.itertuples()]
    sel = e[(e.op == op) & e.free & (e.group == 1)]
    if name == "strict":
        sel = sel[(sel.lhs == sel.rhs) & sel.lhs.isin(res._pt.ov)]
    if name == "scalar":
        sel = sel[sel.lhs.isin(res._pt.ov)]
    out = []
    for r in sel.itertuples():
        out.append(f"{r.lhs}~1" if op == "~1" else f"{r.lhs}{op}{r.rhs}")
    return out


def _latent_means(res):
    import pandas as pd
    from scipy import stats

    e = res.estimates
    lv = res._pt.lv
    means = {}
    rows = []
    zq = stats.norm.ppf(0.975)
    for g, lab in enumerate(res.groups, start=1):
        means[str(lab)] = {}
        for f in lv:
            sel = e[(e.lhs == f) & (e.op == "~1") & (e.group == g)]
            est = float(sel.est.iloc[0]) if len(sel) else 0.0
            means[str(lab)][f] = est
            if g == 1:
                continue
            se = float(sel.se.iloc[0]) if len(sel) else float("nan")
            ref_var = e[(e.lhs == f) & (e.op == "~~") & (e.rhs == f) & (e.group == 1)]
            sd = math.sqrt(float(ref_var.est.iloc[0])) if len(ref_var) and ref_var.est.iloc[0] > 0 else float("nan")
            z = est / se if se and se > 0 else float("nan")
            rows.append({"group": str(lab), "reference": str(res.groups[0]), "factor": f, "est": est, "se": se, "z": z,
                         "pvalue": float(2 * stats.norm.sf(abs(z))) if not math.isnan(z) else float("nan"),
                         "ci_lower": est - zq * se, "ci_upper": est + zq * se,
                         "std": est / sd if not math.isnan(sd) else float("nan")})
    return means, pd.DataFrame(rows)
