"""The first step of cleaning: which columns of the export are used, and who answered.

Columns are checked against the instrument (:func:`.validate.check_columns`): unknown ones
are reported and dropped, absent optional items reported; identifying and free-text columns
are dropped or hashed at once (privacy, ``CleaningRules.pii``).  Respondents are identified by
``resp_id`` (row numbers when the export has none).

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.columns import respondent_ids
>>> respondent_ids(pd.DataFrame({"resp_id": [7.0, 8.0]}), print).tolist()
['7', '8']
>>> respondent_ids(pd.DataFrame({"x": [1, 2]}), print).tolist()
no resp_id column: respondents are identified by their row number
['row1', 'row2']
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .object_codes import MIN_ROWS
from .platforms import combine_indicators
from .validate import DROP_TYPES, check_columns
from .small_frames import default_index
from .validate_small import SMALL_ROWS

__all__ = ["Columns", "select_columns", "respondent_ids"]


@dataclass
class Columns:
    """The columns of one export, as :func:`select_columns` sorted them.

    ``df`` is the export with platform indicators combined (rows renumbered from 0);
    ``value_cols`` the item columns validated and kept (no identifying, free-text or id
    column); ``absent`` the optional items not in the export; ``pii`` the identifying and
    free-text columns, ``hashed`` their hashes (``pii: hash``); ``read_info`` what
    :func:`.read.read_table` recorded about the file."""

    df: object
    known: list
    unknown: list
    absent: list
    pii: list
    value_cols: list
    hashed: dict
    read_info: dict


def select_columns(raw_df, instrument, rules, source, warn) -> Columns:
    """Check the export's columns against the instrument; set the identifying ones aside.

    ``warn(message)`` receives the unknown columns dropped and the optional item columns
    absent.  Raises :class:`~rsnprop.errors.DataFileError` when required item columns are
    absent (:func:`.validate.check_columns`)."""

    items = instrument.items
    file = None if source is None else str(source)
    read_info = dict(raw_df.attrs.get("rsnprop_read", {}))
    df = combine_indicators(raw_df, instrument)
    if not (0 < len(df) <= SMALL_ROWS and default_index(df.index, len(df))
            and df.index.name is None):
        df = df.reset_index(drop=True)   # (a small export on rows 0..n-1: as it is, read only)
    known, unknown, absent = check_columns(df, instrument, file=file)
    if unknown:
        warn(f"{len(unknown)} unknown column(s) dropped: " + ", ".join(unknown))
    shown_absent = [a for a in absent if items[a].type != "meta"]
    if shown_absent:
        warn(f"{len(shown_absent)} optional item column(s) absent (treated as unanswered): "
             + ", ".join(shown_absent))
    pii = [c for c in known if getattr(items[c], "pii", False) or items[c].type in DROP_TYPES]
    hashed = {c: _hash_values(df[c], rules.pii_salt) for c in pii} if rules.pii == "hash" else {}
    value_cols = [c for c in known if c not in pii and c != "resp_id"]
    return Columns(df, known, unknown, absent, pii, value_cols, hashed, read_info)


def respondent_ids(df, warn):
    """The respondent ids as strings (``None`` when missing; whole-number floats written as
    integers), or ``row1, row2, ...`` when the export has no ``resp_id`` column."""

    if "resp_id" not in df.columns:
        warn("no resp_id column: respondents are identified by their row number")
        return pd.Series([f"row{i + 1}" for i in range(len(df))], dtype=object)
    rid = df["resp_id"]
    if isinstance(rid.dtype, pd.StringDtype) and len(rid) <= SMALL_ROWS:
        # text already: its values as they are, missing as None (what the conversion to
        # "string" below gives), without that conversion (a small export: 0.46 -> 0.15 ms)
        return pd.Series(rid.to_numpy(dtype=object, na_value=None), dtype=object)
    if rid.dtype == object and len(rid) >= MIN_ROWS:
        objs = rid.to_numpy()
        if set(map(type, objs)) <= {str, type(None)}:
            # a large export's text ids: the same text as the conversion below gives (text
            # as it is, None missing), without making a million strings again (100 -> 25 ms)
            return pd.Series(objs.copy(), dtype=object)
    if pd.api.types.is_float_dtype(rid.dtype) and (rid.dropna() % 1 == 0).all():
        rid = rid.astype("Int64")
    txt = rid.astype("string")
    return pd.Series(txt.to_numpy(dtype=object, na_value=None), dtype=object)


def _hash_values(series, salt):
    vals = series.astype(object).to_numpy()
    out = np.array([None if (v is None or (isinstance(v, float) and math.isnan(v))) else
                    hashlib.sha256((salt + str(v)).encode("utf-8")).hexdigest()[:16]
                    for v in vals], dtype=object)
    return out
