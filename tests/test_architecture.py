"""The layering of docs/architecture.md holds: no stage imports a later one.

Reads every ``import`` statement of the package (module level and inside functions) with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rsnprop"
CORE = {"errors", "results", "io", "yamlio", "em", "forkserver", "forkchild", "forkmap", "distributions", "collector", "io_csv", "__init__"}
ALLOWED = {
    "sem": set(),
    "instrument": set(),
    "data": {"instrument"},
    "measure": {"instrument", "data", "sem"},
    "propositions": {"data", "sem", "instrument", "measure"},
    "simulate": {"instrument", "data"},
    "power": {"instrument", "data", "sem", "measure", "propositions", "simulate", "panel"},
    "report": {"schemas"},  # reads the stage outputs through their typed contracts
    "panel": {"instrument", "data", "sem", "propositions"},
    "datasets": {"instrument", "data", "propositions"},
    "scaffold": {"datasets"},
}


def _imported_stages(path: Path, stage: str) -> set[str]:
    """Top-level rsnprop sub-packages that a module imports (absolute or relative imports)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level > len(path.relative_to(PACKAGE).parts) - 1:
                names = ["rsnprop." + (node.module or "")]  # climbs out of the stage to rsnprop
            else:
                continue  # stays inside the stage
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "rsnprop" and len(parts) > 1 and parts[1] != stage:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_stage_imports_only_earlier_stages(stage):
    bad = {}
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        extra = _imported_stages(path, stage) - ALLOWED[stage] - CORE
        if extra:
            bad[str(path.relative_to(PACKAGE.parent))] = sorted(extra)
    assert not bad, f"imports that break the layering of docs/architecture.md: {bad}"


def test_the_reader_sees_cross_stage_imports():
    """The check can fail: measure imports sem and instrument, power imports propositions."""
    measure = set().union(*(_imported_stages(p, "measure") for p in (PACKAGE / "measure").rglob("*.py")))
    power = set().union(*(_imported_stages(p, "power") for p in (PACKAGE / "power").rglob("*.py")))
    assert {"sem", "instrument"} <= measure and "propositions" in power
