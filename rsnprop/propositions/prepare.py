"""Build the analysis frame from the clean data set: benefit scores, D, group, controls.

The frame has one row per firm with the columns ``resp_id`` (when present),
``relational``, ``informational`` (row means of the plan's ``score_<construct>``
columns), ``D = relational - informational``, ``bg`` (1 born global, 0 traditional),
``group`` ("born_global" / "traditional") and the control columns (numeric; a categorical
control such as ``sector`` becomes 0/1 dummy columns ``sector[T.X]``, first level dropped).

Derived controls (computed when the clean data have no column of that name):
``firm_age = survey_year - founding_year``, ``log_employees = log(1 + employees)`` and
``log_rsn_hours = log(1 + rsn_hours)`` (resources devoted to RSN).

Examples
--------
>>> import pandas as pd
>>> from rsnprop.propositions.plan import StudyPlan
>>> df = pd.DataFrame({"score_relational": [5.0, 3.0, 4.0], "score_informational": [4.0, 4.0, 4.0],
...                    "bg_ms20": [1, 0, None]})
>>> frame, notes = analysis_frame(df, StudyPlan(name="x"))
>>> frame[["D", "bg"]].to_dict("list")
{'D': [1.0, -1.0], 'bg': [1, 0]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["analysis_frame", "control_matrix", "ITEM_PREFIX", "items_of", "to_indicator", "scale_score",
           "AnalysisFrames", "observed_frames", "cached_frame", "group_rows", "group_scores",
           "group_scores_each", "group_subset", "score_arrays"]

#: item-id prefix of each construct (CONTRIBUTING.md); used for complete-case deletion
ITEM_PREFIX = {"relational": "rel_", "informational": "inf_", "risk_reduction": "rsk_",
               "intl_approach": "ia_"}

_DERIVED = {
    "firm_age": ("survey_year", "founding_year"),
    "log_employees": ("employees",),
    "log_rsn_hours": ("rsn_hours",),
}


class _SharedDict(dict):
    """A dict of ``DataFrame.attrs`` that is never modified: pandas deep-copies ``attrs`` into
    every Series and frame derived from the frame (each column read), so a value that
    deep-copies to itself saves that copy (about 10 us per column read)."""

    def __deepcopy__(self, memo):
        return self


class _SharedList(list):
    """A list of ``DataFrame.attrs`` that is never modified (see :class:`_SharedDict`)."""

    def __deepcopy__(self, memo):
        return self


def to_indicator(series):
    """A 0/1 column as floats: numbers as they are, booleans and "true"/"yes"/"1" /
    "false"/"no"/"0" text as 1.0 / 0.0, anything else missing.

    >>> import pandas as pd
    >>> to_indicator(pd.Series(["yes", "No", "maybe"])).tolist(), to_indicator(pd.Series([1, 0, None])).tolist()
    ([1.0, 0.0, <NA>], [1.0, 0.0, nan])
    """

    s = series
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("float")
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().sum() == 0 and s.notna().any():
        low = s.astype("string").str.strip().str.lower()
        return low.map({"true": 1.0, "yes": 1.0, "1": 1.0, "false": 0.0, "no": 0.0, "0": 0.0})
    return num


def items_of(columns, construct):
    """The item columns of ``construct`` among ``columns`` (``rel_1``, ``rel_2``... for
    ``relational``; :data:`ITEM_PREFIX`).

    >>> items_of(["rel_1", "rel_x", "inf_2", "rel_10"], "relational")
    ['rel_1', 'rel_10']
    """
    prefix = ITEM_PREFIX.get(construct, construct + "_")
    pat = re.compile(rf"^{re.escape(prefix)}\d+$")
    return [c for c in columns if pat.match(str(c))]


def scale_score(df, names):
    """Row mean of the score columns ``names`` (NaN when one of them is missing)."""

    block = df[names]
    if any(str(t) != "float64" for t in block.dtypes):     # to_numeric leaves float64 as it is
        block = block.apply(pd.to_numeric, errors="coerce")
    return block.mean(axis=1, skipna=False)


def analysis_frame(clean_df, plan, *, bg_definition=None, missing=None, careless=None,
                   controls=None, extra=()):
    """Return ``(frame, notes)``: the analysis frame and a list of warnings (str).

    Parameters
    ----------
    clean_df : DataFrame
        The clean data (CONTRIBUTING.md columns).
    plan : StudyPlan
    bg_definition, missing : str, optional
        Override the plan (used by the multiverse).  ``"multiple_imputation"`` gives the
        available-item frame (the imputed frames are built by
        :mod:`rsnprop.propositions.imputation`).
    careless : CarelessRule, optional
        Drop rows where any of its flag columns is true.
    controls : list of str, optional
        Control columns to add (default: none; the caller passes ``plan.controls``).
    extra : sequence of str
        Further clean-data columns copied unchanged when present (e.g. ``phase``, ``sector``).

    Raises
    ------
    InputError
        When the born-global column or a benefit score column is missing.
    """

    out, notes, _ = _frame_and_arrays(clean_df, plan, bg_definition=bg_definition, missing=missing,
                                      careless=careless, controls=controls, extra=extra)
    return out, notes


def _frame_and_arrays(clean_df, plan, *, bg_definition=None, missing=None, careless=None, controls=None,
                      extra=()):
    """``(frame, notes, arrays)``: :func:`analysis_frame` and the frame's columns as the arrays
    it was built from (:attr:`AnalysisFrames.scores`: ``relational``, ``informational``, ``D``,
    ``bg`` and ``group`` as an object array), or the arrays of :func:`score_arrays` when a
    score is not a float array."""
    notes: list[str] = []
    bg_col = bg_definition or plan.born_global_definition
    cols = _check_columns(clean_df, plan, bg_col)
    # on arrays, each frame built once (a column insert, a row selection or a .loc per column
    # cost more than the tests at a few hundred firms, in every power replication)
    keep = _careless_keep(clean_df, careless)
    scores, keep = _benefit_scores(clean_df, plan, cols, missing or plan.missing, keep, notes)
    bg = _born_global(clean_df, bg_col)
    d = _floats(scores["D"])
    counts = _counts(bg, d, keep, bg_col)
    rows = _usable_rows(bg, d, keep, counts, bg_col, notes)
    out, arrays = _final_frame(clean_df, rows, scores, bg, extra, controls, notes)
    out.attrs["bg_definition"] = bg_col
    out.attrs["counts"] = _SharedDict(counts)
    return out, notes, arrays


def _check_columns(df, plan, bg_col) -> dict:
    """``{"relational": [score columns], "informational": [...]}``, once the born-global and
    score columns are known to be in ``df``."""
    if bg_col not in df.columns:
        raise InputError("born-global classification column not in the clean data",
                         column=bg_col, parameter="born_global_definition")
    cols = {"relational": plan.relational_columns(), "informational": plan.informational_columns()}
    for kind, names in cols.items():
        for c in names:
            if c not in df.columns:
                raise InputError(f"{kind} score column not in the clean data", column=c,
                                 parameter=f"benefits.{kind}")
    return cols


def _careless_keep(df, careless):
    """Boolean array: the rows that no flag of the careless rule marks."""

    keep = np.ones(len(df), dtype=bool)
    if careless is not None and careless.flags:
        for f in careless.flags:
            if f not in df.columns:
                raise InputError("careless-response flag column not in the clean data", column=f,
                                 parameter=f"multiverse.careless.{careless.name}")
            keep &= ~(to_indicator(df[f]).fillna(0) > 0).to_numpy(dtype=bool)
    return keep


def _score_array(df, names):
    """:func:`scale_score`: a single float64 score column as a float array (its row mean over
    one column), else the Series of :func:`scale_score` (whose dtype the frame keeps)."""
    if len(names) == 1:
        col = df[names[0]]        # read once (a column read costs 10-20 us)
        if str(col.dtype) == "float64":
            return col.to_numpy(dtype=float)
    return scale_score(df, names)


def _floats(values):
    """An array or Series of numbers as a float array (missing values NaN)."""
    return values if isinstance(values, np.ndarray) else values.to_numpy(dtype=float, na_value=np.nan)


def _benefit_scores(df, plan, cols, missing, keep, notes):
    """``(scores, keep)``: ``relational``, ``informational`` and ``D`` (:func:`_score_array`), and
    ``keep`` narrowed to the firms with every benefit item under ``complete_cases``."""

    scores = {}
    for kind, names in cols.items():
        if missing == "complete_cases":
            constructs = plan.benefits.relational if kind == "relational" else plan.benefits.informational
            items = [i for c in constructs for i in items_of(df.columns, c)]
            if not items:
                notes.append(f"complete_cases: no item columns found for {kind}; scale scores used")
            else:
                keep = keep & df[items].apply(pd.to_numeric, errors="coerce").notna().all(axis=1).to_numpy(bool)
        scores[kind] = _score_array(df, names)
    scores["D"] = scores["relational"] - scores["informational"]
    return scores, keep


def _born_global(df, bg_col):
    """The born-global column as an array of 1.0 / 0.0 / NaN; any other value is an error.
    A float64 column (what the clean writes) is its own indicator (:func:`to_indicator`
    leaves numbers as they are) and is checked on its array."""

    col = df[bg_col]
    if col.dtype == np.float64:
        bg = col.to_numpy(dtype=float, na_value=np.nan)
        if not ((bg != 0.0) & (bg != 1.0) & ~np.isnan(bg)).any():
            return bg
    bg = to_indicator(col)
    bad = bg.notna() & ~bg.isin([0.0, 1.0])
    if bad.any():
        i = bad.idxmax()
        raise InputError("born-global column must be 0/1 (or true/false)", column=bg_col,
                         row=int(i) if isinstance(i, (int, np.integer)) else str(i), value=df[bg_col][i])
    return bg.to_numpy(dtype=float, na_value=np.nan)


def _usable_rows(bg, d, keep, counts, bg_col, notes):
    """The positions of the rows kept by the rules with D and the group known; a note says
    why the others are left out."""
    rows = np.flatnonzero(keep & ~np.isnan(d) & ~np.isnan(bg))
    dropped = bg.size - rows.size
    if dropped:
        why = [f"{counts['unclassified']} not classified ({bg_col} unknown)" if counts["unclassified"] else "",
               f"{counts['missing_score']} without both benefit scores" if counts["missing_score"] else "",
               f"{counts['excluded_by_rule']} by careless/complete-case rule" if counts["excluded_by_rule"] else ""]
        notes.append(f"{dropped} of {bg.size} firms left out: " + ", ".join(w for w in why if w))
    return rows


def _final_frame(df, rows, scores, bg, extra, controls, notes):
    """``(frame, arrays)``: the analysis frame of the ``rows`` (positions) of ``df``, numbered
    from 0: ``resp_id``, the scores, ``bg`` as int, ``group``, the ``extra`` columns of ``df``
    and the control columns (:func:`control_matrix`; their names in ``attrs["controls"]``);
    ``arrays``: see :func:`_frame_and_arrays`."""

    final = {}
    if "resp_id" in df.columns:
        rid = df["resp_id"]
        final["resp_id"] = _take(rid, rows) if isinstance(rid.dtype, pd.StringDtype) else rid.iloc[rows]
    for kind in ("relational", "informational", "D"):
        final[kind] = scores[kind][rows] if isinstance(scores[kind], np.ndarray) else scores[kind].iloc[rows]
    final["bg"] = bg[rows].astype(int)
    final["group"] = np.where(final["bg"] == 1, "born_global", "traditional")
    arrays = None
    if all(isinstance(final[k], np.ndarray) and final[k].dtype == np.float64
           for k in ("relational", "informational", "D")):
        arrays = {k: final[k] for k in ("relational", "informational", "D", "bg")}
        arrays["group"] = final["group"].astype(object)
    for c in extra:
        if c in df.columns and c not in final:
            final[c] = _take(df[c], rows)
    ctrl_cols = []
    if controls:
        ctrl, cnotes = control_matrix(df.iloc[rows], controls)
        notes.extend(cnotes)
        for c in ctrl.columns:
            final[c] = ctrl[c]
        ctrl_cols = list(ctrl.columns)
    index = pd.RangeIndex(rows.size)     # the columns taken from df lose their labels
    final = {c: v.set_axis(index) if isinstance(v, pd.Series) else v for c, v in final.items()}
    out = pd.DataFrame(final, index=index)
    out.attrs["controls"] = _SharedList(ctrl_cols)
    return out, arrays if arrays is not None else score_arrays(out)


def _take(col, rows):
    """The values of the Series ``col`` at the positions ``rows``, their dtype kept: a NumPy
    array for numbers and booleans (a frame built from it has the same dtype), else the
    Series' own rows (text, categories and extension types stay what they are)."""
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biuf":
        return col.to_numpy()[rows]
    if isinstance(col.dtype, pd.StringDtype):   # the rows of its array (what iloc takes)
        return col.array.take(rows)
    return col.iloc[rows]


def _counts(bg, d, keep, bg_col) -> dict:
    """Rows given and why rows are left out (before any row is dropped): ``n_total``,
    ``unclassified`` (born-global column missing), ``missing_score`` (classified, but D
    unknown), ``excluded_by_rule`` (careless / complete-case rule) and ``given``: classified
    firms per group (``{"born_global": n, "traditional": n}``), the ``n_total`` of each group."""
    known, d_known = ~np.isnan(bg), ~np.isnan(d)
    return {"n_total": int(bg.size), "bg_definition": bg_col,
            "unclassified": int((~known).sum()),
            "missing_score": int((known & ~d_known).sum()),
            "excluded_by_rule": int((~keep & known & d_known).sum()),
            "given": {"born_global": int((bg == 1).sum()), "traditional": int((bg == 0).sum())}}


def control_matrix(df, controls, *, min_level=5):
    """Numeric design columns for ``controls`` (dummies for text columns); ``(frame, notes)``.

    Levels of a categorical control with fewer than ``min_level`` firms are pooled into
    ``"other"`` (tiny cells make HC3 standard errors explode: leverage near 1).

    A control the data do not have (and cannot derive) is left out with a note; a constant
    control is left out with a note.  Missing values stay NaN (the model drops those rows).
    """

    notes: list[str] = []
    out = {}
    for name in controls:
        if name in df.columns:
            col = df[name]
        elif name in _DERIVED and all(c in df.columns for c in _DERIVED[name]):
            src = [pd.to_numeric(df[c], errors="coerce") for c in _DERIVED[name]]
            col = src[0] - src[1] if name == "firm_age" else np.log1p(src[0].clip(lower=0))
        else:
            notes.append(f"control '{name}' not in the data; left out")
            continue
        num = pd.to_numeric(col, errors="coerce")
        is_text = num.notna().sum() < col.notna().sum()
        if name in ("sector",) or is_text:
            cat = col.astype("string")
            counts = cat.value_counts()
            rare = [lv for lv, c in counts.items() if c < min_level]
            if rare and len(rare) < len(counts):
                cat = cat.where(~cat.isin(rare), "other")
                notes.append(f"control '{name}': levels {', '.join(sorted(map(str, rare)))} "
                             f"(< {min_level} firms) pooled as 'other'")
            levels = sorted(cat.dropna().unique())
            if len(levels) < 2:
                notes.append(f"control '{name}' has fewer than 2 levels; left out")
                continue
            unknown = cat.isna().to_numpy()
            labels = cat.to_numpy(dtype=object, na_value=None)
            for lev in levels[1:]:     # 1 / 0, NaN where the level is unknown
                out[f"{name}[T.{lev}]"] = np.where(unknown, np.nan, (labels == lev).astype(float))
        else:
            if num.nunique(dropna=True) < 2:
                notes.append(f"control '{name}' is constant; left out")
                continue
            out[name] = num.astype(float).to_numpy()
    return pd.DataFrame(out, index=df.index), notes


@dataclass
class AnalysisFrames:
    """What the tests of one specification run on (step 1 of
    :func:`rsnprop.propositions.evaluate.evaluate_spec`).

    ``frame`` is the analysis frame of the observed scores (available items under multiple
    imputation): descriptives, secondary evidence and counts use it.  ``frames`` are the frames
    the primary tests run on: ``[frame]``, or one per imputed data set; ``shared`` says that they
    all have the first one's rows, groups and controls (so the rows of a group are found once);
    ``mi`` is the imputation info (None without imputation: there is nothing to pool).
    ``scores`` (with ``shared`` frames, else None): per frame, its columns ``relational``,
    ``informational`` and ``D`` as float arrays (``frame[name].to_numpy(float)``,
    :func:`score_arrays`), so that the tests read them without pandas (the one observed frame's
    too, with its ``bg`` and ``group`` columns when the frame was built from float scores:
    ``bg`` an int array, ``group`` an object array of str).
    """

    frame: object
    notes: list
    frames: list = field(default_factory=list)
    shared: bool = True
    mi: dict | None = None
    scores: list | None = None


def observed_frames(clean_df, plan, *, bg_definition=None, careless=None, missing=None,
                    controls=None, extra=(), cache=None) -> AnalysisFrames:
    """The missing-data step for ``available`` and ``complete_cases``: one analysis frame
    (:func:`analysis_frame`, kept in ``cache``, see :func:`cached_frame`).

    >>> import pandas as pd
    >>> from rsnprop.propositions.plan import StudyPlan
    >>> df = pd.DataFrame({"score_relational": [5.0, 3.0], "score_informational": [4.0, 4.0],
    ...                    "bg_ms20": [1, 0]})
    >>> prepared = observed_frames(df, StudyPlan(name="x"))
    >>> len(prepared.frames), prepared.mi
    (1, None)
    """
    frame, notes, arrays = _cached_frame_arrays(cache, clean_df, plan, bg_definition=bg_definition,
                                                missing=missing, careless=careless, controls=controls,
                                                extra=extra)
    return AnalysisFrames(frame=frame, notes=notes, frames=[frame], scores=[arrays])


def score_arrays(frame) -> dict:
    """``{"relational", "informational", "D"}``: those columns of ``frame`` as float arrays
    (:attr:`AnalysisFrames.scores`), read once for the tests and descriptives of a frame."""
    return {k: frame[k].to_numpy(float) for k in ("relational", "informational", "D")}


def cached_frame(cache, clean_df, plan, **kw):
    """``analysis_frame(clean_df, plan, **kw)``, kept in ``cache`` (a dict, or None for no
    cache) for the specifications that differ only in the estimator.  The frame is shared:
    callers must not modify it; the notes are a fresh list."""
    frame, notes, _ = _cached_frame_arrays(cache, clean_df, plan, **kw)
    return frame, notes


def _cached_frame_arrays(cache, clean_df, plan, **kw):
    """:func:`cached_frame` with the frame's arrays (:func:`_frame_and_arrays`; shared too)."""
    if cache is None:
        return _frame_and_arrays(clean_df, plan, **kw)
    care = kw.get("careless")
    key = ("frame", id(clean_df), kw.get("bg_definition"), kw.get("missing"),
           None if care is None else (care.name, tuple(care.flags)),
           tuple(kw.get("controls") or ()), tuple(kw.get("extra") or ()))
    if key not in cache:
        cache[key] = _frame_and_arrays(clean_df, plan, **kw)
    frame, notes, arrays = cache[key]
    return frame, list(notes), arrays


def group_rows(frame, group, controls, labels=None):
    """``(mask, X)``: boolean mask of the ``group`` firms with every control known, and their
    control matrix (controls constant within the group dropped: the intercept absorbs them;
    ``None`` without controls or when none is left).  ``labels``: the frame's ``group`` column
    as an array, when the caller has it."""

    mask = (frame["group"].to_numpy() if labels is None else labels) == group
    X = None
    if controls:
        X_all = np.column_stack([frame[c].to_numpy(float) for c in controls])
        mask &= ~np.isnan(X_all).any(axis=1)
        X = np.asfortranarray(X_all[mask])       # the layout DataFrame.to_numpy gives
        keep = X.std(axis=0) > 0 if len(X) else []
        X = X[:, keep] if len(X) else X
        X = X if X.size and X.shape[1] else None
    return mask, X


def group_scores(frame, group, controls):
    """``(rel, inf, X, n)`` of the ``group`` firms with every control known (see
    :func:`group_rows`); numpy arrays only, for the inner loops."""
    mask, X = group_rows(frame, group, controls)
    return (frame["relational"].to_numpy(float)[mask], frame["informational"].to_numpy(float)[mask],
            X, int(mask.sum()))


def group_scores_each(frames, shared, group, controls, scores=None):
    """:func:`group_scores` of every frame; with ``shared`` frames (same rows, groups and
    controls) the rows and X are found once, and the scores are taken from ``scores``
    (:attr:`AnalysisFrames.scores`) when given."""
    if not shared:
        return [group_scores(f, group, controls) for f in frames]
    mask, X = group_rows(frames[0], group, controls, None if scores is None else scores[0].get("group"))
    n = int(mask.sum())
    if scores is None:
        scores = [{k: f[k].to_numpy(float) for k in ("relational", "informational")} for f in frames]
    return [(s["relational"][mask], s["informational"][mask], X, n) for s in scores]


def group_subset(frame, group, controls):
    """``(rel, inf, X, sub)``: as :func:`group_scores`, with the rows as a DataFrame ``sub``."""
    mask, X = group_rows(frame, group, controls)
    sub = frame[mask]
    return sub["relational"].to_numpy(float), sub["informational"].to_numpy(float), X, sub
