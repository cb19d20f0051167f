"""Typed contracts of the two-wave panel outputs that the report reads.

``rsnprop panel --log build/panel.json`` writes one JSON object whose blocks each name their
schema: ``link`` (``rsnprop.panel/1``, :class:`PanelLinkLog`), ``attrition``
(``rsnprop.attrition/1``, :class:`Attrition`, or null) and ``change``
(``rsnprop.panel_change/1``, :class:`PanelChange`, or null).  :func:`read_panel_log` checks
each block against its model and returns a :class:`PanelLog`.

The verdicts of the longitudinal hypotheses (``rsnprop panel --verdicts``) have their own stage
output model, :class:`rsnprop.schemas.PanelPropositions` (:mod:`rsnprop.schemas.panel`).

Examples
--------
>>> log = read_panel_log({"link": {"schema": "rsnprop.panel/1", "key": "resp_id",
...     "salted": True, "waves": ["2013", "2014"], "n_firms": 3, "n_first_wave": 2,
...     "counts": [{"wave": "2013", "rows_given": 2, "no_key": 0, "duplicates": 0, "n": 2,
...                 "linked": 2, "later_only": 0}], "problems": []},
...     "attrition": None, "change": None})
>>> log.link.waves, log.attrition is None
(['2013', '2014'], True)
>>> read_panel_log({"link": {"schema": "rsnprop.panel/0"}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
rsnprop.errors.DataFileError: ...expected schema 'rsnprop.panel/1', found 'rsnprop.panel/0'...
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ..errors import DataFileError
from .base import Number, StageOutput, _Open

__all__ = ["PanelLinkLog", "Attrition", "PanelChange", "PanelLog", "read_panel_log"]


# --------------------------------------------------------------------------- linking
class PanelWaveCount(_Open):
    """How one wave's rows were linked."""

    wave: str
    rows_given: int = Field(description="Rows of the wave's clean data.")
    no_key: int = Field(description="Rows without a key (left out).")
    duplicates: int = Field(description="Rows with a key seen before in the wave (left out).")
    n: int = Field(description="Firms kept in the wave.")
    linked: int = Field(description="Of these, firms also in the first wave.")
    later_only: int = Field(description="Firms not in the first wave.")


class PanelProblem(_Open):
    """One row left out or not linked, with its reason."""

    wave: str
    row: int | None = Field(None, description="1-based data row of that wave's file.")
    reason: str


class PanelLinkLog(StageOutput):
    """The linking of the waves by a firm key, pseudonymised as ``panel_id``."""

    SCHEMA: ClassVar[str] = "rsnprop.panel/1"
    key: str = Field(description="The firm key column (replaced by panel_id).")
    salted: bool = Field(description="panel_id is a salted hash of the key.")
    waves: list[str] = Field(description="Wave labels, in order.")
    n_firms: int
    n_first_wave: int
    counts: list[PanelWaveCount]
    problems: list[PanelProblem] = []
    warnings: list[str] = []


# --------------------------------------------------------------------------- attrition
class RetentionCount(_Open):
    """First-wave firms that answered a later wave."""

    wave: str
    n_first: int
    stayed: int
    left: int
    retention: Number | None


class AttritionProfileRow(_Open):
    """Stayers vs leavers on one first-wave variable."""

    variable: str
    n: int
    n_total: int
    kind: str = Field(description="numeric or categorical.")
    test: str = Field(description="The test, with its sidedness.")
    stayed: Any = None
    left: Any = None
    statistic: Number | None = None
    df: Number | None = None
    pvalue: Number | None = None


class MCARTest(_Open):
    """Little's MCAR test (``naniar::mcar_test``)."""

    test: str
    statistic: Number | None
    df: int | None
    pvalue: Number | None
    n: int
    n_total: int
    n_patterns: int | None = None


class LogitCoefficient(_Open):
    """One term of the logistic model of staying."""

    term: str
    est: Number | None
    se: Number | None = None
    z: Number | None = None
    pvalue: Number | None = None
    odds_ratio: Number | None = None
    or_ci_lower: Number | None = None
    or_ci_upper: Number | None = None


class StayingModel(_Open):
    """Logistic regression of staying on first-wave variables (``stats::glm``, binomial)."""

    model: str
    ci_level: Number = 0.95
    ci: str = Field("", description="The interval, in words (Wald, two-sided).")
    n: int
    n_total: int
    coefficients: list[LogitCoefficient]
    converged: bool | None = None
    lr_test: dict[str, Number | None] = Field({}, description="`chi2, df, pvalue`.")


class Attrition(StageOutput):
    """Who left between the waves, and whether leaving depends on first-wave answers."""

    SCHEMA: ClassVar[str] = "rsnprop.attrition/1"
    first_wave: str
    later_wave: str
    counts: list[RetentionCount]
    profile: list[AttritionProfileRow] = []
    mcar: MCARTest | None = None
    logistic: StayingModel | None = None
    warnings: list[str] = []


# --------------------------------------------------------------------------- change
class ChangeTest(_Open):
    """One test of the change in D = relational - informational (observed scores)."""

    question: str
    test: str
    estimate: Number | None
    t: Number | None = None
    df: Number | None = None
    pvalue: Number | None = None
    sided: str = Field(description="two-sided, or one-sided with its direction.")
    ci_lower: Number | None = None
    ci_upper: Number | None = None
    ci_label: str = ""
    n: int
    n_total: int
    note: str | None = Field(None, description="Why the test has no statistic (e.g. no variation, "
                             "too few firms), when it has none.")


class PanelChange(StageOutput):
    """Descriptive tests of change between the first and a later wave."""

    SCHEMA: ClassVar[str] = "rsnprop.panel_change/1"
    first_wave: str
    later_wave: str
    n_linked: int
    n_first: int
    ci_level: Number
    tests: list[ChangeTest]


class PanelLog(_Open):
    """``panel.json``: the blocks of ``rsnprop panel --log``."""

    link: PanelLinkLog
    attrition: Attrition | None = None
    change: PanelChange | None = None


def read_panel_log(doc) -> PanelLog:
    """Check each block of a parsed ``panel.json`` against its schema.

    Raises
    ------
    rsnprop.errors.DataFileError
        A block names no schema or another one; the message names the one expected.
    """
    from . import validate_result

    if not isinstance(doc, dict) or not isinstance(doc.get("link"), dict):
        found = "no 'link' block" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
        raise DataFileError(f"expected the 'link' block of schema {PanelLinkLog.SCHEMA!r}, "
                            f"found {found}")
    blocks = {"link": validate_result(doc["link"], PanelLinkLog)}
    for key, model in (("attrition", Attrition), ("change", PanelChange)):
        if doc.get(key) is not None:
            blocks[key] = validate_result(doc[key], model)
    return PanelLog(**blocks)
