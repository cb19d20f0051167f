"""Method text and evidence on the comparability of the two benefit scales (issue 16).

P1 and P2 compare two *different* scales in the same firms (relational vs informational mean
scores).  That comparison assumes the items of the two scales are comparable: that a given
answer means as much on a relational item as on an informational one (the scales share origin
and unit).  No invariance test between groups can check it.  This block says so and puts the
primary (observed-score) rows next to the evidence that does not rest on it:

* the constant-sum allocation (100 points split between the two benefit types): ipsative by
  design, the respondent makes the comparison on one common scale;
* the latent model's contrast between groups (difference in the latent relational-minus-
  informational means of born globals and traditional firms): the scales' origins cancel; it
  rests on scalar (or partial scalar) invariance between the groups instead.
"""

from __future__ import annotations

from .base import _blocks, _list, effect_row, evidence_table

__all__ = ["comparability_block", "METHOD_TEXT"]

METHOD_TEXT = (
    "P1 and P2 compare two different scales within the same firms (relational vs informational "
    "mean scores). That comparison assumes that the items of the two scales are comparable: an "
    "answer means as much on a relational item as on an informational one, i.e. the two scales "
    "share origin and unit. Invariance tests between the groups cannot check this assumption. "
    "The table below sets the primary tests next to evidence that does not rest on it: the "
    "constant-sum allocation (each firm splits 100 points between the two benefit types; "
    "ipsative by design, the comparison is made by the respondent on one scale) and the latent "
    "model's contrast between groups (the scales' origins cancel in the difference between born "
    "globals and traditional firms; it rests on scalar invariance between the groups instead).")

_KIND = (("primary", "observed scale scores: assumes comparable scales"),
         ("constant sum", "constant-sum allocation: ipsative, does not assume it"),
         ("latent", "latent contrast between groups: does not assume it (needs scalar invariance)"))


def _kind(ev):
    test = str(ev.get("test") or "")
    if ev.get("role") == "primary":
        return _KIND[0][1]
    if test.startswith("constant sum"):
        return _KIND[1][1]
    if test.startswith("latent"):
        return _KIND[2][1]
    return None


def comparability_block(section, propositions) -> None:
    """Add the method paragraph and the side-by-side table to ``section`` (nothing when the
    propositions hold no evidence of these kinds)."""
    rows = []
    for pid, entry in _blocks(propositions):
        for ev in _list(entry.get("evidence") if isinstance(entry, dict) else None):
            kind = _kind(ev) if isinstance(ev, dict) else None
            r = effect_row(ev) if kind else None
            if r is None:
                continue
            r["label"] = f"{pid}: {r['label']} [{kind}]"
            if ev.get("status") not in (None, "ok"):
                r["note"] = (r.get("note") or f"not available ({ev.get('status')})")
            rows.append(r)
    if not rows:
        return
    section.add("p", METHOD_TEXT)
    section.add("table", evidence_table(
        rows, "scale_comparability", "Evidence with and without the assumption of comparable scales",
        note="Estimates in the predicted direction (positive = as predicted): scale points for "
             "the observed scores, points out of 100 for the constant sum, latent units for the "
             "latent contrast."))
