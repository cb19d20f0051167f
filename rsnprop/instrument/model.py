"""Resolved instrument objects used by the rest of the package.

:func:`rsnprop.instrument.load_instrument` returns an :class:`Instrument` whose
``items`` and ``constructs`` are plain objects with every reference resolved: an item's
``scale`` is a :class:`Scale` (``.min``, ``.max``), its ``choices`` a dict code -> label
(in the default language), its ``source`` a :class:`Source` with full citations.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> item = ins.items["ia_2"]
>>> item.type, item.construct, item.reverse, (item.scale.min, item.scale.max)
('likert', 'intl_approach', True, (1, 7))
>>> ins.constructs["relational"].items[:3]
['rel_1', 'rel_2', 'rel_3']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Scale", "AttentionCheck", "Condition", "Source", "ConstantSum", "RoutingRule", "Item",
           "Construct", "Section", "Instrument", "NUMERIC_TYPES"]

#: item types whose answers are numbers
NUMERIC_TYPES = ("likert", "integer", "decimal", "constant_sum")


@dataclass(frozen=True, eq=False)
class Scale:
    """Numeric bounds of an answer (``labels``: value -> {lang: anchor})."""

    min: float | None
    max: float | None
    labels: dict = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class AttentionCheck:
    """Attention check: the answer an attentive respondent gives."""

    expected: Any
    kind: str = "instructed_response"


@dataclass(frozen=True)
class Condition:
    """Skip-logic condition ``item op value`` (see ``schema.OPERATORS``)."""

    item: str
    op: str
    value: Any = None

    def __str__(self) -> str:
        return f"{self.item} {self.op} {self.value!r}" if self.op != "answered" else f"{self.item} answered"


@dataclass(frozen=True)
class Source:
    """Provenance of an item: reference keys, full citations, new-item flag, note."""

    refs: tuple = ()
    citations: tuple = ()
    new: bool = False
    note: str | None = None
    status: str | None = None
    locator: str | None = None
    adaptation: str | None = None
    checked: str | None = None

    def __str__(self) -> str:
        parts = []
        new = self.new or self.status == "new"
        if self.refs:
            parts.append(("new item based on " if new else "adapted from ") + "; ".join(self.refs))
        elif new:
            parts.append("new item")
        if self.note:
            parts.append(self.note)
        return ". ".join(parts)


@dataclass(frozen=True)
class RoutingRule:
    """Routing: when every condition holds, ``end`` the survey or ``skip`` items.

    ``trigger`` is the last item the conditions refer to; ``hides`` the ids of the items
    the rule hides (every later item for ``end``; the rest of the trigger's section and the
    listed sections for ``skip``).
    """

    id: str
    conditions: tuple
    action: str = "end"
    trigger: str = ""
    hides: tuple = ()
    skip: tuple = ()
    message: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ConstantSum:
    """Constant-sum group membership."""

    group: str
    total: float


@dataclass(frozen=True, eq=False)
class Item:
    """One question with every reference resolved."""

    id: str
    type: str
    text: dict
    section: str
    role: str
    construct: str | None = None
    dimension: str | None = None
    hint: dict | None = None
    scale: Scale | None = None
    choice_list: str | None = None
    choices: dict = field(default_factory=dict)
    choice_labels: dict = field(default_factory=dict)
    unit: str | None = None
    reverse: bool = False
    required: bool = False
    pii: bool = False
    attention_check: AttentionCheck | None = None
    screening_eligible: tuple | None = None
    show_if: tuple = ()
    constant_sum: ConstantSum | None = None
    meta: str | None = None
    platform: str | None = None
    codes: dict = field(default_factory=dict)
    source: Source = field(default_factory=Source)
    #: ids of the routing rules that hide this item when they fire
    routed_by: tuple = ()
    #: option codes that exclude the others (select_multiple "none")
    exclusive: tuple = ()

    @property
    def numeric(self) -> bool:
        """True when answers are numbers (numeric type, or select_one with integer codes)."""
        if self.type in NUMERIC_TYPES:
            return True
        if self.type == "select_one" and self.choices:
            return all(isinstance(c, int) and not isinstance(c, bool) for c in self.choices)
        return self.meta in ("duration_sec", "survey_year")

    def label(self, lang: str | None = None) -> str:
        """Question text in ``lang`` (default: English if present, else the first language)."""
        if lang and lang in self.text:
            return self.text[lang]
        return self.text.get("en") or next(iter(self.text.values()), "")


@dataclass(frozen=True, eq=False)
class Construct:
    """A construct and the ids of its items, in questionnaire order."""

    id: str
    label: str
    definition: str
    items: list
    reflective: bool = True
    scoring: str = "mean"
    labels: dict = field(default_factory=dict)
    definitions: dict = field(default_factory=dict)
    note: str | None = None
    reverse_items: list = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class Section:
    """A questionnaire section (group/page/block)."""

    id: str
    title: dict
    intro: dict | None
    show_if: tuple
    items: list


@dataclass(eq=False)
class Instrument:
    """A loaded, validated instrument.

    Attributes
    ----------
    name, version, hash : str
        Identity; ``hash`` is the sha256 of the canonical JSON dump of the parsed content.
    languages : list of str
    items : dict id -> Item (questionnaire order)
    constructs : dict id -> Construct
    sections : list of Section
    references : dict key -> citation
    spec : InstrumentSpec
        The parsed specification (what the hash is computed from).
    """

    name: str
    version: str
    hash: str
    title: dict
    description: dict | None
    languages: list
    default_language: str
    citation: str
    licence: str
    references: dict
    constructs: dict
    items: dict
    sections: list
    spec: Any = None
    path: str | None = None
    routing: list = field(default_factory=list)
    data_protection: dict | None = None
    reference_checks: dict = field(default_factory=dict)

    def provenance(self) -> dict:
        """``{"name", "version", "hash"}``: what every output records about the instrument."""
        return {"name": self.name, "version": self.version, "hash": self.hash}

    def text(self, item_id: str, lang: str | None = None) -> str:
        """Text of an item in ``lang`` (default language when omitted)."""
        return self.items[item_id].label(lang or self.default_language)

    @property
    def attention_checks(self) -> dict:
        """Attention-check item id -> expected answer."""
        return {i.id: i.attention_check.expected for i in self.items.values() if i.attention_check}

    @property
    def constant_sum_groups(self) -> dict:
        """Constant-sum group id -> its items, in questionnaire order."""
        groups: dict[str, list] = {}
        for item in self.items.values():
            if item.constant_sum is not None:
                groups.setdefault(item.constant_sum.group, []).append(item)
        return groups

    def asked_sections(self) -> list:
        """``(section, items)`` for every section with a question a respondent sees (meta
        fields such as durations left out), in questionnaire order: what each platform export
        writes as a group, block or page."""
        out = []
        for sec in self.sections:
            items = [self.items[i] for i in sec.items if self.items[i].type != "meta"]
            if items:
                out.append((sec, items))
        return out

    def __repr__(self) -> str:
        return (f"Instrument(name={self.name!r}, version={self.version!r}, "
                f"items={len(self.items)}, constructs={list(self.constructs)}, hash={self.hash[:12]}...)")
