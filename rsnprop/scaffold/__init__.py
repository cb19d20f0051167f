"""Start a study folder of one's own from the packaged example study (``rsnprop init``).

A new study folder holds a copy of the instrument to adapt (``instrument.yaml``), the study
plan to preregister (``study.yaml``, with comments), the measurement model
(``benefits.lav``), a ``Makefile`` with the same steps as the repository's ``analysis/``
(cleaning, measure, invariance, test, report, power, clean), a ``README.md`` saying what to
edit and in which order, a read-only ``data/raw/`` folder for the survey export and
``reports/`` (where ``rsnprop run study.yaml`` then writes the report).  With
``example=True`` the SIMULATED example export goes into ``data/raw/`` too, so that ``make``
(or ``rsnprop run study.yaml``) produces a report at once.

:func:`study_files` builds the contents (pure); the ``init`` command writes them.

Examples
--------
>>> files = study_files("mystudy", example=True)
>>> sorted(files)[:4]
['.gitignore', 'Makefile', 'README.md', 'benefits.lav']
>>> "raw: data/raw/example_raw.csv" in files["study.yaml"].decode()
True
"""

from __future__ import annotations

import re
from pathlib import Path

from ..results import Result

__all__ = ["study_files", "study_plan_text", "panel_section_text", "InitResult", "EXAMPLE_RAW",
           "EXAMPLE_RAW_W2", "OWN_RAW"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: where the example export goes in a new study folder
EXAMPLE_RAW = "data/raw/example_raw.csv"
#: where the example's second wave goes in a new study folder
EXAMPLE_RAW_W2 = "data/raw/example_raw_w2.csv"
#: where the study's own export is expected when there is no example
OWN_RAW = "data/raw/export.csv"

_PLAN_HEADER = """\
# Study plan of this study: its preregistration (made by `rsnprop init` from the rsnprop
# example study).  Edit it BEFORE the data are seen, then freeze it: commit it, register it
# (OSF, AsPredicted...) and leave it unchanged.  Every result records its SHA-256
# (`plan_hash`, canonical JSON of the validated plan, defaults filled in), so a change shows.
# Validated by rsnprop.propositions.plan.StudyPlan; the `cleaning:` section by
# rsnprop.data.CleaningRules.  The comments below explain each setting.
"""

_INPUTS = """\
# Data of this study (paths relative to this file): used by `rsnprop run` and by
# `rsnprop test` (the multiverse's careless rules clean the raw export again).  The Makefile
# reads the same export (RAW) and instrument (INSTRUMENT).
inputs:
  raw: {raw}
  instrument: instrument.yaml
"""

_EXAMPLE_NOTE = (
    " with `--example`: `data/raw/example_raw.csv` is a **SIMULATED** export (300 invented "
    "firms, every `resp_id` starts with `SIM-`), so that `make` builds a report at once. "
    "Replace it with your own export in step 5.")
_OWN_NOTE = ". `make` needs your survey export first: see step 5 below."


def study_plan_text(plan: str, *, raw: str, name: str | None = None) -> str:
    """The example plan rewritten for a study folder.

    Replaces the leading comment block by a preregistration header and the ``inputs:``
    section (with the comment lines above it) by paths inside the folder; ``name`` (when
    given) replaces the plan's ``name:``.  Everything else, comments included, is kept.

    >>> text = study_plan_text("# old\\nname: x\\ninputs:\\n  raw: a.csv\\n", raw="data/raw/e.csv")
    >>> text.splitlines()[-2:]
    ['  raw: data/raw/e.csv', '  instrument: instrument.yaml']
    """
    body = re.sub(r"\A(?:#[^\n]*\n|[ \t]*\n)*", "", plan)
    inputs = _INPUTS.format(raw=raw)
    body, found = re.subn(r"(?m)(?:^#[^\n]*\n)*^inputs:[^\n]*\n(?:^[ \t]+[^\n]*\n|^[ \t]*\n(?=[ \t]))*",
                          lambda _m: inputs, body)
    if not found:
        body = body.rstrip("\n") + "\n\n" + inputs
    if name is not None:
        body = re.sub(r"(?m)^name:.*$", lambda _m: f"name: {name}", body, count=1)
    return _PLAN_HEADER + body


_NO_PANEL = """\
# Panel study (several waves of the same firms): add a `panel:` section naming each wave's raw
# export, the firm key and the hypotheses about change (C1-C3); rsnprop's docs/panel.md and the
# example plan (`rsnprop init DIR --example`) show one.
"""

#: the example plan's ``panel:`` block (with the comment lines above it), up to the next key
_PANEL_BLOCK = re.compile(r"(?m)(?:^#[^\n]*\n)*^panel:[^\n]*\n(?:^[ \t]+[^\n]*\n|^[ \t]*\n(?=[ \t]))*")


def panel_section_text(body: str, waves: list[str] | None) -> str:
    """The plan's ``panel:`` section for a study folder.

    With ``waves`` (paths relative to the plan, in wave order) the waves' ``raw:`` paths are
    rewritten to them; without, the section is replaced by a comment saying how to add one, so
    that a new study's plan never names files of the rsnprop repository.

    >>> plan = "a: 1\\npanel:\\n  waves:\\n    - {label: x, raw: ../r/w1.csv}\\n    - {label: y, raw: ../r/w2.csv}\\n"
    >>> print(panel_section_text(plan, ["data/w1.csv", "data/w2.csv"]).splitlines()[-1])
        - {label: y, raw: data/w2.csv}
    >>> no_panel = panel_section_text(plan, None)
    >>> "\\npanel:" in no_panel, "add a `panel:` section" in no_panel
    (False, True)
    """
    if waves is None:
        return _PANEL_BLOCK.sub(lambda _m: _NO_PANEL, body)
    paths = iter(waves)

    def wave_paths(m):
        return re.sub(r"(raw:\s*)([^,}\n]+)", lambda r: r.group(1) + next(paths, r.group(2)), m.group(0))

    return _PANEL_BLOCK.sub(wave_paths, body)


def _template(name: str, **values: str) -> str:
    text = (_TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def study_files(name: str, *, example: bool = False) -> dict[str, bytes]:
    """Contents of a new study folder: ``{relative path: bytes}``.

    Parameters
    ----------
    name : str
        The study's name (the folder's name): title of its README and ``name:`` of its plan
        (the example keeps the example plan's name).
    example : bool
        Also put the SIMULATED example export in ``data/raw/`` and point the plan at it.
    """
    from ..datasets import example_files, path

    ex = example_files()
    raw = EXAMPLE_RAW if example else OWN_RAW
    plan = study_plan_text(ex["plan"].read_text(encoding="utf-8"), raw=raw,
                           name=None if example else _plan_name(name))
    plan = panel_section_text(plan, [EXAMPLE_RAW, EXAMPLE_RAW_W2] if example else None)
    files = {
        "README.md": _template("README.md", NAME=name,
                               EXAMPLE_NOTE=_EXAMPLE_NOTE if example else _OWN_NOTE).encode(),
        "Makefile": _template("Makefile", RAW=raw).encode(),
        ".gitignore": _template("gitignore").encode(),
        "study.yaml": plan.encode(),
        "instrument.yaml": ex["instrument"].read_bytes(),
        "benefits.lav": ex["model"].read_bytes(),
        "data/raw/README.md": _template("raw_README.md").encode(),
        "reports/.gitkeep": b"",
    }
    if example:
        files[EXAMPLE_RAW] = ex["raw"].read_bytes()
        files[EXAMPLE_RAW_W2] = path("example_raw_w2.csv").read_bytes()
    return files


def _plan_name(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")
    return slug or "my-study"


class InitResult(Result):
    """What ``rsnprop init`` wrote: ``directory``, ``files``, ``example``, ``overwritten``."""

    title = "New study folder"

    def __init__(self, directory: str, files: list[str], example: bool, overwritten: list[str]):
        self.directory, self.files = directory, files
        self.example, self.overwritten = example, overwritten

    def to_dict(self) -> dict:
        return {"directory": self.directory, "files": list(self.files), "example": self.example,
                "overwritten": list(self.overwritten)}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"file": self.files,
                             "overwritten": [f in self.overwritten for f in self.files]})

    def summary(self) -> str:
        d = self.directory
        lines = [f"Created the study folder {d} ({len(self.files)} files).",
                 *(f"  {f}" for f in self.files)]
        if self.overwritten:
            lines.append(f"Overwritten (--force): {', '.join(self.overwritten)}.")
        if self.example:
            lines.append(f"Next: cd {d} && make   -> reports/report.html from the SIMULATED "
                         "example export (about a minute).")
        else:
            lines.append(f"Next: read {d}/README.md: adapt instrument.yaml, preregister "
                         "study.yaml, put your export in data/raw/, then make.")
        return "\n".join(lines)
