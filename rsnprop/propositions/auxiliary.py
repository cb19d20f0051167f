"""Auxiliary hypotheses, reported separately from the verdicts (no decision rule).

* **A1** born globals use RSN more overall than traditional firms: one-sided Welch t of the
  overall-use score (row mean of the plan's ``auxiliary.rsn_use_columns`` present in the data, else
  the mean of the relational and informational scores), Hedges g with CI.
* **A2** for traditional firms the informational lean grows with the phase of
  internationalisation (the paper's stage argument): slope of
  ``informational - relational`` on phase (1-4) among traditional firms, one-sided, HC3 SE;
  Spearman's rho reported in the note.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(4)
>>> f = pd.DataFrame({"bg": np.repeat([0, 1], 50), "phase": np.tile([1, 2, 3, 4, 2], 20)})
>>> f["relational"] = rng.normal(4, 1, 100); f["informational"] = rng.normal(4, 1, 100)
>>> f["D"] = f["relational"] - f["informational"]
>>> sorted(auxiliary_tests(f).keys())
['A1', 'A2']

R: ``t.test(use[bg == 1], use[bg == 0], alternative = "greater")``;
``coeftest(lm(I(inf - rel) ~ phase, subset = bg == 0), vcovHC(fit, type = "HC3"))``.
"""

from __future__ import annotations

import pandas as pd

from .classic_tests import spearman
from .continuous import approach_slope
from .interaction import welch_interaction

__all__ = ["auxiliary_tests"]


def auxiliary_tests(frame, *, use=None, phase=None):
    """Run A1 and A2 on the analysis frame.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame (``bg``, ``relational``, ``informational``, ``D``).
    use : Series, optional
        Overall RSN use aligned with ``frame``; default the mean of the two benefit scores.
    phase : Series, optional
        Phase of internationalisation aligned with ``frame``; default ``frame["phase"]``.
    """

    out = {}
    f = frame.copy()
    if use is None:
        f["D"] = (f["relational"] + f["informational"]) / 2
        what = "mean of relational and informational scores"
    else:
        f["D"] = pd.to_numeric(pd.Series(use, index=f.index), errors="coerce")
        what = "overall RSN use score"
    a1 = welch_interaction(f, sign=1)
    a1["test"] = "Welch t (overall use)"
    a1["note"] = f"overall use = {what}"
    out["A1"] = {"statement": "Born globals use RSN more overall than traditional firms.", **a1}
    g = frame.copy()
    if phase is None:
        phase = g["phase"] if "phase" in g.columns else None
    if phase is None:
        from .paired import evidence_row

        out["A2"] = {"statement": "For traditional firms the informational lean grows with phase.",
                     **evidence_row("OLS lean ~ phase (HC3)", status="not_available", note="no phase column")}
        return out
    g["phase_"] = pd.to_numeric(pd.Series(phase, index=g.index), errors="coerce")
    trad = g[g["bg"] == 0].copy()
    trad["D"] = trad["informational"] - trad["relational"]
    a2 = approach_slope(trad, "phase_", sign=1)
    a2["test"] = "OLS informational lean ~ phase, traditional firms (HC3)"
    ok = trad[["D", "phase_"]].dropna()
    if len(ok) > 3 and ok["phase_"].nunique() > 1:
        rho = spearman(ok["phase_"], ok["D"])
        a2["note"] = f"Spearman rho = {rho.statistic:.3f} (two-sided p = {rho.pvalue:.3g})"
    a2["group"] = "traditional"
    out["A2"] = {"statement": "For traditional firms the informational lean grows with phase.", **a2}
    return out
