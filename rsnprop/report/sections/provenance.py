"""Provenance: date, instrument, data and plan hashes, seeds, command lines, input files, package
versions.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata

from ..fmt import fmt_value
from ..inputs import plan_hashes
from ..tables import Column, Table
from ..typed import stage_output
from .base import Section


def _provenance_mismatches(inputs) -> list[str]:
    """Warnings when the result files were produced from different instruments or plans."""
    out = []
    inst = {}
    for fname in ("cleaning_log.json", "measurement.json", "power.json"):
        src = stage_output(inputs, fname)
        if src is not None and src.instrument.hash:
            inst[fname] = src.instrument.hash
    if len(set(inst.values())) > 1:
        out.append("The result files were made with different instrument versions: "
                   + "; ".join(f"{k} {v[:12]}" for k, v in inst.items()) + ".")

    plans = plan_hashes(inputs)
    if len(set(plans.values())) > 1:
        out.append("The result files were made with different study plans: "
                   + "; ".join(f"{k} {v[:12]}" for k, v in plans.items()) + ".")
    return out


def _report_date() -> str:
    """The date of ``SOURCE_DATE_EPOCH``, the only date a report prints."""

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        return "not recorded (set SOURCE_DATE_EPOCH to stamp reports reproducibly)"

    date = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return date + f" (SOURCE_DATE_EPOCH={epoch})"


def _study_pairs(inputs) -> list[tuple[str, str]]:
    """Instrument, data, plan and seeds the results were made with."""
    log = stage_output(inputs, "cleaning_log.json")
    props = stage_output(inputs, "propositions.json")
    meas = stage_output(inputs, "measurement.json")
    power = stage_output(inputs, "power.json")
    instrument = log.instrument if log is not None else meas.instrument if meas is not None else None
    pairs = [
        ("Report date", _report_date()),
        ("Results folder", inputs.name),
        ("Instrument", f"{fmt_value(instrument and instrument.name)} version "
                       f"{fmt_value(instrument and instrument.version)}"),
        ("Instrument hash (SHA-256)", fmt_value(instrument and instrument.hash)),
        ("Raw data hash (SHA-256)", fmt_value(log and log.raw_sha256)),
        ("Raw data source", fmt_value(log and log.source)),
        ("Plan hash (SHA-256)", fmt_value(props and props.plan_hash)),
        ("Seed (proposition tests)", fmt_value(props and props.seed)),
        ("Seed (measurement bootstrap)", fmt_value(meas.settings.seed if meas is not None and meas.settings is not None else None)),
    ]
    if inputs.power is not None:
        pairs.append(("Seed (power simulation)", fmt_value(power and power.seed)))
    return pairs


def provenance_section(inputs, *, command: str | None = None) -> Section:
    s = Section("provenance", "Provenance")
    pairs = _study_pairs(inputs)
    s.add("dl", pairs, "Study")
    mismatch = _provenance_mismatches(inputs)
    if mismatch:
        s.add("warnings", mismatch)
    if command:
        s.add("dl", [("1", command)], "Command lines")
    files = [{"name": f["name"], "bytes": f["bytes"], "sha256": f["sha256"]} for f in inputs.files]
    for fname, why in inputs.problems.items():
        files.append({"name": fname, "bytes": None, "sha256": why})
    s.add("table", Table("input_files", "Input files of this report", [
        Column("name", "File"), Column("bytes", "Bytes", "int"), Column("sha256", "SHA-256")],
        files))
    versions = [("python", platform.python_version())]
    for pkg in ("rsnprop", "numpy", "scipy", "pandas", "statsmodels", "pingouin", "matplotlib",
                "seaborn", "jinja2", "pyarrow"):
        try:
            versions.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            versions.append((pkg, "not installed"))
    s.add("dl", versions, "Package versions")
    return s
