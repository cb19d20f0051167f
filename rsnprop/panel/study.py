"""Test the preregistered panel hypotheses of a study plan: :func:`test_panel`.

The recipe: the observed-score rows of C1, C2, C3 (:mod:`.hypotheses`) -> verdicts over the
family (:mod:`.verdicts`) = :func:`panel_verdicts`, the fast core a Monte Carlo replication
calls; then, for the full result, the latent versions gated by longitudinal invariance
(:func:`latent_evidence`) and the panel multiverse (:mod:`.panel_multiverse`).

JSON (schema ``rsnprop.panel_propositions/1``, model :class:`rsnprop.schemas.PanelPropositions`)::

    {"schema", "plan_hash", "waves": [labels], "n": {"first_wave", "linked",
     "analysed": {label: n}}, "family": [labels], "alpha", "correction",
     "hypotheses": {label: {"statement", "test", "verdict", "reason", "evidence": [row]}},
     "invariance": {"required", "constructs", "latent_allowed", "note"},
     "cross_lagged": {"observed": {"paths", "fit"}, "latent": null or {...}},
     "multiverse": {"rows", "summary"} or null, "warnings": [str]}
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..results import Result
from .hypotheses import cross_lagged_observed, observed_rows, panel_frame
from .plan import panel_section
from .verdicts import panel_decide, primary_row

__all__ = ["PanelPropositions", "panel_verdicts", "test_panel", "latent_evidence", "SCHEMA"]

SCHEMA = "rsnprop.panel_propositions/1"
LATENT_NOTE = "latent versions not computed"


def panel_verdicts(panel, plan, *, bg_definition=None, missing="available", frame=None) -> dict:
    """Observed-score rows and verdicts of the panel hypotheses (no latent, no multiverse).

    Parameters
    ----------
    panel : PanelLink
        The linked waves (:func:`rsnprop.panel.link_waves`); change from the first to the last.
    plan : StudyPlan
        With a ``panel:`` section (else :class:`~rsnprop.errors.PlanError`).
    bg_definition, missing : str, optional
        Override the plan's born-global column and the missing-data rule (``available`` or
        ``complete_cases``), as the multiverse does.
    frame : DataFrame, optional
        A :func:`rsnprop.panel.hypotheses.panel_frame` already built for these settings.

    Returns
    -------
    dict
        ``waves, n, family, alpha, correction, verdicts`` ({label: verdict}), ``estimates``
        ({label: primary estimate or None}) and ``hypotheses`` ({label: ``statement, test,
        verdict, reason, evidence``}), the keys of the JSON of :func:`test_panel`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> from rsnprop.propositions.plan import StudyPlan
    >>> rng = np.random.default_rng(5)
    >>> w1 = pd.DataFrame({"id": range(90), "score_relational": rng.normal(4, 1, 90),
    ...                    "score_informational": rng.normal(4, 1, 90), "bg_ms20": np.repeat([0, 1], 45),
    ...                    "phase": rng.integers(1, 4, 90), "score_intl_approach": rng.normal(4, 1, 90)})
    >>> w2 = w1.assign(score_relational=lambda d: d.score_relational + 0.8 * d.bg_ms20 + rng.normal(0, .3, 90))
    >>> plan = StudyPlan(name="x", panel={"key": "id", "waves": [{"label": "1", "raw": "a"},
    ...                                                          {"label": "2", "raw": "b"}]})
    >>> out = panel_verdicts(link_waves({"1": w1, "2": w2}, "id", salt="s"), plan)
    >>> out["verdicts"]["C1"], out["n"]["analysed"]["C1"], out["n"]["first_wave"]
    ('supported', 90, 90)
    """
    sec = panel_section(plan)
    if frame is None:
        frame = panel_frame(panel, plan, bg_definition=bg_definition, missing=missing)
    rows = observed_rows(panel, plan, frame=frame)
    dec = panel_decide(rows, alpha=sec.alpha, correction=sec.correction)
    prim = {k: primary_row(v) or {} for k, v in rows.items()}
    hyps = {k: {"statement": h.statement, "test": h.test, "verdict": dec["verdicts"][k],
                "reason": dec["reasons"][k], "evidence": rows[k]}
            for k, h in sec.hypotheses.items()}
    return {"waves": list(panel.waves), "family": list(sec.hypotheses), "alpha": sec.alpha,
            "correction": sec.correction,
            "n": {"first_wave": int(len(frame)), "linked": int(frame["in_later"].sum()),
                  "analysed": {k: r.get("n") for k, r in prim.items()}},
            "verdicts": dec["verdicts"],
            "estimates": {k: r.get("estimate") for k, r in prim.items()},
            "hypotheses": hyps, "notes": list(frame.attrs.get("notes", []))}


def latent_evidence(panel, plan, observed: dict) -> dict:
    """The latent versions: longitudinal invariance of the benefit scales, latent rows of C1 /
    C2 and the latent cross-lagged model of C3 (rsnprop.panel.latent, rsnprop.panel.clpm).

    Returns ``{"rows": {label: [row]}, "invariance": {...}, "cross_lagged": {...} or None,
    "warnings": [str]}``.  Until those models are available every latent row has status
    ``not_available`` and the note "latent versions not computed": they are never results.
    """
    sec = panel_section(plan)
    rows = {}
    for label, h in sec.hypotheses.items():
        prim = primary_row(observed[label]["evidence"]) or {}
        rows[label] = [{**{k: None for k in prim}, "hypothesis": label, "role": "latent",
                        "version": "latent", "test": f"latent {h.test}",
                        "question": prim.get("question"), "n": 0, "n_total": prim.get("n_total"),
                        "status": "not_available", "note": LATENT_NOTE}]
    invariance = {"required": sec.required_invariance, "constructs": {}, "latent_allowed": False,
                  "note": LATENT_NOTE}
    return {"rows": rows, "invariance": invariance, "cross_lagged": None,
            "warnings": [f"{LATENT_NOTE}: the observed-score rows decide the verdicts"]}


def test_panel(panel, plan, *, latent: bool = True, multiverse: bool = True) -> "PanelPropositions":
    """The preregistered panel hypotheses of ``plan``: verdicts, evidence, invariance gate,
    cross-lagged tables and (``multiverse=True``) the panel multiverse.

    Verdicts come from the observed-score rows (:func:`panel_verdicts`); latent rows are
    secondary evidence shown beside them (``latent=True``).  R equivalents: see
    :mod:`rsnprop.panel.hypotheses`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> from rsnprop.propositions.plan import StudyPlan
    >>> rng = np.random.default_rng(5)
    >>> w1 = pd.DataFrame({"id": range(60), "score_relational": rng.normal(4, 1, 60),
    ...                    "score_informational": rng.normal(4, 1, 60), "bg_ms20": np.repeat([0, 1], 30),
    ...                    "phase": rng.integers(1, 4, 60), "score_intl_approach": rng.normal(4, 1, 60)})
    >>> plan = StudyPlan(name="x", panel={"key": "id", "waves": [{"label": "1", "raw": "a"},
    ...     {"label": "2", "raw": "b"}], "multiverse": {"born_global_definitions": ["bg_ms20"]}})
    >>> res = test_panel(link_waves({"1": w1, "2": w1}, "id", salt="s"), plan)
    >>> res.to_dict()["schema"], sorted(res.verdicts), res.to_dict()["multiverse"]["summary"]["C1"]["n_specs"]
    ('rsnprop.panel_propositions/1', ['C1', 'C2', 'C3'], 4)
    """
    from .panel_multiverse import run_multiverse

    core = panel_verdicts(panel, plan)
    frame = panel_frame(panel, plan)
    _, cl_obs = cross_lagged_observed(frame, panel_section(plan))
    warnings = [f"note: {n}" for n in core.pop("notes")]
    lat = latent_evidence(panel, plan, core["hypotheses"]) if latent else None
    if lat is not None:
        for label, rows in lat["rows"].items():
            core["hypotheses"][label]["evidence"].extend(rows)
        warnings += lat["warnings"]
    doc = {"schema": SCHEMA, "plan_hash": plan.hash, **core,
           "invariance": lat["invariance"] if lat else None,
           "cross_lagged": {"observed": cl_obs, "latent": lat["cross_lagged"] if lat else None},
           "multiverse": run_multiverse(panel, plan) if multiverse else None,
           "warnings": warnings}
    return PanelPropositions(doc=doc)


# not a pytest test function despite its name
test_panel.__test__ = False


@dataclass
class PanelPropositions(Result):
    """Verdicts and evidence of the panel hypotheses (JSON in the module docstring)."""

    doc: dict = field(default_factory=dict)
    title: str = "Panel hypotheses (change between waves)"

    @property
    def verdicts(self) -> dict:
        """Label -> verdict."""
        return dict(self.doc["verdicts"])

    def to_dict(self) -> dict:
        return self.doc

    def to_frame(self) -> pd.DataFrame:
        """Every evidence row, all hypotheses."""
        return pd.DataFrame([r for h in self.doc["hypotheses"].values() for r in h["evidence"]])

    def summary(self) -> str:
        d = self.doc
        out = [f"{self.title}: waves {' -> '.join(d['waves'])}, {d['n']['linked']} of "
               f"{d['n']['first_wave']} first-wave firms answered the last wave; "
               f"{d['correction']} over {{{', '.join(d['family'])}}}, alpha = {d['alpha']:g}"]
        for label, h in d["hypotheses"].items():
            out.append(f"{label} ({h['test']}): {h['verdict'].upper()} - {h['reason']}")
            for r in h["evidence"]:
                if r.get("status") != "ok":
                    out.append(f"    [{r['role']}, {r['version']}] {r['test']}: {r['status']} "
                               f"({r.get('note')})")
                    continue
                p = f"p ({r['p_sided']}) = {r['p_value']:.4g}"
                out.append(f"    [{r['role']}, {r['version']}] {r['question']}: "
                           f"{r['estimate']:+.3f} [{r['ci_label']} {r['ci_lower']:.3f}, "
                           f"{r['ci_upper']:.3f}], {r['statistic_name']}({r['df']:.1f}) = "
                           f"{r['statistic']:.3f}, {p}, n = {r['n']} of {r['n_total']}")
        mv = d.get("multiverse")
        if mv:
            out.append("multiverse: " + "; ".join(
                f"{k} supported in {s['supported']} of {s['n_specs']}" for k, s in
                mv["summary"].items()))
        out += [f"warning: {w}" for w in d["warnings"]]
        return "\n".join(out)
