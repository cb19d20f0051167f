"""Monte Carlo power (`rsnprop power -o`): :class:`Power` and its records."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from .base import InstrumentRef, StageOutput, _Open

class VerdictRates(_Open):
    """What every Monte Carlo power row has: replications, power with its Monte Carlo SE and
    Wilson interval, failures."""

    reps: int
    power: float = Field(description="Share of replications with the verdict `supported`.")
    mc_se: float = Field(description="Monte Carlo standard error of `power`.")
    ci_lower: float = Field(description="95% Wilson interval of `power`.")
    ci_upper: float
    failed: int = Field(description="Replications that raised an error (counted inconclusive).")


class PowerRow(VerdictRates):
    """Monte Carlo power of one proposition at one sample size."""

    n: int
    proposition: str
    p_supported: float | None = Field(None, description="Probability of each verdict.")
    p_contradicted: float | None = None
    p_equivalent: float | None = None
    p_inconclusive: float | None = None


class NForPower(_Open):
    """The sample size that reaches one target power, by method (null: not reached)."""

    target: float = Field(description="The power aimed at.")
    interpolated: int | None = Field(None, description="Linear interpolation between grid points.")
    logistic: int | None = Field(None, description="Logistic curve fitted to the grid.")
    extrapolated: bool | None = Field(None, description="Whether `logistic` lies beyond the grid.")
    grid: int | None = Field(None, description="Smallest simulated n reaching the target.")


class Retention(_Open):
    """Firms left after cleaning, mean over the replications of one sample size."""

    n: int
    mean_analysed: float = Field(description="Firms analysed in the proposition tests.")
    mean_born_global: float
    mean_traditional: float


class AnalyticPower(_Open):
    """Analytic power of the main contrasts (normal approximation, calibrated effect sizes)."""

    effect_sizes: dict[str, float] = Field(description="`dz_P1`, `dz_P2`, `d_joint`.")
    rows: list[dict[str, Any]] = Field(description="`n, proposition, test, power_bonferroni, "
                                                   "power_uncorrected, pingouin_uncorrected`.")


class Power(StageOutput):
    """Monte Carlo power of the plan, whole pipeline per replication (`rsnprop power`)."""

    SCHEMA: ClassVar[str] = "rsnprop.power/1"
    kind: str = Field(description="`monte_carlo_power`.")
    plan_name: str
    plan_hash: str = Field(description="The report refuses power made with another plan.")
    instrument: InstrumentRef
    scenario: str
    scenario_description: str | None = None
    seed: int
    reps: int
    ns: list[int] = Field(description="Sample sizes simulated.")
    target: float = Field(description="The power aimed at (drawn in the figure).")
    targets: list[float] = Field(description="Targets of `n_for_power`.")
    pipeline: str | None = Field(description="What one replication runs.")
    expected_verdicts: dict[str, str]
    results: list[PowerRow]
    n_for_power: dict[str, dict[str, NForPower]] = Field(
        description="Proposition -> target -> the n reaching it.")
    retention: list[Retention] = Field(description="Firms left after cleaning, by n.")
    analytic: AnalyticPower | None
    failed: int = Field(description="Replications that raised an error, over all sample sizes.")
    warnings: list[str]


class PanelPowerRow(VerdictRates):
    """Verdict rates of one panel hypothesis at one N (firms answering wave 1)."""

    n: int = Field(description="Firms answering wave 1 (raw rows, before cleaning).")
    hypothesis: str
    p_supported: float
    p_contradicted: float
    p_equivalent: float
    p_inconclusive: float


class PanelPowerByN(_Open):
    """Per N: any (false) `supported` verdict in the family, and the firms kept."""

    n: int
    reps: int
    failed: int
    any_supported: float = Field(description="Share with at least one hypothesis supported.")
    any_supported_se: float
    any_false_supported: float | None = Field(
        description="Share with a hypothesis supported that has no effect in the scenario "
                    "(null: every hypothesis has one).")
    any_false_supported_se: float | None
    mean_wave1: float | None = Field(description="Firms kept by cleaning at wave 1 (mean).")
    mean_linked: float | None = Field(description="Firms linked in both waves (mean).")
    mean_analysed: dict[str, float | None] = Field(description="Firms analysed, by hypothesis.")


class PanelPower(StageOutput):
    """Monte Carlo power of the plan's panel hypotheses (`rsnprop power --panel -o`)."""

    SCHEMA: ClassVar[str] = "rsnprop.panel_power/1"
    kind: str = Field(description="`monte_carlo_panel_power`.")
    plan_name: str
    plan_hash: str
    instrument: InstrumentRef
    scenario: str
    change: str = Field(description="`change` (every hypothesis has an effect) or `none`.")
    attrition: float = Field(description="Expected share of firms leaving before wave 2.")
    attrition_mechanism: str
    seed: int
    reps: int
    ns: list[int] = Field(description="Firms answering wave 1, simulated.")
    hypotheses: list[str]
    expected: dict[str, str] = Field(description="Hypothesis -> the verdict the scenario implies.")
    results: list[PanelPowerRow]
    by_n: list[PanelPowerByN]
    n_for_power: dict[str, dict[str, NForPower]]
    failed: int
    warnings: list[str]
