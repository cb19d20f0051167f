"""The panel section of the study plan, as the panel stage reads it.

:class:`PanelPlan` (the pydantic model of ``panel:``) is defined in
:mod:`rsnprop.propositions.panel_plan`, beside the :class:`~rsnprop.propositions.plan.StudyPlan`
whose optional field it is, and re-exported here.  :func:`panel_section` returns it or refuses
a plan without it; :func:`wave_paths` resolves the waves' raw exports against the plan's folder
(as ``inputs:`` is resolved); :func:`lean_columns` names the score columns of D.

Examples
--------
>>> from rsnprop.propositions.plan import StudyPlan
>>> plan = StudyPlan(name="x", panel={"key": "resp_id", "waves": [
...     {"label": "2013", "raw": "/data/w1.csv"}, {"label": "2014", "raw": "/data/w2.csv"}]})
>>> {k: p.as_posix() for k, p in wave_paths(plan).items()}
{'2013': '/data/w1.csv', '2014': '/data/w2.csv'}
>>> lean_columns(plan)
(['score_relational'], ['score_informational'])
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PlanError
from ..propositions.panel_plan import INVARIANCE_LEVELS, PANEL_TESTS, PanelHypothesis, PanelPlan, PanelWave

__all__ = ["PanelPlan", "PanelHypothesis", "PanelWave", "PANEL_TESTS", "INVARIANCE_LEVELS",
           "panel_section", "wave_paths", "lean_columns"]


def panel_section(plan) -> PanelPlan:
    """``plan.panel``; a plan without a ``panel:`` section is refused (PlanError, exit 2)."""
    section = getattr(plan, "panel", None)
    if section is None:
        raise PlanError("the study plan has no 'panel:' section (waves, key, hypotheses C1-C3): "
                        "add one, see docs/panel.md", parameter="panel")
    return section


def wave_paths(plan) -> dict[str, Path | None]:
    """Wave label -> absolute path of its raw export.  Relative paths are taken from the plan's
    folder, never the working directory; None for a relative path of a plan not read from a
    file (:func:`rsnprop.propositions.load_plan` records the folder)."""
    out = {}
    for w in panel_section(plan).waves:
        p = Path(w.raw).expanduser()
        if p.is_absolute():
            out[w.label] = p
        else:
            out[w.label] = None if plan.base_dir is None else (plan.base_dir / p).resolve()
    return out


def lean_columns(plan) -> tuple[list[str], list[str]]:
    """The relational and informational score columns of D (the plan's ``benefits``)."""
    return plan.relational_columns(), plan.informational_columns()
