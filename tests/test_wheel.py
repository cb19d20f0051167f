"""The built wheel alone starts and runs a study (issue 17).

Builds the sdist and wheel with ``python -m build --no-isolation`` from a copy of the source
tree (no warning may be printed; ``twine check`` must pass: the long description renders),
installs the wheel into a fresh virtual environment **without its dependencies**
(``pip install --no-deps``; the environment then sees the running interpreter's
site-packages through a ``.pth`` line, so numpy, pandas... are not reinstalled, but rsnprop
itself is imported from the wheel), and then, in a temporary folder outside the repository:
``rsnprop init mystudy --example && cd mystudy && make`` must give ``reports/report.html``,
and the README's script example must run.  About a minute (marked slow: default suite).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
EXCLUDE = (".venv", ".git", "build", "dist", "test-artifacts", "reports", "bench", "analysis")


def _copy_source(dest: Path) -> Path:
    """The files of the source tree (tracked or new, not ignored) copied to ``dest``."""
    try:
        names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                               capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        names = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file()]
    for name in names:
        if not name or name.split("/")[0] in EXCLUDE or "__pycache__" in name:
            continue
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", **extra)
    return env


def _run(cmd, cwd, env, timeout=600):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{cmd} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return _copy_source(tmp_path_factory.mktemp("src"))


@pytest.fixture(scope="module")
def dist(source, tmp_path_factory):
    src = source
    out = tmp_path_factory.mktemp("dist")
    res = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
               cwd=src, env=_clean_env())
    return out, res.stdout + res.stderr


def test_build_gives_sdist_and_wheel_without_warnings(dist):
    out, log = dist
    assert len(list(out.glob("rsnprop-*.tar.gz"))) == 1 and len(list(out.glob("rsnprop-*.whl"))) == 1
    warnings = [line for line in log.splitlines() if re.search(r"warn|deprecat", line, re.I)]
    assert warnings == []
    check = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, out.iterdir())],
                 cwd=out, env=_clean_env())
    assert check.stdout.count("PASSED") == 2, check.stdout


def test_editable_install_prints_no_setuptools_warning(source, tmp_path):
    """``pip install -e`` (``make install``) used to print setuptools' editable-finder notice."""
    home = tmp_path / "venv"
    env = _clean_env()
    _run([sys.executable, "-m", "venv", "--without-pip", str(home)], cwd=tmp_path, env=env)
    _see_host_site_packages(home / "bin" / "python", env)  # setuptools for the build backend
    res = _run([sys.executable, "-m", "pip", "--python", str(home / "bin" / "python"), "install",
                "-v", "--no-deps", "--no-build-isolation", "--no-index", "-e", str(source)],
               cwd=tmp_path, env=env)
    log = res.stdout + res.stderr
    assert "Successfully installed rsnprop" in log
    noise = [line for line in log.splitlines() if re.search(r"warn|deprecat|!!", line, re.I)
             and "Location 'file:" not in line]  # pip's note about this machine's local index
    assert noise == []


def test_wheel_carries_the_example_study_and_metadata(dist):
    from rsnprop import datasets

    out, _ = dist
    with zipfile.ZipFile(next(out.glob("*.whl"))) as whl:
        names = set(whl.namelist())
        meta = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for name in [*datasets.EXAMPLE_FILES.values(), "README.md"]:
        assert f"rsnprop/datasets/{name}" in names, name
    for name in ("Makefile", "README.md", "gitignore", "raw_README.md"):
        assert f"rsnprop/scaffold/templates/{name}" in names, name
    assert "Description-Content-Type: text/markdown" in meta
    assert "Project-URL" not in meta  # no invented address (pyproject.toml says where they go)
    assert re.search(r"(?m)^Keywords: .*born global", meta)
    assert "Classifier: Programming Language :: Python :: 3.11" in meta


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    out, _ = dist
    home = tmp_path_factory.mktemp("venv")
    env = _clean_env()
    _run([sys.executable, "-m", "venv", "--without-pip", str(home)], cwd=home, env=env)
    py = home / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps",
          "--no-index", str(next(out.glob("*.whl")))], cwd=home, env=env)
    _see_host_site_packages(py, env)  # dependencies, after the venv's own site-packages
    return home


def _see_host_site_packages(py: Path, env: dict) -> None:
    """A ``.pth`` line: the venv ``py`` also imports from the running interpreter's
    site-packages (searched after its own, so the venv's rsnprop wins)."""
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=py.parent, env=env).stdout.strip())
    (site / "zz_host_site_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def test_installed_wheel_starts_and_runs_a_study_outside_the_repository(venv, tmp_path):
    env = _clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    where = _run(["python", "-c", "import rsnprop; print(rsnprop.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel, not the repo
    assert shutil.which("rsnprop", path=env["PATH"]) == str(venv / "bin" / "rsnprop")
    init = _run(["rsnprop", "init", "mystudy", "--example"], cwd=tmp_path, env=env)
    assert "make" in init.stdout
    study = tmp_path / "mystudy"
    _run(["make"], cwd=study, env=env)
    report = study / "reports" / "report.html"
    html = report.read_text(encoding="utf-8")
    assert "SIMULATED DATA" in html
    for section in ("summary", "plan", "cleaning", "measurement", "propositions", "provenance"):
        assert f'id="sec-{section}"' in html, section
    assert (study / "reports" / "tables").is_dir()
    assert not (tmp_path / "reports").exists()  # nothing written outside the study folder
    again = _run(["make"], cwd=study, env=env)  # up to date: nothing rebuilt
    assert "rsnprop" not in again.stdout


def test_readme_script_example_runs_from_any_folder(venv, tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From a script"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "example.py").write_text(code)
    env = _clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    res = _run(["python", "example.py"], cwd=tmp_path, env=env)
    assert re.search(r"P1\s+supported", res.stdout) and re.search(r"P2\s+supported", res.stdout)
