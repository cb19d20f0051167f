"""One specification: the primary tests and verdicts on a clean data set.

:func:`evaluate_spec` is used by the main analysis
(:func:`rsnprop.propositions.study.test_propositions`) and by every cell of the multiverse
(:func:`rsnprop.propositions.multiverse.run_multiverse`).  Its steps, in this order:

1. prepare the analysis frame(s): the missing-data step of the specification's method
   (:func:`missing_data_step`): one frame (:func:`rsnprop.propositions.prepare.observed_frames`,
   ``available`` / ``complete_cases``) or one per imputed data set
   (:func:`rsnprop.propositions.imputation.imputed_frames`, ``multiple_imputation``);
2. run the tests of each hypothesis on every frame
   (:func:`rsnprop.propositions.primary.run_hypothesis_tests`);
3. pool (:func:`pool`): a no-op with one frame, Rubin's rules over the imputations
   (:func:`rsnprop.propositions.imputation.pool_tests`);
4. decide (:func:`rsnprop.propositions.decide.decide`);
5. apply the plan's non-invariance policy (:mod:`rsnprop.propositions.measurement`), which
   may run 1-4 again on the invariant part of the items.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.propositions import StudyPlan
>>> rng = np.random.default_rng(5); n = 200
>>> bg = (rng.random(n) < 0.4).astype(int)
>>> inf = rng.normal(4, 1, n); rel = inf + np.where(bg == 1, 0.6, -0.6) + rng.normal(0, 1, n)
>>> df = pd.DataFrame({"score_relational": rel, "score_informational": inf, "bg_ms20": bg})
>>> spec = evaluate_spec(df, StudyPlan(name="demo"))
>>> spec["decision"]["verdicts"], spec["primary"]["P2"]["test"]
({'P1': 'supported', 'P2': 'supported', 'joint': 'supported'}, 'paired t')
"""

from __future__ import annotations

import copy

from .decide import decide
from .imputation import imputed_frames, pool_tests
from .measurement import apply_policy, check_measurement, invariant_part
from .prepare import observed_frames
from .primary import joint_sign, run_hypothesis_tests

__all__ = ["evaluate_spec", "missing_data_step", "pool"]


def missing_data_step(method):
    """Step 1 for the missing-data method ``method``: a function ``(clean_df, plan, *,
    bg_definition, careless, missing, controls, extra, cache)`` returning the
    :class:`~rsnprop.propositions.prepare.AnalysisFrames` the tests run on.

    >>> missing_data_step("multiple_imputation").__name__, missing_data_step("available").__name__
    ('imputed_frames', 'observed_frames')
    """

    return imputed_frames if method == "multiple_imputation" else observed_frames


def pool(tests, prepared, plan):
    """Step 3: ``(primary, tost)``, one row per test (``{key: row}``), from the tests on every
    frame (:func:`rsnprop.propositions.primary.run_hypothesis_tests`): the rows of the single
    frame as they are, or pooled over the imputations with Rubin's rules."""
    if prepared.mi is None:
        return ({key: t.primary[0] for key, t in tests.items()},
                {key: t.tost[0] for key, t in tests.items()})

    return pool_tests(tests, prepared.mi, plan)


def evaluate_spec(clean_df, plan, *, bg_definition=None, careless=None, missing=None,
                  estimator=None, with_controls=False, extra=(), bayes=True, mi_cache=None,
                  measurement_policy=None, measurement=True, measurement_cache=None):
    """Primary tests and verdicts of one specification, under the plan's non-invariance policy.

    Returns a dict with ``frame`` (the analysis frame), ``notes`` (list of str),
    ``primary`` and ``tost`` (``{"P1": row, "P2": row, "joint": row}``) and ``decision``
    (the output of :func:`rsnprop.propositions.decide.decide`).  With ``missing =
    "multiple_imputation"`` the primary and TOST rows are pooled over the imputations and
    the dict also has ``mi`` (the imputation info of
    :func:`rsnprop.propositions.imputation.imputed_frames`; ``mi_cache`` keeps the imputations
    between specifications; with it the analysis frames are kept too, see
    :func:`rsnprop.propositions.prepare.cached_frame`); without imputation it has ``scores``
    (the frame's score columns as float arrays, :func:`rsnprop.propositions.prepare.score_arrays`).

    Measurement (``measurement=True``, default): the benefit items are checked for invariance
    between the groups (:func:`rsnprop.propositions.measurement.check_measurement`, kept in
    ``mi_cache``) and ``measurement_policy`` (default ``plan.measurement.policy``) decides what
    that does to the verdicts: with ``partial`` and items set aside, every test is run again on
    the invariant part; with ``inconclusive`` (or ``partial`` when a scale keeps too few
    invariant items) the verdicts become inconclusive.  The dict then has ``measurement``: the
    check plus ``policy``, ``verdicts_all_items`` (the verdicts on every item) and
    ``changed`` ({key: bool}).  ``measurement_cache`` (a dict) keeps the check when there is
    no ``mi_cache``: the main analysis hands it to the multiverse, whose cell of the same data
    and born-global definition then reuses it.
    """
    kw = dict(bg_definition=bg_definition, careless=careless, missing=missing, estimator=estimator,
              with_controls=with_controls, extra=extra, bayes=bayes, mi_cache=mi_cache)
    spec = _cached_observed(clean_df, plan, kw)
    if not measurement:
        return spec
    return _measurement_policy(spec, clean_df, plan, kw, policy=measurement_policy or plan.measurement.policy,
                               measurement_cache=measurement_cache)


def _cached_observed(clean_df, plan, kw):
    """:func:`_evaluate_observed`, kept in ``kw["mi_cache"]`` for the specifications that differ
    only in the non-invariance policy (the multiverse runs steps 1-4 once for its policies).
    The cached specification is never handed out: each call gets a copy whose ``notes`` and
    ``decision`` (the parts the policy changes) are its own."""
    cache = kw["mi_cache"]
    if cache is None:
        return _evaluate_observed(clean_df, plan, **kw)
    care = kw["careless"]
    key = ("observed", id(clean_df), kw["bg_definition"], kw["missing"], kw["estimator"],
           None if care is None else (care.name, tuple(care.flags)), bool(kw["with_controls"]),
           tuple(kw["extra"]), kw["bayes"])
    if key not in cache:
        cache[key] = _evaluate_observed(clean_df, plan, **kw)
    spec = cache[key]
    return dict(spec, notes=list(spec["notes"]), decision=copy.deepcopy(spec["decision"]))


def _evaluate_observed(clean_df, plan, *, bg_definition=None, careless=None, missing=None,
                       estimator=None, with_controls=False, extra=(), bayes=True, mi_cache=None):
    """Steps 1-4 of one specification (no measurement policy)."""

    prepare = missing_data_step(missing or plan.missing)
    prepared = prepare(clean_df, plan, bg_definition=bg_definition, careless=careless, missing=missing,
                       controls=plan.controls if with_controls else None, extra=extra, cache=mi_cache)
    tests = run_hypothesis_tests(prepared, plan, estimator=estimator or plan.estimator, bayes=bayes)
    primary, tost = pool(tests, prepared, plan)
    for key, hyp in plan.hypotheses.items():
        primary[key]["group"] = tost[key]["group"] = hyp.group
    decision = decide(primary, tost, alpha=plan.alpha, correction=plan.correction)
    spec = {"frame": prepared.frame, "notes": prepared.notes, "primary": primary, "tost": tost,
            "decision": decision, "sign": joint_sign(plan)}
    if prepared.mi is not None:
        spec["mi"] = prepared.mi
    elif prepared.scores is not None:     # the frame's score arrays, for the descriptives
        spec["scores"] = prepared.scores[0]
    return spec


def _measurement_check(clean_df, plan, bg_definition, cache):
    """:func:`rsnprop.propositions.measurement.check_measurement`, kept in ``cache``."""

    key = ("measurement", id(clean_df), bg_definition or plan.born_global_definition)
    if cache is not None and key in cache:
        return cache[key]
    check = check_measurement(clean_df, plan, bg_definition=bg_definition)
    if cache is not None:
        cache[key] = check
    return check


def _measurement_policy(spec, clean_df, plan, kw, *, policy, measurement_cache=None):
    """Step 5: the non-invariance ``policy`` applied to ``spec`` (steps 1-4 run again on the
    invariant part under ``partial``); ``kw`` are the specification's arguments."""

    mi_cache = kw["mi_cache"]
    check = _measurement_check(clean_df, plan, kw["bg_definition"],
                               mi_cache if mi_cache is not None else measurement_cache)
    before = dict(spec["decision"]["verdicts"])
    aside = check.get("items_set_aside") or []
    partial_ok = all(s["partial_ok"] for s in check.get("scales", {}).values())
    if policy == "partial" and check["status"] == "ok" and aside and partial_ok:
        pkey = ("invariant_part", id(clean_df), tuple(aside))
        part = mi_cache.get(pkey) if mi_cache is not None else None
        if part is None:
            part = invariant_part(clean_df, plan, aside)
            if mi_cache is not None:    # kept alive, so that its id keys the cached frames
                mi_cache[pkey] = part
        spec = _cached_observed(part, plan, kw)
        spec["data"] = part
        spec["notes"].append(f"non-invariance policy 'partial': tested without {', '.join(aside)}")
    dec = spec["decision"]
    for k, (verdict, why) in apply_policy(dec["verdicts"], check, policy).items():
        if verdict is not None:
            dec["verdicts"][k], dec["reasons"][k] = verdict, why
        elif policy == "partial" and aside and check["status"] == "ok" and partial_ok:
            dec["reasons"][k] += f" (invariant part: {', '.join(aside)} set aside)"
    spec["measurement"] = {**check, "policy": policy, "verdicts_all_items": before,
                           "changed": {k: dec["verdicts"][k] != before[k] for k in before}}
    return spec
