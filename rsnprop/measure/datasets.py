"""Reference data sets used in examples and tests (read from ``tests/reference`` when the
repository is available, else ``rsnprop/datasets``).

* :func:`bfi` -- the 25 personality items of psych's ``bfi`` (2800 respondents), with
  gender, education and age (psychTools::bfi).
* :func:`holzinger_swineford` -- lavaan's ``HolzingerSwineford1939`` (301 pupils, x1-x9).
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = [_HERE.parents[1] / "tests" / "reference", _HERE.parent / "datasets"]


def _find(name: str) -> Path:
    for folder in _CANDIDATES:
        if (folder / name).is_file():
            return folder / name
    from ..errors import MissingFileError

    raise MissingFileError("reference data set not found", file=name)


def bfi():
    """psych's bfi data as a DataFrame (A1-A5, C1-C5, E1-E5, N1-N5, O1-O5, gender, ...)."""
    import pandas as pd

    return pd.read_csv(_find("bfi.csv"))


def holzinger_swineford():
    """lavaan's HolzingerSwineford1939 as a DataFrame."""
    import pandas as pd

    return pd.read_csv(_find("measure_hs.csv"))
