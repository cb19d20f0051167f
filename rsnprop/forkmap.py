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

It lives at the package's top (``rsnprop.forkmap``, once ``rsnprop.measure.forked``, which
still names the same objects) so that a process that only runs tasks - ``rsnprop power``'s
Monte Carlo driver - does not import the measurement package (its reliability, factor and
validity modules) for it.

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

from .errors import InputError

__all__ = ["fork_map", "fork_imap", "can_fork", "in_worker", "resolve_jobs"]

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


def can_fork() -> bool:
    """Whether tasks may run in forked workers here: Linux with the ``fork`` start method, not
    in a daemon process (loky, multiprocessing pools) nor inside a forked worker of ours."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon and _RUNNING[0] is None)


def _worker_signals():
    """A worker leaves Ctrl-C to its parent (which stops the pool) and ends quietly when the
    pool ends it, whatever handlers the parent (the command line) installed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _call(i):
    fn, tasks = _RUNNING
    return fn(tasks[i])


def in_worker() -> bool:
    """Whether this process is one of our forked workers (a run started there stays there)."""
    return _RUNNING[0] is not None


def fork_map(fn, tasks, *, jobs=None) -> list:
    """``[fn(t) for t in tasks]``, computed by up to ``jobs`` forked workers (see module
    docstring); an exception of a task is raised here."""
    tasks = list(tasks)
    out = [None] * len(tasks)
    for i, result in fork_imap(fn, tasks, jobs=jobs):
        out[i] = result
    return out


def fork_imap(fn, tasks, *, jobs=None):
    """``(i, fn(tasks[i]))`` for every task, in the order the tasks finish, computed by up to
    ``jobs`` forked workers (in this process, in task order, with one worker or where forking
    is not possible); an exception of a task is raised here and stops the workers.

    The objects alive at the fork (the imported modules) are moved out of the garbage
    collector's reach (``gc.freeze``) while the workers run, so that their collections do not
    walk them again, nor copy their memory pages by touching them.

    >>> sorted(fork_imap(lambda x: x + 1, [1, 2, 3], jobs=2))
    [(0, 2), (1, 3), (2, 4)]
    """
    import gc
    from concurrent.futures import ProcessPoolExecutor, as_completed

    tasks = list(tasks)
    jobs = resolve_jobs(jobs, len(tasks))
    if jobs <= 1 or not can_fork():
        yield from ((i, fn(t)) for i, t in enumerate(tasks))
        return
    _RUNNING[:] = [fn, tasks]
    gc.collect()
    gc.freeze()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_signals)
    try:
        futures = {pool.submit(_call, i): i for i in range(len(tasks))}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()
        _RUNNING[:] = [None, ()]
