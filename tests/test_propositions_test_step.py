"""The test step of a power replication, without the work nothing reads (issue 21, twelfth round).

:func:`rsnprop.propositions.test_propositions` without the secondary evidence builds its
analysis frame without the extra columns only the secondary evidence reads; the result must
be the one with them (the previous frame), on simulated data of every scenario and size, in
and out of the power's lean arithmetic.
"""

from __future__ import annotations

import json
import warnings

import pytest

from rsnprop.data import clean
from rsnprop.instrument import load_instrument
from rsnprop.propositions import load_plan, study, test_propositions
from rsnprop.propositions.lean import lean_tests
from rsnprop.propositions.measurement import verdicts_only
from rsnprop.results import jsonsafe
from rsnprop.simulate import simulate_study

INS = "instruments/rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def design():
    return load_instrument(INS), load_plan("analysis/study.yaml")


def _result(df, plan, lean):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not lean:
            return test_propositions(df, plan, secondary=False, latent=False, multiverse=False)
        with verdicts_only(), lean_tests(effect_intervals=False):
            return test_propositions(df, plan, secondary=False, latent=False, multiverse=False)


def _json(res):
    return json.dumps(jsonsafe(res.to_dict()), sort_keys=True)


@pytest.mark.parametrize("scenario,n,lean", [("p1p2", 300, True), ("null", 2, True), ("reversed", 13, True),
                                             ("p2_only", 77, False), ("dif", 150, True), ("p1p2", 40, False)])
def test_without_the_extra_columns(design, monkeypatch, scenario, n, lean):
    ins, plan = design
    raw = simulate_study(ins, scenario, n=n, seed=n + 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = clean(raw, ins, plan.cleaning, diagnostics=False).data
    frames = []
    spy = study.evaluate_spec

    def keep(*a, **k):
        out = spy(*a, **k)
        frames.append(out["frame"])
        return out

    monkeypatch.setattr(study, "evaluate_spec", keep)
    new = _result(df, plan, lean)
    monkeypatch.setattr(study, "_extra_columns", lambda plan, secondary: [
        "phase", "sector", "score_intl_approach", "cs_relational", "cs_informational",
        *plan.auxiliary.rsn_use_columns])
    ref = _result(df, plan, lean)
    assert _json(new) == _json(ref)
    assert "sector" not in frames[0].columns and "sector" in frames[1].columns


def test_the_extra_columns_stay_where_they_are_read():
    plan = load_plan("analysis/study.yaml")
    assert study._extra_columns(plan, True)[:2] == ["phase", "sector"]
    assert study._extra_columns(plan, False) == []
    mi = plan.model_copy(update={"missing": "multiple_imputation"})
    assert study._extra_columns(mi, False) == study._extra_columns(mi, True)


def _frame(seed, n, nan_share=0.1, controls=False):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    bg = (rng.random(n) < 0.4).astype(int)
    rel, inf = rng.normal(4, 1, n), rng.normal(4, 1, n)
    rel[rng.random(n) < nan_share] = np.nan
    f = pd.DataFrame({"relational": rel, "informational": inf, "D": rel - inf, "bg": bg,
                      "group": np.where(bg == 1, "born_global", "traditional")})
    if controls:
        f["age"] = rng.normal(10, 3, n)
        f.loc[rng.random(n) < nan_share, "age"] = np.nan
    return f


@pytest.mark.parametrize("seed,n,estimator,controls", [(1, 300, "t", False), (2, 40, "hc3", False),
                                                       (3, 60, "t", True), (4, 5, "t", False),
                                                       (5, 2, "t", False), (6, 80, "rank", False)])
def test_the_between_tests_on_the_score_arrays(seed, n, estimator, controls):
    """The joint rows from the frame's score arrays are between_groups / interaction_tost of
    the frame (the previous code), NaN in D and controls, tiny groups, every estimator."""
    from rsnprop.propositions import interaction, primary
    from rsnprop.propositions.plan import StudyPlan
    from rsnprop.propositions.prepare import AnalysisFrames, score_arrays

    f = _frame(seed, n, controls=controls)
    f.attrs["controls"] = ["age"] if controls else []
    plan = StudyPlan(name="x", min_group_size=3)
    ctrl = f.attrs["controls"]
    sign = -1 if seed % 2 else 1
    for scores in (None, [score_arrays(f)]):
        got = primary._between_tests(AnalysisFrames(frame=f, notes=[], frames=[f], scores=scores), plan, ctrl,
                                     estimator=estimator, sign=sign)
        if got.final:
            assert n < 8
            continue
        ref_p = interaction.between_groups(f, estimator=estimator, controls=tuple(ctrl), sign=sign)
        ref_t = interaction.interaction_tost(f, sesoi_value=plan.sesoi.value, sesoi_unit=plan.sesoi.unit,
                                             alpha=plan.alpha, sign=sign)
        assert json.dumps(got.primary, sort_keys=True) == json.dumps([ref_p], sort_keys=True)
        assert json.dumps(got.tost, sort_keys=True) == json.dumps([ref_t], sort_keys=True)


@pytest.mark.parametrize("seed,n", [(1, 300), (2, 3), (3, 1)])
def test_the_descriptives_on_the_score_arrays(seed, n):
    from rsnprop.propositions.prepare import score_arrays

    f = _frame(seed, n, nan_share=0.3)
    assert json.dumps(study._descriptives(f, scores=score_arrays(f))) == json.dumps(study._descriptives(f))
    assert json.dumps(study._descriptives(f.iloc[:0], scores=score_arrays(f.iloc[:0]))) == "[]"


def _clean_like(seed, n, kind):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rel, inf = rng.normal(4, 1, n), rng.normal(4, 1, n)
    rel[rng.random(n) < 0.1] = np.nan
    bg = np.where(rng.random(n) < 0.4, 1.0, 0.0)
    bg[rng.random(n) < 0.1] = np.nan
    df = pd.DataFrame({"resp_id": [f"R{i}" for i in range(n)], "score_relational": rel,
                       "score_informational": inf, "bg_ms20": bg})
    if kind == "int":          # whole-number scores: not float columns
        df["score_informational"] = np.round(inf).astype(int)
    if kind == "nullable":
        df["score_relational"] = pd.array(np.round(rel, 1), dtype="Float64")
    return df


@pytest.mark.parametrize("seed,n,kind", [(1, 300, "float"), (2, 7, "int"), (3, 50, "nullable"), (4, 1, "float")])
def test_the_frame_arrays_are_its_columns(seed, n, kind):
    """The arrays the analysis frame was built from are its columns (``frame[c].to_numpy``);
    the group masks, the joint rows and the descriptives from them are those of the frame."""
    import numpy as np

    from rsnprop.propositions import prepare
    from rsnprop.propositions.plan import StudyPlan

    df = _clean_like(seed, n, kind)
    plan = StudyPlan(name="x")
    frame, notes, arrays = prepare._frame_and_arrays(df, plan)
    ref, ref_notes = prepare.analysis_frame(df, plan)
    assert notes == ref_notes and frame.equals(ref)
    for k in ("relational", "informational", "D"):
        assert np.array_equal(arrays[k], frame[k].to_numpy(float), equal_nan=True)
        assert arrays[k].dtype == np.float64
    assert ("group" in arrays) == (kind == "float")
    if "group" in arrays:
        assert arrays["bg"].dtype == frame["bg"].dtype and np.array_equal(arrays["bg"], frame["bg"].to_numpy())
        assert arrays["group"].tolist() == frame["group"].tolist()
        assert {type(x) for x in arrays["group"]} <= {str}
    for group in ("born_global", "traditional"):
        for ctrl in ([],):
            a, b = prepare.group_rows(frame, group, ctrl, arrays.get("group")), prepare.group_rows(frame, group, ctrl)
            assert np.array_equal(a[0], b[0])
    assert json.dumps(study._descriptives(frame, scores=arrays)) == json.dumps(study._descriptives(frame))
    if "bg" in arrays:
        assert study.sample_counts(frame, df, bg=arrays["bg"]) == study.sample_counts(frame, df)
    cache = {}
    assert prepare.cached_frame(cache, df, plan)[0] is prepare._cached_frame_arrays(cache, df, plan)[0]


def test_mean_var_is_numpys_mean_var_and_std():
    """``mean_var`` in one pass gives NumPy's mean, var and std to the last bit (sizes 1-1200,
    offsets up to 1e12, half-points, whole numbers, constants, NaN, strided views)."""
    import warnings as w

    import numpy as np

    from rsnprop.propositions.student_t import mean_var

    rng = np.random.default_rng(21)

    def same(a, b):
        return bool(a == b) or (np.isnan(a) and np.isnan(b))

    for i in range(3000):
        n = int(rng.integers(1, 1200))
        a = rng.normal(0, 1, n) * 10 ** rng.uniform(-8, 8) + (10 ** rng.uniform(0, 12) if i % 6 == 1 else 0)
        a = {2: np.round(a * 2) / 2, 3: rng.integers(1, 8, n).astype(float), 5: np.full(n, rng.normal())}.get(i % 6, a)
        if i % 6 == 4 and n > 3:
            a[rng.integers(0, n)] = np.nan
        for b in (a, a[::3]):
            m, ss = mean_var(b)
            assert same(m, b.mean())
            with w.catch_warnings():
                w.simplefilter("ignore")
                for ddof in (0, 1):
                    if b.size > ddof:
                        assert same(ss / (b.size - ddof), b.var(ddof=ddof))
                        assert same(np.sqrt(ss / (b.size - ddof)), b.std(ddof=ddof))
