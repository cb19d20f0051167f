"""Assemble the report: read RESULTS_DIR, build sections, render the template, write files.

Examples
--------
>>> import tempfile
>>> html = build_report(tempfile.mkdtemp())   # an empty results folder: every section "not run"
>>> html.startswith("<!DOCTYPE html>") and "Not run" in html
True
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from pathlib import Path

import jinja2
import pandas as pd

from ..io import atomic_write_many
from ..results import Result
from .inputs import check_plans, load_results
from .sections import (
    PROPOSITION_TEXT, assemble_sections, build_sections, call_task, curve_figures, heavy_tasks,
    multiverse_section, simulated_note,
)
from .tables import MANIFEST, plan_tables
from .typed import stage_output

__all__ = ["build_report", "write_report", "write_report_result", "ReportResult",
           "content_security_policy"]

TEMPLATE = "report.html.j2"
CSS = "report.css"


def _env():
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rsnprop.report", "templates"),
        autoescape=True,  # every {{ }} is HTML-escaped, whatever the file extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _css() -> str:
    return resources.files("rsnprop.report").joinpath("templates", CSS).read_text(encoding="utf-8")


def content_security_policy(css: str) -> str:
    """The report's CSP: nothing may load except data: images and the one inline style block.

    >>> content_security_policy("p{}").split("; ")[0]
    "default-src 'none'"
    """
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return "; ".join([
        "default-src 'none'",
        "img-src data:",
        f"style-src 'sha256-{digest}'",
        "base-uri 'none'",
        "form-action 'none'",
    ])


def _assemble(results_dir, command: str | None = None, files=None, allow_plan_mismatch=False,
              map_fn=None):
    inputs = load_results(results_dir, files=files)
    check_plans(inputs, allow_mismatch=allow_plan_mismatch)
    sections = build_sections(inputs, command=command, map_fn=map_fn)
    return (inputs, sections, *_number(sections))


def _number(sections) -> tuple[list, list]:
    """The tables and figures of ``sections``, in order, numbered from 1."""
    tables, figures = [], []
    for sec in sections:
        for block in sec.blocks:
            if block.kind == "table":
                tables.append(block.data)
                block.data.number = len(tables)
            elif block.kind == "figure":
                figures.append(block.data)
                block.data.number = len(figures)
    return tables, figures


def _overlapped(inputs, command, imap_fn, tables_dir):
    """:func:`build_sections` with ``imap_fn(fn, tasks)`` (such as
    :func:`rsnprop.forkmap.fork_imap`: ``(i, result)`` as the tasks finish), and the tables'
    files (:func:`plan_tables`: CSV, LaTeX, ``tables.docx``) made here as soon as the sections
    are built, while the workers still draw the specification curves (they have no tables).
    Returns ``(sections, tables, figures, (writes, stale))``, as the serial path would."""
    curves, tasks = heavy_tasks(inputs)
    n = len(tasks) - len(curves)
    done, left, planned = [None] * len(tasks), n, None
    results = imap_fn(call_task, tasks)
    try:
        for i, result in results:
            done[i] = result
            left -= i < n
            if left == 0 and planned is None:
                early = assemble_sections(inputs, done[:n], {pid: None for pid, _ in curves},
                                          command=command)
                early_tables, _ = _number(early)
                planned = ([t.id for t in early_tables], plan_tables(early_tables, tables_dir))
    finally:
        getattr(results, "close", lambda: None)()
    figs = curve_figures(curves, done[n:])
    sections = [multiverse_section(inputs, curves=figs) if s.id == "multiverse" else s
                for s in early]
    tables, figures = _number(sections)
    if planned[0] != [t.id for t in tables]:  # never expected: the curves carry no table
        planned = (None, plan_tables(tables, tables_dir))
    return sections, tables, figures, planned[1]


TABLES_NOTE = ("Each numbered table is also exported as CSV (raw values) and LaTeX (APA format) "
               "as tableNN_<name>.csv / .tex into the tables folder of `rsnprop report` "
               "(default: tables/ beside this file).")


def _render(inputs, sections, tables_note: str) -> str:
    css = _css()

    props = stage_output(inputs, "propositions.json")
    plan_label = "" if props is None else f"{props.plan.name} (version {props.plan.version})"

    html = _env().get_template(TEMPLATE).render(
        title="RSN use by internationalising SMEs: study report",
        banner=simulated_note(inputs),
        plan_label=plan_label,
        results_name=inputs.name,
        sections=sections,
        css=css,
        csp=content_security_policy(css),
        propositions=PROPOSITION_TEXT,
        tables_note=tables_note,
    )
    return html


def build_report(results_dir, *, command: str | None = None, files=None,
                 allow_plan_mismatch: bool = False) -> str:
    """The report for ``results_dir`` as one self-contained HTML string.

    Parameters
    ----------
    results_dir : path-like
        Folder with ``clean.parquet``, ``cleaning_log.json``, ``measurement.json``,
        ``propositions.json`` and optionally ``power.json``.  Missing files make their section
        say "not run".
    command : str, optional
        The command line to record under provenance.
    files : dict, optional
        Paths that replace the folder's files, by file name, e.g.
        ``{"power.json": "analysis/power.json"}``.
    allow_plan_mismatch : bool
        Build the report even when the files record different study-plan hashes (the
        summary page then says so); by default that is a
        :class:`~rsnprop.errors.PlanError` naming the files and hashes
        (:func:`rsnprop.report.inputs.check_plans`).

    Returns
    -------
    str
        HTML5 text: CSS inline, figures as SVG data URIs, a Content-Security-Policy that
        forbids every network request, all data-derived text escaped.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "<i>x"
    >>> d.mkdir()
    >>> _ = (d / "cleaning_log.json").write_text(json.dumps({"n_in": 3, "n_kept": 2}))
    >>> html = build_report(d)
    >>> "cleaning_log.json could not be read (expected schema" in html   # not a stage output
    True
    >>> "&lt;i&gt;x" in html, "<i>x" in html   # text from files and folders is escaped
    (True, False)
    """
    inputs, sections, tables, _ = _assemble(results_dir, command, files, allow_plan_mismatch)
    return _render(inputs, sections, TABLES_NOTE if tables else "")


class ReportResult(Result):
    """What ``rsnprop report`` wrote."""

    title = "Report"

    def __init__(self, output: Path, html: bytes, sections, tables: list[Path], figures: int):
        self.output = Path(output)
        self.bytes = len(html)
        self.sha256 = hashlib.sha256(html).hexdigest()
        self.sections = {s.id: s.status for s in sections}
        self.tables = [str(p) for p in tables]
        self.n_figures = figures

    def to_dict(self) -> dict:
        return {"output": str(self.output), "bytes": self.bytes, "sha256": self.sha256,
                "sections": self.sections, "figures": self.n_figures, "tables": self.tables}

    def to_frame(self):
        return pd.DataFrame({"section": list(self.sections), "status": list(self.sections.values())})

    def summary(self) -> str:
        lines = [f"Report written: {self.output} ({self.bytes} bytes, sha256 {self.sha256[:12]}...)",
                 f"Figures: {self.n_figures}; tables: {len(self.tables) // 2} (CSV + LaTeX)"]
        lines += [f"  {k:<13} {v}" for k, v in self.sections.items()]
        return "\n".join(lines)


def write_report(results_dir, output, *, tables_dir=None, command: str | None = None,
                 files=None, allow_plan_mismatch: bool = False) -> Path:
    """Write the report to ``output`` and its tables (CSV, LaTeX) to ``tables_dir``.

    ``tables_dir`` defaults to ``<output folder>/tables``; ``files`` and
    ``allow_plan_mismatch`` as in :func:`build_report`.  Both are written atomically; the
    same inputs give byte-identical files.  Returns the path of the HTML file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> write_report(tempfile.mkdtemp(), out) == out, out.read_bytes()[:15]
    (True, b'<!DOCTYPE html>')
    """
    return write_report_result(results_dir, output, tables_dir=tables_dir, command=command,
                               files=files, allow_plan_mismatch=allow_plan_mismatch).output


def write_report_result(results_dir, output, *, tables_dir=None, command=None, files=None,
                        allow_plan_mismatch=False, map_fn=None, imap_fn=None) -> ReportResult:
    """:func:`write_report`, returning what was written: a :class:`ReportResult` (path, size
    and SHA-256 of the HTML, section statuses, table files, number of figures), as
    ``rsnprop report --json`` prints it.  ``map_fn`` (such as
    :func:`rsnprop.measure.forked.fork_map`, as ``rsnprop report`` passes it) draws the
    costly figures in worker processes, with the same bytes
    (:func:`rsnprop.report.sections.build_sections`).  ``imap_fn`` (such as
    :func:`rsnprop.forkmap.fork_imap`, as ``rsnprop report`` passes it, with one worker more
    than the cores) does the same and lets this process make the tables' files while the
    workers still draw the specification curves; the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> res = write_report_result(tempfile.mkdtemp(), pathlib.Path(tempfile.mkdtemp()) / "r.html")
    >>> res.sections["provenance"], res.n_figures
    ('ok', 0)
    """

    output = Path(output)
    tables_dir = Path(tables_dir) if tables_dir is not None else output.parent / "tables"
    if imap_fn is None:
        inputs, sections, tables, figures = _assemble(results_dir, command, files,
                                                      allow_plan_mismatch, map_fn)
        # the report and its tables belong together: checked first, then replaced together
        writes, stale = plan_tables(tables, tables_dir)
    else:
        inputs = load_results(results_dir, files=files)
        check_plans(inputs, allow_mismatch=allow_plan_mismatch)
        sections, tables, figures, (writes, stale) = _overlapped(inputs, command, imap_fn,
                                                                 tables_dir)
    html = _render(inputs, sections, TABLES_NOTE if tables else "").encode("utf-8")
    atomic_write_many({**writes, output: html})
    for p in stale:
        p.unlink()
    written = [p for p in writes if p.name != MANIFEST]
    return ReportResult(output, html, sections, written, len(figures))

