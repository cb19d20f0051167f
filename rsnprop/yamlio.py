"""Reading the YAML files a user gives (study plan, scenario, instrument) safely.

:func:`load_yaml` is :func:`yaml.safe_load` with four guarantees a command line needs:

* the file must be UTF-8 text (a BOM is allowed); otherwise the error names the byte and line;
* a key given twice in one mapping is an error naming the key and both lines (with plain
  ``safe_load`` the later value silently wins);
* aliases (``*name``) may not expand the document beyond :data:`MAX_NODES` nodes, so a
  "billion laughs" file of a few hundred bytes is refused in milliseconds instead of eating
  gigabytes when the data are walked;
* a document nested deeper than Python can follow is an error, not a crash.

Every problem is raised as the error class the caller names (``PlanError``,
``SpecificationError``...), with the file, so the command line exits 2.

Examples
--------
>>> import tempfile, os
>>> p = os.path.join(tempfile.mkdtemp(), "plan.yaml")
>>> _ = open(p, "w").write("alpha: 0.05\\nalpha: 0.25\\n")
>>> load_yaml(p, what="study plan")
Traceback (most recent call last):
...
rsnprop.errors.SpecificationError: ...plan.yaml: row 2, value 'alpha': duplicate key in the study plan (first given on line 1): the later value would silently win
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from .errors import SpecificationError

__all__ = ["load_yaml", "parse_yaml", "check_alias_budget", "MAX_NODES"]

#: the largest number of nodes a document may have once its aliases are expanded
MAX_NODES = 200_000


def _loader_class():
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # noqa: D401 - a yaml loader
        pass

    def construct_mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _Duplicate(key, seen[key], line)
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return Loader


class _Duplicate(Exception):
    def __init__(self, key, first, line):
        super().__init__(key)
        self.key, self.first, self.line = key, first, line


_LOADER = None


def check_alias_budget(node, *, file=None, error=None, limit: int = MAX_NODES) -> int:
    """Size of the node tree ``node`` with every alias expanded; raise ``error`` (default
    :class:`~rsnprop.errors.SpecificationError`) when it exceeds ``limit``.  Shared nodes are
    counted once per use but visited once, so the check itself is linear in the file."""

    error = error or SpecificationError
    memo: dict[int, int] = {}

    def size(n) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 1  # a recursive alias (a node inside itself) counts once
        total = 1
        if isinstance(n.value, list):
            for child in n.value:
                if isinstance(child, tuple):
                    total += size(child[0]) + size(child[1])
                else:
                    total += size(child)
                if total > limit:
                    break
        memo[key] = total
        return total

    try:
        total = size(node) if node is not None else 0
    except RecursionError:
        raise error("the YAML is nested too deeply", file=file) from None
    if total > limit:
        raise error(f"the YAML expands to more than {limit:,} values through its aliases "
                    "(*name): refused (an alias bomb?); write the values out instead", file=file)
    return total


def parse_yaml(text: str, *, file=None, what: str = "YAML file", error=None) -> tuple[Any, Any]:
    """Parse ``text``; return ``(data, node)`` with the guarantees of :func:`load_yaml`."""

    global _LOADER
    error = error or SpecificationError
    if _LOADER is None:
        _LOADER = _loader_class()
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        check_alias_budget(node, file=file, error=error)
        data = loader.construct_document(node) if node is not None else None
    except _Duplicate as dup:
        raise error(f"duplicate key in the {what} (first given on line {dup.first}): the later "
                    "value would silently win", file=file, row=dup.line, value=dup.key) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise error(f"not valid YAML ({getattr(err, 'problem', None) or type(err).__name__})",
                    file=file, row=None if mark is None else mark.line + 1) from None
    except RecursionError:
        raise error("the YAML is nested too deeply", file=file) from None
    finally:
        loader.dispose()
    return data, node


def read_text(path, *, what: str = "YAML file", error=None) -> str:
    """The file's text, which must be UTF-8 (with or without a BOM)."""

    error = error or SpecificationError
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise error(f"the {what} is not UTF-8 text (byte 0x{raw[err.start]:02x}); save it as "
                    "UTF-8", file=str(path), row=line) from None


def load_yaml(path: str | os.PathLike, *, what: str = "YAML file", error=None) -> Any:
    """Read and parse the YAML file ``path`` (see the module docstring)."""
    text = read_text(path, what=what, error=error)
    return parse_yaml(text, file=str(path), what=what, error=error)[0]
