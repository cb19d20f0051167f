"""Run the preregistered tests on a clean data set and reach the verdicts.

:func:`evaluate_spec` runs the primary tests of one specification (used by the main
analysis and by every cell of the multiverse); :func:`test_propositions` adds the
secondary evidence, the auxiliary hypotheses, descriptives, effect sizes for the forest
plot and (optionally) the multiverse, and returns a
:class:`~rsnprop.propositions.result.PropositionResult`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.propositions import StudyPlan, test_propositions
>>> rng = np.random.default_rng(5); n = 200
>>> bg = (rng.random(n) < 0.4).astype(int)
>>> inf = rng.normal(4, 1, n); rel = inf + np.where(bg == 1, 0.6, -0.6) + rng.normal(0, 1, n)
>>> df = pd.DataFrame({"score_relational": rel, "score_informational": inf, "bg_ms20": bg})
>>> res = test_propositions(df, StudyPlan(name="demo"))
>>> res.verdicts
{'P1': 'supported', 'P2': 'supported', 'joint': 'supported'}
"""

from __future__ import annotations

import math

__all__ = ["evaluate_spec", "test_propositions", "joint_sign"]


def joint_sign(plan) -> int | None:
    """+1 when the plan expects D (relational - informational) higher in born globals than
    in traditional firms, -1 for the reverse, None when the hypotheses do not cover both
    groups or expect the same lean in both."""
    by_group = {h.group: h.sign for h in plan.hypotheses.values()}
    if "born_global" not in by_group or "traditional" not in by_group:
        return None
    diff = by_group["born_global"] - by_group["traditional"]
    return None if diff == 0 else (1 if diff > 0 else -1)


def _group_rows(frame, group, controls):
    """``(mask, X)``: boolean mask of the ``group`` firms with every control known, and their
    control matrix (controls constant within the group dropped: the intercept absorbs them;
    ``None`` without controls or when none is left)."""
    import numpy as np

    mask = frame["group"].to_numpy() == group
    X = None
    if controls:
        X_all = np.column_stack([frame[c].to_numpy(float) for c in controls])
        mask &= ~np.isnan(X_all).any(axis=1)
        X = np.asfortranarray(X_all[mask])       # the layout DataFrame.to_numpy gives
        keep = X.std(axis=0) > 0 if len(X) else []
        X = X[:, keep] if len(X) else X
        X = X if X.size and X.shape[1] else None
    return mask, X


def _group_numpy(frame, group, controls):
    """``(rel, inf, X, n)`` of the ``group`` firms with every control known (see
    :func:`_group_rows`); numpy arrays only, for the inner loops."""
    mask, X = _group_rows(frame, group, controls)
    return (frame["relational"].to_numpy(float)[mask], frame["informational"].to_numpy(float)[mask],
            X, int(mask.sum()))


def _group_arrays(frame, group, controls):
    """``(rel, inf, X, sub)``: as :func:`_group_numpy`, with the rows as a DataFrame ``sub``."""
    mask, X = _group_rows(frame, group, controls)
    sub = frame[mask]
    return sub["relational"].to_numpy(float), sub["informational"].to_numpy(float), X, sub


def cached_frame(cache, clean_df, plan, **kw):
    """``analysis_frame(clean_df, plan, **kw)``, kept in ``cache`` (a dict, or None for no
    cache) for the specifications that differ only in the estimator.  The frame is shared:
    callers must not modify it; the notes are a fresh list."""
    from .prepare import analysis_frame

    if cache is None:
        return analysis_frame(clean_df, plan, **kw)
    care = kw.get("careless")
    key = ("frame", id(clean_df), kw.get("bg_definition"), kw.get("missing"),
           None if care is None else (care.name, tuple(care.flags)),
           tuple(kw.get("controls") or ()), tuple(kw.get("extra") or ()))
    if key not in cache:
        cache[key] = analysis_frame(clean_df, plan, **kw)
    frame, notes = cache[key]
    return frame, list(notes)


def evaluate_spec(clean_df, plan, *, bg_definition=None, careless=None, missing=None,
                  estimator=None, with_controls=False, extra=(), bayes=True, mi_cache=None,
                  measurement_policy=None, measurement=True):
    """Primary tests and verdicts of one specification, under the plan's non-invariance policy.

    Returns a dict with ``frame`` (the analysis frame), ``notes`` (list of str),
    ``primary`` and ``tost`` (``{"P1": row, "P2": row, "joint": row}``) and ``decision``
    (the output of :func:`rsnprop.propositions.decide.decide`).  With ``missing =
    "multiple_imputation"`` the primary and TOST rows are pooled over the imputations and
    the dict also has ``mi`` (:func:`rsnprop.propositions.imputation.evaluate_mi`;
    ``mi_cache`` keeps the imputations between specifications; with it the analysis frames are
    kept too, see :func:`cached_frame`).

    Measurement (``measurement=True``, default): the benefit items are checked for invariance
    between the groups (:func:`rsnprop.propositions.measurement.check_measurement`, kept in
    ``mi_cache``) and ``measurement_policy`` (default ``plan.measurement.policy``) decides what
    that does to the verdicts: with ``partial`` and items set aside, every test is run again on
    the invariant part; with ``inconclusive`` (or ``partial`` when a scale keeps too few
    invariant items) the verdicts become inconclusive.  The dict then has ``measurement``: the
    check plus ``policy``, ``verdicts_all_items`` (the verdicts on every item) and
    ``changed`` ({key: bool}).
    """
    kw = dict(bg_definition=bg_definition, careless=careless, missing=missing, estimator=estimator,
              with_controls=with_controls, extra=extra, bayes=bayes, mi_cache=mi_cache)
    spec = _evaluate_observed(clean_df, plan, **kw)
    if not measurement:
        return spec
    from .measurement import apply_policy, check_measurement, invariant_part

    policy = measurement_policy or plan.measurement.policy
    key = ("measurement", id(clean_df), bg_definition or plan.born_global_definition)
    if mi_cache is not None and key in mi_cache:
        check = mi_cache[key]
    else:
        check = check_measurement(clean_df, plan, bg_definition=bg_definition)
        if mi_cache is not None:
            mi_cache[key] = check
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
        spec = _evaluate_observed(part, plan, **kw)
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


def _evaluate_observed(clean_df, plan, *, bg_definition=None, careless=None, missing=None,
                       estimator=None, with_controls=False, extra=(), bayes=True, mi_cache=None):
    """The observed-score tests and verdicts of one specification (no measurement policy)."""
    from .decide import decide
    from .interaction import between_groups, interaction_tost
    from .paired import _row, paired_tost, within_group

    estimator = estimator or plan.estimator
    if (missing or plan.missing) == "multiple_imputation":
        from .imputation import evaluate_mi

        return evaluate_mi(clean_df, plan, bg_definition=bg_definition, careless=careless,
                           estimator=estimator, with_controls=with_controls, extra=extra,
                           cache=mi_cache)
    frame, notes = cached_frame(mi_cache, clean_df, plan, bg_definition=bg_definition, missing=missing,
                                careless=careless, controls=plan.controls if with_controls else None,
                                extra=extra)
    ctrl = frame.attrs["controls"]
    primary, tost = {}, {}
    for key, hyp in plan.hypotheses.items():
        rel, inf, X, n_group = _group_numpy(frame, hyp.group, ctrl)
        if n_group < plan.min_group_size:
            primary[key] = _row("primary", n=n_group, status="not_available",
                                note=f"{n_group} {hyp.group} firms; the plan needs at least {plan.min_group_size}")
            tost[key] = dict(primary[key], test="TOST")
        else:
            primary[key] = within_group(rel, inf, expects=hyp.expects, estimator=estimator, controls=X,
                                        bayes=bayes)
            r_all, i_all, _, _ = _group_numpy(frame, hyp.group, [])
            tost[key] = paired_tost(r_all, i_all, expects=hyp.expects, sesoi_value=plan.sesoi.value,
                                    sesoi_unit=plan.sesoi.unit, alpha=plan.alpha)
        primary[key]["group"] = tost[key]["group"] = hyp.group
    sign = joint_sign(plan)
    if sign is not None:
        n_small = min((frame["bg"] == 1).sum(), (frame["bg"] == 0).sum())
        if n_small < plan.min_group_size:
            primary["joint"] = _row("interaction", n=len(frame), status="not_available",
                                    note=f"smallest group has {n_small} firms")
            tost["joint"] = dict(primary["joint"], test="TOST (between)")
        else:
            primary["joint"] = between_groups(frame, estimator=estimator, controls=tuple(ctrl), sign=sign)
            tost["joint"] = interaction_tost(frame, sesoi_value=plan.sesoi.value,
                                             sesoi_unit=plan.sesoi.unit, alpha=plan.alpha, sign=sign)
    decision = decide(primary, tost, alpha=plan.alpha, correction=plan.correction)
    return {"frame": frame, "notes": notes, "primary": primary, "tost": tost, "decision": decision,
            "sign": sign}


def _descriptives(frame, confidence=0.95):
    from scipy import stats

    rows = []
    for group, sub in frame.groupby("group", sort=True):
        for benefit in ("relational", "informational", "D"):
            x = sub[benefit].dropna().to_numpy(float)
            n = x.size
            mean = float(x.mean()) if n else math.nan
            sd = float(x.std(ddof=1)) if n > 1 else math.nan
            half = stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            rows.append({"group": group, "benefit": benefit if benefit != "D" else "relational - informational",
                         "n": n, "mean": mean, "sd": sd, "ci_lower": mean - half, "ci_upper": mean + half})
    return rows


#: standardised mean differences, comparable on one forest-plot axis
D_FAMILY = ("dz", "Hedges g", "d (coef / residual SD)")


def _effects(props, joint):
    """Forest-plot rows: one per evidence row with a standardised mean difference (d family:
    d_z, Hedges g, OLS coefficient / residual SD); eta^2, rank-biserial r and slopes are on
    other scales and stay in the evidence only."""
    out = []
    for key, block in [*props.items(), ("joint", joint)]:
        if block is None:
            continue
        for row in block["evidence"]:
            if (row.get("status") == "ok" and row.get("effect_size") is not None
                    and row.get("effect_size_name") in D_FAMILY):
                out.append({"proposition": key, "test": row["test"], "role": row.get("role"),
                            "group": row.get("group"), "n": row.get("n"),
                            "effect_size_name": row.get("effect_size_name"),
                            "effect_size": row["effect_size"], "es_ci_lower": row.get("es_ci_lower"),
                            "es_ci_upper": row.get("es_ci_upper"), "estimate": row.get("estimate"),
                            "ci_lower": row.get("ci_lower"), "ci_upper": row.get("ci_upper")})
    return out


def _emit_warnings(messages):
    """Raise each result warning also as a Python warning of the rsnprop.errors family."""
    import warnings

    from ..errors import ConvergenceWarning, DataQualityWarning, EmptyCellWarning

    for msg in messages:
        low = msg.lower()
        if "converge" in low:
            cls = ConvergenceWarning
        elif "primary test not run" in low or "too few" in low or "fewer than" in low:
            cls = EmptyCellWarning
        else:
            cls = DataQualityWarning
        warnings.warn(msg, cls, stacklevel=3)


def _verdict_measurement(meas, key):
    """What the invariance check and the plan's policy did to one verdict (the verdict
    object's ``measurement``): ``policy, status, invariance_level, required, held,
    items_set_aside, verdict_all_items, verdict_changed, note``."""
    if meas is None:
        return None
    return {"policy": meas["policy"], "status": meas["status"], "invariance_level": meas["level"],
            "required": meas["required"], "held": meas["held"],
            "items_set_aside": list(meas["items_set_aside"]),
            "verdict_all_items": meas["verdicts_all_items"].get(key),
            "verdict_changed": bool(meas["changed"].get(key, False)), "note": meas["note"]}


def _tag(row, role, **extra):
    r = dict(row)
    r["role"] = role
    r.update(extra)
    return r


def test_propositions(clean_df, plan, *, multiverse=None, seed=None, secondary=True, latent=None,
                      source=None, raw=None, instrument=None, languages=None):
    """Test P1, P2 and their joint (interaction) prediction on a clean data set.

    Parameters
    ----------
    clean_df : DataFrame
        The clean data (``rsnprop clean`` output; CONTRIBUTING.md columns).
    plan : StudyPlan or path
        The preregistered plan (:func:`rsnprop.propositions.load_plan`).
    multiverse : bool or None
        Also run the specification grid of ``plan.multiverse``; ``None`` (default) follows the
        plan's ``multiverse.enabled``, as ``rsnprop test`` does, so that the API and the CLI
        give the same result.  Monte Carlo callers (power, benchmarks) pass False.
    seed : int, optional
        Recorded in the result.  The only random step, the imputations of ``missing:
        multiple_imputation``, is seeded by the plan (``imputation.seed``), so that the plan
        hash fixes the numbers.
    secondary : bool
        Run the secondary evidence, auxiliary hypotheses and continuous models (turn off
        for fast Monte Carlo runs: the verdicts depend on the primary rows only).
    latent : bool, optional
        Run the multigroup SEM (default ``plan.latent.enabled``; needs item columns).
    source : str, optional
        Name of the data file, recorded in the result.
    raw : DataFrame, optional
        The raw export, for multiverse careless rules that clean the data again; default
        the plan's ``inputs.raw`` (relative to the plan file, see
        :meth:`~rsnprop.propositions.plan.StudyPlan.input_path`).
    instrument : Instrument, optional
        The instrument (needed with ``raw``; default the plan's ``inputs.instrument``).
    languages : bool, optional
        Run the plan's ``language_invariance`` check (when the plan has one) and apply its
        policy (:mod:`rsnprop.propositions.languages`); default ``secondary``: Monte Carlo
        runs, whose simulated language versions are invariant by construction, skip it.

    Returns
    -------
    PropositionResult
    """
    from .plan import StudyPlan, load_plan
    from .result import PropositionResult

    if not isinstance(plan, StudyPlan):
        plan = load_plan(plan)
    extra = ["phase", "sector", "score_intl_approach", "cs_relational", "cs_informational"]
    extra.extend(plan.auxiliary.rsn_use_columns)
    spec = evaluate_spec(clean_df, plan, extra=extra, with_controls=plan.adjust_primary, bayes=secondary)
    frame, dec = spec["frame"], spec["decision"]
    warnings_ = list(spec["notes"])
    props = {}
    meas = spec.get("measurement")
    for key, hyp in plan.hypotheses.items():
        ev = [_tag(spec["primary"][key], "primary", p_corrected=dec["p_corrected"][key],
                   p_opposite_corrected=dec["p_opposite_corrected"][key]),
              _tag(spec["tost"][key], "equivalence", p_corrected=dec["p_tost_corrected"][key])]
        props[key] = {"statement": hyp.statement, "group": hyp.group, "expects": hyp.expects,
                      "verdict": dec["verdicts"][key], "reason": dec["reasons"][key],
                      "n": spec["primary"][key].get("n"),
                      "n_total": frame.attrs["counts"]["given"][hyp.group], "evidence": ev,
                      "measurement": _verdict_measurement(meas, key)}
    joint = None
    if "joint" in spec["primary"]:
        joint = {"statement": "The lean differs between groups as P1 and P2 predict "
                              "(interaction born global x benefit type).",
                 "verdict": dec["verdicts"]["joint"], "reason": dec["reasons"]["joint"],
                 "interaction_verdict": dec["interaction_verdict"],
                 "measurement": _verdict_measurement(meas, "joint"),
                 "evidence": [_tag(spec["primary"]["joint"], "primary",
                                   p_corrected=dec["p_corrected"]["joint"],
                                   p_opposite_corrected=dec["p_opposite_corrected"]["joint"]),
                              _tag(spec["tost"]["joint"], "equivalence",
                                   p_corrected=dec["p_tost_corrected"]["joint"])]}
    continuous, auxiliary = {}, {}
    if secondary:
        from .secondary import secondary_evidence

        # the observed-score rows use the data the verdicts rest on (the invariant part under
        # the partial policy); the latent cross-check every item, the flagged parameters freed
        gate = meas if meas is not None and meas.get("status") == "ok" and meas["policy"] == "partial" else None
        sec = secondary_evidence(spec.get("data", clean_df), plan, spec,
                                 latent=plan.latent.enabled if latent is None else latent,
                                 latent_data=clean_df, measurement=gate)
        for key in props:
            props[key]["evidence"].extend(sec["propositions"].get(key, []))
        if joint is not None:
            joint["evidence"].extend(sec["joint"])
        continuous, auxiliary = sec["continuous"], sec["auxiliary"]
        warnings_.extend(sec["warnings"])
    for key, row in spec["primary"].items():
        if row.get("status") != "ok":
            warnings_.append(f"{key}: primary test not run ({row.get('note')})")
    language = None
    if plan.language_invariance is not None and (secondary if languages is None else languages):
        from .languages import apply_language_policy, check_languages

        language = check_languages(clean_df, plan)    # docs/languages.md
        warnings_.extend(apply_language_policy(props, joint, language))
    _emit_warnings(warnings_)
    mv = None
    if multiverse is None:
        multiverse = plan.multiverse.enabled
    if multiverse:
        from .multiverse import run_multiverse

        mv = run_multiverse(clean_df, plan, raw=raw, instrument=instrument)
    if meas is not None and meas.get("status") == "ok" and not meas.get("held"):
        warnings_.append("measurement: " + meas["note"])
    return PropositionResult(
        language_invariance=language,
        plan=plan, propositions=props, joint=joint, auxiliary=auxiliary, continuous=continuous,
        measurement=meas,
        descriptives=_descriptives(frame), effects=_effects(props, joint), multiverse=mv,
        n=sample_counts(frame, clean_df), warnings=warnings_, seed=seed, source=source)


def sample_counts(frame, clean_df) -> dict:
    """The ``n`` block of the result: rows used (``analysed``, per group ``n``) out of rows
    given (``n_total`` = clean-data rows; per group, the firms classified in it), and why
    the others are left out (``unclassified``, ``missing_score``, ``excluded_by_rule``)."""
    c = frame.attrs["counts"]
    used = {"born_global": int((frame["bg"] == 1).sum()), "traditional": int((frame["bg"] == 0).sum())}
    return {"analysed": int(len(frame)), "n": int(len(frame)), "n_total": int(len(clean_df)),
            "input": int(len(clean_df)), **used, "bg_definition": c["bg_definition"],
            "unclassified": c["unclassified"], "missing_score": c["missing_score"],
            "excluded_by_rule": c["excluded_by_rule"],
            "groups": {g: {"n": used[g], "n_total": c["given"][g]} for g in used}}
