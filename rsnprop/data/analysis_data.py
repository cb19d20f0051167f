"""The analysis-ready data set, the last step of cleaning before the log: the kept firms'
answers with Likert items reverse keyed, one 0/1 column per option of each
``select_multiple`` item, the identifying columns' hashes (``pii: hash``), the born-global
classification (:mod:`.classify`) and the construct scores (:mod:`.scores`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.data.analysis_data import kept_rows
>>> vals = pd.DataFrame({"a": [1.0, 2.0, 7.0], "b": [3.0, 4.0, 5.0]})
>>> kept_rows(vals, np.array([True, False, True]), ["a", "b"], {"a": 8.0}).values.tolist()
[[7.0, 3.0], [1.0, 5.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instrument.scoring import construct_scores
from .classify import classify_born_global
from .validate import LANGUAGE_COLUMN

__all__ = ["analysis_data", "kept_rows"]


def analysis_data(values, kept, ids, cols, instrument, rules, *, languages, cache):
    """The clean data: one row per kept firm (``kept``: boolean array over the input rows).

    Columns: ``resp_id``, ``survey_language`` (when exported: ``languages``), the validated
    items (``cols``: :class:`~rsnprop.data.columns.Columns`) reverse keyed, the
    ``select_multiple`` indicators (``cache``: factorisations made for the skip logic, reused),
    the hashed identifying columns, the classification and the scores.
    """

    items = instrument.items
    reverse = {c: it.scale.min + it.scale.max for c, it in items.items()
               if it.type == "likert" and getattr(it, "reverse", False)}
    out = kept_rows(values, kept, [c for c in cols.value_cols + cols.absent if c in values.columns],
                    reverse)
    multi = _select_multiple_indicators(out, items, kept, cache)
    scores = construct_scores(out, instrument, rules.min_items_for_score, sums=False, partial=True)
    bg = classify_born_global(out, rules.classification)
    pieces = [pd.DataFrame({"resp_id": ids[kept].to_numpy()}, index=out.index), out]
    if languages is not None:
        pieces.insert(1, pd.DataFrame({LANGUAGE_COLUMN: pd.Series(languages[kept], dtype=object,
                                                                  index=out.index)}))
    if multi:   # one column-major block filled in place (no consolidation copy)
        block = np.empty((len(out), len(multi)), order="F")
        for j, (hit, codes_c) in enumerate(multi.values()):
            np.take(hit, codes_c, out=block[:, j], mode="wrap")   # -1 -> NaN
        pieces.append(pd.DataFrame(block, columns=list(multi), index=out.index, copy=False))
    if cols.hashed:
        pieces.append(pd.DataFrame({c: h[kept] for c, h in cols.hashed.items()}, index=out.index))
    pieces += [bg, scores]
    return pd.concat(pieces, axis=1).reset_index(drop=True)


def _select_multiple_indicators(out, items, kept, cache) -> dict:
    """``{"<item>_<code>": (hit, codes)}`` for every option of every ``select_multiple`` item:
    ``hit[codes]`` is the 0/1 column (NaN where unanswered: code -1 picks the last entry)."""

    multi = {}
    for c in out.columns:
        it = items[c]
        if it.type == "select_multiple":
            if ("factorize", c) in cache:     # factorised for the skip logic already
                codes_c, uniq = cache[("factorize", c)]
                codes_c = codes_c[kept]
            else:
                codes_c, uniq = pd.factorize(out[c], use_na_sentinel=True)
                codes_c = np.asarray(codes_c)
            toks = [set(str(u).split(" ")) for u in uniq]
            for code in getattr(it, "choices", {}) or {}:
                hit = np.array([float(str(code) in t) for t in toks] + [np.nan])
                multi[f"{c}_{code}"] = (hit, codes_c)   # hit[codes_c]: code -1 -> NaN
    return multi


def kept_rows(values, kept, columns, reverse):
    """``values.loc[kept, columns]`` with Likert columns reverse keyed (``lo + hi - x``, as
    :func:`~rsnprop.data.recode.reverse_key`): the float columns are gathered straight into
    one column-major block and reversed in place there, the others inserted beside it."""

    rows = np.flatnonzero(kept)
    num = [c for c in columns if values[c].dtype == np.float64]
    block = np.empty((len(rows), len(num)), order="F")
    for j, c in enumerate(num):
        np.take(values[c].to_numpy(), rows, out=block[:, j], mode="clip")  # clip: unbuffered
        if c in reverse:
            np.subtract(reverse[c], block[:, j], out=block[:, j])
    out = pd.DataFrame(block, columns=num, copy=False)
    is_num = set(num)
    for pos, c in enumerate(columns):
        if c not in is_num:
            col = values[c]
            x = col.to_numpy()[rows]
            if c in reverse:      # a Likert column not held as float64 (all missing...)
                x = reverse[c] - pd.to_numeric(pd.Series(x), errors="coerce").to_numpy()
            out.insert(pos, c, pd.Series(x, dtype=col.dtype if c not in reverse else None))
    return out
