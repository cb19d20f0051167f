"""The analysis frame built on arrays is the frame the column-by-column pandas code built.

:func:`rsnprop.propositions.prepare.analysis_frame` and the descriptives of the result
(:func:`rsnprop.propositions.study._descriptives`) were rewritten on NumPy arrays for the
Monte Carlo power (a few hundred firms per replication); the reference implementations below
are the previous pandas code (main ``a5f3672``), and both must give the same frame (values,
dtypes, index, column order, ``attrs``), notes and rows on the example's clean data and on
clean data with missing scores, unknown groups, text indicators, careless flags, extra
columns, controls, complete cases and a non-default index.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rsnprop.errors import InputError
from rsnprop.propositions import prepare
from rsnprop.propositions.plan import StudyPlan, load_plan
from rsnprop.propositions.study import _descriptives, sample_counts

REPO = Path(__file__).resolve().parents[1]


# --- the reference: the pandas code of main a5f3672 -------------------------------------
def _ref_frame(clean_df, plan, *, bg_definition=None, missing=None, careless=None, controls=None, extra=()):
    notes = []
    bg_col = bg_definition or plan.born_global_definition
    cols = prepare._check_columns(clean_df, plan, bg_col)
    keep = pd.Series(True, index=clean_df.index)
    if careless is not None and careless.flags:
        for f in careless.flags:
            keep &= ~(prepare.to_indicator(clean_df[f]).fillna(0) > 0)
    first = {}
    if "resp_id" in clean_df.columns:
        first["resp_id"] = clean_df["resp_id"]
    for kind, names in cols.items():
        if (missing or plan.missing) == "complete_cases":
            constructs = plan.benefits.relational if kind == "relational" else plan.benefits.informational
            items = [i for c in constructs for i in prepare.items_of(clean_df.columns, c)]
            if not items:
                notes.append(f"complete_cases: no item columns found for {kind}; scale scores used")
            else:
                keep &= clean_df[items].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
        first[kind] = prepare.scale_score(clean_df, names)
    first["D"] = first["relational"] - first["informational"]
    first["bg"] = prepare.to_indicator(clean_df[bg_col])
    out = pd.DataFrame(first, index=clean_df.index)
    bg, d = out["bg"], out["D"]
    counts = {"n_total": int(len(out)), "bg_definition": bg_col, "unclassified": int(bg.isna().sum()),
              "missing_score": int((bg.notna() & d.isna()).sum()),
              "excluded_by_rule": int((~keep & bg.notna() & d.notna()).sum()),
              "given": {"born_global": int((bg == 1).sum()), "traditional": int((bg == 0).sum())}}
    n0 = len(out)
    out = out[keep & out["D"].notna() & out["bg"].notna()]
    if n0 - len(out):
        why = [f"{counts['unclassified']} not classified ({bg_col} unknown)" if counts["unclassified"] else "",
               f"{counts['missing_score']} without both benefit scores" if counts["missing_score"] else "",
               f"{counts['excluded_by_rule']} by careless/complete-case rule" if counts["excluded_by_rule"] else ""]
        notes.append(f"{n0 - len(out)} of {n0} firms left out: " + ", ".join(w for w in why if w))
    final = {c: out[c] for c in out.columns}
    final["bg"] = out["bg"].astype(int)
    final["group"] = pd.Series(np.where(final["bg"] == 1, "born_global", "traditional"), index=out.index)
    for c in extra:
        if c in clean_df.columns and c not in final:
            final[c] = clean_df.loc[out.index, c]
    ctrl_cols = []
    if controls:
        ctrl, cnotes = prepare.control_matrix(clean_df.loc[out.index], controls)
        notes.extend(cnotes)
        for c in ctrl.columns:
            final[c] = ctrl[c]
        ctrl_cols = list(ctrl.columns)
    out = pd.DataFrame(final, index=out.index)
    out.attrs["controls"] = ctrl_cols
    out.attrs["bg_definition"] = bg_col
    out.attrs["counts"] = counts
    return out.reset_index(drop=True), notes


def _ref_descriptives(frame, confidence=0.95):
    rows = []
    for group, sub in frame.groupby("group", sort=True):
        for benefit in ("relational", "informational", "D"):
            x = sub[benefit].dropna().to_numpy(float)
            n = x.size
            mean = float(x.mean()) if n else math.nan
            sd = float(x.std(ddof=1)) if n > 1 else math.nan
            half = stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            rows.append({"group": group, "benefit": benefit if benefit != "D" else "relational - informational",
                         "n": n, "mean": mean, "sd": sd, "ci_lower": mean - half, "ci_upper": mean + half})
    return rows


# --- data -------------------------------------------------------------------------------
def _example():
    return pd.read_parquet(REPO / "tests/data/report/pipeline/clean.parquet")


def _messy(seed=0, n=240):
    """Clean-looking data with every kind of gap the frame handles."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"resp_id": [f"R{i:04d}" for i in range(n)],
                       "score_relational": np.round(rng.normal(4, 1, n) * 6) / 6,
                       "score_informational": np.round(rng.normal(4, 1, n) * 6) / 6,
                       "bg_ms20": rng.choice([0.0, 1.0, np.nan], n, p=[0.55, 0.4, 0.05]),
                       "bg_text": rng.choice(["yes", "no", None], n, p=[0.4, 0.55, 0.05]),
                       "phase": rng.choice(["early", "late", None], n),
                       "sector": pd.Series(rng.choice(["A", "B", "C", "D"], n), dtype="category"),
                       "firm_age": rng.integers(1, 40, n).astype(float),
                       "log_employees": np.log1p(rng.integers(1, 500, n)),
                       "flag_a": rng.choice([True, False], n, p=[0.1, 0.9]),
                       "flag_b": rng.choice(["true", "false"], n, p=[0.05, 0.95]),
                       "n_int": rng.integers(0, 9, n),
                       "obj": pd.Series(rng.choice(["a", "b"], n), dtype=object)})
    for j in range(1, 4):
        df[f"rel_{j}"] = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, np.nan], n)
        df[f"inf_{j}"] = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, np.nan], n, p=[0.2, 0.2, 0.2, 0.2, 0.18, 0.02])
    df.loc[rng.random(n) < 0.06, "score_relational"] = np.nan
    df.loc[rng.random(n) < 0.04, "score_informational"] = np.nan
    df.index = pd.Index(rng.permutation(n) * 3 + 7)              # not 0..n-1
    return df


def _check(df, plan, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ref_notes = _ref_frame(df, plan, **kw)
        new, new_notes = prepare.analysis_frame(df, plan, **kw)
    pd.testing.assert_frame_equal(new, ref, check_exact=True)
    assert new.dtypes.to_dict() == ref.dtypes.to_dict()
    assert isinstance(new.index, pd.RangeIndex) and new.index.equals(ref.index)
    assert new_notes == ref_notes
    assert list(new.attrs) == list(ref.attrs) and new.attrs == ref.attrs
    assert str(_descriptives(new)) == str(_ref_descriptives(ref))     # values and types
    assert sample_counts(new, df) == sample_counts(ref, df)
    return new


EXTRA = ["phase", "sector", "score_intl_approach", "cs_relational", "cs_informational", "firm_age",
         "flag_a", "flag_b", "n_int", "obj"]


@pytest.mark.parametrize("kw", [{}, {"extra": EXTRA}, {"extra": EXTRA, "missing": "complete_cases"},
                                {"controls": ["firm_age", "log_employees", "sector", "b2b", "phase"]}])
def test_example_frame_unchanged(kw):
    plan = load_plan(REPO / "analysis/study.yaml")
    frame = _check(_example(), plan, **kw)
    assert len(frame) > 100


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_messy_frame_unchanged(seed):
    plan = StudyPlan(name="x")
    df = _messy(seed)
    _check(df, plan)
    _check(df, plan, extra=EXTRA)
    _check(df, plan, bg_definition="bg_text", extra=["phase", "sector"])
    _check(df, plan, missing="complete_cases")
    _check(df, plan, controls=["firm_age", "log_employees", "sector", "phase"], extra=["phase"])
    care = type("Care", (), {"name": "strict", "flags": ["flag_a", "flag_b"]})()
    _check(df, plan, careless=care, extra=EXTRA)
    _check(df.drop(columns=["resp_id"]).reset_index(drop=True), plan)


def test_more_score_columns_and_integer_scores():
    plan = StudyPlan.model_validate({"name": "x", "benefits": {"relational": ["relational", "trust"],
                                                               "informational": ["informational"]}})
    df = _messy(4)
    df["score_trust"] = np.round(np.random.default_rng(4).normal(4, 1, len(df)), 1)
    df["score_informational"] = df["score_informational"].round().astype("Int64")
    _check(df, plan)
    _check(df, StudyPlan(name="x"), extra=EXTRA)           # one float64 score, one Int64 score


def test_errors_unchanged():
    plan = StudyPlan(name="x")
    df = _messy(5)
    df.loc[df.index[3], "bg_ms20"] = 2.0
    with pytest.raises(InputError, match="must be 0/1"):
        prepare.analysis_frame(df, plan)
    with pytest.raises(InputError, match="classification column"):
        prepare.analysis_frame(df.drop(columns=["bg_ms20"]), plan)
