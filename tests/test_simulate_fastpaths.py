"""The eleventh round's fast paths of the simulator give what they replaced: the text columns
built as pyarrow arrays (:mod:`rsnprop.simulate.export_text`) and :func:`rsnprop.simulate.export_frame.export_frame`
turning them into the column a list of those strings gives (values, dtype, blocks), the
answered count's blank test of text columns, and the single choices' cached code tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from rsnprop.simulate import export_frame as ef
from rsnprop.simulate.export_text import resp_ids, submission_text


def _old_text(start, offsets):
    """The submission times as the simulator wrote them before (a Python string per row)."""
    if not len(offsets):
        return []
    return list(np.char.replace(np.datetime_as_string(
        np.datetime64(start, "s") + offsets.astype("timedelta64[s]"), unit="s"), "T", " ")
        .astype(object))


@pytest.mark.parametrize("year", [1, 999, 1600, 1899, 1969, 1970, 2000, 2024, 2100, 9999])
def test_submission_text_is_the_old_text(year):
    rng = np.random.default_rng(year)
    start = pd.Timestamp(f"{year:04d}-03-02 08:00:00").to_datetime64() if year >= 1678 else \
        np.datetime64(f"{year:04d}-03-02T08:00:00")
    for n in (0, 1, 2, 3, 17, 300, 1000):
        off = np.floor(rng.random(n) * 60 * 86400).astype("int64")
        for o in (off, np.sort(off)):
            got = submission_text(start, o)
            assert got.type == pa.large_string() and got.null_count == 0
            assert got.to_pylist() == _old_text(start, o)


def test_submission_text_gives_up_on_wide_dates_and_long_spans():
    assert submission_text(np.datetime64("9999-12-30T08:00:00"), np.array([0, 5 * 86400])) is None
    assert submission_text(np.datetime64("2024-01-01T00:00:00"), np.array([0, 5000 * 86400])) is None


@pytest.mark.parametrize("n", [1, 9, 10, 999, 9999, 10000, 12345])
def test_resp_ids(n):
    width = max(4, len(str(n)))
    ids = resp_ids(n, "SIM-")
    assert ids.to_pylist() == [f"SIM-{i + 1:0{width}d}" for i in range(n)]
    assert resp_ids(n, "SIM-") is ids and resp_ids(n, "X") is not ids


def _same_frame(ref, new):
    assert list(ref.columns) == list(new.columns) and list(ref.dtypes) == list(new.dtypes)
    assert ref.equals(new) and ref.to_csv() == new.to_csv()
    assert sorted((str(b.dtype), tuple(b.mgr_locs.as_array)) for b in ref._mgr.blocks) == \
        sorted((str(b.dtype), tuple(b.mgr_locs.as_array)) for b in new._mgr.blocks)
    assert pd.util.hash_pandas_object(new).equals(pd.util.hash_pandas_object(ref))
    for c in ref.columns:
        if isinstance(ref[c].array, pd.arrays.ArrowStringArray):
            assert ref[c].array._pa_array.equals(new[c].array._pa_array)


@pytest.mark.parametrize("n", [0, 1, 2, 300])
def test_export_frame_takes_arrow_text_as_its_list(n):
    start = np.datetime64("2024-03-02T08:00:00")
    off = np.sort(np.floor(np.random.default_rng(n).random(n) * 60 * 86400)).astype("int64")
    ids = resp_ids(n, "SIM-") if n else pa.array([], type=pa.large_string())
    arrow = {"resp_id": ids, "submitted_at": submission_text(start, off),
             "x": np.arange(n, dtype=float), "k": np.array(["a b", None] * n, dtype=object)[:n]}
    lists = {c: v.to_pylist() if isinstance(v, pa.Array) else v for c, v in arrow.items()}
    _same_frame(pd.DataFrame(lists), ef.export_frame(arrow))


def test_export_frame_arrow_text_without_the_arrow_dtype(monkeypatch):
    """Where a list of text infers another dtype (the options), the arrays are given as lists."""
    arrow = {"resp_id": resp_ids(3, "SIM-"), "x": np.arange(3.0)}
    monkeypatch.setattr(ef, "_text_dtype", lambda: None)
    new = ef.export_frame(arrow)
    assert new["resp_id"].tolist() == ["SIM-0001", "SIM-0002", "SIM-0003"]
    monkeypatch.setattr(ef, "create_dataframe_from_blocks", None)
    assert ef.export_frame(arrow).equals(new)


@pytest.mark.parametrize("values", [
    ["a b", None, "", "x"], [None, None], ["", ""], ["SIMULATED other"], [],
    ["a", float("nan"), None, ""], ["a", 0, 1.5, None, ""], [np.float64("nan"), "b"], [1, 2, 0]])
def test_blank_mask_is_isblank(values):
    """The answered count's blank test of a text column (str and None: by truth value) is
    ``_isblank`` of each value, whatever the column holds."""
    from rsnprop.simulate import study
    v = np.array(values + [None], dtype=object)[:len(values)] if values else np.array([], dtype=object)
    assert study._blank_mask(v).tolist() == [study._isblank(x) for x in values]


@pytest.mark.parametrize("codes", [
    ["0", "1"], [0, 1], [0.0, 1.0], [True, False], ["1", "0"], [1, 2, 3, 4, 5], ["1", "2", "3"],
    ["daily", "weekly", "never"], ["1", "x"], [1.5, "2"], ["0", "1", "2"]])
def test_select_one_table_is_the_old_cast(codes):
    """A single choice's answers from the cached table: the old pick-then-cast, the same
    values and dtype, for codes that look alike (1, 1.0, True) asked in turn."""
    from types import SimpleNamespace as NS

    from rsnprop.simulate import answers

    for _ in range(2):
        rng = np.random.default_rng(3)
        draws = answers._Draws(rng, 50)
        firms = NS(draws=draws, use=np.random.default_rng(4).standard_normal(50))
        got = answers._select_one(codes, firms)
        rng = np.random.default_rng(3)
        draws = answers._Draws(rng, 50)
        if set(map(str, codes)) == {"0", "1"}:
            ref = (draws.unif() < 0.5).astype(float)
        else:
            k = len(codes)
            pos = np.clip(np.floor((0.55 + 0.18 * (firms.use + draws.norm())) * k), 0, k - 1).astype(int)
            ref = np.asarray(codes, dtype=object)[pos]
            try:
                ref = ref.astype(float)
            except (TypeError, ValueError):
                pass
        assert got.dtype == ref.dtype and got.tolist() == ref.tolist()
        assert [type(x) for x in got.tolist()] == [type(x) for x in ref.tolist()]
