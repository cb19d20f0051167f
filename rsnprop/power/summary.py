"""From replication records to verdict probabilities, MC errors and the N for a target power.

For ``R`` replications at a sample size with ``k`` "supported" verdicts, power is
``p = k / R`` with Monte Carlo standard error ``sqrt(p (1 - p) / R)`` and a Wilson 95 %
interval (R: ``prop.test(k, R, correct = FALSE)$conf.int`` gives the same bounds).

The N for a target power is found on the curve ``logit(power) = a + b log(N)`` fitted by
binomial maximum likelihood to all sizes (R: ``glm(cbind(k, R - k) ~ log(n), binomial)``),
and also read off the grid by linear interpolation between the two sizes that bracket the
target (``NA`` when no size reaches it).

Examples
--------
>>> [round(x, 6) for x in wilson(80, 100)]     # R: prop.test(80, 100, correct = FALSE)
[0.711171, 0.866633]
"""

from __future__ import annotations

import math

__all__ = ["wilson", "verdict_table", "logistic_curve", "n_for_power", "VERDICTS"]

VERDICTS = ("supported", "contradicted", "equivalent", "inconclusive")


def wilson(k: int, r: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / r``."""
    if r == 0:
        return (float("nan"), float("nan"))
    p = k / r
    den = 1 + z * z / r
    centre = (p + z * z / (2 * r)) / den
    half = z * math.sqrt(p * (1 - p) / r + z * z / (4 * r * r)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def verdict_table(records, propositions=("P1", "P2", "joint")) -> list[dict]:
    """One row per (n, proposition): ``reps``, share of each verdict, ``power`` (share
    supported), ``mc_se``, Wilson ``ci_lower``/``ci_upper``, ``failed`` replications."""
    by_n: dict[int, list] = {}
    for r in records:
        by_n.setdefault(int(r["n"]), []).append(r)
    rows = []
    for n in sorted(by_n):
        recs = by_n[n]
        R = len(recs)
        failed = sum(1 for r in recs if r.get("error"))
        for prop in propositions:
            counts = {v: 0 for v in VERDICTS}
            for r in recs:
                v = (r.get("verdicts") or {}).get(prop, "inconclusive")
                counts[v if v in counts else "inconclusive"] += 1
            k = counts["supported"]
            p = k / R
            lo, hi = wilson(k, R)
            row = {"n": n, "proposition": prop, "reps": R, "power": p,
                   "mc_se": math.sqrt(p * (1 - p) / R), "ci_lower": lo, "ci_upper": hi,
                   "failed": failed}
            for v in VERDICTS:
                q = counts[v] / R
                row[f"p_{v}"] = q
                row[f"se_{v}"] = math.sqrt(q * (1 - q) / R)
            rows.append(row)
    return rows


def logistic_curve(ns, ks, rs):
    """Binomial ML fit of ``logit(p) = a + b log(n)`` by Newton-Raphson; returns (a, b) or
    None when it cannot be fitted (fewer than 2 sizes, or all 0 % / all 100 %)."""
    import numpy as np

    x = np.log(np.asarray(ns, dtype=float))
    k = np.asarray(ks, dtype=float)
    r = np.asarray(rs, dtype=float)
    if len(set(x.tolist())) < 2 or k.sum() == 0 or k.sum() == r.sum():
        return None
    X = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(100):
        eta = X @ beta
        p = 1 / (1 + np.exp(-eta))
        w = r * p * (1 - p)
        grad = X.T @ (k - r * p)
        H = (X * w[:, None]).T @ X
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    if not np.all(np.isfinite(beta)) or abs(beta[1]) > 1e3:
        return None  # separation: the curve is a step inside the grid
    return float(beta[0]), float(beta[1])


def _interp(ns, ps, target):
    for (n0, p0), (n1, p1) in zip(zip(ns, ps), zip(ns[1:], ps[1:])):
        if p0 < target <= p1:
            return n0 + (target - p0) * (n1 - n0) / (p1 - p0)
    if ps and ps[0] >= target:
        return float(ns[0])
    return None


def n_for_power(rows, targets=(0.8, 0.9)) -> dict:
    """Per proposition and target: ``{"logistic": N, "interpolated": N, "grid": smallest grid
    n reaching the target, "range": [N where the Wilson upper bound, lower bound reach it],
    "extrapolated": bool}`` (numbers rounded up to whole firms)."""
    out = {}
    for prop in sorted({r["proposition"] for r in rows}, key=lambda s: (s != "P1", s != "P2", s)):
        sub = sorted((r for r in rows if r["proposition"] == prop), key=lambda r: r["n"])
        ns = [r["n"] for r in sub]
        ps = [r["power"] for r in sub]
        fit = logistic_curve(ns, [round(r["power"] * r["reps"]) for r in sub], [r["reps"] for r in sub])
        res = {}
        for t in targets:
            entry = {"target": t}
            if fit is not None and fit[1] > 0:
                a, b = fit
                n_star = math.exp((math.log(t / (1 - t)) - a) / b)
                entry["logistic"] = math.ceil(n_star)
                entry["extrapolated"] = not (min(ns) <= n_star <= max(ns))
            else:
                entry["logistic"] = None
                entry["extrapolated"] = None
            ip = _interp(ns, ps, t)
            entry["interpolated"] = None if ip is None else math.ceil(ip)
            entry["grid"] = next((n for n, p in zip(ns, ps) if p >= t), None)
            hi_n = _interp(ns, [r["ci_upper"] for r in sub], t)
            lo_n = _interp(ns, [r["ci_lower"] for r in sub], t)
            entry["range"] = [None if hi_n is None else math.ceil(hi_n),
                              None if lo_n is None else math.ceil(lo_n)]
            res[f"{t:g}"] = entry
        out[prop] = res
    return out
