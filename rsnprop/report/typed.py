"""The report's typed view of the stage outputs: each JSON file read as its schema model.

A section reads the declared fields of :mod:`rsnprop.schemas` models by their one real name;
a file that does not follow its schema (an older version, another stage's file, a hand-made
one) makes the sections that need it say "not run" and why.  :func:`stage_output` validates
the parsed JSON that :class:`~rsnprop.report.inputs.Inputs` holds, and passes a model through
as it is, so the sections do not change when the loader validates the files itself.

Examples
--------
>>> from rsnprop.report.inputs import Inputs
>>> inp = Inputs(name="x", power={"results": []})
>>> stage_output(inp, "power.json") is None
True
>>> not_run_reason(inp, "power.json")  # doctest: +ELLIPSIS
"Not run: power.json could not be read (expected schema 'rsnprop.power/1', found no 'schema' key ...)."
"""

from __future__ import annotations

from ..errors import DataFileError
from ..schemas import (
    CleaningLog,
    Invariance,
    Measurement,
    PanelPropositions,
    Power,
    PropositionBlock,
    Propositions,
    StageOutput,
    validate_result,
)
from .inputs import EXPECTED_FILES
from .sections.base import _missing_reason

__all__ = ["FILE_MODELS", "stage_output", "not_run_reason", "proposition_blocks"]

#: result file -> the model it is read as
FILE_MODELS: dict[str, type[StageOutput]] = {
    "cleaning_log.json": CleaningLog, "measurement.json": Measurement,
    "propositions.json": Propositions, "power.json": Power,
    "panel_propositions.json": PanelPropositions,
    "panel_invariance_relational.json": Invariance,
    "panel_invariance_informational.json": Invariance}


def _validated(inputs, fname: str):
    """``(model, None)``, ``(None, None)`` when the file is absent, ``(None, error)`` when it
    does not follow its schema."""

    doc, model = getattr(inputs, EXPECTED_FILES[fname]), FILE_MODELS[fname]
    if doc is None or isinstance(doc, model):
        return doc, None
    try:
        return validate_result(doc, model), None
    except DataFileError as err:
        return None, err


def stage_output(inputs, fname: str):
    """The validated model of ``fname`` (a key of :data:`FILE_MODELS`) in ``inputs``; None when
    the file is absent or does not follow its schema (:func:`not_run_reason` says which)."""
    return _validated(inputs, fname)[0]


def not_run_reason(inputs, fname: str) -> str:
    """Why a section that needs ``fname`` is not run: the file is missing, unreadable, or does
    not follow its schema."""
    err = _validated(inputs, fname)[1]
    if err is not None:
        return f"Not run: {fname} could not be read ({err.message})."

    return _missing_reason(inputs, fname)


def propositions_or_reason(inputs) -> tuple[Propositions | None, str | None]:
    """The validated verdicts, or None and why a section built on them is not run."""
    props = stage_output(inputs, "propositions.json")
    if props is None:
        return None, not_run_reason(inputs, "propositions.json")
    if not props.propositions:
        return None, "Not run: propositions.json holds no propositions."
    return props, None


def proposition_blocks(props: Propositions) -> list[tuple[str, PropositionBlock]]:
    """``(id, block)`` of P1, P2, ... then the joint prediction."""
    out = sorted(props.propositions.items())
    if props.joint is not None:
        out.append(("joint", props.joint))
    return out
