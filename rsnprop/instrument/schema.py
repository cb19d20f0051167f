"""Pydantic models of the instrument YAML (the *specification* layer).

These models mirror the YAML file one to one and reject unknown keys, so that a typo in
the instrument is reported with its YAML path.  Cross-references (an item naming a scale,
a choice list, a construct, a reference or another item in its skip logic) are checked in
:mod:`rsnprop.instrument.validate`; the resolved, convenient objects used by the rest of
the package are built in :mod:`rsnprop.instrument.model`.

Layout of the YAML file::

    instrument:   name, version, title{lang}, description{lang}, languages, default_language,
                  citation, licence
    references:   key -> full citation
    reference_checks: key -> how the reference was checked (and what was found)
    scales:       name -> {min, max, labels{value -> {lang}}}
    choice_lists: name -> [{code, label{lang}}]
    constructs:   id -> {label{lang}, definition{lang}, reflective, scoring, note}
    data_protection: controller, purpose, legal_basis, data_stored, retention, rights,
                  contact, dpo ({lang} each), consent_items{purpose -> item}
    routing:      [{id, when, action: end|skip, skip: [section ids], message{lang}}]
    sections:     [{id, title{lang}, intro{lang}, show_if, items: [item, ...]}]

Examples
--------
>>> from rsnprop.instrument.schema import ItemSpec
>>> item = ItemSpec.model_validate({"id": "rel_1", "type": "likert", "scale": "agree7",
...     "construct": "relational", "text": {"en": "...", "fr": "..."}, "source": {"new": True}})
>>> item.reverse, item.required
(False, False)
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ITEM_TYPES", "OPERATORS", "LangText", "MetadataSpec", "ScaleSpec", "ChoiceSpec",
    "ConstructSpec", "ConditionSpec", "SourceSpec", "AttentionSpec", "ConstantSumSpec",
    "RangeSpec", "ScreeningSpec", "ItemSpec", "SectionSpec", "InstrumentSpec", "RoutingSpec",
    "DataProtectionSpec", "DATA_PROTECTION_FIELDS",
]

#: item types understood by the loader and every exporter
ITEM_TYPES = ("likert", "integer", "decimal", "select_one", "select_multiple", "text",
              "constant_sum", "meta")
#: skip-logic operators (``selected``/``not_selected`` are for select_multiple items)
OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "selected", "not_selected", "answered")

ID_PATTERN = r"^[a-z][a-z0-9_]*$"

#: text in several languages: language code -> text
LangText = dict[str, str]
Code = Union[int, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetadataSpec(_Strict):
    """The ``instrument:`` block: identity, languages, citation and licence."""

    name: str = Field(pattern=ID_PATTERN)
    version: str
    title: LangText
    description: LangText | None = None
    languages: list[str] = Field(min_length=1)
    default_language: str
    citation: str
    licence: str
    estimated_minutes: int | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) else v


class ScaleSpec(_Strict):
    """A numeric response scale (Likert-type): integer points ``min..max`` with anchors."""

    min: int
    max: int
    labels: dict[int, LangText] = Field(default_factory=dict)


class ChoiceSpec(_Strict):
    """One answer option: the code stored in the data and its label per language."""

    code: Code
    label: LangText
    #: an answer that excludes every other option of a select_multiple ("none of these")
    exclusive: bool = False


class ConstructSpec(_Strict):
    """A construct (latent variable or index) measured by the items that name it."""

    label: LangText
    definition: LangText
    reflective: bool = True
    scoring: Literal["mean", "sum", "none"] = "mean"
    #: optional explicit list; when given it must equal the items that name this construct
    items: list[str] | None = None
    note: str | None = None


class ConditionSpec(_Strict):
    """One skip-logic condition: show the question when ``item op value`` holds."""

    item: str
    op: Literal[OPERATORS] = "eq"  # type: ignore[valid-type]
    value: Any = None


class SourceSpec(_Strict):
    """Where an item comes from: reference keys it is adapted from, or ``new: true``.

    ``status`` says how the wording relates to the source (``verbatim``, ``adapted`` with
    ``adaptation`` saying how, or ``new``); ``locator`` points into the source (scale, table,
    item number); ``checked`` records how the reference was verified (or that it was not).
    """

    refs: list[str] = Field(default_factory=list)
    new: bool = False
    note: str | None = None
    status: Literal["verbatim", "adapted", "new"] | None = None
    locator: str | None = None
    adaptation: str | None = None
    checked: str | None = None


class AttentionSpec(_Strict):
    """An attention check and the answer an attentive respondent gives."""

    expected: Code
    kind: Literal["instructed_response", "bogus_item"] = "instructed_response"


class ConstantSumSpec(_Strict):
    """Membership of a constant-sum group: all parts of ``group`` add up to ``total``."""

    group: str = Field(pattern=ID_PATTERN)
    total: float = 100


class RangeSpec(_Strict):
    """Allowed range of a numeric answer."""

    min: float | None = None
    max: float | None = None


class ScreeningSpec(_Strict):
    """A screening question: respondents are eligible only with one of these answers."""

    eligible: list[Code] = Field(min_length=1)


with warnings.catch_warnings():  # the field `construct` shadows BaseModel.construct (deprecated)
    warnings.simplefilter("ignore", UserWarning)

    class ItemSpec(_Strict):
        """One question (item) of the instrument."""

        id: str = Field(pattern=ID_PATTERN)
        type: Literal[ITEM_TYPES]  # type: ignore[valid-type]
        text: LangText
        hint: LangText | None = None
        construct: str | None = None
        dimension: str | None = None
        role: Literal["measure", "consent", "screening", "classification", "attention", "rsn_use",
                      "cross_check", "meta", "other"] | None = None
        scale: str | ScaleSpec | None = None
        choices: str | list[ChoiceSpec] | None = None
        range: RangeSpec | None = None
        unit: str | None = None
        reverse: bool = False
        required: bool = False
        pii: bool = False
        attention_check: AttentionSpec | None = None
        screening: ScreeningSpec | None = None
        show_if: ConditionSpec | list[ConditionSpec] | None = None
        constant_sum: ConstantSumSpec | None = None
        meta: Literal["resp_id", "duration_sec", "survey_year"] | None = None
        platform: str | None = None
        codes: dict[str, str] = Field(default_factory=dict)
        source: SourceSpec


class RoutingSpec(_Strict):
    """A routing rule: when every ``when`` condition holds, end the survey (screen-out, with
    a polite ``message``) or skip the rest of the trigger's section and the sections listed
    in ``skip``.  ``id`` is the reason code counted in the cleaning log (``not_sme``)."""

    id: str = Field(pattern=ID_PATTERN)
    when: ConditionSpec | list[ConditionSpec]
    action: Literal["end", "skip"] = "end"
    skip: list[str] = Field(default_factory=list)
    message: LangText | None = None


#: the data-protection fields (GDPR art. 13) shown before consent, in this order
DATA_PROTECTION_FIELDS = ("controller", "purpose", "legal_basis", "data_stored", "retention",
                          "rights", "contact", "dpo")


class DataProtectionSpec(_Strict):
    """Study-specific data-protection information (GDPR/RGPD art. 13) shown before consent.

    The shipped instrument leaves the values empty: each study fills them in its own copy;
    an export meant for fielding (``rsnprop instrument export --fielding``) refuses empty ones.
    """

    controller: LangText
    purpose: LangText
    legal_basis: LangText
    data_stored: LangText
    retention: LangText
    rights: LangText
    contact: LangText
    dpo: LangText
    #: purpose -> consent item asking for it (one consent item per purpose)
    consent_items: dict[str, str] = Field(default_factory=dict)


class SectionSpec(_Strict):
    """A section (page, group, block) of the questionnaire."""

    id: str = Field(pattern=ID_PATTERN)
    title: LangText
    intro: LangText | None = None
    show_if: ConditionSpec | list[ConditionSpec] | None = None
    items: list[ItemSpec] = Field(default_factory=list)


class InstrumentSpec(_Strict):
    """The whole instrument file."""

    instrument: MetadataSpec
    references: dict[str, str] = Field(default_factory=dict)
    #: reference key -> how it was checked (exists? says what the items claim?)
    reference_checks: dict[str, str] = Field(default_factory=dict)
    scales: dict[str, ScaleSpec] = Field(default_factory=dict)
    choice_lists: dict[str, list[ChoiceSpec]] = Field(default_factory=dict)
    constructs: dict[str, ConstructSpec] = Field(default_factory=dict)
    data_protection: DataProtectionSpec | None = None
    routing: list[RoutingSpec] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(min_length=1)
