"""The panel multiverse: every preregistered panel hypothesis under each analysis choice.

Specifications: ``panel.multiverse.born_global_definitions`` x ``missing`` (``available``:
scores as cleaned; ``complete_cases``: firms that answered every benefit item at both waves) x
``versions`` (``observed``; ``latent`` once the latent models are in, else listed with status
``not_available``).  Each specification gets the verdicts and primary estimates of
:func:`rsnprop.panel.panel_verdicts` (the same decision rules and Holm family); the summary
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

__all__ = ["run_multiverse"]

_VERDICTS = ("supported", "contradicted", "equivalent", "inconclusive")


def run_multiverse(panel, plan, *, latent_available: bool = False) -> dict:
    """``{"rows": [spec], "summary": {label: counts}}`` (module docstring).

    A row: ``spec_id`` (1-based), ``version``, ``bg_definition``, ``missing``, ``status``
    (``ok`` or ``not_available``), ``note``, ``verdicts`` and ``estimates`` ({label: ...},
    None when not run), ``n`` (firms in each primary test).  Summary per hypothesis:
    ``n_specs`` (all specifications), ``n_run``, a count per verdict and ``share_supported``
    (supported / run, None when none ran).
    """
    sec = panel_section(plan)
    mv = sec.multiverse
    rows, frames = [], {}
    for i, (version, bg, missing) in enumerate(
            product(mv.versions, mv.born_global_definitions, mv.missing), start=1):
        row = {"spec_id": i, "version": version, "bg_definition": bg, "missing": missing,
               "status": "ok", "note": "", "verdicts": None, "estimates": None, "n": None}
        if version == "latent" and not latent_available:
            row.update(status="not_available", note=LATENT_NOTE)
            rows.append(row)
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


def _summary(rows, labels) -> dict:
    out = {}
    for k in labels:
        run = [r["verdicts"][k] for r in rows if r["verdicts"]]
        counts = {v: run.count(v) for v in _VERDICTS}
        out[k] = {"n_specs": len(rows), "n_run": len(run), **counts,
                  "share_supported": counts["supported"] / len(run) if run else None}
    return out
