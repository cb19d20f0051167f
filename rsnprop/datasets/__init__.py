"""Small data sets bundled with rsnprop, for examples, tests and the example study.

* :func:`example_raw` -- the SIMULATED raw survey export of the example study (300 firms;
  every ``resp_id`` starts with ``SIM-``; see ``README.md`` in this folder for the command
  that generated it).
* :func:`holzinger_swineford` -- ``lavaan::HolzingerSwineford1939`` (301 pupils, x1-x9).
* :func:`political_democracy` -- ``lavaan::PoliticalDemocracy`` (75 countries).
* :func:`bfi` -- the 25 personality items of ``psychTools::bfi`` (2800 respondents) with
  gender, education and age.

>>> from rsnprop.datasets import holzinger_swineford
>>> holzinger_swineford().shape
(301, 15)
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["path", "example_raw", "holzinger_swineford", "political_democracy", "bfi"]

_HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """Path of a bundled file, e.g. ``path("example_raw.csv")``."""
    p = _HERE / name
    if not p.is_file():
        from ..errors import MissingFileError

        raise MissingFileError("no such bundled data set", file=name)
    return p


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
