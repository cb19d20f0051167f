"""The example study ships inside the package (issue 17), as copies of the repository files.

The repository's ``instruments/rsn_internationalisation.yaml``, ``analysis/study.yaml`` and
``analysis/benefits.lav`` are the sources; ``rsnprop/datasets/`` holds copies that the wheel
carries.  ``make package-data`` refreshes the copies; this test fails while they differ.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rsnprop import datasets

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(datasets.PACKAGED_COPIES))
def test_packaged_copy_equals_repository_source(name):
    source = REPO / datasets.PACKAGED_COPIES[name]
    copy = datasets.path(name)
    assert copy.read_bytes() == source.read_bytes(), (
        f"rsnprop/datasets/{name} differs from {datasets.PACKAGED_COPIES[name]}: "
        "run `make package-data` (the repository file is the source)")


def test_package_data_target_copies_every_source():
    """The Makefile target names exactly the copies the test checks."""
    out = subprocess.run(["make", "-n", "package-data"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    for name, source in datasets.PACKAGED_COPIES.items():
        assert source in out and f"rsnprop/datasets/{name}" in out, (name, out)


def test_default_instrument_is_the_packaged_copy_from_any_folder(tmp_path):
    """``load_instrument()`` and the example files do not depend on the working folder."""
    code = ("import rsnprop, rsnprop.datasets as d; ins = rsnprop.load_instrument(); "
            "print(ins.name, ins.hash == d.example_instrument().hash, "
            "d.example_plan().name, sorted(d.example_files()))")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={**_env(), "PYTHONPATH": str(REPO)})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[:3] == ["rsn_internationalisation", "True",
                                      "rsn-internationalisation-example"]


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_example_panel_second_wave_is_reproducible_and_shipped(tmp_path):
    """``rsnprop simulate --seed 2026 --waves 2`` gives wave 1 = example_raw.csv byte for byte
    and wave 2 = example_raw_w2.csv (the command of rsnprop/datasets/README.md); the wheel ships
    both (package-data ``datasets/*.csv``)."""
    import hashlib

    from rsnprop.simulate import simulate_panel
    from rsnprop.simulate.quirks import raw_csv_bytes

    w1, w2 = simulate_panel(datasets.example_instrument(), "p1p2", n=300, seed=2026, waves=2)
    assert raw_csv_bytes(w1) == datasets.path("example_raw.csv").read_bytes()
    bundled = datasets.path("example_raw_w2.csv").read_bytes()
    assert raw_csv_bytes(w2) == bundled
    readme = datasets.path("README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(bundled).hexdigest() in readme
    assert w2["resp_id"].str.startswith("SIM-").all() and set(w2.resp_id) < set(w1.resp_id)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"datasets/*.csv"' in pyproject
