"""The clean data's ``resp_id`` of a large export taken from the flags table's Arrow text
(:func:`rsnprop.data.analysis_data._kept_ids`): the same column, dtype and Parquet bytes as
pandas makes from the kept ids' Python strings."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import analysis_data as ad


def _parquet(frame):
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _ids(rng, n, missing):
    ids = np.array([f"R{i:06d}" for i in range(n)], dtype=object)
    ids[rng.random(n) < missing] = None
    return pd.Series(ids, dtype=object)


@pytest.mark.parametrize("missing,share", [(0.0, 0.8), (0.1, 0.5), (0.5, 1.0), (0.0, 0.0),
                                           (1.0, 0.7), (0.2, 0.001)])
def test_kept_ids_from_the_flags_table_are_those_pandas_makes(monkeypatch, missing, share):
    monkeypatch.setattr(ad, "SMALL_ROWS", 100)
    rng = np.random.default_rng(int(missing * 10 + share * 100))
    n = 3_000
    ids = _ids(rng, n, missing)
    kept = rng.random(n) < share
    flags = pd.DataFrame({"row": np.arange(1, n + 1), "resp_id": ids.to_numpy()}, copy=False)
    fast = pd.DataFrame({"resp_id": ad._kept_ids(ids, kept, flags)})
    slow = pd.DataFrame({"resp_id": ids.to_numpy()[kept]})
    assert fast["resp_id"].dtype == slow["resp_id"].dtype
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert _parquet(fast) == _parquet(slow)


def test_kept_ids_of_all_missing_kept_rows_stay_objects(monkeypatch):
    monkeypatch.setattr(ad, "SMALL_ROWS", 10)
    ids = pd.Series(np.array(["a", None, None, "d"] * 10, dtype=object), dtype=object)
    kept = np.array([False, True, True, False] * 10)
    flags = pd.DataFrame({"resp_id": ids.to_numpy()}, copy=False)
    got = ad._kept_ids(ids, kept, flags)
    assert isinstance(got, np.ndarray) and got.dtype == object


def test_kept_ids_without_a_usable_flags_table(monkeypatch):
    monkeypatch.setattr(ad, "SMALL_ROWS", 10)
    ids = _ids(np.random.default_rng(1), 50, 0.1)
    kept = np.arange(50) % 3 > 0
    for flags in (None, pd.DataFrame({"row": np.arange(50)}),
                  pd.DataFrame({"resp_id": ids.to_numpy()}, dtype=object),
                  pd.DataFrame({"resp_id": ids.to_numpy()[:49]})):
        got = ad._kept_ids(ids, kept, flags)
        assert isinstance(got, np.ndarray) and got.tolist() == ids.to_numpy()[kept].tolist()
    monkeypatch.setattr(ad, "SMALL_ROWS", 1_000)          # a small export: never the table
    flags = pd.DataFrame({"resp_id": ids.to_numpy()}, copy=False)
    assert isinstance(ad._kept_ids(ids, kept, flags), np.ndarray)
