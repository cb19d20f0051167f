"""Monte Carlo driver: seeded blocks of replications, local processes or dask, streamed to disk.

A run is a list of *keys* ``(n, rep)``; the random state of a replication is
``numpy.random.SeedSequence(seed, spawn_key=(n, rep))``, a child of the run's seed that does
not depend on the order, grouping or worker of the replication.  Hence 1 worker, 2 workers,
forked, loky or dask workers give identical records, and a run extended with more
replications or more sample sizes reuses the replications already done.

Workers (``backend="joblib"``, the default): on Linux, processes forked from this one; they
inherit the imported package and the blocks to run, so a worker starts at once (a fresh
interpreter, joblib's loky, imports numpy, scipy, pandas, statsmodels and the package again:
about 2 s of CPU each) and only block numbers and records cross between processes.  Elsewhere
(no ``fork``: Windows; macOS, where forking a process that loaded system frameworks is
unsafe), inside a daemon process or inside another forked run, joblib's loky workers;
``backend="loky"`` asks for them everywhere.

Records are appended to a JSON-lines *stream* as blocks finish (line 1: a header with the
configuration and its hash).  An interrupted run restarted with the same stream and
configuration skips the replications already on disk (a torn last line is ignored); a stream
written under another configuration is refused.

Examples
--------
>>> def square(task):
...     return [{"n": n, "rep": r, "x": n * r} for n, r in task["keys"]]
>>> recs = run_blocks(square, [(10, 0), (10, 1), (20, 0)], {}, jobs=1, block_size=2)
>>> [r["x"] for r in recs]
[0, 10, 0]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import sha256_bytes
from ..forkmap import can_fork, fork_imap, in_worker
from ..results import jsonsafe

__all__ = ["run_blocks", "replication_seed", "read_stream", "config_hash", "make_blocks", "split_tail",
           "can_fork", "BACKENDS"]

STREAM_KIND = "rsnprop-monte-carlo"

BACKENDS = ("joblib", "loky", "dask")


def replication_seed(seed: int, n: int, rep: int):
    """The SeedSequence of replication ``rep`` at sample size ``n`` (independent of workers)."""

    return np.random.SeedSequence(int(seed), spawn_key=(int(n), int(rep)))


def config_hash(config: dict) -> str:
    """SHA-256 of the canonical JSON of ``config``."""

    return sha256_bytes(json.dumps(jsonsafe(config), sort_keys=True, separators=(",", ":")))


def read_stream(path, config: dict | None = None) -> list[dict]:
    """Records of a stream file (``[]`` if absent).  With ``config``, refuse a stream whose
    header hash differs (another plan, scenario, seed...)."""

    p = Path(path)
    if not p.exists():
        return []
    lines = p.read_bytes().split(b"\n")
    if not lines or not lines[0].strip():
        return []
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError:
        raise InputError("not a Monte Carlo stream (bad header line)", file=str(p)) from None
    if header.get("kind") != STREAM_KIND:
        raise InputError("not a Monte Carlo stream", file=str(p), value=header.get("kind"))
    if config is not None and header.get("config_hash") != config_hash(config):
        raise InputError("the stream was written for another configuration (plan, scenario, seed, "
                         "options); give another --stream path or --restart", file=str(p))
    out = []
    for line in lines[1:]:
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line from an interrupted run
    return out


class _Stream:
    """Append-only JSON-lines writer (one line per record, flushed as written)."""

    def __init__(self, path, config):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if not fresh:
            data = self.path.read_bytes()
            if not data.endswith(b"\n"):        # drop a torn last line before appending
                keep = data[: data.rfind(b"\n") + 1]
                with open(self.path, "wb") as fh:
                    fh.write(keep)
        self.fh = open(self.path, "ab")
        if fresh:
            header = {"kind": STREAM_KIND, "config_hash": config_hash(config), "config": config}
            self._write(header)

    def _write(self, obj):
        self.fh.write(json.dumps(jsonsafe(obj), sort_keys=True).encode("utf-8") + b"\n")
        self.fh.flush()

    def write(self, records):
        for r in records:
            self._write(r)
        os.fsync(self.fh.fileno())

    def close(self):
        self.fh.close()


def make_blocks(keys, block_size: int) -> list[list]:
    """Split keys into blocks of at most ``block_size`` (same sample size within a block)."""
    blocks, cur = [], []
    for k in keys:
        if cur and (len(cur) >= block_size or cur[-1][0] != k[0]):
            blocks.append(cur)
            cur = []
        cur.append(tuple(k))
    if cur:
        blocks.append(cur)
    return blocks


def split_tail(blocks, workers: int) -> list[list]:
    """``blocks`` with each of the last ``workers`` blocks split into blocks of one key (the
    blocks as they are for one worker).

    The blocks are handed out one by one as workers finish, so the run ends with every worker
    but one idle while that one finishes its last block: half a block on average.  Single
    keys at the end shorten that tail to half a replication (the records do not depend on
    the blocks).

    >>> split_tail([[(10, 0), (10, 1)], [(10, 2), (10, 3)], [(10, 4), (10, 5)]], 2)
    [[(10, 0), (10, 1)], [(10, 2)], [(10, 3)], [(10, 4)], [(10, 5)]]
    """
    if int(workers) < 2:                # one worker is never idle
        return list(blocks)
    cut = max(0, len(blocks) - int(workers))
    return list(blocks[:cut]) + [[k] for b in blocks[cut:] for k in b]


def _resolve_jobs(jobs) -> int:
    if jobs is None or int(jobs) <= 0:
        return max(1, os.cpu_count() or 1)
    return int(jobs)


def run_blocks(fn, keys, payload: dict, *, jobs=None, backend: str = "joblib", block_size: int = 1,
               stream=None, config: dict | None = None, progress: bool = False, client=None,
               scheduler: str | None = None, single_tail: bool = False) -> list[dict]:
    """Run ``fn`` over blocks of ``keys`` and return every record, sorted by ``(n, rep)``.

    Parameters
    ----------
    fn : callable
        ``fn({"keys": [(n, rep), ...], **payload}) -> list of dict`` (each dict with ``n`` and
        ``rep``); a module-level function (it is pickled to the workers).
    keys : list of (n, rep)
    payload : dict
        Passed to every block (picklable; keep it small: paths, dicts).
    jobs : int, optional
        Workers (``None`` or <= 0: all cores).  1 runs in this process.
    backend : {"joblib", "loky", "dask"}
        ``"joblib"``: worker processes on this machine, forked from this one where possible
        (see module docstring), else joblib's loky; ``"loky"``: joblib's loky workers (fresh
        interpreters); ``"dask"`` uses ``client``, or a scheduler at ``scheduler``, or a new
        LocalCluster.  The records do not depend on it.
    stream : path, optional
        JSON-lines file for streaming and resuming (see module docstring).
    config : dict
        What the stream header records and checks (required with ``stream``).
    single_tail : bool
        The last blocks (one per worker) as blocks of one key (:func:`split_tail`): a shorter
        idle tail for blocks of costly keys; the records do not depend on it.
    """

    keys = [tuple(int(x) for x in k) for k in keys]
    done: dict[tuple, dict] = {}
    writer = None
    if stream is not None:
        for r in read_stream(stream, config or {}):
            done[(int(r["n"]), int(r["rep"]))] = r
        writer = _Stream(stream, config or {})
    todo = [k for k in keys if k not in done]
    blocks = make_blocks(todo, max(1, int(block_size)))
    if single_tail:
        blocks = split_tail(blocks, _resolve_jobs(jobs))
    tasks = [{"keys": b, **payload} for b in blocks]
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="replications", unit="rep", file=__import__("sys").stderr,
                   dynamic_ncols=True, initial=0)

    def collect(records):
        for r in records:
            done[(int(r["n"]), int(r["rep"]))] = r
        if writer is not None:
            writer.write(records)
        if bar is not None:
            bar.update(len(records))

    try:
        if not tasks:
            pass
        elif backend == "dask":
            _run_dask(fn, tasks, collect, jobs=jobs, client=client, scheduler=scheduler)
        elif backend in ("joblib", "loky"):
            n_jobs = min(_resolve_jobs(jobs), len(tasks))
            if n_jobs == 1 or backend == "joblib" and (can_fork() or in_worker()):
                for _i, records in fork_imap(fn, tasks, jobs=n_jobs):
                    collect(records)
            else:
                from joblib import Parallel, delayed

                par = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1)
                for records in par(delayed(fn)(t) for t in tasks):
                    collect(records)
        else:
            raise InputError("backend must be 'joblib', 'loky' or 'dask'", parameter="backend",
                             value=backend)
    finally:
        if writer is not None:
            writer.close()
        if bar is not None:
            bar.close()
    return [done[k] for k in sorted(set(keys))]


def _run_dask(fn, tasks, collect, *, jobs=None, client=None, scheduler=None):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - optional dependency
        from ..errors import InputError

        raise InputError("the dask backend needs dask[distributed] (pip install 'rsnprop[dask]')",
                         parameter="backend", value="dask") from None
    own_cluster = own_client = None
    if client is None:
        if scheduler:
            try:
                client = own_client = Client(scheduler, timeout="10s")
            except (OSError, ValueError, TypeError) as err:  # unreachable or malformed address
                from ..errors import InputError

                raise InputError(f"cannot connect to the dask scheduler ({type(err).__name__}: "
                                 f"{err})", parameter="--scheduler", value=scheduler) from None
        else:
            import logging

            own_cluster = LocalCluster(n_workers=_resolve_jobs(jobs), threads_per_worker=1,
                                       processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
            client = own_client = Client(own_cluster)
    try:
        futures = client.map(fn, tasks, pure=False)
        for fut in as_completed(futures):
            collect(fut.result())
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
