"""Continuous versions: D regressed on the internationalisation-approach score, and
moderation of the born-global contrast by phase of internationalisation and by sector.

Rows have the keys of :mod:`rsnprop.propositions.paired`.  HC3 standard errors
throughout (R: ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))``;
joint Wald tests: ``car::linearHypothesis(fit, terms, vcov. = vcovHC(fit, "HC3"))``).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> f = pd.DataFrame({"ia": rng.normal(4, 1, 100)})
>>> f["D"] = 0.4 * (f["ia"] - 4) + rng.normal(0, 1, 100)
>>> approach_slope(f, "ia")["p_value"] < 0.05
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .paired import evidence_row as base
from .student_t import t_cdf, t_ppf, t_sf

__all__ = ["approach_slope", "moderation"]


def _row(test, **kw):
    r = base(test, **kw)
    r["group"] = "all firms"
    return r


def approach_slope(frame, column, *, controls=(), sign=1, confidence=0.95):
    """Slope of D on the internationalisation-approach score (high = born-global-like).

    The expected sign is positive: the more born-global-like, the more relational.
    ``effect_size`` is the standardised slope (``b * SD(x) / SD(D)``).
    """

    cols = ["D", column, *controls]
    sub = frame[cols].dropna()
    n = len(sub)
    name = f"OLS D ~ {column} (HC3)" + (f" + {len(controls)} controls" if controls else "")
    if n - 2 - len(controls) < 3 or sub[column].std() == 0:
        return _row(name, n=n, status="not_available", note="too few firms or no variation")
    from statsmodels.regression.linear_model import OLS   # secondary evidence only: power
    from statsmodels.tools.tools import add_constant      # replications skip the import

    A = add_constant(sub[[column, *controls]].to_numpy(float), has_constant="add")
    fit = OLS(sub["D"].to_numpy(float), A).fit(cov_type="HC3", use_t=True)
    b, se, df = sign * float(fit.params[1]), float(fit.bse[1]), float(fit.df_resid)
    t = b / se
    half = t_ppf((1 + confidence) / 2, df) * se
    k = float(sub[column].std() / sub["D"].std())
    return _row(name, n=n, estimate=b, ci_lower=b - half, ci_upper=b + half, statistic=t,
                statistic_name="t", df=df, effect_size=b * k, effect_size_name="standardised slope",
                es_ci_lower=(b - half) * k, es_ci_upper=(b + half) * k,
                p_value=float(t_sf(t, df)), p_opposite=float(t_cdf(t, df)), se=se,
                ci_level=confidence)


def moderation(frame, moderator, *, categorical=False, min_cell=3):
    """Does the born-global contrast in D depend on ``moderator``?  Joint HC3 Wald test.

    Model ``D ~ bg * moderator`` (``moderator`` numeric, or dummies when ``categorical``);
    the test is that every ``bg x moderator`` coefficient is 0 (two-sided, F with HC3
    covariance).  Levels with fewer than ``min_cell`` born globals or traditional firms are
    pooled into "other" (the pooled levels are named in the note).
    """

    name = f"moderation of bg contrast by {moderator} (HC3 Wald)"
    if moderator not in frame.columns:
        return _row(name, status="not_available", note=f"column '{moderator}' not in the data",
                    alternative="two-sided")
    sub = frame[["D", "bg", moderator]].dropna()
    n = len(sub)
    if categorical:
        cat = sub[moderator].astype("string")
        cells = pd.crosstab(cat, sub["bg"])
        small = [lv for lv in cells.index if cells.loc[lv].min() < min_cell or cells.shape[1] < 2]
        cat = cat.where(~cat.isin(small), "other")
        levels = sorted(cat.unique())
        if len(levels) < 2:
            return _row(name, n=n, status="not_available", note="fewer than 2 levels", alternative="two-sided")
        M = pd.DataFrame({f"{moderator}[T.{lv}]": (cat == lv).astype(float) for lv in levels[1:]},
                         index=sub.index)
    else:
        M = pd.DataFrame({moderator: pd.to_numeric(sub[moderator], errors="coerce").astype(float)})
        M[moderator] -= M[moderator].mean()
    from statsmodels.regression.linear_model import OLS   # secondary evidence only: power
    from statsmodels.tools.tools import add_constant      # replications skip the import

    X = pd.concat([sub[["bg"]].astype(float), M], axis=1)
    inter = M.mul(sub["bg"].astype(float), axis=0).add_prefix("bg:")
    X = add_constant(pd.concat([X, inter], axis=1), has_constant="add")
    if n - X.shape[1] < 3 or np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        return _row(name, n=n, status="not_available", note="design not of full rank (too few firms per cell)",
                    alternative="two-sided")
    fit = OLS(sub["D"].astype(float), X).fit(cov_type="HC3", use_t=True)
    R = np.zeros((inter.shape[1], X.shape[1]))
    for i, c in enumerate(inter.columns):
        R[i, list(X.columns).index(c)] = 1.0
    w = fit.f_test(R)
    F = float(np.squeeze(w.fvalue))
    p = float(np.squeeze(w.pvalue))
    coefs = {c: float(fit.params[c]) for c in inter.columns}
    pooled = f"levels pooled as 'other': {', '.join(map(str, small))}; " if categorical and small else ""
    return _row(name, n=n, statistic=F, statistic_name="F", df=float(w.df_denom), p_value=p,
                alternative="two-sided", note=pooled + "bg x moderator coefficients: " +
                ", ".join(f"{k} = {v:.3f}" for k, v in coefs.items()), coefficients=coefs,
                df_num=float(w.df_num))
