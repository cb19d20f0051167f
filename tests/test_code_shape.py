"""The code stays readable: the limits of docs/architecture.md ("Code shape"), checked on every run.

- no function (whole ``def``, docstring included) over 120 lines, no module over 600 lines;
- no private name (``_x`` module or object) imported from another package;
- no function or object of a package that hides a sub-module of the same name
  (``rsnprop.sem.invariance`` is the function; its module is ``rsnprop.sem.group_invariance``).

Each check reads the source with ``ast`` (or imports the packages) and names every offender.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import rsnprop

PACKAGE = Path(rsnprop.__file__).resolve().parent
MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 600
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "datasets" not in p.relative_to(PACKAGE).parts[:1])


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _package_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "<core>"


def test_no_function_over_the_limit():
    long = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{_rel(path)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_module_over_the_limit():
    big = [f"{_rel(p)} ({n} lines)" for p in SOURCES
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def _target(path: Path, node: ast.ImportFrom) -> list[str]:
    """The absolute ``rsnprop``-relative module path an ``ImportFrom`` names ([] if outside)."""
    if node.level == 0:
        mod = node.module or ""
        return mod.split(".")[1:] if mod.split(".")[0] == "rsnprop" else []
    base = list(path.relative_to(PACKAGE).parts[:-1])
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return base + (node.module.split(".") if node.module else [])


def _private_imports(path: Path) -> list[str]:
    me, found = _package_of(path), []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        target = _target(path, node)
        if not target and node.level == 0:
            continue
        pkg = target[0] if len(target) > 1 else "<core>"
        if pkg == me:
            continue
        private_module = any(p.startswith("_") and p != "__init__" for p in target)
        for alias in node.names:
            if private_module or alias.name.startswith("_"):
                found.append(f"{_rel(path)}:{node.lineno} from {'.'.join(target)} import {alias.name}")
    return found


def test_no_private_name_crosses_a_package():
    found = [hit for path in SOURCES for hit in _private_imports(path)]
    assert not found, f"private names imported from another package: {found}"


def test_the_private_import_check_can_fail():
    """The checker sees a private import across packages (so the test above can fail)."""
    fake = PACKAGE / "report" / "_probe_not_a_module.py"
    node = ast.parse("from ..sem.batch import _evaluate\n").body[0]
    assert _target(fake, node) == ["sem", "batch"]
    assert _package_of(fake) == "report"


def _packages() -> list[str]:
    names, todo = [], ["rsnprop"]
    while todo:
        name = todo.pop()
        names.append(name)
        module = importlib.import_module(name)
        todo += [f"{name}.{m.name}" for m in pkgutil.iter_modules(module.__path__) if m.ispkg]
    return sorted(names)


@pytest.mark.parametrize("package", _packages())
def test_no_function_shadows_its_module(package):
    module = importlib.import_module(package)
    shadowed = []
    for sub in pkgutil.iter_modules(module.__path__):
        if sub.name.startswith("__"):
            continue  # __main__ runs the command line
        importlib.import_module(f"{package}.{sub.name}")
        value = getattr(module, sub.name, None)
        if value is not None and not isinstance(value, types.ModuleType):
            shadowed.append(f"{package}.{sub.name} is a {type(value).__name__}")
    assert not shadowed, f"names that hide a sub-module of the same name: {shadowed}"


def _private_definitions(path: Path) -> set[str]:
    """Private names a module defines: functions, classes, assignments, ``self._x = ...``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)  # a field set by keyword: SEMResult(_pt=pt, ...)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_private_attribute_of_another_package():
    """``obj._x`` only where ``_x`` is defined in the same package (``res._pt`` from a stage is not)."""
    defined: dict[str, set[str]] = {}
    for path in SOURCES:
        defined.setdefault(_package_of(path), set()).update(_private_definitions(path))
    found = []
    for path in SOURCES:
        me = _package_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            owners = {pkg for pkg, names in defined.items() if node.attr in names}
            if owners and me not in owners:
                found.append(f"{_rel(path)}:{node.lineno} .{node.attr} (defined in {sorted(owners)})")
    assert not found, f"private attributes of another package used: {found}"
