"""Row blocks and the two halves of the careless indices: each index is computed on blocks
of rows (memory stays bounded for a million rows) and, from ``_THREAD_MIN_ROWS`` rows on, on
the two halves of the rows at once (numpy releases the GIL; a row's value does not depend on
the split, so the numbers do not depend on the threading).

Examples
--------
>>> from rsnprop.data.careless_blocks import _halves
>>> _halves(5)
[slice(0, 3, None), slice(3, 5, None)]
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


_BLOCK = 1 << 17        # row block of the floating-point covariance sums (fixes their rounding)



_ROW_BLOCK = 1 << 12    # row block of the row-wise indices (no effect on their values)



_EXACT_BLOCK = 1 << 14  # row block of the exact small-integer covariance sums



_EXACT_MAX = 31         # |answer| bound of that path: block * 31**2 < 2**24 (exact in float32)



_THREAD_MIN_ROWS = 1 << 13  # fewer rows: the two halves run one after the other (no threads)



def _blocks(n: int, size: int = _ROW_BLOCK):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))



def _as2d(x):
    a = np.asarray(x, dtype="float64")
    if a.ndim != 2:
        raise ValueError("expected a 2-D array (respondents x items)")
    return a



class _Done:
    """A finished future (the result of a call made at once)."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value



class _SerialPool:
    """``ThreadPoolExecutor`` stand-in that runs each call at once in this thread: the same
    calls on the same halves (hence the same numbers), without starting threads, which cost
    more than the work below a few thousand rows (and a Monte Carlo worker has no idle core)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args, **kw):
        return _Done(fn(*args, **kw))



def _halves(n: int, k: int = 2):
    step = -(-n // k) if n else 0
    return [slice(i, min(n, i + step)) for i in range(0, n, step)] if n else [slice(0, 0)]
