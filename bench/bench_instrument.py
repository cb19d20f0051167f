"""Instrument: ODK Validate (JavaRosa, bundled with pyxform) accepts the XLSForm export, and
timings of loading/validating/exporting the shipped instrument (written to bench/results)."""

import io
import json
import shutil
import time
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"


@pytest.mark.bench
def test_xlsform_passes_odk_validate():
    if shutil.which("java") is None:
        pytest.fail("java is needed for ODK Validate (apt-get install default-jre-headless)")
    from pyxform.xls2xform import convert

    from rsnprop.instrument import export, load_instrument

    ins = load_instrument(INSTRUMENT)
    warnings: list[str] = []
    start = time.perf_counter()
    convert(xlsform=io.BytesIO(export(ins, "xlsform")), warnings=warnings, file_type=".xlsx",
            validate=True)  # raises ODKValidateError on any JavaRosa error
    took = time.perf_counter() - start
    assert warnings == []
    print(f"\nODK Validate: OK in {took:.1f} s")


@pytest.mark.bench
def test_instrument_timings():
    from rsnprop.instrument import export, load_instrument, validate_instrument

    timings = {}
    for name, fn in [("load", lambda: load_instrument(INSTRUMENT)),
                     ("validate", lambda: validate_instrument(INSTRUMENT))]:
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t)
        timings[name] = min(runs)
    ins = load_instrument(INSTRUMENT)
    for fmt in ("xlsform", "limesurvey", "qualtrics", "codebook", "codebook-html", "questionnaire"):
        t = time.perf_counter()
        export(ins, fmt)
        timings[f"export_{fmt}"] = time.perf_counter() - t
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "instrument.json").write_text(json.dumps(timings, indent=2, sort_keys=True))
    print("\n" + "\n".join(f"{k}: {v * 1000:.0f} ms" for k, v in sorted(timings.items())))
    assert timings["load"] < 2.0
