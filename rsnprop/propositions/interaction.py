"""The interaction born global x benefit type: does D = relational - informational differ
between born globals and traditional firms?

Rows have the keys of :mod:`rsnprop.propositions.paired`; ``estimate`` is
``sign * (mean D | born global - mean D | traditional)`` where ``sign = +1`` when the plan
expects born globals to lean more relational than traditional firms (the default P1/P2).

* :func:`ols_interaction`: OLS ``D ~ bg + controls`` (classical or HC3 SE).  Without
  controls and with classical SE its t^2 is the interaction F of the mixed ANOVA.
* :func:`mixed_anova_interaction`: :func:`pingouin.mixed_anova` (group between x benefit
  type within); two-sided F turned one-sided by the sign of the difference.
* :func:`welch_interaction`: Welch t-test of D between groups, Hedges g with CI.
* :func:`rank_interaction`: Mann-Whitney U test of D.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(2)
>>> f = pd.DataFrame({"bg": np.repeat([0, 1], 40)})
>>> f["D"] = 0.6 * f["bg"] - 0.3 + rng.normal(0, 1, 80)
>>> f["relational"] = 4 + f["D"] / 2; f["informational"] = 4 - f["D"] / 2
>>> row = ols_interaction(f, cov_type="nonrobust")
>>> round(row["statistic"] ** 2, 6) == round(mixed_anova_interaction(f)["statistic"], 6)
True

R: ``summary(lm(d ~ bg))`` and ``coeftest(fit, vcov = vcovHC(fit, type = "HC3"))``;
``afex::aov_ez(..., between = "bg", within = "benefit")`` gives the same F.
"""

from __future__ import annotations

import math

import numpy as np

from .classic_tests import mann_whitney_u, welch_t_statistic
from .effect_sizes import hedges_g_ci, hodges_lehmann_two
from .least_squares import fit_ols
from .paired import evidence_row as base
from .student_t import mean_var, t_cdf, t_ppf, t_sf

__all__ = ["ols_interaction", "ols_interaction_arrays", "mixed_anova_interaction", "welch_interaction",
           "rank_interaction", "between_groups", "interaction_tost", "complete_arrays", "d_by_group",
           "d_arrays_by_group", "between_tost_parts", "tost_parts_of", "complete_of", "interaction_tost_of"]


def _row(test, **kw):
    r = base(test, **kw)
    r["group"] = "born_global vs traditional"
    return r


def complete_arrays(frame, cols):
    """``(ok, arrays)``: the rows where none of the columns ``cols`` is missing, and those
    columns as float arrays restricted to them (``frame[cols].dropna()`` without building
    the DataFrame)."""

    return complete_of([frame[c].to_numpy(float) for c in cols])


def complete_of(arrays):
    """:func:`complete_arrays` of the columns ``arrays`` (float arrays of one length)."""
    ok = ~np.isnan(np.column_stack(arrays)).any(axis=1)
    return ok, [a[ok] for a in arrays]


def d_by_group(frame, sign):
    """``(x, y)``: ``sign * D`` of the born globals and of the traditional firms (D known)."""

    return d_arrays_by_group(frame["D"].to_numpy(float), frame["bg"].to_numpy(), sign)


def d_arrays_by_group(d, bg, sign):
    """:func:`d_by_group` of the arrays ``d`` (D, float) and ``bg`` (the ``bg`` column's values)."""

    ok = ~np.isnan(d)
    return sign * d[(bg == 1) & ok], sign * d[(bg == 0) & ok]


def between_tost_parts(frame, sign):
    """``(estimate, variance, df, sd)`` of the difference in mean D between the groups
    (Welch variance and df, pooled within-group SD): what a pooled equivalence test needs
    from one imputed data set (:func:`rsnprop.propositions.imputation.pool_tost`)."""

    return tost_parts_of(*d_by_group(frame, sign))


def tost_parts_of(x, y):
    """:func:`between_tost_parts` of the groups' signed D, ``x`` (born globals) and ``y``."""

    vx, vy = x.var(ddof=1), y.var(ddof=1)
    v1, v2 = vx / x.size, vy / y.size
    df = (v1 + v2) ** 2 / (v1 ** 2 / (x.size - 1) + v2 ** 2 / (y.size - 1))
    sp = math.sqrt(((x.size - 1) * vx + (y.size - 1) * vy) / (x.size + y.size - 2))
    return float(x.mean() - y.mean()), v1 + v2, float(df), sp


def ols_interaction(frame, *, controls=(), cov_type="HC3", sign=1, confidence=0.95):
    """OLS of D on the born-global indicator (+ controls); the bg coefficient, one-sided.

    R: ``fit <- lm(d ~ bg + ...); lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))``.
    """
    d, bg, *xs = complete_arrays(frame, ["D", "bg", *controls])[1]
    return ols_interaction_arrays(d, bg, xs, cov_type=cov_type, sign=sign, confidence=confidence)


def ols_interaction_arrays(d, bg, xs, *, cov_type="HC3", sign=1, confidence=0.95):
    """:func:`ols_interaction` from complete arrays: ``d`` (D), ``bg`` (0/1, float) and the
    list ``xs`` of control columns, all without missing values."""

    n = d.size
    A = np.column_stack([np.ones(n), bg] + xs)
    se_name = "classical SE" if cov_type == "nonrobust" else f"{cov_type} SE"
    name = f"OLS D ~ bg ({se_name})" + (f" + {len(xs)} controls" if xs else "")
    n_bg = int(bg.sum())
    if n_bg < 2 or n - n_bg < 2 or n - A.shape[1] < 2:
        return _row(name, n=n, status="not_available", note="too few firms in a group")
    rank = np.linalg.matrix_rank(A)
    if rank < A.shape[1]:
        return _row(name, n=n, status="not_available", note="controls collinear with the design")
    fit = fit_ols(d, A, cov_type)
    est = sign * float(fit.params[1])
    se = float(fit.bse[1])
    df = float(fit.df_resid)
    t = est / se
    half = t_ppf((1 + confidence) / 2, df) * se
    sd = float(np.sqrt(fit.scale))
    return _row(name, n=n, estimate=est, ci_lower=est - half, ci_upper=est + half,
                statistic=t, statistic_name="t", df=df, effect_size=est / sd,
                effect_size_name="d (coef / residual SD)", es_ci_lower=(est - half) / sd,
                es_ci_upper=(est + half) / sd, p_value=float(t_sf(t, df)),
                p_opposite=float(t_cdf(t, df)), se=se, n_born_global=n_bg, ci_level=confidence)


def mixed_anova_interaction(frame, *, sign=1):
    """Interaction F of the mixed ANOVA (pingouin), with partial eta squared.

    R: ``afex::aov_ez("id", "score", long, between = "bg", within = "benefit")``.
    """

    sub = frame[["bg", "relational", "informational"]].dropna().reset_index(drop=True)
    n = len(sub)
    n_bg = int(sub["bg"].sum())
    if n_bg < 2 or n - n_bg < 2:
        return _row("mixed ANOVA interaction", n=n, status="not_available", note="too few firms in a group")
    sub["id"] = np.arange(n)
    long = sub.melt(id_vars=["id", "bg"], value_vars=["relational", "informational"],
                    var_name="benefit", value_name="score")
    import pingouin as pg   # robustness row only: power replications skip its 0.4 s import

    aov = pg.mixed_anova(data=long, dv="score", within="benefit", subject="id", between="bg")
    row = aov[aov["Source"] == "Interaction"].iloc[0]
    F = float(row["F"])
    p2 = float(row["p_unc"] if "p_unc" in row.index else row["p-unc"])
    diff = sign * (sub.loc[sub.bg == 1, "relational"] - sub.loc[sub.bg == 1, "informational"]).mean() \
        - sign * (sub.loc[sub.bg == 0, "relational"] - sub.loc[sub.bg == 0, "informational"]).mean()
    p1 = p2 / 2 if diff > 0 else 1 - p2 / 2
    return _row("mixed ANOVA interaction", n=n, estimate=float(diff), statistic=F, statistic_name="F",
                df=float(row["DF2"]) if "DF2" in row.index else float(n - 2),
                effect_size=float(row["np2"]), effect_size_name="partial eta^2",
                p_value=float(p1), p_opposite=float(1 - p1),
                note=f"one-sided p from the two-sided F test (two-sided p = {p2:.4g})")


def welch_interaction(frame, *, sign=1, confidence=0.95):
    """Welch t-test of D between groups; Hedges g with a noncentral-t CI.

    R: ``t.test(d[bg == 1], d[bg == 0], alternative = "greater")``.
    """

    x, y = d_by_group(frame, sign)
    if x.size < 2 or y.size < 2:
        return _row("Welch t", n=int(x.size + y.size), status="not_available", note="too few firms in a group")
    v1, v2 = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    df = (v1 + v2) ** 2 / (v1 ** 2 / (x.size - 1) + v2 ** 2 / (y.size - 1))
    t = float(welch_t_statistic(x, y))
    est = float(x.mean() - y.mean())
    half = t_ppf((1 + confidence) / 2, df) * math.sqrt(v1 + v2)
    g, lo, hi = hedges_g_ci(x, y, confidence)
    return _row("Welch t", n=int(x.size + y.size), estimate=est, ci_lower=est - half,
                ci_upper=est + half, statistic=t, statistic_name="t", df=float(df), effect_size=g,
                effect_size_name="Hedges g", es_ci_lower=lo, es_ci_upper=hi,
                p_value=float(t_sf(t, df)), p_opposite=float(t_cdf(t, df)),
                ci_level=confidence)


def rank_interaction(frame, *, controls=(), sign=1):
    """Mann-Whitney U test of D (adjusted for centred controls when given).

    R: ``wilcox.test(d[bg == 1], d[bg == 0], alternative = "greater")``.
    """

    sub = frame[["D", "bg", *controls]].dropna()
    d = sign * sub["D"].to_numpy(float)
    if controls:
        X = sub[list(controls)].to_numpy(float)
        Xc = X - X.mean(axis=0)
        A = np.column_stack([np.ones(len(d)), sub["bg"].to_numpy(float), Xc])
        beta, *_ = np.linalg.lstsq(A, d, rcond=None)
        d = d - Xc @ beta[2:]
    bg = sub["bg"].to_numpy() == 1
    x, y = d[bg], d[~bg]
    if x.size < 2 or y.size < 2:
        return _row("Mann-Whitney U", n=int(d.size), status="not_available", note="too few firms in a group")
    g = mann_whitney_u(x, y, "greater")
    lo = mann_whitney_u(x, y, "less")
    r = float(2 * g.statistic / (x.size * y.size) - 1)

    hl, hl_lo, hl_hi = hodges_lehmann_two(x, y)
    return _row("Mann-Whitney U", n=int(d.size), estimate=hl, ci_lower=hl_lo, ci_upper=hl_hi,
                statistic=float(g.statistic), statistic_name="U", effect_size=r,
                effect_size_name="rank-biserial r", p_value=float(g.pvalue),
                p_opposite=float(lo.pvalue), ci_level=0.95,
                note="estimate = Hodges-Lehmann shift, order-statistic 95% CI")


def between_groups(frame, *, estimator="t", controls=(), sign=1):
    """The primary interaction test for an estimator of the plan ("t", "hc3", "rank")."""
    if estimator == "rank":
        return rank_interaction(frame, controls=controls, sign=sign)
    return ols_interaction(frame, controls=controls, sign=sign,
                           cov_type="HC3" if estimator == "hc3" else "nonrobust")


def interaction_tost(frame, *, sesoi_value=0.2, sesoi_unit="dz", alpha=0.05, sign=1):
    """Equivalence (TOST, Welch) of mean D between groups within +/- SESOI.

    With ``sesoi_unit="dz"`` the bound is ``sesoi_value`` x the pooled within-group SD of D.
    R: two ``t.test(d1, d0, mu = -/+ b, alternative = "greater"/"less")``, larger p.
    """

    return interaction_tost_of(*d_by_group(frame, sign), sesoi_value=sesoi_value, sesoi_unit=sesoi_unit,
                               alpha=alpha)


def interaction_tost_of(x, y, *, sesoi_value=0.2, sesoi_unit="dz", alpha=0.05):
    """:func:`interaction_tost` of the groups' signed D (:func:`d_arrays_by_group`), ``x`` (born
    globals) and ``y``."""
    if x.size < 2 or y.size < 2:
        return _row("TOST (between)", n=int(x.size + y.size), status="not_available",
                    note="too few firms in a group")
    (mx, ssx), (my, ssy) = mean_var(x), mean_var(y)     # = x.mean(), x.var(ddof=1) * (n - 1)...
    vx, vy = ssx / (x.size - 1), ssy / (y.size - 1)
    sp = math.sqrt(((x.size - 1) * vx + (y.size - 1) * vy) / (x.size + y.size - 2))
    bound = sesoi_value * sp if sesoi_unit == "dz" else sesoi_value
    v1, v2 = vx / x.size, vy / y.size
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 ** 2 / (x.size - 1) + v2 ** 2 / (y.size - 1))
    est = float(mx - my)
    t_low, t_up = (est + bound) / se, (est - bound) / se
    p = max(t_sf(t_low, df), t_cdf(t_up, df))
    half = t_ppf(1 - alpha, df) * se
    return _row("TOST (between)", n=int(x.size + y.size), estimate=est, ci_lower=est - half,
                ci_upper=est + half, statistic=float(min(abs(t_low), abs(t_up))), statistic_name="t",
                df=float(df), p_value=float(p), alternative="equivalence",
                note=f"bound +/-{bound:.4g} scale points ({sesoi_value:g} {sesoi_unit}); "
                     f"{1 - 2 * alpha:.0%} CI (1 - 2 alpha); p = larger of the two one-sided p-values",
                bound=float(bound), ci_level=1 - 2 * alpha)
