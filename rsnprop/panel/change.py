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
    cols = [rel, inf, group] + ([phase] if phase else [])
    for c in cols:
        if c not in panel.data.columns:
            raise InputError("no such column in the panel", column=c)
    first = panel.data.loc[panel.data["wave"] == panel.waves[0]].set_index("panel_id")
    second = panel.data.loc[panel.data["wave"] == later].set_index("panel_id")
    both = first.index.intersection(second.index)
    a, b = first.loc[both], second.loc[both]
    out = pd.DataFrame({"d1": a[rel] - a[inf], "d2": b[rel] - b[inf], "g": a[group]})
    if phase:
        out["moved"] = (b[phase].astype(float) > a[phase].astype(float)).where(
            a[phase].notna() & b[phase].notna())
    out["dd"] = out["d2"] - out["d1"]
    return out, len(first)


def _by_group(wide, ci_level) -> list:
    rows = []
    groups = sorted(wide["g"].dropna().unique())
    if len(groups) != 2:
        raise InputError(f"needs two groups among the linked firms, found {len(groups)}",
                         parameter="group")
    for g in groups:
        sub = wide.loc[wide["g"] == g, ["d1", "d2"]].dropna()
        if len(sub) < 2:
            raise InputError(f"group {g} has {len(sub)} firms answering both waves",
                             parameter="group")
        t = stats.ttest_rel(sub["d2"], sub["d1"])
        ci = t.confidence_interval(ci_level)
        rows.append(_row(f"change in D, group {_fmt(g)}", "paired t test", float(
            (sub["d2"] - sub["d1"]).mean()), t, ci, "two-sided", ci_level, len(sub),
            int((wide["g"] == g).sum())))
    x1, x0 = (wide.loc[wide["g"] == g, "dd"].dropna() for g in (groups[1], groups[0]))
    t = stats.ttest_ind(x1, x0, equal_var=False)
    rows.append(_row(f"difference in change ({_fmt(groups[1])} - {_fmt(groups[0])})",
                     "Welch t test", float(x1.mean() - x0.mean()), t,
                     t.confidence_interval(ci_level), "two-sided", ci_level, len(x1) + len(x0),
                     len(wide)))
    return rows


def _stage(wide, ci_level) -> dict:
    ok = wide[["dd", "moved"]].dropna()
    moved, not_moved = ok.loc[ok["moved"] == 1, "dd"], ok.loc[ok["moved"] == 0, "dd"]
    if len(moved) < 2 or len(not_moved) < 2:
        raise InputError(f"{len(moved)} firms moved to a later phase and {len(not_moved)} did "
                         "not: each needs at least 2", parameter="phase")
    t = stats.ttest_ind(moved, not_moved, equal_var=False, alternative="greater")
    ci = t.confidence_interval(ci_level)
    return _row("stage: change in D, moved minus not moved", "Welch t test",
                float(moved.mean() - not_moved.mean()), t, ci, "one-sided, greater", ci_level,
                len(ok), len(wide))


def _row(question, test, estimate, t, ci, sided, level, n, n_total) -> dict:
    label = (f"{level:.0%} CI" if sided == "two-sided"
             else f"{level:.0%} one-sided CI")
    return {"question": question, "test": test, "estimate": estimate, "t": float(t.statistic),
            "df": float(t.df), "pvalue": float(t.pvalue), "sided": sided,
            "ci_lower": float(ci.low), "ci_upper": float(ci.high), "ci_label": label,
            "n": int(n), "n_total": int(n_total)}


def _fmt(g) -> str:
    return str(int(g)) if float(g).is_integer() else str(g)
