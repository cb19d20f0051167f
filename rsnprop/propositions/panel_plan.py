"""The ``panel:`` section of the study plan: a two-wave (or longer) panel study, preregistered.

The model lives beside :class:`~rsnprop.propositions.plan.StudyPlan` (of which it is the
optional field ``panel``) so that the plan is one pydantic model and the layering stays one
way: :mod:`rsnprop.panel` reads it (``rsnprop.panel.plan`` re-exports it) and tests the
hypotheses, never the reverse.  A plan without ``panel:`` keeps its hash.

Fields (docs/panel.md, "The panel section of the plan"):

``key``
    column with the stable firm key of the invitation link (pseudonymised as ``panel_id``).
``waves``
    ``[{label, raw}]`` in wave order, at least two, labels distinct; ``raw`` is the wave's raw
    export, relative to the plan's folder (like ``inputs:``; :func:`rsnprop.panel.plan.wave_paths`).
``min_firms``, ``attrition``
    settings of :func:`rsnprop.panel.link_waves` and :func:`rsnprop.panel.attrition`.
``phase_column``, ``approach_column``
    the internationalisation phase (C2) and approach score (C3) of the clean data.
``alpha``, ``correction``, ``sesoi``
    the decision rules of the panel hypotheses (Holm over their family by default).
``required_invariance``, ``missing``
    longitudinal invariance needed before the latent versions count; their missing-data method.
``hypotheses``
    label -> ``{statement, test}``, ``test`` one of :data:`PANEL_TESTS`.
``multiverse``, ``power``
    the panel multiverse grid and the panel power settings.

Examples
--------
>>> p = PanelPlan.model_validate({"key": "resp_id", "waves": [{"label": "2013", "raw": "w1.csv"},
...                                                         {"label": "2014", "raw": "w2.csv"}]})
>>> list(p.hypotheses), p.hypotheses["C3"].test, p.sesoi.value
(['C1', 'C2', 'C3'], 'cross_lagged', 0.2)
>>> try:
...     PanelPlan.model_validate({"key": "id", "waves": [{"label": "1", "raw": "w1.csv"}]})
... except ValueError as err:
...     print(err.errors()[0]["loc"], err.errors()[0]["msg"])
('waves',) Value error, needs at least 2 waves, got 1 (labels: '1')
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["PanelPlan", "PanelHypothesis", "PanelWave", "PANEL_TESTS", "INVARIANCE_LEVELS"]

#: tests a panel hypothesis can name (rsnprop.panel.hypotheses)
PANEL_TESTS = ("change_by_group", "stage", "cross_lagged")
#: longitudinal invariance levels, weakest first
INVARIANCE_LEVELS = ("configural", "metric", "scalar", "strict")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _column(name: str, v: str) -> str:
    if not isinstance(v, str) or not _COLUMN.match(v):
        raise ValueError(f"{name} must be a column name (letters, digits, _ or ., not starting "
                         f"with a digit), got {v!r}")
    return v


class PanelWave(_Section):
    """One wave: its label (e.g. the year) and its raw export (relative to the plan's folder)."""

    label: str
    raw: str

    @field_validator("label", "raw")
    @classmethod
    def _nonempty(cls, v):
        if not str(v).strip():
            raise ValueError("must not be empty")
        return str(v)


class PanelHypothesis(_Section):
    """A preregistered panel hypothesis: its statement and the test that decides it."""

    statement: str
    test: str

    @field_validator("test")
    @classmethod
    def _test(cls, v):
        if v not in PANEL_TESTS:
            raise ValueError(f"unknown hypothesis test {v!r}; use one of {', '.join(PANEL_TESTS)}")
        return v


class PanelAttrition(_Section):
    """First-wave variables compared between stayers and leavers (rsnprop.panel.attrition)."""

    variables: list[str] = []
    categorical: list[str] = []
    mcar_variables: list[str] | None = None


class PanelSesoi(_Section):
    """SESOI of the equivalence tests (docs/panel.md): ``dz``: C1/C2 bound = value x pooled
    SD of the change in D, C3 bound = value / 2 on the standardized cross-lagged path;
    ``raw``: the value itself, in scale points of D (C1, C2) or raw slope units (C3)."""

    value: float = Field(0.2, gt=0)
    unit: Literal["dz", "raw"] = "dz"


class PanelMultiverse(_Section):
    """The panel multiverse: born-global definitions x missing-data rule x version."""

    born_global_definitions: list[str] = ["bg_ms20", "bg_kc25", "bg_true"]
    versions: list[Literal["observed", "latent"]] = ["observed", "latent"]
    missing: list[Literal["available", "complete_cases"]] = ["available", "complete_cases"]


class PanelPower(_Section):
    """Panel power settings (``rsnprop power`` with a panel plan)."""

    n_wave1: list[int] = [200, 300, 400]
    attrition: float = Field(0.25, ge=0, le=0.9)
    attrition_mechanism: Literal["mcar", "mar"] = "mcar"
    reps: int = Field(200, ge=1)
    seed: int = Field(2026, ge=0)


def _default_hypotheses() -> dict:
    return {
        "C1": PanelHypothesis(statement="Between waves, born globals' relational lean grows more "
                              "than traditional SMEs'.", test="change_by_group"),
        "C2": PanelHypothesis(statement="Firms that move to a later internationalisation phase "
                              "between waves shift toward relational benefits more than firms "
                              "that do not.", test="stage"),
        "C3": PanelHypothesis(statement="A firm's wave-1 internationalisation approach predicts "
                              "its wave-2 relational lean beyond its wave-1 lean (cross-lagged "
                              "panel model).", test="cross_lagged"),
    }


class PanelPlan(_Section):
    """The ``panel:`` section of the study plan (module docstring)."""

    key: str
    waves: list[PanelWave]
    min_firms: int = Field(10, ge=2)
    attrition: PanelAttrition = PanelAttrition()
    phase_column: str = "phase"
    approach_column: str = "score_intl_approach"
    alpha: float = Field(0.05, gt=0, lt=0.5)
    correction: str = "holm"
    sesoi: PanelSesoi = PanelSesoi()
    required_invariance: Literal["configural", "metric", "scalar", "strict"] = "scalar"
    missing: Literal["fiml", "listwise"] = "fiml"
    hypotheses: dict[str, PanelHypothesis] = Field(default_factory=_default_hypotheses)
    multiverse: PanelMultiverse = PanelMultiverse()
    power: PanelPower = PanelPower()

    @field_validator("key", "phase_column", "approach_column")
    @classmethod
    def _columns(cls, v, info):
        return _column(info.field_name, v)

    @field_validator("waves")
    @classmethod
    def _waves(cls, v):
        labels = [w.label for w in v]
        if len(v) < 2:
            raise ValueError(f"needs at least 2 waves, got {len(v)} (labels: "
                             f"{', '.join(repr(x) for x in labels) or 'none'})")
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"duplicate wave label(s) {', '.join(repr(x) for x in dup)}: "
                             "each wave needs its own label")
        return v

    @field_validator("correction")
    @classmethod
    def _correction(cls, v):
        from .plan import check_correction   # here: plan.py imports this module

        return check_correction(v)

    @field_validator("hypotheses")
    @classmethod
    def _hypotheses(cls, v):
        if not v:
            raise ValueError("the panel section states no hypothesis")
        return v

    @property
    def labels(self) -> list[str]:
        """The wave labels, in order."""
        return [w.label for w in self.waves]
