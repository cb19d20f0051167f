"""The Monte Carlo driver's short tail (issue 21): the last blocks, one per worker, are split
into single keys, so a run does not end with one worker idle while the other finishes a whole
block; the keys, their order and the records do not change."""

from __future__ import annotations

import os

import pytest

from rsnprop.power.montecarlo import make_blocks, run_blocks, split_tail


@pytest.mark.parametrize("n_keys,size,workers", [(0, 2, 2), (1, 2, 2), (7, 2, 2), (200, 2, 2),
                                                 (9, 3, 1), (10, 4, 3), (5, 2, 0), (6, 2, 10), (8, 1, 2)])
def test_split_tail_keeps_the_keys_and_splits_the_last_blocks(n_keys, size, workers):
    keys = [(10, r) for r in range(n_keys)]
    blocks = make_blocks(keys, size)
    out = split_tail(blocks, workers)
    assert [k for b in out for k in b] == keys                      # same keys, same order
    if workers < 2:
        assert out == blocks                                        # one worker: as they are
        return
    cut = max(0, len(blocks) - workers)
    assert out[:cut] == blocks[:cut]                                # the head untouched
    assert all(len(b) == 1 for b in out[cut:])                      # the tail in single keys
    assert len(out) == cut + sum(len(b) for b in blocks[cut:])


def test_split_tail_keeps_sample_sizes_apart():
    keys = [(10, 0), (10, 1), (10, 2), (20, 0), (20, 1)]
    out = split_tail(make_blocks(keys, 2), 2)
    assert out == [[(10, 0), (10, 1)], [(10, 2)], [(20, 0)], [(20, 1)]]


def _blocks(task):
    return [{"n": n, "rep": r, "size": len(task["keys"]), "pid": os.getpid()}
            for n, r in task["keys"]]


def test_run_blocks_single_tail_same_records_and_single_keys_at_the_end():
    keys = [(10, r) for r in range(9)] + [(20, r) for r in range(5)]
    plain = run_blocks(_blocks, keys, {}, jobs=2, block_size=3)
    tail = run_blocks(_blocks, keys, {}, jobs=2, block_size=3, single_tail=True)
    strip = lambda recs: [(r["n"], r["rep"]) for r in recs]             # noqa: E731
    assert strip(plain) == strip(tail) == sorted(keys)
    assert [r["size"] for r in plain][-2:] == [2, 2]                    # (20, 3), (20, 4)
    assert [r["size"] for r in tail] == [3] * 9 + [1] * 5               # last two blocks split
    one = run_blocks(_blocks, keys, {}, jobs=1, block_size=3, single_tail=True)
    assert [r["size"] for r in one] == [3] * 9 + [3, 3, 3, 2, 2]        # one worker: as blocked
