"""Undo the quirks of survey platforms' response exports and map columns to item ids.

Supported platforms (those the instrument exports to):

``generic``
    Columns already are the instrument's ids.
``qualtrics``
    CSV with two extra header rows (question text, then ``{"ImportId": ...}``); legacy exports
    have one (question text). Meta columns ``ResponseId`` (-> ``resp_id``),
    ``Duration (in seconds)`` (-> ``duration_sec``); identifying meta (IP address, recipient
    names and e-mail, location) is dropped at once.  ``Q_Language`` (the language version
    the respondent answered, ``EN``, ``FR``...) -> ``survey_language``.
``xlsform`` (ODK / KoboToolbox)
    Group prefixes (``grp/item``, ``grp-item``), meta columns (``_uuid``, ``_id``,
    ``_submission_time``, ``start``/``end`` -> ``duration_sec``), ``;``-delimited CSV; the
    form's ``survey_language`` calculate field (any group prefix) -> ``survey_language``.
``limesurvey``
    ``CODE[SQ]`` sub-question names, meta ``id`` (-> ``resp_id``), ``interviewtime``
    (-> ``duration_sec``), ``startlanguage`` (-> ``survey_language``), ``ipaddr`` (dropped).

The instrument's own mapping (:func:`rsnprop.instrument.column_map`) is applied first; names it
does not cover are matched to item ids after normalisation (lower case, prefixes stripped,
brackets and punctuation to ``_``).

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace as NS
>>> ins = NS(items={"rel_1": NS(id="rel_1"), "resp_id": NS(id="resp_id")})
>>> raw = pd.DataFrame({"ResponseId": ["Response ID", '{"ImportId":"_recordId"}', "R_1"],
...                     "REL_1": ["Q1 text", '{"ImportId":"QID1_1"}', "5"]})
>>> map_platform_columns(raw, "qualtrics", ins).to_dict("records")
[{'resp_id': 'R_1', 'rel_1': 5}]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputError
from .read_cells import to_numeric_columns

__all__ = ["PLATFORMS", "map_platform_columns", "normalise_name"]

PLATFORMS = ("generic", "xlsform", "limesurvey", "qualtrics")

#: identifying meta columns dropped as soon as the export is read (lower-cased names)
PII_META = {
    "ipaddress", "ipaddr", "ip", "ip_address", "recipientemail", "recipientfirstname",
    "recipientlastname", "locationlatitude", "locationlongitude", "email", "e_mail",
    "_submitted_by", "username", "deviceid", "phonenumber", "simserial", "subscriberid",
    "_geolocation", "refurl",
}
#: meta columns that carry no data for the analysis (dropped quietly by `clean`)
PLATFORM_META = {
    "qualtrics": {"startdate", "enddate", "status", "progress", "finished", "recordeddate",
                  "externalreference", "distributionchannel", "userlanguage", "q_recaptchascore",
                  "q_relevantidduplicate", "q_relevantidduplicatescore", "q_relevantidfraudscore",
                  "q_relevantidlaststartdate"},
    "xlsform": {"_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                "_tags", "_index", "__version__", "instanceid", "start", "end", "today",
                "_xform_id_string", "_attachments", "formhub_uuid", "meta_instanceid",
                "meta_rootuuid", "meta_deprecatedid", "_parent_index", "survey_language_helper"},
    "limesurvey": {"submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
                   "token"},
    "generic": set(),
}
_RESP_ID = {"qualtrics": ("responseid", "response_id"), "limesurvey": ("id",),
            "xlsform": ("uuid", "meta_instanceid", "instanceid", "id")}
_DURATION = {"qualtrics": ("duration_in_seconds", "duration"),
             "limesurvey": ("interviewtime",), "xlsform": ("duration",)}
#: the questionnaire version the respondent answered -> ``survey_language`` (normalised names)
_LANGUAGE = {"qualtrics": ("q_language",), "limesurvey": ("startlanguage",),
             "xlsform": ("survey_language",), "generic": ("survey_language",)}


def normalise_name(name: str, platform: str = "generic") -> str:
    """Normalise an export column name for matching with item ids.

    Examples
    --------
    >>> normalise_name("grp_benefits/rel_1", "xlsform"), normalise_name("REL[SQ001]")
    ('rel_1', 'rel_sq001')
    >>> normalise_name("Duration (in seconds)")
    'duration_in_seconds'
    """
    text = str(name).strip()
    if platform == "xlsform" and "/" in text:
        text = text.rsplit("/", 1)[1]
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return text


def _instrument_map(instrument, platform) -> dict:
    try:
        from ..instrument import column_map
    except ImportError:
        return {}
    try:
        return dict(column_map(instrument, platform))
    except Exception:  # noqa: BLE001 - the instrument may not know the platform
        return {}


def _as_text(df):
    """Every cell as ``str`` (``None`` when missing); text columns as read are kept as they
    are (a per-cell ``str()`` only where some cell is not already a string)."""

    out = {}
    for c in df.columns:
        col = df[c]
        if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string",
                                                                                   "empty"):
            out[c] = col.where(col.notna(), None)
        else:
            out[c] = col.astype(object).where(col.notna(), None).map(
                lambda v: None if v is None else str(v))
    return pd.DataFrame(out, index=df.index)


def _drop_qualtrics_header_rows(df):
    """Drop Qualtrics' question-text and ImportId rows; returns (df, n_dropped)."""
    n = min(len(df), 3)
    head = df.iloc[:n].astype("string")
    import_rows = [i for i in range(n)
                   if head.iloc[i].str.contains(r'^\{"ImportId"', regex=True, na=False).any()]
    if import_rows:
        k = import_rows[-1] + 1
        return df.iloc[k:], k
    # legacy export: one row of question texts; recognised by the ResponseId cell
    for col in df.columns:
        if normalise_name(col) in ("responseid", "response_id") and n:
            first = str(df[col].iloc[0])
            if first.strip().lower() in ("response id", "responseid"):
                return df.iloc[1:], 1
    return df, 0


def map_platform_columns(df, platform: str | None, instrument, *, file=None):
    """Return ``df`` with a platform's export quirks undone and columns renamed to item ids.

    Parameters
    ----------
    df : pandas.DataFrame
        As read by :func:`rsnprop.data.read_table` (text or numbers).
    platform : {"generic", "xlsform", "limesurvey", "qualtrics"}
    instrument : Instrument or None
        Supplies item ids and :func:`rsnprop.instrument.column_map`.

    Returns
    -------
    pandas.DataFrame
        ``attrs["rsnprop_read"]`` gains ``platform``, ``renamed`` (export name -> id),
        ``dropped_pii`` (names) and ``meta_columns`` (platform bookkeeping columns kept aside).
    """

    platform = platform or "generic"
    if platform not in PLATFORMS:
        raise InputError(f"unknown platform; expected one of {', '.join(PLATFORMS)}",
                         file=file, parameter="platform", value=platform)
    info = dict(df.attrs.get("rsnprop_read", {}))
    df, n_header = _undo_export_layout(df, platform, instrument, info)
    new_cols, renamed, dropped_pii, meta = _column_targets(df, platform, instrument, file)
    out = pd.DataFrame({t: df[c] for t, c in new_cols.items()}, index=df.index)
    if platform == "xlsform" and "duration_sec" not in out.columns:
        _add_xlsform_duration(out, df)
    dropped_pii = info.pop("dropped_pii_pre", []) + dropped_pii
    info.update({"platform": platform, "renamed": renamed, "dropped_pii": dropped_pii,
                 "meta_columns": meta, "header_rows_dropped": n_header})
    out.attrs["rsnprop_read"] = info
    return out


def _undo_export_layout(df, platform, instrument, info):
    """Qualtrics' extra header rows dropped (``n_header``), then the platform's column layout
    undone by :func:`rsnprop.instrument.mapping.from_platform` (identifying columns dropped
    first, recorded in ``info["dropped_pii_pre"]``).  Returns ``(df, n_header)``."""

    n_header = 0
    if platform == "qualtrics":
        df, n_header = _drop_qualtrics_header_rows(df)
        if n_header:
            df = df.reset_index(drop=True)
            df, _ = to_numeric_columns(_as_text(df))
    if platform != "generic" and instrument is not None and hasattr(instrument, "sections"):
        try:
            from ..instrument.mapping import from_platform
        except ImportError:  # pragma: no cover - instrument stage absent
            from_platform = None
        if from_platform is not None:
            pii_meta = {normalise_name(k) for k in PII_META}
            keep_attrs = dict(df.attrs)
            pii_first = [c for c in df.columns if normalise_name(c, platform) in pii_meta]
            df = from_platform(df.drop(columns=pii_first), instrument, platform)
            df.attrs = keep_attrs
            info.setdefault("dropped_pii_pre", [str(c) for c in pii_first])
    return df, n_header


def _column_targets(df, platform, instrument, file):
    """Item id (or kept name) of each export column: the instrument's platform names, the ids
    themselves, normalised names, the platform's id, language and duration columns.
    Identifying columns are dropped, platform bookkeeping set aside.

    Returns ``(new_cols: target -> column, renamed: column -> target, dropped_pii, meta)``."""
    pii_meta = {normalise_name(k) for k in PII_META}
    ids = set(getattr(instrument, "items", {}) or {}) if instrument is not None else set()
    ids |= {"resp_id", "duration_sec", "consent"}
    mapping = _instrument_map(instrument, platform) if instrument is not None else {}
    renamed, dropped_pii, meta = {}, [], []
    id_col = None
    if "resp_id" not in mapping.values() and "resp_id" not in df.columns:
        by_key = {}
        for col in df.columns:
            by_key.setdefault(normalise_name(col, platform), col)
        id_col = next((by_key[k] for k in _RESP_ID.get(platform, ()) if k in by_key), None)
    new_cols = {}
    norm_ids = {normalise_name(i): i for i in ids}
    for col in df.columns:
        key = normalise_name(col, platform)
        if col in mapping:
            target = mapping[col]
        elif col in ids:
            target = col
        elif key in pii_meta:
            dropped_pii.append(str(col))
            continue
        elif key in norm_ids:
            target = norm_ids[key]
        elif col == id_col:
            target = "resp_id"
        elif key in _LANGUAGE.get(platform, ()) and "survey_language" not in new_cols:
            target = "survey_language"
        elif platform in _DURATION and key in _DURATION[platform] \
                and "duration_sec" not in new_cols:
            target = "duration_sec"
        elif key in {normalise_name(k) for k in PLATFORM_META.get(platform, set())}:
            meta.append(str(col))
            target = None
        else:
            target = col
        if target is None:
            continue
        if target in new_cols:
            if target == "resp_id" and col not in mapping:
                meta.append(str(col))
                continue
            raise InputError(f"two columns map to item '{target}' ('{new_cols[target]}' and "
                             f"'{col}')", file=file, column=str(col))
        new_cols[target] = col
        if target != col:
            renamed[str(col)] = target
    return new_cols, renamed, dropped_pii, meta


def _add_xlsform_duration(out, df) -> None:
    """ODK/Kobo exports have ``start`` and ``end`` timestamps: their difference in seconds
    becomes ``duration_sec``."""

    cols = {normalise_name(c, "xlsform"): c for c in df.columns}
    if "start" in cols and "end" in cols:
        start = pd.to_datetime(df[cols["start"]], errors="coerce", utc=True)
        end = pd.to_datetime(df[cols["end"]], errors="coerce", utc=True)
        out["duration_sec"] = (end - start).dt.total_seconds()


def combine_indicators(df, instrument):
    """Merge one-column-per-option exports of select_multiple items (``<item>_<code>`` 0/1
    columns, as mapped by :func:`rsnprop.instrument.column_map`) into the item column of
    space-separated codes; indicators beside an existing item column are dropped (clean
    derives them again from the item column).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace as NS
    >>> ins = NS(items={"modes": NS(id="modes", type="select_multiple",
    ...                             choices={"direct": "D", "agent": "A"})})
    >>> df = pd.DataFrame({"modes_direct": [1, 0, None], "modes_agent": [1, 1, None]})
    >>> combine_indicators(df, ins)["modes"].tolist()
    ['direct agent', 'agent', nan]
    """

    out = df
    present = set(df.columns.tolist())   # (a set: the str index's lookups cost more)
    for iid, it in instrument.items.items():
        if getattr(it, "type", None) != "select_multiple":
            continue
        cols = {str(code): f"{iid}_{code}" for code in (getattr(it, "choices", {}) or {})
                if f"{iid}_{code}" in present}
        if not cols:
            continue
        if iid in present:   # indicators derived from the item column: rebuilt by clean
            out = out.drop(columns=list(cols.values()))
            continue
        if out is df:
            out = df.copy()
        block = {}
        for code, col in cols.items():
            s = out[col]
            txt = s.astype("string").str.strip().str.casefold()
            yes = txt.isin(["1", "1.0", "true", "yes", "y", "x", str(code).casefold()])
            block[code] = (yes.fillna(False).to_numpy(dtype=bool), s.notna().to_numpy())
        answered = np.logical_or.reduce([a for _, a in block.values()])
        codes = list(block)
        sel = np.column_stack([block[c][0] for c in codes])
        joined = np.array([" ".join(c for c, on in zip(codes, row) if on) for row in sel],
                          dtype=object)
        joined[~answered] = None
        out = out.drop(columns=list(cols.values()))
        out[iid] = joined
    if out is not df:
        out.attrs = dict(df.attrs)
    return out
