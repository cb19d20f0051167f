"""The language-versions subsection of the measurement section: may the questionnaire's
language versions be pooled?  Read from ``propositions.json``'s ``language_invariance``
(:mod:`rsnprop.propositions.languages`); nothing is added when the plan has no such check.
"""

from __future__ import annotations

from ..fmt import fmt_num, fmt_value
from .base import _p_text

_LEVEL = {"none": "none", "configural": "configural", "metric": "metric (equal loadings)",
          "partial_metric": "partial metric", "scalar": "scalar (equal loadings and intercepts)",
          "partial_scalar": "partial scalar"}


def _step_text(st) -> str:
    """``metric (Δχ²(14) = 11.02, p = .685, held)``."""
    held = "held" if st.held else "failed"
    if st.chi2_diff is None:
        return f"{st.name} ({held})"
    return f"{st.name} (Δχ²({fmt_value(st.df_diff)}) = {fmt_num(st.chi2_diff)}, {_p_text(st.p_diff)}, {held})"


def language_pairs(chk) -> list[tuple[str, str]]:
    """The subsection's key/value lines for a :class:`~rsnprop.schemas.LanguageCheck` (empty
    list when there is no check).

    Examples
    --------
    >>> from rsnprop.schemas import LanguageCheck
    >>> chk = LanguageCheck(status="ok", n_per_language={"en": 3, "fr": 4}, required="scalar",
    ...                     level="partial_scalar", held=False, pooled_ok=True, policy="partial",
    ...                     dif=[{"item": "rel_1", "parameter": "intercept"}], note="n")
    >>> dict(language_pairs(chk))["Items flagged as DIF"]
    'rel_1 (intercept)'
    """
    if chk is None:
        return []
    if chk.status != "ok":
        return [("Check", f"not run: {fmt_value(chk.note)}")]
    out = [("Versions compared", ", ".join(f"{k} (n = {fmt_value(v)})"
                                           for k, v in chk.n_per_language.items())),
           ("Required before pooling", _LEVEL.get(chk.required, str(chk.required))),
           ("Level held", _LEVEL.get(chk.level, str(chk.level))),
           ("Items flagged as DIF", ", ".join(f"{d.item} ({d.parameter})" for d in chk.dif)
            or "none")]
    if chk.steps:
        out.append(("Steps", " → ".join(_step_text(s) for s in chk.steps)))
    out.append(("Outcome", _outcome(chk)))
    return out


def _outcome(chk) -> str:
    """What the check means for the verdicts."""
    if chk.held:
        return "the verdicts rest on the pooled versions"
    if chk.pooled_ok:
        return (f"the verdicts rest on the pooled versions (policy '{chk.policy}'); "
                "they are flagged with the items above")
    return (f"the verdicts relying on the pooled versions are inconclusive (policy "
            f"'{chk.policy}')")


def add_language_subsection(section, propositions) -> None:
    """Add the subsection to ``section`` when ``propositions`` (a
    :class:`~rsnprop.schemas.Propositions`, or None) holds a language check."""
    pairs = language_pairs(propositions.language_invariance if propositions is not None else None)
    if pairs:
        section.add("dl", pairs, "Language versions: invariance and differential item functioning")
