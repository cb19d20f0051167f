"""The survey instrument: schema, loader, validation, exports and column mapping.

Public API
----------
load_instrument(path) -> Instrument
    ``.name, .version, .hash, .languages, .constructs, .items, .sections``.
validate_instrument(path) -> ValidationReport
    every problem with its YAML path and reason.
column_map(ins, platform), value_map(ins, platform), apply_column_map(df, ins, platform),
from_platform(df, ins, platform)
    map a platform's response export back onto item ids (columns, values, derived meta).
scoring_items(ins, construct), reverse_keys(ins, construct=None), reverse_code(df, ins),
construct_scores(df, ins)
    scoring information shared by cleaning and measurement.
shown(df, ins, item_id), shown_frame(df, ins)
    evaluate skip logic: was an item shown (structural missing versus non-response)?
export(ins, fmt, **options)
    XLSForm, LimeSurvey TSV, Qualtrics TXT, codebook (Markdown/HTML), printable questionnaire.

Examples
--------
>>> from rsnprop.instrument import load_instrument, scoring_items
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> sorted(ins.constructs)[:4]
['informational', 'intl_approach', 'relational', 'risk_reduction']
>>> scoring_items(ins, "relational")
['rel_1', 'rel_2', 'rel_3', 'rel_4', 'rel_5', 'rel_6', 'rel_7']
"""

from __future__ import annotations

from .load import DEFAULT_INSTRUMENT, build_instrument, load_instrument
from .logic import shown, shown_frame
from .mapping import PLATFORMS, apply_column_map, column_map, from_platform, option_column, value_map
from .model import Construct, Instrument, Item, Scale, Section
from .scoring import construct_scores, reverse_code, reverse_keys, scoring_items
from .validate import ValidationReport, validate_instrument


def export(ins, fmt: str, **options):
    """Render ``ins`` in format ``fmt`` (xlsform, limesurvey, qualtrics, codebook,
    codebook-html, questionnaire); see :mod:`rsnprop.instrument.exporters`."""
    from .exporters import export as _export

    return _export(ins, fmt, **options)


__all__ = [
    "load_instrument", "build_instrument", "validate_instrument", "ValidationReport",
    "column_map", "value_map", "apply_column_map", "from_platform", "option_column", "PLATFORMS",
    "scoring_items", "reverse_keys", "reverse_code", "construct_scores", "export",
    "Instrument", "Item", "Construct", "Scale", "Section", "DEFAULT_INSTRUMENT",
    "shown", "shown_frame",
]
