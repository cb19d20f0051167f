"""Data-quality problems and platform export quirks added to clean simulated answers.

* careless responders (Meade & Craig 2012; Curran 2016): straight-lining (one answer for every
  Likert item, any scale point), midpoint straight-lining, random responding (uniform answers),
  diagonal answers (1-2-3-...-7-1-... up or down), other repeated patterns (zigzag, sawtooth,
  a short motif repeated), partial carelessness (attentive, then straight-lining or random
  from a point in the second half), speeders (far too fast, half of the answers random) and
  attention-check failures (see :data:`CARELESS_TYPES`);
* missing answers, MCAR (every cell equally likely) or MAR (probability rises with an observed,
  always-answered variable: the firm's size), on items the platform does not force;
* a few invalid codes (out-of-range numbers such as 0, 8, 99, -9 on a 1-7 scale);
* platform column names (``rsnprop.instrument.column_map``) and platform meta columns.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0] * 50})
>>> out = apply_missing(df, ["a"], np.random.default_rng(1), rate=0.5, mechanism="mcar")
>>> bool(0.35 < out["a"].isna().mean() < 0.65)
True
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
from scipy import special

from ..errors import InputError
from ..instrument import column_map

__all__ = ["CARELESS_TYPES", "apply_careless", "careless_arrays", "apply_missing", "inject_invalid", "missing_arrays", "invalid_arrays",
           "to_platform", "PLATFORM_META",
           "raw_csv_bytes"]

#: meta column names per platform (resp_id, duration_sec, submitted_at, survey_language)
PLATFORM_META = {
    "generic": {"resp_id": "resp_id", "duration_sec": "duration_sec", "submitted_at": "submitted_at",
                "survey_language": "survey_language"},
    "xlsform": {"resp_id": "_uuid", "duration_sec": "duration_sec", "submitted_at": "_submission_time",
                "survey_language": "survey_language"},
    "limesurvey": {"resp_id": "id", "duration_sec": "interviewtime", "submitted_at": "submitdate",
                   "survey_language": "startlanguage"},
    "qualtrics": {"resp_id": "ResponseId", "duration_sec": "Duration (in seconds)",
                  "submitted_at": "RecordedDate", "survey_language": "Q_Language"},
}


#: careless types the simulator can inject (the default mix uses the first three)
CARELESS_TYPES = ("straightline", "random", "speeder", "midpoint", "diagonal", "pattern",
                  "partial", "attention")


def apply_careless(likert, rng, *, rate, mix, scale_min, scale_max, eligible=None):
    """Replace the answers of a share ``rate`` of respondents by careless patterns.

    Parameters
    ----------
    likert : DataFrame
        Likert answers (respondents x items, questionnaire order), modified in a copy.
    rate : float
        Share of careless respondents (among ``eligible`` rows when given).
    mix : dict
        Weights of the types in :data:`CARELESS_TYPES`: ``straightline`` (one value, any
        scale point), ``random`` (uniform), ``speeder`` (half the answers uniform; short
        duration set by the caller), ``midpoint`` (straight-lining at the scale midpoint),
        ``diagonal`` (consecutive scale points, up or down, wrapping around), ``pattern``
        (zigzag between two points, a sawtooth, or a motif of 2-4 answers repeated),
        ``partial`` (attentive up to a point in the second half, then straight-lining or
        random), ``attention`` (attentive answers; the caller makes the attention checks fail).

    Returns
    -------
    (DataFrame, ndarray of str)
        The answers and the careless type of every row ("" for attentive respondents).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = pd.DataFrame(np.full((400, 14), 5.0))
    >>> out, kind = apply_careless(x, np.random.default_rng(3), rate=0.5,
    ...                            mix={"diagonal": 1.0}, scale_min=1, scale_max=7)
    >>> row = out.to_numpy()[kind == "diagonal"][0]
    >>> sorted(set(np.abs(np.diff(row)).tolist()) - {6.0})   # steps of one, wrapping 7 <-> 1
    [1.0]
    """

    out = likert.copy()
    vals, kind = careless_arrays(out.to_numpy(dtype=float, copy=True), rng, rate=rate, mix=mix,
                                 scale_min=scale_min, scale_max=scale_max, eligible=eligible)
    out.loc[:, :] = vals
    return out, kind


def careless_arrays(vals, rng, *, rate, mix, scale_min, scale_max, eligible=None):
    """:func:`apply_careless` on an array: ``vals`` (respondents x items, floats) is
    rewritten in place and returned with the careless type of every row; the same draws in
    the same order, hence the same answers (a simulated study uses this, without the frame).

    >>> vals, kind = careless_arrays(np.full((4, 3), 5.0), np.random.default_rng(1), rate=1.0,
    ...                              mix={"straightline": 1.0}, scale_min=1, scale_max=7)
    >>> kind.tolist(), bool((vals == vals[:, :1]).all())
    (['straightline', 'straightline', 'straightline', 'straightline'], True)
    """

    n, k = vals.shape
    kind = np.full(n, "", dtype=object)
    pool = np.arange(n) if eligible is None else np.flatnonzero(eligible)
    u = rng.random(n)
    chosen = pool[u[pool] < rate]
    names = sorted(mix)
    w = np.array([mix[m] for m in names], dtype=float)
    picks = rng.choice(len(names), size=len(chosen), p=w / w.sum())
    rand = rng.integers(scale_min, scale_max + 1, size=(n, k)).astype(float)
    straight = rng.integers(scale_min, scale_max + 1, size=n).astype(float)
    half = rng.random((n, k)) < 0.5
    # the draws above are those of the three original types (same data for the default mix);
    # the other types draw afterwards, from the same stream, only when chosen
    extra = [(int(r), names[p]) for r, p in zip(chosen, picks)
             if names[p] not in ("straightline", "random", "speeder")]
    shapes = _extra_patterns(rng, extra, vals, scale_min, scale_max) if extra else {}
    for row, p in zip(chosen, picks):
        m = names[p]
        kind[row] = m
        if m == "straightline":
            vals[row, :] = straight[row]
        elif m == "random":
            vals[row, :] = rand[row, :]
        elif m == "speeder":
            vals[row, half[row]] = rand[row, half[row]]
        else:
            vals[row, :] = shapes[row] if row in shapes else vals[row, :]
    return vals, kind


def _extra_patterns(rng, rows, vals, lo, hi):
    """Answers of the types added to the original three: {row: answers} for ``rows`` =
    [(row, type)], drawn from ``rng`` in that order; ``vals`` holds the attentive answers."""

    k = vals.shape[1]
    npts = int(hi - lo + 1)
    pos = np.arange(k)
    out = {}
    for row, m in rows:
        if m == "midpoint":
            v = np.full(k, (lo + hi) / 2.0)
            v = np.floor(v) if npts % 2 == 0 and rng.random() < 0.5 else np.ceil(v)
        elif m == "diagonal":
            start, step = rng.integers(0, npts), (1 if rng.random() < 0.5 else -1)
            v = lo + (start + step * pos) % npts
        elif m == "pattern":
            style = rng.integers(0, 3)
            if style == 0:                              # zigzag between two scale points
                a, b = rng.choice(npts, size=2, replace=False)
                v = lo + np.where(pos % 2 == 0, a, b)
            elif style == 1:                            # sawtooth lo..hi..lo
                period = 2 * (npts - 1)
                t = (rng.integers(0, period) + pos) % period
                v = lo + np.where(t < npts, t, period - t)
            else:                                       # a motif of 2-4 answers repeated
                motif = rng.integers(0, npts, size=int(rng.integers(2, 5)))
                while len(set(motif.tolist())) < 2:
                    motif = rng.integers(0, npts, size=len(motif))
                v = lo + motif[pos % len(motif)]
        elif m == "partial":
            cut = int(rng.integers(k // 2, max(k // 2 + 1, (3 * k) // 4)))
            v = vals[row].copy()
            if rng.random() < 0.5:
                v[cut:] = rng.integers(lo, hi + 1)
            else:
                v[cut:] = rng.integers(lo, hi + 1, size=k - cut)
        else:                                           # attention: answers left attentive
            v = vals[row]
        out[row] = np.asarray(v, dtype=float)
    return out


def apply_missing(df, columns, rng, *, rate, mechanism="mcar", driver=None, protect=None):
    """Blank cells of ``columns`` at an average ``rate`` (MCAR or MAR on ``driver``).

    MAR: ``logit p = a + 1.2 z`` with ``z`` the standardised ``driver`` (an observed,
    always-answered variable) and ``a`` solved so that the mean of ``p`` equals ``rate``.
    Rows where ``protect`` is true are left alone.
    """

    if rate <= 0 or not columns:
        return df.copy()
    return _with_columns(df, missing_arrays({c: df[c] for c in columns}, columns, rng, len(df), rate=rate,
                                            mechanism=mechanism, driver=driver, protect=protect))


def missing_arrays(cols, columns, rng, n, *, rate, mechanism="mcar", driver=None, protect=None):
    """:func:`apply_missing` on ``cols`` (name -> array or Series of ``n`` values): the
    ``columns`` with their blanked cells as float arrays (the same draws, the same cells; the
    arrays as given when ``rate <= 0``).

    >>> out = missing_arrays({"a": np.arange(4.0)}, ["a"], np.random.default_rng(1), 4, rate=0.5)
    >>> int(np.isnan(out["a"]).sum())
    1
    """
    if rate <= 0 or not columns:
        return {c: cols[c] for c in columns}
    if mechanism == "mar":
        if driver is None:
            from ..errors import InputError

            raise InputError("MAR missingness needs a driver variable", parameter="missing_mechanism")
        d = np.asarray(driver, dtype=float)
        z = (d - np.nanmean(d)) / (np.nanstd(d) or 1.0)
        z = np.nan_to_num(z)
        a = _mar_intercept(1.2 * z, rate)
        p = special.expit(a + 1.2 * z)
    else:
        p = np.full(n, rate)
    hit = rng.random((n, len(columns))) < p[:, None]
    if protect is not None:
        hit &= ~np.asarray(protect, dtype=bool)[:, None]
    block = _float_rows(cols, columns, n)             # a float copy, a row per column
    block[hit.T] = np.nan
    return dict(zip(columns, block))


def _float_rows(cols, names, n):
    """A new ``len(names) x n`` float array, row ``j`` = ``np.array(cols[names[j]],
    dtype=float)`` (the copy each column was given one by one)."""
    block = np.empty((len(names), n), dtype=float)
    for j, col in enumerate(names):
        block[j] = np.asarray(cols[col], dtype=float)
    return block


def _mar_intercept(slope_z, rate):
    """The intercept ``a`` with ``mean(expit(a + slope_z))`` at ``rate``: 80 bisection steps
    on [-30, 30] (mean expit is increasing in ``a``), the same floats as
    ``expit(a + 1.2 * z).mean()`` each (``slope_z = 1.2 * z``, added in place to one
    buffer). Once a step leaves the bracket as it was (its two ends adjacent floats), every
    later step would do the same: the result is that of the 80 steps, without them."""
    lo, hi = -30.0, 30.0
    buf = np.empty_like(slope_z)
    size, total = buf.size, np.add.reduce
    a = 0.0
    for _ in range(80):
        a = (lo + hi) / 2
        np.add(slope_z, a, out=buf)             # = a + slope_z
        special.expit(buf, out=buf)
        before = (lo, hi)
        if total(buf) / size < rate:            # = buf.mean() (its sum over its size)
            lo = a
        else:
            hi = a
        if (lo, hi) == before:
            break
    return a


def _with_columns(df, new):
    """A copy of ``df`` with the columns in ``new`` replaced, built in one go (the same frame
    as ``out = df.copy(); out[c] = v`` for each, without a block insert per column)."""

    out = pd.DataFrame({c: (new[c] if c in new else df[c].copy()) for c in df.columns},
                       index=df.index.copy())
    out.attrs = dict(df.attrs)
    return out


def inject_invalid(df, ranges, rng, *, rate):
    """Replace a share ``rate`` of the answered cells of ``ranges`` (col -> (min, max)) by
    out-of-range codes (``min - 1``, ``max + 1``, 99, -9)."""

    if rate <= 0:
        return df.copy()
    return _with_columns(df, invalid_arrays({c: df[c] for c in ranges}, ranges, rng, len(df), rate=rate))


def invalid_arrays(cols, ranges, rng, n, *, rate):
    """:func:`inject_invalid` on ``cols`` (name -> array or Series of ``n`` values): the columns
    of ``ranges`` with their out-of-range codes, as float arrays (the same draws and cells; the
    arrays as given when ``rate <= 0``).

    >>> out = invalid_arrays({"a": np.ones(50)}, {"a": (1, 5)}, np.random.default_rng(0), 50, rate=0.2)
    >>> sorted(set(out["a"].tolist()) - {1.0}) <= [-9.0, 0.0, 6.0, 99.0]
    True
    """
    if rate <= 0:
        return {c: cols[c] for c in ranges}
    names = list(ranges)
    hit = rng.random((n, len(names))) < rate
    which = rng.integers(0, 4, size=(n, len(names)))
    block = _float_rows(cols, names, n)               # a float copy, a row per column
    # row j's codes: lo - 1, hi + 1, 99, -9 of column j's range, picked by ``which``
    bounds = np.array([ranges[c] for c in names], dtype=float).reshape(len(names), 2)
    table = np.empty((len(names), 4), dtype=float)
    table[:, 0], table[:, 1], table[:, 2], table[:, 3] = bounds[:, 0] - 1, bounds[:, 1] + 1, 99, -9
    codes = np.take_along_axis(table, np.ascontiguousarray(which.T), axis=1)
    mask = hit.T & ~np.isnan(block)
    np.copyto(block, codes, where=mask)
    return dict(zip(names, block))


def to_platform(df, instrument, platform: str):
    """Rename item and meta columns as ``platform`` writes them in its export."""

    if platform not in PLATFORM_META:
        raise InputError(f"unknown platform; choose from {sorted(PLATFORM_META)}",
                         parameter="platform", value=platform)
    if platform == "generic":
        return df

    export_to_id = column_map(instrument, platform)
    id_to_export = {}
    for col, iid in export_to_id.items():
        # ODK/Kobo write group paths ("benefits/rel_1"): prefer them when the map has them
        if iid not in id_to_export or (platform == "xlsform" and "/" in col
                                       and "/" not in id_to_export[iid]):
            id_to_export[iid] = col
    meta = PLATFORM_META[platform]
    rename = {c: id_to_export.get(c, meta.get(c, c)) for c in df.columns}
    out = df.rename(columns=rename)
    if platform == "qualtrics" and "Q_Language" in out.columns:   # Qualtrics writes "EN", "FR"
        out["Q_Language"] = out["Q_Language"].str.upper()
    return out


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 6))
    return str(v)


def raw_csv_bytes(df) -> bytes:
    """CSV bytes of a raw export: integral floats without ``.0``, missing as empty, LF ends.

    Deterministic: the same DataFrame always gives the same bytes.
    """

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in df.columns])
    cols = [df[c].tolist() for c in df.columns]
    for row in zip(*cols):
        w.writerow([_fmt(v) for v in row])
    return buf.getvalue().encode("utf-8")
