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
    ``{"input", "analysed", "born_global", "traditional"}``.
``verdicts``
    ``{"P1": verdict, "P2": verdict, "joint": verdict}``; a verdict is one of
    ``"supported"``, ``"contradicted"``, ``"equivalent"`` (no difference larger than the
    SESOI), ``"inconclusive"``.
``propositions``
    ``{"P1": {"statement", "group", "expects", "verdict", "reason", "n", "evidence": [row]},
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
``multiverse``
    null, or ``{"n_specifications", "dimensions", "share": {"P1": {verdict: share}, ...},
    "share_supported": {"P1", "P2", "joint"}, "specifications": [spec row]}`` (see
    :mod:`rsnprop.propositions.multiverse`): the specification-curve table.
``question``
    The research question in one sentence (for readers who did not run the analysis).
``caveats``
    List of plain-language caveats computed from this analysis (group sizes, minimum
    detectable effect, invariance level of the latent check, agreement of the multiverse,
    design limits).
``warnings``, ``seed``, ``source``.

An evidence *row* has ``test, role`` ("primary", "equivalence", "robustness",
"cross-check"), ``group, n, estimate, ci_lower, ci_upper, statistic, statistic_name, df,
effect_size, effect_size_name, es_ci_lower, es_ci_upper, p_value`` (one-sided in the
expected direction; for TOST the larger one-sided p), ``p_opposite, p_corrected``
(primary and equivalence rows), ``p_opposite_corrected`` (primary), ``bf10``
(directional JZS Bayes factor of the Student t row), ``alternative, status`` ("ok",
"not_available", "not_interpretable", "failed") and ``note``.  ``estimate`` is oriented
so that positive values favour the proposition.
"""

from __future__ import annotations

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
                 effects, multiverse, n, warnings, seed=None, source=None):
        self.plan = plan
        self.propositions = propositions
        self.joint = joint
        self.auxiliary = auxiliary
        self.continuous = continuous
        self.descriptives = descriptives
        self.effects = effects
        self.multiverse = multiverse
        self.n = n
        self.warnings = list(warnings)
        self.seed = seed
        self.source = source

    @property
    def plan_hash(self) -> str:
        return self.plan.hash

    @property
    def verdicts(self) -> dict:
        out = {k: v["verdict"] for k, v in self.propositions.items()}
        if self.joint is not None:
            out["joint"] = self.joint["verdict"]
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
            "effects": self.effects,
            "multiverse": self.multiverse,
            "question": QUESTION,
            "caveats": self.caveats(),
            "warnings": self.warnings,
            "seed": self.seed,
            "source": self.source,
        })

    def caveats(self) -> list[str]:
        """Plain-language caveats for this analysis (see module docstring)."""
        import math

        from scipy import stats

        out = []
        a = self.plan.alpha
        for key, block in self.propositions.items():
            n = block.get("n") or 0
            if n >= 3:
                # d_z detectable with 80 % power, one-sided, at the Holm worst case alpha / 3
                k = len(self.propositions) + (self.joint is not None)
                z = stats.norm.ppf(1 - a / k) + stats.norm.ppf(0.8)
                out.append(f"{key}: {n} {block['group'].replace('_', ' ')} firms; the smallest "
                           f"within-firm effect detectable with 80% power is about d_z = {z / math.sqrt(n):.2f}.")
        if self.joint is not None:
            for r in self.joint["evidence"]:
                if r.get("test", "").startswith("latent") and r.get("status") != "ok":
                    out.append("The latent (SEM) comparison is not interpretable here: " + str(r.get("note")))
                elif r.get("test", "").startswith("latent"):
                    out.append(f"Latent comparison run at invariance level {r.get('invariance_level')}.")
        if self.multiverse and self.multiverse.get("n_available"):
            s = self.multiverse["share_supported"]
            out.append("Across {} analysable specifications, the share reaching 'supported' is ".format(
                self.multiverse["n_available"]) + ", ".join(
                f"{k} {v:.0%}" for k, v in s.items() if v is not None) + ".")
        out.append("Benefits are self-reported by one respondent per firm at one point in time: the "
                   "design shows associations, not causes, and shares the common-method risk "
                   "(see the measurement section).")
        out.append(f"Born globals are defined as '{self.plan.born_global_definition}'; other "
                   "definitions are compared in the multiverse.")
        return out

    def to_frame(self):
        """One row per evidence row (proposition, role, test, estimate, CI, p, corrected p)."""
        import pandas as pd

        rows = []
        blocks = list(self.propositions.items())
        if self.joint is not None:
            blocks.append(("joint", self.joint))
        for key, block in blocks:
            for r in block["evidence"]:
                rows.append({"proposition": key, "verdict": block["verdict"], "role": r.get("role"),
                             "test": r.get("test"), "group": r.get("group"), "n": r.get("n"),
                             "estimate": r.get("estimate"), "ci_lower": r.get("ci_lower"),
                             "ci_upper": r.get("ci_upper"), "effect_size": r.get("effect_size"),
                             "p_value": r.get("p_value"), "p_corrected": r.get("p_corrected"),
                             "status": r.get("status")})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        lines = [f"{self.title} (plan {self.plan.name} v{self.plan.version}, hash {self.plan.hash[:12]})",
                 f"firms analysed: {self.n['analysed']} ({self.n['born_global']} born global, "
                 f"{self.n['traditional']} traditional)", ""]
        for key, block in self.propositions.items():
            lines.append(f"{key}: {block['verdict'].upper():13s} {block['statement']}")
            lines.append(f"    {block['reason']}")
        if self.joint is not None:
            lines.append(f"joint: {self.joint['verdict'].upper():10s} {self.joint['statement']}")
            lines.append(f"    {self.joint['reason']}")
        if self.multiverse:
            s = self.multiverse["share_supported"]
            lines.append("")
            lines.append(f"multiverse ({self.multiverse['n_specifications']} specifications): share supported "
                         + ", ".join(f"{k} {v:.0%}" for k, v in s.items() if v is not None))
        lines.append("")
        lines.append(super().summary())
        if self.warnings:
            lines.append("")
            lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)
