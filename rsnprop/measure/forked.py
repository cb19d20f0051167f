"""Independent tasks in forked worker processes, results in task order: :func:`fork_map`.

The rebuild of a study runs a few CPU-bound loops of independent, deterministic tasks (the
HTMT bootstrap of ``rsnprop measure``, the multiverse of ``rsnprop test``).  Forked workers
start at once (they inherit the imported modules and the data, so nothing is pickled but the
task numbers and the results) and each task computes exactly what it computes in the parent
process, so the results are the same bytes whatever the number of workers.

The number of workers is ``jobs``; ``None`` takes the ``RSNPROP_JOBS`` environment variable,
else the cores this process may run on, never more than there are tasks.  With one worker,
on a platform without ``fork`` (Windows; macOS, where forking a process that loaded system
frameworks is unsafe) or inside a worker of another pool, the tasks run in this process.

Examples
--------
>>> fork_map(lambda x: x * x, [1, 2, 3], jobs=2)
[1, 4, 9]
>>> fork_map(len, ["ab", "c"], jobs=1)
[2, 1]
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys

from ..errors import InputError

__all__ = ["fork_map", "resolve_jobs"]

# what the forked workers inherit: the function and the tasks of the running fork_map
_RUNNING: list = [None, ()]


def resolve_jobs(jobs, n_tasks: int) -> int:
    """The number of workers for ``n_tasks`` tasks (see module docstring).

    >>> resolve_jobs(4, 3), resolve_jobs(1, 10), resolve_jobs(2, 0)
    (3, 1, 1)
    """
    if jobs is None:
        env = os.environ.get("RSNPROP_JOBS", "").strip()
        if env:
            try:
                jobs = int(env)
            except ValueError:
                raise InputError("RSNPROP_JOBS must be a whole number of worker processes",
                                 parameter="RSNPROP_JOBS", value=env) from None
        else:
            jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(int(jobs or 1), n_tasks))


def _can_fork() -> bool:
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


def _worker_signals():
    """A worker leaves Ctrl-C to its parent (which stops the pool) and ends quietly when the
    pool ends it, whatever handlers the parent (the command line) installed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _call(i):
    fn, tasks = _RUNNING
    return fn(tasks[i])


def fork_map(fn, tasks, *, jobs=None) -> list:
    """``[fn(t) for t in tasks]``, computed by up to ``jobs`` forked workers (see module
    docstring); an exception of a task is raised here."""
    tasks = list(tasks)
    jobs = resolve_jobs(jobs, len(tasks))
    if jobs <= 1 or not _can_fork() or _RUNNING[0] is not None:
        return [fn(t) for t in tasks]
    _RUNNING[:] = [fn, tasks]
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals)
    try:
        out = pool.map(_call, range(len(tasks)), chunksize=1)
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()
        _RUNNING[:] = [None, ()]
    return out
