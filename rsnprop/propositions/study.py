"""Test the propositions on a clean data set: :func:`test_propositions`.

The recipe: the primary specification (:func:`rsnprop.propositions.evaluate.evaluate_spec`:
prepare the analysis frame(s) -> run the tests of each hypothesis -> pool -> decide ->
non-invariance policy), then the verdict of each proposition with its evidence, the secondary
evidence (:mod:`rsnprop.propositions.secondary`), the language-invariance policy
(:mod:`rsnprop.propositions.languages`), the multiverse
(:mod:`rsnprop.propositions.multiverse`) and the result
(:class:`~rsnprop.propositions.result.PropositionResult`).

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
import warnings

import numpy as np

from ..errors import ConvergenceWarning, DataQualityWarning, EmptyCellWarning
from .evaluate import evaluate_spec
from .plan import StudyPlan, load_plan
from .result import PropositionResult
from .secondary import secondary_evidence
from .student_t import mean_var, t_ppf

__all__ = ["test_propositions", "sample_counts", "D_FAMILY"]


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

    if not isinstance(plan, StudyPlan):
        plan = load_plan(plan)
    extra = _extra_columns(plan, secondary)
    checks: dict = {}     # the invariance check of the primary data, reused by the multiverse
    spec = evaluate_spec(clean_df, plan, extra=extra, with_controls=plan.adjust_primary, bayes=secondary,
                         measurement_cache=checks)
    frame, meas = spec["frame"], spec.get("measurement")
    warnings_ = list(spec["notes"])
    props, joint = _verdicts(plan, spec)
    continuous, auxiliary = {}, {}
    if secondary:
        continuous, auxiliary = _add_secondary(props, joint, clean_df, plan, spec, latent, warnings_)
    warnings_.extend(f"{key}: primary test not run ({row.get('note')})"
                     for key, row in spec["primary"].items() if row.get("status") != "ok")
    language = None
    if plan.language_invariance is not None and (secondary if languages is None else languages):
        from .languages import apply_language_policy, check_languages

        language = check_languages(clean_df, plan)    # docs/languages.md
        warnings_.extend(apply_language_policy(props, joint, language))
    _emit_warnings(warnings_)
    mv = None
    if plan.multiverse.enabled if multiverse is None else multiverse:
        from .multiverse import run_multiverse

        mv = run_multiverse(clean_df, plan, raw=raw, instrument=instrument, cache=checks)
    if meas is not None and meas.get("status") == "ok" and not meas.get("held"):
        warnings_.append("measurement: " + meas["note"])
    return PropositionResult(
        language_invariance=language,
        plan=plan, propositions=props, joint=joint, auxiliary=auxiliary, continuous=continuous,
        measurement=meas,
        descriptives=_descriptives(frame, scores=spec.get("scores")), effects=_effects(props, joint), multiverse=mv,
        n=sample_counts(frame, clean_df, bg=(spec.get("scores") or {}).get("bg")), warnings=warnings_, seed=seed, source=source)


def _extra_columns(plan, secondary):
    """The clean-data columns the analysis frame carries besides the scores and groups: those
    the secondary evidence reads (phase, sector, ...), or none when it is not run - nothing
    else reads them (a power replication builds its frame without them, 0.3-0.4 ms).  Under
    multiple imputation they stay, since they decide whether the imputed frames share rows."""
    if not secondary and plan.missing != "multiple_imputation":
        return []
    return ["phase", "sector", "score_intl_approach", "cs_relational", "cs_informational",
            *plan.auxiliary.rsn_use_columns]


def _verdicts(plan, spec):
    """``(props, joint)``: the verdict block of each proposition and of the joint prediction
    (None when the plan has none), with the primary and equivalence rows as evidence."""
    frame, dec, meas = spec["frame"], spec["decision"], spec.get("measurement")

    def evidence(key):
        return [_tag(spec["primary"][key], "primary", p_corrected=dec["p_corrected"][key],
                     p_opposite_corrected=dec["p_opposite_corrected"][key]),
                _tag(spec["tost"][key], "equivalence", p_corrected=dec["p_tost_corrected"][key])]

    props = {}
    for key, hyp in plan.hypotheses.items():
        props[key] = {"statement": hyp.statement, "group": hyp.group, "expects": hyp.expects,
                      "verdict": dec["verdicts"][key], "reason": dec["reasons"][key],
                      "n": spec["primary"][key].get("n"),
                      "n_total": frame.attrs["counts"]["given"][hyp.group], "evidence": evidence(key),
                      "measurement": _verdict_measurement(meas, key)}
    joint = None
    if "joint" in spec["primary"]:
        joint = {"statement": "The lean differs between groups as P1 and P2 predict "
                              "(interaction born global x benefit type).",
                 "verdict": dec["verdicts"]["joint"], "reason": dec["reasons"]["joint"],
                 "interaction_verdict": dec["interaction_verdict"],
                 "measurement": _verdict_measurement(meas, "joint"), "evidence": evidence("joint")}
    return props, joint


def _add_secondary(props, joint, clean_df, plan, spec, latent, warnings_):
    """Add the secondary rows to the evidence of ``props`` and ``joint`` and their warnings to
    ``warnings_``; returns ``(continuous, auxiliary)``."""

    meas = spec.get("measurement")
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
    warnings_.extend(sec["warnings"])
    return sec["continuous"], sec["auxiliary"]


def _descriptives(frame, confidence=0.95, *, scores=None):
    """Mean, SD and ``confidence`` interval of each benefit and of D per group (the groups
    in order, as ``frame.groupby("group", sort=True)`` gives them; on arrays).  ``scores``: the
    frame's score columns as float arrays when the caller has them
    (:func:`rsnprop.propositions.prepare.score_arrays`)."""
    labels = frame["group"].to_numpy(dtype=object) if scores is None or "group" not in scores else scores["group"]
    columns = {benefit: frame[benefit].to_numpy(dtype=float, na_value=np.nan) if scores is None else scores[benefit]
               for benefit in ("relational", "informational", "D")}
    rows = []
    for group in sorted({g for g in labels if isinstance(g, str)}):
        mask = labels == group
        for benefit, values in columns.items():
            x = values[mask]
            x = x[~np.isnan(x)]
            n = x.size
            mean, sd = _mean_sd(x)
            half = t_ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            rows.append({"group": group, "benefit": benefit if benefit != "D" else "relational - informational",
                         "n": n, "mean": mean, "sd": sd, "ci_lower": mean - half, "ci_upper": mean + half})
    return rows


def _mean_sd(x):
    """``(x.mean(), x.std(ddof=1))`` as floats (NaN without values, SD NaN with one), the
    same bits from one pass (:func:`rsnprop.propositions.student_t.mean_var`)."""
    n = x.size
    if n < 2:
        return (float(x.mean()) if n else math.nan), math.nan
    mean, ss = mean_var(x)
    return float(mean), float(np.sqrt(ss / (n - 1)))


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


def sample_counts(frame, clean_df, *, bg=None) -> dict:
    """The ``n`` block of the result: rows used (``analysed``, per group ``n``) out of rows
    given (``n_total`` = clean-data rows; per group, the firms classified in it), and why
    the others are left out (``unclassified``, ``missing_score``, ``excluded_by_rule``).
    ``bg``: the frame's ``bg`` column as an array, when the caller has it."""
    c = frame.attrs["counts"]
    bg = frame["bg"].to_numpy() if bg is None else bg
    used = {"born_global": int((bg == 1).sum()), "traditional": int((bg == 0).sum())}
    return {"analysed": int(len(frame)), "n": int(len(frame)), "n_total": int(len(clean_df)),
            "input": int(len(clean_df)), **used, "bg_definition": c["bg_definition"],
            "unclassified": c["unclassified"], "missing_score": c["missing_score"],
            "excluded_by_rule": c["excluded_by_rule"],
            "groups": {g: {"n": used[g], "n_total": c["given"][g]} for g in used}}
