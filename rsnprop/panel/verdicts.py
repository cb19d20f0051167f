"""Verdicts of the panel hypotheses: the decision rules of the propositions, over {C1, C2, C3}.

The primary row of each hypothesis is its observed-score test (:mod:`.hypotheses`), oriented so
that a small ``p_value`` supports it.  Three families of p-values, each corrected with the
panel plan's correction (Holm by default) over the hypotheses of ``panel.hypotheses``:

1. expected direction (``p_value``)    -> ``p_corrected``
2. opposite direction (``p_opposite``) -> ``p_opposite_corrected``
3. equivalence (``p_tost``)           -> ``p_tost_corrected``

(R: ``p.adjust(c(p_C1, p_C2, p_C3), method = "holm")`` for each family.)

Verdict (first rule that applies; :func:`rsnprop.propositions.decide.decide`, the same code as
the verdicts of P1 and P2): ``supported`` if ``p_corrected < alpha``; ``contradicted`` if
``p_opposite_corrected < alpha``; ``equivalent`` if ``p_tost_corrected < alpha``; else
``inconclusive`` (also when the test could not be run).  Holm keeps the probability of any
false ``supported`` among the family at most alpha.  Latent and reverse rows are evidence
beside the verdict, never part of it.

Examples
--------
>>> rows = {"C1": [{"role": "primary", "status": "ok", "p_value": 0.004, "p_opposite": 0.996,
...                 "p_tost": 0.9, "estimate": 0.3, "n": 120, "n_total": 150}],
...         "C2": [{"role": "primary", "status": "ok", "p_value": 0.2, "p_opposite": 0.8,
...                 "p_tost": 0.01, "estimate": 0.01, "n": 118, "n_total": 150}],
...         "C3": [{"role": "primary", "status": "not_available", "n": 2, "n_total": 150}]}
>>> out = panel_decide(rows, alpha=0.05, correction="holm")
>>> out["verdicts"]
{'C1': 'supported', 'C2': 'equivalent', 'C3': 'inconclusive'}
>>> out["reasons"]["C1"]
'Holm-corrected one-sided p = 0.008 < 0.05; estimate +0.3, n = 120 of 150'
>>> rows["C1"][0]["p_corrected"]
0.008
"""

from __future__ import annotations

from ..propositions.decide import decide

__all__ = ["panel_decide", "primary_row"]


def primary_row(rows) -> dict | None:
    """The row with role ``primary`` among a hypothesis's evidence (None if there is none)."""
    return next((r for r in rows if r.get("role") == "primary"), None)


def panel_decide(rows: dict, *, alpha: float = 0.05, correction: str = "holm") -> dict:
    """Verdicts of the hypotheses whose evidence rows are ``rows`` (label -> list of rows).

    Fills ``p_corrected``, ``p_opposite_corrected`` and ``p_tost_corrected`` in each primary
    row, in place.  Returns ``{"verdicts": {label: verdict}, "reasons": {label: str}}``; a
    reason names the corrected p-value that decided, the estimate and the firms used.
    """
    primary = {k: primary_row(v) or {"status": "not_available"} for k, v in rows.items()}
    tost = {k: {"p_value": r.get("p_tost"), "status": r.get("status", "ok")}
            for k, r in primary.items()}
    out = decide(primary, tost, alpha=alpha, correction=correction)
    label = "Holm-corrected" if correction == "holm" else (
        "uncorrected" if correction == "none" else f"{correction}-corrected")
    reasons = {}
    for k, r in primary.items():
        if "status" in r and r["status"] == "ok" and "p_value" in r:
            r["p_corrected"] = out["p_corrected"][k]
            r["p_opposite_corrected"] = out["p_opposite_corrected"][k]
            r["p_tost_corrected"] = out["p_tost_corrected"][k]
        why = out["reasons"][k].replace("corrected", label)
        if r.get("status") != "ok":
            why += f" ({r.get('note') or r.get('status')})" if r.get("note") else ""
        elif r.get("estimate") is not None:
            why += f"; estimate {r['estimate']:+.3g}, n = {r.get('n')} of {r.get('n_total')}"
        reasons[k] = why
    return {"verdicts": out["verdicts"], "reasons": reasons}
