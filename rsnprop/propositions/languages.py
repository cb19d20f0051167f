"""Language versions: may the answers to the questionnaire's versions be pooled?

The plan's optional ``language_invariance:`` section (:class:`~rsnprop.propositions.plan.
LanguageInvariance`; absent = off) requires the benefit items to measure the same thing in
every language version (``survey_language`` of the clean data) before the verdicts rest on the
pooled responses: a two-factor CFA (``relational =~`` the relational items, ``informational
=~`` the informational ones), groups = the language versions, the sequence configural ->
metric -> scalar of :func:`rsnprop.sem.invariance` (``required_invariance``: ``scalar`` or
``metric``), with the partial search: when a step fails, the equality constraint whose release
lowers chi-square most is freed, one at a time.  An item whose loading or intercept is freed
functions differently across languages: it is reported as **differential item functioning**
(DIF), with the parameter and the step.

What a failed requirement does to the verdicts follows the vocabulary of the plan's
non-invariance policy between groups (``measurement.policy``, docs/invariance-policy.md):

``partial`` (default)
    The verdicts stand when partial invariance holds at the required level (every scale keeps
    at least ``min_invariant_items`` items free of DIF); each verdict then names the DIF items
    in its ``language`` block.  Otherwise the verdicts become ``inconclusive``.
``inconclusive``
    Any verdict becomes ``inconclusive`` unless the required level holds in full.
``report_only``
    The verdicts stand; the language check is reported.

Every verdict rests on the pooled responses of both scales, so the outcome applies to each.
When the check cannot run (no ``survey_language`` column, fewer than two versions with
``min_group_size`` firms, no item columns, a failing model) the verdicts stand and the result
says why (``status`` "not_available" or "failed").

Examples
--------
>>> import pandas as pd
>>> from rsnprop.propositions.plan import StudyPlan
>>> plan = StudyPlan(name="demo", language_invariance={"policy": "inconclusive"})
>>> chk = check_languages(pd.DataFrame({"rel_1": [1.0]}), plan)
>>> chk["status"], chk["note"]
('not_available', "no 'survey_language' column in the clean data")
"""

from __future__ import annotations

import warnings

from ..sem import invariance
from .latent import latent_model
from .plan import LanguageInvariance
from .prepare import items_of

__all__ = ["check_languages", "apply_language_policy", "dif_items"]

_RANK = {"none": -1, "configural": 0, "partial_metric": 0.5, "metric": 1, "partial_scalar": 1.5,
         "scalar": 2}
_PARAM = {"=~": "loading", "~1": "intercept"}


def dif_items(freed) -> list[dict]:
    """Items with a freed parameter, from lavaan ``group.partial`` constraints.

    Examples
    --------
    >>> dif_items(["relational=~rel_2", "inf_3~1", "rel_2~1"])
    [{'item': 'rel_2', 'parameter': 'loading', 'constraint': 'relational=~rel_2'}, \
{'item': 'inf_3', 'parameter': 'intercept', 'constraint': 'inf_3~1'}, \
{'item': 'rel_2', 'parameter': 'intercept', 'constraint': 'rel_2~1'}]
    """
    out = []
    for c in freed:
        s = str(c).replace(" ", "")
        if "=~" in s:
            out.append({"item": s.split("=~", 1)[1], "parameter": "loading", "constraint": s})
        elif s.endswith("~1"):
            out.append({"item": s[:-2], "parameter": "intercept", "constraint": s})
    return out


def _empty(cfg, status, note, **kw):
    out = {"column": cfg.column, "policy": cfg.policy, "required": cfg.required_invariance,
           "rule": cfg.rule, "status": status, "note": note, "level": None, "held": None,
           "pooled_ok": True, "dif": [], "dif_items": [], "scales": {}, "languages": [],
           "n": None, "n_total": None, "n_per_language": {}, "left_out": {}, "steps": []}
    out.update(kw)
    return out


def _steps(inv) -> list[dict]:
    keys = ("name", "n", "chi2", "df", "pvalue", "cfi", "rmsea", "srmr", "delta_cfi",
            "delta_rmsea", "delta_srmr", "held", "freed")
    rows = []
    for s in inv.steps:
        r = {k: s.get(k) for k in keys}
        lrt = s.get("lrt") or {}
        r.update(chi2_diff=lrt.get("chi2_diff"), df_diff=lrt.get("df_diff"), p_diff=lrt.get("pvalue"))
        rows.append(r)
    return rows


def check_languages(clean_df, plan) -> dict:
    """Invariance of the benefit items across the language versions (module docstring),
    with the plan's ``language_invariance`` settings (their defaults when it has none).

    Returns a dict: ``column, policy, required, rule, status`` ("ok", "not_available",
    "failed"), ``note``, ``level`` (highest level held in sequence), ``held`` (the required
    level holds without freeing anything), ``pooled_ok`` (the verdicts may rest on the pooled
    versions under the policy), ``dif`` (one row per freed parameter: ``item, parameter,
    constraint``), ``dif_items``, ``scales`` ({kind: {items, dif, invariant_items,
    partial_ok}}), ``languages``, ``n`` (firms in the model) of ``n_total`` (firms with a known
    version), ``n_per_language``, ``left_out`` (versions with fewer than the plan's
    ``min_group_size`` firms), ``steps`` (fit, deltas, chi-square difference, held, freed).
    """

    cfg = plan.language_invariance or LanguageInvariance()   # called directly: the defaults
    if cfg.column not in clean_df.columns:
        return _empty(cfg, "not_available", f"no {cfg.column!r} column in the clean data")
    items = {kind: [i for c in getattr(plan.benefits, kind) for i in items_of(clean_df.columns, c)]
             for kind in ("relational", "informational")}
    if min(len(v) for v in items.values()) < 2:
        return _empty(cfg, "not_available", "fewer than 2 item columns per benefit scale in the data")
    cols = items["relational"] + items["informational"]
    sub = clean_df.loc[clean_df[cfg.column].notna(), cols + [cfg.column]]
    n_total = int(len(sub))
    counts = sub[cfg.column].astype(str).value_counts().sort_index()
    small = {str(k): int(v) for k, v in counts.items() if v < plan.min_group_size}
    keep = [str(k) for k in counts.index if str(k) not in small]
    base = dict(n_total=n_total, left_out=small, languages=keep,
                n_per_language={str(k): int(v) for k, v in counts.items()})
    if len(keep) < 2:
        return _empty(cfg, "not_available", "fewer than two language versions with the plan's "
                      f"min_group_size ({plan.min_group_size}) firms", **base)
    sub = sub[sub[cfg.column].astype(str).isin(keep)].copy()
    sub[cfg.column] = sub[cfg.column].astype(str)
    sub = sub.sort_values(cfg.column, kind="stable").reset_index(drop=True)
    sub = sub.dropna(subset=cols) if cfg.missing == "listwise" else sub[sub[cols].notna().any(axis=1)]
    levels = ("configural", "metric", "scalar")[: 1 + ("configural", "metric", "scalar")
                                                  .index(cfg.required_invariance)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inv = invariance(latent_model(items["relational"], items["informational"]), sub,
                             cfg.column, levels=levels, estimator="ML", missing=cfg.missing,
                             rule=cfg.rule, alpha=cfg.alpha, partial_search=True)
    except Exception as err:  # noqa: BLE001 - a failing check must not stop the verdicts
        return _empty(cfg, "failed", f"language invariance check failed: {type(err).__name__}: "
                      f"{err}", n=int(len(sub)), **base)
    return _summarise(cfg, inv, items, base)


def _summarise(cfg, inv, items, base) -> dict:
    """The check's dict from a fitted invariance sequence."""
    freed = list(inv.steps[-1].get("freed") or [])
    dif = dif_items(freed)
    dif_set = {d["item"] for d in dif}
    scales = {}
    for kind, its in items.items():
        inv_items = [i for i in its if i not in dif_set]
        scales[kind] = {"items": its, "dif": [i for i in its if i in dif_set],
                        "invariant_items": len(inv_items),
                        "partial_ok": len(inv_items) >= cfg.min_invariant_items}
    level = inv.level
    held = level == cfg.required_invariance
    partial = _RANK.get(level, -1) >= _RANK[cfg.required_invariance] - 0.5 and all(
        s["partial_ok"] for s in scales.values())
    pooled_ok = (cfg.policy == "report_only" or held
                 or (cfg.policy == "partial" and partial))
    names = ", ".join(f"{d['item']} ({d['parameter']})" for d in dif)
    if held:
        note = f"{cfg.required_invariance} invariance across language versions holds"
    else:
        note = (f"{cfg.required_invariance} invariance across language versions does not hold in "
                f"full (level {level}" + (f"; differential item functioning: {names}" if dif else "")
                + ")")
    return _empty(cfg, "ok", note, level=level, held=held, pooled_ok=pooled_ok, dif=dif,
                  dif_items=sorted(dif_set), scales=scales, n=int(inv.n), steps=_steps(inv),
                  **{**base, "n_per_language": {str(k): int(v) for k, v in inv.n_per_group.items()}})


def apply_language_policy(props: dict, joint: dict | None, check: dict) -> list[str]:
    """Give every verdict block a ``language`` entry and apply the policy in place: a verdict
    whose pooled data the policy does not allow becomes ``inconclusive`` (the reason says
    why; ``verdict_pooled`` keeps the verdict on the pooled data).  Returns warning lines."""
    blocks = [*props.values()] + ([joint] if joint is not None else [])
    flag = check["status"] == "ok" and not check["held"]
    for b in blocks:
        b["language"] = {"policy": check["policy"], "status": check["status"],
                         "level": check["level"], "required": check["required"],
                         "held": check["held"], "dif_items": list(check["dif_items"]),
                         "verdict_pooled": b["verdict"], "verdict_changed": False,
                         "flagged": flag, "note": check["note"]}
        if check["status"] == "ok" and not check["pooled_ok"] and b["verdict"] != "inconclusive":
            b["verdict"] = "inconclusive"
            b["reason"] = (f"language versions may not be pooled ({check['note']}; policy "
                           f"'{check['policy']}'); verdict on the pooled data: "
                           f"{b['language']['verdict_pooled']}")
            b["language"]["verdict_changed"] = True
    if check["status"] != "ok":
        return [f"language invariance not checked: {check['note']}"]
    return [f"language versions: {check['note']}"] if flag else []
