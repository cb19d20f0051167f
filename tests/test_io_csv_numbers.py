"""Number columns parsed by pyarrow straight to float64 (:func:`rsnprop.io_csv.number_columns`,
``parse_text_table(numbers=True)``): the frame, the decimal-comma columns and the missing-token
counts are exactly those of the all-text parse, whatever the cells after the sampled head
(``NA``, ``nan``, ``inf``, spaces, signs, exponents, junk), and the numbers are not used when
the rules would read the cells otherwise (a decimal comma, a token that is a number)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import assert_same_read

from rsnprop import io_csv
from rsnprop.data import read as rd
from rsnprop.data import read_cells, read_csv

ODD_CELLS = ["NA", " NA ", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", " 4 ", "\t4",
             "+3", "1e3", "1E+3", "-0", "-.5", "5.", "abc", " ", "#N/A", "NULL",
             "9007199254740993", "0.1000000000000000055511151231257827", "2.5e-3", "00012",
             "1_0", "0x10", "1d3", "."]


@pytest.fixture
def small(monkeypatch):
    """The fast reader for small files, small blocks, a small sampled head."""
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(read_csv, "_BLOCK_BYTES", 2048)
    monkeypatch.setattr(io_csv, "NUMBER_SAMPLE_BYTES", 1024)
    yield
    io_csv._STARTED.clear()


def _frame(rng, n=600):
    likert = rng.integers(1, 8, n).astype(float)
    df = pd.DataFrame({
        "id": [f"R{i:05d}" for i in range(n)],
        "rel_1": likert,
        "rel_2": np.where(rng.random(n) < 0.2, np.nan, likert[::-1]),
        "share": np.round(rng.random(n) * 100, 3),
        "count": rng.integers(0, 50, n),
        "text": rng.choice(["a b", "c", ""], n),
    })
    return df


def _csv(df, cells=()):
    """The frame as CSV text with ``cells`` ``(row, column, text)`` written verbatim."""
    out = df.astype(object).where(df.notna(), "").astype(str)
    for row, col, text in cells:
        out.loc[row, col] = text
    return out.to_csv(index=False)


def _convert(data, numbers, decimal=None, tokens=read_cells.MISSING_TOKENS):
    """The reader's frame of ``data`` and the column types of the table it came from."""
    names = io_csv.header_names(data.decode(), ",")
    table = io_csv.parse_text_table(data, names, ",", True, 2048, numbers=numbers)
    kinds = [str(t) for t in table.schema.types]
    df = read_csv._arrow_frame([table], "utf-8", ",", decimal, tokens, numbers)
    if df is None:      # NaN or infinite numbers: the reader parses the file again, all text
        return _convert(data, False, decimal, tokens)
    return df, kinds


def _same_conversion(data, **kw):
    a, kinds = _convert(data, True, **kw)
    b, text_kinds = _convert(data, False, **kw)
    assert_same_read(a, b)
    assert "double" not in text_kinds
    return kinds


def test_number_columns_of_the_head():
    data = b"a,b,c,d,e\n1,x,,2.5,-3\n-3,4,,NA,+4\n"
    assert io_csv.number_columns(data, list("abcde"), ",", False) == ["a"]
    assert io_csv.number_columns(b'a;b\n"1";2.0\n', ["a", "b"], ";", True) == ["a", "b"]
    assert io_csv.number_columns(b"a,b\n", ["a", "b"], ",", False) == []
    assert io_csv.number_columns(b"a,b\n1,2\n3\n", ["a", "b"], ",", False) == []


def test_plain_numbers_are_parsed_as_floats(small):
    data = _csv(_frame(np.random.default_rng(1))).encode()
    kinds = _same_conversion(data)
    assert kinds.count("double") == 4        # rel_1, rel_2, share, count: the fast path ran


@pytest.mark.parametrize("cell", ODD_CELLS)
@pytest.mark.parametrize("col", ["rel_1", "rel_2", "count"])
def test_a_cell_after_the_head_reads_the_same(small, cell, col):
    data = _csv(_frame(np.random.default_rng(2)), [(500, col, cell)]).encode()
    kinds = _same_conversion(data)
    finite = cell.strip() not in ("NA", "nan", "NaN", "inf", "-inf", "Infinity", "1e400",
                                  "abc", "", "#N/A", "NULL", "1_0", "0x10", "1d3", ".")
    # that column numbers only when every cell is one (the others numbers either way, or all
    # text after a NaN or infinite cell)
    assert (kinds[["id", "rel_1", "rel_2", "share", "count", "text"].index(col)] == "double") \
        == finite


def test_random_number_texts_read_the_same(small):
    rng = np.random.default_rng(3)
    parts = ["", "-", "+", " "], ["0", "7", "12", "007", "123456789012345678"], \
        ["", ".", ".5", ".25", ".0001", ".333333333333333333"], \
        ["", "e3", "E-2", "e+308", "e-400", "e999"], ["", " ", "\t"]
    for _ in range(8):
        cells = ["".join(rng.choice(p) for p in parts) for _ in range(12)]
        edits = [(500 + i, "share", c) for i, c in enumerate(cells)]
        _same_conversion(_csv(_frame(rng), edits).encode())


def test_whole_numbers_without_missing_cells_are_int64(small):
    df = _frame(np.random.default_rng(4))
    df["rel_1"] = 2.0 ** 53 - np.arange(len(df))
    data = _csv(df, [(100, "count", "-0"), (200, "count", "+0")]).encode()
    kinds = _same_conversion(data)
    assert kinds.count("double") == 4
    out = _convert(data, True)[0]
    assert str(out["count"].dtype) == "int64" and str(out["rel_1"].dtype) == "float64"


def _read(path, **kw):
    return rd.read_table(path, **kw)


@pytest.mark.parametrize("kw", [{}, {"decimal": "."}, {"decimal": ","},
                                {"missing_tokens": ("-99", "NA")}, {"missing_tokens": ()},
                                {"missing_tokens": ("4",)}])
def test_read_table_equals_the_text_parse(small, tmp_path, monkeypatch, kw):
    df = _frame(np.random.default_rng(5))
    path = tmp_path / "x.csv"
    path.write_text(_csv(df, [(300, "rel_2", "-99"), (400, "rel_1", "NA")]))
    fast = _read(path, **kw)
    monkeypatch.setattr(io_csv, "number_columns", lambda *a: [])
    assert_same_read(fast, _read(path, **kw))


def test_tokens_that_are_numbers_are_counted(small, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(_csv(_frame(np.random.default_rng(6)), [(300, "rel_2", "-99")]))
    df = _read(path, missing_tokens=("-99",))
    assert df.attrs["rsnprop_read"]["missing_tokens"] == {"-99": 1}
    assert np.isnan(df.loc[300, "rel_2"])


def test_early_numbers_not_taken_for_a_number_token(small, tmp_path, monkeypatch):
    monkeypatch.setattr(io_csv, "EARLY_MIN_BYTES", 0)
    path = tmp_path / "x.csv"
    path.write_text(_csv(_frame(np.random.default_rng(7)), [(300, "rel_2", "-99")]))
    plain = _read(path, missing_tokens=("-99",))
    calls = []
    real = read_csv._read_csv_arrow
    monkeypatch.setattr(read_csv, "_read_csv_arrow",
                        lambda *a, **k: calls.append(k.get("numbers")) or real(*a, **k))
    assert io_csv.start_parse(path, min_bytes=0, block_bytes=2048)
    assert_same_read(_read(path, missing_tokens=("-99",)), plain)
    assert calls == [False]         # the early table (numbers) was not used
    assert io_csv.start_parse(path, min_bytes=0, block_bytes=2048)
    assert_same_read(_read(path), _read(path))
    assert calls == [False, True]   # the early table was used; then a parse of its own


def test_a_malformed_file_is_parsed_once(small, monkeypatch):
    data = (_csv(_frame(np.random.default_rng(8))) + "R9,1\n").encode()
    calls = []
    real = io_csv._parse_table
    monkeypatch.setattr(io_csv, "_parse_table", lambda *a: calls.append(a[-1]) or real(*a))
    assert io_csv.parse_text_table(data, io_csv.header_names(data.decode(), ","), ",", True,
                                   2048, numbers=True) is None
    assert len(calls) == 1 and calls[0]          # a parse error is not a cell's: no text parse


def test_float_column_kinds():
    col = pa.chunked_array([pa.array([1.0, 2.0]), pa.array([3.0, None])])
    assert read_cells._float_column(col)[0] == "column"
    out = read_cells._float_column(pa.chunked_array([pa.array([1.0, -0.0, 2.0 ** 53 - 1])]))
    assert str(out.dtype) == "int64" and out.tolist() == [1, 0, 2 ** 53 - 1]
    assert read_cells._float_column(pa.chunked_array([pa.array([2.0 ** 53])]))[0] == "column"
    block = np.full(4, 7.0)
    read_cells._copy_chunks(col, block)
    assert block[:3].tolist() == [1.0, 2.0, 3.0] and np.isnan(block[3])


def test_finite_check():
    def table(*values):
        return pa.table({"a": pa.array(values, pa.float64()), "b": ["x"] * len(values)})
    assert read_cells.numbers_finite(table(1.0, None, -2.5))
    assert read_cells.numbers_finite(table(None, None))
    for bad in (float("nan"), float("inf"), float("-inf")):
        assert not read_cells.numbers_finite(table(1.0, bad, None))
    assert not read_cells.numbers_finite(table(1e308, 1e308))    # overflow: text parse (safe)


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "1e999"])
def test_nan_or_infinite_cells_read_as_text(small, tmp_path, monkeypatch, cell):
    path = tmp_path / "x.csv"
    path.write_text(_csv(_frame(np.random.default_rng(9)), [(400, "rel_2", cell)]))
    calls = []
    real = read_csv._read_csv_arrow
    monkeypatch.setattr(read_csv, "_read_csv_arrow",
                        lambda *a, **k: calls.append(k.get("numbers")) or real(*a, **k))
    fast = _read(path)
    assert calls == [True, False]          # numbers parsed, then all text
    monkeypatch.setattr(io_csv, "number_columns", lambda *a: [])
    assert_same_read(fast, _read(path))


_first_cell = st.sampled_from(["", " ", "NA", "B001", "2025-03-02 08:18:53", "1", "2,5", "+4",
                               "1e3", "inf", "nan", "1.234,5", "x y", "\u0663", "0x10", "-"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_first_cell, min_size=1, max_size=5),
       st.lists(st.sampled_from(["1", "2.5", "3,5", "abc", "", "7"]), min_size=1, max_size=8),
       st.sampled_from([None, ",", "."]))
def test_first_value_check_decides_as_the_patterns(first, rest, decimal):
    """``_decide`` with its look at the first value (many distinct values) gives what it gives
    without it, for columns whose first cells are ids, numbers, blanks or tokens."""
    cells = first + rest
    dictionary = pa.array(list(dict.fromkeys(cells)), pa.string())
    codes = np.array([list(dictionary.to_pylist()).index(c) for c in cells], dtype=np.int32)
    codes[[i for i, c in enumerate(cells) if c == "NA"]] = -1
    old = read_cells._MANY_VALUES
    try:
        read_cells._MANY_VALUES = 0
        a = read_cells._decide(dictionary, codes, decimal)
        read_cells._MANY_VALUES = 1 << 62
        b = read_cells._decide(dictionary, codes, decimal)
    finally:
        read_cells._MANY_VALUES = old
    if a is None or b is None:
        assert a is None and b is None
        return
    (ta, va, ca), (tb, vb, cb) = a[0], b[0]
    assert (ta, a[1], list(ca)) == (tb, b[1], list(cb))
    assert pd.Series(va).equals(pd.Series(vb))


def _spy_floats(monkeypatch):
    calls = []
    real = io_csv._parse_table
    monkeypatch.setattr(io_csv, "_parse_table",
                        lambda *a: calls.append(sorted(a[-1])) or real(*a))
    return calls


def test_one_bad_column_is_parsed_again_as_text(small, monkeypatch):
    data = _csv(_frame(np.random.default_rng(10)), [(500, "rel_2", "NA")]).encode()
    calls = _spy_floats(monkeypatch)
    kinds = _same_conversion(data)
    numbers = ["count", "rel_1", "rel_2", "share"]
    assert calls[:2] == [numbers, ["count", "rel_1", "share"]]
    assert kinds.count("double") == 3


def test_two_bad_columns_are_parsed_again_all_text(small, monkeypatch):
    data = _csv(_frame(np.random.default_rng(11)),
                [(450, "rel_1", "abc"), (520, "count", "N/A")]).encode()
    calls = _spy_floats(monkeypatch)
    kinds = _same_conversion(data)
    assert len(calls[0]) == 4 and len(calls[1]) == 3 and calls[2] == []
    assert "double" not in kinds


def test_not_a_number_names_the_column():
    names = ["a", "b", "c"]
    assert io_csv._NotANumber("In CSV column #1: CSV conversion error to double: x",
                              names).column == "b"
    assert io_csv._NotANumber("CSV conversion error to double", names).column is None
    assert io_csv._NotANumber("In CSV column #7: CSV conversion error", names).column is None
