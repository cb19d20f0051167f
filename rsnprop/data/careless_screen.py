"""The careless-responding screen, as a step of cleaning: attention checks, speeding and the
careless indices (:func:`.careless.careless_indices`, combined by :func:`.careless.index_rule`).

Each screen adds its per-row values to the flags table and its exclusion reason
(``attention_check``, ``speeding``, ``careless_indices``) for the rows in the sample; the
sample statistics (median duration, the indices' covariances) leave out the duplicates.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.data.careless_screen import speeding
>>> from rsnprop.data.log import Findings
>>> from rsnprop.data.rules import CarelessRules
>>> vals = pd.DataFrame({"duration_sec": [100.0, 400.0, 500.0, 600.0]})
>>> found, flags, everyone = Findings(), {}, np.ones(4, dtype=bool)
>>> speeding(vals, CarelessRules(), everyone, everyone, flags, found)   # the median duration
450.0
>>> found.reasons["speeding"].tolist()                               # < 0.45 x median
[True, False, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._threads import one_blas_thread
from .careless import _compute_indices, _flag_indices, index_rule
from .careless_early import attention_items, given_for, likert_columns
from .careless_small import row_wise_given
from .validate_small import SMALL_ROWS, columns_array, float_column, kept_float_names

__all__ = ["CarelessScreen", "screen_careless", "attention_checks", "speeding", "index_screen"]


@dataclass
class CarelessScreen:
    """What the careless screen found: ``flags`` (column -> array over the input rows, in
    the order of the flags table), the median duration of the sample, the index flags that
    were computed and the notes on indices that could not be."""

    flags: dict
    median_duration: float
    flag_cols: list
    notes: list


def screen_careless(values, instrument, ids, sample, cr, found, early=None) -> CarelessScreen:
    """Attention checks, speeding and careless indices on the rows in ``sample``
    (:class:`~rsnprop.data.eligibility.Sample`) under the rules ``cr``
    (:class:`~rsnprop.data.rules.CarelessRules`); reasons and warnings go to ``found``.
    ``early``: the row-wise indices started by :func:`.careless_early.start_row_wise`."""

    # per-row flags gathered as arrays, made one frame after the exclusions (one column
    # insert each cost more than the careless indices at a few hundred rows)
    flags = {"row": np.arange(1, len(values) + 1), "resp_id": ids.to_numpy()}
    att = attention_checks(values, instrument, cr, sample.in_sample, flags, found)
    med = speeding(values, cr, sample.in_sample, sample.stat_sample, flags, found)
    likert = likert_columns(values, instrument, att)
    flag_cols, notes = index_screen(values, instrument, likert, sample, cr, flags, found,
                                    early) if likert else ([], [])
    return CarelessScreen(flags, med, flag_cols, notes)


def attention_checks(values, instrument, cr, in_sample, flags, found) -> dict:
    """Failed attention checks per row (``attn_fail_<item>``, ``attention_failed``); more than
    ``max_failed_attention`` failures is the ``attention_check`` reason.  Returns the checks
    (item id -> expected answer)."""

    att_failed = np.zeros(len(values))
    att = attention_items(instrument)
    for iid, expected in att.items():
        if iid not in values.columns:
            continue
        x = _floats(values, iid)
        fail = ~np.isnan(x) & (x != float(expected))
        if cr.attention_missing_is_failure:
            fail |= np.isnan(x)
        att_failed += fail
        flags[f"attn_fail_{iid}"] = fail
    flags["attention_failed"] = att_failed
    if att:
        found.reasons["attention_check"] = (att_failed > cr.max_failed_attention) & in_sample
    return att


def speeding(values, cr, in_sample, stat_sample, flags, found) -> float:
    """Duration relative to the sample's median (``duration_ratio``); below
    ``min_duration_sec`` or ``min_duration_ratio`` is the ``speeding`` reason.  Returns the
    median duration (NaN without a ``duration_sec`` column)."""

    if "duration_sec" not in values.columns:
        return float("nan")
    n = len(values)
    dur = _floats(values, "duration_sec")
    ok = stat_sample & ~np.isnan(dur)
    med = float(np.median(dur[ok])) if ok.any() else float("nan")
    ratio = dur / med if med and np.isfinite(med) else np.full(n, np.nan)
    flags["duration_ratio"] = ratio
    speed = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        if cr.min_duration_sec is not None:
            speed |= dur < cr.min_duration_sec
        if cr.min_duration_ratio is not None:
            speed |= ratio < cr.min_duration_ratio
    found.reasons["speeding"] = speed & in_sample
    return med


def _floats(values, name):
    """``values[name].to_numpy(dtype="float64")``: a small export's validated floats as they
    are kept (:func:`.validate_small.float_column`, read only), else through pandas."""
    if len(values) <= SMALL_ROWS and name in kept_float_names(values):
        return float_column(values, name)
    return values[name].to_numpy(dtype="float64")


def index_screen(values, instrument, likert, sample, cr, flags, found, early=None):
    """The careless indices of the ``likert`` items, computed on the sample statistics' rows
    (NaN elsewhere), their flags and ``n_index_flags``; :func:`.careless.index_rule` gives
    the ``careless_indices`` reason.  Returns the flag columns and the notes (also warned)."""

    n = len(values)
    notes = []
    sample_idx = np.flatnonzero(sample.stat_sample)
    fl = {}
    if len(sample_idx):
        ind, fla, notes = _indices_of_rows(values, instrument, likert, sample_idx, cr,
                                           given_for(early, likert, sample_idx, n))
        for c, v in ind.items():      # each index over every row: NaN outside the sample
            flags[c] = _spread(v, sample_idx, n)
        for c, v in fla.items():      # each flag over every row: False outside the sample
            fl[c] = _spread(np.asarray(v, dtype=bool), sample_idx, n, fill=False)
        flags.update(fl)
    flag_cols = list(fl)
    if flag_cols:
        hit, _, _ = index_rule(fl, cr)
        flags["n_index_flags"] = np.column_stack([fl[c] for c in flag_cols]).sum(axis=1)
        found.reasons["careless_indices"] = hit & sample.in_sample
    for note in notes:
        found.warn(note)
    return flag_cols, notes


def _spread(v, rows, n, fill=None):
    """``v`` (one value per row of ``rows``, increasing positions) over ``n`` rows, as
    ``pandas.Series(v, index=rows).reindex(range(n))`` gives it (``fill`` elsewhere, its
    ``fill_value``; NaN by default), the same values and dtype."""
    v = np.asarray(v)
    if len(rows) == n:                # every row (rows = 0 .. n-1): reindexed as it is
        return v.copy()
    if fill is None and v.dtype.kind == "f":
        out = np.full(n, np.nan, dtype=v.dtype)
    elif fill is False and v.dtype.kind == "b":
        out = np.zeros(n, dtype=bool)
    else:     # another dtype: as pandas reindexes it
        return pd.Series(v, index=rows).reindex(range(n), fill_value=fill).to_numpy()
    out[rows] = v
    return out


def _indices_of_rows(values, instrument, likert, rows, cr, given=None):
    """The careless indices of the ``likert`` answers of ``rows`` (those of
    :func:`.careless.careless_indices`, as ``({index: values}, {flag: values}, notes)``, in
    its order, without its frames): longstring and IRV on the answers as given, the other
    indices after reverse keying (in place, once longstring/IRV are computed)."""

    items = instrument.items
    factors = [[c for c in con.items if c in likert] for con in instrument.constructs.values()]
    # column-major: each column is written contiguously, the indices read either order
    x_raw = np.empty((len(rows), len(likert)), order="F")
    small = len(values) <= SMALL_ROWS and len(likert) and values.columns.is_unique
    if small:    # a power replication's few hundred rows: one read, not one per column
        x_raw[...] = columns_array(values, list(likert))[rows]
    rev = {}
    for j, c in enumerate(likert):
        if not small:
            col = values[c].to_numpy()
            if col.dtype != np.float64:
                col = values[c].to_numpy(dtype="float64", na_value=np.nan)
            np.take(col, rows, out=x_raw[:, j], mode="clip")   # unbuffered
        it = items[c]
        if getattr(it, "reverse", False):
            rev[j] = it.scale.min + it.scale.max
    if small and given is None:   # the row-wise indices, before the keying in place
        given = row_wise_given(x_raw, cr)
    # what careless_indices(frame of x_raw, ..., reverse_in_place=rev) computes: the frame's
    # to_numpy() is x_raw itself (a float64 view), handed to the same two steps
    with one_blas_thread():
        vals = _compute_indices(x_raw, x_raw, list(likert), factors, cr, rev, given)
        return _flag_indices(vals, cr, factors)
