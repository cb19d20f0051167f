"""Measurement invariance across groups: configural -> metric -> scalar -> strict.

Each step is a multigroup model with more equality constraints (``group_equal``): metric
(loadings), scalar (+ intercepts; + thresholds for ordinal items), strict (+ residual variances),
optionally followed by ``means`` (equal latent means).  Steps are compared with the previous one
and judged as :mod:`rsnprop.sem.invariance_steps` describes (Chen 2007, likelihood-ratio or
score-test rule); with Holm or Bonferroni the score rule is a family-wise test that says *which*
constraint fails.

Partial invariance (``partial_search=True``): when a step fails, constraints are freed one at a
time until the step holds or ``max_free`` constraints are freed.  ``locate="lrt"`` frees the
constraint whose release lowers chi-square most (one refit per candidate, a likelihood-ratio
search); ``locate="score"`` frees the one with the largest univariate score statistic among
those flagged after ``correction`` (one refit per freed constraint), as semTools users do with
``lavTestScore`` (Byrne, Shavelson & Muthen 1989 for the iterative release).
"""

from __future__ import annotations

import math

import pandas as pd

from ..distributions import norm_ppf, norm_sf
from ..errors import InputError
from .api import fit, fit_estimates
from .invariance_steps import (
    SCHEMA,
    InvarianceResult,
    StepLog,
    close_call,
    collect_warnings,
    compare_steps,
    drop_strict_for_delta,
    judge_step,
    rule_text,
    step_record,
    step_score_tests,
)
from .longitudinal import longitudinal_invariance

__all__ = ["invariance", "InvarianceResult", "LEVELS", "SCHEMA"]

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
    # optional last step (not a measurement-invariance level): equal latent means on top of the
    # previous step; it does not change ``level``
    "means": None,
}
_CANDIDATE_OP = {"metric": "=~", "scalar": "~1", "strict": "~~"}


def invariance(model, data, group=None, *, repeated=None, levels=("configural", "metric", "scalar", "strict"),
               partial_search=False, estimator="ML", missing="auto", ordered=None, std_lv=False,
               rule="chen2007", alpha=0.05, max_free=None, level=0.95, parameterization="delta",
               locate="lrt", correction="holm", se="standard", cumulative=True, detail=True):
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
    se : {"standard", "none"}
        ``"none"``: the steps are fitted without standard errors (:func:`rsnprop.sem.fit`'s
        ``se``; ML only), for a check judged by score tests that needs only the estimates and
        the fit measures (``latent_mean_differences`` then have NaN SEs and CIs).
    cumulative : bool
        ``False``: the score tests of a step (``rule="score"``) are the univariate ones only
        (no total and cumulative tests), all the rule and the partial search use.
    detail : bool
        ``False`` (ML, ``rule`` and ``locate`` ``"score"``): lean fits (:func:`rsnprop.sem.api.fit_estimates`:
        ``chi2``, ``cfi``, ``rmsea``, ``srmr`` NaN, no latent means), each step warm-started from the one
        before; ``close_call`` (:func:`~rsnprop.sem.invariance_steps.close_call`): run the full fits then.
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
    if repeated is not None:
        return _repeated_measures(model, data, group, repeated, levels=levels, partial_search=partial_search,
                                  estimator=estimator, missing=missing, ordered=ordered, std_lv=std_lv,
                                  rule=rule, alpha=alpha, max_free=max_free, level=level,
                                  parameterization=parameterization)
    levels, notes, ordinal = _checked_levels(data, group, levels, estimator, ordered, rule, locate, correction,
                                             parameterization)
    refit = _refitter(model, data, group=group, estimator=estimator, missing=missing, ordered=ordered, std_lv=std_lv,
                      level=level, parameterization=parameterization, se=se, detail=detail,
                      decided_by=(rule, locate if partial_search else "score"))
    log, prev, partial, judged = StepLog(warnings=notes), None, [], []    # judged: every step record decided
    for name in levels:
        eq = _equal_types(name, levels, ordinal)
        res = refit(eq, partial, None if prev is None else prev[1])
        rec = judge_step(step_record(("partial_" if partial else "") + name, res, eq, partial), res, prev, rule,
                         alpha, correction, cumulative)
        log.add(rec, res)
        judged.append(rec)
        collect_warnings(log.warnings, name, res)
        if not rec["held"] and partial_search and prev is not None and name in _CANDIDATE_OP:
            found = _search_partial(name, eq, rec, res, prev, partial, refit, rule=rule, alpha=alpha,
                                    correction=correction, locate=locate, max_free=max_free,
                                    cumulative=cumulative, judged=judged)
            if found is not None:
                rec, res, partial = found
                log.add(rec, res)
        log.advance(name, rec)
        prev = (rec, res)
    return _group_result(group, log, rule_text(rule, alpha, log.steps[0]["fit_indices"], correction), detail,
                         close=not detail and (close_call(judged, alpha) or not all(refit.converged)))


def _repeated_measures(model, data, group, repeated, **options):
    """``invariance(..., repeated=[...])``: the longitudinal sequence (no ``group``)."""
    if group is not None:
        raise InputError("give either group or repeated, not both", parameter="repeated", value=group)

    return longitudinal_invariance(model, data, repeated, **options)


def _checked_levels(data, group, levels, estimator, ordered, rule, locate, correction, parameterization):
    """Check the options; ``(levels, notes, ordinal)``: the steps to run (strict left out, with a
    note, for ordinal items in the delta parametrisation) and whether the items are ordinal."""
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
    levels, notes = drop_strict_for_delta(levels, ordinal, parameterization)
    return levels, notes, ordinal


def _equal_types(name, levels, ordinal):
    """``group_equal`` of step ``name`` (thresholds instead of intercepts for ordinal items; the
    ``means`` step adds equal latent means to the last of scalar/strict)."""
    if name == "means":
        prev = [lv for lv in levels if lv in ("scalar", "strict")][-1]
        return _equal_types(prev, levels, ordinal) + ["means"]
    eq = list(LEVELS[name])
    if ordinal and "intercepts" in eq:
        eq[eq.index("intercepts")] = "thresholds"
    return eq


def _refitter(model, data, *, parameterization, detail=True, **options):
    """``refit(group_equal, group_partial, previous)``: the multigroup fit of one step
    (``detail=False``: :func:`fit_estimates`, warm-started from the fit ``previous``)."""

    decided_by = options.pop("decided_by", ("score", "score"))
    if not detail:
        if options["estimator"] != "ML" or options["ordered"]:
            raise InputError("detail=False is for ML fits of continuous indicators", parameter="detail",
                             value=detail)
        if decided_by != ("score", "score"):    # lean fits have no chi-square to compare
            raise InputError("detail=False needs rule='score' and locate='score'", parameter="detail",
                             value=detail)
        memo: dict = {}     # the data arrays, prepared once for every step

        def lean(eq, partial, previous=None):
            res = fit_estimates(model, data, group=options["group"], group_equal=eq, group_partial=partial,
                                missing=options["missing"], std_lv=options["std_lv"], previous=previous, memo=memo)
            lean.converged.append(bool(res.converged))
            return res

        lean.converged = []     # of every fit, also those of the partial search it did not keep
        return lean
    if parameterization != "delta":
        options["parameterization"] = parameterization
    if options.get("se") == "standard":
        options.pop("se")

    def refit(eq, partial, previous=None):
        return fit(model, data, group_equal=eq, group_partial=partial, **options)

    return refit


def _search_partial(name, eq, rec, res, prev, partial, refit, *, rule, alpha, correction, locate, max_free,
                    cumulative=True, judged=None):
    """Free the step's constraints one at a time (module docstring) until it holds, ``max_free``
    are freed (default: half the candidates) or none is left: ``(record, fit, freed)`` of the
    partial step, or None when nothing was freed (``judged``: a list the records decided on the
    way are appended to)."""
    freed = list(partial)
    cands = _candidates(res, name)
    limit = max_free if max_free is not None else max(1, len(cands) // 2)
    cur_res, cur_rec = res, rec
    n_new = 0
    while not cur_rec["held"] and cands and n_new < limit:
        if locate == "score":
            best = _score_pick(cur_res, name, cands, correction, alpha,
                               lambda c, r=cur_res: refit(eq, freed + [c], r), cumulative)
        else:
            best = _lrt_pick(cands, lambda c, r=cur_res: refit(eq, freed + [c], r))
        if best is None:
            break
        freed.append(best[0])
        cands.remove(best[0])
        n_new += 1
        cur_res = best[1]
        cur_rec = step_record("partial_" + name, cur_res, eq, freed)
        compare_steps(cur_rec, prev[0], prev[1], cur_res, rule, alpha, correction, cumulative)
        if judged is not None:
            judged.append(cur_rec)
    return None if cur_res is res else (cur_rec, cur_res, freed)


def _latent_means_model(log):
    """Name of the step whose latent means are reported: the most constrained model with free
    latent means that held (partial scalar, scalar), else the (partial) scalar, else the
    (partial) strict step; None without any."""
    held = {s["name"] for s in log.steps if s["held"]}
    for name in ("partial_scalar", "scalar"):
        if name in log.fits and name in held:
            return name
    return next((k for k in ("partial_scalar", "scalar", "partial_strict", "strict") if k in log.fits), None)


def _group_result(group, log, rule, detail=True, close=False):
    """The :class:`InvarianceResult` of the sequence in ``log`` (``detail=False``: no latent means;
    ``close``: its ``close_call``)."""
    lm_name = _latent_means_model(log) if detail else None
    latent_means, diffs = _latent_means(log.fits[lm_name]) if lm_name is not None else ({}, None)
    first = next(iter(log.fits.values()))
    return InvarianceResult(group=group, groups=first.groups, n=int(first.n), n_total=int(first.n_total),
                            n_per_group={str(k): v for k, v in first.n_per_group.items()},
                            n_total_per_group={str(k): v for k, v in first.n_total_per_group.items()},
                            missing=first.missing, estimator=first.estimator, rule=rule,
                            steps=log.steps, level=log.level, fits=log.fits, latent_means=latent_means,
                            latent_mean_differences=diffs, latent_means_model=lm_name, warnings=log.warnings,
                            close_call=bool(close))


def _lrt_pick(cands, refit):
    """The candidate whose release lowers chi-square most: ``(candidate, fit)`` or None."""
    best = None
    for c in cands:
        r2 = refit(c)
        if r2.converged and (best is None or r2.fit["chi2"] < best[1].fit["chi2"]):
            best = (c, r2)
    return best


def _score_pick(res, name, cands, correction, alpha, refit, cumulative=True):
    """The flagged constraint with the largest univariate score statistic: ``(candidate, fit)``
    or None when none is flagged (or its refit does not converge)."""

    st = step_score_tests(res, name, correction, alpha, cumulative)
    # flagged rows by decreasing X2, ties in table order (a stable sort, as the table's)
    for r in sorted((r for r in st.records if r["flagged"]), key=lambda r: -r["X2"]):
        c = f"{r['lhs']}~1" if r["op"] == "~1" else f"{r['lhs']}{r['op']}{r['rhs']}"
        if c in cands:
            r2 = refit(c)
            return (c, r2) if r2.converged else None
    return None


def _candidates(res, name):
    """The constraints of step ``name`` the partial search may free (lavaan's ``group.partial`` names)."""
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
    """``({group: {factor: mean}}, differences to the first group)`` of the fit ``res``."""

    e = res.estimates
    lv = res._pt.lv
    means = {}
    rows = []
    zq = norm_ppf(0.975)
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
                         "pvalue": float(2 * norm_sf(abs(z))) if not math.isnan(z) else float("nan"),
                         "ci_lower": est - zq * se, "ci_upper": est + zq * se,
                         "std": est / sd if not math.isnan(sd) else float("nan")})
    return means, pd.DataFrame(rows)
