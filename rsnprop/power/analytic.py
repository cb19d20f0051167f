"""Quick analytic power of the main contrasts, for comparison with the Monte Carlo power.

The plan's primary tests are one-sided t tests on the within-firm contrast
``D = relational - informational`` (scale scores):

* P1: paired t among traditional firms (``D < 0``), effect ``d_z = -mean(D) / sd(D)``;
* P2: paired t among born globals (``D > 0``), effect ``d_z = mean(D) / sd(D)``;
* interaction: two-sample t of ``D`` between groups (born global x benefit type), effect
  ``d = (mean_bg(D) - mean_trad(D)) / pooled sd``.  (The plan's *joint* verdict needs P1, P2
  and the interaction all supported, so its Monte Carlo power is at most the smallest of
  the three; the analytic row is the interaction test alone.)

The *observed-score* effect sizes, the share of firms kept by cleaning and the share of born
globals (by the plan's definition) are measured on one large simulated and cleaned sample
(``calibration_n`` firms, fixed seed): attenuation by measurement error, careless
responding, exclusions and misclassification are thus included, but the sampling
variability of exclusions is not.  Power is given at ``alpha / 3`` (Bonferroni: a lower
bound for Holm over {P1, P2, joint}) and at ``alpha`` (an upper bound), by
``statsmodels.stats.power`` (R: ``pwr::pwr.t.test(d, n, sig.level, type = "paired",
alternative = "greater")`` and ``pwr::pwr.t2n.test``); P1/P2 are cross-checked with
``pingouin.power_ttest``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..data import clean
from ..simulate import simulate_study

__all__ = ["calibrate", "analytic_power"]


def calibrate(ins, plan, scenario, *, n: int = 20000, seed: int = 20260101, sim_options=None) -> dict:
    """Observed-score effect sizes, keep rate and group shares from one large cleaned sample."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = simulate_study(ins, scenario, n=n, seed=seed, **(sim_options or {}))
        data = clean(raw, ins, plan.cleaning).data
    rel = data[plan.relational_columns()].mean(axis=1)
    inf = data[plan.informational_columns()].mean(axis=1)
    D = (rel - inf).to_numpy(dtype=float)
    bg = data[plan.born_global_definition].to_numpy(dtype=float)
    ok = ~np.isnan(D) & ~np.isnan(bg)
    D, bg = D[ok], bg[ok] == 1
    d_bg, d_tr = D[bg], D[~bg]
    pooled = np.sqrt(((len(d_bg) - 1) * d_bg.var(ddof=1) + (len(d_tr) - 1) * d_tr.var(ddof=1))
                     / (len(D) - 2))
    return {
        "calibration_n": int(n), "calibration_seed": int(seed),
        "keep_rate": float(ok.sum() / n),
        "share_born_global": float(bg.mean()),
        "dz_P1": float(-d_tr.mean() / d_tr.std(ddof=1)),
        "dz_P2": float(d_bg.mean() / d_bg.std(ddof=1)),
        "d_joint": float((d_bg.mean() - d_tr.mean()) / pooled),
        # sampling error of the calibration effect sizes (large-sample SE of d_z)
        "se_dz_P1": float(((1 + 0.5 * (d_tr.mean() / d_tr.std(ddof=1)) ** 2) / len(d_tr)) ** 0.5),
        "se_dz_P2": float(((1 + 0.5 * (d_bg.mean() / d_bg.std(ddof=1)) ** 2) / len(d_bg)) ** 0.5),
    }


def analytic_power(calib: dict, ns, *, alpha: float = 0.05, m_tests: int = 3,
                   targets=(0.8, 0.9)) -> dict:
    """Analytic power per sample size (rows) and the N for each target power.

    Parameters
    ----------
    calib : dict
        From :func:`calibrate` (or any dict with the same keys).
    ns : list of int
        Numbers of respondents (before cleaning).
    """

    # imported here: --no-analytic runs (and every forked worker) skip its 0.35 s import
    from statsmodels.stats.power import TTestIndPower, TTestPower

    paired, ind = TTestPower(), TTestIndPower()
    keep, share = calib["keep_rate"], calib["share_born_global"]

    def sizes(N):
        kept = N * keep
        return max(kept * (1 - share), 2.0), max(kept * share, 2.0)

    def power_of(prop, N, a):
        n_tr, n_bg = sizes(N)
        if prop == "P1":
            return float(paired.power(calib["dz_P1"], n_tr, a, alternative="larger"))
        if prop == "P2":
            return float(paired.power(calib["dz_P2"], n_bg, a, alternative="larger"))
        return float(ind.power(calib["d_joint"], n_tr, a, ratio=n_bg / n_tr, alternative="larger"))

    rows = []
    for N in ns:
        for prop in ("P1", "P2", "joint"):
            rows.append({"n": int(N), "proposition": prop,
                         "test": {"P1": "paired t (traditional)", "P2": "paired t (born global)",
                                  "joint": "interaction only (two-sample t of D)"}[prop],
                         "power_bonferroni": power_of(prop, N, alpha / m_tests),
                         "power_uncorrected": power_of(prop, N, alpha)})
    try:
        import pingouin as pg

        for r in rows:
            if r["proposition"] in ("P1", "P2"):
                n_tr, n_bg = sizes(r["n"])
                nn = n_tr if r["proposition"] == "P1" else n_bg
                r["pingouin_uncorrected"] = float(pg.power_ttest(
                    d=calib[f"dz_{r['proposition']}"], n=nn, alpha=alpha, contrast="paired",
                    alternative="greater"))
    except ImportError:  # pragma: no cover
        pass
    n_needed = {}
    for prop in ("P1", "P2", "joint"):
        n_needed[prop] = {}
        for t in targets:
            lo, hi = 4, 8
            if power_of(prop, lo, alpha / m_tests) >= t:
                n_needed[prop][f"{t:g}"] = lo
                continue
            while power_of(prop, hi, alpha / m_tests) < t and hi < 10 ** 7:
                hi *= 2
            if hi >= 10 ** 7:
                n_needed[prop][f"{t:g}"] = None
                continue
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if power_of(prop, mid, alpha / m_tests) >= t:
                    hi = mid
                else:
                    lo = mid
            n_needed[prop][f"{t:g}"] = int(math.ceil(hi))
    return {"effect_sizes": {k: calib[k] for k in ("dz_P1", "dz_P2", "d_joint")},
            "keep_rate": keep, "share_born_global": share, "alpha": alpha, "m_tests": m_tests,
            "rows": rows, "n_for_power_bonferroni": n_needed,
            "calibration": {k: calib[k] for k in ("calibration_n", "calibration_seed", "se_dz_P1",
                                                  "se_dz_P2") if k in calib}}
