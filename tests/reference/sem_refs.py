"""Helpers for comparing rsnprop.sem results with lavaan reference outputs (tests/reference)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).resolve().parent
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

# lavaan fitMeasures name -> rsnprop name
FIT_NAMES = {
    "chisq": "chi2", "df": "df", "pvalue": "pvalue", "baseline.chisq": "baseline_chi2",
    "baseline.df": "baseline_df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_lower", "rmsea.ci.upper": "rmsea_ci_upper",
    "rmsea.pvalue": "rmsea_pvalue", "srmr": "srmr", "aic": "aic", "bic": "bic", "logl": "loglik",
    "unrestricted.logl": "loglik_h1", "npar": "npar",
    "chisq.scaled": "chi2_scaled", "df.scaled": "df_scaled", "pvalue.scaled": "pvalue_scaled",
    "chisq.scaling.factor": "chi2_scaling_factor", "baseline.chisq.scaled": "baseline_chi2_scaled",
    "cfi.scaled": "cfi_scaled", "tli.scaled": "tli_scaled", "rmsea.scaled": "rmsea_scaled",
    "cfi.robust": "cfi_robust", "tli.robust": "tli_robust", "rmsea.robust": "rmsea_robust",
    "rmsea.ci.lower.robust": "rmsea_ci_lower_robust", "rmsea.ci.upper.robust": "rmsea_ci_upper_robust",
    "rmsea.ci.lower.scaled": "rmsea_ci_lower_scaled", "rmsea.ci.upper.scaled": "rmsea_ci_upper_scaled",
    "chisq.shift.parameters": "chi2_shift",
}


def load(name: str) -> dict:
    return json.loads((REF / name).read_text(encoding="utf-8"))


def hs_data() -> pd.DataFrame:
    return pd.read_csv(REF / "holzinger_swineford.csv")


def fit_diffs(ours: dict, ref: dict, skip=()) -> dict:
    """Absolute differences per fit measure present in both."""
    out = {}
    for rname, value in ref.items():
        name = FIT_NAMES.get(rname)
        if name is None or name in skip or value is None:
            continue
        mine = ours.get(name)
        if mine is None:
            out[name] = float("inf")
            continue
        out[name] = abs(float(mine) - float(value))
    return out


_BLANK_WHEN_FIXED = ("se", "z", "pvalue", "ci_lower", "ci_upper")


def estimate_diffs(ours: pd.DataFrame, ref_rows, cols=("est", "se", "std_all"), ops=None) -> pd.DataFrame:
    """Join lavaan's parameterEstimates rows with ours on (lhs, op, rhs, group)."""
    ref = pd.DataFrame(ref_rows).rename(columns={"std.all": "std_all", "std.lv": "std_lv",
                                                "ci.lower": "ci_lower", "ci.upper": "ci_upper"})
    ref["rhs"] = ref["rhs"].fillna("")
    mine = ours.copy()
    mine["rhs"] = mine["rhs"].fillna("")
    # ':=' rows: lavaan's rhs keeps spaces removed; match on lhs only
    if "group" not in ref:
        ref["group"] = 1
    ref.loc[ref.op == ":=", "group"] = 0
    ref.loc[ref.op == ":=", "rhs"] = ""
    mine.loc[mine.op == ":=", "rhs"] = ""
    mine.loc[mine.op == ":=", "group"] = 0
    # lavaan writes 'x ~1' with an empty rhs
    ref = ref[ref.op.isin(["=~", "~", "~~", "~1", ":=", "|"])] if ops is None else ref[ref.op.isin(ops)]
    # symmetric '~~': normalise the order of lhs/rhs
    for frame in (ref, mine):
        sw = (frame.op == "~~") & (frame.lhs > frame.rhs)
        frame.loc[sw, ["lhs", "rhs"]] = frame.loc[sw, ["rhs", "lhs"]].to_numpy()
    merged = ref.merge(mine, on=["lhs", "op", "rhs", "group"], how="left", suffixes=("_ref", ""))
    rows = {}
    for c in cols:
        if c + "_ref" not in merged:
            continue
        a = merged[c].astype(float)
        b = merged[c + "_ref"].astype(float)
        d = (a - b).abs()
        d[a.isna() & b.isna()] = 0.0
        d[a.isna() != b.isna()] = np.inf
        if c in _BLANK_WHEN_FIXED and "free" in merged:
            # fixed parameters: lavaan's parameterEstimates has se 0, z/p NA and ci = est; ours (as
            # lavaan's summary) leaves se, z, p and the CI blank -- and must not print numbers there
            fixed = (merged["free"] == False) & (merged["op"] != ":=")  # noqa: E712
            ref_fixed = merged["se_ref"].astype(float).fillna(0.0) == 0.0 if "se_ref" in merged else True
            d[fixed & a.isna() & ref_fixed] = 0.0
            d[fixed & a.notna()] = np.inf
        rows[c] = d
    out = merged[["lhs", "op", "rhs", "group"]].copy()
    for c, d in rows.items():
        out["d_" + c] = d.to_numpy()
    return out


def max_diff(diffs: pd.DataFrame) -> dict:
    return {c: float(diffs[c].max()) for c in diffs.columns if c.startswith("d_")}
