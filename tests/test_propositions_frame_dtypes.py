"""The analysis frame's shortcuts for the clean data's own dtypes give the pandas code's frame.

:func:`rsnprop.propositions.prepare.analysis_frame` reads a float64 born-global column as its
own array (checked there for values other than 0, 1 and missing) and takes the rows of text
columns (``resp_id``, text extras) from their string arrays; the frame, notes, descriptives,
counts and errors must be those of the reference pandas code of ``test_propositions_frame``
for every string dtype (``str``, ``string`` with ``pd.NA``, pyarrow ``string``, ``object``),
for a signed zero and for a born-global column of another dtype (issue 21).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_propositions_frame import EXTRA, _check, _messy

from rsnprop.errors import InputError
from rsnprop.propositions import prepare
from rsnprop.propositions.plan import StudyPlan

STRING_DTYPES = ["str", "string", "string[pyarrow]", object]


@pytest.mark.parametrize("dtype", STRING_DTYPES)
def test_text_columns_of_every_string_dtype(dtype):
    plan = StudyPlan(name="x")
    df = _messy(7)
    df["resp_id"] = df["resp_id"].astype(dtype)
    df["phase"] = df["phase"].astype(dtype)
    df["sector"] = df["sector"].astype(str).astype(dtype)
    _check(df, plan, extra=EXTRA)
    _check(df, plan, bg_definition="bg_text", extra=["phase", "sector"])
    care = type("Care", (), {"name": "strict", "flags": ["flag_a", "flag_b"]})()
    _check(df, plan, careless=care, extra=["phase"])


@pytest.mark.parametrize("kind", ["signed zero", "float32", "Float64", "int", "all missing"])
def test_born_global_columns_of_other_values_and_dtypes(kind):
    plan = StudyPlan(name="x")
    df = _messy(8)
    bg = df["bg_ms20"]
    if kind == "signed zero":
        df["bg_ms20"] = np.where(bg == 0, -0.0, bg)
    elif kind == "float32":
        df["bg_ms20"] = bg.astype("float32")
    elif kind == "Float64":
        df["bg_ms20"] = bg.astype("Float64")
    elif kind == "int":
        df["bg_ms20"] = bg.fillna(0).astype(int)
    else:
        df["bg_ms20"] = np.nan
    _check(df, plan, extra=EXTRA)


@pytest.mark.parametrize("bad", [2.0, -1.0, 0.5, np.inf])
def test_a_born_global_value_other_than_0_or_1_is_named(bad):
    df = _messy(9)
    df.loc[df.index[5], "bg_ms20"] = bad
    df.loc[df.index[9], "bg_ms20"] = 3.0
    with pytest.raises(InputError, match="must be 0/1") as err:
        prepare.analysis_frame(df, StudyPlan(name="x"))
    assert str(err.value) == str(_reference_error(df))


def _reference_error(df):
    """The error of the pandas code (the born-global column through ``to_indicator``)."""
    bg = prepare.to_indicator(df["bg_ms20"])
    bad = bg.notna() & ~bg.isin([0.0, 1.0])
    i = bad.idxmax()
    return InputError("born-global column must be 0/1 (or true/false)", column="bg_ms20",
                      row=int(i), value=df["bg_ms20"][i])
