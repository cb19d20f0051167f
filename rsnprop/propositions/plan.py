"""The study plan (preregistration): pydantic model, loading, validation and hashing.

A plan is a YAML file (``analysis/study.yaml``) fixed *before* the data are seen.  It says
which groups the propositions are about, which subscales count as relational or
informational, the alpha level, the smallest effect size of interest (SESOI), the correction
for multiple tests, the controls, the multiverse, and (``cleaning:``) the cleaning rules,
which are passed unchanged to :class:`rsnprop.data.CleaningRules`.

How P1 and P2 map to tests (fixed here, documented in ``analysis/study.yaml``)
------------------------------------------------------------------------------
Let ``D = relational - informational`` be each firm's within-firm contrast (scale points).

* **P1** (traditional SMEs lean informational): in the traditional group,
  ``mean(D) < 0`` -- one-sided paired test of informational > relational; its equivalence
  test is a TOST of ``|mean(D)| < SESOI``.
* **P2** (born globals lean relational): in the born-global group ``mean(D) > 0``;
  one-sided paired test relational > informational, and its TOST.
* **Joint** (the interaction born global x benefit type): ``mean(D | born global) >
  mean(D | traditional)``; mixed ANOVA, equivalently OLS of D on the born-global indicator
  (+ controls) with HC3 standard errors.

Missing data (``missing:``, one of :data:`MISSING_METHODS`)
-----------------------------------------------------------
``available`` (scale scores from the answered items, the clean data's ``score_<construct>``),
``complete_cases`` (firms that answered every benefit item) or ``multiple_imputation`` (the
benefit items imputed ``imputation.m`` times, default 20, seed ``imputation.seed``, default
:data:`DEFAULT_MI_SEED`; the t / hc3 tests pooled with Rubin's rules, see
:mod:`rsnprop.propositions.imputation`).  ``multiverse.missing`` may list any of them (default:
``available`` and ``complete_cases``).  The ``imputation`` section enters the plan hash only
when some specification uses multiple imputation.

Examples
--------
>>> from rsnprop.propositions import load_plan
>>> plan = load_plan("analysis/study.yaml")          # doctest: +SKIP
>>> plan.born_global_definition, plan.alpha, len(plan.hash)   # doctest: +SKIP
('bg_ms20', 0.05, 64)
>>> from rsnprop.propositions.plan import StudyPlan
>>> StudyPlan.model_validate({"name": "demo"}).correction
'holm'
>>> StudyPlan(name="demo", missing="multiple_imputation").imputation.m
20
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ..errors import MissingFileError, PlanError
from ..io import sha256_bytes
from ..yamlio import load_yaml
from .plan_merge import deep_merge
from .panel_plan import PanelPlan

__all__ = ["StudyPlan", "Hypothesis", "Sesoi", "Imputation", "Measurement", "load_plan", "plan_from_dict",
           "CORRECTIONS", "BG_DEFINITIONS", "ESTIMATORS", "MISSING_METHODS", "DEFAULT_MI_SEED"]

#: multiple-testing corrections accepted (names of ``statsmodels.stats.multitest.multipletests``)
CORRECTIONS = ("holm", "bonferroni", "hommel", "fdr_bh", "sidak", "holm-sidak", "none")
#: born-global classification columns of the clean data (CONTRIBUTING.md)
BG_DEFINITIONS = ("bg_ms20", "bg_kc25", "bg_true")
#: observed-score estimators: classical t / OLS SE, HC3 robust SE, rank (Wilcoxon) tests
ESTIMATORS = ("t", "hc3", "rank")
#: missing-data methods for observed scores: scale score from available items (the clean
#: data's ``score_<construct>``), complete cases on every item of the benefit scales, or
#: multiple imputation of the benefit items with Rubin's pooling (``imputation:`` section;
#: :mod:`rsnprop.propositions.imputation`)
MISSING_METHODS = ("available", "complete_cases", "multiple_imputation")
#: seed of the imputations when the plan gives none (``imputation.seed``)
DEFAULT_MI_SEED = 20240917



def check_correction(v: str) -> str:
    """A multiple-testing correction named in a plan must be one rsnprop applies."""
    if v not in CORRECTIONS:
        raise ValueError(f"unknown correction {v!r}; use one of {', '.join(CORRECTIONS)}")
    return v

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hypothesis(_Model):
    """One proposition: in ``group`` the ``expects`` benefit type dominates the other one."""

    statement: str
    group: Literal["traditional", "born_global"]
    expects: Literal["relational", "informational"]

    @property
    def sign(self) -> int:
        """+1 when the proposition expects ``D = relational - informational > 0``, else -1."""
        return 1 if self.expects == "relational" else -1


class Sesoi(_Model):
    """Smallest effect size of interest, for the equivalence (TOST) tests.

    ``unit = "dz"`` (standardised within-firm contrast: bound = value x SD(D) of the group)
    or ``"raw"`` (scale points of D).
    """

    value: float = Field(0.2, gt=0)
    unit: Literal["dz", "raw"] = "dz"


class Benefits(_Model):
    """Which construct scores make up the two benefit types (row mean of ``score_<id>``)."""

    relational: list[str] = ["relational"]
    informational: list[str] = ["informational"]

    @field_validator("relational", "informational")
    @classmethod
    def _nonempty(cls, v):
        if not v:
            raise ValueError("needs at least one construct id")
        return v

    @model_validator(mode="after")
    def _disjoint(self):
        both = set(self.relational) & set(self.informational)
        if both:
            raise ValueError(f"construct(s) {sorted(both)} counted as both relational and informational")
        return self


class Latent(_Model):
    """Latent (multigroup SEM) version of the test."""

    enabled: bool = True
    estimator: Literal["ML", "MLR"] = "ML"
    missing: Literal["listwise", "fiml"] = "listwise"
    #: invariance level required before latent means are compared
    required_invariance: Literal["scalar", "partial_scalar", "strict"] = "scalar"


class Measurement(_Model):
    """What measurement non-invariance does to the verdicts
    (:mod:`rsnprop.propositions.measurement`; docs/invariance-policy.md).

    ``policy``: ``partial`` (verdicts on the invariant part: items with non-invariant
    parameters set aside), ``inconclusive`` (verdicts relying on a non-invariant scale become
    inconclusive) or ``report_only`` (verdicts on all items, invariance reported).  Non-invariant
    parameters are located with score tests of the equality constraints (``locate: score``,
    lavaan's ``lavTestScore``) corrected with ``correction`` at ``alpha``, or by the
    likelihood-ratio search (``locate: lrt``).
    """

    policy: Literal["partial", "inconclusive", "report_only"] = "partial"
    required_invariance: Literal["metric", "scalar"] = "scalar"
    locate: Literal["score", "lrt"] = "score"
    correction: str = "holm"
    alpha: float = Field(0.05, gt=0, lt=0.5)
    missing: Literal["listwise", "fiml"] = "fiml"
    #: fewest invariant items a scale needs for partial invariance (Steenkamp & Baumgartner 1998)
    min_invariant_items: int = Field(2, ge=2)
    #: largest share of a scale's items that may be set aside: the invariant items must stay the
    #: majority (Vandenberg & Lance 2000), else the search may have anchored on the deviant ones
    max_set_aside_share: float = Field(0.5, gt=0, lt=1)

    @field_validator("correction")
    @classmethod
    def _correction(cls, v):
        return check_correction(v)


class CarelessRule(_Model):
    """A careless-response rule of the multiverse.

    ``cleaning`` holds overrides of the plan's ``cleaning:`` section (deep-merged, e.g.
    ``{"careless": {"min_index_flags": 1}}``): the raw export is cleaned again with them, so
    such a rule needs the raw data (``rsnprop test --raw RAW --instrument INS``); without it
    the specification is reported as not available.  ``flags`` names 0/1 flag columns of the
    clean data; rows with any flag set are dropped.  A rule with neither keeps the data as
    cleaned.
    """

    name: str
    cleaning: dict[str, Any] = {}
    flags: list[str] = []


class LanguageInvariance(_Model):
    """Invariance across the questionnaire's language versions required before the verdicts
    rest on the pooled responses (:mod:`rsnprop.propositions.languages`; docs/languages.md).

    Optional: a plan without the section does not check it and keeps its hash.  ``policy``
    uses the vocabulary of the non-invariance policy between groups: ``partial`` (verdicts
    stand when partial invariance holds at ``required_invariance``, the items with
    differential item functioning named; else inconclusive), ``inconclusive`` (verdicts
    inconclusive unless the level holds in full) or ``report_only``.  Steps are judged by
    ``rule`` (``lrt``: chi-square difference at ``alpha``; ``chen2007``: fit-index changes).
    """

    column: str = "survey_language"
    required_invariance: Literal["metric", "scalar"] = "scalar"
    policy: Literal["partial", "inconclusive", "report_only"] = "partial"
    rule: Literal["lrt", "chen2007"] = "lrt"
    alpha: float = Field(0.05, gt=0, lt=0.5)
    missing: Literal["listwise", "fiml"] = "fiml"
    #: fewest items free of DIF a scale needs for partial invariance
    min_invariant_items: int = Field(2, ge=2)


class Imputation(_Model):
    """Settings of ``missing: multiple_imputation`` (primary analysis or multiverse).

    ``m`` imputations of the benefit items (EMB, :func:`rsnprop.data.multiple_imputation`),
    seeded with ``seed`` (``None``: the fixed :data:`DEFAULT_MI_SEED`, 20240917, so that a
    plan always gives the same numbers); imputed answers are clipped to ``bounds`` (the
    answer scale; ``None``: the smallest and largest answer observed on the benefit items).
    """

    m: int = Field(20, ge=2, le=1000)
    seed: int | None = Field(None, ge=0)
    bounds: tuple[float, float] | None = None

    @field_validator("bounds")
    @classmethod
    def _bounds(cls, v):
        if v is not None and not v[0] < v[1]:
            raise ValueError(f"bounds must be (min, max) with min < max, got {list(v)}")
        return v

    @property
    def effective_seed(self) -> int:
        """The seed used: ``seed``, or :data:`DEFAULT_MI_SEED` when the plan gives none."""
        return DEFAULT_MI_SEED if self.seed is None else self.seed


_MissingMethod = Literal["available", "complete_cases", "multiple_imputation"]


class Multiverse(_Model):
    #: run the grid whenever the plan is tested (``rsnprop test`` without --multiverse)
    enabled: bool = False
    born_global_definitions: list[str] = list(BG_DEFINITIONS)
    careless: list[CarelessRule] = [CarelessRule(name="as_cleaned")]
    #: multiple_imputation may be listed; it is not in the default grid (m imputations per cell)
    missing: list[_MissingMethod] = ["available", "complete_cases"]
    estimators: list[Literal["t", "hc3", "rank"]] = list(ESTIMATORS)
    controls: list[bool] = [False, True]
    #: non-invariance policies (``measurement.policy`` values); default: the plan's policy only
    measurement_policies: list[Literal["partial", "inconclusive", "report_only"]] | None = None


class Auxiliary(_Model):
    #: columns measuring overall RSN use (row mean); when none is in the data, the mean of
    #: the two benefit scores is used instead
    rsn_use_columns: list[str] = ["rsn_level_org", "rsn_level_pro", "rsn_level_priv"]
    #: column giving the phase of internationalisation (1-4)
    phase_column: str = "phase"


class Inputs(_Model):
    """Where the study's data live (paths relative to the plan's folder, whatever the working
    directory); used by ``rsnprop run`` and, for the multiverse's re-cleaning rules, by
    ``rsnprop test`` and :func:`rsnprop.propositions.test_propositions` alike
    (:meth:`StudyPlan.input_path`)."""

    raw: str | None = None
    instrument: str | None = None


class StudyPlan(_Model):
    """The preregistered study plan (see module docstring for the P1/P2 mapping)."""

    name: str
    version: str = "1"
    description: str = ""
    hypotheses: dict[str, Hypothesis] = {
        "P1": Hypothesis(statement="Traditional SMEs mobilise RSN mainly for informational benefits.",
                         group="traditional", expects="informational"),
        "P2": Hypothesis(statement="Born-global SMEs mobilise RSN mainly for relational benefits.",
                         group="born_global", expects="relational"),
    }
    born_global_definition: str = "bg_ms20"
    benefits: Benefits = Benefits()
    alpha: float = Field(0.05, gt=0, lt=0.5)
    sesoi: Sesoi = Sesoi()
    correction: str = "holm"
    missing: _MissingMethod = "available"
    #: multiple imputation settings (used when ``missing`` or ``multiverse.missing`` names
    #: ``multiple_imputation``)
    imputation: Imputation = Imputation()
    estimator: Literal["t", "hc3", "rank"] = "t"
    controls: list[str] = []
    #: adjust the primary tests for the controls (default: controls only in robustness rows
    #: and in the multiverse)
    adjust_primary: bool = False
    #: minimum number of firms per group for a test to be run
    min_group_size: int = Field(10, ge=3)
    latent: Latent = Latent()
    #: what measurement non-invariance does to the verdicts (in the hash)
    measurement: Measurement = Measurement()
    multiverse: Multiverse = Multiverse()
    #: invariance across language versions before pooling them (optional; absent = off,
    #: left out of the hash)
    language_invariance: LanguageInvariance | None = None
    auxiliary: Auxiliary = Auxiliary()
    #: a panel study's waves and longitudinal hypotheses (optional; absent = none, left out of the hash)
    panel: PanelPlan | None = None
    inputs: Inputs = Inputs()
    #: passed unchanged to rsnprop.data.CleaningRules (validated there)
    cleaning: dict[str, Any] = {}
    #: folder of the plan file (set by :func:`load_plan`; not part of the plan or its hash):
    #: the relative paths of ``inputs`` are resolved against it
    _base_dir: Path | None = PrivateAttr(default=None)

    @field_validator("correction")
    @classmethod
    def _correction(cls, v):
        return check_correction(v)

    @field_validator("born_global_definition")
    @classmethod
    def _bg(cls, v):
        if not v.strip():
            raise ValueError("empty born-global definition")
        return v

    @field_validator("hypotheses")
    @classmethod
    def _hyp(cls, v):
        if not v:
            raise ValueError("the plan states no hypothesis")
        return v

    # ------------------------------------------------------------------ derived
    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated plan (defaults filled in)."""

        return sha256_bytes(self.canonical_json())

    @property
    def uses_imputation(self) -> bool:
        """True when the primary analysis or the multiverse uses multiple imputation."""
        return "multiple_imputation" in (self.missing, *self.multiverse.missing)

    def canonical_json(self) -> str:
        """Canonical JSON of the plan (sorted keys, defaults filled in).

        The ``imputation`` section is left out when no specification uses multiple
        imputation: it cannot change any result then, and plans written before the option
        existed keep their hash.
        """
        data = self.model_dump(mode="json")
        if not self.uses_imputation:
            data.pop("imputation", None)
        if data.get("language_invariance") is None:   # off: plans without it keep their hash
            data.pop("language_invariance", None)
        if data.get("panel") is None:   # not a panel study: plans without it keep their hash
            data.pop("panel", None)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def relational_columns(self) -> list[str]:
        return [f"score_{c}" for c in self.benefits.relational]

    def informational_columns(self) -> list[str]:
        return [f"score_{c}" for c in self.benefits.informational]

    def with_(self, **changes) -> "StudyPlan":
        """A copy with some fields replaced (validated again; same plan folder)."""
        data = self.model_dump()
        data.update(changes)
        out = StudyPlan.model_validate(data)
        out._base_dir = self._base_dir
        return out

    @property
    def base_dir(self) -> Path | None:
        """The folder of the plan file (None for a plan not read by :func:`load_plan`)."""
        return self._base_dir

    def input_path(self, key: str) -> Path | None:
        """``inputs.<key>`` (``"raw"`` or ``"instrument"``) as an absolute path: relative
        paths are taken from the plan's folder, never from the working directory.  None when
        the plan does not name the file, or names it relatively but was not read from a file.

        >>> StudyPlan(name="x", inputs={"raw": "/data/raw.csv"}).input_path("raw").as_posix()
        '/data/raw.csv'
        """
        value = getattr(self.inputs, key)
        if not value:
            return None
        p = Path(value).expanduser()
        if p.is_absolute():
            return p
        return None if self._base_dir is None else (self._base_dir / p).resolve()


def _pydantic_to_plan_error(err: ValidationError, file) -> PlanError:
    problems = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(plan)"
        problems.append({"parameter": loc, "message": f"{loc}: {e['msg']}",
                         "value": None if e.get("input") is None else str(e.get("input"))[:80]})
    first = problems[0]
    return PlanError(first["message"].split(": ", 1)[1], file=file, parameter=first["parameter"],
                     value=first["value"], problems=problems)


def plan_from_dict(data: dict, *, file=None) -> StudyPlan:
    """Validate a plan given as a dict; errors become :class:`~rsnprop.errors.PlanError`."""
    if not isinstance(data, dict):
        raise PlanError("the plan must be a mapping (YAML dictionary)", file=file)
    try:
        plan = StudyPlan.model_validate(data)
    except ValidationError as err:
        raise _pydantic_to_plan_error(err, file) from None
    _check_cleaning(plan, file)
    return plan


def _check_cleaning(plan: StudyPlan, file) -> None:
    """Validate ``cleaning:`` (and each multiverse careless rule merged into it) with
    :class:`rsnprop.data.CleaningRules` when that module is installed."""
    try:
        from ..data.rules import CleaningRules
    except ImportError:
        return

    variants = [("cleaning", plan.cleaning)]
    variants += [(f"multiverse.careless.{r.name}.cleaning", deep_merge(plan.cleaning, r.cleaning))
                 for r in plan.multiverse.careless if r.cleaning]
    for where, rules in variants:
        try:
            CleaningRules.model_validate(rules)
        except ValidationError as err:
            e = err.errors()[0]
            loc = where + "." + ".".join(str(p) for p in e["loc"])
            raise PlanError(e["msg"], file=file, parameter=loc) from None


def load_plan(path) -> StudyPlan:
    """Read, validate and hash a study plan YAML file.

    Parameters
    ----------
    path : str or Path
        The plan (``analysis/study.yaml``).

    Returns
    -------
    StudyPlan
        Frozen, validated plan; ``plan.hash`` is the SHA-256 of its canonical JSON.

    Raises
    ------
    MissingFileError, PlanError

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "s.yaml")
    >>> _ = open(p, "w").write("name: demo\\nalpha: 0.01\\n")
    >>> load_plan(p).alpha
    0.01
    """

    p = Path(path)
    if not p.is_file():
        raise MissingFileError("study plan does not exist", file=str(path))
    # UTF-8 only, duplicate keys and alias bombs refused (rsnprop.yamlio)
    data = load_yaml(p, what="study plan", error=PlanError)
    plan = plan_from_dict(data, file=str(path))
    plan._base_dir = p.resolve().parent
    return plan
