"""Helpers shared by the command modules (argument types, file checks).  Cheap imports only."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


def existing_file(path: str, what: str = "file") -> Path:
    """Return ``Path(path)`` or raise :class:`~rsnprop.errors.MissingFileError`."""
    from ..errors import MissingFileError

    p = Path(path)
    if not p.is_file():
        raise MissingFileError(f"{what} does not exist", file=path)
    return p


def split_list(text: str | None) -> list[str]:
    """``"a, b,c"`` -> ``['a', 'b', 'c']``; ``None`` or ``""`` -> ``[]``."""
    if not text:
        return []
    return [t.strip() for t in text.split(",") if t.strip()]


def read_model(text: str) -> str:
    """A model given inline or as a path to a file holding lavaan syntax."""
    if ("=~" not in text and "~" not in text) and os.path.exists(text):
        return Path(text).read_text(encoding="utf-8")
    if os.path.isfile(text):
        return Path(text).read_text(encoding="utf-8")
    return text


@contextmanager
def about_file(path):
    """Errors about data (a column or row) raised inside the block name ``path`` as their file."""
    from ..errors import RsnpropError

    try:
        yield
    except RsnpropError as err:
        if err.column is not None or err.row is not None:
            err.at_file(path)
        raise
