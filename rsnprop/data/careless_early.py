"""The row-wise careless indices of a large export, computed early in a second thread.

Longstring, IRV, the pattern index and the smallest block IRV of a row depend on that row's
answers only (:func:`.careless.row_wise_indices`). The careless screen needs them for the
rows of the sample statistics, which are known only after the skip logic, the duplicates and
eligibility; at a million rows those steps run on one core for about a second while the
other core is idle. :func:`start_row_wise` computes these four indices on every row in a
second thread as soon as the answers are validated (numpy releases the GIL), and the screen
takes its rows' values from them (:func:`given_for`): the same values as computing them on
those rows (a test compares the two).

Only from ``EARLY_MIN_ROWS`` rows (a power replication's few hundred rows never start a
thread), and only while nothing changes the Likert answers before the screen reads them
(the steps in between write no Likert column: the impossible facts and constant sums are
not Likert items).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.data.rules import CarelessRules
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> start_row_wise(pd.DataFrame({"x": [1.0]}), ins, CarelessRules()) is None   # small
True
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .careless import _ROW_WISE
from .careless_rowwise import row_wise_block
from .small_frames import column_names

__all__ = ["EARLY_MIN_ROWS", "attention_items", "likert_columns", "start_row_wise", "given_for"]

#: from this many rows the row-wise indices are computed early, in a second thread
EARLY_MIN_ROWS = 1 << 16

#: rows per block of the early computation (memory: one block of answers at a time)
_ROWS = 1 << 16

#: the columns the steps between validation and the careless screen may change in place
#: (:func:`.consistency.check_facts`; the constant sums are ``constant_sum`` items): an
#: instrument whose Likert items bear one of these names gets no early indices
_WRITTEN_BEFORE_SCREEN = frozenset({"founding_year", "first_foreign_sale_year", "n_continents",
                                    "n_countries", "foreign_share_y3"})


def attention_items(instrument) -> dict:
    """The attention checks: item id -> expected answer."""
    att = getattr(instrument, "attention_checks", None)
    return att if isinstance(att, dict) else {
        i: it.attention_check.expected for i, it in instrument.items.items()
        if getattr(it, "attention_check", None)}


def likert_columns(values, instrument, att) -> list:
    """The columns of ``values`` the careless indices read: Likert items that are not
    attention checks, in the frame's order."""
    items = instrument.items
    return [c for c in column_names(values)
            if items[c].type != "meta" and items[c].type == "likert" and c not in att]


class _Early:
    """The four row-wise indices of every row, being computed in a second thread."""

    def __init__(self, likert, n, future):
        self.likert, self.n, self.future = likert, n, future

    def result(self) -> dict:
        return self.future.result()


def start_row_wise(values, instrument, cr):
    """Start the row-wise indices of every row of ``values`` (validated answers) under the
    careless rules ``cr`` in a second thread; None under ``EARLY_MIN_ROWS`` rows or without
    Likert columns."""
    n = len(values)
    if n < EARLY_MIN_ROWS or not values.columns.is_unique:
        return None
    likert = likert_columns(values, instrument, attention_items(instrument))
    if not likert or _WRITTEN_BEFORE_SCREEN.intersection(likert):
        return None
    # the columns as arrays here, in this thread: the second one reads no frame
    cols = []
    for c in likert:
        col = values[c].to_numpy()
        if col.dtype != np.float64:
            col = values[c].to_numpy(dtype="float64", na_value=np.nan)
        cols.append(col)
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(_row_wise_all, cols, n, cr)
    pool.shutdown(wait=False)      # the thread ends with its one task
    return _Early(likert, n, future)


def _row_wise_all(cols, n, cr) -> dict:
    """The row-wise indices of all ``n`` rows of the columns ``cols``, block by block."""
    parts = {k: [] for k in _ROW_WISE}
    x = np.empty((min(n, _ROWS), len(cols)), order="F")
    for start in range(0, n, _ROWS):     # (no BLAS here: no thread limit to set)
        stop = min(n, start + _ROWS)
        blk = x if stop - start == len(x) else np.empty((stop - start, len(cols)), order="F")
        for j, col in enumerate(cols):
            blk[:, j] = col[start:stop]
        for k, v in row_wise_block(blk, cr).items():
            parts[k].append(np.array(v, copy=True))   # (blk is reused)
    return {k: np.concatenate(v) for k, v in parts.items()}


def given_for(early, likert, rows, n):
    """A callable returning the early indices of ``rows`` (positions; waits for the thread
    when first called), or None when ``early`` is None or was computed for other columns or
    rows."""
    if early is None or early.likert != list(likert) or early.n != n:
        return None
    taken: dict = {}

    def given() -> dict:
        if not taken:
            taken.update({k: v[rows] for k, v in early.result().items()})
        return taken
    return given
