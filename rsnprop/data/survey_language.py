"""The ``survey_language`` column (the questionnaire version each respondent answered,
docs/languages.md): codes checked against the instrument's languages and counted for the log.

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.survey_language import check_survey_language
>>> check_survey_language(pd.Series(["EN", "nl"]), ["en", "fr"])[0].tolist()
['en', None]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .object_codes import MIN_ROWS, distinct_objects, factorize_objects
from .validate import LANGUAGE_COLUMN, problems_frame
from .validate_small import SMALL_ROWS
from .validate_text import _arrow_factorize

__all__ = ["check_survey_language", "language_counts"]


def check_survey_language(values, languages):
    """Language codes of the ``survey_language`` column, checked against the instrument's.

    A value is read case-insensitively as a language code of the instrument (``fr``, ``FR``),
    a code with a region or variant (``fr-BE``, ``en_GB``, LimeSurvey ``de-informal``: the
    part before ``-``/``_``) or a label ending in the code in brackets (``French (fr)``, as
    ODK names languages).  Missing values stay missing; any other value becomes missing and
    is an ``unknown_language`` problem (0-based row, value).

    Parameters
    ----------
    values : pandas.Series
    languages : sequence of str
        The instrument's ``languages``.

    Returns
    -------
    (numpy.ndarray of object, DataFrame)
        The codes (``None`` when missing or unknown) and the problems table.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, probs = check_survey_language(pd.Series(["EN", "fr-BE", None, "French (fr)", "de"]),
    ...                                      ["en", "fr"])
    >>> codes.tolist(), probs[["row", "value", "reason"]].values.tolist()
    (['en', 'fr', None, 'fr', None], [[4, 'de', 'unknown_language']])
    """

    known = {str(lg).casefold(): str(lg) for lg in languages}
    # distinct values by hashing (np.unique sorts a million strings: 0.5 s), in any order:
    # each maps on its own, then back to the rows
    inv, uniq = _distinct_text(values)
    mapped = []
    for u in uniq:                      # distinct values only
        t = u.strip().casefold()
        m = re.search(r"\(([^()]+)\)\s*$", t)
        t = m.group(1).strip() if m else t
        mapped.append(known.get(t, known.get(re.split(r"[-_]", t, maxsplit=1)[0])) if t else "")
    bad = np.asarray([m is None for m in mapped], dtype=bool)[inv]
    codes = np.asarray([None if m == "" else m for m in mapped], dtype=object)[inv]
    rows = np.flatnonzero(bad)
    probs = problems_frame(rows, LANGUAGE_COLUMN, pd.Series(values).to_numpy()[rows],
                           "unknown_language") if len(rows) else problems_frame()
    return codes, probs



def _distinct_text(values):
    """``(row -> distinct value, distinct values)`` of ``values`` as text, missing as ``""``.

    A small column (a power replication's few hundred rows) is factorised as it is and only
    its distinct values made text (a missing value: the sentinel, mapped to ``""``): the same
    text per row as converting every row, which costs more than the rest of the check.

    >>> inv, uniq = _distinct_text(pd.Series(["fr", None, "fr", 1]))
    >>> [uniq[i] for i in inv]
    ['fr', '', 'fr', '1']
    """
    if 0 < len(values) <= SMALL_ROWS and isinstance(getattr(values, "dtype", None), pd.StringDtype) \
            and getattr(values.dtype, "storage", "") == "pyarrow":
        codes, uniq = _arrow_factorize(values.array)     # (the same codes, first-seen order)
        uniq = [str(u) for u in uniq] + [""]
        return np.where(codes < 0, len(uniq) - 1, codes), uniq
    if len(values) <= SMALL_ROWS:
        codes, uniq = pd.factorize(np.asarray(pd.Series(values).to_numpy(dtype=object)),
                                   use_na_sentinel=True)
        uniq = [str(u) for u in uniq] + [""]
        return np.where(codes < 0, len(uniq) - 1, codes), uniq
    arr = np.asarray(pd.Series(values).to_numpy())
    if arr.dtype == object and len(arr) >= MIN_ROWS:
        # a large export's column: its distinct objects (by identity) made text as below,
        # each once (the same text per row; equal texts may repeat among the distinct ones)
        codes, objs = distinct_objects(arr)
        objs = pd.Series(objs, dtype=object)
        return codes, objs.where(objs.notna(), "").astype(str).tolist()
    return pd.factorize(values.astype(object).where(values.notna(), "").astype(str).to_numpy())


def language_counts(codes, kept, languages) -> dict:
    """The cleaning log's ``survey_language`` block: firms per version among all rows
    (``n_in``) and among the kept ones (``n_kept``), ``missing`` counting unknown codes too.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array(["en", "fr", None, "fr"], dtype=object)
    >>> language_counts(c, np.array([True, True, True, False]), ["en", "fr"])["n_kept"]
    {'en': 1, 'fr': 1, 'missing': 1}
    """

    def count(c):
        if c.dtype == object and len(c) >= MIN_ROWS:
            return _count_large(c, languages)
        return {lg: int(np.sum(c == lg)) for lg in languages} | \
            {"missing": int(pd.isna(c).sum())}      # (codes are text or None)

    return {"column": LANGUAGE_COLUMN, "languages": list(languages), "n_in": count(codes),
            "n_kept": count(codes[np.asarray(kept, dtype=bool)])}


def _count_large(c, languages) -> dict:
    """``language_counts``' counts of a large object array of codes (text or None): the rows
    of each distinct code counted once (:func:`.object_codes.factorize_objects`), each
    language the rows whose code equals it, ``missing`` the rows whose code is missing."""
    codes, uniq = factorize_objects(c)
    n = np.bincount(codes + 1, minlength=len(uniq) + 1).tolist()
    return {lg: sum(n[k + 1] for k, u in enumerate(uniq.tolist()) if u == lg)
            for lg in languages} | {"missing": n[0]}
