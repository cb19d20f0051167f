"""Small data sets bundled with rsnprop, for examples, tests and the example study.

The example study ships with the package, so that it runs from any folder after
``pip install rsnprop`` (``rsnprop init DIR --example`` copies it into a study folder):

* :func:`example_raw` -- the SIMULATED raw survey export of the example study (300 firms;
  every ``resp_id`` starts with ``SIM-``; see ``README.md`` in this folder for the command
  that generated it).
* :func:`example_instrument` -- the validated survey instrument (also the default of
  :func:`rsnprop.load_instrument`).
* :func:`example_plan` -- the example study plan (preregistration); :func:`example_model` --
  its measurement model (lavaan syntax) for the invariance step.
* :func:`example_files` -- the paths of these four files.

The instrument, plan and model are copies of the repository's
``instruments/rsn_internationalisation.yaml``, ``analysis/study.yaml`` and
``analysis/benefits.lav`` (the sources: edit those, then ``make package-data``; a test fails
while the copies differ).
* :func:`holzinger_swineford` -- ``lavaan::HolzingerSwineford1939`` (301 pupils, x1-x9).
* :func:`political_democracy` -- ``lavaan::PoliticalDemocracy`` (75 countries).
* :func:`bfi` -- the 25 personality items of ``psychTools::bfi`` (2800 respondents) with
  gender, education and age.

>>> from rsnprop.datasets import holzinger_swineford, example_files
>>> holzinger_swineford().shape
(301, 15)
>>> sorted(example_files())
['instrument', 'model', 'plan', 'raw']
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["path", "example_files", "example_raw", "example_instrument", "example_plan",
           "example_model", "holzinger_swineford", "political_democracy", "bfi", "PACKAGED_COPIES"]

_HERE = Path(__file__).resolve().parent

#: the example study's files in this folder, by role
EXAMPLE_FILES = {"instrument": "rsn_internationalisation.yaml", "plan": "study.yaml",
                 "model": "benefits.lav", "raw": "example_raw.csv"}
#: packaged copy -> its source in the repository (``make package-data`` copies them)
PACKAGED_COPIES = {"rsn_internationalisation.yaml": "instruments/rsn_internationalisation.yaml",
                   "study.yaml": "analysis/study.yaml", "benefits.lav": "analysis/benefits.lav"}


def path(name: str) -> Path:
    """Path of a bundled file, e.g. ``path("example_raw.csv")``."""
    p = _HERE / name
    if not p.is_file():
        from ..errors import MissingFileError

        raise MissingFileError("no such bundled data set", file=name)
    return p


def example_files() -> dict[str, Path]:
    """Paths of the example study's files: ``instrument``, ``plan``, ``model``, ``raw``.

    >>> example_files()["plan"].name
    'study.yaml'
    """
    return {role: path(name) for role, name in EXAMPLE_FILES.items()}


def example_instrument():
    """The validated instrument of the example study (an :class:`~rsnprop.instrument.Instrument`).

    >>> example_instrument().name
    'rsn_internationalisation'
    """
    from ..instrument import load_instrument

    return load_instrument(path(EXAMPLE_FILES["instrument"]))


def example_plan():
    """The example study plan (:class:`~rsnprop.propositions.plan.StudyPlan`).

    Its ``inputs:`` paths are those of the repository's ``analysis/`` folder; ``rsnprop init``
    rewrites them for a new study folder.

    >>> example_plan().born_global_definition
    'bg_ms20'
    """
    from ..propositions import load_plan

    return load_plan(path(EXAMPLE_FILES["plan"]))


def example_model() -> str:
    """The example study's measurement model (lavaan syntax), as text.

    >>> example_model().count("=~")        # two factors: relational, informational
    2
    """
    return path(EXAMPLE_FILES["model"]).read_text(encoding="utf-8")


def _csv(name: str):
    import pandas as pd

    return pd.read_csv(path(name))


def example_raw():
    """The SIMULATED example export as read by :func:`rsnprop.data.read_table`."""
    from ..data import read_table

    return read_table(path("example_raw.csv"))


def holzinger_swineford():
    """Holzinger & Swineford (1939), as ``lavaan::HolzingerSwineford1939`` (301 rows)."""
    return _csv("holzinger_swineford.csv")


def political_democracy():
    """Bollen's Political Democracy data, as ``lavaan::PoliticalDemocracy`` (75 rows)."""
    return _csv("political_democracy.csv")


def bfi():
    """psych's bfi items (A1-A5, C1-C5, E1-E5, N1-N5, O1-O5, gender, education, age)."""
    return _csv("bfi.csv")
