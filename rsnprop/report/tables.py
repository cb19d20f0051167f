"""APA-style tables: one object, three renderings (HTML cells, CSV, LaTeX).

A :class:`Table` holds raw values (numbers stay numbers) and a list of :class:`Column` saying how
each is printed.  The HTML template prints :meth:`Table.cells`; :func:`export_tables` writes every
table as CSV (raw values, rounded to 6 decimals, for re-use) and LaTeX (booktabs, APA number
format, for pasting into papers) into ``reports/tables/``.

Examples
--------
>>> t = Table("alpha", "Reliability", [Column("construct", "Construct"),
...           Column("alpha", "α", "bounded")], [{"construct": "relational", "alpha": 0.8123}])
>>> t.cells()
[['relational', '.81']]
>>> print(t.to_csv(), end="")
construct,alpha
relational,0.8123
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..io import atomic_write_many, csv_safe_cell, plan_owned_files
from . import fmt

__all__ = ["Column", "Table", "export_tables", "latex_escape"]

_KINDS = {"text", "int", "num", "bounded", "p", "ci", "pct"}


@dataclass
class Column:
    """How one column is labelled and printed.

    ``kind`` is one of ``text``, ``int``, ``num`` (``digits`` decimals), ``bounded`` (no leading
    zero: r, alpha, loadings, power), ``p`` (APA p value), ``ci`` (a ``(lower, upper)`` pair),
    ``pct`` (a proportion printed as a percentage).
    """

    key: str
    label: str
    kind: str = "text"
    digits: int = 2

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    def format(self, value) -> str:
        k = self.kind
        if k == "text":
            return fmt.fmt_value(value, self.digits)
        if k == "int":
            return fmt.fmt_int(value)
        if k == "num":
            return fmt.fmt_num(value, self.digits)
        if k == "bounded":
            return fmt.fmt_bounded(value, self.digits)
        if k == "p":
            return fmt.fmt_p(value)
        if k == "pct":
            return fmt.fmt_pct(value)
        lo, hi = value if isinstance(value, (list, tuple)) and len(value) == 2 else (None, None)
        return fmt.fmt_ci(lo, hi, self.digits)


@dataclass
class Table:
    """An APA table: number (set by the report), title in italics, body, and a note."""

    id: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    number: int = 0
    #: rows whose first cell starts a visual block (e.g. a new construct)
    groups: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Table {self.number}" if self.number else "Table"

    @property
    def slug(self) -> str:
        """``id`` reduced to ``[a-z0-9_-]`` (ids can come from data: safe in file names)."""

        return re.sub(r"[^a-z0-9_-]+", "_", str(self.id).lower()).strip("_") or "table"

    @property
    def headers(self) -> list[str]:
        return [c.label for c in self.columns]

    @property
    def aligns(self) -> list[str]:
        """CSS class per column: ``txt`` (left, may wrap) or ``num`` (right, no wrap)."""
        return ["txt" if c.kind == "text" else "num" for c in self.columns]

    @property
    def wide(self) -> bool:
        return len(self.columns) > 8

    def cells(self) -> list[list[str]]:
        """The body as printed (strings, APA number format)."""
        return [[c.format(r.get(c.key)) for c in self.columns] for r in self.rows]

    def to_frame(self):
        """A DataFrame of the raw values (CI columns split in ``_lower``/``_upper``)."""

        header, body = self._raw()
        return pd.DataFrame(body, columns=header)

    def _raw(self) -> tuple[list[str], list[list]]:
        header: list[str] = []
        for c in self.columns:
            header += [f"{c.key}_lower", f"{c.key}_upper"] if c.kind == "ci" else [c.key]
        body = []
        for r in self.rows:
            line: list = []
            for c in self.columns:
                v = r.get(c.key)
                if c.kind == "ci":
                    lo, hi = v if isinstance(v, (list, tuple)) and len(v) == 2 else (None, None)
                    line += [_raw_value(lo), _raw_value(hi)]
                else:
                    line.append(_raw_value(v))
            body.append(line)
        return header, body

    def to_csv(self) -> str:
        """CSV text: machine-readable keys as header, raw values rounded to 6 decimals."""

        header, body = self._raw()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([csv_safe_cell(h) for h in header])
        for line in body:
            writer.writerow(["" if v is None else csv_safe_cell(v) for v in line])
        return buf.getvalue()

    def to_latex(self) -> str:
        """A ``table`` environment with booktabs rules, APA caption and note."""
        align = "l" + "r" * (len(self.columns) - 1)
        lines = [
            "% requires \\usepackage{booktabs}",
            "\\begin{table}[htbp]",
            "\\centering",
            f"\\caption*{{\\textbf{{{latex_escape(self.label)}}}\\\\\\textit{{{latex_escape(self.title)}}}}}",
            f"\\label{{tab:{self.slug}}}",
            f"\\begin{{tabular}}{{{align}}}",
            "\\toprule",
            " & ".join(latex_escape(h) for h in self.headers) + " \\\\",
            "\\midrule",
        ]
        for row in self.cells():
            lines.append(" & ".join(latex_escape(v) for v in row) + " \\\\")
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}")
        if self.note:
            lines.append(f"\\par\\smallskip{{\\footnotesize\\textit{{Note.}} {latex_escape(self.note)}}}")
        lines.append("\\end{table}")
        return "\n".join(lines) + "\n"


def _raw_value(v):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float):
        f = fmt.to_float(v)
        return None if f is None else round(f, 6)
    if isinstance(v, (list, tuple, dict)):
        return fmt.fmt_value(v)
    return v


_LATEX = {
    "\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
    "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
    "<": "\\textless{}", ">": "\\textgreater{}", "\u2212": "$-$", "\u2013": "--",
}


def latex_escape(text) -> str:
    """Escape LaTeX's special characters in ``text``.

    >>> latex_escape("50% of R&D_1 < 2")
    '50\\\\% of R\\\\&D\\\\_1 \\\\textless{} 2'
    """
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


#: the manifest that lists the files ``rsnprop report`` wrote into the tables folder
MANIFEST = "rsnprop-tables.json"


def table_files(tables: list[Table]) -> dict:
    """``{file name: bytes}`` of every table (``tableNN_<id>.csv`` and ``.tex``) and of
    ``tables.docx`` (APA layout, when python-docx is installed).  CSV cells that a spreadsheet
    would run as formulas are neutralised (:func:`rsnprop.io.csv_safe_cell`)."""
    out = {}
    for t in tables:
        stem = f"table{t.number:02d}_{t.slug}"
        out[f"{stem}.csv"] = t.to_csv().encode("utf-8")
        out[f"{stem}.tex"] = t.to_latex().encode("utf-8")
    if tables:
        from .docx_export import docx_bytes

        data = docx_bytes(tables)
        if data is not None:
            out["tables.docx"] = data
    return out


def plan_tables(tables: list[Table], directory) -> tuple[dict, list]:
    """``(writes, stale)`` for the tables folder (see :func:`rsnprop.io.plan_owned_files`): only
    files listed in the folder's manifest (written by an earlier run and unchanged since) are
    replaced or removed; any other file in the way stops the report with exit 2."""

    return plan_owned_files(directory, table_files(tables), manifest=MANIFEST,
                            writer="rsnprop report", option="--tables-dir")


def export_tables(tables: list[Table], directory) -> list[Path]:
    """Write each table as ``tableNN_<id>.csv`` and ``.tex`` into ``directory``, and all of
    them into ``tables.docx``, together (atomically), with the manifest; remove the files of
    earlier runs listed in the manifest that this run does not write.  Files rsnprop did not
    write are never replaced or removed.  Returns the written paths in order."""

    writes, stale = plan_tables(tables, directory)
    atomic_write_many(writes)
    for p in stale:
        p.unlink()
    return [p for p in writes if p.name != MANIFEST]

