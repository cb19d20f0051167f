"""Recoding: answers as exported -> numeric codes the analysis uses.

* "don't know", "not applicable", refusals and numeric missing codes (-99, -9...) -> missing;
* option labels ("Strongly agree", "Oui", "C - Manufacturing") -> codes, in every language of
  the instrument, case-insensitively;
* decimal commas -> numbers;
* reverse-keyed Likert items: ``x' = min + max - x``.

Work is done on the *distinct* values of a column (a survey column has few), then mapped back,
so a million rows cost little.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.recode import reverse_key
>>> reverse_key(pd.Series([1.0, 4.0, 7.0, None]), 1, 7).tolist()
[7.0, 4.0, 1.0, nan]
"""

from __future__ import annotations

import math
import re

from ..instrument.model import Item

__all__ = ["label_map", "to_codes", "reverse_key", "split_multi"]

_NUMBER = re.compile(r"^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*$")


def _norm(text) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


#: id -> (item, its label map) for the instrument's items (:func:`label_map`)
_LABEL_MAPS: dict = {}


def label_map(item) -> dict:
    """Normalised label (any language) or code text -> code, for an item's options/anchors.

    An instrument's item (frozen) has its map made once per process and copied (a power
    replication's clean asks for the same few maps each time, each some hundred regular
    expression substitutions); the memo holds the item, so its ``id`` is not reused."""
    if type(item) is not Item:
        return _label_map(item)
    entry = _LABEL_MAPS.get(id(item))
    if entry is None or entry[0] is not item:
        if len(_LABEL_MAPS) >= 4096:
            _LABEL_MAPS.clear()
        entry = _LABEL_MAPS[id(item)] = (item, _label_map(item))
    return dict(entry[1])


def _label_map(item) -> dict:
    out = {}
    labels = dict(getattr(item, "choice_labels", {}) or {})
    for code, lab in (getattr(item, "choices", {}) or {}).items():
        labels.setdefault(code, {"_": lab})
    scale = getattr(item, "scale", None)
    if scale is not None and getattr(scale, "labels", None):
        for code, lab in scale.labels.items():
            labels.setdefault(code, lab if isinstance(lab, dict) else {"_": lab})
    for code, langs in labels.items():
        texts = langs.values() if isinstance(langs, dict) else [langs]
        for t in texts:
            if t is not None:
                out[_norm(t)] = code
        out[_norm(code)] = code
    return out


def to_codes(values, item, missing_tokens) -> tuple:
    """Map distinct raw values of one column to codes.

    Parameters
    ----------
    values : sequence
        Distinct raw values (str, numbers, None).
    item : Item
    missing_tokens : set of str
        Normalised tokens meaning missing.

    Returns
    -------
    codes : list
        Code (float for numeric items, str otherwise) or None per value.
    reasons : list
        ``None`` (fine), ``"recoded_missing"``, ``"label_recoded"``, or a problem reason code
        (``not_a_number``) per value.
    """
    numeric = _is_numeric(item)
    lmap = label_map(item)
    codes, reasons = [], []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            codes.append(None)
            reasons.append(None)
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            codes.append(float(v) if numeric else _code_text(v, lmap))
            reasons.append(None)
            continue
        key = _norm(v)
        if key == "":
            codes.append(None)
            reasons.append(None)
        elif key in lmap:
            c = lmap[key]
            codes.append(float(c) if numeric and not isinstance(c, str) else c)
            reasons.append(None if key == _norm(c) else "label_recoded")
        elif numeric and _NUMBER.match(key):
            # numbers first: a numeric missing code is recoded by the caller only when it lies
            # outside the item's valid range
            codes.append(float(key.replace(",", ".")))
            reasons.append(None)
        elif key in missing_tokens:
            codes.append(None)
            reasons.append("recoded_missing")
        elif numeric:
            codes.append(None)
            reasons.append("not_a_number")
        else:
            codes.append(str(v).strip())
            reasons.append(None)
    return codes, reasons


def _code_text(v, lmap):
    key = _norm(int(v) if float(v).is_integer() else v)
    return lmap.get(key, str(int(v)) if float(v).is_integer() else str(v))


def _is_numeric(item) -> bool:
    num = getattr(item, "numeric", None)
    if num is not None:
        return bool(num)
    return getattr(item, "type", "") in ("likert", "integer", "decimal", "constant_sum")


def split_multi(text) -> list:
    """Tokens of a select_multiple answer: space, comma, semicolon or pipe separated."""
    if text is None:
        return []
    return [t for t in re.split(r"[\s,;|]+", str(text).strip()) if t]


def reverse_key(series, lo, hi):
    """Reverse-key a Likert column: ``lo + hi - x`` (missing stays missing)."""
    return (lo + hi) - series
