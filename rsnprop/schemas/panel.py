"""The verdicts of the panel hypotheses (`rsnprop panel --verdicts`): :class:`PanelPropositions`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from .base import Number, StageOutput, Verdict, _Open


class PanelEvidence(_Open):
    """One test behind a panel verdict (observed or latent, primary or not)."""

    hypothesis: str = Field(description="`C1`, `C2`, `C3`... (the plan's labels).")
    role: Literal["primary", "latent", "reverse", "descriptive"] = Field(
        description="primary (decides the verdict), latent (secondary), reverse (the reverse "
                    "cross-lagged path, two-sided), descriptive (change within a group).")
    version: Literal["observed", "latent"]
    test: str
    question: str | None = Field(None, description="What the row tests, in words.")
    status: Literal["ok", "not_available", "failed"]
    estimate: Number | None = Field(None, description="Oriented so that positive supports the "
                                                      "hypothesis (scale points of D, or a slope).")
    se: Number | None = None
    statistic: Number | None = None
    statistic_name: str | None = Field(None, description="`t` or `z`.")
    df: Number | None = None
    p_value: Number | None = Field(None, description="One-sided in the expected direction "
                                   "(two-sided for reverse and descriptive rows: see `p_sided`).")
    p_opposite: Number | None = Field(None, description="One-sided, the other direction.")
    p_sided: str | None = Field(None, description="`one-sided` or `two-sided`.")
    ci_level: Number | None = None
    ci_lower: Number | None = None
    ci_upper: Number | None = None
    ci_label: str | None = Field(None, description="e.g. `95 % CI, two-sided`.")
    n: int | None = Field(None, description="Firms used.")
    n_total: int | None = Field(None, description="Firms given (first wave).")
    note: str | None = None
    p_corrected: Number | None = Field(None, description="Primary rows: corrected over the family.")
    p_opposite_corrected: Number | None = None
    p_tost: Number | None = Field(None, description="Equivalence test against the SESOI "
                                  "(larger of the two one-sided p-values).")
    p_tost_corrected: Number | None = None


class PanelHypothesisBlock(_Open):
    """A panel hypothesis: statement, test, verdict and evidence."""

    statement: str
    test: str = Field(description="change_by_group, stage or cross_lagged.")
    verdict: Verdict
    reason: str = Field(description="The rule that decided, with its numbers.")
    evidence: list[PanelEvidence]


class PanelCounts(_Open):
    """Firms given and used."""

    first_wave: int = Field(description="Firms of the first wave.")
    linked: int = Field(description="Of them, firms that answered the last wave.")
    analysed: dict[str, int | None] = Field(description="Firms in each primary test.")


class PanelInvariance(_Open):
    """Longitudinal invariance of the benefit scales, the gate of the latent versions."""

    required: str
    constructs: dict[str, Any] = Field({}, description="Construct -> `level`, `steps`.")
    latent_allowed: bool
    note: str | None = None


class PanelMultiverseRow(_Open):
    """One specification of the panel multiverse."""

    spec_id: int
    version: str
    bg_definition: str
    missing: str
    status: str
    note: str | None = None
    verdicts: dict[str, Verdict] | None = None
    estimates: dict[str, Number | None] | None = None


class PanelMultiverse(_Open):
    """Every specification and, per hypothesis, how many ended with each verdict."""

    rows: list[PanelMultiverseRow]
    summary: dict[str, dict[str, Any]] = Field(description="Label -> `n_specs, n_run, supported, "
                                               "contradicted, equivalent, inconclusive, share_supported`.")


class PanelPropositions(StageOutput):
    """Verdicts of the preregistered panel hypotheses C1-C3 (change between waves)."""

    SCHEMA: ClassVar[str] = "rsnprop.panel_propositions/1"
    plan_hash: str = Field(description="SHA-256 of the canonical plan.")
    waves: list[str] = Field(description="Wave labels, in order.")
    n: PanelCounts
    family: list[str] = Field(description="Hypotheses corrected together.")
    alpha: float
    correction: str
    hypotheses: dict[str, PanelHypothesisBlock]
    invariance: PanelInvariance | None = None
    cross_lagged: dict[str, Any] | None = Field(None, description="`observed` and `latent`: "
                                                "`paths` (lavaan long-table rows) and `fit`.")
    multiverse: PanelMultiverse | None = None
    warnings: list[str] = []
