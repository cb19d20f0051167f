"""Platform exports (Kobo/XLSForm, LimeSurvey, Qualtrics) give the same clean data as the
generic export of the same simulated study."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rsnprop.data import clean, read_table
from rsnprop.instrument import load_instrument
from rsnprop.simulate import simulate_study
from rsnprop.simulate.quirks import raw_csv_bytes

INSTRUMENT = Path(__file__).resolve().parents[1] / "instruments" / "rsn_internationalisation.yaml"


@pytest.fixture(scope="module")
def ins():
    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def generic(ins, tmp_path_factory):
    path = tmp_path_factory.mktemp("g") / "raw.csv"
    path.write_bytes(raw_csv_bytes(simulate_study(ins, "p1p2", n=80, seed=3)))
    return clean(read_table(path), ins).data.set_index("resp_id").sort_index()


@pytest.mark.parametrize("arrow_reader", [False, True])
@pytest.mark.parametrize("platform", ["xlsform", "limesurvey", "qualtrics"])
def test_platform_export_equals_generic(ins, generic, platform, arrow_reader, tmp_path,
                                        monkeypatch):
    from rsnprop.data import read_csv as rd

    if arrow_reader:     # the big-file reader (pyarrow) on this small export
        monkeypatch.setattr(rd, "_ARROW_MIN_BYTES", 0)
    raw = simulate_study(ins, "p1p2", n=80, seed=3, platform=platform)
    path = tmp_path / "raw.csv"
    path.write_bytes(raw_csv_bytes(raw))
    res = clean(read_table(path, platform=platform, instrument=ins), ins)
    assert not [w for w in res.log["warnings"] if "unknown column" in w]
    got = res.data.set_index("resp_id").sort_index()
    assert list(got.index) == list(generic.index)
    cols = [c for c in generic.columns if c not in ("duration_sec",)]
    pd.testing.assert_frame_equal(got[cols], generic[cols], check_dtype=False)
