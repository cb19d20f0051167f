"""The fast CSV path (pyarrow reader, rules decided on distinct values) reads exactly what the
general path (pandas reader, element-wise rules) reads: same frame, dtypes and read info, or
the same error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_same_read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsnprop.data import read as rd
from rsnprop.data import read_cells, read_csv

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"


def _both(path, monkeypatch, **kw):
    """(fast result, general result): frames or (error class, message)."""
    out = []
    for fast in (True, False):
        monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0 if fast else 1 << 62)
        monkeypatch.setattr(read_cells, "_convert_column_fast",
                            _FAST if fast else (lambda s, decimal: None))
        try:
            out.append(rd.read_table(path, **kw))
        except Exception as err:  # noqa: BLE001 - compared below
            out.append((type(err).__name__, str(err)))
    return out


_FAST = read_cells._convert_column_fast


_same = assert_same_read


def _variants():
    base = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(1)
    junk = base.copy()
    for col, vals in [("rel_1", ["abc", " 5 ", "NA", "-99"]), ("rel_2", ["inf"]),
                      ("rel_3", ["nan"]), ("inf_1", ["1.234,5"]), ("inf_2", ["  "]),
                      ("employees", ["1e3", "+4", ".5", "5."]), ("rel_4", ["\u0663"])]:
        idx = rng.choice(len(junk), 20, replace=False)
        junk.loc[idx, col] = rng.choice(vals, 20)
    junk["inf_3"] = " "
    junk["inf_4"] = ""
    junk["rsk_1"] = np.where(rng.random(len(junk)) < .5, "1,5", "2")
    junk["rsk_2"] = np.where(rng.random(len(junk)) < .5, "1.000,5", "2")
    junk.loc[5, "role"] = 'He said "hi", then\nleft; ok'
    junk.loc[7, "role"] = "x\x1c"
    # missing-value tokens (blanked on each column's distinct values by the fast path): with
    # spaces, in number and text columns, and a column of nothing but tokens
    tokens = base.copy()
    idx = rng.choice(len(tokens), 30, replace=False)
    tokens.loc[idx[:10], "rel_1"] = " NA "
    tokens.loc[idx[10:20], "rel_1"] = "#N/A"
    tokens.loc[idx[20:], "role"] = "NULL"
    tokens["rel_2"] = "NA"
    tokens.loc[idx[:5], "rel_3"] = "n/a"
    comma = base.copy()
    for c in comma.columns:
        if comma[c].str.contains(r"^\d+\.\d+$", regex=True).any():
            comma[c] = comma[c].str.replace(".", ",", regex=False)
    text = base.to_csv(index=False)
    return {
        "plain.csv": text.encode(),
        "bom.csv": text.encode("utf-8-sig"),
        "cp1252.csv": base.assign(role="Gérant société").to_csv(index=False).encode("cp1252"),
        "semicolon_comma.csv": comma.to_csv(index=False, sep=";").encode(),
        "tab.tsv": base.to_csv(index=False, sep="\t").encode(),
        "junk.csv": junk.to_csv(index=False).encode(),
        "tokens.csv": tokens.to_csv(index=False).encode(),
        "junk_semicolon.csv": junk.to_csv(index=False, sep=";").encode(),
        "crlf.csv": text.replace("\n", "\r\n").encode(),
        "short_row.csv": (text + "A1,2\n").encode(),
        "long_row.csv": (text + "A1," + ",".join(["1"] * 100) + "\n").encode(),
        "dup_header.csv": text.replace("rel_2", "rel_1", 1).encode(),
        "empty_name.csv": text.replace("rel_2", "", 1).encode(),
        "blank_lines.csv": ("\n\n" + text.replace("\n", "\n\n", 30)).encode(),
        "stray_quote.csv": (text[:5000] + '"' + text[5000:]).encode(),
        "header_only.csv": text.splitlines()[0].encode() + b"\n",
    }


@pytest.mark.parametrize("name", sorted(_variants()))
def test_fast_read_equals_general(name, tmp_path, monkeypatch):
    path = tmp_path / name
    path.write_bytes(_variants()[name])
    fast, general = _both(path, monkeypatch)
    _same(fast, general)


@pytest.mark.parametrize("decimal", [",", "."])
def test_fast_read_equals_general_forced_decimal(decimal, tmp_path, monkeypatch):
    for name in ("junk.csv", "semicolon_comma.csv", "plain.csv"):
        path = tmp_path / name
        path.write_bytes(_variants()[name])
        fast, general = _both(path, monkeypatch, decimal=decimal)
        _same(fast, general)


def test_fast_path_is_used_and_decides_columns():
    """The fast rules decide ordinary columns themselves (the test fails if they never do)."""
    s = pd.Series(["1", " 2 ", None, "", "3"], dtype=object)
    x, is_comma = read_cells._convert_column_fast(s, None)
    assert x.dtype == "float64" and x.isna().tolist() == [False, False, True, True, False]
    x, is_comma = read_cells._convert_column_fast(pd.Series(["1,5", "2"], dtype=object), None)
    assert is_comma and x.tolist() == [1.5, 2.0]
    x, _ = read_cells._convert_column_fast(pd.Series(["a", " b ", ""], dtype=object), None)
    assert x.tolist() == ["a", "b", None] and x.dtype == object
    assert read_cells._convert_column_fast(pd.Series(["inf", "1"], dtype=object), None) is None
    assert read_cells._convert_column_fast(pd.Series(["1.234,5", "2"], dtype=object), None) is None


_cell = st.one_of(st.sampled_from(["", " ", "1", "2", "7", "-3", "2.5", "2,5", "1.234,5", "+4",
                                   ".5", "5.", "1e3", "inf", "nan", "NA", "abc", " 5 ", "x y",
                                   "\u0663", "0x10", "1_000", "\u00a07"]),
                  st.text(max_size=4))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_cell, min_size=1, max_size=12), st.sampled_from([None, ",", "."]))
def test_fast_column_rules_equal_general(cells, decimal):
    s = pd.Series(cells, dtype=object)
    fast = read_cells._convert_column_fast(s, decimal)
    if fast is None:
        return                          # the general rules decide: nothing to compare
    general = read_cells._convert_column_general(pd.Series(cells, dtype="str"), decimal)
    pd.testing.assert_series_equal(fast[0], general[0], check_exact=True)
    assert fast[1] == general[1]


@pytest.mark.parametrize("name", ["junk.csv", "tokens.csv", "semicolon_comma.csv"])
def test_fast_read_in_many_blocks_equals_general(name, tmp_path, monkeypatch):
    """Small blocks: every column comes as many chunks, each with its own dictionary (some
    values in one block only, others in all), whose codes are mapped onto their union."""
    path = tmp_path / name
    path.write_bytes(_variants()[name])
    monkeypatch.setattr(read_csv, "_BLOCK_BYTES", 2048)
    _same(*_both(path, monkeypatch))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", " c", "NA", ""])),
                         max_size=12), min_size=1, max_size=6))
def test_unified_codes_equal_text_encoding(chunks):
    """The codes of a dictionary-typed chunked column (one dictionary per chunk) equal those
    of the same cells as one text column: the same distinct values, in the same order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    coded = pa.chunked_array([pc.dictionary_encode(pa.array(c, pa.string())) for c in chunks],
                             pa.dictionary(pa.int32(), pa.string()))
    d1, c1 = read_cells._encode(text)
    d2, c2 = read_cells._encode(coded)
    assert d1.to_pylist() == d2.to_pylist()
    assert c1.dtype == c2.dtype and np.array_equal(c1, c2)
