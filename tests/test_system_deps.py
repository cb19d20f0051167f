"""``make test`` needs no root where Chromium is installed, and says what to install where it
is missing (scripts/system-deps.sh, tests/test_report_browser.py; issue 17)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "system-deps.sh"


def _bin_without_chromium(tmp_path) -> str:
    """A PATH with the shell tools the script uses, and no chromium, apt-get or sudo."""
    d = tmp_path / "bin"
    d.mkdir()
    for tool in ("bash", "env", "id", "cat"):
        os.symlink(shutil.which(tool), d / tool)
    return str(d)


def _script(tmp_path, *args, **env):
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          env={"HOME": str(tmp_path), **env}, timeout=60)


def test_installed_chromium_needs_nothing(tmp_path):
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    res = _script(tmp_path, PATH=_bin_without_chromium(tmp_path), RSNPROP_CHROMIUM=str(fake))
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_missing_chromium_that_cannot_be_installed_says_what_to_install(tmp_path):
    path = _bin_without_chromium(tmp_path)
    res = _script(tmp_path, PATH=path)
    assert res.returncode == 1
    assert "sudo apt-get install chromium" in res.stderr and "RSNPROP_CHROMIUM" in res.stderr
    optional = _script(tmp_path, "--optional", PATH=path)  # what `make test` runs
    assert optional.returncode == 0 and "apt-get install chromium" in optional.stderr


def _browser_tests(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           str(REPO / "tests" / "test_report_browser.py")], cwd=REPO,
                          capture_output=True, text=True, env={**base, **env}, timeout=300)


def test_browser_test_skips_with_the_install_hint_and_fails_under_ci(tmp_path):
    missing = str(tmp_path / "no-chromium")
    res = _browser_tests(tmp_path, RSNPROP_CHROMIUM=missing)
    assert res.returncode == 0 and " skipped" in res.stdout
    assert "sudo apt-get install chromium" in res.stdout
    ci = _browser_tests(tmp_path, RSNPROP_CHROMIUM=missing, CI="true")
    assert ci.returncode == 1 and "cannot run under CI" in ci.stdout
