"""Models that should not be fitted (or judged) as they are, against lavaan 0.6-14
(tests/reference/sem_identification.R).

* a dangling operator is a syntax error naming its position (lavaan: "unexpected end of input");
* df < 0: not identified -- no test statistic, no fit index, no standard error (null in JSON;
  lavaan: chisq, pvalue, cfi, tli and every SE NA);
* df = 0: saturated -- chi-square 0 and no CFI/TLI/RMSEA (lavaan prints 1, 1, 0: indices of a
  model that cannot misfit; we report them as undefined, a documented difference).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from rsnprop.errors import ModelSyntaxError, NonPositiveDefiniteWarning
from rsnprop.sem import fit

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "sem_identification.json").read_text())
HS = pd.read_csv(REF / "holzinger_swineford.csv")


@pytest.mark.parametrize("model, where", [("visual =~ x1 + x2 +", "character 19"),
                                          ("visual =~ x1 + + x2", "character 16"),
                                          ("visual =~ x1 + x2 + x3\ntextual =~ + x4 + x5", "line 2")])
def test_dangling_plus_is_a_syntax_error(model, where):
    assert "unexpected end of input" in R["dangling"]  # lavaan refuses it too
    with pytest.raises(ModelSyntaxError, match=where):
        fit(model, HS)


def test_not_identified_has_no_fit_indices_and_no_ses():
    ref = R["not_identified"]
    with pytest.warns(NonPositiveDefiniteWarning, match="not identified"):
        res = fit(ref["model"], HS)
    assert res.fit["df"] == ref["fit"]["df"] == -2
    assert res.fit["npar"] == ref["fit"]["npar"]
    d = res.to_dict()
    for k in ("chisq", "pvalue", "cfi", "tli"):
        assert ref["fit"][k] is None
    for k in ("chi2", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr"):
        assert d["fit"][k] is None, k
    assert all(ref_se is None or not free for ref_se, free in zip(ref["se"], ref["free"]))
    assert all(r["se"] is None and r["z"] is None and r["ci_lower"] is None for r in d["estimates"])
    assert any("not identified" in w for w in res.warnings)
    assert "not identified" in res.summary() and "not identified" in repr(res)


def test_saturated_model_has_no_cfi_tli_rmsea():
    ref = R["saturated"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", NonPositiveDefiniteWarning)
        res = fit(ref["model"], HS)
    assert res.fit["df"] == ref["fit"]["df"] == 0
    assert res.fit["chi2"] == pytest.approx(ref["fit"]["chisq"], abs=1e-8)
    d = res.to_dict()
    for k in ("cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "pvalue"):
        assert d["fit"][k] is None, k
    assert (ref["fit"]["cfi"], ref["fit"]["tli"], ref["fit"]["rmsea"]) == (1, 1, 0)  # lavaan's convention
    # the free parameters keep their standard errors (lavaan's, to 1e-6)
    free_se = [r["se"] for r in d["estimates"] if r["se"] is not None]
    assert free_se == pytest.approx([s for s, f in zip(ref["se"], ref["free"]) if f], abs=1e-6)
    assert any("saturated" in w for w in res.warnings)


def test_fixed_parameters_have_blank_se_in_json_and_summary():
    res = fit("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", HS)
    row = next(r for r in res.to_dict()["estimates"] if r["rhs"] == "x1")
    assert row["est"] == 1.0 and row["se"] is None and row["z"] is None and row["pvalue"] is None
    assert row["ci_lower"] is None and row["ci_upper"] is None and row["std_all"] is not None
    line = next(ln for ln in res.summary().splitlines() if ln.startswith("    x1 "))
    assert line[18:27].strip() == "1.000" and line[27:54].strip() == ""
