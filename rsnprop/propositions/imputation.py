"""``missing: multiple_imputation``: the primary tests on m imputed data sets, pooled with
Rubin's rules.

In the flow of one specification (:func:`rsnprop.propositions.evaluate.evaluate_spec`) this
module is two steps: the missing-data step :func:`imputed_frames` (step 1, in place of
:func:`rsnprop.propositions.prepare.observed_frames`) and the pooling step :func:`pool_tests`
(step 3); the tests in between are the same as without imputation
(:mod:`rsnprop.propositions.primary`).

Steps (one specification = born-global definition x careless rule):

1. Firms: those the careless rule keeps whose born-global classification is known.
2. Imputation: the items of every relational and informational construct of the plan
   (``rel_1``, ``inf_1``... of ``plan.benefits``), with the born-global indicator as an
   auxiliary variable (the analysis compares the groups, so the imputation model must let
   the items depend on the group), are imputed ``plan.imputation.m`` times with
   :func:`rsnprop.data.multiple_imputation` (bootstrapped EM, Amelia-style), seeded with
   ``plan.imputation.effective_seed``; imputed answers are clipped to the answer scale
   (``plan.imputation.bounds``, default: the smallest and largest observed answer).
3. Scores: in each imputed data set ``score_<construct>`` is the mean of the construct's
   items (as in the clean data, now with every item present); the analysis frame is then
   built exactly as for ``missing: available`` (:func:`rsnprop.propositions.prepare.analysis_frame`).
4. Tests: the plan's estimator (``t`` or ``hc3``) is run on each imputed frame; the mean
   difference / regression coefficient ``Q_i`` and its squared standard error ``U_i`` are
   pooled with :func:`rsnprop.data.pool_rubin` (= ``mice::pool.scalar``): estimate
   ``qbar``, total variance ``T = ubar + (1 + 1/m) b``, Barnard-Rubin (1999) df with the
   test's own complete-data df.  ``t = qbar / sqrt(T)``; one-sided p-values from the t
   distribution (``pt(t, df, lower.tail = FALSE)``), 95 % CI ``qbar +/- qt(.975, df) sqrt(T)``.
   The equivalence (TOST) rows use the pooled estimate, SE and df in the two one-sided
   tests; a standardised SESOI bound is ``value x`` the mean over imputations of the SD.
5. Effect sizes: the mean over the imputations (no accepted pooling rule; said in the row's
   note).  Their interval is the pooled CI of the estimate divided by the mean SD (OLS rows,
   as in the complete-data rows) or the noncentral-t interval at the pooled ``t`` and df
   (d_z of the Student t rows).

Every pooled row records ``mi_m``, ``mi_seed``, ``fmi`` (fraction of missing
information), ``riv`` (relative increase in variance), ``df_complete``, ``se`` and
``n_imputed`` (imputed item answers among the analysed firms); its ``note`` says the same in
words.  The ``rank`` estimator (Wilcoxon / Mann-Whitney with Hodges-Lehmann estimates) has
no accepted pooling rule: with multiple imputation its rows are ``not_available``.

When no benefit item is missing the m imputations are identical and the result is the
complete-data analysis: ``df`` is then the complete-data df (Barnard-Rubin's formula would
give ``v (v + 1) / (v + 3)`` even without missing information) and ``fmi = 0``.

Descriptives and the secondary evidence (robustness rows, cross-checks, continuous models)
use the available-item scores (``spec["frame"]``); the pooled analysis is in the primary and
equivalence rows.

Examples
--------
>>> from rsnprop.propositions import StudyPlan
>>> from rsnprop.propositions.evaluate import evaluate_spec
>>> from rsnprop.propositions.synthetic import synthetic_clean
>>> df = synthetic_clean(200, "p1p2", 0.5, seed=3, missing_rate=0.15)
>>> plan = StudyPlan(name="demo", missing="multiple_imputation", imputation={"m": 5})
>>> spec = evaluate_spec(df, plan, bayes=False)
>>> row = spec["primary"]["P2"]
>>> row["mi_m"], row["mi_seed"], 0 < row["fmi"] < 1, spec["decision"]["verdicts"]["P2"]
(5, 20240917, True, 'supported')

R pools the same per-imputation estimates with ``mice::pool.scalar(Q, U, n = df + 1, k = 1)``
(tests/reference/propositions_mi.R).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..data.missing import completed_frame, imputed_values, pool_rubin
from ..errors import InputError
from .effect_sizes import nct_ci
from .paired import evidence_row
from .prepare import AnalysisFrames, analysis_frame, cached_frame, items_of, scale_score, to_indicator
from .student_t import t_cdf, t_ppf, t_sf

__all__ = ["imputed_datasets", "imputed_frames", "pool_row", "pool_tost", "pool_tests", "RANK_NOTE"]

#: note of the rank rows under multiple imputation
RANK_NOTE = ("not available with multiple imputation: there is no accepted rule for pooling "
             "Wilcoxon / Mann-Whitney tests or Hodges-Lehmann estimates over imputations; "
             "use the t or hc3 estimator")


def imputed_datasets(clean_df, plan, *, bg_definition=None, careless=None):
    """The m imputed versions of the clean data's analysable firms.

    Returns ``(datasets, info)``: a list of m DataFrames (rows of ``clean_df`` kept by the
    careless rule with a known born-global classification; benefit items imputed and
    ``score_<construct>`` recomputed as the item mean) and a dict ``{"m", "seed", "bounds",
    "items", "n", "n_imputed"}``.

    Raises
    ------
    InputError
        When a benefit construct has no item columns in the clean data (``parameter =
        "missing"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.propositions import StudyPlan
    >>> df = pd.DataFrame({"rel_1": [5., 4, np.nan, 6, 3, 5], "rel_2": [4., 4, 5, 6, 3, np.nan],
    ...                    "inf_1": [3., 5, 4, 4, np.nan, 5], "inf_2": [3., 4, 4, 5, 4, 4],
    ...                    "bg_ms20": [1, 0, 1, 0, 1, 0]})
    >>> plan = StudyPlan(name="x", missing="multiple_imputation", imputation={"m": 2, "seed": 1})
    >>> sets, info = imputed_datasets(df, plan)
    >>> len(sets), info["n_imputed"], info["bounds"], bool(sets[0]["score_relational"].notna().all())
    (2, 3, [3.0, 6.0], True)

    The same imputation model in R: ``Amelia::amelia(x, m = 2, bounds = ...)`` on the items
    and the born-global indicator.
    """

    imputed = _impute(clean_df, plan, bg_definition=bg_definition, careless=careless)
    return [imputed.dataset(i) for i in range(len(imputed.imps))], imputed.info


class _Frames:
    """The m imputed data sets of :func:`rsnprop.data.missing.imputed_values` (``values``: one
    array per imputation, columns ``cols`` of ``data``) as a sequence of frames, each built
    (:func:`rsnprop.data.missing.completed_frame`: the frame
    :func:`rsnprop.data.multiple_imputation` returns) when first read and kept."""

    def __init__(self, data, cols, values):
        self.data, self.cols, self.values = data, cols, values
        self._built = {}

    def __len__(self):
        return len(self.values)

    def __getitem__(self, i):
        if i not in self._built:
            self._built[i] = completed_frame(self.data, self.cols, self.values[i])
        return self._built[i]


class _Imputed:
    """The m imputations of one data set, born-global definition and careless rule
    (:func:`_impute`): ``sub`` (the analysable firms of the clean data), ``imps`` (the frames
    of :func:`rsnprop.data.multiple_imputation`, :class:`_Frames`: the items and the group
    indicator), ``items`` (``{construct: item columns}``) and ``info``.  :meth:`dataset` builds
    the clean data of one imputation (what :func:`imputed_datasets` returns),
    :meth:`benefit_scores` only its benefit scores (all an imputed analysis frame takes from it
    after the first, :func:`_frames_of`), from the imputation's array without its frame."""

    def __init__(self, sub, imps, items, info):
        self.sub, self.imps, self.items, self.info = sub, imps, items, info
        self._columns = imps[0].columns if len(imps) else None
        # the positions that ``d[its]`` looks up by name (about 0.25 ms a lookup with pandas'
        # string columns), once: ``d.take(positions, axis=1)`` is what ``d[its]`` returns
        self._positions = {c: self._columns.get_indexer(its) for c, its in items.items()} if len(imps) else {}
        # the columns in the order pandas sums a row of d.take(positions, axis=1) (every frame
        # of imps has the first one's block layout: built the same way)
        self._order = {c: _row_sum_order(imps[0], pos) for c, pos in self._positions.items()}

    def _scores(self, i):
        """``{score_<construct>: item mean}`` of imputation ``i`` (``d[its].mean(axis=1)``)."""
        if not isinstance(self.imps, _Frames):
            d = self.imps[i]
            return {f"score_{c}": d[its].mean(axis=1).to_numpy() for c, its in self.items.items()}
        y = self.imps.values[i]
        return {f"score_{c}": (row_mean_of_columns(y, self._order[c]) if self._order[c] is not None
                               else self.imps[i].take(self._positions[c], axis=1).mean(axis=1).to_numpy())
                for c in self.items}

    def dataset(self, i):
        """The clean data of the analysable firms with the items and scores of imputation ``i``."""
        data = self.sub.copy()
        items = self.info["items"]
        if isinstance(self.imps, _Frames) and self.imps.cols[:len(items)] == list(items):
            data[items] = self.imps.values[i][:, :len(items)]     # the frame's columns' values
        else:
            data[items] = self.imps[i][items].to_numpy()
        for name, values in self._scores(i).items():
            data[name] = values
        return data

    def benefit_scores(self, i, plan):
        """``(relational, informational)`` of imputation ``i``: :func:`scale_score` of
        :meth:`dataset` ``(i)``'s columns ``plan.relational_columns()`` and
        ``plan.informational_columns()``, as arrays.  One score column is its own row mean (as
        in :func:`rsnprop.propositions.prepare.analysis_frame`), so it is taken from the scores
        alone; a mean of several is taken over the data set itself (pandas sums a row over the
        blocks of a frame, so the frame is the same)."""
        scores = self._scores(i)
        data = None
        out = []
        for names in (plan.relational_columns(), plan.informational_columns()):
            if len(names) == 1 and names[0] in scores:
                out.append(scores[names[0]])
                continue
            if data is None:
                data = self.dataset(i)
            out.append(scale_score(data, names).to_numpy())
        return tuple(out)


def _impute(clean_df, plan, *, bg_definition=None, careless=None) -> _Imputed:
    """The imputations of :func:`imputed_datasets`, before the data sets are built."""

    bg_col = bg_definition or plan.born_global_definition
    keep = to_indicator(clean_df[bg_col]).notna()
    if careless is not None:
        for f in careless.flags:
            keep &= ~(to_indicator(clean_df[f]).fillna(0) > 0)
    constructs = [*plan.benefits.relational, *plan.benefits.informational]
    items = {}
    for c in constructs:
        found = items_of(clean_df.columns, c)
        if not found:
            raise InputError(f"multiple imputation needs the item columns of construct '{c}' "
                             "in the clean data (none found)", column=f"score_{c}",
                             parameter="missing", value="multiple_imputation")
        items[c] = found
    all_items = [i for c in constructs for i in items[c]]
    sub = clean_df.loc[keep]
    x = sub[all_items].apply(pd.to_numeric, errors="coerce").astype("float64")
    x["_bg"] = to_indicator(sub[bg_col]).astype("float64")
    for c, its in items.items():
        empty = [i for i in its if x[i].isna().all()]
        if empty:
            raise InputError(f"item never answered by the analysed firms of construct '{c}'; "
                             "it cannot be imputed", column=empty[0], parameter="missing",
                             value="multiple_imputation")
    imp = plan.imputation
    if imp.bounds is not None:
        bounds = (float(imp.bounds[0]), float(imp.bounds[1]))
    else:
        vals = x[all_items].to_numpy()
        bounds = (float(np.nanmin(vals)), float(np.nanmax(vals)))
    n_imputed = int(x[all_items].isna().to_numpy().sum())
    seed = imp.effective_seed
    cols, values = imputed_values(x, columns=all_items + ["_bg"], m=imp.m, seed=seed,
                                  bounds={i: bounds for i in all_items})
    imps = _Frames(x, cols, values)
    info = {"m": imp.m, "seed": seed, "bounds": list(bounds), "items": all_items,
            "n": int(len(sub)), "n_imputed": n_imputed}
    return _Imputed(sub, imps, items, info)


def _row_sum_order(frame, positions):
    """The columns (positions in ``frame``) in the order in which pandas sums each row of
    ``frame.take(positions, axis=1)`` for ``.mean(axis=1)``: block by block
    (``DataFrame._reduce_axis1``) when the taken frame has several blocks, each one float64
    column; None for any other layout (the mean is then pandas' own)."""
    blocks = frame.take(positions, axis=1)._mgr.blocks
    if len(blocks) < 2 or not all(isinstance(b.values, np.ndarray) and b.values.dtype == np.float64
                                  and b.values.shape[0] == 1 for b in blocks):
        return None
    return [int(positions[b.mgr_locs.as_array[0]]) for b in blocks]


def row_mean_of_columns(y, order):
    """Row means of the columns ``order`` of the float64 array ``y`` (missing values skipped,
    NaN where a row has none), with pandas' arithmetic for a frame of one-column blocks in that
    order (:func:`_row_sum_order`): each column's sum over its block (missing values as 0, a
    reduction from 0.0, so -0.0 becomes 0.0), the columns added one after the other, the sum
    divided by the row's count of values.

    >>> import numpy as np
    >>> row_mean_of_columns(np.array([[1.0, 2.0, np.nan], [np.nan, np.nan, np.nan]]), [2, 0, 1]).tolist()
    [1.5, nan]
    """
    total = None
    count = np.zeros(y.shape[0], dtype=np.intp)
    for j in order:
        v = y[:, j]
        nan = np.isnan(v)
        part = np.where(nan, 0.0, v)[None, :].sum(axis=0)     # nansum of a one-column block
        total = part if total is None else np.add(total, part)
        count += ~nan
    null = count == 0
    total[~null] /= count[~null]
    total[null] = np.nan
    return total


def _se(row):
    """Standard error of a complete-data row's estimate."""

    if row.get("se") is not None:
        return float(row["se"])
    if row.get("statistic"):
        return float(row["estimate"]) / float(row["statistic"])
    return (row["ci_upper"] - row["ci_lower"]) / (2 * t_ppf(0.975, row["df"]))


def _pool(q, u, df_complete, n_imputed):
    """pool_rubin, with the complete-data df (and fmi = 0) when nothing was imputed."""

    pooled = pool_rubin(np.asarray(q, float), np.asarray(u, float), df_complete=df_complete)
    out = {k: float(v) for k, v in pooled.items()}
    if n_imputed == 0:
        out.update(df=float(df_complete), fmi=0.0, riv=0.0)
    return out


def _mi_note(info, pooled, extra=""):
    return (f"multiple imputation: m = {info['m']} (seed {info['seed']}), {info['n_imputed']} item "
            f"answers imputed; Rubin's rules, Barnard-Rubin df (complete-data df "
            f"{pooled['df_complete']:.6g}); fmi = {pooled['fmi']:.3f}" + (f"; {extra}" if extra else ""))


def pool_row(rows, info, *, confidence=0.95):
    """Pool complete-data evidence rows (one per imputation) into one row.

    ``rows`` are rows of :mod:`rsnprop.propositions.paired` / ``interaction`` from the t or
    hc3 estimator; ``info`` is the ``info`` of :func:`imputed_datasets`.  Returns the
    pooled row (module docstring) with the per-imputation ``estimate`` and ``variance``
    lists under ``per_imputation``.

    Examples
    --------
    >>> from rsnprop.propositions.paired import paired_t
    >>> rows = [paired_t([5, 4, 6, 5, 7], [4, 4, 5, 3, 5.5 + k], expects="relational")
    ...         for k in (0.0, 0.5)]
    >>> row = pool_row(rows, {"m": 2, "seed": 1, "n_imputed": 1})
    >>> round(row["estimate"], 3), round(row["df_complete"]), row["fmi"] > 0
    (1.05, 4, True)

    R: ``mice::pool.scalar(Q, U, n = df + 1, k = 1)`` with ``Q`` the estimates and ``U`` the
    squared standard errors; ``pt(qbar / sqrt(t), df, lower.tail = FALSE)``.
    """

    first = rows[0]
    if any(r.get("status") != "ok" for r in rows):
        bad = next(r for r in rows if r.get("status") != "ok")
        out = dict(bad)
        out["note"] = f"{bad.get('note')} (in at least one imputation)"
        return out
    q = [float(r["estimate"]) for r in rows]
    u = [_se(r) ** 2 for r in rows]
    dfc = float(first["df"])
    p = _pool(q, u, dfc, info["n_imputed"])
    p["df_complete"] = dfc
    est, se, df = p["qbar"], p["se"], p["df"]
    t = est / se
    half = float(t_ppf((1 + confidence) / 2, df)) * se
    es = float(np.mean([r["effect_size"] for r in rows]))
    if first["test"] == "paired t":
        n = first["n"]
        lo, hi = nct_ci(t, df, confidence)
        es_lo, es_hi = lo / math.sqrt(n), hi / math.sqrt(n)
        es_how = "d_z CI from the noncentral t at the pooled t and df"
    else:
        sd = float(np.mean([(r["ci_upper"] - r["ci_lower"]) / (r["es_ci_upper"] - r["es_ci_lower"])
                            for r in rows]))
        es_lo, es_hi = (est - half) / sd, (est + half) / sd
        es_how = "its CI = pooled CI / mean SD"
    out = dict(first)
    out.update(
        test=f"{first['test']}, pooled over {info['m']} imputations", estimate=est,
        ci_lower=est - half, ci_upper=est + half, statistic=t, statistic_name="t", df=df,
        effect_size=es, es_ci_lower=es_lo, es_ci_upper=es_hi,
        p_value=float(t_sf(t, df)), p_opposite=float(t_cdf(t, df)), bf10=None,
        ci_level=confidence,
        se=se, fmi=p["fmi"], riv=p["riv"], df_complete=dfc, mi_m=info["m"], mi_seed=info["seed"],
        n_imputed=info["n_imputed"],
        note=_mi_note(info, p, f"effect size ({first['effect_size_name']}) = mean over the "
                               f"imputations, {es_how}; no Bayes factor"),
        per_imputation={"estimate": q, "variance": u})
    return out


def pool_tost(parts, info, *, test, n, sesoi_value, sesoi_unit, alpha):
    """Pooled TOST from per-imputation ``(estimate, variance, df, sd)`` tuples
    (:func:`rsnprop.propositions.paired.tost_parts`,
    :func:`rsnprop.propositions.interaction.between_tost_parts`), named ``test`` with ``n``
    firms; the SESOI as in :func:`rsnprop.propositions.paired.paired_tost`, with the mean SD
    over the imputations."""

    q = [x[0] for x in parts]
    u = [x[1] for x in parts]
    dfc = float(np.mean([x[2] for x in parts]))
    p = _pool(q, u, dfc, info["n_imputed"])
    p["df_complete"] = dfc
    est, se, df = p["qbar"], p["se"], p["df"]
    sd = float(np.mean([x[3] for x in parts]))
    bound = sesoi_value * sd if sesoi_unit == "dz" else sesoi_value
    t_low, t_up = (est + bound) / se, (est - bound) / se
    pval = max(t_sf(t_low, df), t_cdf(t_up, df))
    half = float(t_ppf(1 - alpha, df)) * se
    return evidence_row(f"{test}, pooled over {info['m']} imputations", n=n, estimate=est,
                        ci_lower=est - half, ci_upper=est + half,
                        statistic=float(min(abs(t_low), abs(t_up))), statistic_name="t", df=df,
                        p_value=float(pval), alternative="equivalence", bound=float(bound), se=se,
                        ci_level=1 - 2 * alpha,
                        fmi=p["fmi"], riv=p["riv"], df_complete=dfc, mi_m=info["m"], mi_seed=info["seed"],
                        n_imputed=info["n_imputed"],
                        note=_mi_note(info, p, f"bound +/-{bound:.4g} scale points ({sesoi_value:g} "
                                               f"{sesoi_unit}; SD = mean over the imputations)"),
                        per_imputation={"estimate": q, "variance": u})


def _frames_of(imputed, plan, *, bg_definition, controls, extra):
    """``(frames, shared, scores)``: analysis frames (``missing = "available"``) of the imputed
    data sets (:class:`_Imputed`), whether they all have the first one's rows, groups and
    controls, and (when they do, else None) the score columns of each frame as arrays
    (:attr:`rsnprop.propositions.prepare.AnalysisFrames.scores`).

    The imputations change item answers and benefit scores only, so the first frame is
    built in full and the others are copies with their own scores (the same numbers as
    :func:`rsnprop.propositions.prepare.analysis_frame`: :func:`scale_score` of the same score
    columns, from :meth:`_Imputed.benefit_scores` instead of the whole data set); a data
    set whose analysed firms differ, or a control / extra column among the imputed ones, gets
    the full build (and ``shared`` is False).
    """

    def full(i):
        return analysis_frame(imputed.dataset(i), plan, bg_definition=bg_definition, missing="available",
                              controls=controls, extra=extra)[0]

    def scores(i, known):
        rel, inf = imputed.benefit_scores(i, plan)
        dd = rel - inf
        return rel, inf, dd, ~np.isnan(dd) & known

    m = len(imputed.imps)
    first = full(0)
    cols = set(imputed.info["items"]) | set(plan.relational_columns()) | set(plan.informational_columns())
    if cols & {*(controls or ()), *extra, "resp_id", bg_definition}:
        return [first] + [full(i) for i in range(1, m)], False, None
    known = to_indicator(imputed.sub[bg_definition]).notna().to_numpy()   # the same in every imputation
    keep0 = scores(0, known)[3]

    def rescored(i):
        """``first`` with the scores of imputation ``i``; None when its analysed firms differ."""
        rel, inf, dd, keep = scores(i, known)
        if not np.array_equal(keep, keep0):
            return None
        f = first.copy()
        s = {"relational": rel[keep], "informational": inf[keep], "D": dd[keep]}
        for k, v in s.items():
            f[k] = v
        return f, s

    frames, shared = [first], True
    arrays = [{k: first[k].to_numpy(float) for k in ("relational", "informational", "D")}]
    for i in range(1, m):
        f = rescored(i)
        if f is None:
            f, shared = full(i), False
        else:
            f, s = f
            arrays.append(s)
        frames.append(f)
    return frames, shared, (arrays if shared else None)


def imputed_frames(clean_df, plan, *, bg_definition=None, careless=None, missing=None,
                   controls=None, extra=(), cache=None):
    """The missing-data step for ``multiple_imputation`` (step 1 of
    :func:`rsnprop.propositions.evaluate.evaluate_spec`, in place of
    :func:`rsnprop.propositions.prepare.observed_frames`, same arguments; ``missing`` is
    ignored): an :class:`~rsnprop.propositions.prepare.AnalysisFrames` whose ``frames`` are the
    analysis frames of the m imputed data sets and whose ``mi`` is the imputation info
    (:func:`imputed_datasets`) with the numbers of firms analysed.  Its ``frame`` is the
    available-item frame: it checks the columns and serves descriptives and secondary rows.

    ``cache`` (a dict) keeps the imputed data sets between calls that differ only in the
    estimator or the controls (the multiverse), and their analysis frames between calls that
    differ only in the estimator.
    """

    frame, notes = cached_frame(cache, clean_df, plan, bg_definition=bg_definition, missing="available",
                                careless=careless, controls=controls, extra=extra)
    bg_col = bg_definition or plan.born_global_definition
    key = (id(clean_df), bg_col, None if careless is None else careless.name)
    if cache is not None and key in cache:
        imputed = cache[key]
    else:
        imputed = _impute(clean_df, plan, bg_definition=bg_col, careless=careless)
        if cache is not None:
            cache[key] = imputed
    info = imputed.info
    fkey = key + ("frames", tuple(controls or ()), tuple(extra))
    if cache is not None and fkey in cache:      # same imputations and controls: same frames
        frames = cache[fkey]
    else:
        frames = _frames_of(imputed, plan, bg_definition=bg_col, controls=controls, extra=extra)
        if cache is not None:
            cache[fkey] = frames
    frames, shared, scores = frames
    f0 = frames[0]
    mi = dict(info, n_analysed=int(len(f0)), n_born_global=int((f0.bg == 1).sum()),
              n_traditional=int((f0.bg == 0).sum()))
    return AnalysisFrames(frame=frame, notes=notes, frames=frames, shared=shared, mi=mi, scores=scores)


def pool_tests(tests, mi, plan):
    """Step 3 of a specification under multiple imputation: ``(primary, tost)`` rows from the
    per-imputation tests (``{key: HypothesisTests}`` of
    :func:`rsnprop.propositions.primary.run_hypothesis_tests`) with Rubin's rules
    (:func:`pool_row`, :func:`pool_tost`); tests that could not be run keep their rows."""
    primary, tost = {}, {}
    for key, t in tests.items():
        if t.final:
            primary[key], tost[key] = t.primary[0], t.tost[0]
            continue
        primary[key] = pool_row(t.primary, mi)
        tost[key] = pool_tost(t.tost, mi, test=t.tost_test, n=t.n_tost, sesoi_value=plan.sesoi.value,
                              sesoi_unit=plan.sesoi.unit, alpha=plan.alpha)
    if "joint" in primary:
        for r in (primary["joint"], tost["joint"]):
            r["group"] = "born_global vs traditional"
    return primary, tost
