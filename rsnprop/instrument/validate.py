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
for LimeSurvey do not collide.

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

from ..results import Result

__all__ = ["ValidationReport", "validate_instrument", "check", "read_yaml", "read_yaml_nodes",
           "line_of", "fielding_problems"]


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
    from pydantic import ValidationError

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
    import yaml

    from ..errors import InstrumentError, MissingFileError

    if not os.path.isfile(path):
        raise MissingFileError("instrument file does not exist", file=path)
    from ..yamlio import check_alias_budget, read_text

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
    from pydantic import TypeAdapter

    from . import schema as S

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


# ----------------------------------------------------------------------------------------
# semantic checks


def _lang_checks(col, langs, path, text, what="text", required=True):
    if text is None:
        if required:
            col.add(path, "lang.missing", f"{what} is missing")
        return
    for lang in langs:
        if lang not in text:
            col.add(f"{path}.{lang}", "lang.missing", f"{what} in language '{lang}' is missing")
        elif not str(text[lang]).strip():
            col.add(f"{path}.{lang}", "lang.empty", f"{what} in language '{lang}' is empty")
    for lang in text:
        if lang not in langs:
            col.add(f"{path}.{lang}", "lang.unknown",
                    f"language '{lang}' is not declared in instrument.languages {list(langs)}")


def _conds(show_if) -> list:
    if show_if is None:
        return []
    return list(show_if) if isinstance(show_if, list) else [show_if]


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check(p: Parsed, col: _Collector) -> None:
    """Run the semantic checks on the parsed pieces, recording problems in ``col``."""
    from .export.codes import limesurvey_code

    langs = list(p.meta.languages) if p.meta else []
    if p.meta:
        if p.meta.default_language not in p.meta.languages:
            col.add("instrument.default_language", "lang.default_missing",
                    f"'{p.meta.default_language}' is not one of instrument.languages {langs}")
        if len(set(langs)) != len(langs):
            col.add("instrument.languages", "lang.duplicate", "a language is listed twice")
        _lang_checks(col, langs, "instrument.title", p.meta.title, "title")
        if p.meta.description is not None:
            _lang_checks(col, langs, "instrument.description", p.meta.description, "description")

    for name, scale in p.scales.items():
        if scale.min >= scale.max:
            col.add(f"scales.{name}", "scale.bad_range", f"min ({scale.min}) must be below max ({scale.max})")
        for value, label in scale.labels.items():
            if not scale.min <= value <= scale.max:
                col.add(f"scales.{name}.labels.{value}", "scale.label_out_of_range",
                        f"anchor {value} lies outside {scale.min}..{scale.max}")
            _lang_checks(col, langs, f"scales.{name}.labels.{value}", label, "anchor")
    for name, choices in p.choice_lists.items():
        _check_choices(col, langs, f"choice_lists.{name}", choices)
    for cid, con in p.constructs.items():
        _lang_checks(col, langs, f"constructs.{cid}.label", con.label, "label")
        _lang_checks(col, langs, f"constructs.{cid}.definition", con.definition, "definition")

    seen_items: dict[str, str] = {}
    seen_sections: dict[str, str] = {}
    items_by_id: dict[str, Any] = {}
    order: dict[str, int] = {}
    construct_items: dict[str, list] = {c: [] for c in p.constructs}
    n_attention, n_consent = 0, 0
    cs_groups: dict[str, list] = {}
    ls_codes: dict[str, str] = {}
    for spath, sec, items in p.sections:
        if sec is not None:
            if sec.id in seen_sections:
                col.add(f"{spath}.id", "id.duplicate", f"section id '{sec.id}' already used at {seen_sections[sec.id]}")
            elif sec.id in seen_items:  # XLSForm (pyxform) needs names unique in the survey
                col.add(f"{spath}.id", "id.duplicate", f"section id '{sec.id}' is also an item id "
                        f"({seen_items[sec.id]}): every name must be unique in the survey")
            seen_sections.setdefault(sec.id, spath)
            _lang_checks(col, langs, f"{spath}.title", sec.title, "title")
            if sec.intro is not None:
                _lang_checks(col, langs, f"{spath}.intro", sec.intro, "intro")
            for ci, cond in enumerate(_conds(sec.show_if)):
                cpath = f"{spath}.show_if" + (f"[{ci}]" if isinstance(sec.show_if, list) else "")
                _check_condition(col, cpath, cond, items_by_id, None)
        for ipath, item in items:
            if item.id in seen_items:
                col.add(f"{ipath}.id", "id.duplicate", f"item id '{item.id}' already used at {seen_items[item.id]}")
            elif item.id in seen_sections:  # XLSForm (pyxform) needs names unique in the survey
                col.add(f"{ipath}.id", "id.duplicate", f"item id '{item.id}' is also a section id "
                        f"({seen_sections[item.id]}): every name must be unique in the survey")
            seen_items.setdefault(item.id, ipath)
            _lang_checks(col, langs, f"{ipath}.text", item.text, "text")
            if item.hint is not None:
                _lang_checks(col, langs, f"{ipath}.hint", item.hint, "hint")
            scale = _check_item(col, langs, ipath, item, p)
            for ci, cond in enumerate(_conds(item.show_if)):
                cpath = f"{ipath}.show_if" + (f"[{ci}]" if isinstance(item.show_if, list) else "")
                _check_condition(col, cpath, cond, items_by_id, item.id)
            if item.construct is not None:
                if item.construct not in p.constructs:
                    col.add(f"{ipath}.construct", "construct.unknown",
                            f"construct '{item.construct}' is not defined under constructs")
                else:
                    construct_items[item.construct].append(item.id)
            if item.attention_check is not None:
                n_attention += 1
                _check_expected(col, f"{ipath}.attention_check.expected", item, scale, p,
                                item.attention_check.expected)
                if item.construct is not None:
                    col.add(f"{ipath}.construct", "attention.in_construct",
                            "an attention check must not belong to a construct (it would enter the score)")
            if item.screening is not None:
                for v in item.screening.eligible:
                    _check_expected(col, f"{ipath}.screening.eligible", item, scale, p, v)
            if item.role == "consent":
                n_consent += 1
            if item.constant_sum is not None:
                cs_groups.setdefault(item.constant_sum.group, []).append((ipath, item))
            code = item.codes.get("limesurvey") or limesurvey_code(item.id)
            if len(code) > 20:
                col.add(f"{ipath}.codes", "codes.too_long",
                        f"LimeSurvey question code '{code}' exceeds 20 characters; "
                        "set codes: {limesurvey: ...} (letters and digits, at most 20)")
            if code in ls_codes and item.id not in items_by_id:
                col.add(f"{ipath}.codes", "codes.collision",
                        f"LimeSurvey question code '{code}' is also the code of item '{ls_codes[code]}'; "
                        "set codes: {limesurvey: ...} on one of them")
            ls_codes.setdefault(code, item.id)
            if item.id not in items_by_id:
                items_by_id[item.id] = (item, scale)
                order[item.id] = len(order)

    for key in p.reference_checks:
        if key not in p.references:
            col.add(f"reference_checks.{key}", "source.unknown_ref", f"'{key}' is not defined under references")
    if p.reference_checks:
        for key in p.references:
            if key not in p.reference_checks:
                col.add(f"references.{key}", "source.unchecked",
                        "say under reference_checks how this reference was checked (or that it was not)")
    _check_routing(col, langs, p, items_by_id, seen_sections)
    _check_data_protection(col, langs, p, items_by_id)
    for cid, ids in construct_items.items():
        con = p.constructs[cid]
        if con.items is not None and list(con.items) != ids:
            missing = [i for i in con.items if i not in ids]
            extra = [i for i in ids if i not in con.items]
            detail = "; ".join(filter(None, [
                f"listed but not measuring it: {', '.join(missing)}" if missing else "",
                f"measuring it but not listed: {', '.join(extra)}" if extra else "",
                "same items in another order" if not missing and not extra else ""]))
            col.add(f"constructs.{cid}.items", "construct.items_mismatch",
                    f"does not match the items whose construct is '{cid}' ({detail})")
        if con.reflective and len(ids) < 3:
            col.add(f"constructs.{cid}", "construct.too_few_items",
                    f"a reflective construct needs at least 3 items; it has {len(ids)} ({', '.join(ids) or 'none'})")
        elif not ids:
            col.add(f"constructs.{cid}", "construct.empty", "no item measures this construct")
    for group, members in cs_groups.items():
        if len(members) < 2:
            col.add(f"{members[0][0]}.constant_sum", "constant_sum.single",
                    f"constant-sum group '{group}' has only one part")
        totals = {m.constant_sum.total for _, m in members}
        if len(totals) > 1:
            col.add(f"{members[-1][0]}.constant_sum.total", "constant_sum.total_mismatch",
                    f"parts of group '{group}' declare different totals {sorted(totals)}")
    # items that failed the schema still count here, so that one typo is reported once
    n_attention += sum("attention_check" in it for it in p.failed_items)
    n_consent += sum(it.get("role") == "consent" for it in p.failed_items)
    if p.sections and n_attention == 0:
        col.add("sections", "attention.none", "no attention check: add at least one item with attention_check")
    if p.sections and n_consent == 0:
        col.add("sections", "consent.none", "no consent item (an item with role: consent)")


def _check_choices(col, langs, path, choices):
    seen = set()
    for ci, ch in enumerate(choices):
        key = str(ch.code)
        if key in seen:
            col.add(f"{path}[{ci}].code", "choices.duplicate_code", f"code {ch.code!r} appears twice")
        seen.add(key)
        if isinstance(ch.code, str) and (not ch.code or any(c.isspace() for c in ch.code)):
            col.add(f"{path}[{ci}].code", "choices.bad_code", f"code {ch.code!r} must be non-empty without spaces")
        elif str(ch.code).strip().lower() in _missing_tokens():
            col.add(f"{path}[{ci}].code", "choices.missing_token",
                    f"code {ch.code!r} reads as a missing answer when the data are cleaned; "
                    "choose another code (e.g. 'no_social_media' rather than 'none')")
        _lang_checks(col, langs, f"{path}[{ci}].label", ch.label, "label")
    if not choices:
        col.add(path, "choices.empty", "a choice list needs at least one option")


#: answers that cleaning reads as missing by default and that look like answer codes (a
#: subset of ``rsnprop.data.rules.DEFAULT_MISSING_TOKENS``: the instrument stage may not
#: import the data stage, a test keeps the two in step)
READ_AS_MISSING = frozenset({"na", "n/a", "nan", "null", "none", "dk", "nsp", "-", "."})


def _missing_tokens() -> frozenset:
    return READ_AS_MISSING


def _item_choices(item, p):
    if isinstance(item.choices, str):
        return p.choice_lists.get(item.choices)
    return item.choices


def _check_item(col, langs, ipath, item, p):
    """Type-specific checks; return the item's resolved (min, max) bounds or None."""
    bounds = None
    if item.type == "likert":
        if item.scale is None:
            col.add(f"{ipath}.scale", "scale.missing", "a likert item needs a scale")
        elif isinstance(item.scale, str):
            if item.scale not in p.scales:
                col.add(f"{ipath}.scale", "scale.unknown", f"scale '{item.scale}' is not defined under scales")
            else:
                s = p.scales[item.scale]
                bounds = (s.min, s.max)
        else:
            bounds = (item.scale.min, item.scale.max)
            if item.scale.min >= item.scale.max:
                col.add(f"{ipath}.scale", "scale.bad_range", "min must be below max")
    elif item.scale is not None:
        col.add(f"{ipath}.scale", "scale.unexpected", f"a {item.type} item takes no scale (use range for numbers)")
    if item.type in ("select_one", "select_multiple"):
        if item.choices is None:
            col.add(f"{ipath}.choices", "choices.missing", f"a {item.type} item needs choices")
        elif isinstance(item.choices, str):
            if item.choices not in p.choice_lists:
                col.add(f"{ipath}.choices", "choices.unknown",
                        f"choice list '{item.choices}' is not defined under choice_lists")
        else:
            _check_choices(col, langs, f"{ipath}.choices", item.choices)
    elif item.choices is not None:
        col.add(f"{ipath}.choices", "choices.unexpected", f"a {item.type} item takes no choices")
    if item.range is not None:
        if item.type not in ("integer", "decimal", "constant_sum"):
            col.add(f"{ipath}.range", "range.unexpected", f"a {item.type} item takes no range")
        elif item.range.min is not None and item.range.max is not None:
            if item.range.min > item.range.max:
                col.add(f"{ipath}.range", "range.bad", f"min ({item.range.min}) exceeds max ({item.range.max})")
            else:
                bounds = (item.range.min, item.range.max)
    if item.reverse and bounds is None:
        col.add(f"{ipath}.reverse", "reverse.non_numeric",
                "reverse keying needs a numeric scale with a minimum and a maximum "
                f"(a likert scale or a range); this {item.type} item has none")
    if (item.type == "constant_sum") != (item.constant_sum is not None):
        col.add(f"{ipath}.constant_sum", "constant_sum.type",
                "constant_sum items need a constant_sum: {group, total} block and vice versa")
    if (item.type == "meta") != (item.meta is not None):
        col.add(f"{ipath}.meta", "meta.type", "meta items need meta: resp_id|duration_sec|survey_year and vice versa")
    if item.construct is not None and item.type not in ("likert", "integer", "decimal"):
        col.add(f"{ipath}.construct", "construct.non_numeric", f"a {item.type} item cannot be scored in a construct")
    if not item.source.refs and not item.source.new:
        col.add(f"{ipath}.source", "source.missing", "cite the source (refs: [...]) or mark the item new: true")
    for ri, ref in enumerate(item.source.refs):
        if ref not in p.references:
            col.add(f"{ipath}.source.refs[{ri}]", "source.unknown_ref", f"reference '{ref}' is not defined under references")
    return bounds


def _check_routing(col, langs, p, items_by_id, sections) -> None:
    seen: set = set()
    for path, rule in p.routing:
        if rule.id in seen:
            col.add(f"{path}.id", "id.duplicate", f"routing rule id '{rule.id}' is used twice")
        seen.add(rule.id)
        conds = _conds(rule.when)
        for ci, cond in enumerate(conds):
            cpath = f"{path}.when" + (f"[{ci}]" if isinstance(rule.when, list) else "")
            _check_condition(col, cpath, cond, items_by_id, None)
        if rule.action == "end":
            if rule.message is None:
                col.add(f"{path}.message", "routing.no_message",
                        "a screen-out (action: end) needs a polite end message in every language")
            else:
                _lang_checks(col, langs, f"{path}.message", rule.message, "end message")
            if rule.skip:
                col.add(f"{path}.skip", "routing.skip_with_end", "'skip' applies to action: skip only")
        for si, sec in enumerate(rule.skip):
            if sec not in sections:
                col.add(f"{path}.skip[{si}]", "routing.unknown_section", f"'{sec}' is not a section id")


def _check_data_protection(col, langs, p, items_by_id) -> None:
    dp = p.data_protection
    if dp is None:
        return
    from .schema import DATA_PROTECTION_FIELDS

    for name in DATA_PROTECTION_FIELDS:
        text = getattr(dp, name)
        for lang in langs:
            if lang not in text:
                col.add(f"data_protection.{name}.{lang}", "lang.missing",
                        f"{name} in language '{lang}' is missing (leave it empty until the study fills it in)")
    for purpose, iid in dp.consent_items.items():
        item = items_by_id.get(iid, (None,))[0]
        if item is None or item.role != "consent":
            col.add(f"data_protection.consent_items.{purpose}", "consent.unknown_item",
                    f"'{iid}' is not a consent item (role: consent) of the instrument")


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
    from .schema import DATA_PROTECTION_FIELDS

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


def _codes_of(item, p):
    choices = _item_choices(item, p)
    return None if choices is None else {str(c.code): c.code for c in choices}


def _check_expected(col, path, item, bounds, p, value):
    if item.type in ("select_one", "select_multiple"):
        codes = _codes_of(item, p)
        if codes is not None and str(value) not in codes:
            col.add(path, "value.not_a_code", f"{value!r} is not a code of the item's choices {list(codes.values())}")
    elif bounds is not None:
        if not _is_num(value) or not bounds[0] <= value <= bounds[1]:
            col.add(path, "value.out_of_range", f"{value!r} is not a valid answer in {bounds[0]}..{bounds[1]}")


def _check_condition(col, path, cond, items_by_id, self_id):
    if cond.item == self_id:
        col.add(f"{path}.item", "show_if.self", "an item cannot depend on itself")
        return
    if cond.item not in items_by_id:
        col.add(f"{path}.item", "show_if.unknown_item",
                f"'{cond.item}' is not an item defined before this point (skip logic must refer to an earlier item)")
        return
    target, bounds = items_by_id[cond.item]
    if cond.op == "answered":
        return
    if cond.value is None:
        col.add(f"{path}.value", "show_if.missing_value", f"operator '{cond.op}' needs a value")
        return
    if cond.op in ("selected", "not_selected"):
        if target.type != "select_multiple":
            col.add(f"{path}.op", "show_if.bad_operator", f"'{cond.op}' applies to select_multiple items; '{cond.item}' is {target.type}")
            return
    elif cond.op in ("gt", "ge", "lt", "le"):
        numeric_select = target.type == "select_one" and target.choices is not None
        if target.type not in ("likert", "integer", "decimal", "constant_sum") and not numeric_select:
            col.add(f"{path}.op", "show_if.bad_operator", f"'{cond.op}' needs a numeric item; '{cond.item}' is {target.type}")
            return
        if not _is_num(cond.value):
            col.add(f"{path}.value", "show_if.bad_value", f"{cond.value!r} is not a number")
            return
    elif target.type == "select_multiple":
        col.add(f"{path}.op", "show_if.bad_operator", f"use 'selected' for the select_multiple item '{cond.item}'")
        return
    col_items = _ParsedRef.current
    if target.type in ("select_one", "select_multiple") and col_items is not None:
        codes = _codes_of(target, col_items)
        if codes is not None and str(cond.value) not in codes:
            col.add(f"{path}.value", "show_if.bad_value",
                    f"{cond.value!r} is not a code of '{cond.item}' (codes: {list(codes.values())})")
    elif bounds is not None and _is_num(cond.value) and not bounds[0] <= cond.value <= bounds[1]:
        col.add(f"{path}.value", "show_if.bad_value", f"{cond.value!r} lies outside {bounds[0]}..{bounds[1]} of '{cond.item}'")


class _ParsedRef:
    current: Parsed | None = None


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
        import pandas as pd

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
        from ..errors import InstrumentError

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
