"""APA tables as a Word document (``tables.docx``), byte-identical for identical tables.

python-docx writes the current time into the zip entries, so the archive is rewritten with a
fixed timestamp, and the core properties get a fixed date (``SOURCE_DATE_EPOCH`` when set,
else 2000-01-01).  When python-docx is not installed the export is skipped (the HTML, CSV and
LaTeX outputs do not depend on it).

Examples
--------
>>> from rsnprop.report.tables import Column, Table
>>> t = Table("x", "Demo", [Column("a", "A"), Column("b", "B", "num")], [{"a": "r", "b": 1.234}],
...           number=1)
>>> data = docx_bytes([t])
>>> data is None or data[:2] == b"PK"
True
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from ..io import atomic_write

__all__ = ["docx_available", "docx_bytes", "write_docx"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def docx_available() -> bool:
    try:
        import docx  # noqa: F401
    except ImportError:
        return False
    return True


def _fixed_datetime():
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime(2000, 1, 1)


def _rule(cell, edges: dict) -> None:
    """Set cell borders, e.g. ``{"top": 12, "bottom": 4}`` (eighths of a point)."""

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def docx_bytes(tables) -> bytes | None:
    """A .docx with every table in APA layout (number, italic title, three rules, note)."""
    if not docx_available():
        return None

    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    props = doc.core_properties
    when = _fixed_datetime()
    props.created = when
    props.modified = when
    props.last_printed = when
    props.author = "rsnprop"
    props.last_modified_by = "rsnprop"
    props.title = "APA tables"
    props.revision = 1
    for n, t in enumerate(tables):
        if n:
            doc.add_paragraph()
        doc.add_paragraph().add_run(t.label).bold = True
        doc.add_paragraph().add_run(t.title).italic = True
        cells = t.cells()
        table = doc.add_table(rows=1 + len(cells), cols=len(t.columns))
        # each row's cells listed once (python-docx builds the whole list on every .cells)
        rows = [r.cells for r in table.rows]
        for j, head in enumerate(t.headers):
            c = rows[0][j]
            c.text = head
            _rule(c, {"top": 12, "bottom": 4})
        for i, row in enumerate(cells, start=1):
            for j, value in enumerate(row):
                c = rows[i][j]
                c.text = value
                if j and t.columns[j].kind != "text":
                    c.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if i == len(cells):
                    _rule(c, {"bottom": 12})
        if t.note:
            p = doc.add_paragraph()
            p.add_run("Note.").italic = True
            p.add_run(" " + t.note)
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed timestamps and permissions (same order, deflated)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 3
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_docx(tables, path) -> bool:
    """Write ``tables`` to ``path`` atomically; ``False`` when python-docx is missing."""

    data = docx_bytes(tables)
    if data is None:
        return False
    atomic_write(path, data)
    return True
