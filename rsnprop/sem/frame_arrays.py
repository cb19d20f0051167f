"""The float array of a model's data frame, handed over by whoever built the frame from it (the
measurement check of a power replication: :func:`rsnprop.propositions.measurement._model_rows`),
so that the lean fits of an invariance sequence (:func:`rsnprop.sem.api.fit_estimates`, its
``memo``) take the groups' arrays from it instead of reading the frame's columns again
(:func:`rsnprop.sem.data.prepare_data`: ~0.45 ms of a ~19 ms check, 16 column reads).

The arrays are those :func:`~rsnprop.sem.data.prepare_data` returns, to the bit (the same floats,
the same rows, the same C-contiguous layout): the groups in the order of their first appearance
(:func:`pandas.factorize`), the rows without a group or, by ``missing``, without any value
(``fiml``) or with one missing (``listwise``) dropped.  Anything the frame's array cannot answer
(a model variable not among its columns, a group with fewer than two rows: the error
``prepare_data`` raises) goes to ``prepare_data``.  The frame is held by a weak reference: an
entry ends with its frame.  Tested against ``prepare_data`` (``tests/test_sem_frame_arrays.py``).
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

__all__ = ["keep_frame_arrays", "frame_arrays"]

#: ``id(frame) -> (weak reference to the frame, columns, values, group column's values)``
_KEPT: dict = {}


def keep_frame_arrays(frame, columns, values, group, group_values):
    """Remember that the columns ``columns`` of ``frame`` are the columns of the float array
    ``values`` (rows of the frame in order) and its column ``group`` the array ``group_values``."""
    key = id(frame)
    _KEPT[key] = (weakref.ref(frame, lambda _ref, key=key: _KEPT.pop(key, None)), list(columns), values,
                  group, group_values)


def frame_arrays(frame, variables, group, missing):
    """``(arrays, labels, n_dropped, totals)``: :func:`~rsnprop.sem.data.prepare_data`'s result
    for the ``variables`` of ``frame`` by ``group``, and the rows of each group in the frame (those
    :func:`rsnprop.sem.api._sample_sizes` counts), from the kept array (:func:`keep_frame_arrays`);
    None when none is kept for this frame and group, or it cannot answer (module docstring)."""
    kept = _KEPT.get(id(frame))
    if kept is None or kept[0]() is not frame or kept[3] != group or missing not in ("listwise", "fiml"):
        return None
    _, columns, values, _, gvals = kept
    where = {c: k for k, c in enumerate(columns)}
    if any(c not in where for c in variables) or len(gvals) != len(values):
        return None
    x = values[:, [where[c] for c in variables]]
    codes, uniques = pd.factorize(gvals, use_na_sentinel=True)
    labels = [u.item() if hasattr(u, "item") else u for u in uniques]
    answered = ~np.isnan(x)
    keep = (codes >= 0) & (answered.all(axis=1) if missing == "listwise" else answered.any(axis=1))
    arrays = [x[keep & (codes == k)] for k in range(len(labels))]
    if len(labels) < 2 or any(a.shape[0] < 2 for a in arrays):
        return None                                  # prepare_data's error
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    totals = dict(zip(labels, (int(c) for c in counts)))
    return arrays, labels, int(len(x) - sum(a.shape[0] for a in arrays)), totals
