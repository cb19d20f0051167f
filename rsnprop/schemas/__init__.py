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
(``python scripts/schemas_doc.py``).  The shared base (:mod:`.base`) and the models of the
cleaning log, the verdicts and power live in one module each (:mod:`.cleaning`,
:mod:`.propositions`, :mod:`.power`); every model is importable from ``rsnprop.schemas``.

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

from pydantic import BaseModel, Field, ValidationError

from ..errors import DataFileError
from .base import InstrumentRef, Number, StageOutput, Verdict, _Open  # noqa: F401 - the models' types
from .cleaning import (  # noqa: F401 - records of the cleaning log, importable from here
    CarelessExclusion, CarelessScreen, CleaningLog, ExcludedRow, ExpectedAccuracy, FlowStep,
    ProblemCount, ValueProblem,
)
from .power import AnalyticPower, NForPower, Power, PowerRow, Retention  # noqa: F401
from .propositions import (  # noqa: F401 - records of the verdicts, importable from here
    Descriptive, EffectSize, Evidence, Hypothesis, LanguageCheck, Multiverse, PlanSettings,
    PropositionBlock, Propositions, SampleSize, VerdictMeasurement,
)

__all__ = ["StageOutput", "CleaningLog", "Measurement", "Fit", "Invariance", "Propositions",
           "Power", "MODELS", "load_result", "validate_result", "schemas_markdown"]

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
           "<!-- Generated from rsnprop/schemas/ by `python scripts/schemas_doc.py`: do not edit "
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
