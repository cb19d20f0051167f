"""The result of :func:`rsnprop.propositions.test_propositions` and its JSON contract.

``PropositionResult.to_dict()`` (written to ``build/propositions.json`` by ``rsnprop test``;
read by the report) has these keys:

``plan_hash``
    SHA-256 of the canonical plan (``StudyPlan.hash``).
``plan``
    ``{"name", "version", "alpha", "sesoi": {"value", "unit"}, "correction", "estimator",
    "missing", "born_global_definition", "controls", "benefits"}``, plus ``"imputation":
    {"m", "seed", "bounds"}`` when the analysis or the multiverse uses multiple imputation
    (pooled rows then also carry ``mi_m, mi_seed, fmi, riv, df_complete, se, n_imputed,
    per_imputation``; :mod:`rsnprop.propositions.imputation`).
``n``
    Rows used out of rows given: ``{"n", "analysed"`` (firms in the tests), ``"n_total",
    "input"`` (rows of the clean data), ``"born_global", "traditional"`` (used per group),
    ``"groups": {"born_global": {"n", "n_total"}, "traditional": {...}}`` (used / classified in
    the group), ``"unclassified"`` (born-global column unknown), ``"missing_score",
    "excluded_by_rule", "bg_definition"}``.
``verdicts``
    ``{"P1": verdict, "P2": verdict, "joint": verdict}``; a verdict is one of
    ``"supported"``, ``"contradicted"``, ``"equivalent"`` (no difference larger than the
    SESOI), ``"inconclusive"``.
``propositions``
    ``{"P1": {"statement", "group", "expects", "verdict", "reason", "n" (firms in the primary
    test), "n_total" (firms of the clean data classified in the group), "evidence": [row]},
    "P2": {...}}``.
``joint``
    ``{"statement", "verdict", "reason", "interaction_verdict", "evidence": [row]}`` or null.
``auxiliary``
    ``{"A1": row + "statement", "A2": row + "statement"}`` (no verdicts: reported only).
``continuous``
    ``{"approach_slope": row, "approach_slope_controls": row, "moderation_phase": row,
    "moderation_sector": row}``.
``descriptives``
    per group and benefit (``relational``, ``informational``,
    ``relational - informational``): ``{"group", "benefit", "n", "mean", "sd", "ci_lower",
    "ci_upper"}`` (95 % t intervals): the data for the means plot.
``effects``
    forest-plot rows, d family only (d_z, Hedges g, OLS coefficient / residual SD: one
    comparable axis) ``{"proposition", "test", "role", "group", "n", "effect_size_name",
    "effect_size", "es_ci_lower", "es_ci_upper", "estimate", "ci_lower", "ci_upper"}``.
``language_invariance``
    null, or the plan's check that the language versions may be pooled
    (:func:`rsnprop.propositions.languages.check_languages`): ``column, policy, required,
    rule, status, note, level, held, pooled_ok, dif, dif_items, scales, languages, n,
    n_total, n_per_language, left_out, steps``; each proposition block (and ``joint``) then
    has ``language``: ``{"policy", "status", "level", "required", "held", "dif_items",
    "verdict_pooled", "verdict_changed", "flagged", "note"}``.
``multiverse``
    null, or ``{"n_specifications", "n_available", "not_available": [{"reason", "n",
    "spec_ids"}], "dimensions", "share": {"P1": {verdict: share}, ...},
    "share_supported": {"P1", "P2", "joint"}, "specifications": [spec row]}`` (see
    :mod:`rsnprop.propositions.multiverse`): the specification-curve table.
``measurement``
    null, or the invariance check of the benefit items between the groups and the plan's
    non-invariance policy (:mod:`rsnprop.propositions.measurement`): ``policy, required,
    status, note, level, held, freed, items_set_aside, scales, n, n_total, steps, rule,
    verdicts_all_items, changed``.  Each proposition block (and ``joint``) also has
    ``measurement``: ``{"policy", "status", "invariance_level", "required", "held",
    "items_set_aside", "verdict_all_items", "verdict_changed", "note"}``.
``question``
    The research question in one sentence (for readers who did not run the analysis).
``caveats``
    List of plain-language caveats computed from this analysis (group sizes, minimum
    detectable effect, invariance level of the latent check, agreement of the multiverse,
    design limits).
``warnings``, ``seed``, ``source``.

An evidence *row* has ``test, role`` ("primary", "equivalence", "robustness",
"cross-check"), ``group, n, estimate, ci_lower, ci_upper, ci_level`` (0.95, or
``1 - 2 alpha`` = 0.90 for the TOST rows), ``statistic, statistic_name, df,
effect_size, effect_size_name, es_ci_lower, es_ci_upper`` (95 %), ``p_value`` (one-sided in the
expected direction; for TOST the larger one-sided p), ``p_sided`` ("one-sided" or
"two-sided": the moderation Wald tests), ``p_opposite, p_corrected``
(primary and equivalence rows), ``p_opposite_corrected`` (primary), ``bf10``
(directional JZS Bayes factor of the Student t row), ``alternative, status`` ("ok",
"not_available", "not_interpretable", "failed") and ``note``.  ``estimate`` is oriented
so that positive values favour the proposition.
"""

from __future__ import annotations

import math

import pandas as pd

from ..distributions import norm_ppf
from ..results import Result, jsonsafe

__all__ = ["PropositionResult", "QUESTION", "SCHEMA"]

#: contract of propositions.json (rsnprop.schemas.Propositions)
SCHEMA = "rsnprop.propositions/1"

QUESTION = ("Do SMEs that internationalise in different ways use digital social networks for "
            "different benefits: traditional (incremental) SMEs mainly for informational benefits "
            "(P1), born globals mainly for relational benefits (P2)?")


class PropositionResult(Result):
    """Verdicts and evidence for P1, P2 and their joint prediction."""

    title = "Proposition tests"

    def __init__(self, *, plan, propositions, joint, auxiliary, continuous, descriptives,
                 effects, multiverse, n, warnings, seed=None, source=None,
                 language_invariance=None, measurement=None):
        self.plan = plan
        self.propositions = propositions
        self.joint = joint
        self.auxiliary = auxiliary
        self.continuous = continuous
        self.descriptives = descriptives
        self.effects = effects
        self.multiverse = multiverse
        self.measurement = measurement
        self.n = n
        self.warnings = list(warnings)
        self.seed = seed
        self.source = source
        self.language_invariance = language_invariance

    @property
    def plan_hash(self) -> str:
        return self.plan.hash

    @property
    def verdicts(self) -> dict:
        out = {k: v["verdict"] for k, v in self.propositions.items()}
        if self.joint is not None:
            out["joint"] = self.joint["verdict"]
        return out

    def headline(self) -> list:
        """The verdict lines (shown first in a notebook, and in ``repr``)."""
        blocks = list(self.propositions.items()) + ([("joint", self.joint)] if self.joint is not None else [])
        out = [f"{k}: {b['verdict'].upper()} - {b['statement']}" for k, b in blocks]
        n = self.n if isinstance(self.n, dict) else {}
        if n:
            out.append(f"firms analysed: {n.get('analysed')} ({n.get('born_global')} born global, "
                       f"{n.get('traditional')} traditional)")
        return out

    def to_dict(self) -> dict:
        p = self.plan
        return jsonsafe({
            "schema": SCHEMA,
            "plan_hash": p.hash,
            "plan": {"name": p.name, "version": p.version, "alpha": p.alpha,
                     "sesoi": p.sesoi.model_dump(), "correction": p.correction,
                     "estimator": p.estimator, "missing": p.missing,
                     "born_global_definition": p.born_global_definition,
                     "controls": list(p.controls), "benefits": p.benefits.model_dump(),
                     "measurement": p.measurement.model_dump(),
                     **({"imputation": {"m": p.imputation.m, "seed": p.imputation.effective_seed,
                                        "bounds": p.imputation.bounds}}
                        if p.uses_imputation else {})},
            "n": self.n,
            "verdicts": self.verdicts,
            "propositions": self.propositions,
            "joint": self.joint,
            "auxiliary": self.auxiliary,
            "continuous": self.continuous,
            "descriptives": self.descriptives,
            "language_invariance": self.language_invariance,
            "effects": self.effects,
            "multiverse": self.multiverse,
            "measurement": self.measurement,
            "question": QUESTION,
            "caveats": self.caveats(),
            "warnings": self.warnings,
            "seed": self.seed,
            "source": self.source,
        })

    def caveats(self) -> list[str]:
        """Plain-language caveats for this analysis (see module docstring)."""

        out = []
        a = self.plan.alpha
        for key, block in self.propositions.items():
            n = block.get("n") or 0
            if n >= 3:
                # d_z detectable with 80 % power, one-sided, at the Holm worst case alpha / 3
                k = len(self.propositions) + (self.joint is not None)
                z = norm_ppf(1 - a / k) + norm_ppf(0.8)
                out.append(f"{key}: {n} {block['group'].replace('_', ' ')} firms; the smallest "
                           f"within-firm effect detectable with 80% power (one-sided test at alpha / {k}, "
                           f"the Holm worst case) is about d_z = {z / math.sqrt(n):.2f}.")
        if self.joint is not None:
            for r in self.joint["evidence"]:
                if r.get("test", "").startswith("latent") and r.get("status") != "ok":
                    out.append("The latent (SEM) comparison is not interpretable here: " + str(r.get("note")))
                elif r.get("test", "").startswith("latent"):
                    out.append(f"Latent comparison run at invariance level {r.get('invariance_level')}.")
        m = self.measurement
        if m and m.get("status") == "ok" and not m.get("held"):
            changed = [k for k, v in (m.get("changed") or {}).items() if v]
            out.append(f"Measurement invariance between the groups: {m['required']} invariance does not "
                       f"hold in full (level {m['level']}"
                       + (f"; items set aside: {', '.join(m['items_set_aside'])}" if m["items_set_aside"] else "")
                       + f"). Under the preregistered policy '{m['policy']}' "
                       + (f"the verdicts of {', '.join(changed)} differ from those with every item."
                          if changed else "no verdict differs from the one with every item."))
        elif m and m.get("status") != "ok":
            out.append(f"Measurement invariance of the benefit items was not checked: {m.get('note')}.")
        if self.multiverse and self.multiverse.get("n_available"):
            from .multiverse import computed_line

            s = self.multiverse["share_supported"]
            out.append(f"Multiverse: {computed_line(self.multiverse)}; the share of them reaching "
                       "'supported' is " + ", ".join(
                           f"{k} {v:.0%}" for k, v in s.items() if v is not None) + ".")
        out.append("Benefits are self-reported by one respondent per firm at one point in time: the "
                   "design shows associations, not causes, and shares the common-method risk "
                   "(see the measurement section).")
        out.append(f"Born globals are defined as '{self.plan.born_global_definition}'; other "
                   "definitions are compared in the multiverse.")
        lang = self.language_invariance
        if lang and lang.get("status") == "ok" and not lang.get("held"):
            out.append(f"Language versions: {lang['note']}; under the preregistered policy "
                       f"'{lang['policy']}' the verdicts "
                       + ("rest on the pooled versions." if lang["pooled_ok"]
                          else "relying on the pooled versions are inconclusive."))
        return out

    def to_frame(self):
        """One row per evidence row (proposition, role, test, estimate, CI, p, corrected p)."""

        rows = []
        blocks = list(self.propositions.items())
        if self.joint is not None:
            blocks.append(("joint", self.joint))
        for key, block in blocks:
            for r in block["evidence"]:
                rows.append({"proposition": key, "verdict": block["verdict"], "role": r.get("role"),
                             "test": r.get("test"), "group": r.get("group"), "n": r.get("n"),
                             "estimate": r.get("estimate"), "ci_lower": r.get("ci_lower"),
                             "ci_upper": r.get("ci_upper"), "ci_level": r.get("ci_level"),
                             "effect_size": r.get("effect_size"), "p_value": r.get("p_value"),
                             "p_sided": r.get("p_sided"), "p_corrected": r.get("p_corrected"),
                             "status": r.get("status")})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        lines = [f"{self.title} (plan {self.plan.name} v{self.plan.version}, hash {self.plan.hash[:12]})",
                 sample_line(self.n), ""]
        for key, block in self.propositions.items():
            lines.append(f"{key}: {block['verdict'].upper():13s} {block['statement']}")
            lines.append(f"    {block['reason']}")
            lines.extend(f"    {evidence_line(r, block.get('n_total'))}" for r in block["evidence"][:2])
        if self.measurement:
            lines.append(f"measurement ({self.measurement['policy']}): {self.measurement['note']}")
        if self.joint is not None:
            lines.append(f"joint: {self.joint['verdict'].upper():10s} {self.joint['statement']}")
            lines.append(f"    {self.joint['reason']}")
            lines.extend(f"    {evidence_line(r, self.n.get('n_total'))}" for r in self.joint["evidence"][:2])
        if self.multiverse:
            from .multiverse import computed_line

            s = self.multiverse["share_supported"]
            lines.append("")
            lines.append(f"multiverse: {computed_line(self.multiverse)}; share supported "
                         + ", ".join(f"{k} {v:.0%}" for k, v in s.items() if v is not None))
            lines.extend(f"    not available ({x['n']}): {x['reason']}"
                         for x in self.multiverse.get("not_available", []))
        lang = self.language_invariance
        if lang:
            lines.append("")
            lines.append(f"language versions ({lang['policy']}): {lang['note']}"
                         + ("" if lang.get("pooled_ok", True) else
                            " -> verdicts inconclusive (pooled verdicts in verdict_pooled)"))
        lines.append("")
        lines.append(super().summary())
        if self.warnings:
            lines.append("")
            lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def sample_line(n: dict) -> str:
    """``firms analysed: 257 of 261 (116 of 116 born global, 141 of 141 traditional; 4 not
    classified ...)``: rows used out of rows given, with the reasons for the difference."""
    g = n.get("groups", {})
    per = ", ".join(f"{g[k]['n']} of {g[k]['n_total']} {k.replace('_', ' ')}" for k in
                    ("born_global", "traditional") if k in g)
    why = [f"{n['unclassified']} not classified ({n.get('bg_definition')} unknown)"
           if n.get("unclassified") else "",
           f"{n['missing_score']} without both benefit scores" if n.get("missing_score") else "",
           f"{n['excluded_by_rule']} excluded by the careless/complete-case rule"
           if n.get("excluded_by_rule") else ""]
    why = "; ".join(w for w in why if w)
    return (f"firms analysed: {n['analysed']} of {n.get('n_total', n.get('input'))} in the clean data"
            + (f" ({per})" if per else "") + (f"; left out: {why}" if why else ""))


def ci_label(row) -> str:
    """``"95% CI"`` / ``"90% CI"``: the level of the row's interval (``ci_level``)."""
    level = row.get("ci_level")
    return f"{round(100 * level, 1):g}% CI" if level else "CI"


def evidence_line(row, n_total=None) -> str:
    """One evidence row in words, every number labelled with what it is (``n_total``: the
    firms given for it, printed as "n = used of given")."""
    if row.get("status") != "ok":
        return f"{row.get('test')}: {row.get('status')} ({row.get('note')})"
    given = f" of {n_total}" if n_total is not None else ""
    parts = [f"{row.get('test')} (n = {row.get('n')}{given})"]
    if row.get("estimate") is not None:
        ci = ""
        if row.get("ci_lower") is not None:
            ci = f", {ci_label(row)} [{row['ci_lower']:.2f}, {row['ci_upper']:.2f}]"
        parts.append(f"estimate {row['estimate']:.2f}{ci}")
    sided = row.get("p_sided") or "one-sided"
    if row.get("p_value") is not None:
        parts.append(f"p ({sided}) = {row['p_value']:.3g}")
    if row.get("p_corrected") is not None:
        parts.append(f"corrected p ({sided}) = {row['p_corrected']:.3g}")
    return "; ".join(parts)
