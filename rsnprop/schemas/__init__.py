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
``rsnprop.panel_propositions/1``  ``rsnprop panel --verdicts``              :class:`PanelPropositions`
``rsnprop.panel_power/1``       ``rsnprop power --panel -o``                :class:`PanelPower`
==============================  ==========================================  =====================

The models declare the stable core of each output: the fields the report and downstream code
rely on, with their types.  Stages may add fields (every model accepts extra keys); removing or
retyping a declared field is a new version of the schema.  :func:`load_result` reads any stage
output and returns its typed model; a file written under another (older or foreign) schema is
refused with an :class:`~rsnprop.errors.DataFileError` that says which schema was expected and
which was found.  ``docs/schemas.md`` is generated from these models
(:func:`rsnprop.schemadoc.schemas_markdown`, ``python scripts/schemas_doc.py``).  The shared
base (:mod:`.base`) and the models of the cleaning log, the verdicts and power live in one module
each (:mod:`.cleaning`, :mod:`.propositions`, :mod:`.power`); every model is importable from
``rsnprop.schemas``.

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
from typing import Any, ClassVar

from pydantic import Field, ValidationError

from ..errors import DataFileError
from .base import InstrumentRef, Number, StageOutput, Verdict, _Open  # noqa: F401 - the models' types
from .cleaning import (  # noqa: F401 - records of the cleaning log, importable from here
    CarelessExclusion, CarelessScreen, CleaningLog, ExcludedRow, ExpectedAccuracy, FlowStep,
    ProblemCount, ValueProblem,
)
from .panel import (  # noqa: F401 - records of the panel verdicts, importable from here
    PanelCounts, PanelEvidence, PanelHypothesisBlock, PanelInvariance, PanelMultiverse,
    PanelMultiverseRow, PanelPropositions,
)
from .power import (  # noqa: F401
    AnalyticPower, NForPower, PanelPower, PanelPowerByN, PanelPowerRow, Power, PowerRow, Retention,
)
from .propositions import (  # noqa: F401 - records of the verdicts, importable from here
    Descriptive, EffectSize, Evidence, Hypothesis, LanguageCheck, Multiverse, PlanSettings,
    PropositionBlock, Propositions, SampleSize, VerdictMeasurement,
)

__all__ = ["StageOutput", "CleaningLog", "Measurement", "Fit", "Invariance", "Propositions",
           "Power", "PanelPropositions", "PanelPower", "MODELS", "load_result", "validate_result"]

# --------------------------------------------------------------------------- measurement
class ReliabilityRow(_Open):
    """One construct's reliability and convergent validity."""

    construct_id: str = Field(alias="construct")
    label: str | None = Field(None, description="The construct's label in the instrument.")
    n: int
    n_items: int
    alpha: float | None = Field(description="Cronbach's alpha (psych::alpha).")
    alpha_ci_lower: float | None = Field(None, description="Feldt confidence interval of alpha.")
    alpha_ci_upper: float | None = None
    omega_total: float | None = Field(description="McDonald's omega total (psych::omega).")
    cr: float | None = Field(description="Composite reliability from the CFA.")
    ave: float | None = Field(description="Average variance extracted from the CFA.")


class MeasurementSettings(_Open):
    """The settings of a measurement run."""

    cfa_missing: str | None = Field(None, description="Missing-data method the CFA used: "
                                    "listwise or fiml.")
    seed: int | None = Field(None, description="Seed of the bootstraps.")


class SkippedConstruct(_Open):
    """A construct that was not measured."""

    construct_id: str = Field(alias="construct")
    reason: str = Field(description="Why (formative, too few items...).")


class ItemRow(_Open):
    """One item's statistics and loadings."""

    item: str
    construct_id: str = Field(alias="construct")
    reversed: bool = Field(description="Reverse-keyed in the instrument (already recoded).")
    n: int
    mean: Number | None
    sd: Number | None
    r_drop: Number | None = Field(description="Corrected item-total correlation.")
    alpha_if_deleted: Number | None
    std_loading: Number | None = Field(None, description="Standardised CFA loading.")
    efa_primary: str | None = Field(None, description="EFA factor the item loads most on.")
    efa_loading: Number | None = Field(None, description="Its loading on that factor.")
    cross_loading: bool | None = Field(None, description="A second EFA loading above the "
                                       "cross-loading threshold.")


class EFALoading(_Open):
    """One item's row of the EFA pattern matrix; besides the declared keys, one key per factor
    (``MR1``, ``MR2``...) holds the item's pattern loading on it."""

    item: str
    primary: str | None = Field(None, description="Factor of the largest loading.")
    cross_loadings: list[Any] = []
    cross_loading: bool | None = None
    weak: bool | None = None
    communality: Number | None = None

    def factor_loadings(self) -> dict[str, Number]:
        """Factor -> pattern loading (the numeric keys beyond the declared ones)."""
        return {k: v for k, v in (self.model_extra or {}).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}


class EFABlock(_Open):
    """The exploratory factor analysis of all measured items (`rsnprop efa --json`)."""

    n: int | None = Field(None, description="Rows used.")
    missing: str | None = Field(None, description="Missing-data handling (listwise).")
    kmo: Number | None = Field(None, description="Kaiser-Meyer-Olkin measure (psych::KMO).")
    bartlett_chi2: Number | None = None
    bartlett_df: int | None = None
    bartlett_pvalue: Number | None = None
    nfactors: int = Field(description="Factors extracted.")
    fm: str | None = Field(None, description="Factoring method (minres...).")
    rotation: str | None = None
    parallel_analysis_factors: int | None = Field(None, description="Factors suggested by "
                                                  "parallel analysis (Horn, 1965).")
    factor_constructs: dict[str, str] | None = Field(
        None, description="Factor -> construct most of whose items load primarily on it.")
    loadings: list[EFALoading] = []


class CFAFitMeasures(_Open):
    """Fit measures of the CFA by lavaan name (more are kept as extra keys)."""

    chi2: Number | None = None
    df: Number | None = None
    pvalue: Number | None = None
    cfi: Number | None = None
    tli: Number | None = None
    rmsea: Number | None = None
    rmsea_ci_lower: Number | None = None
    rmsea_ci_upper: Number | None = None
    srmr: Number | None = None


class CFALoading(_Open):
    """One loading of the CFA."""

    construct_id: str = Field(alias="construct")
    item: str
    est: Number | None
    se: Number | None = None
    std_all: Number | None = Field(description="Standardised loading (lavaan std.all).")


class CFABlock(_Open):
    """The measurement model's CFA."""

    model: str = Field(description="lavaan syntax.")
    converged: bool
    n: int
    fit: CFAFitMeasures = Field(description="Fit measures by lavaan name (chi2, cfi, rmsea...).")
    loadings: list[CFALoading] = Field(description="`construct, item, est, se, std_all`.")


class HTMTPair(_Open):
    """The HTMT of two constructs with its bootstrap interval."""

    a: str
    b: str
    htmt: Number | None
    ci_lower: Number | None = None
    ci_upper: Number | None = None
    verdict: str | None = Field(None, description="Discriminant validity, in words.")


class Validity(_Open):
    """Convergent and discriminant validity (`rsnprop validity --json`)."""

    constructs: dict[str, dict[str, Any]] = Field(
        {}, description="Construct -> `cr, omega, ave, sqrt_ave, std_loadings...`.")
    htmt_pairs: list[HTMTPair] = Field([], description="Every pair of constructs.")
    warnings: list[str] = []


class ValidityMatrix(_Open):
    """Constructs x constructs: sqrt(AVE) on the diagonal, latent correlations below, HTMT above."""

    constructs: list[str]
    values: list[list[Number | None]] = Field(description="Rows in the order of `constructs`.")


class Measurement(StageOutput):
    """Reliability, EFA, CFA, validity and common-method checks of every construct."""

    SCHEMA: ClassVar[str] = "rsnprop.measurement/1"
    instrument: InstrumentRef
    n_rows: int = Field(description="Rows of the clean data.")
    settings: MeasurementSettings
    constructs: list[str] = Field(description="Constructs measured, instrument order.")
    skipped: list[SkippedConstruct] = Field(description="Constructs not measured.")
    labels: dict[str, str]
    reliability: dict[str, dict[str, Any]] = Field(description="Construct -> `rsnprop reliability`.")
    reliability_table: list[ReliabilityRow]
    items: list[ItemRow] = Field(description="One row per item (statistics, loadings).")
    efa: EFABlock | None
    cfa: CFABlock | None
    validity: Validity | None = Field(description="CR, AVE, Fornell-Larcker, HTMT.")
    validity_matrix: ValidityMatrix | None
    cmv: dict[str, dict[str, Any] | None] = Field(
        description="Common-method check (harman, common_latent_factor, marker_variable) -> its "
                    "result, or null when not run.")
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


class LRT(_Open):
    """Chi-square difference test of a step against the one before (lavaan lavTestLRT)."""

    chi2_diff: Number | None = None
    df_diff: Number | None = None
    pvalue: Number | None = Field(None, description="Scaled (Satorra-Bentler) with MLR/WLSMV.")


class InvarianceStep(_Open):
    """One model of the invariance sequence."""

    name: str = Field(description="configural, metric, scalar, strict (or partial variants).")
    converged: bool
    held: bool | None = Field(description="Whether the step passed the decision rule.")
    freed: list[str] = Field([], description="Parameters freed (partial invariance).")
    chi2: Number | None = None
    chi2_scaled: Number | None = Field(None, description="Scaled chi-square (MLR/WLSMV).")
    df: int | None = None
    cfi: Number | None = Field(None, description="Standard CFI, as fit(); cfi_robust beside it for MLR/WLSMV.")
    cfi_robust: Number | None = None
    rmsea: Number | None = Field(None, description="Standard RMSEA, as fit(); rmsea_robust beside it.")
    rmsea_robust: Number | None = None
    srmr: Number | None = None
    delta_cfi: Number | None = Field(None, description="Change from the step before.")
    delta_cfi_robust: Number | None = None
    delta_rmsea: Number | None = None
    delta_rmsea_robust: Number | None = None
    lrt: LRT | None = Field(None, description="Against the step before (not for the first).")
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


#: schema id -> model, for every stage output
MODELS: dict[str, type[StageOutput]] = {
    m.SCHEMA: m for m in (CleaningLog, Measurement, Fit, Invariance, Propositions, Power,
                          PanelPropositions, PanelPower)}


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
    from ..errors import MissingFileError

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingFileError("no such stage output", file=path)
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataFileError(f"not a JSON stage output ({err})", file=path) from None
    return validate_result(doc, expect, file=path)
