"""Longitudinal (repeated-measures) measurement invariance: one construct measured at several waves.

``repeated = ["F1", "F2", ...]`` names the factors that are the same construct at successive
waves; their indicators are matched by position (the j-th indicator of ``F1`` is the same item
as the j-th of ``F2``).  Each step is a single-group model written in lavaan syntax with labels
(as ``semTools::measEq.syntax(longFacNames = ...)`` writes it), so that any step can be refitted
in R with the syntax of :func:`repeated_syntax`:

* configural: the factors as given, intercepts free, latent means 0, the residuals of matched
  indicators correlated (``resid_cov=True``, every pair of waves);
* metric: matched loadings share a label;
* scalar: matched intercepts share a label as well; the first wave's latent mean stays 0, the
  later ones are free;
* strict: matched residual variances share a label as well.

Every step has a mean structure (saturated in configural and metric, so their chi-squares equal
those without one).  Steps are compared as in :func:`rsnprop.sem.invariance` (same record keys,
Chen 2007 or likelihood-ratio rule, partial search); a freed constraint is named by its first
wave's parameter (``"F1=~x2"``: the loadings of the second indicators differ between waves).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..distributions import norm_ppf, norm_sf
from ..errors import InputError
from ..results import jsonsafe
from .api import _sample_sizes, fit
from .invariance_steps import (
    InvarianceResult,
    StepLog,
    collect_warnings,
    compare_steps,
    drop_strict_for_delta,
    judge_step,
    rule_text,
    step_record,
)
from .ordinal import fit_ordinal
from .syntax import parse_all

__all__ = ["repeated_syntax", "longitudinal_invariance", "LongitudinalInvarianceResult"]

STEPS = ("configural", "metric", "scalar", "strict")
_KIND = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals"}


def _term(st) -> str:
    """One parsed statement back in lavaan syntax (single group: scalar modifiers only)."""
    mods = []
    for v in (st.label, st.fixed, st.free, st.start):
        if isinstance(v, list):
            raise InputError("per-group modifier vectors c(...) have no meaning in a repeated-measures "
                             "(single-group) model", parameter="model", value=f"{st.lhs} {st.op} {st.rhs}")
    if st.free is True:
        mods.append("NA")
    if st.fixed is not None:
        mods.append(repr(float(st.fixed)))
    if st.start is not None:
        mods.append(f"start({float(st.start)!r})")
    if st.label:
        mods.append(st.label)
    rhs = "1" if st.op == "~1" else st.rhs
    op = "~" if st.op == "~1" else st.op
    return f"{st.lhs} {op} {'*'.join(mods + [rhs])}"


def waves_of(model: str, repeated):
    """``{factor: [indicators]}`` of the repeated factors, checked: same number of indicators,
    no indicator shared, no modifier on their loadings."""

    repeated = list(repeated or [])
    if len(repeated) < 2 or len(set(repeated)) != len(repeated):
        raise InputError("repeated needs at least two different factors (the construct at each wave)",
                         parameter="repeated", value=",".join(map(str, repeated)))
    statements, _ = parse_all(model)
    ind = {f: [] for f in repeated}
    for st in statements:
        if st.op == "=~" and st.lhs in ind:
            if st.label or st.fixed is not None or st.free or st.start is not None:
                raise InputError("the loadings of repeated factors are set by the invariance steps: remove "
                                 "the modifier", parameter="model", value=f"{st.lhs} =~ {st.rhs}")
            ind[st.lhs].append(st.rhs)
    for f in repeated:
        if not ind[f]:
            raise InputError("repeated factor is not a factor (=~) of the model", parameter="repeated", value=f)
    k = len(ind[repeated[0]])
    for f in repeated[1:]:
        if len(ind[f]) != k:
            raise InputError(f"repeated factors need the same number of indicators (matched by position): "
                             f"{repeated[0]} has {k}, {f} has {len(ind[f])}", parameter="repeated", value=f)
    seen = [v for f in repeated for v in ind[f]]
    dup = [v for v in seen if seen.count(v) > 1]
    if dup:
        raise InputError("an indicator is used at two waves", parameter="model", value=dup[0])
    return ind, statements


def repeated_syntax(model: str, repeated, step: str = "configural", *, freed=(), std_lv=False,
                    resid_cov=True, ordered=()) -> str:
    """lavaan syntax of one step of the longitudinal invariance sequence.

    Parameters
    ----------
    model : str
        The configural model (lavaan syntax) with a factor per wave.
    repeated : list of str
        The factors of the construct, wave by wave.
    step : {"configural", "metric", "scalar", "strict"}
    freed : sequence of str
        Constraints left out, named by the first wave's parameter (``"F1=~x2"``, ``"x2~1"``,
        ``"x2~~x2"``; ordinal: ``"x2|t1"``).
    std_lv : bool
        Identify by the latent variances (first wave 1, later waves free from the metric step on)
        instead of the first loadings: fit the syntax with ``std_lv=True`` (lavaan ``std.lv = TRUE``).
    resid_cov : bool
        Correlate the residuals of matched indicators (every pair of waves).
    ordered : sequence of str
        Ordinal indicators: thresholds (``x | a*t1``) instead of intercepts; from the scalar step
        on, the later waves' scaling factors (``x ~*~ NA*x``) are free, as lavaan frees them in
        groups 2..G.

    Returns
    -------
    str

    Examples
    --------
    >>> print(repeated_syntax("A =~ a1 + a2\\nB =~ b1 + b2", ["A", "B"], "scalar"))
    A =~ 1*a1 + L2_A*a2
    B =~ 1*b1 + L2_A*b2
    a1 ~~ b1
    a2 ~~ b2
    a1 ~ I1_A*1
    b1 ~ I1_A*1
    a2 ~ I2_A*1
    b2 ~ I2_A*1
    A ~ 0*1
    B ~ NA*1

    In R: ``cfa(<that syntax>, data)`` fits the same model.
    """
    if step not in STEPS:
        raise InputError(f"unknown step (known: {', '.join(STEPS)})", parameter="levels", value=step)
    ind, statements = waves_of(model, repeated)
    level = STEPS.index(step)
    ordered = set(ordered or ())
    f0 = repeated[0]
    freed = {p.replace(" ", "") for p in freed}
    k = len(ind[f0])
    lines = []
    for f in repeated:
        terms = []
        for j, v in enumerate(ind[f]):
            first = ind[f0][j]
            lab = f"L{j + 1}_{f0}" if level >= 1 and f"{f0}=~{first}" not in freed else None
            if j == 0 and not std_lv:
                terms.append(f"1*{v}")
            else:  # with std_lv the first loadings are free (fit(..., std_lv=True), lavaan std.lv = TRUE)
                terms.append(f"{lab}*{v}" if lab else v)
        lines.append(f"{f} =~ " + " + ".join(terms))
    if std_lv:
        for w, f in enumerate(repeated):
            lines.append(f"{f} ~~ 1*{f}" if w == 0 or level == 0 else f"{f} ~~ NA*{f}")
    if resid_cov:
        for j in range(k):
            for a in range(len(repeated)):
                for b in range(a + 1, len(repeated)):
                    lines.append(f"{ind[repeated[a]][j]} ~~ {ind[repeated[b]][j]}")
    lines += _means_part(ind, repeated, level, freed, ordered)
    if level >= 3:
        for j in range(k):
            first = ind[f0][j]
            lab = f"R{j + 1}_{f0}" if f"{first}~~{first}" not in freed else None
            for f in repeated:
                v = ind[f][j]
                if v not in ordered:  # ordinal (theta): residual variances set by the estimator
                    lines.append(f"{v} ~~ {lab}*{v}" if lab else f"{v} ~~ {v}")
    rest = [st for st in statements if not (st.op == "=~" and st.lhs in ind)]
    lines += [_term(st) for st in rest]
    return "\n".join(lines)


def _means_part(ind, repeated, level, freed, ordered):
    """Intercepts (or thresholds) and latent means of one step."""
    f0 = repeated[0]
    lines = []
    for j, first in enumerate(ind[f0]):
        if first in ordered:
            continue  # thresholds: added by the ordinal estimator (labels through ``_threshold_labels``)
        lab = f"I{j + 1}_{f0}" if level >= 2 and f"{first}~1" not in freed else None
        for f in repeated:
            v = ind[f][j]
            lines.append(f"{v} ~ {lab}*1" if lab else f"{v} ~ 1")
    if ordered:
        return lines  # ordinal: latent means are set by the estimator (``fit_ordinal(repeated=...)``)
    for w, f in enumerate(repeated):
        lines.append(f"{f} ~ 0*1" if w == 0 or level < 2 else f"{f} ~ NA*1")
    return lines


class LongitudinalInvarianceResult(InvarianceResult):
    """Result of :func:`longitudinal_invariance`: as :class:`~rsnprop.sem.invariance_steps.InvarianceResult`
    (``steps, level, fits, n, n_total, warnings``) with ``repeated`` (the factors, wave by wave),
    ``indicators`` (``{factor: [items]}``), ``syntax`` (the lavaan syntax of every step, by name),
    ``latent_means`` (``{factor: mean}`` of the latent-means model, the first wave 0) and, in each
    step with free latent means (scalar, strict), ``latent_means {factor: mean}``."""

    title = "Longitudinal measurement invariance"

    def to_dict(self):
        d = super().to_dict()
        d.update(group=None, groups=[], n_per_group={}, n_total_per_group={}, repeated=list(self.repeated),
                 indicators=self.indicators, syntax=self.syntax)
        return jsonsafe(d)

    def _sample_text(self):
        miss = {"fiml": "FIML", "listwise": "listwise deletion"}.get(self.missing, self.missing)
        return f"rows used {self.n} of {self.n_total}; missing data: {miss}"

    def summary(self):
        text = super().summary().split("\n")
        text[0] = f"{self.title} of {' -> '.join(self.repeated)} ({self.estimator})"
        return "\n".join(text)

    def __repr__(self):
        return (f"<LongitudinalInvarianceResult {' -> '.join(self.repeated)} ({self.estimator}): level held "
                f"{self.level!r}, {len(self.steps)} steps, n = {self.n} of {self.n_total}>")


def _candidates(ind, repeated, name, ordered, res):
    """Constraints the partial search may free, named by the first wave's parameter."""
    f0 = repeated[0]
    first = ind[f0]
    if name == "metric":
        return [f"{f0}=~{v}" for v in first[1:]] + ([f"{f0}=~{first[0]}"] if res._pt and _std(res) else [])
    if name == "scalar":
        out = []
        for v in first:
            if v in ordered:
                nth = int(((res.estimates.op == "|") & (res.estimates.lhs == v)).sum())
                out += [f"{v}|t{m + 1}" for m in range(nth)]
            else:
                out.append(f"{v}~1")
        return out
    return [f"{v}~~{v}" for v in first]


def _std(res):
    e = res.estimates
    return bool(((e.op == "=~") & e.free).sum() == len(e[e.op == "=~"]))


def _means_of(res, repeated):
    e = res.estimates
    out = {}
    for f in repeated:
        sel = e[(e.lhs == f) & (e.op == "~1")]
        out[f] = float(sel.est.iloc[0]) if len(sel) else 0.0
    return out


def longitudinal_invariance(model, data, repeated, *, levels=STEPS, partial_search=False, estimator="ML",
                            missing="auto", ordered=None, std_lv=False, rule="chen2007", alpha=0.05,
                            max_free=None, level=0.95, parameterization="delta", resid_cov=True):
    """Run configural -> metric -> scalar -> strict for one construct measured at several waves.

    Parameters
    ----------
    model : str
        lavaan syntax with one factor per wave (and anything else: other factors, regressions).
    data : pandas.DataFrame
        One row per unit (wide format: the items of every wave are columns).
    repeated : list of str
        The factors of the construct, wave by wave; indicators matched by position.
    levels, partial_search, estimator, missing, ordered, rule, alpha, max_free, level, parameterization
        As in :func:`rsnprop.sem.invariance`.
    std_lv : bool
        Identify by the first wave's latent variance (1) instead of the first loadings.
    resid_cov : bool
        Correlate the residuals of matched indicators (default, as usual for panel data).

    Returns
    -------
    LongitudinalInvarianceResult

    Examples
    --------
    >>> from rsnprop.sem import invariance
    >>> from rsnprop.datasets import political_democracy
    >>> inv = invariance("dem60 =~ y1 + y2 + y3 + y4\\ndem65 =~ y5 + y6 + y7 + y8",
    ...                  political_democracy(), repeated=["dem60", "dem65"])
    >>> [(s["name"], round(s["chi2"], 3), s["df"]) for s in inv.steps]
    [('configural', 23.841, 15), ('metric', 27.135, 18), ('scalar', 33.131, 21), ('strict', 40.802, 25)]
    >>> round(inv.latent_means["dem65"], 3)
    -0.44

    In R: ``cfa(syntax, PoliticalDemocracy)`` with the syntax of ``inv.syntax[step]`` (labels for
    the equal loadings, intercepts, residual variances; ``dem65 ~ NA*1``), then ``lavTestLRT``.
    """
    levels = _checked_levels(levels, rule)
    ind, _ = waves_of(model, repeated)
    ordinal = bool(ordered) or str(estimator).upper() in ("WLSMV", "DWLS")
    ordered_list = [v for f in repeated for v in ind[f]] if ordered is True else list(ordered or [])
    levels, notes = drop_strict_for_delta(levels, ordinal, parameterization)
    estimator = _checked_estimator(ind, repeated, ordinal, ordered, ordered_list, estimator, missing,
                                   parameterization)
    run = _WaveFits(model, data, list(repeated), ind, ordered_list, ordinal, estimator, missing, level, std_lv,
                    resid_cov, parameterization)
    log, syntax, prev, partial = StepLog(warnings=notes), {}, None, []
    for name in levels:
        syn, res = run(name, partial)
        rec = judge_step(_record(("partial_" if partial else "") + name, res, partial, repeated), res, prev,
                         rule, alpha)
        if not rec["held"] and partial_search and prev is not None:
            found = _search_partial(run, name, res, prev, partial, rule=rule, alpha=alpha, max_free=max_free)
            if found is not None:  # the failing step stays in the table, the partial one follows it
                log.add(rec, res)
                syntax[rec["name"]] = syn
                syn, res, rec, partial = found
        log.add(rec, res)
        syntax[rec["name"]] = syn
        collect_warnings(log.warnings, rec["name"], res)
        log.advance(rec["name"], rec)
        prev = (rec, res)
    return _longitudinal_result(log, syntax, repeated, ind, rule_text(rule, alpha, log.steps[0]["fit_indices"]))


def _checked_levels(levels, rule):
    """The steps to run, checked (known, in order) with the rule (no score rule for waves)."""
    levels = list(levels)
    bad = [lv for lv in levels if lv not in STEPS]
    if bad:
        raise InputError(f"unknown level for repeated measures (known: {', '.join(STEPS)})", parameter="levels",
                         value=bad[0])
    if [STEPS.index(x) for x in levels] != sorted(STEPS.index(x) for x in levels):
        raise InputError("levels must be in the order configural, metric, scalar, strict", parameter="levels",
                         value=",".join(levels))
    if rule not in ("chen2007", "lrt"):
        raise InputError("rule must be 'chen2007' or 'lrt'", parameter="rule", value=rule)
    return levels


def _checked_estimator(ind, repeated, ordinal, ordered, ordered_list, estimator, missing, parameterization):
    """The estimator of the ordinal fits (WLSMV or DWLS; the one given for continuous items),
    after checking that the options fit together."""
    if not ordinal:
        if parameterization != "delta":
            raise InputError("parameterization is for ordinal indicators (ordered=[...])",
                             parameter="parameterization", value=parameterization)
        return estimator
    items = [v for f in repeated for v in ind[f]]
    if ordered is None or set(items) - set(ordered_list):
        raise InputError("ordinal repeated measures need every indicator of the repeated factors in ordered",
                         parameter="ordered", value=next(iter(set(items) - set(ordered_list)), None))
    est_ord = {"ML": "WLSMV"}.get(str(estimator).upper(), str(estimator).upper())
    if est_ord not in ("WLSMV", "DWLS"):
        raise InputError("ordered indicators need estimator='WLSMV'", parameter="estimator", value=estimator)
    if missing == "fiml":
        raise InputError("full-information ML is not available for ordinal indicators (WLSMV uses the "
                         "complete cases, as lavaan)", parameter="missing", value=missing)
    return est_ord


@dataclass
class _WaveFits:
    """``run(step, freed) -> (syntax, fit)``: one step of the sequence as lavaan syntax and its fit
    (:func:`rsnprop.sem.fit` for continuous items, the ordinal estimator for ordinal ones)."""

    model: str
    data: object
    repeated: list
    ind: dict
    ordered: list
    ordinal: bool
    estimator: str
    missing: str
    level: float
    std_lv: bool
    resid_cov: bool
    parameterization: str

    def __call__(self, name, freed):
        syn = repeated_syntax(self.model, self.repeated, name, freed=freed, std_lv=self.std_lv,
                              resid_cov=self.resid_cov, ordered=self.ordered)
        if not self.ordinal:
            return syn, fit(syn, self.data, std_lv=self.std_lv, estimator=self.estimator, missing=self.missing,
                            level=self.level)

        ties = {"factors": list(self.repeated), "waves": [self.ind[f] for f in self.repeated],
                "step": STEPS.index(name), "freed": [p.replace(" ", "") for p in freed]}
        res = fit_ordinal(syn, self.data, ordered=self.ordered, estimator=self.estimator, level=self.level,
                          std_lv=self.std_lv, parameterization=self.parameterization, repeated=ties)
        syn += "\n" + "\n".join(_ordinal_lines(self.ind, self.repeated, STEPS.index(name), freed, res,
                                               self.parameterization))
        return syn, _sample_sizes(res, self.data, None, "listwise", self.missing)


def _search_partial(run, name, res, prev, partial, *, rule, alpha, max_free):
    """Free the constraint whose release lowers chi-square most, one at a time, until the step
    holds, ``max_free`` are freed (default: half the candidates) or none is left:
    ``(syntax, fit, record, freed)`` of the partial step, or None when no refit converged."""
    cands = [c for c in _candidates(run.ind, run.repeated, name, run.ordered, res) if c not in partial]
    limit = max_free if max_free is not None else max(1, len(cands) // 2)
    freed, best_all = list(partial), None
    while (best_all is None or not best_all[2]["held"]) and cands and len(freed) - len(partial) < limit:
        best = None
        for c in cands:
            s2, r2 = run(name, freed + [c])
            if r2.converged and (best is None or r2.fit["chi2"] < best[2].fit["chi2"]):
                best = (c, s2, r2)
        if best is None:
            break
        freed.append(best[0])
        cands.remove(best[0])
        r_rec = _record("partial_" + name, best[2], freed, run.repeated)
        compare_steps(r_rec, prev[0], prev[1], best[2], rule, alpha)
        best_all = (best[1], best[2], r_rec)
    return None if best_all is None else (*best_all, freed)


def _longitudinal_result(log, syntax, repeated, ind, rule):
    """The :class:`LongitudinalInvarianceResult` of the sequence in ``log``; latent means from the
    last step with free latent means that held (else the first with free latent means)."""
    steps = log.steps
    lm_name = next((s["name"] for s in reversed(steps) if "latent_means" in s and s["held"]), None) or \
        next((s["name"] for s in steps if "latent_means" in s), None)
    first = next(iter(log.fits.values()))
    return LongitudinalInvarianceResult(
        group=None, groups=[], repeated=list(repeated), indicators={f: list(v) for f, v in ind.items()},
        n=int(first.n), n_total=int(first.n_total), n_per_group={}, n_total_per_group={},
        missing=getattr(first, "missing", None), estimator=first.estimator,
        rule=rule, steps=steps, level=log.level, fits=log.fits,
        syntax=syntax, latent_means=dict(next(s for s in steps if s["name"] == lm_name)["latent_means"])
        if lm_name else {}, latent_mean_differences=_mean_table(log.fits[lm_name], repeated) if lm_name else None,
        latent_means_model=lm_name, warnings=log.warnings)


def _record(name, res, freed, repeated):
    base = name.replace("partial_", "")
    rec = step_record(name, res, [] if base == "configural" else
                       [_KIND[s] for s in STEPS[1:STEPS.index(base) + 1]], freed)
    if base in ("scalar", "strict"):
        rec["latent_means"] = _means_of(res, repeated)
    return rec


def _mean_table(res, repeated):
    """Latent mean of every later wave (the change from the first wave, whose mean is 0)."""

    e = res.estimates
    zq = norm_ppf(0.975)
    v0 = e[(e.lhs == repeated[0]) & (e.op == "~~") & (e.rhs == repeated[0])]
    sd = math.sqrt(float(v0.est.iloc[0])) if len(v0) and v0.est.iloc[0] > 0 else float("nan")
    rows = []
    for f in repeated[1:]:
        sel = e[(e.lhs == f) & (e.op == "~1")]
        est, se = float(sel.est.iloc[0]), float(sel.se.iloc[0])
        z = est / se if se > 0 else float("nan")
        rows.append({"group": f, "reference": repeated[0], "factor": f, "est": est, "se": se, "z": z,
                     "pvalue": float(2 * norm_sf(abs(z))) if not math.isnan(z) else float("nan"),
                     "ci_lower": est - zq * se, "ci_upper": est + zq * se, "std": est / sd})
    return pd.DataFrame(rows)




def _ordinal_lines(ind, repeated, level, freed, res, parameterization):
    """The lavaan lines of what ``fit_ordinal(repeated=...)`` adds for ordinal items: thresholds
    (labelled when equal), later waves' latent means and scaling factors (delta) or residual
    variances (theta), so that ``syntax[step]`` refits the same model in lavaan."""
    e = res.estimates
    f0 = repeated[0]
    freed = {p.replace(" ", "") for p in freed}
    lines = []
    for j, first in enumerate(ind[f0]):
        nth = int(((e.op == "|") & (e.lhs == first)).sum())
        for f in repeated:
            v = ind[f][j]
            terms = [f"T{j + 1}_{m + 1}_{f0}*t{m + 1}" if level >= 2 and f"{first}|t{m + 1}" not in freed
                     else f"t{m + 1}" for m in range(nth)]
            lines.append(f"{v} | " + " + ".join(terms))
    if level >= 2:
        lines += [f"{f} ~ NA*1" for f in repeated[1:]]
        for j, first in enumerate(ind[f0]):
            for f in repeated[1:]:
                v = ind[f][j]
                if parameterization == "delta":
                    lines.append(f"{v} ~*~ NA*{v}")
                elif level < 3 or f"{first}~~{first}" in freed:
                    lines.append(f"{v} ~~ NA*{v}")
    return lines
