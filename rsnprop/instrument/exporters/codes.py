"""Platform-specific codes for item ids and answer codes (shared by exporters and mapping).

LimeSurvey question and subquestion codes must start with a letter and contain only letters
and digits (no underscore), and answer codes are at most 5 characters; Qualtrics records
the position (1, 2, ...) of a multiple-choice answer unless recoded.  These functions give
the deterministic translation used both when exporting the questionnaire and when mapping
a response export back onto item ids.

Examples
--------
>>> limesurvey_code("rel_1"), limesurvey_code("first_foreign_sale_year")
('rel1', 'firstforeignsaleyear')
>>> limesurvey_answer_code("direct", 0), limesurvey_answer_code(7, 6), limesurvey_answer_code("A", 0)
('A1', '7', 'A')
"""

from __future__ import annotations

import re

__all__ = ["limesurvey_code", "limesurvey_answer_code", "limesurvey_subquestion_code"]

_ALNUM = re.compile(r"[^A-Za-z0-9]")


def limesurvey_code(item_id: str) -> str:
    """LimeSurvey question code of an item id: underscores removed (``rel_1`` -> ``rel1``)."""
    code = _ALNUM.sub("", item_id)
    if not code or not code[0].isalpha():
        code = "Q" + code
    return code


def limesurvey_answer_code(code, position: int) -> str:
    """LimeSurvey answer code (alphanumeric, <= 5 characters) of a choice code.

    Codes that already qualify are kept (``7``, ``A``, ``yes``); others become ``A<n>``
    with ``n`` the 1-based position in the list.
    """
    text = str(code)
    if text and len(text) <= 5 and not _ALNUM.search(text):
        return text
    return f"A{position + 1}"


def limesurvey_subquestion_code(code, position: int) -> str:
    """LimeSurvey subquestion code of a select_multiple option (alphanumeric, <= 20 chars)."""
    text = _ALNUM.sub("", str(code))
    if text and len(text) <= 20 and text[0].isalpha():
        return text
    return f"SQ{position + 1:03d}"
