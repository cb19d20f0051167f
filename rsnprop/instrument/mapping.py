"""Map the columns (and answer values) of a platform's response export onto item ids.

``column_map(ins, platform)`` returns a dict *export column -> clean name*.  The clean name
is the item id; for a ``select_multiple`` item the export's one-column-per-option layout
maps onto ``<item>_<code>`` (0/1 indicators), and a single space- or comma-separated column
maps onto the item id.  Several export columns may map onto one name (e.g. ``KEY`` and
``meta/instanceID`` both onto ``resp_id``); :func:`apply_column_map` keeps the first one
present, in the order of the dict.

Platforms and the export layouts covered:

``generic``
    columns are item ids (what ``rsnprop simulate`` writes by default).
``xlsform``
    ODK Central, KoboToolbox and SurveyCTO CSV exports of the form written by
    ``rsnprop instrument export --format xlsform``: field names with or without the group
    path (``benefits/rel_1``, ``benefits-rel_1``), select_multiple split columns
    (``rsn_platforms/linkedin``, ``rsn_platforms_linkedin``), instance id (``KEY``,
    ``meta/instanceID``, ``_uuid``).
``limesurvey``
    response export with *question code* headings: ``rel1``, ``rsnplatforms[linkedin]``
    (subquestion ``Y``/empty), ``id`` (response id), ``interviewtime`` (timings).
``qualtrics``
    CSV/TSV export (legacy or new, first header row): data export tags equal to the item
    ids set by ``[[ID:...]]``, Likert matrices ``<block>_matrix<k>_<n>`` (statement n), split multiple-answer columns ``rsn_platforms_<n>`` (choice
    position n), constant-sum parts ``cs_relational``/``cs_informational``, ``ResponseId``
    and ``Duration (in seconds)``.

Answer values: ``value_map(ins, platform)`` gives, per item, *exported value -> code* where
the platform records something other than our codes (LimeSurvey answer codes longer than 5
characters, Qualtrics positions for string codes, LimeSurvey ``Y`` for ticked options).

Examples
--------
>>> from rsnprop.instrument import load_instrument, column_map
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> m = column_map(ins, "limesurvey")
>>> m["rel1"], m["rsnplatforms[linkedin]"], m["id"]
('rel_1', 'rsn_platforms_linkedin', 'resp_id')
>>> column_map(ins, "generic")["rel_1"]
'rel_1'
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import InputError
from .exporters.codes import limesurvey_answer_code, limesurvey_code, limesurvey_subquestion_code
from .logic import shown

__all__ = ["PLATFORMS", "column_map", "value_map", "apply_column_map", "option_column", "from_platform"]

PLATFORMS = ("generic", "xlsform", "limesurvey", "qualtrics")


def option_column(item_id: str, code) -> str:
    """Clean name of one option of a select_multiple item: ``<item>_<code>``."""
    return f"{item_id}_{code}"


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise InputError(f"unknown platform; choose one of {', '.join(PLATFORMS)}",
                         parameter="platform", value=platform)


def _put(out: dict, column: str, target: str) -> None:
    out.setdefault(column, target)


def column_map(ins, platform: str = "generic") -> dict[str, str]:
    """Export column name -> clean column name (item id, or ``<item>_<code>`` indicators).

    Parameters
    ----------
    ins : Instrument
    platform : {"generic", "xlsform", "limesurvey", "qualtrics"}

    Returns
    -------
    dict
        Insertion-ordered; when several columns map onto one name the first present wins.

    Examples
    --------
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> column_map(ins, "xlsform")["benefits/rel_1"]
    'rel_1'
    >>> column_map(ins, "qualtrics")["ResponseId"]
    'resp_id'
    """
    _check_platform(platform)
    out: dict[str, str] = {}
    meta_cols = {
        "generic": {"resp_id": ["resp_id"], "duration_sec": ["duration_sec"], "survey_year": ["survey_year"]},
        "xlsform": {"resp_id": ["KEY", "meta/instanceID", "meta-instanceID", "instanceID", "_uuid"],
                    "duration_sec": ["duration_sec"], "survey_year": ["survey_year"]},
        "limesurvey": {"resp_id": ["id"], "duration_sec": ["interviewtime"], "survey_year": []},
        "qualtrics": {"resp_id": ["ResponseId", "ResponseID", "_recordId"],
                      "duration_sec": ["Duration (in seconds)", "Duration", "duration"], "survey_year": []},
    }[platform]
    if platform == "qualtrics":
        from .exporters.qualtrics import matrix_columns

        for col, iid in matrix_columns(ins).items():   # Likert matrices: <block>_matrix<k>_<n>
            _put(out, col, iid)
    for item in ins.items.values():
        if item.type == "meta":
            for col in meta_cols.get(item.meta, []):
                _put(out, col, item.id)
            continue
        if platform == "generic":
            _put(out, item.id, item.id)
            for code in item.choices if item.type == "select_multiple" else ():
                _put(out, option_column(item.id, code), option_column(item.id, code))
        elif platform == "xlsform":
            for prefix in ("", f"{item.section}/", f"{item.section}-"):
                _put(out, prefix + item.id, item.id)
            if item.type == "select_multiple":
                for code in item.choices:
                    target = option_column(item.id, code)
                    for name in (f"{item.id}/{code}", f"{item.section}/{item.id}/{code}",
                                 f"{item.section}-{item.id}-{code}", f"{item.id}-{code}",
                                 f"{item.id}_{code}"):
                        _put(out, name, target)
        elif platform == "limesurvey":
            q = item.codes.get("limesurvey") or limesurvey_code(item.id)
            if item.type == "select_multiple":
                for pos, code in enumerate(item.choices):
                    sq = limesurvey_subquestion_code(code, pos)
                    target = option_column(item.id, code)
                    _put(out, f"{q}[{sq}]", target)
                    _put(out, f"{q}_{sq}", target)
            elif item.type == "constant_sum":
                group = limesurvey_code(item.constant_sum.group)
                _put(out, f"{group}[{q}]", item.id)
                _put(out, f"{group}_{q}", item.id)
            else:
                _put(out, q, item.id)
        elif platform == "qualtrics":
            tag = item.codes.get("qualtrics") or item.id
            if item.type == "select_multiple":
                _put(out, tag, item.id)
                for pos, code in enumerate(item.choices):
                    _put(out, f"{tag}_{pos + 1}", option_column(item.id, code))
            elif item.type == "constant_sum":
                group = item.constant_sum.group
                parts = [i for i in ins.items.values()
                         if i.constant_sum is not None and i.constant_sum.group == group]
                pos = parts.index(item) + 1
                _put(out, f"{group}_{pos}", item.id)
                _put(out, tag, item.id)
            elif item.type == "text":
                _put(out, tag, item.id)
                _put(out, f"{tag}_TEXT", item.id)
            else:
                _put(out, tag, item.id)
    return out


def value_map(ins, platform: str = "generic") -> dict[str, dict[str, object]]:
    """Per item, exported answer value (as text) -> our code, where they differ.

    Items whose exported values already equal the codes are omitted.  For LimeSurvey the
    indicator columns of select_multiple options hold ``Y`` (ticked) or nothing: they map
    ``{"Y": 1, "": 0}`` under the indicator's clean name.

    Examples
    --------
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> value_map(ins, "qualtrics")["sector"]["3"]
    'C'
    >>> value_map(ins, "limesurvey")["rsn_platforms_linkedin"]
    {'Y': 1, '': 0}
    """
    _check_platform(platform)
    out: dict[str, dict] = {}
    for item in ins.items.values():
        if item.type not in ("select_one", "select_multiple", "likert"):
            continue
        codes = list(item.choices) if item.choices else []
        if platform == "limesurvey":
            if item.type == "select_one":
                m = {limesurvey_answer_code(c, p): c for p, c in enumerate(codes)}
                if any(str(k) != str(v) for k, v in m.items()):
                    out[item.id] = m
            elif item.type == "select_multiple":
                for code in codes:
                    out[option_column(item.id, code)] = {"Y": 1, "": 0}
        elif platform == "qualtrics":
            if item.type == "likert" and int(item.scale.min) != 1:   # matrix answer k -> code
                lo, hi = int(item.scale.min), int(item.scale.max)
                out[item.id] = {str(k + 1): v for k, v in enumerate(range(lo, hi + 1))}
            elif item.type == "select_one" and not all(isinstance(c, int) for c in codes):
                out[item.id] = {str(p + 1): c for p, c in enumerate(codes)}
            elif item.type == "select_multiple":
                out[item.id] = {str(p + 1): c for p, c in enumerate(codes)}
                for code in codes:
                    out[option_column(item.id, code)] = {"1": 1, "": 0}
        elif platform in ("xlsform", "generic"):
            if item.type == "select_multiple":
                for code in codes:
                    out[option_column(item.id, code)] = {"1": 1, "0": 0, "True": 1, "False": 0,
                                                         "true": 1, "false": 0}
    return out


def apply_column_map(df, ins, platform: str = "generic"):
    """Rename a raw export's columns to clean names; unknown columns are kept unchanged.

    When several export columns map onto one clean name, the first present (in the order of
    :func:`column_map`) is used and the others are dropped.  Returns a new DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> raw = pd.DataFrame({"id": [7], "rel1": [5], "note": ["x"]})
    >>> list(apply_column_map(raw, ins, "limesurvey").columns)
    ['resp_id', 'rel_1', 'note']
    """
    mapping = column_map(ins, platform)
    chosen: dict[str, str] = {}
    for col in mapping:
        if col in df.columns and mapping[col] not in chosen.values():
            chosen[col] = mapping[col]
    drop = [c for c in df.columns if c in mapping and c not in chosen]
    return df.drop(columns=drop).rename(columns=chosen)


_DATE_COLUMNS = ("survey_year", "submitdate", "SubmissionDate", "_submission_time", "EndDate",
                 "RecordedDate", "end", "datestamp")


def _as_key(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _map_values(col, m) -> list:
    """``[m.get(_as_key(v), v) for v in col]``, computed once per distinct value for float,
    integer and text columns (a million-row export has few distinct answers)."""

    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else None
    if kind in ("f", "i", "u") or (kind == "O" and pd.api.types.infer_dtype(
            col, skipna=True) in ("string", "empty")):
        values = col.to_numpy()
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        if len(uniq) * 4 < len(values):
            mapped = np.empty(len(uniq) + 1, dtype=object)
            mapped[:-1] = [m.get(_as_key(v), v) for v in uniq.tolist()]
            out = mapped[codes]               # code -1 (missing): the value itself
            miss = codes == -1
            if miss.any():
                out[miss] = [m.get(_as_key(v), v) for v in values[miss].tolist()]
            return out.tolist()
    return [m.get(_as_key(v), v) for v in col]


def from_platform(df, ins, platform: str = "generic"):
    """Column names, answer values and derived meta of a platform export, as clean names.

    1. :func:`apply_column_map` (export columns -> item ids and ``<item>_<code>``);
    2. :func:`value_map` (e.g. Qualtrics positions -> letter codes, LimeSurvey ``A3`` ->
       ``agent``, ticked ``Y`` -> 1);
    3. select_multiple indicators: unticked options become 0 when the question was shown
       and NaN when skip logic hid it (:func:`rsnprop.instrument.logic.shown`); a single
       space-separated column (ODK ``rsn_platforms = "linkedin x"``) is expanded into them;
    4. ``survey_year`` from the submission date when the export has no such column.

    Returns a new DataFrame; other columns are kept unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> raw = pd.DataFrame({"consent": [1], "decisionmaker": [1], "rsnplatforms[linkedin]": ["Y"],
    ...                     "rsnplatforms[x]": [None], "submitdate": ["2026-03-02 10:00:00"]})
    >>> out = from_platform(raw, ins, "limesurvey")
    >>> out[["rsn_platforms_linkedin", "rsn_platforms_x", "survey_year"]].iloc[0].tolist()
    [1.0, 0.0, 2026.0]
    """

    out = apply_column_map(df, ins, platform)
    vmap = value_map(ins, platform)
    multi = [i for i in ins.items.values() if i.type == "select_multiple"]
    dummies = {option_column(i.id, c) for i in multi for c in i.choices}
    for col, m in vmap.items():
        if col in out.columns and col not in dummies:
            out[col] = _map_values(out[col], m)
    for item in multi:
        cols = [option_column(item.id, c) for c in item.choices]
        if not any(c in out.columns for c in cols) and item.id in out.columns:
            # one token set per distinct answer, mapped back to the rows
            codes, uniq = pd.factorize(out[item.id].astype("string").fillna(""))
            tokens = [set(str(u).replace(",", " ").split()) for u in uniq]
            answered = out[item.id].notna().to_numpy()
            for code, col in zip(item.choices, cols):
                hit = np.array([float(str(code) in t) for t in tokens], dtype="float64")
                out[col] = np.where(answered, hit[np.asarray(codes)], np.nan)
        present = [c for c in cols if c in out.columns]
        if not present:
            continue
        was_shown = shown(out, ins, item.id).to_numpy()
        for col in present:
            m = vmap.get(col, {})
            vals = _map_values(out[col], m)
            vals = pd.to_numeric(pd.Series(vals, index=out.index), errors="coerce")
            out[col] = np.where(was_shown, vals.fillna(0), np.nan)
    if "survey_year" not in out.columns:
        for col in _DATE_COLUMNS[1:]:
            if col in out.columns:
                dates = pd.to_datetime(out[col], errors="coerce", utc=True)
                out["survey_year"] = dates.dt.year.astype("Int64")
                break
    return out
