"""The latent versions of the panel hypotheses, as the plan asks for them.

Wires the models of :mod:`rsnprop.panel.latent` and :mod:`rsnprop.panel.clpm` to the plan's
panel section: the benefit items of the plan's constructs (``rel_1...``, found by
:func:`rsnprop.propositions.prepare.items_of`), the longitudinal invariance gate at
``panel.required_invariance`` with ``panel.missing``, then per hypothesis: ``change_by_group``
-> the latent change model with the born-global column, ``stage`` -> with the phase move,
``cross_lagged`` -> the latent cross-lagged model of ``panel.approach_column``.  The gate's
verdict is passed to every model: below the required level their rows are ``not_available``
with a note naming the level reached.  Latent rows are secondary evidence: they never decide a
verdict (the multiverse's ``latent`` specifications apply the decision rules to them).

Examples
--------
>>> from rsnprop.propositions.plan import StudyPlan
>>> benefit_items(["rel_1", "rel_2", "inf_1", "inf_2", "x"], StudyPlan(name="x"))
({'relational': ['rel_1', 'rel_2'], 'informational': ['inf_1', 'inf_2']}, '')
"""

from __future__ import annotations

import pandas as pd

from ..propositions.prepare import items_of
from .clpm import cross_lagged
from .latent import latent_change_rows, longitudinal_benefit_invariance
from .link import PanelLink
from .plan import panel_section

__all__ = ["benefit_items", "latent_rows", "complete_panel"]

_DESCRIPTIVE_NOTE = "latent versions not computed"


def benefit_items(columns, plan) -> tuple[dict | None, str]:
    """``({"relational": items, "informational": items}, "")``, or ``(None, why)`` when the plan
    counts several constructs as one benefit type or the panel has no item columns."""
    out = {}
    for kind in ("relational", "informational"):
        constructs = getattr(plan.benefits, kind)
        if len(constructs) != 1:
            return None, (f"{_DESCRIPTIVE_NOTE}: the latent models take one construct per benefit "
                          f"type, the plan counts {len(constructs)} as {kind}")
        found = items_of(columns, constructs[0])
        if len(found) < 2:
            return None, (f"{_DESCRIPTIVE_NOTE}: {len(found)} item column(s) of construct "
                          f"'{constructs[0]}' in the panel (at least 2 needed)")
        out[kind] = found
    return out, ""


def complete_panel(panel: PanelLink, items: dict) -> PanelLink:
    """The panel restricted to firms that answered every benefit item at both waves (first and
    last): ``missing: complete_cases`` of the multiverse."""
    cols = [c for v in items.values() for c in v]
    data = panel.data
    ok = data[cols].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    waves = (panel.waves[0], panel.waves[-1])
    per = ok.groupby([data["panel_id"], data["wave"]]).all().unstack("wave")
    keep = per.index[per.reindex(columns=list(waves)).fillna(False).astype(bool).all(axis=1)]
    sub = data.loc[data["panel_id"].isin(keep)].reset_index(drop=True)
    return PanelLink(data=sub, waves=list(panel.waves), key=panel.key, counts=panel.counts,
                     problems=panel.problems, salted=panel.salted)


def latent_rows(panel: PanelLink, plan, *, bg_definition=None, gate=None, only=None) -> dict:
    """Latent evidence of the plan's panel hypotheses.

    Parameters
    ----------
    panel : PanelLink
    plan : StudyPlan
    bg_definition : str, optional
        Born-global column of C1 (default: the plan's).
    gate : dict, optional
        A gate already computed on this panel (:func:`longitudinal_benefit_invariance`).
    only : set of str, optional
        Compute these hypothesis labels only (the others get no rows).

    Returns
    -------
    dict
        ``rows`` ({label: [row]}), ``gate`` (None without items), ``cross_lagged`` (the latent
        CLPM result: ``paths, fit, rows, syntax, n, n_total, status``; None when not fitted),
        ``note`` (why nothing was computed, else "").
    """
    sec = panel_section(plan)
    items, why = benefit_items(panel.data.columns, plan)
    labels = [k for k in sec.hypotheses if only is None or k in only]
    if items is None:
        return {"rows": {k: [] for k in labels}, "gate": None, "cross_lagged": None, "note": why}
    kw = dict(required=sec.required_invariance, missing=sec.missing)
    if gate is None:
        gate = longitudinal_benefit_invariance(panel, items, **kw)
    rows, clpm = {}, None
    for label in labels:
        test = sec.hypotheses[label].test
        if test == "cross_lagged":
            clpm = cross_lagged(panel, sec.approach_column, version="latent", items=items,
                                gate=gate, hypothesis=label, **kw)
            rows[label] = list(clpm["rows"])
        else:
            covariate = (bg_definition or plan.born_global_definition) if test == "change_by_group" \
                else sec.phase_column
            rows[label] = latent_change_rows(panel, items, covariate, hypothesis=label,
                                             moved=test == "stage", gate=gate, **kw)
    return {"rows": rows, "gate": gate, "cross_lagged": clpm, "note": ""}
