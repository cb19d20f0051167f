"""Deterministic .xlsx writing (same sheets -> byte-identical file).

openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries; both are
replaced by a fixed instant (``SOURCE_DATE_EPOCH`` when set, else 2000-01-01T00:00:00Z).
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile

from openpyxl import Workbook
from openpyxl.styles import Font

__all__ = ["write_xlsx", "fixed_instant"]


def fixed_instant() -> tuple:
    """UTC ``(Y, M, D, h, m, s)`` from ``SOURCE_DATE_EPOCH`` (default 2000-01-01 00:00:00)."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))
    t = time.gmtime(max(epoch, 315532800))  # zip cannot store dates before 1980
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def write_xlsx(sheets: dict[str, list[list]], *, title: str | None = None) -> bytes:
    """Workbook bytes with one sheet per ``name -> rows`` (first row = header), bold header."""

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(["" if v is None else v for v in r])
            for cell in ws[ws.max_row]:  # text beginning with '=' is text, never a formula
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        for cell in ws[1] if rows else ():
            cell.font = Font(bold=True)
    if title:
        wb.properties.title = title
    wb.properties.creator = "rsnprop"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    stamp = fixed_instant()
    iso = "%04d-%02d-%02dT%02d:%02d:%02dZ" % stamp
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{iso}\g<2>", text)
                content = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()
