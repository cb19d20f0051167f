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

__all__ = ["Section", "Block", "SECTION_IDS", "build_sections", "heavy_tasks", "call_task",
           "curve_figures", "assemble_sections", "effect_row", "evidence_table",
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
    curves, tasks = heavy_tasks(inputs)
    done = (map_fn or _serial_map)(call_task, tasks)
    n = len(tasks) - len(curves)
    return assemble_sections(inputs, done[:n], curve_figures(curves, done[n:]), command=command)


def heavy_tasks(inputs) -> tuple[list, list]:
    """``(curves, tasks)``: the specification curves' tasks (:func:`curve_tasks`) and the
    ``(function, argument)`` tasks of :func:`call_task` that may run in workers: the five
    sections with figures (and tables) first, then the curves (figures only), so that the
    tables are complete while the curves are still drawn."""
    curves = curve_tasks(inputs)
    return curves, [(fn, inputs) for fn in _HEAVY_SECTIONS] + [(curve_figure, t) for t in curves]


def curve_figures(curves, figures) -> dict:
    """Proposition -> figure of :func:`curve_figure`, from the curves' tasks and results."""
    return {pid: fig for (pid, _), fig in zip(curves, figures)}


def assemble_sections(inputs, built, curves: dict, *, command: str | None = None) -> list[Section]:
    """The sections in report order from ``built`` (the results of the first tasks of
    :func:`heavy_tasks`, in that order) and ``curves`` (:func:`curve_figures`; a curve given
    as ``None`` is left out of the multiverse section, whose tables stay the same)."""
    by_id = dict(zip(("measurement", "propositions", "descriptives", "panel", "power"), built))
    return [summary_section(inputs), plan_section(inputs), cleaning_section(inputs),
            by_id["descriptives"], by_id["measurement"], by_id["propositions"],
            multiverse_section(inputs, curves=curves), by_id["panel"], by_id["power"],
            provenance_section(inputs, command=command)]


_HEAVY_SECTIONS = (measurement_section, propositions_section, descriptives_section,
                   panel_section, power_section)


def call_task(task):
    """``fn(arg)`` for a ``(fn, arg)`` task of :func:`heavy_tasks`."""
    fn, arg = task
    return fn(arg)


def _serial_map(fn, tasks) -> list:
    return [fn(t) for t in tasks]
