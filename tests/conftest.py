"""Shared pytest fixtures.  Stage-specific fixtures live in the stage's own test files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
