"""Small reference data sets used in examples and tests (bundled in ``rsnprop/datasets``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["holzinger_swineford", "political_democracy"]

_HERE = Path(__file__).resolve().parents[1] / "datasets"


def holzinger_swineford():
    """Holzinger & Swineford (1939), as ``lavaan::HolzingerSwineford1939`` (301 rows)."""
    import pandas as pd

    return pd.read_csv(_HERE / "sem_holzinger_swineford.csv")


def political_democracy():
    """Bollen's Political Democracy data, as ``lavaan::PoliticalDemocracy`` (75 rows)."""
    import pandas as pd

    return pd.read_csv(_HERE / "sem_political_democracy.csv")
