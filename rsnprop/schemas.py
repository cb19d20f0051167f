"""Typed, versioned contracts of the JSON files the pipeline stages write.

Every stage output names its contract in a ``"schema"`` key, ``"rsnprop.<stage>/<version>"``:

==============================  ==========================================  =====================
schema                          written by                                  model
==============================  ==========================================  =====================
``rsnprop.cleaning/1``          ``rsnprop clean --log`` (cleaning log)      :class:`CleaningLog`
``rsnprop.measurement/1``       ``rsnprop measure``                         :class:`Measurement`
``rsnprop.fit/1``               ``rsnprop fit --json``                      :class:`Fit`
``rsnprop.invariance/1``        ``rsnprop invariance --json``               :class:`Invariance`
``rsnprop.propositions/1``      ``rsnprop test``                            :class:`Propositions`
``rsnprop.power/1``             ``rsnprop power -o``                        :class:`Power`
==============================  ==========================================  =====================

The models declare the stable core of each output: the fields the report and downstream code
rely on, with their types.  Stages may add fields (every model accepts extra keys); removing or
retyping a declared field is a new version of the schema.  :func:`load_result` reads any stage
output and returns its typed model; a file written under another (older or foreign) schema is
refused with an :class:`~rsnprop.errors.DataFileError` that says which schema was expected and
which was found.  ``docs/schemas.md`` is generated from these models
(``python scripts/schemas_doc.py``).

Examples
--------
>>> from rsnprop.schemas import Invariance, validate_result
>>> doc = {"schema": "rsnprop.invariance/1", "group": "bg_ms20", "groups": ["0", "1"],
...        "n_per_group": {"0": 141, "1": 116}, "estimator": "ML", "rule": "Chen (2007)",
...        "level": "metric", "steps": [{"name": "configural", "converged": True, "held": True,
...        "chi2": 239.3, "df": 206, "cfi": 0.981}], "warnings": []}
>>> res = validate_result(doc)
>>> type(res).__name__, res.level, res.steps[0].cfi
('Invariance', 'metric', 0.981)
>>> validate_result(dict(doc, schema="rsnprop.invariance/0"))
Traceback (most recent call last):
...
rsnprop.errors.DataFileError: expected schema 'rsnprop.invariance/1', found 'rsnprop.invariance/0' (written by another version of rsnprop: rebuild it with this one)
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import DataFileError

__all__ = ["StageOutput", "CleaningLog", "Measurement", "Fit", "Invariance", "Propositions",
           "Power", "MODELS", "load_result", "validate_result", "schemas_markdown"]

Number = float | int
"""JSON number (an integer where the stage writes one)."""

Verdict = Literal["supported", "contradicted", "equivalent", "inconclusive"]


class _Open(BaseModel):
    """A record whose declared fields are typed and whose other keys are kept as they are."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class StageOutput(_Open):
    """Base of the stage output models: the ``schema`` key and nothing else."""

    SCHEMA: ClassVar[str] = ""
    schema_id: str = Field(alias="schema", description="`rsnprop.<stage>/<version>` of the file.")

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "StageOutput":
        """Read ``path`` and check that it is this stage's output (see :func:`load_result`)."""
        return load_result(path, expect=cls)


class InstrumentRef(_Open):
    """Which instrument a stage used."""

    name: str
    version: str
    hash: str = Field(description="SHA-256 of the instrument's canonical form.")


# --------------------------------------------------------------------------- cleaning
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

    reason: str
    column: str
    n: int


class ValueProblem(_Open):
    """One value set to missing while cleaning."""

    row: int = Field(description="1-based data row of the raw export.")
    id: str | int | float | None = Field(description="Respondent id (`resp_id`).")
    column: str
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
    expected_accuracy: ExpectedAccuracy


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
    careless: CarelessScreen
    classification: dict[str, dict[str, int]] = Field(
        description="Born-global definition -> class -> firms (and `missing`).")
    missing: dict[str, Any] = Field(description="Missing-data summary (Little's MCAR test...).")
    warnings: list[str]


# --------------------------------------------------------------------------- measurement
class ReliabilityRow(_Open):
    """One construct's reliability and convergent validity."""

    construct_id: str = Field(alias="construct")
    n: int
    n_items: int
    alpha: float | None
    omega_total: float | None
    cr: float | None = Field(description="Composite reliability from the CFA.")
    ave: float | None = Field(description="Average variance extracted from the CFA.")


class CFABlock(_Open):
    """The measurement model's CFA."""

    model: str = Field(description="lavaan syntax.")
    converged: bool
    n: int
    fit: dict[str, Any] = Field(description="Fit measures by lavaan name (chi2, cfi, rmsea...).")
    loadings: list[dict[str, Any]] = Field(description="`construct, item, est, se, std_all`.")


class Measurement(StageOutput):
    """Reliability, EFA, CFA, validity and common-method checks of every construct."""

    SCHEMA: ClassVar[str] = "rsnprop.measurement/1"
    instrument: InstrumentRef
    n_rows: int = Field(description="Rows of the clean data.")
    settings: dict[str, Any]
    constructs: list[str] = Field(description="Constructs measured, instrument order.")
    skipped: list[dict[str, Any]] = Field(description="`construct, reason` of those not measured.")
    labels: dict[str, str]
    reliability: dict[str, dict[str, Any]] = Field(description="Construct -> `rsnprop reliability`.")
    reliability_table: list[ReliabilityRow]
    items: list[dict[str, Any]] = Field(description="One row per item (statistics, loadings).")
    efa: dict[str, Any] | None
    cfa: CFABlock | None
    validity: dict[str, Any] | None = Field(description="CR, AVE, Fornell-Larcker, HTMT.")
    validity_matrix: dict[str, Any] | None
    cmv: dict[str, Any] = Field(description="Common-method checks (Harman, latent factor, marker).")
    warnings: list[str] = []


# --------------------------------------------------------------------------- SEM
class Estimate(_Open):
    """One row of lavaan's long parameter table."""

    lhs: str
    op: str
    rhs: str
    group: int = Field(description="1-based group number.")
    est: float | None
    se: float | None
    z: float | None
    pvalue: float | None
    ci_lower: float | None
    ci_upper: float | None
    std_lv: float | None
    std_all: float | None


class Fit(StageOutput):
    """A fitted CFA/SEM: `rsnprop fit --json`, `rsnprop.sem.SEMResult.to_dict()`."""

    SCHEMA: ClassVar[str] = "rsnprop.fit/1"
    converged: bool
    n: int = Field(description="Observations used (all groups).")
    n_total: int | None = Field(None, description="Rows given (lavaan's 'Total'; n is its 'Used').")
    n_per_group: dict[str, int] | None = Field(None, description="Multigroup models only.")
    n_total_per_group: dict[str, int] | None = Field(None, description="Rows given per group (multigroup).")
    missing: str | None = Field(None, description="Missing-data method used: fiml or listwise.")
    estimator: str
    fit: dict[str, Any] = Field(description="Fit measures by lavaan name: chi2, cfi, rmsea... are the standard "
                                            "statistics; *_scaled and *_robust their MLR/WLSMV versions.")
    estimates: list[Estimate]
    r2: list[dict[str, Any]] = Field(description="`group, variable, r2`.")
    warnings: list[str]


class InvarianceStep(_Open):
    """One model of the invariance sequence."""

    name: str = Field(description="configural, metric, scalar, strict (or partial variants).")
    converged: bool
    held: bool | None = Field(description="Whether the step passed the decision rule.")
    chi2: float | None = None
    df: int | None = None
    cfi: float | None = Field(None, description="Standard CFI, as fit(); cfi_robust beside it for MLR/WLSMV.")
    rmsea: float | None = Field(None, description="Standard RMSEA, as fit(); rmsea_robust beside it.")
    srmr: float | None = None
    fit_indices: str | None = Field(None, description="CFI/RMSEA the rule compares: robust or standard.")


class Invariance(StageOutput):
    """Measurement invariance across groups or waves (`rsnprop invariance --json`)."""

    SCHEMA: ClassVar[str] = "rsnprop.invariance/1"
    group: str | None = Field(description="Grouping column (null for repeated measures).")
    repeated: list[str] | None = Field(None, description="Repeated measures: the factors of one construct, "
                                       "wave by wave (groups is then empty).")
    groups: list[str]
    n_per_group: dict[str, int]
    n_total_per_group: dict[str, int] | None = Field(None, description="Rows given per group.")
    missing: str | None = Field(None, description="Missing-data method used: fiml or listwise.")
    estimator: str
    rule: str = Field(description="The decision rule, in words.")
    steps: list[InvarianceStep]
    level: str | None = Field(description="Highest level held (configural ... strict).")
    latent_means: dict[str, dict[str, float | None] | float | None] | None = Field(
        None, description="{group: {factor: mean}}; repeated measures: {factor: mean}, the first wave 0.")
    latent_mean_differences: list[dict[str, Any]] | None = None
    warnings: list[str]


# --------------------------------------------------------------------------- propositions
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

    group: str
    benefit: str
    n: int
    mean: float | None
    sd: float | None
    ci_lower: float | None
    ci_upper: float | None


class Unavailable(_Open):
    """Specifications of the multiverse that could not be computed, for one reason."""

    reason: str
    n: int


class Multiverse(_Open):
    """Every specification of the analytic choices the plan allows (`rsnprop test --multiverse`)."""

    dimensions: dict[str, list[Any]] = Field(description="Choice -> its options.")
    n_specifications: int
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

    name: str
    held: bool | None
    chi2_diff: float | None = None
    df_diff: int | None = None
    p_diff: float | None = None


class DifItem(_Open):
    """An item whose loading or intercept differs between the language versions."""

    item: str
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

    value: Number
    unit: str = Field(description="`dz` (standardised) or `raw` (scale points).")


class PlanSettings(_Open):
    """The settings of the study plan the tests ran under."""

    name: str
    version: str
    alpha: float
    sesoi: Sesoi
    correction: str = Field(description="Multiple-testing correction over P1, P2 and joint.")
    estimator: str
    missing: str
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


# --------------------------------------------------------------------------- power
class PowerRow(_Open):
    """Monte Carlo power of one proposition at one sample size."""

    n: int
    proposition: str
    reps: int
    power: float = Field(description="Share of replications with the verdict `supported`.")
    mc_se: float = Field(description="Monte Carlo standard error of `power`.")
    ci_lower: float
    ci_upper: float
    failed: int = Field(description="Replications that raised an error (counted inconclusive).")
    p_supported: float | None = Field(None, description="Probability of each verdict.")
    p_contradicted: float | None = None
    p_equivalent: float | None = None
    p_inconclusive: float | None = None


class NForPower(_Open):
    """The sample size that reaches one target power, by method (null: not reached)."""

    target: float
    interpolated: int | None = Field(None, description="Linear interpolation between grid points.")
    logistic: int | None = Field(None, description="Logistic curve fitted to the grid.")
    extrapolated: bool | None = Field(None, description="Whether `logistic` lies beyond the grid.")
    grid: int | None = Field(None, description="Smallest simulated n reaching the target.")


class Retention(_Open):
    """Firms left after cleaning, mean over the replications of one sample size."""

    n: int
    mean_analysed: float
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
    retention: list[Retention]
    analytic: AnalyticPower | None
    failed: int = Field(description="Replications that raised an error, over all sample sizes.")
    warnings: list[str]


#: schema id -> model, for every stage output
MODELS: dict[str, type[StageOutput]] = {
    m.SCHEMA: m for m in (CleaningLog, Measurement, Fit, Invariance, Propositions, Power)}


def _stage(schema_id: str) -> str:
    return schema_id.rsplit("/", 1)[0]


def _expected(expect) -> type[StageOutput] | None:
    if expect is None or (isinstance(expect, type) and issubclass(expect, StageOutput)):
        return expect
    if expect in MODELS:
        return MODELS[expect]
    for model in MODELS.values():  # a stage name: "invariance" or "rsnprop.invariance"
        if _stage(model.SCHEMA) in (expect, f"rsnprop.{expect}"):
            return model
    raise DataFileError(f"unknown stage output {expect!r}; known schemas: {', '.join(MODELS)}",
                        parameter="expect")


def validate_result(doc: Any, expect=None, *, file=None) -> StageOutput:
    """Check a parsed stage output against its schema and return the typed model.

    Parameters
    ----------
    doc : dict
        The parsed JSON document.
    expect : str or StageOutput subclass, optional
        The schema id (``"rsnprop.invariance/1"``), stage name (``"invariance"``) or model the
        caller needs; by default any known schema.
    file : str, optional
        File name for the error messages.

    Raises
    ------
    rsnprop.errors.DataFileError
        The document names no schema, another schema than the one expected (an older version or
        another stage's file), or does not have the fields its schema declares.
    """
    model = _expected(expect)
    wanted = f"schema {model.SCHEMA!r}" if model else "a schema of " + ", ".join(MODELS)
    if not isinstance(doc, dict):
        raise DataFileError(f"expected {wanted}, found a JSON {type(doc).__name__}, not an object",
                            file=file)
    found = doc.get("schema")
    if found is None:
        raise DataFileError(f"expected {wanted}, found no 'schema' key (not an rsnprop stage "
                            "output, or one written before outputs named their schema: rebuild it)",
                            file=file)
    if model is None:
        model = MODELS.get(found)
        if model is None:
            same = [s for s in MODELS if _stage(s) == _stage(str(found))]
            if same:
                wanted = "schema " + " or ".join(repr(s) for s in same)
            raise DataFileError(f"expected {wanted}, found {found!r}" + _hint(same), file=file)
    elif found != model.SCHEMA:
        same = _stage(str(found)) == _stage(model.SCHEMA)
        raise DataFileError(f"expected schema {model.SCHEMA!r}, found {found!r}" + _hint(same),
                            file=file)
    try:
        return model.model_validate(doc)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataFileError(f"does not follow schema {model.SCHEMA!r}: {where}: {first['msg']}"
                            + (f" (and {err.error_count() - 1} more problems)"
                               if err.error_count() > 1 else ""), file=file) from None


def _hint(same_stage) -> str:
    return (" (written by another version of rsnprop: rebuild it with this one)" if same_stage
            else "")


def load_result(path: str | os.PathLike, expect=None) -> StageOutput:
    """Read any stage output (JSON) and return it as its typed model.

    Parameters
    ----------
    path : path-like
        A file written by a pipeline stage (``build/measurement.json``...).
    expect : str or StageOutput subclass, optional
        Refuse any other schema (see :func:`validate_result`).

    Returns
    -------
    StageOutput
        The model named by the file's ``schema`` key (:data:`MODELS`); undeclared fields are kept
        as attributes too (``model_extra``).

    Raises
    ------
    rsnprop.errors.MissingFileError, rsnprop.errors.DataFileError
        No such file, not JSON, or not the schema expected (the message names both).

    Examples
    --------
    >>> import json, tempfile, os
    >>> from rsnprop import load_result
    >>> path = os.path.join(tempfile.mkdtemp(), "old.json")
    >>> _ = open(path, "w").write(json.dumps({"group": "bg_ms20", "steps": []}))
    >>> load_result(path, expect="invariance")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rsnprop.errors.DataFileError: ...old.json: expected schema 'rsnprop.invariance/1', found no 'schema' key ...
    """
    from .errors import MissingFileError

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingFileError("no such stage output", file=path)
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataFileError(f"not a JSON stage output ({err})", file=path) from None
    return validate_result(doc, expect, file=path)


# --------------------------------------------------------------------------- documentation
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null",
            Any: "any"}


def _type_text(ann, nested: list) -> str:
    """Readable JSON type of an annotation; models met on the way are appended to ``nested``."""
    import types
    import typing

    if ann in _SCALARS:
        return _SCALARS[ann]
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if ann not in nested:
            nested.append(ann)
        return f"[{ann.__name__}](#{ann.__name__.lower()})"
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_text(a, nested) for a in args]
        if "number" in parts and "integer" in parts:
            parts.remove("integer")
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return "list of " + _type_text(args[0], nested)
    if origin is dict:
        return "object" if args[1] is Any else "object of " + _type_text(args[1], nested)
    return str(ann)  # pragma: no cover - a type the models do not use


def _field_table(model: type[BaseModel], nested: list) -> list[str]:
    rows = ["| key | type | required | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        text = (field.description or "").replace("|", "\\|")
        if key == "schema":
            text = f"`{model.SCHEMA}`"
        rows.append(f"| `{key}` | {_type_text(field.annotation, nested).replace('|', '/')} | "
                    f"{'yes' if field.is_required() else 'no'} | {text} |")
    return rows


def _doc(model) -> str:
    import inspect

    return inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")


def schemas_markdown() -> str:
    """The page ``docs/schemas.md``: every stage output's schema, generated from the models.

    >>> text = schemas_markdown()
    >>> "## `rsnprop.propositions/1`" in text and "| `verdicts` |" in text
    True
    """
    out = ["# Stage output schemas", "",
           "<!-- Generated from rsnprop/schemas.py by `python scripts/schemas_doc.py`: do not edit "
           "by hand; tests/test_schemas.py fails when this page and the models differ. -->", "",
           "Every JSON file a pipeline stage writes names its contract in its `schema` key, "
           "`rsnprop.<stage>/<version>`. The tables below list the stable core of each output: "
           "the keys that downstream code (the report, `rsnprop.load_result`) may rely on. "
           "Stages may write further keys (every record accepts them); removing or retyping a "
           "key listed here makes a new version of the schema.", "",
           "Read any output with `rsnprop.load_result(path)`, which returns the typed model "
           "(`rsnprop.schemas`); a file with another schema (older, or another stage's) is "
           "refused with a `DataFileError` naming the schema expected and the one found.", "",
           "| schema | model | written by |", "|---|---|---|"]
    writers = {"cleaning": "`rsnprop clean --log`", "measurement": "`rsnprop measure`",
               "fit": "`rsnprop fit --json`", "invariance": "`rsnprop invariance --json`",
               "propositions": "`rsnprop test`", "power": "`rsnprop power -o`"}
    for sid, model in MODELS.items():
        stage = _stage(sid).split(".", 1)[1]
        out.append(f"| `{sid}` | [{model.__name__}](#{model.__name__.lower()}) | "
                   f"{writers.get(stage, '')} |")
    documented: set = set()
    for sid, model in MODELS.items():
        nested: list = []
        out += ["", f"## `{sid}`", "", f"### {model.__name__}", "", _doc(model), ""]
        out += _field_table(model, nested)
        for sub in nested:  # grows while the tables of nested records are written
            if sub in documented:
                continue
            documented.add(sub)
            out += ["", f"### {sub.__name__}", "", _doc(sub), ""]
            out += _field_table(sub, nested)
    return "\n".join(out) + "\n"
