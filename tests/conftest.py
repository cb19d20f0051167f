"""Shared pytest fixtures.  Stage-specific fixtures live in the stage's own test files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy  # noqa: F401  (loaded before its BLAS threads are limited below)
import pytest
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]

# The command line pins BLAS/OpenMP to one thread (rsnprop.cli.pin_blas_threads) so that its
# outputs are the same bytes on any machine; the tests that compare library results in this
# process with CLI outputs bit for bit need the same here.
_ONE_BLAS_THREAD = threadpool_limits(limits=1)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def run_rsnprop(*args: str, cwd: str | os.PathLike | None = None, env: dict | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m rsnprop ARGS`` and return the completed process (text mode)."""
    full_env = dict(os.environ)
    full_env.pop("RSNPROP_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "rsnprop", *map(str, args)], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def rsnprop_cli():
    """Callable running the CLI in a subprocess; ``.json()`` helper on the result."""

    def _run(*args, **kwargs):
        proc = run_rsnprop(*args, **kwargs)
        proc.json = lambda: json.loads(proc.stdout)  # type: ignore[attr-defined]
        return proc

    return _run


def assert_same_read(a, b) -> None:
    """Two reads of a file agree: the same error ``(type name, message)`` tuple, or frames
    equal to the bit with the same dtypes and ``attrs``."""
    import pandas as pd

    if isinstance(a, tuple) or isinstance(b, tuple):
        assert a == b
        return
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes]
    assert a.attrs == b.attrs
