"""``missing: multiple_imputation``: the primary tests on m imputed data sets, pooled with
Rubin's rules.

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

__all__ = ["imputed_datasets", "pool_row", "evaluate_mi", "RANK_NOTE"]

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
    import numpy as np
    import pandas as pd

    from ..data.missing import multiple_imputation
    from ..errors import InputError
    from .prepare import _items_of, _truthy

    bg_col = bg_definition or plan.born_global_definition
    keep = _truthy(clean_df[bg_col]).notna()
    if careless is not None:
        for f in careless.flags:
            keep &= ~(_truthy(clean_df[f]).fillna(0) > 0)
    constructs = [*plan.benefits.relational, *plan.benefits.informational]
    items = {}
    for c in constructs:
        found = _items_of(clean_df.columns, c)
        if not found:
            raise InputError(f"multiple imputation needs the item columns of construct '{c}' "
                             "in the clean data (none found)", column=f"score_{c}",
                             parameter="missing", value="multiple_imputation")
        items[c] = found
    all_items = [i for c in constructs for i in items[c]]
    sub = clean_df.loc[keep]
    x = sub[all_items].apply(pd.to_numeric, errors="coerce").astype("float64")
    x["_bg"] = _truthy(sub[bg_col]).astype("float64")
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
    imps = multiple_imputation(x, columns=all_items + ["_bg"], m=imp.m, seed=seed,
                               bounds={i: bounds for i in all_items})
    out = []
    for d in imps:
        data = sub.copy()
        data[all_items] = d[all_items].to_numpy()
        for c, its in items.items():
            data[f"score_{c}"] = d[its].mean(axis=1).to_numpy()
        out.append(data)
    info = {"m": imp.m, "seed": seed, "bounds": list(bounds), "items": all_items,
            "n": int(len(sub)), "n_imputed": n_imputed}
    return out, info


def _se(row):
    """Standard error of a complete-data row's estimate."""
    from scipy import stats

    if row.get("se") is not None:
        return float(row["se"])
    if row.get("statistic"):
        return float(row["estimate"]) / float(row["statistic"])
    return (row["ci_upper"] - row["ci_lower"]) / (2 * stats.t.ppf(0.975, row["df"]))


def _pool(q, u, df_complete, n_imputed):
    """pool_rubin, with the complete-data df (and fmi = 0) when nothing was imputed."""
    import numpy as np

    from ..data.missing import pool_rubin

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
    import numpy as np
    from scipy import stats

    from .effect_sizes import nct_ci

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
    half = float(stats.t.ppf((1 + confidence) / 2, df)) * se
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
        p_value=float(stats.t.sf(t, df)), p_opposite=float(stats.t.cdf(t, df)), bf10=None,
        ci_level=confidence,
        se=se, fmi=p["fmi"], riv=p["riv"], df_complete=dfc, mi_m=info["m"], mi_seed=info["seed"],
        n_imputed=info["n_imputed"],
        note=_mi_note(info, p, f"effect size ({first['effect_size_name']}) = mean over the "
                               f"imputations, {es_how}; no Bayes factor"),
        per_imputation={"estimate": q, "variance": u})
    return out


def _pool_tost(parts, info, *, test, n, sesoi_value, sesoi_unit, alpha):
    """Pooled TOST from per-imputation (estimate, variance, df, sd) tuples."""
    import numpy as np
    from scipy import stats

    q = [x[0] for x in parts]
    u = [x[1] for x in parts]
    dfc = float(np.mean([x[2] for x in parts]))
    p = _pool(q, u, dfc, info["n_imputed"])
    p["df_complete"] = dfc
    est, se, df = p["qbar"], p["se"], p["df"]
    sd = float(np.mean([x[3] for x in parts]))
    bound = sesoi_value * sd if sesoi_unit == "dz" else sesoi_value
    t_low, t_up = (est + bound) / se, (est - bound) / se
    pval = max(stats.t.sf(t_low, df), stats.t.cdf(t_up, df))
    half = float(stats.t.ppf(1 - alpha, df)) * se
    from .paired import _row

    return _row(f"{test}, pooled over {info['m']} imputations", n=n, estimate=est,
                ci_lower=est - half, ci_upper=est + half,
                statistic=float(min(abs(t_low), abs(t_up))), statistic_name="t", df=df,
                p_value=float(pval), alternative="equivalence", bound=float(bound), se=se,
                ci_level=1 - 2 * alpha,
                fmi=p["fmi"], riv=p["riv"], df_complete=dfc, mi_m=info["m"], mi_seed=info["seed"],
                n_imputed=info["n_imputed"],
                note=_mi_note(info, p, f"bound +/-{bound:.4g} scale points ({sesoi_value:g} "
                                       f"{sesoi_unit}; SD = mean over the imputations)"),
                per_imputation={"estimate": q, "variance": u})


def _within_parts(rel, inf, expects):
    from .paired import _orient

    e, _ = _orient(rel, inf, expects)
    sd = float(e.std(ddof=1))
    return float(e.mean()), sd * sd / e.size, float(e.size - 1), sd


def _between_parts(frame, sign):
    import math as _m

    from .interaction import _d_by_group

    x, y = _d_by_group(frame, sign)
    v1, v2 = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    df = (v1 + v2) ** 2 / (v1 ** 2 / (x.size - 1) + v2 ** 2 / (y.size - 1))
    sp = _m.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2))
    return float(x.mean() - y.mean()), v1 + v2, float(df), sp


def _imputed_frames(datasets, info, plan, *, bg_definition, controls, extra):
    """``(frames, shared)``: analysis frames (``missing = "available"``) of the imputed data
    sets, and whether they all have the first one's rows, groups and controls.

    The imputations change item answers and benefit scores only, so the first frame is
    built in full and the others are copies with their own scores (the same numbers as
    :func:`rsnprop.propositions.prepare.analysis_frame`); a data set whose analysed firms
    differ, or a control / extra column among the imputed ones, gets the full build (and
    ``shared`` is False).
    """
    import numpy as np

    from .prepare import _score, _truthy, analysis_frame

    def full(d):
        return analysis_frame(d, plan, bg_definition=bg_definition, missing="available",
                              controls=controls, extra=extra)[0]

    def scores(d, known):
        rel = _score(d, plan.relational_columns()).to_numpy()
        inf = _score(d, plan.informational_columns()).to_numpy()
        dd = rel - inf
        return rel, inf, dd, ~np.isnan(dd) & known

    first = full(datasets[0])
    imputed = set(info["items"]) | set(plan.relational_columns()) | set(plan.informational_columns())
    if imputed & {*(controls or ()), *extra, "resp_id", bg_definition}:
        return [first] + [full(d) for d in datasets[1:]], False
    index0 = datasets[0].index
    known = _truthy(datasets[0][bg_definition]).notna().to_numpy()   # the same in every imputation
    keep0 = scores(datasets[0], known)[3]

    def rescored(d):
        """``first`` with the scores of ``d``; None when its analysed firms differ."""
        if not d.index.equals(index0):
            return None
        rel, inf, dd, keep = scores(d, known)
        if not np.array_equal(keep, keep0):
            return None
        f = first.copy()
        f["relational"] = rel[keep]
        f["informational"] = inf[keep]
        f["D"] = dd[keep]
        return f

    frames, shared = [first], True
    for d in datasets[1:]:
        f = rescored(d)
        if f is None:
            f, shared = full(d), False
        frames.append(f)
    return frames, shared


def _mi_groups(frames, shared, group, controls):
    """:func:`rsnprop.propositions.evaluate._group_numpy` of every imputed frame; with
    ``shared`` frames (same rows, groups and controls) the rows and X are found once."""
    from .evaluate import _group_numpy, _group_rows

    if not shared:
        return [_group_numpy(f, group, controls) for f in frames]
    mask, X = _group_rows(frames[0], group, controls)
    n = int(mask.sum())
    return [(f["relational"].to_numpy(float)[mask], f["informational"].to_numpy(float)[mask], X, n)
            for f in frames]


def _mi_between(frames, shared, *, estimator, controls, sign):
    """:func:`rsnprop.propositions.interaction.between_groups` (t or hc3) of every imputed
    frame; with ``shared`` frames the complete rows, bg and controls are found once."""
    from .interaction import _complete, between_groups, ols_interaction_arrays

    if not shared:
        return [between_groups(f, estimator=estimator, controls=controls, sign=sign) for f in frames]
    ok, (_, bg, *xs) = _complete(frames[0], ["D", "bg", *controls])
    cov_type = "HC3" if estimator == "hc3" else "nonrobust"
    return [ols_interaction_arrays(f["D"].to_numpy(float)[ok], bg, xs, cov_type=cov_type, sign=sign)
            for f in frames]


def evaluate_mi(clean_df, plan, *, bg_definition=None, careless=None, estimator=None,
                with_controls=False, extra=(), cache=None):
    """:func:`rsnprop.propositions.evaluate.evaluate_spec` for ``missing =
    "multiple_imputation"`` (same return value, plus ``mi``: the imputation info with the
    numbers of firms analysed).

    ``cache`` (a dict) keeps the imputed data sets between calls that differ only in the
    estimator or the controls (the multiverse), and their analysis frames between calls that
    differ only in the estimator.
    """
    from .decide import decide
    from .evaluate import cached_frame, joint_sign
    from .paired import _row, within_group

    estimator = estimator or plan.estimator
    controls = plan.controls if with_controls else None
    # the available-item frame: checks the columns, and serves descriptives / secondary rows
    frame, notes = cached_frame(cache, clean_df, plan, bg_definition=bg_definition, missing="available",
                                careless=careless, controls=controls, extra=extra)
    bg_col = bg_definition or plan.born_global_definition
    key = (id(clean_df), bg_col, None if careless is None else careless.name)
    if cache is not None and key in cache:
        datasets, info = cache[key]
    else:
        datasets, info = imputed_datasets(clean_df, plan, bg_definition=bg_col, careless=careless)
        if cache is not None:
            cache[key] = (datasets, info)
    fkey = key + ("frames", tuple(controls or ()), tuple(extra))
    if cache is not None and fkey in cache:      # same imputations and controls: same frames
        frames = cache[fkey]
    else:
        frames = _imputed_frames(datasets, info, plan, bg_definition=bg_col, controls=controls,
                                 extra=extra)
        if cache is not None:
            cache[fkey] = frames
    frames, shared = frames
    f0 = frames[0]
    ctrl = f0.attrs["controls"]
    mi = dict(info, n_analysed=int(len(f0)), n_born_global=int((f0.bg == 1).sum()),
              n_traditional=int((f0.bg == 0).sum()))
    primary, tost = {}, {}
    for k, hyp in plan.hypotheses.items():
        groups = _mi_groups(frames, shared, hyp.group, ctrl)
        n = groups[0][3]
        if n < plan.min_group_size:
            primary[k] = _row("primary", n=n, status="not_available",
                              note=f"{n} {hyp.group} firms; the plan needs at least {plan.min_group_size}")
            tost[k] = dict(primary[k], test="TOST")
        elif estimator == "rank":
            primary[k] = _row("Wilcoxon signed-rank", n=n, status="not_available", note=RANK_NOTE,
                              mi_m=info["m"], mi_seed=info["seed"])
            tost[k] = dict(primary[k], test="TOST")
        else:
            # pool_row takes the d_z interval from the pooled t: no per-imputation interval
            primary[k] = pool_row([within_group(r, i, expects=hyp.expects, estimator=estimator,
                                                controls=X, bayes=False, effect_ci=False)
                                   for r, i, X, _ in groups], info)
            whole = _mi_groups(frames, shared, hyp.group, [])
            parts = [_within_parts(r_all, i_all, hyp.expects) for r_all, i_all, _, _ in whole]
            tost[k] = _pool_tost(parts, info, test="TOST", n=whole[-1][3], sesoi_value=plan.sesoi.value,
                                 sesoi_unit=plan.sesoi.unit, alpha=plan.alpha)
        primary[k]["group"] = tost[k]["group"] = hyp.group
    sign = joint_sign(plan)
    if sign is not None:
        n_small = min(mi["n_born_global"], mi["n_traditional"])
        if n_small < plan.min_group_size:
            primary["joint"] = _row("interaction", n=len(f0), status="not_available",
                                    note=f"smallest group has {n_small} firms")
            tost["joint"] = dict(primary["joint"], test="TOST (between)")
        elif estimator == "rank":
            primary["joint"] = _row("Mann-Whitney U", n=len(f0), status="not_available",
                                    note=RANK_NOTE, mi_m=info["m"], mi_seed=info["seed"])
            tost["joint"] = dict(primary["joint"], test="TOST (between)")
        else:
            primary["joint"] = pool_row(_mi_between(frames, shared, estimator=estimator,
                                                    controls=tuple(ctrl), sign=sign), info)
            tost["joint"] = _pool_tost([_between_parts(f, sign) for f in frames], info,
                                       test="TOST (between)", n=len(f0), sesoi_value=plan.sesoi.value,
                                       sesoi_unit=plan.sesoi.unit, alpha=plan.alpha)
        for r in (primary["joint"], tost["joint"]):
            r["group"] = "born_global vs traditional"
    decision = decide(primary, tost, alpha=plan.alpha, correction=plan.correction)
    return {"frame": frame, "notes": notes, "primary": primary, "tost": tost, "decision": decision,
            "sign": sign, "mi": mi}
