"""Read a RESULTS_DIR (what the pipeline wrote) for the report, tolerating missing pieces.

Every expected file is optional: a missing or unreadable one is recorded in
:attr:`Inputs.problems` and its section says "not run".  Only a RESULTS_DIR that does not exist
is an error (:class:`~rsnprop.errors.MissingFileError`).

The files of :data:`TYPED_FILES` are checked here, once, against their stage output schema
(:mod:`rsnprop.schemas`): the sections read the typed model's declared fields.  A file written
under another schema (older, foreign, or none) is not used; the problem recorded, which its
section prints, names the schema expected and the one found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, MissingFileError, PlanError
from ..io import sha256_file
from ..schemas import validate_result

if TYPE_CHECKING:
    from ..schemas import Invariance, Measurement

__all__ = ["Inputs", "load_results", "EXPECTED_FILES", "TYPED_FILES", "plan_hashes",
           "check_plans"]

#: result files that record the hash of the study plan they were made with (``plan_hash``)
PLAN_HASH_FILES = ("cleaning_log.json", "propositions.json", "power.json",
                   "panel_propositions.json")

#: file name -> attribute of :class:`Inputs`
EXPECTED_FILES = {
    "clean.parquet": "clean",
    "cleaning_log.json": "cleaning_log",
    "measurement.json": "measurement",
    "propositions.json": "propositions",
    "power.json": "power",
    "invariance.json": "invariance",
    # two-wave panel (rsnprop panel, rsnprop invariance --repeated): the "Change between waves"
    # section
    "panel.json": "panel",
    "panel_propositions.json": "panel_propositions",
    "panel_invariance_relational.json": "panel_invariance_relational",
    "panel_invariance_informational.json": "panel_invariance_informational",
}

#: file name -> (stage whose schema it must follow, attribute of :class:`Inputs` for the model)
TYPED_FILES = {
    "measurement.json": ("measurement", "measurement_model"),
    "invariance.json": ("invariance", "invariance_model"),
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
    panel: dict | None = None
    panel_propositions: dict | None = None
    panel_invariance_relational: dict | None = None
    panel_invariance_informational: dict | None = None
    #: measurement.json as its typed model (:class:`rsnprop.schemas.Measurement`)
    measurement_model: Measurement | None = None
    #: invariance.json as its typed model (:class:`rsnprop.schemas.Invariance`)
    invariance_model: Invariance | None = None
    #: [{"name", "bytes", "sha256"}] of the expected files that exist, in a fixed order
    files: list[dict] = field(default_factory=list)
    #: file name -> why it could not be used ("missing" or the read error)
    problems: dict[str, str] = field(default_factory=dict)
    #: file name -> path actually read (the folder's file or its replacement)
    paths: dict[str, str] = field(default_factory=dict)
    #: set by :func:`check_plans` when files made with different plans were accepted on request
    plan_mismatch: str | None = None


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
        inputs.paths[fname] = str(path)
        try:
            if fname.endswith(".json"):
                value = _read_json(path)
                if fname in TYPED_FILES:
                    _typed(inputs, fname, value)
            else:
                import pandas as pd

                value = pd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - any unreadable file only disables its section
            inputs.problems[fname] = f"unreadable ({type(err).__name__}: {str(err)[:200]})"
            continue
        setattr(inputs, attr, value)
    return inputs


def _typed(inputs: Inputs, fname: str, doc: dict) -> None:
    """Check ``doc`` against the schema of ``fname`` and keep its typed model; raises
    :class:`~rsnprop.errors.DataFileError` naming the schema expected and the one found."""

    stage, attr = TYPED_FILES[fname]
    setattr(inputs, attr, validate_result(doc, stage))


def plan_hashes(inputs: Inputs) -> dict[str, str]:
    """File name -> ``plan_hash`` recorded in it, for the files of :data:`PLAN_HASH_FILES`
    that record one (``rsnprop clean --plan``, ``rsnprop test``, ``rsnprop power``).

    >>> plan_hashes(Inputs(name="x", propositions={"plan_hash": "ab" * 32}, power={}))
    {'propositions.json': 'abababababababababababababababababababababababababababababababab'}
    """
    out = {}
    for fname in PLAN_HASH_FILES:
        data = getattr(inputs, EXPECTED_FILES[fname])
        h = data.get("plan_hash") if isinstance(data, dict) else None
        if isinstance(h, str) and h:
            out[fname] = h
    return out


def check_plans(inputs: Inputs, *, allow_mismatch: bool = False) -> str | None:
    """Refuse result files made with different study plans.

    Returns None when every file that records a plan hash records the same one.  Otherwise
    raises :class:`~rsnprop.errors.PlanError` naming the files and their hashes, unless
    ``allow_mismatch``: then the same sentence is returned and kept in
    ``inputs.plan_mismatch`` (the report's summary page prints it).

    >>> inp = Inputs(name="x", propositions={"plan_hash": "a" * 64}, power={"plan_hash": "b" * 64})
    >>> check_plans(inp, allow_mismatch=True)[:72]
    'These results were made with different study plans: propositions.json (p'
    """

    hashes = plan_hashes(inputs)
    if len(set(hashes.values())) <= 1:
        return None
    text = "made with different study plans: " + ", ".join(
        f"{f} (plan {h[:12]}, {inputs.paths.get(f, f)})" for f, h in hashes.items())
    if not allow_mismatch:
        raise PlanError("the report's inputs were " + text + "; rebuild them with one plan, or "
                        "pass --allow-plan-mismatch (the summary page then says so)")
    inputs.plan_mismatch = "These results were " + text + ". The report was built anyway on request " \
        "(--allow-plan-mismatch): numbers from different plans are not comparable."
    return inputs.plan_mismatch
