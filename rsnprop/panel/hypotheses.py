"""Observed-score tests of the preregistered panel hypotheses C1, C2, C3 (docs/panel.md).

Every firm of the first wave that answered the later wave has the lean ``D = relational −
informational`` (row means of the plan's benefit score columns) at both waves and its change
``ΔD = D_later − D_first``.  Group = the plan's born-global column at the first wave.

========  ==============================================  =========================================
test      estimate (positive supports the hypothesis)     same number in R
========  ==============================================  =========================================
C1        mean ΔD born globals − mean ΔD traditional      ``t.test(dD[g == 1], dD[g == 0],
          (``change_by_group``), Welch t, one-sided        alternative = "greater")``
C2        mean ΔD movers − mean ΔD non-movers (phase       ``t.test(dD[moved], dD[!moved],
          later > phase first; ``stage``)                  alternative = "greater")``
C3        slope of X_first in the OLS                      ``summary(lm(D2 ~ D1 + X1))``, t with
          ``D_later ~ D_first + X_first`` (X = approach;   n − 3 df, one-sided ``pt(t, df,
          ``cross_lagged``)                                lower.tail = FALSE)``
C3 rev.   slope of D_first in ``X_later ~ X_first +        ``summary(lm(X2 ~ X1 + D1))``, two-sided
          D_first`` (role ``reverse``, not in the verdict)
========  ==============================================  =========================================

Equivalence (TOST, two one-sided tests at alpha, ``p_tost`` = the larger p) against the
SESOI of the plan (``panel.sesoi``): C1 and C2 with ``unit: dz`` use the bound ``value x
SD_pooled(ΔD)`` (the pooled SD of the change in D in the two groups compared), with ``raw``
the value in scale points of D; R: ``max(t.test(x1, x0, mu = -b, alternative = "greater")$p.value,
t.test(x1, x0, mu = b, alternative = "less")$p.value)``.  C3 with ``dz`` bounds the
*standardized* cross-lagged path ``beta = b sd(X_first) / sd(D_later)`` by ``value / 2`` (d =
0.2 corresponds to r ≈ 0.1), i.e. the slope by ``B = value / 2 x sd(D_later) / sd(X_first)``;
with ``raw`` B is the value in slope units; ``p_tost = max(pt((b + B) / se, df, lower.tail =
FALSE), pt((b - B) / se, df))``.

Intervals are two-sided at 95 % (``ci_label``), every row gives ``n`` (firms used) of
``n_total`` (firms of the first wave given), and a test with fewer than 3 firms in a group
(C3: fewer than 5 firms) or without variation is a row with status ``not_available``, never an
error.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.panel import link_waves
>>> from rsnprop.propositions.plan import StudyPlan
>>> rng = np.random.default_rng(4)
>>> w1 = pd.DataFrame({"id": range(80), "score_relational": rng.normal(4, 1, 80),
...                    "score_informational": rng.normal(4, 1, 80), "bg_ms20": np.repeat([0, 1], 40),
...                    "phase": rng.integers(1, 4, 80), "score_intl_approach": rng.normal(4, 1, 80)})
>>> w2 = w1.assign(score_relational=lambda d: d.score_relational + 0.8 * d.bg_ms20 + rng.normal(0, .3, 80))
>>> plan = StudyPlan(name="x", panel={"key": "id", "waves": [{"label": "1", "raw": "a"},
...                                                          {"label": "2", "raw": "b"}]})
>>> rows = observed_rows(link_waves({"1": w1, "2": w2}, "id", salt="s"), plan)
>>> r = rows["C1"][0]
>>> r["role"], r["n"], r["n_total"], r["p_value"] < 0.001, r["ci_label"]
('primary', 80, 80, True, '95 % CI, two-sided')
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..propositions.paired import evidence_row
from ..propositions.prepare import items_of, to_indicator
from .change import lean_frame, paired_stats, welch_stats
from .plan import lean_columns, panel_section

__all__ = ["panel_frame", "observed_rows", "change_by_group", "stage", "cross_lagged_observed",
           "TESTS", "CI_LEVEL"]

#: level of the (two-sided) intervals of the rows
CI_LEVEL = 0.95
_CI = "95 % CI, two-sided"


def panel_frame(panel, plan, *, bg_definition=None, missing="available") -> pd.DataFrame:
    """One row per first-wave firm: ``d1, d2, dd, g`` (0/1 group at wave 1), ``moved``,
    ``x1, x2`` (approach), from :func:`rsnprop.panel.change.lean_frame` with the plan's columns.

    ``missing="complete_cases"`` blanks D (both waves) of firms that left a benefit item
    unanswered at either wave (item columns found by
    :func:`rsnprop.propositions.prepare.items_of`; none found: scale scores as cleaned, noted in
    ``attrs["notes"]``).
    """
    sec = panel_section(plan)
    rel, inf = lean_columns(plan)
    bg = bg_definition or plan.born_global_definition
    items, notes = None, []
    if missing == "complete_cases":
        constructs = plan.benefits.relational + plan.benefits.informational
        items = [i for c in constructs for i in items_of(panel.data.columns, c)]
        if not items:
            items, notes = None, ["complete_cases: no benefit item columns in the panel; scale "
                                  "scores used"]
    frame = lean_frame(panel, rel, inf, group=bg, phase=sec.phase_column,
                       approach=sec.approach_column, items=items)
    frame["g"] = to_indicator(frame["g"]).where(lambda s: s.isin([0.0, 1.0]))
    if items:
        drop = ~frame.pop("complete")
        frame.loc[drop, ["d1", "d2", "dd"]] = np.nan
        frame.attrs["excluded_incomplete"] = int(drop.sum())
    frame.attrs["notes"] = notes
    frame.attrs["bg_definition"] = bg
    return frame


def _row(hyp, role, test, question, n, n_total, **kw) -> dict:
    base = dict(hypothesis=hyp, role=role, version="observed", question=question, n=int(n),
                n_total=int(n_total), se=None, ci_level=None, ci_label=None, p_sided=None,
                p_corrected=None, p_opposite_corrected=None, p_tost=None, p_tost_corrected=None)
    base.update(kw)
    return evidence_row(test, **base)


def _unavailable(hyp, role, test, question, n, n_total, note) -> dict:
    return _row(hyp, role, test, question, n, n_total, status="not_available", note=note)


def _tost_welch(s, bound) -> float:
    df, se, est = s["df"], s["se"], s["estimate"]
    return float(max(stats.t.sf((est + bound) / se, df), stats.t.cdf((est - bound) / se, df)))


def _welch_row(hyp, test_name, question, x1, x0, n_total, sesoi, labels) -> dict:
    """The primary row of C1 / C2: Welch's t of x1 − x0, one-sided greater, with its TOST."""
    x1, x0 = x1[np.isfinite(x1)], x0[np.isfinite(x0)]
    n = x1.size + x0.size
    if min(x1.size, x0.size) < 3 or x1.std() == 0 and x0.std() == 0:
        return _unavailable(hyp, "primary", test_name, question, n, n_total,
                            f"{x1.size} {labels[0]} and {x0.size} {labels[1]} firms with ΔD: "
                            "each group needs at least 3 (and some variation)")
    s = welch_stats(x1, x0, CI_LEVEL, alternative="greater")
    bound = sesoi.value * s["sd_pooled"] if sesoi.unit == "dz" else sesoi.value
    return _row(hyp, "primary", test_name, question, n, n_total, estimate=s["estimate"],
                se=s["se"], statistic=s["t"], statistic_name="t", df=s["df"],
                p_value=s["p_greater"], p_opposite=s["p_less"], p_sided="one-sided",
                alternative="greater", ci_level=CI_LEVEL, ci_lower=s["ci_lower"],
                ci_upper=s["ci_upper"], ci_label=_CI,
                effect_size=s["estimate"] / s["sd_pooled"] if s["sd_pooled"] > 0 else None,
                effect_size_name="d (pooled SD of ΔD)", p_tost=_tost_welch(s, bound),
                sesoi_bound=float(bound), group=f"{labels[0]} vs {labels[1]}",
                note=f"Welch t, one-sided (greater); TOST bound ±{bound:.4g} scale points of D "
                     f"({sesoi.value:g} {'x pooled SD of ΔD' if sesoi.unit == 'dz' else 'raw'}); "
                     f"{x1.size} {labels[0]}, {x0.size} {labels[1]}")


def _paired_rows(hyp, frame, n_total) -> list:
    """Descriptive rows: change in D within each group (paired t, two-sided)."""
    rows = []
    d1, d2, g = (frame[c].to_numpy() for c in ("d1", "d2", "g"))
    both = np.isfinite(d1) & np.isfinite(d2)
    for level, name in ((1.0, "born globals"), (0.0, "traditional")):
        sel = both & (g == level)
        q = f"change in D, {name} (paired, later − first)"
        if sel.sum() < 3 or np.std(d2[sel] - d1[sel]) == 0:
            rows.append(_unavailable(hyp, "descriptive", "paired t", q, sel.sum(), n_total,
                                     "fewer than 3 firms with D at both waves, or no variation"))
            continue
        s = paired_stats(d2[sel], d1[sel], CI_LEVEL)
        rows.append(_row(hyp, "descriptive", "paired t", q, s["n"], n_total, group=name,
                         estimate=s["estimate"], se=s["se"], statistic=s["t"], statistic_name="t",
                         df=s["df"], p_value=s["p"], p_sided="two-sided", alternative="two-sided",
                         ci_level=CI_LEVEL, ci_lower=s["ci_lower"], ci_upper=s["ci_upper"],
                         ci_label=_CI))
    return rows


def change_by_group(frame, sec, hyp="C1") -> list:
    """C1: ΔD of born globals minus traditional firms (Welch, one-sided greater) + the change
    within each group (descriptive).  R: ``t.test(dD[g == 1], dD[g == 0], alternative =
    "greater")``; ``t.test(D2[g == 1], D1[g == 1], paired = TRUE)``."""
    dd, g = frame["dd"].to_numpy(), frame["g"].to_numpy()
    primary = _welch_row(hyp, "Welch t", "difference in the change of D, born globals − "
                         "traditional", dd[g == 1], dd[g == 0], len(frame), sec.sesoi,
                         ("born-global", "traditional"))
    return [primary] + _paired_rows(hyp, frame, len(frame))


def stage(frame, sec, hyp="C2") -> list:
    """C2: ΔD of firms that moved to a later phase minus the others (Welch, one-sided greater).
    R: ``t.test(dD[moved], dD[!moved], alternative = "greater")``."""
    dd, moved = frame["dd"].to_numpy(), frame["moved"].to_numpy()
    return [_welch_row(hyp, "Welch t", "difference in the change of D, firms that moved to a "
                       "later phase − firms that did not", dd[moved == 1], dd[moved == 0],
                       len(frame), sec.sesoi, ("moved", "not moved"))]


def _ols_slope(y, a, b):
    """OLS ``y ~ 1 + a + b``: slope of ``b`` with its classical SE, df; None when singular."""
    X = np.column_stack([np.ones(y.size), a, b])
    xtx = X.T @ X
    if np.linalg.cond(xtx) > 1e12:
        return None
    inv = np.linalg.inv(xtx)
    beta = inv @ X.T @ y
    df = y.size - 3
    sigma2 = float(((y - X @ beta) ** 2).sum() / df)
    if not sigma2 > 1e-12 * max(float(y.var()), 1e-300):
        return None  # an (essentially) perfect fit: R's summary.lm warns its tests are unreliable
    return float(beta[2]), float(np.sqrt(sigma2 * inv[2, 2])), df, beta, np.sqrt(sigma2 * np.diag(inv))


def _slope_row(hyp, role, question, y, a, b, n_total, sesoi, reverse):
    ok = np.isfinite(y) & np.isfinite(a) & np.isfinite(b)
    y, a, b = y[ok], a[ok], b[ok]
    fit = _ols_slope(y, a, b) if y.size >= 5 else None
    if fit is None:
        return _unavailable(hyp, role, "OLS slope", question, y.size, n_total,
                            "fewer than 5 firms with both waves, collinear predictors, or a "
                            "perfect fit (no residual variation)"), None
    est, se, df, beta, ses = fit
    t = est / se
    half = float(stats.t.ppf((1 + CI_LEVEL) / 2, df)) * se
    std = est * b.std(ddof=1) / y.std(ddof=1)
    kw = dict(estimate=est, se=se, statistic=t, statistic_name="t", df=float(df),
              ci_level=CI_LEVEL, ci_lower=est - half, ci_upper=est + half, ci_label=_CI,
              effect_size=float(std), effect_size_name="standardized path (b sd(x) / sd(y))")
    if reverse:
        kw.update(p_value=float(2 * stats.t.sf(abs(t), df)), p_sided="two-sided",
                  alternative="two-sided", note="OLS, classical SE; two-sided; not part of "
                  "the verdict")
    else:
        bound = (sesoi.value / 2 * y.std(ddof=1) / b.std(ddof=1) if sesoi.unit == "dz"
                 else sesoi.value)
        p_tost = max(stats.t.sf((est + bound) / se, df), stats.t.cdf((est - bound) / se, df))
        kw.update(p_value=float(stats.t.sf(t, df)), p_opposite=float(stats.t.cdf(t, df)),
                  p_sided="one-sided", alternative="greater", p_tost=float(p_tost),
                  sesoi_bound=float(bound),
                  note=f"OLS, classical SE, t with n − 3 df, one-sided (greater); TOST bound "
                       f"±{bound:.4g} on the slope ("
                       + (f"standardized path ±{sesoi.value / 2:g}" if sesoi.unit == "dz"
                          else "raw") + ")")
    fitinfo = {"beta": beta, "se": ses, "df": df, "n": int(y.size)}
    return _row(hyp, role, "OLS slope", question, y.size, n_total, **kw), fitinfo


def _cross_lagged_fits(frame, sec, hyp):
    d1, d2, x1, x2 = (frame[c].to_numpy() for c in ("d1", "d2", "x1", "x2"))
    return (_slope_row(hyp, "primary", "wave-1 approach -> wave-2 lean, beyond the wave-1 lean "
                       "(cross-lagged path)", d2, d1, x1, len(frame), sec.sesoi, False),
            _slope_row(hyp, "reverse", "wave-1 lean -> wave-2 approach, beyond the wave-1 "
                       "approach (reverse cross-lagged path)", x2, x1, d1, len(frame),
                       sec.sesoi, True))


def cross_lagged_observed(frame, sec, hyp="C3") -> tuple[list, dict]:
    """C3, observed scores: the forward path X_first -> D_later (one-sided greater) and the
    reverse path D_first -> X_later (two-sided, role ``reverse``); also the paths table
    (lavaan long-table rows of the two regressions) and the fit (R²).
    R: ``summary(lm(D2 ~ D1 + X1))``, ``summary(lm(X2 ~ X1 + D1))``."""
    (fwd, f_fit), (rev, r_fit) = _cross_lagged_fits(frame, sec, hyp)
    paths = []
    for lhs, rhs, fit in (("D_2", ("D_1", "X_1"), f_fit), ("X_2", ("X_1", "D_1"), r_fit)):
        if fit is None:
            continue
        for i, name in enumerate(("1",) + rhs):
            est, se = float(fit["beta"][i]), float(fit["se"][i])
            t = est / se
            half = float(stats.t.ppf((1 + CI_LEVEL) / 2, fit["df"])) * se
            paths.append({"lhs": lhs, "op": "~1" if i == 0 else "~", "rhs": "" if i == 0 else name,
                          "group": 1, "est": est, "se": se, "z": t,
                          "pvalue": float(2 * stats.t.sf(abs(t), fit["df"])),
                          "ci_lower": est - half, "ci_upper": est + half, "n": fit["n"],
                          "std_lv": None, "std_all": None})
    info = {"paths": paths, "fit": {"method": "OLS per equation, classical SE; t tests "
                                    "(column z holds t), 95 % CI two-sided",
                                    "n_forward": fwd["n"], "n_reverse": rev["n"]}}
    return [fwd, rev], info


#: hypothesis test name (plan) -> function(frame, panel section, label) -> rows
TESTS = {"change_by_group": change_by_group, "stage": stage,
         "cross_lagged": lambda frame, sec, hyp: [r for r, _ in _cross_lagged_fits(frame, sec, hyp)]}


def observed_rows(panel, plan, *, bg_definition=None, missing="available", frame=None) -> dict:
    """Label -> evidence rows (observed scores) of every hypothesis of ``plan.panel``."""
    sec = panel_section(plan)
    if frame is None:
        frame = panel_frame(panel, plan, bg_definition=bg_definition, missing=missing)
    return {label: TESTS[h.test](frame, sec, label) for label, h in sec.hypotheses.items()}
