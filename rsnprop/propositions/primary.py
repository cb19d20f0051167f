"""Step 2 of a specification: the primary and equivalence tests of each hypothesis, run on
every analysis frame of :class:`~rsnprop.propositions.prepare.AnalysisFrames`.

For each hypothesis of the plan (P1, P2) the within-group test of the plan's estimator
(:func:`rsnprop.propositions.paired.within_group`) and its TOST; for the joint prediction
(when the plan expects opposite leans in the two groups, :func:`joint_sign`) the interaction
test (:func:`rsnprop.propositions.interaction.between_groups`) and its TOST.  With one frame
these are the rows of the result; with imputed frames (``prepared.mi``) each frame gives a
complete-data row (no Bayes factor, no effect-size interval) and the ingredients of the
equivalence test, which step 3 pools (:func:`rsnprop.propositions.imputation.pool_tests`).
A test that cannot be run (too few firms, the rank estimator under imputation) gives its
``not_available`` rows at once (``final``: nothing to pool).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.propositions.plan import StudyPlan
>>> from rsnprop.propositions.prepare import observed_frames
>>> rng = np.random.default_rng(5); n = 120
>>> df = pd.DataFrame({"score_relational": rng.normal(4, 1, n),
...                    "score_informational": rng.normal(4, 1, n), "bg_ms20": np.arange(n) % 2})
>>> plan = StudyPlan(name="demo")
>>> tests = run_hypothesis_tests(observed_frames(df, plan), plan, estimator="t")
>>> sorted(tests), tests["P1"].primary[0]["test"], tests["joint"].tost[0]["test"]
(['P1', 'P2', 'joint'], 'paired t', 'TOST (between)')
"""

from __future__ import annotations

from dataclasses import dataclass

from .imputation import RANK_NOTE
from .interaction import (between_groups, between_tost_parts, complete_arrays, complete_of, d_arrays_by_group,
                          interaction_tost_of, ols_interaction_arrays, tost_parts_of)
from .lean import effect_intervals
from .paired import evidence_row, paired_tost, tost_parts, within_group
from .prepare import group_scores_each

__all__ = ["joint_sign", "run_hypothesis_tests", "HypothesisTests"]


def joint_sign(plan) -> int | None:
    """+1 when the plan expects D (relational - informational) higher in born globals than
    in traditional firms, -1 for the reverse, None when the hypotheses do not cover both
    groups or expect the same lean in both."""
    by_group = {h.group: h.sign for h in plan.hypotheses.values()}
    if "born_global" not in by_group or "traditional" not in by_group:
        return None
    diff = by_group["born_global"] - by_group["traditional"]
    return None if diff == 0 else (1 if diff > 0 else -1)


@dataclass
class HypothesisTests:
    """The tests of one hypothesis (or of the joint prediction) on the analysis frames.

    ``primary``: one primary row per frame; ``tost``: one TOST row per frame, or with imputed
    frames the ``(estimate, variance, df, sd)`` of each; ``tost_test``: the name of the pooled
    TOST row and ``n_tost`` its number of firms; ``final``: the rows (one of each) are the
    result already, the test could not be run.
    """

    primary: list
    tost: list
    tost_test: str = "TOST"
    n_tost: int | None = None
    final: bool = False


def _not_run(row, tost_test) -> HypothesisTests:
    return HypothesisTests([row], [dict(row, test=tost_test)], tost_test=tost_test, final=True)


def run_hypothesis_tests(prepared, plan, *, estimator, bayes=True) -> dict:
    """``{key: HypothesisTests}``: the plan's hypotheses (P1, P2) and, when the plan expects
    opposite leans, ``"joint"``, each tested on every frame of ``prepared``
    (:class:`~rsnprop.propositions.prepare.AnalysisFrames`) with ``estimator`` ("t", "hc3",
    "rank"); ``bayes=False`` leaves out the Bayes factors."""
    ctrl = prepared.frames[0].attrs["controls"]
    tests = {key: _within_tests(prepared, plan, hyp, ctrl, estimator=estimator, bayes=bayes)
             for key, hyp in plan.hypotheses.items()}
    sign = joint_sign(plan)
    if sign is not None:
        tests["joint"] = _between_tests(prepared, plan, ctrl, estimator=estimator, sign=sign)
    return tests


def _within_tests(prepared, plan, hyp, ctrl, *, estimator, bayes) -> HypothesisTests:
    """Within-group test and TOST of one hypothesis on every frame."""

    pooled = prepared.mi is not None
    groups = group_scores_each(prepared.frames, prepared.shared, hyp.group, ctrl, prepared.scores)
    n = groups[0][3]
    if n < plan.min_group_size:
        return _not_run(evidence_row("primary", n=n, status="not_available",
                                     note=f"{n} {hyp.group} firms; the plan needs at least "
                                          f"{plan.min_group_size}"), "TOST")
    if pooled and estimator == "rank":
        return _not_run(evidence_row("Wilcoxon signed-rank", n=n, status="not_available", note=RANK_NOTE,
                                     mi_m=prepared.mi["m"], mi_seed=prepared.mi["seed"]), "TOST")
    # a pooled row takes its d_z interval from the pooled t: no per-imputation interval
    primary = [within_group(r, i, expects=hyp.expects, estimator=estimator, controls=X,
                            bayes=bayes and not pooled, effect_ci=not pooled and effect_intervals())
               for r, i, X, _ in groups]
    # the rows of the whole group: those of the tests when there are no controls
    whole = groups if not ctrl else group_scores_each(prepared.frames, prepared.shared, hyp.group, [],
                                                      prepared.scores)
    if pooled:
        return HypothesisTests(primary, [tost_parts(r, i, hyp.expects) for r, i, _, _ in whole],
                               n_tost=whole[-1][3])
    r_all, i_all, _, _ = whole[0]
    return HypothesisTests(primary, [paired_tost(r_all, i_all, expects=hyp.expects,
                                                 sesoi_value=plan.sesoi.value,
                                                 sesoi_unit=plan.sesoi.unit, alpha=plan.alpha)])


def _between_tests(prepared, plan, ctrl, *, estimator, sign) -> HypothesisTests:
    """Interaction test and TOST (between groups) on every frame."""

    pooled = prepared.mi is not None
    f0 = prepared.frames[0]
    bg = f0["bg"].to_numpy() if prepared.scores is None or "bg" not in prepared.scores[0] \
        else prepared.scores[0]["bg"]     # (two comparisons of the Series cost 0.1 ms)
    n_small = min(int((bg == 1).sum()), int((bg == 0).sum()))
    if n_small < plan.min_group_size:
        return _not_run(evidence_row("interaction", n=len(f0), status="not_available",
                                     note=f"smallest group has {n_small} firms"), "TOST (between)")
    if pooled and estimator == "rank":
        return _not_run(evidence_row("Mann-Whitney U", n=len(f0), status="not_available", note=RANK_NOTE,
                                     mi_m=prepared.mi["m"], mi_seed=prepared.mi["seed"]),
                        "TOST (between)")
    if pooled:
        return HypothesisTests(_between_each(prepared, estimator=estimator, controls=tuple(ctrl), sign=sign),
                               _tost_parts_each(prepared, bg, sign), tost_test="TOST (between)", n_tost=len(f0))
    # D from the frame's score arrays (read once for every test of the frame)
    d = f0["D"].to_numpy(float) if prepared.scores is None else prepared.scores[0]["D"]
    if estimator == "rank":
        primary = between_groups(f0, estimator=estimator, controls=tuple(ctrl), sign=sign)
    else:       # = between_groups(f0, ...): ols_interaction of the complete rows
        _, (dd, bgf, *xs) = complete_of([d, bg.astype(float), *(f0[c].to_numpy(float) for c in ctrl)])
        primary = ols_interaction_arrays(dd, bgf, xs, cov_type="HC3" if estimator == "hc3" else "nonrobust",
                                         sign=sign)
    return HypothesisTests([primary], [interaction_tost_of(*d_arrays_by_group(d, bg, sign), sesoi_value=plan.sesoi.value,
                                                           sesoi_unit=plan.sesoi.unit, alpha=plan.alpha)],
                           tost_test="TOST (between)")


def _between_each(prepared, *, estimator, controls, sign):
    """:func:`rsnprop.propositions.interaction.between_groups` (t or hc3) of every imputed
    frame; with ``shared`` frames the complete rows, bg and controls are found once."""

    frames = prepared.frames
    if not prepared.shared:
        return [between_groups(f, estimator=estimator, controls=controls, sign=sign) for f in frames]
    ok, (_, bg, *xs) = complete_arrays(frames[0], ["D", "bg", *controls])
    cov_type = "HC3" if estimator == "hc3" else "nonrobust"
    ds = [f["D"].to_numpy(float) for f in frames] if prepared.scores is None else [s["D"] for s in prepared.scores]
    return [ols_interaction_arrays(d[ok], bg, xs, cov_type=cov_type, sign=sign) for d in ds]


def _tost_parts_each(prepared, bg, sign):
    """:func:`rsnprop.propositions.interaction.between_tost_parts` of every imputed frame (``bg``:
    the first frame's ``bg`` column; with ``shared`` frames every frame's), D from ``scores``
    when the frames share their rows."""
    if prepared.scores is None:
        return [between_tost_parts(f, sign) for f in prepared.frames]
    return [tost_parts_of(*d_arrays_by_group(s["D"], bg, sign)) for s in prepared.scores]
