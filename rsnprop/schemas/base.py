"""What every stage output model shares: open records, the ``schema`` key, the instrument
reference and the JSON value types."""

from __future__ import annotations

import os
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Number", "Verdict", "StageOutput", "InstrumentRef"]

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
        from . import load_result

        return load_result(path, expect=cls)


class InstrumentRef(_Open):
    """Which instrument a stage used."""

    name: str
    version: str
    hash: str = Field(description="SHA-256 of the instrument's canonical form.")
