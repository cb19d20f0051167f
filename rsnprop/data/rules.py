"""``CleaningRules``: the ``cleaning:`` section of the study plan, with documented defaults.

Every threshold that decides whether a firm counts lives here, so that it is preregistered in
``analysis/study.yaml`` and recorded (with its values) in the cleaning log.

Exclusion rule (documented, the default):

1. no consent -> excluded (``no_consent``); its answers are never processed further;
2. duplicate respondent id or duplicate submission -> later copies excluded
   (``duplicate_id``, ``duplicate_submission``);
3. not eligible -> excluded (``not_sme``, ``not_internationalised``, ``not_decision_maker``);
   unknown eligibility (missing facts) is a warning unless ``eligibility.unknown="exclude"``;
4. careless responding: failing more than ``careless.max_failed_attention`` attention checks
   (``attention_check``), or speeding (``speeding``: duration below
   ``min_duration_sec`` or below ``min_duration_ratio`` x the median) -> excluded; each index
   (longstring, IRV, Mahalanobis, pattern, even-odd, person-total, psychometric
   synonyms/antonyms) sets a flag when its threshold is not ``None``. A firm is excluded as
   ``careless_indices`` when the flag of a *decisive* index is set (``careless.decisive``:
   by default a run of identical answers over half the items, no variance at all (over all
   items or over a quarter of them), a Mahalanobis distance beyond the chi-square 1 - ``mahad_alpha`` quantile, or answers
   following one pattern), or when at least ``careless.min_index_flags`` of the other
   (weak) flags are set (multiple hurdles, Curran 2016). The defaults and the multiverse
   variants come from the simulation study in docs/careless.md (Meade & Craig 2012;
   Goldammer et al. 2020). Psychometric synonyms/antonyms are computed and reported but
   set no flag by default (with few constructs they separate careless from attentive
   respondents poorly).
5. too many missing answers: more than ``max_missing_share`` of the construct items missing
   (``too_many_missing``).

Examples
--------
>>> from rsnprop.data.rules import CleaningRules
>>> r = CleaningRules.from_any({"careless": {"min_duration_ratio": 0.25}})
>>> r.careless.min_duration_ratio, r.careless.longstring_max_share
(0.25, 0.5)
>>> CleaningRules.from_any({"carelss": {}})
Traceback (most recent call last):
...
rsnprop.errors.PlanError: parameter 'cleaning.carelss': Extra inputs are not permitted
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import PlanError

__all__ = ["CleaningRules", "CarelessRules", "EligibilityRules", "ClassificationRules"]

DEFAULT_MISSING_TOKENS = (
    "na", "n/a", "n.a.", "nan", "null", "none", "-", ".", "dk", "d/k", "don't know",
    "dont know", "do not know", "not applicable", "not sure", "no answer", "prefer not to say",
    "refused", "ne sait pas", "nsp", "sans objet", "non applicable", "weiß nicht",
    "keine angabe", "-99", "-98", "-97", "-9", "-8", "-1",
)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CarelessRules(_Base):
    """Thresholds of the careless-responding screen (see the module docstring for the rule)."""

    max_failed_attention: int = Field(0, ge=0, description=(
        "a firm failing more attention checks than this is excluded; 0 = any failure excludes"))
    attention_missing_is_failure: bool = Field(False, description=(
        "count an unanswered attention check as failed"))
    min_duration_sec: float | None = Field(None, ge=0, description=(
        "absolute minimum completion time in seconds (None: not used)"))
    min_duration_ratio: float | None = Field(0.45, ge=0, le=1, description=(
        "speeders: duration below this share of the median duration (Greszki et al. 2015; "
        "Leiner 2019; 0.45 from the simulation study in docs/careless.md)"))
    longstring_max_share: float | None = Field(0.5, gt=0, le=1, description=(
        "flag when the longest run of identical answers exceeds this share of the Likert items"))
    irv_min: float | None = Field(None, ge=0, description=(
        "flag when the intra-individual SD of Likert answers is below this (None: only 0)"))
    mahad_alpha: float | None = Field(0.001, gt=0, lt=1, description=(
        "flag when Mahalanobis D2 exceeds the chi-square (1 - alpha) quantile, df = n items"))
    evenodd_max: float | None = Field(0.0, description=(
        "flag when the even-odd index (careless >= 1.2: negated Spearman-Brown corrected "
        "correlation, higher = more careless) exceeds this"))
    psychsyn_critval: float = Field(0.6, gt=0, lt=1, description=(
        "item pairs correlating above this (across firms) are psychometric synonyms"))
    psychsyn_min: float | None = Field(None, description=(
        "flag when the within-person synonym correlation is below this (None: computed and "
        "reported, no flag: with few constructs the index separates careless from attentive "
        "respondents poorly, see the cleaning log)"))
    psychant_critval: float = Field(-0.6, gt=-1, lt=0, description=(
        "item pairs correlating below this are psychometric antonyms"))
    psychant_max: float | None = Field(None, description=(
        "flag when the within-person antonym correlation is above this (None: no flag)"))
    irv_blocks: int = Field(4, ge=2, description=(
        "blocks of consecutive Likert items for the block IRV (careless::irv num.split)"))
    irv_block_max: float | None = Field(0.0, ge=0, description=(
        "flag when the IRV of some block (at least 3 answers) is at most this: 0 = one answer "
        "over a whole block (partial straight-lining, Dunn et al. 2018)"))
    pattern_max: float | None = Field(0.7, gt=0, le=1, description=(
        "flag when the pattern index (largest share of answers following one 'answer L items "
        "back plus d' rule, L = 1..pattern_max_lag) exceeds this: diagonal, zigzag, "
        "repeated-motif answers"))
    pattern_max_lag: int = Field(12, ge=1, description="longest lag of the pattern index")
    person_total_min: float | None = Field(0.0, ge=-1, le=1, description=(
        "flag when the person-total correlation (answers vs item means, Curran 2016) is "
        "below this"))
    decisive: list[Literal["longstring", "irv", "irv_block", "mahad", "pattern", "evenodd",
                           "person_total", "psychsyn", "psychant"]] = Field(
        ["longstring", "irv", "irv_block", "mahad", "pattern"], description=(
            "indices whose flag alone excludes (specific in the simulation study, "
            "docs/careless.md); the other flags count towards min_index_flags"))
    min_index_flags: int = Field(2, ge=1, description=(
        "exclude as careless_indices when at least this many of the non-decisive index flags "
        "are set (multiple hurdles for weak indices)"))


class EligibilityRules(_Base):
    """EU SME definition (Recommendation 2003/361/EC) and the study's population."""

    max_employees: int = Field(249, ge=0, description="employees < 250")
    max_turnover_meur: float = Field(50.0, gt=0, description="turnover <= EUR 50 million")
    max_balance_meur: float = Field(43.0, gt=0, description="balance sheet <= EUR 43 million")
    turnover_ok_codes: list[int] | None = Field(None, description=(
        "turnover_band codes meeting the ceiling; None: derived from the band labels"))
    balance_ok_codes: list[int] | None = Field(None, description=(
        "balance_band codes meeting the ceiling; None: derived from the band labels"))
    decision_maker_roles: list[int | str] | None = Field(None, description=(
        "role codes counted as decision makers; None: derived from the role labels "
        "(owner, founder, CEO, managing director, director, manager, head, partner)"))
    require_internationalised: bool = True
    unknown: Literal["keep", "exclude"] = Field("keep", description=(
        "what to do when a criterion cannot be checked (missing facts): keep with a warning "
        "flag, or exclude as '<criterion>_unknown'"))


class ClassificationRules(_Base):
    """Born-global definitions (all computed; see rsnprop.data.classify)."""

    window_years: int = Field(3, ge=1, description="years after founding")
    ms_share: float = Field(20.0, description="Madsen & Servais (1997) foreign sales share")
    kc_share: float = Field(25.0, description="Knight & Cavusgil (2004) foreign sales share")
    kss_share: float = Field(25.0, description="Kuivalainen et al. (2007) foreign sales share")
    min_continents: int = Field(2, ge=1, description="scope definition: continents served")
    min_countries: int = Field(5, ge=1, description="scope definition: countries served")


class CleaningRules(_Base):
    """Validated ``cleaning:`` section of the study plan; every field has a default.

    Attributes are grouped: top-level validation/recoding options, ``careless``,
    ``eligibility`` and ``classification``.
    """

    missing_tokens: list[str] = Field(list(DEFAULT_MISSING_TOKENS), description=(
        "answers (case-insensitive) recoded to missing: don't know, not applicable, codes"))
    invalid_values: Literal["missing", "exclude"] = Field("missing", description=(
        "a value of the wrong type or out of range becomes missing (and is logged), or "
        "excludes the firm ('invalid_value')"))
    require_consent: bool = True
    exclude_duplicates: bool = True
    duplicate_submission_columns: Literal["items", "all"] = Field("items", description=(
        "a duplicate submission has identical answers to every item ('items') or every column "
        "except resp_id ('all')"))
    constant_sum_total: float = 100.0
    constant_sum_tolerance: float = Field(1.0, ge=0)
    constant_sum_action: Literal["missing", "rescale", "keep"] = Field("missing", description=(
        "constant-sum answers not summing to the total: set missing, rescale to the total, "
        "or keep (logged in every case)"))
    impossible_facts: Literal["missing", "exclude"] = Field("missing", description=(
        "impossible facts (first foreign sale before founding...) become missing, or exclude"))
    max_missing_share: float = Field(0.5, ge=0, le=1, description=(
        "exclude a firm missing more than this share of the construct items"))
    min_items_for_score: float = Field(0.5, ge=0, le=1, description=(
        "a scale score needs at least this share of its items answered"))
    mcar_test_max_rows: int = Field(5_000_000, ge=0, description=(
        "Little's MCAR test is not run by clean() above this many kept rows"))
    mcar_test_sample: int = Field(5000, ge=10, description=(
        "above this many kept rows, Little's test uses a seeded random sample of this size "
        "(EM cost grows with the number of missingness patterns; with huge n any departure "
        "from MCAR is significant anyway)"))
    mcar_test_seed: int = Field(1, description="seed of that sample")
    pii: Literal["drop", "hash"] = Field("drop", description=(
        "identifying or free-text columns are dropped, or replaced by a salted SHA-256"))
    pii_salt: str = ""
    max_listed_problems: int = Field(10000, ge=0, description=(
        "problems listed one by one in the log (all are counted)"))
    careless: CarelessRules = CarelessRules()
    eligibility: EligibilityRules = EligibilityRules()
    classification: ClassificationRules = ClassificationRules()

    @classmethod
    def from_any(cls, rules=None) -> "CleaningRules":
        """Build from ``None`` (defaults), a dict (the plan's section) or a CleaningRules."""
        if rules is None:
            return cls()
        if isinstance(rules, cls):
            return rules
        if hasattr(rules, "model_dump"):
            rules = rules.model_dump()
        if not isinstance(rules, dict):
            raise PlanError("the cleaning rules must be a mapping", parameter="cleaning",
                            value=type(rules).__name__)
        try:
            return cls.model_validate(rules)
        except ValidationError as err:
            problems = [{"parameter": "cleaning." + ".".join(map(str, e["loc"])),
                         "message": e["msg"]} for e in err.errors()]
            first = problems[0]
            raise PlanError(first["message"], parameter=first["parameter"],
                            problems=[{"message": f"{p['parameter']}: {p['message']}"}
                                      for p in problems]) from None

    def to_dict(self) -> dict:
        """Plain dict of every rule (recorded in the cleaning log)."""
        return self.model_dump(mode="json")
