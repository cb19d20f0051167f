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
