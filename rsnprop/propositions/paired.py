"""Within-group tests of relational vs informational scores (one group at a time).

Every function returns an *evidence row*: a flat dict with the keys

``test, group, n, estimate`` (mean of expected-minus-other benefit, scale points),
``ci_lower, ci_upper`` (two-sided), ``ci_level`` (the level of that interval: ``1 - 2 alpha``,
e.g. 0.90, for TOST rows, 0.95 otherwise; None without an interval),
``statistic, statistic_name, df, effect_size, effect_size_name, es_ci_lower, es_ci_upper``
(95 % interval of the effect size), ``p_value`` (one-sided, in the direction the proposition
expects; for TOST the larger of the two one-sided p-values), ``p_sided`` ("one-sided", or
"two-sided" for the joint Wald tests of moderation), ``p_opposite`` (one-sided,
the other direction), ``bf10`` (JZS Bayes factor for the directional hypothesis, Student
test only), ``alternative``, ``status`` ("ok" or "not_available"), ``note``.

``estimate`` is oriented so that positive values support the proposition: for P1 (the
informational lean of traditional firms) it is ``mean(informational - relational)``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> rel = rng.normal(4, 1, 60); inf = rel - 0.5 + rng.normal(0, 1, 60)
>>> row = paired_t(rel, inf, expects="relational")
>>> row["p_value"] < 0.05, row["effect_size_name"]
(True, 'dz')

R gives the same t and one-sided p: ``t.test(rel, inf, paired = TRUE, alternative = "greater")``.
"""

from __future__ import annotations

import math

import numpy as np

from .classic_tests import paired_t_statistic, rankdata, wilcoxon_signed_rank
from .effect_sizes import dz_ci, hodges_lehmann_paired, jzs_bf10
from .lean import is_lean
from .least_squares import fit_ols
from .student_t import mean_var, one_sample_t, t_cdf, t_ppf, t_sf

__all__ = ["paired_t", "paired_tost", "paired_wilcoxon", "paired_ols", "within_group", "evidence_row",
           "oriented_difference", "tost_parts"]


def oriented_difference(rel, inf, expects):
    """``(e, sign)``: ``e = sign * (rel - inf)`` over the pairs with both scores, ``sign = +1``
    when the proposition expects the relational benefit to be higher, else -1 (positive
    ``e`` supports the proposition)."""

    rel = np.asarray(rel, dtype=float)
    inf = np.asarray(inf, dtype=float)
    ok = np.isfinite(rel) & np.isfinite(inf)
    sign = 1.0 if expects == "relational" else -1.0
    return sign * (rel[ok] - inf[ok]), sign


def evidence_row(test, **kw):
    """An evidence row (module docstring) named ``test``: every key present, None unless
    given in ``kw``; ``status`` "ok" by default."""
    row = {"test": test, "group": None, "n": None, "estimate": None, "ci_lower": None,
           "ci_upper": None, "statistic": None, "statistic_name": None, "df": None,
           "effect_size": None, "effect_size_name": None, "es_ci_lower": None,
           "es_ci_upper": None, "p_value": None, "p_opposite": None, "bf10": None,
           "alternative": "expected direction", "status": "ok", "note": "", "ci_level": None}
    row.update(kw)
    row.setdefault("p_sided", "two-sided" if row["alternative"] == "two-sided" else "one-sided")
    return row


def _too_small(test, n, note="fewer than 3 firms"):
    return evidence_row(test, n=int(n), status="not_available", note=note)


def paired_t(rel, inf, *, expects, confidence=0.95, bayes=True, effect_ci=True):
    """One-sided paired Student t-test of the expected benefit over the other one.

    t from :func:`scipy.stats.ttest_rel` (what :func:`pingouin.ttest` computes, without its
    extras); directional JZS BF+0 (r = 0.707) from
    :func:`rsnprop.propositions.effect_sizes.jzs_bf10`; d_z with an exact CI from
    :func:`rsnprop.propositions.effect_sizes.dz_ci`.

    R: ``t.test(rel, inf, paired = TRUE, alternative = "greater")`` for P2
    (``"less"`` for P1); ``BayesFactor::ttestBF(rel - inf, nullInterval = c(0, Inf))``.

    ``effect_ci=False`` leaves out the d_z interval (``es_ci_lower/upper`` None): callers
    that pool the rows (multiple imputation) compute their own.
    """

    e, sign = oriented_difference(rel, inf, expects)
    n = e.size
    if n < 3:
        return _too_small("paired t", n, "fewer than 3 firms or no variation")
    mean, sd, sd0 = _mean_sd(e)     # each computed once (the same floats at each use)
    if sd0 == 0:
        return _too_small("paired t", n, "fewer than 3 firms or no variation")
    # the same t (Monte Carlo power: without SciPy's test object, rsnprop.propositions.lean)
    t = one_sample_t(e) if is_lean() else float(paired_t_statistic(e, np.zeros(n)))
    bf = jzs_bf10(t, n, alternative="greater") if bayes else None
    df = n - 1
    half = t_ppf((1 + confidence) / 2, df) * sd / math.sqrt(n)
    dz, lo, hi = dz_ci(e, confidence) if effect_ci else (float(mean / sd), None, None)
    return evidence_row("paired t", n=n, estimate=float(mean), ci_lower=float(mean - half),
                ci_upper=float(mean + half), statistic=t, statistic_name="t", df=df,
                effect_size=dz, effect_size_name="dz", es_ci_lower=lo, es_ci_upper=hi,
                p_value=float(t_sf(t, df)), p_opposite=float(t_cdf(t, df)), bf10=bf, ci_level=confidence)


def _mean_sd(e):
    """``(e.mean(), e.std(ddof=1), np.std(e))`` of ``e`` (at least 2 values), the same bits from
    one pass (:func:`rsnprop.propositions.student_t.mean_var`)."""
    mean, ss = mean_var(e)
    return mean, np.sqrt(ss / (e.size - 1)), np.sqrt(ss / e.size)


def paired_tost(rel, inf, *, expects, sesoi_value=0.2, sesoi_unit="dz", alpha=0.05):
    """Equivalence test (TOST) of ``mean(D)`` within ``+/- SESOI``.

    With ``sesoi_unit="dz"`` the bound in scale points is ``sesoi_value * sd(D)``
    (TOSTER's ``eqbound_type = "SMD"`` convention); with ``"raw"`` it is the value itself.
    ``p_value`` is the larger of the two one-sided p-values; the CI is the
    ``1 - 2 alpha`` interval.

    R: ``max(t.test(d, mu = -b, alternative = "greater")$p.value,
    t.test(d, mu = b, alternative = "less")$p.value)``.
    """

    e, sign = oriented_difference(rel, inf, expects)
    n = e.size
    if n < 3:
        return _too_small("TOST", n, "fewer than 3 firms or no variation")
    mean, sd, sd0 = _mean_sd(e)
    if sd0 == 0:
        return _too_small("TOST", n, "fewer than 3 firms or no variation")
    bound = sesoi_value * sd if sesoi_unit == "dz" else sesoi_value
    se = sd / math.sqrt(n)
    df = n - 1
    t_low = (mean + bound) / se
    t_up = (mean - bound) / se
    p = max(t_sf(t_low, df), t_cdf(t_up, df))
    half = t_ppf(1 - alpha, df) * se
    return evidence_row("TOST", n=n, estimate=float(mean), ci_lower=float(mean - half),
                ci_upper=float(mean + half), statistic=float(min(abs(t_low), abs(t_up))),
                statistic_name="t", df=df, p_value=float(p), alternative="equivalence",
                note=f"bound +/-{bound:.4g} scale points ({sesoi_value:g} {sesoi_unit}); "
                     f"{1 - 2 * alpha:.0%} CI (1 - 2 alpha); p = larger of the two one-sided p-values",
                bound=float(bound), ci_level=1 - 2 * alpha)


def tost_parts(rel, inf, expects):
    """``(estimate, variance, df, sd)`` of ``mean(e)`` (:func:`oriented_difference`): what a
    pooled equivalence test needs from one imputed data set
    (:func:`rsnprop.propositions.imputation.pool_tost`)."""
    e, _ = oriented_difference(rel, inf, expects)
    sd = float(e.std(ddof=1))
    return float(e.mean()), sd * sd / e.size, float(e.size - 1), sd


def paired_wilcoxon(rel, inf, *, expects, controls=None):
    """One-sided Wilcoxon signed-rank test of D (rank-based estimator of the multiverse).

    With ``controls`` (an n x k array), D is first adjusted to the mean covariate profile
    (``D - X_c b`` from OLS on centred controls).  Effect size: matched-pairs rank-biserial r.

    R: ``wilcox.test(rel, inf, paired = TRUE, alternative = "greater", correct = TRUE)``.
    """

    e, sign = oriented_difference(rel, inf, expects)
    if controls is not None:
        e, _ = _adjust(e, controls)
    n = e.size
    nz = e[e != 0]
    if nz.size < 3:
        return _too_small("Wilcoxon signed-rank", n, "fewer than 3 non-zero differences")
    g = wilcoxon_signed_rank(nz, "greater")
    lo = wilcoxon_signed_rank(nz, "less")
    ranks = rankdata(np.abs(nz))
    r = float((ranks[nz > 0].sum() - ranks[nz < 0].sum()) / ranks.sum())

    hl, hl_lo, hl_hi = hodges_lehmann_paired(e)
    return evidence_row("Wilcoxon signed-rank", n=n, estimate=hl, ci_lower=hl_lo, ci_upper=hl_hi,
                statistic=float(g.statistic), statistic_name="V", effect_size=r,
                effect_size_name="rank-biserial r", p_value=float(g.pvalue), p_opposite=float(lo.pvalue),
                ci_level=0.95, note="estimate = Hodges-Lehmann (median of Walsh averages), order-statistic 95% CI"
                + (" (covariate-adjusted)" if controls is not None else ""))


def _adjust(e, X):
    """Residualise e on centred X; return (adjusted e, design n)."""

    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    A = np.column_stack([np.ones(len(e)), Xc])
    beta, *_ = np.linalg.lstsq(A, e, rcond=None)
    return e - Xc @ beta[1:], A


def paired_ols(rel, inf, *, expects, controls=None, cov_type="HC3", confidence=0.95):
    """Mean of D adjusted for centred controls: intercept of OLS ``D ~ 1 + (X - mean X)``.

    With centred controls the intercept equals ``mean(D)``; the controls only shrink its
    standard error.  ``cov_type="HC3"`` uses the HC3 sandwich (R:
    ``coeftest(lm(d ~ scale(X, scale = FALSE)), vcovHC(fit, type = "HC3"))``), ``"nonrobust"``
    the classical one (without controls: identical to the paired t-test).  Tests use the
    t distribution with ``n - k`` df.
    """

    e, sign = oriented_difference(rel, inf, expects)
    n = e.size
    if controls is None:
        A = np.ones((n, 1))
    else:
        X = np.asarray(controls, dtype=float)
        A = np.column_stack([np.ones(n), X - X.mean(axis=0)])
    k = A.shape[1]
    if n - k < 2 or np.std(e) == 0:
        return _too_small(f"OLS mean of D ({cov_type})", n, "too few firms for the controls")
    fit = fit_ols(e, A, cov_type)
    est = float(fit.params[0])
    se = float(fit.bse[0])
    df = float(fit.df_resid)
    t = est / se
    half = t_ppf((1 + confidence) / 2, df) * se
    sd = float(np.std(e, ddof=1))
    se_name = "classical SE" if cov_type == "nonrobust" else f"{cov_type} SE"
    return evidence_row(f"OLS mean of D ({se_name})" + (f", {k - 1} centred controls" if k > 1 else ""), n=n,
                estimate=est, ci_lower=est - half, ci_upper=est + half, statistic=t,
                statistic_name="t", df=df, effect_size=est / sd, effect_size_name="dz",
                es_ci_lower=(est - half) / sd, es_ci_upper=(est + half) / sd,
                p_value=float(t_sf(t, df)), p_opposite=float(t_cdf(t, df)), note="dz CI = mean CI / SD(D)", se=se, ci_level=confidence)


def within_group(rel, inf, *, expects, estimator="t", controls=None, confidence=0.95, bayes=True,
                 effect_ci=True):
    """The primary within-group test for an estimator of the plan ("t", "hc3", "rank");
    ``effect_ci`` as in :func:`paired_t`."""
    if estimator == "rank":
        return paired_wilcoxon(rel, inf, expects=expects, controls=controls)
    if estimator == "hc3":
        return paired_ols(rel, inf, expects=expects, controls=controls, cov_type="HC3",
                          confidence=confidence)
    if controls is not None:
        return paired_ols(rel, inf, expects=expects, controls=controls, cov_type="nonrobust",
                          confidence=confidence)
    return paired_t(rel, inf, expects=expects, confidence=confidence, bayes=bayes, effect_ci=effect_ci)
