"""The language-versions subsection of the measurement section: may the questionnaire's
language versions be pooled?  Read from ``propositions.json``'s ``language_invariance``
(:mod:`rsnprop.propositions.languages`); nothing is added when the plan has no such check.
"""

from __future__ import annotations

from ..fmt import fmt_num, fmt_value
from .base import _list, _p_text, pick

_LEVEL = {"none": "none", "configural": "configural", "metric": "metric (equal loadings)",
          "partial_metric": "partial metric", "scalar": "scalar (equal loadings and intercepts)",
          "partial_scalar": "partial scalar"}


def _step_text(st: dict) -> str:
    """``metric (Δχ²(14) = 11.02, p = .685, held)``."""
    name = str(pick(st, "name", default=""))
    d, df, p = pick(st, "chi2_diff"), pick(st, "df_diff"), pick(st, "p_diff")
    held = "held" if pick(st, "held") else "failed"
    if d is None:
        return f"{name} ({held})"
    return f"{name} (Δχ²({fmt_value(df)}) = {fmt_num(d)}, {_p_text(p)}, {held})"


def language_pairs(chk: dict) -> list[tuple[str, str]]:
    """The subsection's key/value lines (empty list when there is no check).

    Examples
    --------
    >>> chk = {"status": "ok", "languages": ["en", "fr"], "n_per_language": {"en": 3, "fr": 4},
    ...        "required": "scalar", "level": "partial_scalar", "held": False, "pooled_ok": True,
    ...        "policy": "partial", "dif": [{"item": "rel_1", "parameter": "intercept"}],
    ...        "steps": [], "note": "n"}
    >>> dict(language_pairs(chk))["Items flagged as DIF"]
    'rel_1 (intercept)'
    """
    if not isinstance(chk, dict) or not chk:
        return []
    if chk.get("status") != "ok":
        return [("Check", f"not run: {fmt_value(chk.get('note'))}")]
    per = chk.get("n_per_language") or {}
    dif = _list(chk.get("dif"))
    out = [("Versions compared", ", ".join(f"{k} (n = {fmt_value(v)})" for k, v in per.items())),
           ("Required before pooling", _LEVEL.get(chk.get("required"), str(chk.get("required")))),
           ("Level held", _LEVEL.get(chk.get("level"), str(chk.get("level")))),
           ("Items flagged as DIF", ", ".join(f"{d.get('item')} ({d.get('parameter')})"
                                              for d in dif if isinstance(d, dict)) or "none")]
    steps = [s for s in _list(chk.get("steps")) if isinstance(s, dict)]
    if steps:
        out.append(("Steps", " → ".join(_step_text(s) for s in steps)))
    if chk.get("held"):
        outcome = "the verdicts rest on the pooled versions"
    elif chk.get("pooled_ok"):
        outcome = (f"the verdicts rest on the pooled versions (policy '{chk.get('policy')}'); "
                   "they are flagged with the items above")
    else:
        outcome = (f"the verdicts relying on the pooled versions are inconclusive (policy "
                   f"'{chk.get('policy')}')")
    out.append(("Outcome", outcome))
    return out


def add_language_subsection(section, propositions) -> None:
    """Add the subsection to ``section`` when ``propositions`` holds a language check."""
    pairs = language_pairs(pick(propositions or {}, "language_invariance", default=None))
    if pairs:
        section.add("dl", pairs, "Language versions: invariance and differential item functioning")
