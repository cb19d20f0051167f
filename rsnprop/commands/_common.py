"""Helpers shared by the command modules (argument types, file checks).  Cheap imports only."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


def existing_file(path: str, what: str = "file") -> Path:
    """Return ``Path(path)`` or raise :class:`~rsnprop.errors.MissingFileError` (absent, a folder)
    or :class:`~rsnprop.errors.InputError` (not readable)."""
    from ..errors import InputError, MissingFileError

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what} is a folder, not a file", file=path)
    if not p.is_file():
        raise MissingFileError(f"{what} does not exist", file=path)
    try:
        with open(p, "rb"):
            pass
    except OSError as err:
        raise InputError(f"cannot read the {what} ({err.strerror or err})", file=path) from None
    return p


def read_data(path):
    """Read the DATA file of a command: :func:`existing_file` (absent, a folder, unreadable),
    then :func:`rsnprop.data.read_table` (csv, xlsx, sav, parquet)."""
    existing_file(path, "data file")
    from ..data import read_table

    return read_table(path)


def seed(text: str) -> int:
    """argparse type of every ``--seed``: an integer from 0 to 2**32 - 1 (numpy's range).

    >>> seed("12")
    12
    """
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 4294967295, not {value}")
    return value


def _same(a: Path, b: Path) -> bool:
    """Two paths name the same file: equal once resolved (symlinks, ``..``) or the same inode
    (hard links, bind mounts)."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_files(inputs: dict, outputs: dict) -> None:
    """Refuse, before any work, an output that would overwrite or delete an input.

    ``inputs`` and ``outputs`` map the option the user gave (``"RAW"``, ``"--instrument"``,
    ``"--log"``...) to a path (``None`` when not given).  Each output must differ from every
    input and from every other output (resolved, same-file aware), must not be an existing
    folder, and its folder must not be an existing file.  Raises
    :class:`~rsnprop.errors.InputError` naming the output, the option and the input.

    >>> check_files({"RAW": "raw.csv"}, {"--output": "clean.csv"})
    >>> check_files({"RAW": "raw.csv"}, {"--output": "./raw.csv"})
    Traceback (most recent call last):
    ...
    rsnprop.errors.InputError: ./raw.csv: parameter '--output': would overwrite the input given as RAW (raw.csv); choose another output path
    """
    from ..errors import InputError

    ins = [(k, Path(v)) for k, v in inputs.items() if v]
    outs = [(k, Path(v), str(v)) for k, v in outputs.items() if v]
    for i, (opt, out, given) in enumerate(outs):
        if out.is_dir():
            raise InputError("is a folder: give a file path", file=given, parameter=opt)
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise InputError(f"cannot write here: {parent} is a file, not a folder",
                                     file=given, parameter=opt)
                break
        _probe_writable(out, given, opt)
        for name, path in ins:
            if _same(out, path):
                raise InputError(f"would overwrite the input given as {name} ({path}); choose "
                                 "another output path", file=given, parameter=opt)
        for other, path, _ in outs[:i]:
            if _same(out, path):
                raise InputError(f"is also given as {other}: two outputs cannot share a file",
                                 file=given, parameter=opt)


def _probe_writable(out: Path, given: str, opt: str) -> None:
    """Create the output's folder and a scratch file in it (removed at once), so that an
    unwritable destination is refused before the work, not after."""
    import tempfile

    from ..errors import InputError

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".rsnprop-tmp", dir=out.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as err:
        raise InputError(f"cannot write here ({err.strerror or err})", file=given,
                         parameter=opt) from None


def split_list(text: str | None) -> list[str]:
    """``"a, b,c"`` -> ``['a', 'b', 'c']``; ``None`` or ``""`` -> ``[]``."""
    if not text:
        return []
    return [t.strip() for t in text.split(",") if t.strip()]


def read_model(text: str) -> str:
    """A model given inline or as a path to a file holding lavaan syntax."""
    from ..errors import InputError

    path = None
    if ("=~" not in text and "~" not in text) and os.path.exists(text):
        path = text
    elif os.path.isfile(text):
        path = text
    if path is None:
        return text
    p = existing_file(path, "model file")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"the model file is not UTF-8 text (byte {err.start})", file=path,
                         parameter="--model") from None


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


#: the largest magnitude accepted in an analysed column (squares must stay finite)
MAX_ABS_VALUE = 1e15


def check_columns(data, columns, file, *, option: str = "DATA") -> None:
    """Refuse analysed columns that would give NaN or silent nonsense: a column without any
    value, an infinite cell, or a magnitude above :data:`MAX_ABS_VALUE`.  The message names
    the file, the column, the 1-based data row and the value.  Columns absent from ``data``
    or not numeric are left to the analysis (it names them)."""
    import numpy as np
    import pandas as pd

    from ..errors import InputError

    for col in dict.fromkeys(columns):
        if col not in data.columns:
            continue
        s = data[col]
        if s.isna().all() and len(s):
            raise InputError("the column has no value in any row", file=file, column=col)
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        x = s.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.flatnonzero(np.isinf(x) | (np.abs(np.nan_to_num(x)) > MAX_ABS_VALUE))
        if bad.size:
            k = int(bad[0])
            raise InputError(f"the value is {'infinite' if np.isinf(x[k]) else 'implausibly large'}"
                             f" (at most {MAX_ABS_VALUE:g} in absolute value)", file=file,
                             column=col, row=k + 1, value=s.iloc[k])


def model_columns(model: str, data) -> list:
    """The data columns named in lavaan model syntax (whole words)."""
    import re

    words = set(re.findall(r"[A-Za-z_.][\w.]*", model))
    return [c for c in data.columns if str(c) in words]


@contextmanager
def naming_file(path):
    """Every error raised inside the block names ``path`` when it names no file yet (for the
    steps where any problem is a problem of that data file)."""
    from ..errors import RsnpropError

    try:
        yield
    except RsnpropError as err:
        err.at_file(path)
        raise


@contextmanager
def option_names(mapping: dict):
    """Errors raised inside the block name the command-line option the user typed
    (``--partial``) instead of the library's parameter name (``group_partial``)."""
    from ..errors import RsnpropError

    try:
        yield
    except RsnpropError as err:
        if err.parameter in mapping:
            err.parameter = mapping[err.parameter]
            err.args = (err.compose(),)
        raise


SEM_OPTIONS = {"model": "--model", "group": "--group", "group_partial": "--partial",
               "group_equal": "--equal", "estimator": "--estimator", "missing": "--missing",
               "ordered": "--ordered", "bootstrap": "--bootstrap", "levels": "--levels",
               "parameterization": "--parameterization", "bootstrap_type": "--bootstrap-type",
               "n_jobs": "--jobs", "seed": "--seed", "std_lv": "--std-lv"}
