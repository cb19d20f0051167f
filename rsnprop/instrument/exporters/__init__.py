"""Exporters: one module per format (XLSForm, LimeSurvey TSV, Qualtrics TXT and QSF, codebook,
printable questionnaire).  Each exposes ``export(ins, **options) -> bytes | str``."""

from __future__ import annotations

__all__ = ["FORMATS", "export"]

#: format name -> (module, default file suffix)
FORMATS = {
    "xlsform": ("xlsform", ".xlsx"),
    "limesurvey": ("limesurvey", ".txt"),
    "qualtrics": ("qualtrics", ".txt"),
    "qsf": ("qsf", ".qsf"),
    "codebook": ("codebook", ".md"),
    "codebook-html": ("codebook", ".html"),
    "codebook-md": ("codebook", ".md"),
    "questionnaire": ("questionnaire", ".html"),
}


def export(ins, fmt: str, **options):
    """Render instrument ``ins`` in format ``fmt`` (see :data:`FORMATS`); bytes or text."""
    import importlib

    from ...errors import InputError

    if fmt not in FORMATS:
        raise InputError(f"unknown format; choose one of {', '.join(FORMATS)}", parameter="--format", value=fmt)
    module = importlib.import_module(f"rsnprop.instrument.exporters.{FORMATS[fmt][0]}")
    if fmt == "codebook-html":
        options.setdefault("html", True)
    return module.export(ins, **options)
