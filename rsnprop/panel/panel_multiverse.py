"""The panel multiverse: every preregistered panel hypothesis under each analysis choice.

Specifications: ``panel.multiverse.born_global_definitions`` x ``missing`` (``available``:
scores as cleaned; ``complete_cases``: firms that answered every benefit item at both waves) x
``versions`` (``observed``; ``latent``: the latent change models and the latent cross-lagged
model, gated by longitudinal invariance, :mod:`rsnprop.panel.latent_versions`; with
``complete_cases`` they are fitted to the firms with every benefit item at both waves).  Each
specification gets the verdicts and primary estimates of :func:`rsnprop.panel.panel_verdicts`
(latent: the same decision rules and Holm family applied to the latent rows); the summary
counts, per hypothesis, the specifications with each verdict and the share ``supported``
among those that could be run.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.panel import link_waves
>>> from rsnprop.propositions.plan import StudyPlan
>>> rng = np.random.default_rng(6)
>>> w1 = pd.DataFrame({"id": range(60), "score_relational": rng.normal(4, 1, 60),
...                    "score_informational": rng.normal(4, 1, 60), "bg_ms20": np.repeat([0, 1], 30),
...                    "bg_true": np.tile([0, 1], 30),
...                    "phase": rng.integers(1, 4, 60), "score_intl_approach": rng.normal(4, 1, 60)})
>>> plan = StudyPlan(name="x", panel={"key": "id", "waves": [{"label": "1", "raw": "a"},
...     {"label": "2", "raw": "b"}], "multiverse": {"born_global_definitions": ["bg_ms20", "bg_kc25"],
...     "versions": ["observed"], "missing": ["available"]}})
>>> mv = run_multiverse(link_waves({"1": w1, "2": w1}, "id", salt="s"), plan)
>>> [(r["bg_definition"], r["status"]) for r in mv["rows"]]
[('bg_ms20', 'ok'), ('bg_kc25', 'not_available')]
>>> mv["summary"]["C1"]["n_specs"], mv["summary"]["C1"]["n_run"]
(2, 1)
"""

from __future__ import annotations

from itertools import product

from ..errors import InputError
from .hypotheses import panel_frame
from .plan import panel_section
from .study import LATENT_NOTE, panel_verdicts
from .verdicts import panel_decide

__all__ = ["run_multiverse"]

_VERDICTS = ("supported", "contradicted", "equivalent", "inconclusive")


def run_multiverse(panel, plan, *, latent_available: bool = False, primary_latent=None) -> dict:
    """``{"rows": [spec], "summary": {label: counts}}`` (module docstring).

    ``latent_available=False`` lists the latent specifications as ``not_available`` without
    fitting anything; ``primary_latent`` (:func:`rsnprop.panel.study.latent_evidence` of the
    plan's own specification) is reused for the plan's born-global definition and ``available``.

    A row: ``spec_id`` (1-based), ``version``, ``bg_definition``, ``missing``, ``status``
    (``ok`` or ``not_available``), ``note``, ``verdicts`` and ``estimates`` ({label: ...},
    None when not run), ``n`` (firms in each primary test).  Summary per hypothesis:
    ``n_specs`` (all specifications), ``n_run``, a count per verdict and ``share_supported``
    (supported / run, None when none ran).
    """
    sec = panel_section(plan)
    mv = sec.multiverse
    rows, frames, cache = [], {}, {"primary": primary_latent}
    for i, (version, bg, missing) in enumerate(
            product(mv.versions, mv.born_global_definitions, mv.missing), start=1):
        row = {"spec_id": i, "version": version, "bg_definition": bg, "missing": missing,
               "status": "ok", "note": "", "verdicts": None, "estimates": None, "n": None}
        if version == "latent" and not latent_available:
            row.update(status="not_available", note=LATENT_NOTE)
            rows.append(row)
            continue
        if version == "latent":
            rows.append(_latent_spec(row, panel, plan, bg, missing, cache))
            continue
        try:
            if (bg, missing) not in frames:
                frames[(bg, missing)] = panel_frame(panel, plan, bg_definition=bg, missing=missing)
            out = panel_verdicts(panel, plan, frame=frames[(bg, missing)])
        except InputError as err:
            row.update(status="not_available", note=str(err))
            rows.append(row)
            continue
        row.update(verdicts=out["verdicts"], estimates=out["estimates"],
                   n=out["n"]["analysed"], note="; ".join(out["notes"]))
        rows.append(row)
    return {"rows": rows, "summary": _summary(rows, list(sec.hypotheses))}


def _latent_spec(row, panel, plan, bg, missing, cache) -> dict:
    """One latent specification: its rows (fitted once per missing rule, C1 once per born-global
    definition), decided as the observed ones."""
    from .latent_versions import benefit_items, complete_panel, latent_rows

    sec = panel_section(plan)
    items, why = benefit_items(panel.data.columns, plan)
    if items is None:
        return {**row, "status": "not_available", "note": why}
    primary = cache.get("primary")
    if (missing == "available" and bg == plan.born_global_definition and primary
            and primary.get("gate") is not None):
        found = primary["rows"]
    else:
        if missing not in cache:
            sub = panel if missing == "available" else complete_panel(panel, items)
            others = {k for k, h in sec.hypotheses.items() if h.test != "change_by_group"}
            if missing == "available" and primary and primary.get("gate") is not None:
                # C2 and C3 do not depend on the born-global definition: the plan's own
                # specification fitted them on these firms with this gate
                shared = {"gate": primary["gate"],
                          "rows": {k: primary["rows"].get(k, []) for k in others}}
            else:
                shared = latent_rows(sub, plan, only=others, gate=None)
            cache[missing] = (sub, shared)
        sub, shared = cache[missing]
        by_bg = latent_rows(sub, plan, bg_definition=bg, gate=shared["gate"],
                            only={k for k, h in sec.hypotheses.items() if h.test == "change_by_group"})
        found = {**shared["rows"], **by_bg["rows"]}
    decided = {k: [dict(r, role="primary") for r in found.get(k, []) if r.get("role") == "latent"]
               for k in sec.hypotheses}
    dec = panel_decide(decided, alpha=sec.alpha, correction=sec.correction)
    est = {k: (v[0].get("estimate") if v else None) for k, v in decided.items()}
    ok = any(v and v[0].get("status") == "ok" for v in decided.values())
    notes = sorted({v[0].get("note") for v in decided.values() if v and v[0].get("status") != "ok"} - {None, ""})
    return {**row, "status": "ok" if ok else "not_available", "note": "; ".join(notes),
            "verdicts": dec["verdicts"] if ok else None, "estimates": est if ok else None,
            "n": {k: (v[0].get("n") if v else None) for k, v in decided.items()}}


def _summary(rows, labels) -> dict:
    out = {}
    for k in labels:
        run = [r["verdicts"][k] for r in rows if r["verdicts"]]
        counts = {v: run.count(v) for v in _VERDICTS}
        out[k] = {"n_specs": len(rows), "n_run": len(run), **counts,
                  "share_supported": counts["supported"] / len(run) if run else None}
    return out
