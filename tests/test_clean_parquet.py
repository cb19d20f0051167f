"""The clean command's Parquet bytes made on two cores (rsnprop.commands._parquet) equal
pyarrow's single writer (``DataFrame.to_parquet``) byte for byte."""

from __future__ import annotations

import io
import struct

import numpy as np
import pandas as pd
import pytest

from rsnprop.commands import _parquet
from rsnprop.commands.clean import OUTPUT_THREAD_MIN_ROWS, clean_data_bytes


def _reference(df) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow", compression="snappy")
    return buf.getvalue()


def _frame(n, seed=0, wide=40):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "resp_id": [f"R{i:07d}" for i in range(n)],
        "score": rng.normal(size=n),
        "likert": np.where(rng.random(n) < .1, np.nan, rng.integers(1, 8, n)),
        "count": rng.integers(0, 10 ** 12, n),
        "flag": rng.random(n) < .3,
        "country": pd.Series(rng.choice(["FR", "DE", "Österreich", None], n), dtype=object),
        "when": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10 ** 6, n), "s"),
        "band": pd.Categorical(rng.choice(["small", "medium", "large"], n)),
        "nullable": pd.array(np.where(rng.random(n) < .2, None, rng.integers(0, 9, n)),
                             dtype="Int64"),
        "text": pd.Series(rng.choice(["a", "é" * 40, ""], n), dtype="str"),
    })
    # more than 15 columns: long Thrift lists
    likert = pd.DataFrame({f"q{j}": rng.integers(1, 6, n).astype(float) for j in range(wide)})
    return pd.concat([df, likert], axis=1)


@pytest.mark.parametrize("n,seed,wide", [(1, 0, 0), (7, 1, 3), (500, 2, 40), (30_000, 3, 20),
                                         (3, 4, 100)])
def test_two_writers_give_the_single_writers_bytes(n, seed, wide):
    df = _frame(n, seed, wide)
    out = _parquet.parquet_bytes_two_cores(df)
    assert out is not None              # the two-writer path was taken
    assert out == _reference(df)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(out)), pd.read_parquet(
        io.BytesIO(_reference(df))))


def test_attrs_and_odd_columns():
    """``attrs`` (pandas writes them as PANDAS_ATTRS), a list column, a column that is all
    missing, unusual names."""
    df = _frame(200, 5, 2)
    df["nested"] = [[i, i + 1] if i % 3 else None for i in range(len(df))]
    df["empty"] = None
    df["名 with space"] = 1.5
    df.attrs = {"source": "x.csv", "n": 3}
    out = _parquet.parquet_bytes_two_cores(df)
    assert out is not None and out == _reference(df)


def test_split_point_balances_bytes():
    import pyarrow as pa

    table = pa.table({"a": ["x" * 1000], "b": ["x" * 10], "c": ["x" * 990], "d": ["y"]})
    assert _parquet._split_point(table) == 1
    table = pa.table({"a": ["x" * 10], "b": ["x" * 10], "c": ["x" * 990]})
    assert _parquet._split_point(table) == 2


def test_no_split_for_empty_or_single_column_frames():
    assert _parquet.parquet_bytes_two_cores(pd.DataFrame({"a": [1.0, 2.0]})) is None
    assert _parquet.parquet_bytes_two_cores(pd.DataFrame({"a": [], "b": []})) is None


def test_thrift_footer_round_trip_and_refusals():
    data = _reference(_frame(50, 6, 30))
    body, fields = _parquet._split_file(data)
    (n,) = struct.unpack("<I", data[-8:-4])
    assert _parquet._encoded(fields) == data[len(data) - 8 - n:-8]
    assert bytes(body) == data[4:len(data) - 8 - n]
    with pytest.raises(ValueError):
        _parquet._split_file(b"PAR0" + data[4:])
    # a second row group is refused (the caller then writes with pyarrow alone)
    head_fields = _parquet._split_file(_reference(_frame(0, 6, 30)))[1]
    rg = _parquet._field(fields, 4)
    rg[2] = (rg[2][0], rg[2][1] * 2)
    with pytest.raises(ValueError):
        _parquet._merged_footer(head_fields, [(fields, 0)])


def test_clean_data_bytes_uses_the_two_writers(monkeypatch):
    df = _frame(OUTPUT_THREAD_MIN_ROWS, 7, 10)
    calls = []
    real = _parquet.parquet_bytes_two_cores
    monkeypatch.setattr(_parquet, "parquet_bytes_two_cores",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    assert clean_data_bytes(df, "x.parquet") == _reference(df)
    assert calls == [1]
    # the fallback when the two-writer path declines
    monkeypatch.setattr(_parquet, "parquet_bytes_two_cores", lambda *a, **k: None)
    assert clean_data_bytes(df, "x.parquet") == _reference(df)
