"""The forked workers of :mod:`rsnprop.forkmap`, under their former name.

:func:`fork_map` and its helpers moved to :mod:`rsnprop.forkmap` (``rsnprop power`` uses them
without the measurement package); this module names the same objects, so a pool started
through either name is the same pool.

>>> from rsnprop import forkmap
>>> fork_map is forkmap.fork_map
True
"""

from __future__ import annotations

from ..forkmap import can_fork, fork_imap, fork_map, in_worker, resolve_jobs

__all__ = ["fork_map", "fork_imap", "can_fork", "in_worker", "resolve_jobs"]
