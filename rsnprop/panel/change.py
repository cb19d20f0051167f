"""Change between two waves in the within-firm relational lean, observed scores.

For every firm answering both waves, the lean is ``D = relational − informational`` (the
within-firm contrast the propositions test) and its change ``ΔD = D_later − D_first``.  Two
questions of issue 20, as descriptive tests (the preregistered verdicts, Holm family and latent
versions are still to come, see docs/panel.md):

(a) **change by group**: mean ΔD in each group with a paired t test (R
    ``t.test(D_later, D_first, paired = TRUE)``), and the difference between groups in ΔD with
    Welch's t test (R ``t.test(dD[g == 1], dD[g == 0])``);
(b) **the stage argument**: firms that moved to a later internationalisation phase between the
    waves shift toward relational benefits more than firms that did not (mean ΔD of movers minus
    stayers-in-phase, Welch's t test, one-sided ``greater``: R ``t.test(..., alternative =
    "greater")``).

Every interval is two-sided at ``ci_level`` (a one-sided test's interval is the one-sided bound
R reports, labelled as such), and every test says how many firms it used out of how many it was
given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..results import Result
from .link import PanelLink

SCHEMA = "rsnprop.panel_change/1"
#: why a test has no statistic: the same value for every firm (R's t.test stops)
CONSTANT = ("not computed: the change is the same for every firm (no variation), so the t test "
            "is undefined (R's t.test stops: 'data are essentially constant')")


@dataclass
class Change(Result):
    """Tests of change in the relational lean between two waves (observed scores)."""

    first: str
    later: str
    rows: list
    n_linked: int
    n_first: int
    ci_level: float
    title: str = "Change between waves (observed scores)"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "first_wave": self.first, "later_wave": self.later,
                "n_linked": self.n_linked, "n_first": self.n_first, "ci_level": self.ci_level,
                "tests": self.rows}

    def headline(self) -> list:
        out = [f"D = relational - informational; change from wave {self.first} to {self.later}, "
               f"{self.n_linked} of {self.n_first} first-wave firms answered both"]
        for r in self.rows:
            if r["t"] is None:
                est = "" if r["estimate"] is None else f"{r['estimate']:+.3f}, "
                out.append(f"{r['question']}: {est}{r['note']}, n = {r['n']} of {r['n_total']}")
                continue
            out.append(f"{r['question']}: {r['estimate']:+.3f} [{r['ci_label']} "
                       f"{_num(r['ci_lower'])}, {_num(r['ci_upper'])}], t({r['df']:.1f}) = "
                       f"{r['t']:.3f}, p ({r['sided']}) = {r['pvalue']:.4f}, n = {r['n']} of "
                       f"{r['n_total']}")
        return out

    def summary(self) -> str:
        return "\n".join(self.headline())


def _num(x) -> str:
    return "inf" if x == np.inf else "-inf" if x == -np.inf else f"{x:.3f}"


def change_tests(panel: PanelLink, *, relational: str, informational: str, group: str,
                 phase: str | None = None, later=None, ci_level: float = 0.95) -> Change:
    """Change in ``D = relational − informational`` between the first wave and ``later``.

    Parameters
    ----------
    panel : PanelLink
        From :func:`rsnprop.panel.link_waves`.
    relational, informational : str
        Score columns (e.g. ``score_relational``, ``score_informational``).
    group : str
        0/1 column of the first wave (1 = born global), e.g. ``bg_true``.
    phase : str, optional
        Ordered internationalisation phase (numeric); with it, question (b) is tested.
    later : str, optional
        The later wave (default: the last).
    ci_level : float
        Level of the intervals.

    Returns
    -------
    Change

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> rng = np.random.default_rng(2)
    >>> w1 = pd.DataFrame({"id": range(60), "rel": rng.normal(4, 1, 60), "inf": rng.normal(4, 1, 60),
    ...                    "bg": np.repeat([0, 1], 30), "phase": rng.integers(2, 4, 60)})
    >>> w2 = w1.assign(rel=lambda d: d.rel + 0.5 * d.bg + rng.normal(0, 0.3, 60))
    >>> res = change_tests(link_waves({"1": w1, "2": w2}, "id", salt="s"), relational="rel",
    ...                    informational="inf", group="bg")
    >>> [r["question"] for r in res.rows]
    ['change in D, group 0', 'change in D, group 1', 'difference in change (1 - 0)']
    """
    if not 0 < ci_level < 1:
        raise InputError("must be between 0 and 1", parameter="ci_level", value=ci_level)
    later = panel.waves[-1] if later is None else str(later)
    if later not in panel.waves[1:]:
        raise InputError("not a later wave of this panel", parameter="later", value=later)
    wide, n_first = _lean(panel, relational, informational, group, phase, later)
    rows = _by_group(wide, ci_level)
    if phase is not None:
        rows.append(_stage(wide, ci_level))
    return Change(first=panel.waves[0], later=later, rows=rows, n_linked=len(wide),
                  n_first=n_first, ci_level=ci_level)


def _lean(panel, rel, inf, group, phase, later):
    """One row per firm answering both waves: D at each wave, ΔD, group, phase move."""
    wide = lean_frame(panel, [rel], [inf], group=group, phase=phase, later=later)
    both = wide.loc[wide["in_later"]]
    out = both[["d1", "d2", "g"] + (["moved"] if phase else []) + ["dd"]]
    return out, len(wide)


def lean_frame(panel: PanelLink, relational, informational, *, group=None, phase=None,
               approach=None, later=None, items=None) -> pd.DataFrame:
    """One row per firm of the first wave (index ``panel_id``): the lean D at each wave.

    Columns: ``d1``, ``d2`` (D = row mean of ``relational`` − row mean of ``informational``,
    missing when a score is; ``d2`` missing for firms absent from ``later``), ``dd`` (ΔD),
    ``in_later``; with ``group``: ``g`` (its first-wave value); with ``phase``: ``p1``, ``p2``
    and ``moved`` (1.0 when the later phase is higher, 0.0 when not, missing when a phase is);
    with ``approach``: ``x1``, ``x2``; with ``items`` (the benefit item columns):
    ``complete`` (every item answered at both waves).  A column named but absent from the
    panel raises :class:`~rsnprop.errors.InputError` naming it.

    >>> import pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> w1 = pd.DataFrame({"id": range(14), "r": 5.0, "i": 4.0})
    >>> w2 = pd.DataFrame({"id": range(12), "r": 6.0, "i": 4.0})
    >>> f = lean_frame(link_waves({"1": w1, "2": w2}, "id", salt="s"), ["r"], ["i"])
    >>> len(f), int(f["in_later"].sum()), f["dd"].dropna().unique().tolist()
    (14, 12, [1.0])
    """
    later = panel.waves[-1] if later is None else str(later)
    data = panel.data
    named = list(relational) + list(informational) + [c for c in (group, phase, approach) if c]
    for c in named + list(items or []):
        if c not in data.columns:
            raise InputError("no such column in the panel", column=c)
    wave = data["wave"].to_numpy()
    first, second = data.loc[wave == panel.waves[0]], data.loc[wave == later]
    # row of each first-wave firm in the later wave (-1: absent); numpy, not reindex: a Monte
    # Carlo replication builds this frame once per specification
    pos = pd.Index(second["panel_id"]).get_indexer(first["panel_id"])
    found = pos >= 0

    def at_later(values):
        out = np.full(pos.size, np.nan)
        out[found] = values[pos[found]]
        return out

    def lean(frame, move):
        d = _matrix(frame, relational).mean(axis=1) - _matrix(frame, informational).mean(axis=1)
        return at_later(d) if move else d

    out = {"d1": lean(first, False), "d2": lean(second, True), "in_later": found}
    if group:
        out["g"] = first[group].to_numpy()
    if phase:
        p1, p2 = _matrix(first, [phase])[:, 0], at_later(_matrix(second, [phase])[:, 0])
        out["p1"], out["p2"] = p1, p2
        out["moved"] = np.where(np.isnan(p1) | np.isnan(p2), np.nan, (p2 > p1).astype(float))
    if approach:
        out["x1"], out["x2"] = _matrix(first, [approach])[:, 0], at_later(_matrix(second, [approach])[:, 0])
    if items:
        out["complete"] = (~np.isnan(_matrix(first, items)).any(axis=1)
                           & (at_later(np.isnan(_matrix(second, items)).any(axis=1)) == 0))
    frame = pd.DataFrame(out, index=pd.Index(first["panel_id"].to_numpy(), name="panel_id"))
    frame["dd"] = frame["d2"] - frame["d1"]
    return frame


def _matrix(frame, cols) -> np.ndarray:
    """The columns as a float matrix (anything not a number is NaN)."""
    return np.column_stack([frame[c].to_numpy(dtype=float, na_value=np.nan) if frame[c].dtype.kind in "fiub"
                            else pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
                            for c in cols])


def paired_stats(later, first, ci_level=0.95) -> dict:
    """Paired t test of ``later − first``, two-sided: ``estimate, se, t, df, p, ci_lower,
    ci_upper, n``.  R: ``t.test(later, first, paired = TRUE)``.

    >>> paired_stats([2.0, 3.0, 5.0], [1.0, 1.0, 2.0])["estimate"]
    2.0
    """
    d = np.asarray(later, dtype=float) - np.asarray(first, dtype=float)
    n = d.size
    est, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))
    df = n - 1
    if not se > 0:  # every difference the same: R stops ("data are essentially constant")
        return {"estimate": est, "se": se, "t": None, "df": float(df), "p": None,
                "ci_lower": None, "ci_upper": None, "n": n, "note": CONSTANT}
    t = est / se
    half = float(stats.t.ppf((1 + ci_level) / 2, df)) * se
    return {"estimate": est, "se": se, "t": t, "df": float(df), "p": float(2 * stats.t.sf(abs(t), df)),
            "ci_lower": est - half, "ci_upper": est + half, "n": n}


def welch_stats(x1, x0, ci_level=0.95, alternative="two-sided") -> dict:
    """Welch's t test of ``mean(x1) − mean(x0)``: ``estimate, se, t, df, p`` (``alternative``:
    "two-sided" or "greater"), ``p_greater``, ``p_less``, the two-sided ``ci_level`` interval
    (``ci_lower, ci_upper``), ``n1, n0, sd_pooled`` (pooled SD of the two samples).
    R: ``t.test(x1, x0, alternative = alternative)`` (var.equal = FALSE).

    >>> round(welch_stats([1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 1.0])["df"], 4)
    4.3494
    """
    x1, x0 = np.asarray(x1, dtype=float), np.asarray(x0, dtype=float)
    n1, n0 = x1.size, x0.size
    v1, v0 = x1.var(ddof=1) / n1, x0.var(ddof=1) / n0
    se = float(np.sqrt(v1 + v0))
    if not se > 0:  # no variation in either group: R stops ("data are essentially constant")
        est = float(x1.mean() - x0.mean())
        return {"estimate": est, "se": se, "t": None, "df": None, "n1": n1, "n0": n0, "p": None,
                "p_greater": None, "p_less": None, "ci_lower": None, "ci_upper": None,
                "sd_pooled": 0.0, "note": CONSTANT}
    df = float((v1 + v0) ** 2 / (v1 ** 2 / (n1 - 1) + v0 ** 2 / (n0 - 1)))
    est = float(x1.mean() - x0.mean())
    t = est / se
    half = float(stats.t.ppf((1 + ci_level) / 2, df)) * se
    pg, pl = float(stats.t.sf(t, df)), float(stats.t.cdf(t, df))
    pooled = np.sqrt(((n1 - 1) * x1.var(ddof=1) + (n0 - 1) * x0.var(ddof=1)) / (n1 + n0 - 2))
    return {"estimate": est, "se": se, "t": t, "df": df, "n1": n1, "n0": n0,
            "p": pg if alternative == "greater" else float(2 * min(pg, pl)), "p_greater": pg,
            "p_less": pl, "ci_lower": est - half, "ci_upper": est + half,
            "sd_pooled": float(pooled)}


def _by_group(wide, ci_level) -> list:
    rows = []
    groups = sorted(wide["g"].dropna().unique())
    if len(groups) > 2:
        raise InputError(f"needs two groups (a 0/1 column), found {len(groups)} among the linked "
                         "firms", parameter="group")
    for g in groups:
        sub = wide.loc[wide["g"] == g, ["d1", "d2"]].dropna()
        question, n_total = f"change in D, group {_fmt(g)}", int((wide["g"] == g).sum())
        if len(sub) < 2:
            rows.append(_not_computed(question, "paired t test", "two-sided", ci_level, len(sub),
                                      n_total, f"not computed: {len(sub)} firm(s) of this group "
                                      "answered both waves (at least 2 needed)"))
            continue
        s = paired_stats(sub["d2"], sub["d1"], ci_level)
        rows.append(_row(question, "paired t test", s, "two-sided", ci_level, len(sub), n_total))
    if len(groups) != 2:
        return rows + [_not_computed("difference in change between the groups", "Welch t test",
                                     "two-sided", ci_level, 0, len(wide),
                                     f"not computed: {len(groups)} group(s) among the linked "
                                     "firms (2 needed)")]
    x1, x0 = (wide.loc[wide["g"] == g, "dd"].dropna() for g in (groups[1], groups[0]))
    question = f"difference in change ({_fmt(groups[1])} - {_fmt(groups[0])})"
    if min(len(x1), len(x0)) < 2:
        return rows + [_not_computed(question, "Welch t test", "two-sided", ci_level,
                                     len(x1) + len(x0), len(wide), "not computed: each group "
                                     "needs at least 2 firms answering both waves")]
    s = welch_stats(x1, x0, ci_level)
    rows.append(_row(question, "Welch t test", s, "two-sided", ci_level, len(x1) + len(x0),
                     len(wide)))
    return rows


def _stage(wide, ci_level) -> dict:
    ok = wide[["dd", "moved"]].dropna()
    moved, not_moved = ok.loc[ok["moved"] == 1, "dd"], ok.loc[ok["moved"] == 0, "dd"]
    if len(moved) < 2 or len(not_moved) < 2:
        return _not_computed("stage: change in D, moved minus not moved", "Welch t test",
                             "one-sided, greater", ci_level, len(ok), len(wide),
                             f"not computed: {len(moved)} firm(s) moved to a later phase and "
                             f"{len(not_moved)} did not (each needs at least 2)")
    s = welch_stats(moved, not_moved, ci_level, alternative="greater")
    # the one-sided interval R reports with alternative = "greater": (est - t_{level} se, inf)
    if s["t"] is not None:
        s = dict(s, ci_lower=s["estimate"] - float(stats.t.ppf(ci_level, s["df"])) * s["se"],
                 ci_upper=float("inf"))
    return _row("stage: change in D, moved minus not moved", "Welch t test", s,
                "one-sided, greater", ci_level, len(ok), len(wide))


def _row(question, test, s, sided, level, n, n_total) -> dict:
    label = (f"{level:.0%} CI" if sided == "two-sided"
             else f"{level:.0%} one-sided CI")
    row = {"question": question, "test": test, "estimate": s["estimate"], "t": s["t"],
           "df": s["df"], "pvalue": s["p"], "sided": sided,
           "ci_lower": s["ci_lower"], "ci_upper": s["ci_upper"], "ci_label": label,
           "n": int(n), "n_total": int(n_total)}
    if s.get("note"):
        row["note"] = s["note"]
    return row


def _not_computed(question, test, sided, level, n, n_total, note) -> dict:
    """A row whose test cannot be computed on these data (no statistic), with the reason."""
    s = {"estimate": None, "t": None, "df": None, "p": None, "ci_lower": None, "ci_upper": None,
         "note": note}
    return _row(question, test, s, sided, level, n, n_total)


def _fmt(g) -> str:
    return str(int(g)) if float(g).is_integer() else str(g)
