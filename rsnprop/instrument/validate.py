"""Schema and semantic validation of an instrument, collecting *every* problem.

Like pandera's lazy validation, nothing stops at the first failure: the YAML is parsed
piece by piece (metadata, each scale, each choice list, each construct, each section, each
item), schema errors are collected with their YAML path, and the semantic checks run on
every piece that parsed.  Each problem is a dict ``{"path", "code", "reason", "message"}``
where ``path`` is the YAML path (``sections[5].items[2].text.fr``) and ``message`` is
``"<path> (line <n>): <reason>"`` (``line`` is the line of the deepest node of the path found
in the file: the offending key, or its parent when the key is missing).

Semantic checks: unique item and section ids; languages complete (every text in every
declared language, none empty); constructs referenced exist and reflective constructs have
at least 3 items; scales and choice lists referenced exist, are well formed and have unique
codes; reverse keying only on bounded numeric items; skip logic refers to an *earlier*
item, with an operator and value that fit it; attention checks exist and their expected
answer is a valid answer; constant-sum groups have at least two parts with one total;
sources cite known references or say ``new: true``; at least one consent item; export codes
for LimeSurvey do not collide.  The semantic checks live in :mod:`rsnprop.instrument.semantics`
(:func:`check`, re-exported here); this module reads the YAML, parses it piece by piece and
reports.

Examples
--------
>>> from rsnprop.instrument.validate import validate_instrument
>>> report = validate_instrument("instruments/rsn_internationalisation.yaml")
>>> report.ok, report.problems
(True, [])
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml
from pydantic import TypeAdapter, ValidationError

from ..errors import InstrumentError, MissingFileError
from ..results import Result
from ..yamlio import check_alias_budget, read_text
from . import schema as S
from .schema import DATA_PROTECTION_FIELDS
from .semantics import READ_AS_MISSING, _ParsedRef, check

__all__ = ["ValidationReport", "validate_instrument", "check", "read_yaml", "read_yaml_nodes",
           "line_of", "fielding_problems", "READ_AS_MISSING"]


def _loc_path(loc: tuple, raw: Any) -> str:
    """YAML path of a pydantic error location, dropping union-member tags."""
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            parts.append(f".{part}" if parts else str(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            parts.append(f"[{part}]")
            node = node[part]
        elif isinstance(part, str) and not isinstance(node, (dict, list)):
            continue  # a union tag such as 'str' or 'ScaleSpec'
        elif isinstance(node, dict) and isinstance(part, str) and not any(c in part for c in "[]()") \
                and not part[:1].isupper() and part not in ("str", "int", "float", "bool"):
            parts.append(f".{part}" if parts else part)  # a missing key: name it
            node = None
        else:
            continue
    return "".join(parts) or "<root>"


@dataclass
class _Collector:
    problems: list = field(default_factory=list)

    def add(self, path: str, code: str, reason: str) -> None:
        self.problems.append({"path": path, "code": code, "reason": reason,
                              "message": f"{path}: {reason}"})


def _schema_errors(model, data, base: str, raw_root, col: _Collector, prefix_loc: tuple = ()):
    """Validate ``data`` with ``model``; on failure record each error and return None."""

    try:
        return model.model_validate(data) if hasattr(model, "model_validate") else model.validate_python(data)
    except ValidationError as err:
        for e in err.errors():
            path = _loc_path(prefix_loc + tuple(e["loc"]), raw_root)
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = "unknown key (typo?)"
            elif e["type"] == "missing":
                msg = "required key is missing"
            elif e["type"] == "literal_error":
                msg = f"{msg}; got {e.get('input')!r}"
            col.add(path, f"schema.{e['type']}", msg)
        return None


class _DupKeyLoader:  # built lazily so that importing this module stays cheap
    cls = None

    @classmethod
    def get(cls):
        if cls.cls is None:
            import yaml

            base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 20x faster

            class Loader(base):
                duplicates: list

            def construct_mapping(loader, node, deep=False):
                keys = set()
                for key_node, _ in node.value:
                    key = loader.construct_object(key_node, deep=True)
                    if key in keys:
                        loader.duplicates.append((key, key_node.start_mark.line + 1))
                    keys.add(key)
                return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

            Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
            cls.cls = Loader
        return cls.cls


def read_yaml(path: str | os.PathLike) -> tuple[Any, list[dict]]:
    """Parse a YAML file; return ``(data, problems)`` (duplicate keys are problems).

    Raises :class:`~rsnprop.errors.MissingFileError` or :class:`~rsnprop.errors.InstrumentError`
    (not YAML at all).
    """
    data, problems, _ = read_yaml_nodes(path)
    return data, problems


def read_yaml_nodes(path: str | os.PathLike) -> tuple[Any, list[dict], Any]:
    """Like :func:`read_yaml`, also returning the YAML node tree (for line numbers)."""

    if not os.path.isfile(path):
        raise MissingFileError("instrument file does not exist", file=path)

    text = read_text(path, what="instrument", error=InstrumentError)
    loader_cls = _DupKeyLoader.get()
    loader = loader_cls(text)
    loader.duplicates = []
    try:
        node = loader.get_single_node()
        check_alias_budget(node, file=str(path), error=InstrumentError)  # alias bombs
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InstrumentError(f"{where}not valid YAML ({getattr(err, 'problem', err)})", file=path) from None
    except RecursionError:
        raise InstrumentError("the YAML is nested too deeply", file=path) from None
    finally:
        loader.dispose()
    col = _Collector()
    for key, line in loader.duplicates:
        col.add(f"line {line}", "yaml.duplicate_key", f"duplicate key {key!r} (the later value would silently win)")
        col.problems[-1]["line"] = line
    return data, col.problems, node


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def line_of(path: str, node) -> int | None:
    """1-based line of the deepest YAML node reached along ``path`` (None if none)."""
    if node is None or not path or path.startswith(("<", "line ")):
        return None
    line = None
    for key, index in _SEGMENT.findall(path.split(" ")[0]):
        if index and getattr(node, "id", "") == "sequence" and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1  # the list element
        elif key and getattr(node, "id", "") == "mapping":
            for k, v in node.value:
                if str(getattr(k, "value", None)) == key:
                    line = k.start_mark.line + 1  # the key
                    node = v
                    break
            else:
                break
        else:
            break
    return line


def add_lines(problems: list, node) -> None:
    """Add ``line`` to each problem (from its YAML path) and mention it in the message."""
    for p in problems:
        if "line" in p:
            continue
        line = line_of(p["path"], node)
        if line is not None:
            p["line"] = line
            p["message"] = f"{p['path']} (line {line}): {p['reason']}"


# ----------------------------------------------------------------------------------------
# piecewise parsing


@dataclass
class Parsed:
    """Pieces of an instrument that passed the schema (used by the semantic checks)."""

    meta: Any = None
    references: dict = field(default_factory=dict)
    reference_checks: dict = field(default_factory=dict)
    scales: dict = field(default_factory=dict)
    choice_lists: dict = field(default_factory=dict)
    constructs: dict = field(default_factory=dict)
    sections: list = field(default_factory=list)  # (path, SectionSpec, [(path, ItemSpec)])
    failed_items: list = field(default_factory=list)  # raw dicts of items that failed the schema
    routing: list = field(default_factory=list)  # (path, RoutingSpec)
    data_protection: Any = None
    spec: Any = None  # the full InstrumentSpec when everything parsed


def parse(raw: Any, col: _Collector) -> Parsed:
    """Parse ``raw`` (the YAML data) into :class:`Parsed`, recording schema problems."""

    out = Parsed()
    if not isinstance(raw, dict):
        col.add("<root>", "schema.type", "the instrument must be a mapping with keys "
                "instrument, references, scales, choice_lists, constructs, sections")
        return out
    known = set(S.InstrumentSpec.model_fields)
    for key in raw:
        if key not in known:
            col.add(str(key), "schema.extra_forbidden", "unknown key (typo?)")
    if "instrument" not in raw:
        col.add("instrument", "schema.missing", "required key is missing")
    else:
        out.meta = _schema_errors(S.MetadataSpec, raw["instrument"], "instrument", raw, col, ("instrument",))
    for name, model, target in (("references", TypeAdapter(str), out.references),
                                ("reference_checks", TypeAdapter(str), out.reference_checks),
                                ("scales", S.ScaleSpec, out.scales),
                                ("choice_lists", TypeAdapter(list[S.ChoiceSpec]), out.choice_lists),
                                ("constructs", S.ConstructSpec, out.constructs)):
        block = raw.get(name) or {}
        if not isinstance(block, dict):
            col.add(name, "schema.type", "must be a mapping")
            continue
        for key, value in block.items():
            parsed = _schema_errors(model, value, f"{name}.{key}", raw, col, (name, key))
            if parsed is not None:
                target[key] = parsed
    if raw.get("data_protection") is not None:
        out.data_protection = _schema_errors(S.DataProtectionSpec, raw["data_protection"],
                                             "data_protection", raw, col, ("data_protection",))
    routing = raw.get("routing") or []
    if not isinstance(routing, list):
        col.add("routing", "schema.type", "must be a list of routing rules")
        routing = []
    for ri, rule in enumerate(routing):
        parsed_rule = _schema_errors(S.RoutingSpec, rule, f"routing[{ri}]", raw, col, ("routing", ri))
        if parsed_rule is not None:
            out.routing.append((f"routing[{ri}]", parsed_rule))
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        col.add("sections", "schema.missing", "a non-empty list of sections is required")
        sections = []
    for si, sec in enumerate(sections):
        spath = f"sections[{si}]"
        if not isinstance(sec, dict):
            col.add(spath, "schema.type", "a section must be a mapping")
            continue
        items = sec.get("items") or []
        head = _schema_errors(S.SectionSpec, {k: v for k, v in sec.items() if k != "items"},
                              spath, raw, col, ("sections", si))
        parsed_items = []
        if not isinstance(items, list):
            col.add(f"{spath}.items", "schema.type", "must be a list of items")
            items = []
        for ii, it in enumerate(items):
            ipath = f"{spath}.items[{ii}]"
            item = _schema_errors(S.ItemSpec, it, ipath, raw, col, ("sections", si, "items", ii))
            if item is not None:
                parsed_items.append((ipath, item))
            elif isinstance(it, dict):
                out.failed_items.append(it)
        out.sections.append((spath, head, parsed_items))
    if not col.problems:
        out.spec = _schema_errors(S.InstrumentSpec, raw, "<root>", raw, col)
    return out


def fielding_problems(ins) -> list:
    """Problems that make an instrument unfit for fielding (each a ``path: reason`` string).

    Every data-protection field (GDPR/RGPD art. 13: controller, purpose, legal basis, data
    stored, retention, rights, contact, data protection officer) must be filled in every
    language, without the ``[TO BE COMPLETED`` placeholder.

    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> fielding_problems(ins)[0]
    'data_protection.controller.en: empty (fill in the study-specific value before fielding)'
    """

    dp = ins.data_protection
    if dp is None:
        return ["data_protection: missing (controller, purpose, legal basis, data stored, "
                "retention, rights, contact, DPO are required before fielding)"]
    out = []
    for name in DATA_PROTECTION_FIELDS:
        for lang in ins.languages:
            value = str(dp[name].get(lang, "")).strip()
            if not value or "[TO BE COMPLETED" in value.upper():
                out.append(f"data_protection.{name}.{lang}: empty (fill in the study-specific "
                           "value before fielding)")
    return out


# ----------------------------------------------------------------------------------------
# public entry points


class ValidationReport(Result):
    """Outcome of :func:`validate_instrument`: ``ok``, ``problems`` and the identity."""

    title = "Instrument validation"

    def __init__(self, file: str, problems: list, name=None, version=None, hash=None, n_items=None):
        self.file = str(file)
        self.problems = list(problems)
        self.name, self.version, self.hash, self.n_items = name, version, hash, n_items

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2

    def to_dict(self) -> dict:
        return {"file": self.file, "ok": self.ok, "n_problems": len(self.problems),
                "problems": self.problems, "name": self.name, "version": self.version,
                "hash": self.hash, "n_items": self.n_items}

    def to_frame(self):
        return pd.DataFrame(self.problems, columns=["path", "code", "reason"])

    def summary(self) -> str:
        if self.ok:
            return (f"{self.file}: OK ({self.name} {self.version}, {self.n_items} items, "
                    f"hash {self.hash[:12]})")
        lines = [f"{self.file}: {len(self.problems)} problem(s)"]
        lines += [f"  {p['message']}  [{p['code']}]" for p in self.problems]
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        """Raise :class:`~rsnprop.errors.InstrumentError` listing every problem."""

        if self.problems:
            n = len(self.problems)
            first = self.problems[0]["message"]
            more = f" (and {n - 1} more problem{'s' if n > 2 else ''})" if n > 1 else ""
            raise InstrumentError(f"invalid instrument: {first}{more}", file=self.file, problems=self.problems)


def validate_data(raw: Any, file: str = "<data>", extra_problems=()) -> tuple[ValidationReport, Parsed]:
    """Validate already-parsed YAML data; return the report and the parsed pieces."""
    col = _Collector(list(extra_problems))
    parsed = parse(raw, col)
    _ParsedRef.current = parsed
    try:
        check(parsed, col)
    finally:
        _ParsedRef.current = None
    return ValidationReport(file, col.problems), parsed


def validate_instrument(path: str | os.PathLike) -> ValidationReport:
    """Validate an instrument file, collecting every problem (never stops at the first).

    Parameters
    ----------
    path : path-like
        The instrument YAML.

    Returns
    -------
    ValidationReport
        ``.ok``, ``.problems`` (dicts with ``path``, ``code``, ``reason``, ``message``) and,
        when valid, ``.name``, ``.version``, ``.hash``.

    Examples
    --------
    >>> r = validate_instrument("instruments/rsn_internationalisation.yaml")
    >>> r.ok
    True
    """
    raw, dup_problems, node = read_yaml_nodes(path)
    report, parsed = validate_data(raw, str(path), dup_problems)
    add_lines(report.problems, node)
    if report.ok:
        from .load import build_instrument

        ins = build_instrument(parsed.spec, path=str(path))
        report.name, report.version, report.hash, report.n_items = ins.name, ins.version, ins.hash, len(ins.items)
    return report
