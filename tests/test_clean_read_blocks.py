"""The million-row read in small blocks (1 MiB, so each block's parsed cells stay in the
cache while its columns are dictionary encoded): a row longer than a block, cells quoted
across block ends and columns whose distinct values differ from block to block read exactly
as the general path (pandas) reads them; the blocks' dictionaries are unified as the text
column's encoding orders them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import assert_same_read

from rsnprop.data import read as rd
from rsnprop.data import read_cells, read_csv

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"


def _read(path, monkeypatch, *, fast, block=None):
    monkeypatch.setattr(read_csv, "_ARROW_MIN_BYTES", 0 if fast else 1 << 62)
    if block is not None:
        monkeypatch.setattr(read_csv, "_BLOCK_BYTES", block)
    return rd.read_table(path)


def _tiled(reps=40):
    base = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    big = pd.concat([base] * reps, ignore_index=True)
    rng = np.random.default_rng(3)
    idx = rng.choice(len(big), 60, replace=False)
    big.loc[idx[:20], "rel_1"] = "NA"
    big.loc[idx[20:40], "role"] = 'said "yes", then\nleft'
    big.loc[idx[40:], "employees"] = rng.choice(["12", "7", " 9 "], 20)
    big["resp_id"] = [f"R{i:07d}" for i in range(len(big))]     # distinct in every block
    return big


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_small_blocks_read_as_pandas(tmp_path, monkeypatch, line_end):
    path = tmp_path / "big.csv"
    path.write_bytes(_tiled().to_csv(index=False, lineterminator=line_end).encode())
    fast = _read(path, monkeypatch, fast=True, block=4096)
    assert_same_read(fast, _read(path, monkeypatch, fast=False))


def test_row_longer_than_a_block(tmp_path, monkeypatch):
    """pyarrow refuses a row that straddles more than a block: the general path reads it."""
    big = _tiled(5)
    big.loc[3, "role"] = "x" * 20_000
    path = tmp_path / "long_row.csv"
    path.write_bytes(big.to_csv(index=False).encode())
    fast = _read(path, monkeypatch, fast=True, block=4096)
    assert fast["role"].iloc[3] == "x" * 20_000
    assert_same_read(fast, _read(path, monkeypatch, fast=False))


def test_block_size_default_is_small():
    """Cells of 16 MiB blocks went out of the cache before their column was encoded (the
    read's string hash was then 15 % of the command's CPU)."""
    assert read_csv._BLOCK_BYTES <= 1 << 21


def _old_unified(a):
    """The previous mapping, chunk by chunk (the reference)."""
    chunks = a.chunks
    union = pc.dictionary_encode(pa.concat_arrays([c.dictionary for c in chunks]))
    remap = union.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    codes = np.empty(len(a), dtype=np.int32)
    row = first = 0
    for c in chunks:
        k = len(c.dictionary)
        local = pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False)
        np.take(np.append(remap[first:first + k], np.int32(-1)), local,
                out=codes[row:row + len(c)], mode="wrap")
        row, first = row + len(c), first + k
    return union.dictionary, codes


@pytest.mark.parametrize("seed", range(20))
def test_unified_codes_equal_chunk_by_chunk(seed):
    """Many chunks (empty ones, all-missing ones, values unused by any cell, a dictionary
    only in some chunks): the same values in the same order and the same codes."""
    rng = np.random.default_rng(seed)
    pool = np.array(["a", "b", "c", " d", "NA", "", "é", "1.0", "2"], dtype=object)
    chunks = []
    for _ in range(rng.integers(1, 30)):
        n = int(rng.integers(0, 50))
        vals = [None if rng.random() < .2 else str(v)
                for v in rng.choice(pool[:rng.integers(1, len(pool) + 1)], n)]
        arr = pc.dictionary_encode(pa.array(vals, pa.string()))
        if rng.random() < .2:       # a value in the dictionary that no cell refers to
            arr = pa.DictionaryArray.from_arrays(
                arr.indices, pa.concat_arrays([arr.dictionary, pa.array(["zz"])]))
        chunks.append(arr)
    col = pa.chunked_array(chunks, pa.dictionary(pa.int32(), pa.string()))
    d1, c1 = read_cells._unified_codes(col)
    d2, c2 = _old_unified(col)
    assert d1.to_pylist() == d2.to_pylist()
    assert c1.dtype == c2.dtype == np.int32 and np.array_equal(c1, c2)
