"""Read a RESULTS_DIR (what the pipeline wrote) for the report, tolerating missing pieces.

Every expected file is optional: a missing or unreadable one is recorded in
:attr:`Inputs.problems` and its section says "not run".  Only a RESULTS_DIR that does not exist
is an error (:class:`~rsnprop.errors.MissingFileError`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Inputs", "load_results", "EXPECTED_FILES"]

#: file name -> attribute of :class:`Inputs`
EXPECTED_FILES = {
    "clean.parquet": "clean",
    "cleaning_log.json": "cleaning_log",
    "measurement.json": "measurement",
    "propositions.json": "propositions",
    "power.json": "power",
    "invariance.json": "invariance",
}


@dataclass
class Inputs:
    """The parsed contents of a results folder (``None`` for what is absent)."""

    name: str
    clean: object = None  # pandas.DataFrame
    cleaning_log: dict | None = None
    measurement: dict | None = None
    propositions: dict | None = None
    power: dict | None = None
    invariance: dict | None = None
    #: [{"name", "bytes", "sha256"}] of the expected files that exist, in a fixed order
    files: list[dict] = field(default_factory=list)
    #: file name -> why it could not be used ("missing" or the read error)
    problems: dict[str, str] = field(default_factory=dict)


def _read_json(path: Path):
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    return data


def load_results(results_dir, *, files=None) -> Inputs:
    """Load the known files of ``results_dir``.

    Parameters
    ----------
    results_dir : path-like
        Folder holding ``clean.parquet``, ``cleaning_log.json``, ``measurement.json``,
        ``propositions.json`` and optionally ``power.json`` and ``invariance.json``.
    files : dict, optional
        File name -> path of a file to read instead of the folder's, e.g. the committed
        ``{"power.json": "analysis/power.json"}`` (a slow step kept outside ``build/``).

    Returns
    -------
    Inputs

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "power.json").write_text('{"results": []}')
    >>> inp = load_results(d)
    >>> inp.power, inp.problems["propositions.json"]
    ({'results': []}, 'missing')
    """
    from ..errors import InputError, MissingFileError
    from ..io import sha256_file

    root = Path(results_dir)
    if not root.exists():
        raise MissingFileError("results folder does not exist", file=str(results_dir))
    if not root.is_dir():
        raise InputError("RESULTS_DIR must be a folder holding the pipeline's outputs",
                         file=str(results_dir))
    overrides = {str(k): Path(v) for k, v in (files or {}).items()}
    for fname, path in overrides.items():
        if fname not in EXPECTED_FILES:
            raise InputError(f"unknown results file; expected one of {sorted(EXPECTED_FILES)}",
                             parameter="files", value=fname)
        if not path.is_file():
            raise MissingFileError(f"{fname} replacement does not exist", file=str(path))
    inputs = Inputs(name=root.resolve().name or str(results_dir))
    for fname, attr in EXPECTED_FILES.items():
        path = overrides.get(fname, root / fname)
        if not path.is_file():
            inputs.problems[fname] = "missing"
            continue
        inputs.files.append({"name": fname, "bytes": path.stat().st_size,
                             "sha256": sha256_file(path)})
        try:
            if fname.endswith(".json"):
                value = _read_json(path)
            else:
                import pandas as pd

                value = pd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - any unreadable file only disables its section
            inputs.problems[fname] = f"unreadable ({type(err).__name__}: {str(err)[:200]})"
            continue
        setattr(inputs, attr, value)
    return inputs
