"""The cleaning log (`rsnprop clean --log`): :class:`CleaningLog` and its records."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from .base import InstrumentRef, StageOutput, _Open

class ExcludedRow(_Open):
    """One excluded firm."""

    row: int = Field(description="1-based data row of the raw export.")
    id: str | int | float | None = Field(description="Respondent id (`resp_id`).")
    reasons: list[str] = Field(description="Every exclusion reason, in flow order.")


class FlowStep(_Open):
    """One step of the CONSORT-style flow."""

    step: str
    n_before: int
    n_excluded: int = Field(description="Rows first excluded at this step.")
    n_after: int
    reasons: dict[str, int] = Field(description="Reason code -> rows having it.")


class ProblemCount(_Open):
    """How many values of one column had one problem."""

    reason: str = Field(description="`out_of_range`, `invalid_choice`...")
    column: str = Field(description="Column of the raw export.")
    n: int = Field(description="Values of the column with this problem.")


class ValueProblem(_Open):
    """One value set to missing while cleaning."""

    row: int = Field(description="1-based data row of the raw export.")
    id: str | int | float | None = Field(description="Respondent id (`resp_id`).")
    column: str = Field(description="Column of the raw export.")
    value: Any = Field(description="The value as read.")
    reason: str = Field(description="`out_of_range`, `invalid_choice`...")


class CarelessExclusion(_Open):
    """One firm excluded by a careless-responding rule, with the values behind it."""

    row: int = Field(description="1-based data row of the raw export.")
    id: str | int | float | None = Field(description="Respondent id (`resp_id`).")
    rules: list[str] = Field(description="The rules that fired.")
    values: dict[str, Any] = Field(description="Index -> value (a list for `weak_flags`).")


class AccuracyStudy(_Open):
    """The simulation study behind a careless screen's expected accuracy."""

    n: int = Field(description="Simulated firms per data set.")
    n_sets: int = Field(description="Simulated data sets.")


class ExpectedAccuracy(_Open):
    """Expected accuracy of the careless screen, from the simulation study (docs/careless.md)."""

    rule_set: str | None = Field(description="The studied rule set equal to the plan's rules; "
                                             "null when none is (`note` says why).")
    note: str | None = None
    sensitivity: dict[str, float] | None = Field(
        None, description="Careless type -> share of such respondents excluded.")
    overall: float | None = Field(None, description="Share of careless respondents excluded.")
    false_exclusion: float | None = Field(None, description="Share of attentive respondents excluded.")
    study: AccuracyStudy | None = None


class CarelessScreen(_Open):
    """Careless-responding screening summary."""

    median_duration_sec: float | None = Field(description="Median interview duration (seconds).")
    flagged: dict[str, int] = Field(description="Index flag (`flag_longstring`...) -> firms flagged.")
    excluded_by_rule: dict[str, int] = Field(description="Rule -> firms it excluded (a firm can "
                                                         "fire several).")
    excluded_detail: list[CarelessExclusion] = Field(
        description="The excluded firms (first `max_listed_problems` of them).")
    expected_accuracy: ExpectedAccuracy = Field(description="How well the plan's rules find "
                                                            "careless respondents (simulation).")


class CleaningLog(StageOutput):
    """The cleaning log: the flow of counts, every excluded row, every value problem."""

    SCHEMA: ClassVar[str] = "rsnprop.cleaning/1"
    n_in: int = Field(description="Data rows read.")
    n_kept: int
    n_excluded: int = Field(description="`n_in == n_kept + n_excluded`.")
    excluded: list[ExcludedRow]
    steps: list[FlowStep]
    raw_sha256: str = Field(description="SHA-256 of the raw export's bytes.")
    source: str | None = Field(description="File name of the raw export.")
    read: dict[str, Any] = Field(description="How the export was read (format, encoding...).")
    instrument: InstrumentRef
    rules: dict[str, Any] = Field(description="The cleaning rules in force (plan's `cleaning:`).")
    problems_total: int
    problem_counts: list[ProblemCount] = Field(description="Value problems by reason and column.")
    problems: list[ValueProblem] = Field(description="The value problems (the first "
                                                     "`max_listed_problems` of them).")
    careless: CarelessScreen = Field(description="Careless-responding screening summary.")
    classification: dict[str, dict[str, int]] = Field(
        description="Born-global definition -> class -> firms (and `missing`).")
    missing: dict[str, Any] = Field(description="Missing-data summary (Little's MCAR test...).")
    warnings: list[str]
