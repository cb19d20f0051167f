"""Load an instrument YAML into a validated :class:`~rsnprop.instrument.model.Instrument`.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> ins.name, ins.languages, len(ins.hash)
('rsn_internationalisation', ['en', 'fr'], 64)
"""

from __future__ import annotations

import os
from dataclasses import replace

from .hashing import content_hash
from .model import (
    AttentionCheck,
    Condition,
    ConstantSum,
    Construct,
    Instrument,
    Item,
    RoutingRule,
    Scale,
    Section,
    Source,
)
from .validate import add_lines, read_yaml_nodes, validate_data

__all__ = ["load_instrument", "build_instrument", "DEFAULT_INSTRUMENT"]

#: the validated instrument shipped with the package: a copy of the repository's
#: ``instruments/rsn_internationalisation.yaml`` (``make package-data`` refreshes it)
DEFAULT_INSTRUMENT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "datasets",
                                                   "rsn_internationalisation.yaml"))

_ROLE_DEFAULTS = {"meta": "meta"}


def load_instrument(path: str | os.PathLike | dict | None = None) -> Instrument:
    """Read, validate and resolve an instrument.

    Parameters
    ----------
    path : path-like or dict, optional
        The instrument YAML file, or its already-parsed content.  Defaults to the validated
        instrument shipped with the package (:data:`DEFAULT_INSTRUMENT`, a copy of the
        repository's ``instruments/rsn_internationalisation.yaml``): works from any folder.

    Returns
    -------
    Instrument
        With ``name, version, hash, languages, constructs, items, sections``.

    Raises
    ------
    MissingFileError
        The file does not exist.
    InstrumentError
        The file fails schema or semantic validation; ``err.problems`` lists *every*
        problem (YAML path and reason).

    Examples
    --------
    >>> ins = load_instrument()            # the packaged instrument, from any folder
    >>> ins.constructs["risk_reduction"].items
    ['rsk_1', 'rsk_2', 'rsk_3', 'rsk_4']
    """

    if path is None:
        path = DEFAULT_INSTRUMENT
    if isinstance(path, dict):
        raw, dups, name, node = path, [], "<dict>", None
    else:
        raw, dups, node = read_yaml_nodes(path)
        name = str(path)
    report, parsed = validate_data(raw, name, dups)
    add_lines(report.problems, node)
    report.raise_if_invalid()
    return build_instrument(parsed.spec, path=None if isinstance(path, dict) else str(path))


def _conds(show_if) -> tuple:
    if show_if is None:
        return ()
    seq = show_if if isinstance(show_if, list) else [show_if]
    return tuple(Condition(c.item, c.op, c.value) for c in seq)


def _pick(text: dict | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or next(iter(text.values()))


def build_instrument(spec, path: str | None = None) -> Instrument:
    """Resolve a *valid* :class:`~rsnprop.instrument.schema.InstrumentSpec` into an Instrument."""

    meta = spec.instrument
    lang = meta.default_language
    scales = {name: Scale(s.min, s.max, {k: dict(v) for k, v in s.labels.items()}, name)
              for name, s in spec.scales.items()}
    items: dict[str, Item] = {}
    sections: list[Section] = []
    for sec in spec.sections:
        sec_ids = []
        for it in sec.items:
            scale = None
            if it.type == "likert":
                scale = scales[it.scale] if isinstance(it.scale, str) else Scale(
                    it.scale.min, it.scale.max, {k: dict(v) for k, v in it.scale.labels.items()})
            elif it.range is not None:
                scale = Scale(it.range.min, it.range.max)
            elif it.type == "constant_sum":
                scale = Scale(0, it.constant_sum.total)
            choice_list = it.choices if isinstance(it.choices, str) else None
            choice_specs = spec.choice_lists[it.choices] if choice_list else (it.choices or [])
            role = it.role or ("measure" if it.construct else
                               "attention" if it.attention_check else _ROLE_DEFAULTS.get(it.type, "other"))
            items[it.id] = Item(
                id=it.id, type=it.type, text=dict(it.text), section=sec.id, role=role,
                construct=it.construct, dimension=it.dimension,
                hint=dict(it.hint) if it.hint else None, scale=scale, choice_list=choice_list,
                choices={c.code: _pick(c.label, lang) for c in choice_specs},
                choice_labels={c.code: dict(c.label) for c in choice_specs},
                unit=it.unit, reverse=it.reverse, required=it.required, pii=it.pii,
                attention_check=(AttentionCheck(it.attention_check.expected, it.attention_check.kind)
                                 if it.attention_check else None),
                screening_eligible=tuple(it.screening.eligible) if it.screening else None,
                show_if=_conds(sec.show_if) + _conds(it.show_if),
                constant_sum=(ConstantSum(it.constant_sum.group, it.constant_sum.total)
                              if it.constant_sum else None),
                meta=it.meta, platform=it.platform, codes=dict(it.codes),
                source=Source(tuple(it.source.refs),
                              tuple(spec.references[r] for r in it.source.refs),
                              it.source.new, it.source.note, it.source.status,
                              it.source.locator, it.source.adaptation,
                              it.source.checked or _checked(it.source.refs, spec.reference_checks)),
                exclusive=tuple(c.code for c in choice_specs if c.exclusive),
            )
            sec_ids.append(it.id)
        sections.append(Section(sec.id, dict(sec.title), dict(sec.intro) if sec.intro else None,
                                _conds(sec.show_if), sec_ids))
    routing = _routing(spec, items, sections)
    for rule in routing:
        for iid in rule.hides:
            it = items[iid]
            items[iid] = replace(it, routed_by=it.routed_by + (rule.id,))
    constructs = {}
    for cid, c in spec.constructs.items():
        ids = [i.id for i in items.values() if i.construct == cid]
        constructs[cid] = Construct(
            id=cid, label=_pick(c.label, lang), definition=_pick(c.definition, lang), items=ids,
            reflective=c.reflective, scoring=c.scoring, labels=dict(c.label),
            definitions=dict(c.definition), note=c.note,
            reverse_items=[i for i in ids if items[i].reverse])
    return Instrument(
        name=meta.name, version=meta.version, hash=content_hash(spec), title=dict(meta.title),
        description=dict(meta.description) if meta.description else None,
        languages=list(meta.languages), default_language=lang, citation=meta.citation,
        licence=meta.licence, references=dict(spec.references), constructs=constructs,
        reference_checks=dict(spec.reference_checks),
        items=items, sections=sections, spec=spec, path=path, routing=routing,
        data_protection=(spec.data_protection.model_dump() if spec.data_protection else None))


def _checked(refs, checks: dict) -> str | None:
    """``key: verdict`` per reference (the text before the first colon of its check)."""
    if not refs:
        return None
    return "; ".join(f"{r}: {checks[r].split(':')[0]}" if r in checks else f"{r}: not checked"
                     for r in refs)


def _routing(spec, items: dict, sections: list) -> list:
    """Resolve the routing rules: trigger item and the items each rule hides."""
    order = list(items)
    out = []
    for r in spec.routing:
        conds = _conds(r.when)
        trigger = max((c.item for c in conds), key=order.index)
        after = order[order.index(trigger) + 1:]
        if r.action == "end":
            hides = [i for i in after if items[i].type != "meta"]
        else:
            sec = items[trigger].section
            hides = [i for i in after if items[i].section == sec or items[i].section in r.skip]
        out.append(RoutingRule(r.id, conds, r.action, trigger, tuple(hides), tuple(r.skip),
                               dict(r.message or {})))
    return out


