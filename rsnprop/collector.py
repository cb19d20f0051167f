"""Python's cyclic garbage collector paused around work that builds many long-lived objects.

Its automatic passes, started every 700 allocations, walk every live object of the younger
generations again and again while a heap grows: the modules a process imports, a figure's
thousands of artists, the clean's log of one record per excluded row.  None of that work
creates garbage cycles worth collecting early, and nothing computed depends on when cycles are
freed, so pausing the collector changes no output (docs/performance.md).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused():
    """The cyclic garbage collector off inside the block, back to its previous state after
    (also when the block raises).

    >>> was = gc.isenabled()
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled() == was
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
