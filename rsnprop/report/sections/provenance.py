"""Provenance: date, instrument, data and plan hashes, seeds, command lines, input files, package
versions.
"""

from __future__ import annotations

from ..fmt import fmt_value
from ..tables import Column, Table
from .base import Section, pick, _plan


def _find_commands(obj, out: list[str], path: str = "") -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("command", "command_line", "argv", "cmd"):
                out.append(" ".join(map(str, v)) if isinstance(v, list) else str(v))
            elif isinstance(v, dict):
                _find_commands(v, out, f"{path}{k}.")


def _provenance_mismatches(inputs) -> list[str]:
    """Warnings when the result files were produced from different instruments or plans."""
    out = []
    inst = {}
    for fname, src in (("cleaning_log.json", inputs.cleaning_log), ("measurement.json", inputs.measurement),
                       ("power.json", inputs.power)):
        h = pick(pick(src, "instrument", default={}), "hash")
        if h:
            inst[fname] = str(h)
    if len(set(inst.values())) > 1:
        out.append("The result files were made with different instrument versions: "
                   + "; ".join(f"{k} {v[:12]}" for k, v in inst.items()) + ".")
    from ..inputs import plan_hashes

    plans = plan_hashes(inputs)
    if len(set(plans.values())) > 1:
        out.append("The result files were made with different study plans: "
                   + "; ".join(f"{k} {v[:12]}" for k, v in plans.items()) + ".")
    return out


def provenance_section(inputs, *, command: str | None = None) -> Section:
    import os
    import platform
    from importlib import metadata

    s = Section("provenance", "Provenance")
    log, props, meas = inputs.cleaning_log or {}, inputs.propositions or {}, inputs.measurement or {}
    instrument = pick(log, "instrument") or pick(meas, "instrument") or {}
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        import datetime as dt

        date = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        date += f" (SOURCE_DATE_EPOCH={epoch})"
    else:
        date = "not recorded (set SOURCE_DATE_EPOCH to stamp reports reproducibly)"
    pairs = [
        ("Report date", date),
        ("Results folder", inputs.name),
        ("Instrument", f"{fmt_value(pick(instrument, 'name'))} version "
                       f"{fmt_value(pick(instrument, 'version'))}"),
        ("Instrument hash (SHA-256)", fmt_value(pick(instrument, "hash"))),
        ("Raw data hash (SHA-256)", fmt_value(pick(log, "raw_sha256"))),
        ("Raw data source", fmt_value(pick(log, "source", "raw_file", "raw_path"))),
        ("Plan hash (SHA-256)", fmt_value(pick(props, "plan_hash"))),
        ("Seed (proposition tests)", fmt_value(pick(props, "seed", default=pick(_plan(inputs), "seed")))),
        ("Seed (measurement bootstrap)", fmt_value(pick(pick(meas, "settings", default={}), "seed"))),
    ]
    if inputs.power is not None:
        pairs.append(("Seed (power simulation)", fmt_value(pick(inputs.power, "seed"))))
    s.add("dl", pairs, "Study")
    mismatch = _provenance_mismatches(inputs)
    if mismatch:
        s.add("warnings", mismatch)
    cmds: list[str] = []
    for src in (log, meas, props, inputs.power or {}):
        _find_commands(src, cmds)
    if command:
        cmds.append(command)
    if cmds:
        s.add("dl", [(f"{i + 1}", c) for i, c in enumerate(dict.fromkeys(cmds))], "Command lines")
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
