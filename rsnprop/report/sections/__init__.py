"""The report's sections, each built from the parsed results by one pure function.

One module per section (``summary``, ``plan``, ``cleaning``, ``descriptives``,
``measurement``, ``propositions``, ``multiverse``, ``panel``, ``power``, ``provenance``); shared pieces
(the :class:`Section`/:class:`Block` model, generic JSON renderers, evidence rows) live in
:mod:`.base`.  A section is a :class:`Section` (id, title, status, and a list of
:class:`Block`), which the template renders in order.
"""

from __future__ import annotations

from .base import (
    BG_DEFINITIONS, GROUP_LABELS, PROPOSITION_TEXT, SECTION_IDS, VERDICT_TEXT, Block, Section,
    effect_row, evidence_table, group_column,
)
from .cleaning import cleaning_section
from .descriptives import descriptives_section
from .measurement import measurement_section
from .multiverse import curve_figure, curve_tasks, multiverse_section
from .panel import panel_section
from .plan import plan_section
from .power import power_section
from .propositions import propositions_section
from .provenance import provenance_section
from .summary import simulated_note, summary_section

__all__ = ["Section", "Block", "SECTION_IDS", "build_sections", "effect_row", "evidence_table",
           "group_column", "simulated_note", "PROPOSITION_TEXT", "VERDICT_TEXT",
           "GROUP_LABELS", "BG_DEFINITIONS", "summary_section", "plan_section",
           "cleaning_section", "descriptives_section", "measurement_section",
           "propositions_section", "multiverse_section", "panel_section", "power_section",
           "provenance_section"]


def build_sections(inputs, *, command: str | None = None, map_fn=None) -> list[Section]:
    """All sections in report order (see :data:`SECTION_IDS`).

    ``map_fn(fn, tasks) -> list`` (such as :func:`rsnprop.measure.forked.fork_map`) may run
    the tasks in worker processes: the specification curves (the costly figures) and the
    sections with figures are then drawn side by side, each exactly as in one process, so the
    report has the same bytes; by default they are built one after the other.
    """
    curves = curve_tasks(inputs)
    heavy = [(curve_figure, task) for task in curves] + [
        (measurement_section, inputs), (propositions_section, inputs),
        (descriptives_section, inputs), (panel_section, inputs), (power_section, inputs)]
    done = (map_fn or _serial_map)(_call, heavy)
    figures = {pid: fig for (pid, _), fig in zip(curves, done)}
    built = dict(zip(("measurement", "propositions", "descriptives", "panel", "power"),
                     done[len(curves):]))
    return [summary_section(inputs), plan_section(inputs), cleaning_section(inputs),
            built["descriptives"], built["measurement"], built["propositions"],
            multiverse_section(inputs, curves=figures), built["panel"], built["power"],
            provenance_section(inputs, command=command)]


def _call(task):
    fn, arg = task
    return fn(arg)


def _serial_map(fn, tasks) -> list:
    return [fn(t) for t in tasks]
