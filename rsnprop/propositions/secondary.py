"""Secondary evidence: robustness rows, cross-checks, continuous models and auxiliary
hypotheses.  None of it enters the decision rules (the verdicts come from the primary rows
only, as preregistered); it is reported beside the verdicts with ``role``:

* ``"robustness"``: the same contrast with another estimator (Student t, Wilcoxon, OLS
  with controls and HC3, mixed ANOVA, Welch, Mann-Whitney);
* ``"cross-check"``: another measurement of the same contrast (constant-sum item, latent
  means, the continuous internationalisation-approach score).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.propositions import StudyPlan
>>> from rsnprop.propositions.evaluate import evaluate_spec
>>> rng = np.random.default_rng(6); n = 80
>>> df = pd.DataFrame({"score_relational": rng.normal(4, 1, n),
...                    "score_informational": rng.normal(4, 1, n), "bg_ms20": np.arange(n) % 2})
>>> plan = StudyPlan(name="demo")
>>> sec = secondary_evidence(df, plan, evaluate_spec(df, plan), latent=False)
>>> sorted(sec)
['auxiliary', 'continuous', 'joint', 'propositions', 'warnings']
"""

from __future__ import annotations

import warnings

from .auxiliary import auxiliary_tests
from .constant_sum import constant_sum_within
from .continuous import approach_slope, moderation
from .interaction import mixed_anova_interaction, ols_interaction, rank_interaction, welch_interaction
from .latent import latent_interaction
from .paired import evidence_row, paired_ols, paired_t, paired_wilcoxon
from .prepare import analysis_frame, group_subset, items_of

__all__ = ["secondary_evidence"]


def secondary_evidence(clean_df, plan, spec, *, latent=True, latent_data=None, measurement=None):
    """Secondary rows for the primary specification ``spec`` (see module doc).

    ``latent_data`` (default ``clean_df``) is the data of the latent cross-check;
    ``measurement`` (the invariance check of the ``partial`` policy) makes it use that check's
    level and freed parameters instead of its own invariance sequence."""

    frame = spec["frame"]
    sign = spec["sign"]
    notes: list[str] = []
    out = {"propositions": {}, "joint": [], "continuous": {}, "auxiliary": {}, "warnings": notes}
    # controls for the robustness rows (the plan's list), aligned with the frame
    cframe, cnotes = analysis_frame(clean_df, plan, controls=plan.controls)
    ctrl = cframe.attrs["controls"]
    notes.extend(n for n in cnotes if n.startswith("control"))
    for key, hyp in plan.hypotheses.items():
        out["propositions"][key] = _within_rows(frame, cframe, ctrl, hyp, plan)
    if sign is not None and min((frame.bg == 1).sum(), (frame.bg == 0).sum()) >= 2:
        out["joint"] = _joint_rows(frame, cframe, ctrl, sign)
        if latent:
            row = _latent_row(clean_df if latent_data is None else latent_data, plan, sign, measurement)
            if row["status"] != "ok":
                notes.append(f"latent test {row['status']}: {row['note']}")
            out["joint"].append(dict(row, role="cross-check"))
    out["continuous"] = _continuous_models(frame, cframe, ctrl, sign, plan)
    out["auxiliary"] = _auxiliary(frame, plan)
    return out


def _within_rows(frame, cframe, ctrl, hyp, plan):
    """Robustness rows (Student t when the plan's estimator is another, Wilcoxon, OLS with
    the controls) and the constant-sum cross-check of one hypothesis."""

    rows = []
    rel, inf, _, sub = group_subset(frame, hyp.group, [])
    if len(sub) >= 3:
        if plan.estimator != "t":
            rows.append(dict(paired_t(rel, inf, expects=hyp.expects), role="robustness"))
        rows.append(dict(paired_wilcoxon(rel, inf, expects=hyp.expects), role="robustness"))
        if ctrl:
            r2, i2, X, sub2 = group_subset(cframe, hyp.group, ctrl)
            if len(sub2) > 3:
                rows.append(dict(paired_ols(r2, i2, expects=hyp.expects, controls=X), role="robustness"))
        cs = constant_sum_within(sub, expects=hyp.expects)
    else:
        cs = constant_sum_within(sub.iloc[:0], expects=hyp.expects)
    rows.append(dict(cs, role="cross-check"))
    for r in rows:
        r["group"] = hyp.group
    return rows


def _joint_rows(frame, cframe, ctrl, sign):
    """Robustness rows of the interaction (mixed ANOVA, Welch, OLS HC3, Mann-Whitney, OLS with
    the controls) and the internationalisation-approach cross-check."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        j = [dict(mixed_anova_interaction(frame, sign=sign), role="robustness"),
             dict(welch_interaction(frame, sign=sign), role="robustness"),
             dict(ols_interaction(frame, sign=sign, cov_type="HC3"), role="robustness"),
             dict(rank_interaction(frame, sign=sign), role="robustness")]
    if ctrl:
        j.append(dict(ols_interaction(cframe, controls=tuple(ctrl), sign=sign, cov_type="HC3"),
                      role="robustness"))
    if "score_intl_approach" in frame.columns:
        j.append(dict(approach_slope(frame, "score_intl_approach", sign=sign), role="cross-check"))
    return j


def _latent_row(ldata, plan, sign, measurement):
    """The latent-mean cross-check of the interaction (multigroup SEM on the benefit items of
    ``ldata``, :func:`rsnprop.propositions.latent.latent_interaction`)."""

    items_r = [i for c in plan.benefits.relational for i in items_of(ldata.columns, c)]
    items_i = [i for c in plan.benefits.informational for i in items_of(ldata.columns, c)]
    data = ldata.copy()
    data["_bg"] = data[plan.born_global_definition]
    data = data[data["_bg"].notna()]
    return latent_interaction(data, relational_items=items_r, informational_items=items_i,
                              group="_bg", sign=sign, required=plan.latent.required_invariance,
                              estimator=plan.latent.estimator, missing=plan.latent.missing,
                              measurement=measurement)


def _continuous_models(frame, cframe, ctrl, sign, plan):
    """Slope of D on the internationalisation-approach score (with and without controls) and
    the moderation of D by phase and sector."""

    out = {}
    if "score_intl_approach" in frame.columns:
        out["approach_slope"] = approach_slope(frame, "score_intl_approach", sign=sign or 1)
        if ctrl:
            cf = cframe.copy()
            cf["score_intl_approach"] = frame["score_intl_approach"].to_numpy() \
                if len(cf) == len(frame) else None
            if len(cf) == len(frame):
                out["approach_slope_controls"] = approach_slope(
                    cf, "score_intl_approach", controls=tuple(ctrl), sign=sign or 1)
    else:
        out["approach_slope"] = evidence_row("OLS D ~ score_intl_approach (HC3)", status="not_available",
                                             note="score_intl_approach not in the data")
    out["moderation_phase"] = moderation(frame, plan.auxiliary.phase_column)
    out["moderation_sector"] = moderation(frame, "sector", categorical=True)
    return out


def _auxiliary(frame, plan):
    """The auxiliary hypotheses (:func:`rsnprop.propositions.auxiliary.auxiliary_tests`) on
    RSN use (mean of the plan's use columns) and phase."""

    use_cols = [c for c in plan.auxiliary.rsn_use_columns if c in frame.columns]
    use = None
    if use_cols:
        import pandas as pd

        use = frame[use_cols].apply(pd.to_numeric, errors="coerce").mean(axis=1)
    phase = frame[plan.auxiliary.phase_column] if plan.auxiliary.phase_column in frame.columns else None
    return auxiliary_tests(frame, use=use, phase=phase)
