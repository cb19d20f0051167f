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
    C2 and the latent cross-lagged model of C3 (:func:`rsnprop.panel.latent_versions.latent_rows`).

    Returns ``{"rows": {label: [row]}, "invariance": {...}, "cross_lagged": {...} or None,
    "warnings": [str], "gate": gate or None}``.  When the models cannot be fitted (no item
    columns, several constructs per benefit type) every latent row has status
    ``not_available`` and a note saying why ("latent versions not computed: ..."): such rows
    are never results.  Below the required invariance level the rows are ``not_available``
    with a note naming the level reached.
    """
    from .latent_versions import latent_rows

    sec = panel_section(plan)
    lat = latent_rows(panel, plan)
    warnings = []
    if lat["note"]:
        rows = {}
        for label, h in sec.hypotheses.items():
            prim = primary_row(observed[label]["evidence"]) or {}
            rows[label] = [{**{k: None for k in prim}, "hypothesis": label, "role": "latent",
                            "version": "latent", "test": f"latent {h.test}",
                            "question": prim.get("question"), "n": 0,
                            "n_total": prim.get("n_total"), "status": "not_available",
                            "note": lat["note"]}]
        invariance = {"required": sec.required_invariance, "constructs": {},
                      "latent_allowed": False, "note": lat["note"]}
        return {"rows": rows, "invariance": invariance, "cross_lagged": None, "gate": None,
                "warnings": [f"{lat['note']}; the observed-score rows decide the verdicts"]}
    gate = lat["gate"]
    invariance = {"required": gate["required"], "constructs": gate["constructs"],
                  "latent_allowed": gate["latent_allowed"], "note": gate["note"],
                  "rule": gate.get("rule"), "missing": gate.get("missing")}
    warnings += [f"invariance: {w}" for w in gate.get("warnings", [])]
    clpm = lat["cross_lagged"]
    for rows in lat["rows"].values():
        warnings += [f"{r['hypothesis']} latent: {r['note']}" for r in rows
                     if r.get("status") == "failed"]
    return {"rows": lat["rows"], "invariance": invariance, "gate": gate, "warnings": warnings,
            "cross_lagged": None if clpm is None else _clpm_block(clpm)}


def _clpm_block(res) -> dict:
    """The parts of a cross-lagged result the JSON keeps."""
    return {k: res.get(k) for k in ("version", "status", "paths", "fit", "syntax", "n", "n_total",
                                    "rows", "warnings")}


def observed_clpm(panel, plan, frame) -> dict:
    """``cross_lagged.observed``: the OLS regressions of the verdict (``ols``: paths, fit) and,
    with one score column per benefit type, the observed-score CLPM fitted by SEM with FIML
    (:func:`rsnprop.panel.clpm.cross_lagged`, version "observed": ``paths``, ``fit``, rows)."""
    from .clpm import cross_lagged

    sec = panel_section(plan)
    _, ols = cross_lagged_observed(frame, sec)
    rel, inf = plan.relational_columns(), plan.informational_columns()
    if len(rel) != 1 or len(inf) != 1:
        return {"ols": ols, "paths": ols["paths"], "fit": ols["fit"], "status": "not_available",
                "note": "SEM version needs one score column per benefit type"}
    label = next((k for k, h in sec.hypotheses.items() if h.test == "cross_lagged"), "C3")
    sem = cross_lagged(panel, sec.approach_column, version="observed", lean=(rel[0], inf[0]),
                       hypothesis=label, missing=sec.missing)
    return {**_clpm_block(sem), "ols": ols}


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

    frame = panel_frame(panel, plan)
    core = panel_verdicts(panel, plan, frame=frame)
    warnings = [f"note: {n}" for n in core.pop("notes")]
    lat = latent_evidence(panel, plan, core["hypotheses"]) if latent else None
    if lat is not None:
        for label, rows in lat["rows"].items():
            core["hypotheses"][label]["evidence"].extend(rows)
        warnings += lat["warnings"]
    doc = {"schema": SCHEMA, "plan_hash": plan.hash, **core,
           "invariance": lat["invariance"] if lat else None,
           "cross_lagged": {"observed": observed_clpm(panel, plan, frame),
                            "latent": lat["cross_lagged"] if lat else None},
           "multiverse": run_multiverse(panel, plan, latent_available=latent,
                                        primary_latent=lat) if multiverse else None,
           "warnings": warnings}
    return PanelPropositions(doc=doc)


def _numbers(r) -> str:
    """Estimate, interval, statistic, p and n of an evidence row, in one line."""
    def f(x, spec=".3f"):
        return "NA" if x is None else format(x, spec)
    stat = r.get("statistic_name") or "stat"
    df = f"({r['df']:.1f})" if r.get("df") is not None else ""
    return (f"{f(r.get('estimate'), '+.3f')} [{r.get('ci_label')} {f(r.get('ci_lower'))}, "
            f"{f(r.get('ci_upper'))}], {stat}{df} = {f(r.get('statistic'))}, "
            f"p ({r.get('p_sided')}) = {f(r.get('p_value'), '.4g')}, n = {r.get('n')} of "
            f"{r.get('n_total')}")


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
                out.append(f"    [{r['role']}, {r['version']}] {r['question']}: " + _numbers(r))
        mv = d.get("multiverse")
        if mv:
            out.append("multiverse: " + "; ".join(
                f"{k} supported in {s['supported']} of {s['n_run']} specifications run "
                f"({s['n_specs']} listed)" for k, s in
                mv["summary"].items()))
        out += [f"warning: {w}" for w in d["warnings"]]
        return "\n".join(out)
