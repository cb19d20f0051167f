"""The HTML report: one self-contained, reviewer-ready file for the whole study.

``build_report(results_dir)`` returns the HTML text; ``write_report(results_dir, output)``
writes it atomically (and the APA tables as CSV/LaTeX into ``tables_dir``, by default
``<output folder>/tables``).  RESULTS_DIR holds what the pipeline wrote: ``clean.parquet``,
``cleaning_log.json``, ``measurement.json``, ``propositions.json`` and optionally
``power.json``; a missing or unreadable file makes its section say "not run".

Heavy libraries (pandas, matplotlib, seaborn) are imported when a report is built.
"""

from __future__ import annotations

__all__ = ["build_report", "write_report", "ReportResult"]


def __getattr__(name: str):
    if name in __all__:
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module 'rsnprop.report' has no attribute {name!r}")
