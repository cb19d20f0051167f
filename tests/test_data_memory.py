"""The million-row memory savings of cleaning keep the values: the kept rows moved in place
(:func:`rsnprop.data.analysis_data.kept_rows` with ``reuse``) equal the copied ones, and the
move is refused when anything else still refers to the answers."""

from __future__ import annotations

import importlib.resources as ir
import sys

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import clean, read_table
from rsnprop.data.analysis_data import kept_rows
from rsnprop.instrument import load_instrument


def _values(n=50, seed=3):
    rng = np.random.default_rng(seed)
    root = np.empty((n, 4), order="F")              # as validate_items builds it
    root[:, :3] = rng.integers(1, 8, (n, 3))
    root[rng.random(n) < 0.2, 0] = np.nan
    values = pd.DataFrame(root[:, :3], columns=["a", "b", "c"], copy=False)
    values["t"] = pd.Series([f"x{i}" for i in range(n)], dtype=object)
    return values, root


def test_kept_rows_in_place_equals_copy():
    kept = np.random.default_rng(4).random(50) < 0.7
    reverse = {"b": 8.0}
    expected = kept_rows(_values()[0], kept, ["a", "b", "t", "c"], reverse)
    values = _values()[0]
    got = kept_rows(values, kept, ["a", "b", "t", "c"], reverse, reuse=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # the answers were not copied: the result is a view of the 50-row array of values
    assert got["a"].to_numpy().base.shape == (50, 4) and kept.sum() < 50


@pytest.mark.parametrize("share", [0.6, 0.97])   # 0.97: every column's new place overlaps its old
def test_kept_rows_in_place_gives_back_the_excluded_rows_pages(share):
    """A block large enough to give pages back: the kept rows are one column-major block at
    the start of the array, with the same values as the copy."""
    n = 200_000
    kept = np.random.default_rng(5).random(n) < share
    reverse = {"a": 8.0}
    expected = kept_rows(_values(n)[0], kept, ["a", "b", "t", "c"], reverse)
    got = kept_rows(_values(n)[0], kept, ["a", "b", "t", "c"], reverse, reuse=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    k, root = int(kept.sum()), got["a"].to_numpy().base
    assert root.shape == (n, 4)
    flat = root.reshape(-1, order="F")
    assert np.shares_memory(got["c"].to_numpy(), flat[2 * k:3 * k])
    if sys.platform.startswith("linux"):
        # the whole pages past the kept rows were given back: they read as zeros. Only those:
        # the array's last partial page is kept (it may share its page with other memory), and
        # when glibc reuses heap memory for the array its unwritten cells there are not zeros
        # (which made the previous check, of every cell past the kept rows, fail at times)
        first, stop = _released_range(flat, 3 * k)
        assert stop - first >= 64 * 4096 // 8
        assert not flat[first:stop].any()


def _released_range(flat, used):
    """The floats of ``flat`` whose pages analysis_data._release_pages gives back."""
    page, base = 4096, flat.ctypes.data
    start = -(-(base + used * 8) // page) * page
    end = (base + flat.size * 8) // page * page
    return (start - base) // 8, (end - base) // 8


def test_kept_rows_refuses_to_move_rows_someone_reads():
    values, root = _values()
    kept = np.arange(50) % 3 != 0
    held = values["a"]                        # a view of the answers still in use
    before = held.to_numpy().copy()
    got = kept_rows(values, kept, ["a", "b", "c"], {}, reuse=True)
    assert not np.shares_memory(got["a"].to_numpy(), root)
    np.testing.assert_array_equal(held.to_numpy(), before)


def test_clean_releases_the_export_and_gives_the_same_data():
    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    raw_path = ir.files("rsnprop.datasets") / "example_raw.csv"
    raw = read_table(raw_path)
    kept_ref = clean(raw, ins, source=raw_path)        # the caller keeps its frame
    frames = [read_table(raw_path)]
    owned = clean(frames.pop(), ins, source=raw_path)  # the frame handed over
    pd.testing.assert_frame_equal(owned.data, kept_ref.data, check_exact=True)
    assert owned.log == kept_ref.log
    pd.testing.assert_frame_equal(raw, read_table(raw_path), check_exact=True)   # unchanged
