"""Decision rules: from primary test rows to verdicts (fixed in the plan before the data).

For each proposition P (P1: traditional firms lean informational; P2: born globals lean
relational) the *primary* row is the within-group test of the plan's estimator, oriented
so that small ``p_value`` supports P.  The interaction row (born global x benefit type) is
the joint test.  Three families of p-values, each corrected with the plan's correction
(Holm by default) over {P1, P2, joint}:

1. expected direction (``p_value``)      -> ``p_corrected``
2. opposite direction (``p_opposite``)   -> ``p_opposite_corrected``
3. equivalence, TOST (``p_value`` of the TOST rows) -> ``p_tost_corrected``

Verdict of P1 / P2 (first rule that applies):

* ``supported``    if ``p_corrected < alpha``;
* ``contradicted`` if ``p_opposite_corrected < alpha`` (a significant lean the other way);
* ``equivalent``   if ``p_tost_corrected < alpha`` (no difference larger than the SESOI);
* ``inconclusive`` otherwise (also when the test could not be run).

Joint verdict: ``supported`` when P1, P2 and the interaction are all supported;
``contradicted`` when the interaction or either proposition is contradicted; ``equivalent``
when the interaction's TOST is significant; else ``inconclusive``.

Because every family is corrected over the three tests, the probability of at least one
false ``supported`` verdict is at most alpha (Holm controls the family-wise error rate).

Examples
--------
>>> rows = {"P1": {"p_value": 0.001, "p_opposite": 0.999, "status": "ok"},
...         "P2": {"p_value": 0.30, "p_opposite": 0.70, "status": "ok"},
...         "joint": {"p_value": 0.01, "p_opposite": 0.99, "status": "ok"}}
>>> tost = {"P1": {"p_value": 0.9, "status": "ok"}, "P2": {"p_value": 0.01, "status": "ok"},
...         "joint": {"p_value": 0.5, "status": "ok"}}
>>> decide(rows, tost, alpha=0.05, correction="holm")["verdicts"]
{'P1': 'supported', 'P2': 'equivalent', 'joint': 'inconclusive'}
"""

from __future__ import annotations

import math

from ..sem.scoretest import p_adjust

__all__ = ["decide", "adjust", "VERDICTS"]

VERDICTS = ("supported", "contradicted", "equivalent", "inconclusive")


def adjust(pvalues: dict, method: str = "holm") -> dict:
    """Corrected p-values for the non-missing entries of ``pvalues`` (others stay None).

    R: ``p.adjust(p, method = "holm")`` (:func:`rsnprop.sem.scoretest.p_adjust`, shared with the
    score tests of the SEM engine).

    >>> adjust({"a": 0.01, "b": 0.04, "c": 0.03, "d": None})
    {'a': 0.03, 'b': 0.06, 'c': 0.06, 'd': None}
    """

    keys = [k for k, v in pvalues.items() if v is not None and math.isfinite(v)]
    out = {k: None for k in pvalues}
    if not keys:
        return out
    if method == "none" or len(keys) == 1:
        return {**out, **{k: float(pvalues[k]) for k in keys}}
    adj = p_adjust([float(pvalues[k]) for k in keys], method)
    return {**out, **{k: float(min(1.0, p)) for k, p in zip(keys, adj)}}


def _p(row, key="p_value"):
    if not row or row.get("status", "ok") != "ok":
        return None
    return row.get(key)


def decide(primary: dict, tost: dict, *, alpha: float = 0.05, correction: str = "holm") -> dict:
    """Apply the decision rules.

    Parameters
    ----------
    primary : dict
        ``{"P1": row, "P2": row, "joint": row}`` (rows with ``p_value``, ``p_opposite``, ``status``).
    tost : dict
        Same keys, equivalence rows (``p_value``).

    Returns
    -------
    dict
        ``{"verdicts": {key: verdict}, "p_corrected": {...}, "p_opposite_corrected": {...},
        "p_tost_corrected": {...}, "reasons": {key: str}}``
    """
    exp = adjust({k: _p(r) for k, r in primary.items()}, correction)
    opp = adjust({k: _p(r, "p_opposite") for k, r in primary.items()}, correction)
    eqv = adjust({k: _p(tost.get(k)) for k in primary}, correction)
    verdicts, reasons = {}, {}

    def single(k):
        if exp[k] is None:
            return "inconclusive", "the primary test could not be run"
        if exp[k] < alpha:
            return "supported", f"corrected one-sided p = {exp[k]:.3g} < {alpha:g}"
        if opp[k] is not None and opp[k] < alpha:
            return "contradicted", f"significant difference in the opposite direction (corrected p = {opp[k]:.3g})"
        if eqv[k] is not None and eqv[k] < alpha:
            return "equivalent", f"difference within the SESOI (corrected TOST p = {eqv[k]:.3g})"
        return "inconclusive", (f"neither a difference (corrected p = {exp[k]:.3g}) nor equivalence"
                                + (f" (corrected TOST p = {eqv[k]:.3g})" if eqv[k] is not None else ""))

    props = [k for k in primary if k != "joint"]
    for k in props:
        verdicts[k], reasons[k] = single(k)
    if "joint" in primary:
        inter, why = single("joint")
        if inter == "supported" and all(verdicts[k] == "supported" for k in props):
            verdicts["joint"] = "supported"
            reasons["joint"] = "every proposition and the interaction are supported"
        elif inter == "contradicted" or any(verdicts[k] == "contradicted" for k in props):
            verdicts["joint"] = "contradicted"
            reasons["joint"] = "the interaction or a proposition is contradicted"
        elif inter == "equivalent":
            verdicts["joint"], reasons["joint"] = "equivalent", "interaction: " + why
        else:
            verdicts["joint"] = "inconclusive"
            reasons["joint"] = f"interaction {inter}; propositions " + ", ".join(
                f"{k} {verdicts[k]}" for k in props)
    return {"verdicts": verdicts, "p_corrected": exp, "p_opposite_corrected": opp,
            "p_tost_corrected": eqv, "reasons": reasons, "interaction_verdict": single("joint")[0]
            if "joint" in primary else None}
