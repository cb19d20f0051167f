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

import numpy as np

from ..propositions.decide import VERDICTS

__all__ = ["wilson", "verdict_table", "logistic_curve", "n_for_power", "n_sentence", "plain_summary",
           "VERDICTS"]


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


def _about(n: float) -> int:
    """A sample size for a sentence: rounded up to 10 firms (5 below 100)."""
    step = 10 if n >= 100 else 5
    return int(math.ceil(n / step) * step)


def n_sentence(entry: dict, ns) -> str:
    """One entry of :func:`n_for_power` in words, for the sizes ``ns`` that were simulated.

    The headline is the grid interpolation (what the report's table shows first; it errs on
    the safe side of the fitted curve), with its Monte Carlo range; beyond the largest size
    the logistic curve's extrapolation is given as a hint only.

    >>> n_sentence({"target": 0.8, "interpolated": 236, "range": [214, 270], "logistic": 228,
    ...             "extrapolated": False, "grid": 300}, [100, 200, 300])
    'N for 80 % power: about 240 firms (Monte Carlo range 214 to 270)'
    >>> n_sentence({"target": 0.9, "interpolated": None, "range": [480, None], "logistic": 641,
    ...             "extrapolated": True, "grid": None}, [100, 300, 500])
    'N for 90 % power: more than 500 firms (not reached by the largest size simulated; the fitted curve suggests about 650)'
    """
    head = f"N for {float(entry['target']):.0%} power:".replace("%", " %")
    ns = sorted(ns)
    ip, lo_hi = entry.get("interpolated"), entry.get("range") or [None, None]
    if ip is not None and ip <= ns[0]:
        return f"{head} {ns[0]} firms or fewer (already reached at the smallest size simulated)"
    if ip is not None:
        rng = (f" (Monte Carlo range {lo_hi[0]} to {lo_hi[1]})" if None not in lo_hi else
               f" (Monte Carlo range {lo_hi[0]} to more than {ns[-1]})" if lo_hi[0] else "")
        return f"{head} about {_about(ip)} firms{rng}"
    hint = (f"; the fitted curve suggests about {_about(entry['logistic'])}"
            if entry.get("logistic") and entry["logistic"] > ns[-1] else "")
    return f"{head} more than {ns[-1]} firms (not reached by the largest size simulated{hint})"


def _pct(p: float) -> str:
    return f"{100 * p:.0f} %"


def plain_summary(data: dict) -> str:
    """The text of ``rsnprop power`` (a :class:`~rsnprop.power.study.PowerResult`'s data) in words.

    Sample size needed per proposition, then the power curve (share of simulated studies in
    which each proposition is supported, with its Monte Carlo standard error), the firms left
    after cleaning, and the analytic approximation.  The figures behind it are in ``--json``.
    """
    d = data
    ns = sorted({int(r["n"]) for r in d["results"]})
    props = list(d["n_for_power"]) or sorted({r["proposition"] for r in d["results"]})
    expected = ", ".join(f"{k} {v}" for k, v in (d.get("expected_verdicts") or {}).items())
    lines = [f"Monte Carlo power of the plan '{d['plan_name']}' (plan hash {d['plan_hash'][:12]}): "
             f"{d['reps']} simulated studies for each of {len(ns)} sample sizes "
             f"({', '.join(map(str, ns))} firms answering), population scenario "
             f"'{d['scenario']}', seed {d['seed']}.",
             f"Power = share of simulated studies in which the proposition is supported "
             f"(expected verdicts in this scenario: {expected or 'none given'}).", "",
             "Sample size needed (firms answering the survey, before exclusions):"]
    for prop in props:
        for entry in d["n_for_power"].get(prop, {}).values():
            lines.append(f"  {prop:<6} {n_sentence(entry, ns)}")
    lines += ["", "Power by sample size (± Monte Carlo standard error, in percentage points):",
              "  " + f"{'firms':>6}" + "".join(f"  {p:>12}" for p in props)]
    by = {(int(r["n"]), r["proposition"]): r for r in d["results"]}
    for n in ns:
        cells = [f"{_pct(by[n, p]['power'])} ± {100 * by[n, p]['mc_se']:.0f}" if (n, p) in by else "-"
                 for p in props]
        lines.append("  " + f"{n:>6}" + "".join(f"  {c:>12}" for c in cells))
    retention = d.get("retention") or []
    if retention:
        lines += ["", "Firms analysed after cleaning (mean over simulations):"]
    for r in retention:
        lines.append(f"  {r['n']:>6} answering -> {r['mean_analysed']:.0f} analysed "
                     f"({r['mean_born_global']:.0f} born globals, {r['mean_traditional']:.0f} traditional)")
    an = d.get("analytic")
    if an:
        need = "; ".join(f"{p} about {_about(v['0.8'])} firms" for p, v in
                         an["n_for_power_bonferroni"].items() if isinstance(v, dict) and v.get("0.8"))
        lines += ["", f"Analytic approximation (main contrast only, alpha/{an['m_tests']}): "
                      f"N for 80 % power: {need or 'not computed'}."]
    lines += [f"Warning: {w}" for w in d.get("warnings", [])]
    lines.append("Every figure (verdict shares, Wilson intervals, fitted curve): rsnprop power --json.")
    return "\n".join(lines)
