"""The verdicts of `rsnprop test`: :class:`Propositions` and its records."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from .base import Number, StageOutput, Verdict, _Open

class Evidence(_Open):
    """One statistical test behind a verdict."""

    test: str
    status: str = Field(description="`ok` or why the test could not be run.")
    role: str | None = Field(None, description="primary, equivalence, robustness, cross-check.")
    group: str | None = None
    n: int | None = Field(None, description="Firms in the test.")
    estimate: float | None = Field(None, description="Oriented so that positive supports the claim.")
    ci_lower: float | None = None
    ci_upper: float | None = None
    ci_level: float | None = Field(None, description="Level of `ci_lower`, `ci_upper` (0.9 for TOST).")
    alternative: str | None = Field(None, description="`expected direction`, `equivalence` or "
                                                      "`two-sided`.")
    p_value: float | None = Field(None, description="One-sided in the expected direction.")
    p_sided: Literal["one-sided", "two-sided"] | None = Field(None, description="Sidedness of "
                                                                                "`p_value`.")
    p_corrected: float | None = Field(None, description="After the plan's multiple-testing "
                                                        "correction (primary tests).")
    effect_size: float | None = None
    effect_size_name: str | None = None
    es_ci_lower: float | None = Field(None, description="95% CI of `effect_size`.")
    es_ci_upper: float | None = None
    note: str | None = Field(None, description="What the reader should know about this row.")


class Hypothesis(Evidence):
    """An auxiliary or continuous analysis: one test of a hypothesis beside the verdicts."""

    statement: str | None = Field(None, description="The hypothesis (auxiliary analyses).")


class EffectSize(Evidence):
    """One standardised effect of the forest plot."""

    proposition: str = Field(description="`P1`, `P2` or `joint`.")
    status: str | None = None


class VerdictMeasurement(_Open):
    """What measurement invariance between the groups did to a verdict."""

    policy: str | None = Field(description="The plan's non-invariance policy.")
    status: str = Field(description="`ok` or why invariance was not checked.")
    note: str | None = None
    invariance_level: str | None = None
    required: str | None = None
    items_set_aside: list[str] = []
    verdict_changed: bool | None = None
    verdict_all_items: str | None = Field(None, description="The verdict with every item.")


class PropositionBlock(_Open):
    """A proposition's verdict and its evidence."""

    statement: str
    verdict: Verdict
    reason: str
    evidence: list[Evidence]
    n_total: int | None = Field(None, description="Firms of the clean data in the group.")
    measurement: VerdictMeasurement | None = None


class SampleSize(_Open):
    """Firms analysed and why the others of the clean data are left out."""

    analysed: int
    input: int = Field(description="Firms of the clean data given to the tests.")
    born_global: int
    traditional: int
    bg_definition: str = Field(description="The born-global definition used.")
    unclassified: int = Field(description="Left out: not classified as born global or traditional.")
    missing_score: int = Field(description="Left out: without both benefit scores.")
    excluded_by_rule: int = Field(description="Left out by the careless / complete-case rule.")


class Descriptive(_Open):
    """A benefit score's mean in one group, as analysed."""

    group: str = Field(description="`born_global` or `traditional`.")
    benefit: str = Field(description="`relational`, `informational` or their difference.")
    n: int
    mean: float | None
    sd: float | None
    ci_lower: float | None = Field(description="95% CI of the mean.")
    ci_upper: float | None


class Unavailable(_Open):
    """Specifications of the multiverse that could not be computed, for one reason."""

    reason: str
    n: int = Field(description="Specifications not computed for this reason.")


class Multiverse(_Open):
    """Every specification of the analytic choices the plan allows (`rsnprop test --multiverse`)."""

    dimensions: dict[str, list[Any]] = Field(description="Choice -> its options.")
    n_specifications: int = Field(description="Specifications of the grid.")
    n_available: int = Field(description="Specifications computed.")
    not_available: list[Unavailable]
    ci_level: float = Field(description="Level of the specifications' intervals.")
    share: dict[str, dict[str, float]] = Field(description="Proposition -> verdict -> share of "
                                                           "the specifications computed.")
    specifications: list[dict[str, Any]] = Field(
        description="One row per specification computed: its options (one key per dimension), "
                    "`primary`, and per proposition `estimate_<P>`, `ci_lower_<P>`, "
                    "`ci_upper_<P>`, `verdict_<P>`.")


class LanguageStep(_Open):
    """One model of the language versions' invariance sequence."""

    name: str = Field(description="configural, metric, scalar (or partial variants).")
    held: bool | None
    chi2_diff: float | None = None
    df_diff: int | None = None
    p_diff: float | None = None


class DifItem(_Open):
    """An item whose loading or intercept differs between the language versions."""

    item: str = Field(description="Item column.")
    parameter: str = Field(description="`loading` or `intercept`.")


class LanguageCheck(_Open):
    """The plan's check that the language versions may be pooled."""

    status: str = Field(description="`ok` or why the check was not run (`note`).")
    note: str | None = None
    policy: str | None = None
    required: str | None = Field(None, description="Invariance level required before pooling.")
    level: str | None = Field(None, description="Highest level held.")
    held: bool | None = None
    pooled_ok: bool | None = Field(None, description="Whether the verdicts may rest on the pooled "
                                                     "versions.")
    n_per_language: dict[str, int] = {}
    dif: list[DifItem] = Field([], description="Items flagged as differential item functioning.")
    steps: list[LanguageStep] = []


class Sesoi(_Open):
    """The smallest effect size of interest (the equivalence bounds)."""

    value: Number = Field(description="Half-width of the equivalence bounds, in `unit`.")
    unit: str = Field(description="`dz` (standardised) or `raw` (scale points).")


class PlanSettings(_Open):
    """The settings of the study plan the tests ran under."""

    name: str
    version: str
    alpha: float
    sesoi: Sesoi
    correction: str = Field(description="Multiple-testing correction over P1, P2 and joint.")
    estimator: str = Field(description="Estimator of the primary tests: t, hc3 or rank.")
    missing: str = Field(description="Missing-data handling: available, complete_cases or "
                                     "multiple_imputation.")
    born_global_definition: str = Field(description="`bg_ms20`, `bg_kc25` or `bg_true`.")


class Propositions(StageOutput):
    """Verdicts for P1, P2 and their joint contrast under the preregistered plan."""

    SCHEMA: ClassVar[str] = "rsnprop.propositions/1"
    plan_hash: str = Field(description="SHA-256 of the study plan.")
    plan: PlanSettings = Field(description="The plan's settings (alpha, SESOI, correction...).")
    seed: int | None = Field(None, description="Seed of the tests' random steps.")
    n: SampleSize = Field(description="Firms analysed (`analysed`) out of those given (`input`), per group.")
    verdicts: dict[str, Verdict] = Field(description="`P1`, `P2`, `joint` -> verdict.")
    propositions: dict[str, PropositionBlock]
    joint: PropositionBlock | None
    auxiliary: dict[str, Hypothesis]
    continuous: dict[str, Hypothesis]
    descriptives: list[Descriptive]
    effects: list[EffectSize]
    multiverse: Multiverse | None
    language_invariance: LanguageCheck | None = Field(
        None, description="The plan's check that the language versions may be pooled "
        "(`status`, `level`, `held`, `pooled_ok`, `dif_items`, `steps`...); null without "
        "the plan's `language_invariance` section.")
    question: str
    caveats: list[str]
    warnings: list[str]
