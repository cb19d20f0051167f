"""Semantic checks of an instrument's parsed pieces (the second half of validation).

:func:`rsnprop.instrument.validate.parse` turns the YAML into pieces that passed the schema;
:func:`check` runs the semantic checks on every piece and records each problem in the
collector: languages complete; unique item and section ids; scales, choice lists and
constructs referenced exist and are well formed; reverse keying only on bounded numeric
items; skip logic refers to an *earlier* item with a fitting operator and value; attention
checks and screening answers are valid answers; constant-sum groups; sources cite known
references; consent and data protection; LimeSurvey codes do not collide.

Examples
--------
>>> from rsnprop.instrument.validate import read_yaml, validate_data
>>> raw, _ = read_yaml("instruments/rsn_internationalisation.yaml")
>>> raw["scales"]["agree7"]["min"] = 9
>>> report, parsed = validate_data(raw)
>>> [p["message"] for p in report.problems][:2]
['scales.agree7: min (9) must be below max (7)', 'scales.agree7.labels.1: anchor 1 lies outside 9..7']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .exporters.codes import limesurvey_code
from .schema import DATA_PROTECTION_FIELDS

if TYPE_CHECKING:
    from .validate import Parsed, _Collector

__all__ = ["check", "READ_AS_MISSING"]


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


@dataclass
class _Walk:
    """What the walk through the sections has seen so far (ids, items, groups, counts)."""

    seen_items: dict = field(default_factory=dict)  # item id -> YAML path of its first use
    seen_sections: dict = field(default_factory=dict)  # section id -> YAML path
    items_by_id: dict = field(default_factory=dict)  # item id -> (ItemSpec, bounds)
    construct_items: dict = field(default_factory=dict)  # construct id -> [item ids]
    cs_groups: dict = field(default_factory=dict)  # constant-sum group -> [(path, ItemSpec)]
    ls_codes: dict = field(default_factory=dict)  # LimeSurvey question code -> item id
    n_attention: int = 0
    n_consent: int = 0


def check(p: Parsed, col: _Collector) -> None:
    """Run the semantic checks on the parsed pieces, recording problems in ``col``."""
    langs = list(p.meta.languages) if p.meta else []
    _check_metadata(col, langs, p)
    _check_definitions(col, langs, p)
    walk = _Walk(construct_items={c: [] for c in p.constructs})
    for spath, sec, items in p.sections:
        if sec is not None:
            _check_section_head(col, langs, spath, sec, walk)
        for ipath, item in items:
            _check_item_in_order(col, langs, ipath, item, p, walk)
    _check_reference_checks(col, p)
    _check_routing(col, langs, p, walk.items_by_id, walk.seen_sections)
    _check_data_protection(col, langs, p, walk.items_by_id)
    _check_construct_membership(col, p, walk.construct_items)
    _check_constant_sum_groups(col, walk.cs_groups)
    _check_required_roles(col, p, walk)


def _check_metadata(col, langs, p) -> None:
    if not p.meta:
        return
    if p.meta.default_language not in p.meta.languages:
        col.add("instrument.default_language", "lang.default_missing",
                f"'{p.meta.default_language}' is not one of instrument.languages {langs}")
    if len(set(langs)) != len(langs):
        col.add("instrument.languages", "lang.duplicate", "a language is listed twice")
    _lang_checks(col, langs, "instrument.title", p.meta.title, "title")
    if p.meta.description is not None:
        _lang_checks(col, langs, "instrument.description", p.meta.description, "description")


def _check_definitions(col, langs, p) -> None:
    """Scales, choice lists and construct labels (the blocks items refer to)."""
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


def _check_section_head(col, langs, spath, sec, walk: _Walk) -> None:
    if sec.id in walk.seen_sections:
        col.add(f"{spath}.id", "id.duplicate", f"section id '{sec.id}' already used at {walk.seen_sections[sec.id]}")
    elif sec.id in walk.seen_items:  # XLSForm (pyxform) needs names unique in the survey
        col.add(f"{spath}.id", "id.duplicate", f"section id '{sec.id}' is also an item id "
                f"({walk.seen_items[sec.id]}): every name must be unique in the survey")
    walk.seen_sections.setdefault(sec.id, spath)
    _lang_checks(col, langs, f"{spath}.title", sec.title, "title")
    if sec.intro is not None:
        _lang_checks(col, langs, f"{spath}.intro", sec.intro, "intro")
    for ci, cond in enumerate(_conds(sec.show_if)):
        cpath = f"{spath}.show_if" + (f"[{ci}]" if isinstance(sec.show_if, list) else "")
        _check_condition(col, cpath, cond, walk.items_by_id, None)


def _check_item_in_order(col, langs, ipath, item, p, walk: _Walk) -> None:
    """Check one item in the survey's order (its conditions may refer to earlier items only)."""
    if item.id in walk.seen_items:
        col.add(f"{ipath}.id", "id.duplicate", f"item id '{item.id}' already used at {walk.seen_items[item.id]}")
    elif item.id in walk.seen_sections:  # XLSForm (pyxform) needs names unique in the survey
        col.add(f"{ipath}.id", "id.duplicate", f"item id '{item.id}' is also a section id "
                f"({walk.seen_sections[item.id]}): every name must be unique in the survey")
    walk.seen_items.setdefault(item.id, ipath)
    _lang_checks(col, langs, f"{ipath}.text", item.text, "text")
    if item.hint is not None:
        _lang_checks(col, langs, f"{ipath}.hint", item.hint, "hint")
    bounds = _check_item(col, langs, ipath, item, p)
    for ci, cond in enumerate(_conds(item.show_if)):
        cpath = f"{ipath}.show_if" + (f"[{ci}]" if isinstance(item.show_if, list) else "")
        _check_condition(col, cpath, cond, walk.items_by_id, item.id)
    _check_item_roles(col, ipath, item, bounds, p, walk)
    _check_limesurvey_code(col, ipath, item, walk)
    if item.id not in walk.items_by_id:
        walk.items_by_id[item.id] = (item, bounds)


def _check_item_roles(col, ipath, item, bounds, p, walk: _Walk) -> None:
    """Construct membership, attention check, screening, consent and constant-sum group."""
    if item.construct is not None:
        if item.construct not in p.constructs:
            col.add(f"{ipath}.construct", "construct.unknown",
                    f"construct '{item.construct}' is not defined under constructs")
        else:
            walk.construct_items[item.construct].append(item.id)
    if item.attention_check is not None:
        walk.n_attention += 1
        _check_expected(col, f"{ipath}.attention_check.expected", item, bounds, p,
                        item.attention_check.expected)
        if item.construct is not None:
            col.add(f"{ipath}.construct", "attention.in_construct",
                    "an attention check must not belong to a construct (it would enter the score)")
    if item.screening is not None:
        for v in item.screening.eligible:
            _check_expected(col, f"{ipath}.screening.eligible", item, bounds, p, v)
    if item.role == "consent":
        walk.n_consent += 1
    if item.constant_sum is not None:
        walk.cs_groups.setdefault(item.constant_sum.group, []).append((ipath, item))


def _check_limesurvey_code(col, ipath, item, walk: _Walk) -> None:
    code = item.codes.get("limesurvey") or limesurvey_code(item.id)
    if len(code) > 20:
        col.add(f"{ipath}.codes", "codes.too_long",
                f"LimeSurvey question code '{code}' exceeds 20 characters; "
                "set codes: {limesurvey: ...} (letters and digits, at most 20)")
    if code in walk.ls_codes and item.id not in walk.items_by_id:
        col.add(f"{ipath}.codes", "codes.collision",
                f"LimeSurvey question code '{code}' is also the code of item '{walk.ls_codes[code]}'; "
                "set codes: {limesurvey: ...} on one of them")
    walk.ls_codes.setdefault(code, item.id)


def _check_reference_checks(col, p) -> None:
    for key in p.reference_checks:
        if key not in p.references:
            col.add(f"reference_checks.{key}", "source.unknown_ref", f"'{key}' is not defined under references")
    if p.reference_checks:
        for key in p.references:
            if key not in p.reference_checks:
                col.add(f"references.{key}", "source.unchecked",
                        "say under reference_checks how this reference was checked (or that it was not)")


def _check_construct_membership(col, p, construct_items: dict) -> None:
    """Each construct's item list matches its items; reflective constructs have 3 or more."""
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


def _check_constant_sum_groups(col, cs_groups: dict) -> None:
    for group, members in cs_groups.items():
        if len(members) < 2:
            col.add(f"{members[0][0]}.constant_sum", "constant_sum.single",
                    f"constant-sum group '{group}' has only one part")
        totals = {m.constant_sum.total for _, m in members}
        if len(totals) > 1:
            col.add(f"{members[-1][0]}.constant_sum.total", "constant_sum.total_mismatch",
                    f"parts of group '{group}' declare different totals {sorted(totals)}")


def _check_required_roles(col, p, walk: _Walk) -> None:
    """At least one attention check and one consent item."""
    # items that failed the schema still count here, so that one typo is reported once
    n_attention = walk.n_attention + sum("attention_check" in it for it in p.failed_items)
    n_consent = walk.n_consent + sum(it.get("role") == "consent" for it in p.failed_items)
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
