"""Named and user-defined simulation scenarios (the population model of a synthetic study).

A scenario states the *true* population from which synthetic firms are drawn:

* the share of born globals (``bg_share``);
* latent means of each construct in each group (``means``; within-group residual SD = 1, so
  a mean difference is a Cohen's d on the latent residual scale);
* within-group latent correlations (``correlations``, keys ``"a~~b"``);
* item loadings (``loadings``, standardised, one value or one list per construct);
* covariate effects: phase of internationalisation (``phase_slopes`` per group, per phase
  step, centred on the group's mean phase so that ``means`` stay the group means), firm size
  (``size_slopes`` per SD of log employees) and sector (``sector_effects``);
* threshold skew of the Likert items (``skew``: 0 symmetric, > 0 answers pile up on the
  "agree" side);
* classification facts (``facts``) and data-quality defaults (careless, missing, invalid);
* differential item functioning (``dif``): items whose answers read higher (or lower) in one
  group at the same latent value, a shifted intercept of the latent response (a classic
  artefact of translated or culturally loaded items), see :class:`DIFSpec`.

The same population can be written in lavaan-like syntax under ``model:`` (loadings with
``=~``, latent correlations with ``~~``, group difference and covariates with ``~`` on
``born_global``, ``phase``, ``size`` and the intercept ``1``).

Examples
--------
>>> from rsnprop.simulate.scenarios import get_scenario
>>> sc = get_scenario("p1p2")
>>> sc.means["born_global"]["relational"] - sc.means["born_global"]["informational"]
0.35
>>> sc2 = scenario_from_dict({"name": "mine", "model": "relational ~ 0.5*born_global"})
>>> sc2.means["born_global"]["relational"]
0.5
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import MissingFileError, SpecificationError
from ..yamlio import load_yaml
from .quirks import CARELESS_TYPES

__all__ = ["Scenario", "FactsSpec", "DIFSpec", "SCENARIOS", "FOCAL", "GROUPS", "get_scenario",
           "load_scenario", "scenario_from_dict", "list_scenarios", "parse_population_syntax"]

#: the four constructs of the theory (ids of the instrument's constructs)
FOCAL = ("relational", "informational", "risk_reduction", "intl_approach")
#: group labels (truth; the clean data classify firms with bg_ms20 / bg_kc25 / bg_true)
GROUPS = ("traditional", "born_global")


class FactsSpec(BaseModel):
    """How classification facts are drawn (see :mod:`rsnprop.simulate.facts`)."""

    model_config = ConfigDict(extra="forbid")

    survey_year: int = Field(2025, ge=1990, le=2100)
    #: probabilities of phase 1..4 per group (1 = before the first foreign operation)
    phase_probs: dict[str, list[float]] = Field(default_factory=lambda: {
        "traditional": [0.12, 0.23, 0.30, 0.35], "born_global": [0.0, 0.08, 0.32, 0.60]})
    #: traditional firms whose foreign share at year 3 falls in [20, 25): born global under
    #: Madsen & Servais (bg_ms20) but not Knight & Cavusgil (bg_kc25)
    borderline_rate: float = Field(0.04, ge=0, le=1)
    #: share of born globals that serve distant markets (other continents; bg_true)
    bg_distant_share: float = Field(0.8, ge=0, le=1)
    #: share of respondents that are not SMEs (>= 250 employees): eligibility exclusions
    ineligible_rate: float = Field(0.02, ge=0, le=1)
    #: share of respondents refusing consent (their answers are empty)
    nonconsent_rate: float = Field(0.01, ge=0, le=1)
    #: sector probabilities per group (NACE section letters)
    sector_probs: dict[str, dict[str, float]] = Field(default_factory=lambda: {
        "traditional": {"C": 0.35, "G": 0.20, "F": 0.08, "H": 0.07, "I": 0.05, "J": 0.08,
                        "M": 0.10, "N": 0.04, "K": 0.01, "S": 0.02},
        "born_global": {"C": 0.22, "G": 0.08, "F": 0.01, "H": 0.03, "I": 0.02, "J": 0.38,
                        "M": 0.20, "N": 0.04, "K": 0.01, "S": 0.01}})

    @field_validator("phase_probs")
    @classmethod
    def _phase(cls, v):
        for g, p in v.items():
            if g not in GROUPS or len(p) != 4 or any(x < 0 for x in p) or abs(sum(p) - 1) > 1e-6:
                raise ValueError(f"phase_probs[{g!r}] must be 4 probabilities summing to 1 "
                                 f"for a group in {GROUPS}")
        return v

    @field_validator("sector_probs")
    @classmethod
    def _sector(cls, v):
        for g, p in v.items():
            if g not in GROUPS or any(x < 0 for x in p.values()) or abs(sum(p.values()) - 1) > 1e-6:
                raise ValueError(f"sector_probs[{g!r}] must be probabilities summing to 1")
        return v


class DIFSpec(BaseModel):
    """Differential item functioning: ``k`` items of the construct ``scale`` read ``size``
    higher in ``group`` at the same latent value.

    ``size`` shifts the item's latent response ``y*`` (whose total SD is 1), i.e. its
    intercept, in ``group`` only; the latent means, and so the true verdicts, are unchanged.
    ``items`` names the items; without it the *first* ``k`` scale items of the construct
    (instrument order) are shifted.
    """

    model_config = ConfigDict(extra="forbid")

    #: construct id of the items (``construct`` would shadow a pydantic method)
    scale: str = "relational"
    k: int = Field(1, ge=1)
    size: float = Field(0.5, ge=-3, le=3)
    group: str = Field("born_global", pattern="^(traditional|born_global)$")
    items: list[str] | None = None


class Scenario(BaseModel):
    """A population model for synthetic studies (validated; defaults for everything)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    bg_share: float = Field(0.4, gt=0, lt=1)
    means: dict[str, dict[str, float]] = Field(default_factory=lambda: {g: {} for g in GROUPS})
    correlations: dict[str, float] = Field(default_factory=dict)
    loadings: dict[str, float | list[float]] = Field(default_factory=dict)
    phase_slopes: dict[str, dict[str, float]] = Field(default_factory=dict)
    size_slopes: dict[str, float] = Field(default_factory=dict)
    sector_effects: dict[str, dict[str, float]] = Field(default_factory=dict)
    skew: float = Field(0.25, gt=-1, lt=1)
    skew_by_construct: dict[str, float] = Field(default_factory=dict)
    #: lavaan-like population syntax (applied on top of the fields above)
    model: str | None = None
    #: loading of items of constructs the scenario does not mention
    default_loading: float = Field(0.7, gt=0, lt=1)
    #: latent correlation with and between constructs the scenario does not mention
    default_correlation: float = Field(0.2, gt=-1, lt=1)
    #: how strongly the constant-sum split follows relational - informational (per latent SD)
    cs_slope: float = Field(0.9, ge=0)
    facts: FactsSpec = Field(default_factory=FactsSpec)
    careless_rate: float = Field(0.05, ge=0, le=1)
    #: mix of careless types (``rsnprop.simulate.quirks.CARELESS_TYPES``); the default:
    #: straight-lining, random responding, speeding
    careless_mix: dict[str, float] = Field(default_factory=lambda: {
        "straightline": 0.4, "random": 0.35, "speeder": 0.25})
    missing_rate: float = Field(0.03, ge=0, lt=1)
    missing_mechanism: str = Field("mar", pattern="^(mcar|mar)$")
    invalid_rate: float = Field(0.002, ge=0, le=0.5)
    #: differential item functioning (none by default)
    dif: list[DIFSpec] = Field(default_factory=list)

    @field_validator("means")
    @classmethod
    def _means(cls, v):
        bad = [g for g in v if g not in GROUPS]
        if bad:
            raise ValueError(f"groups must be {GROUPS}, got {bad}")
        return {g: dict(v.get(g, {})) for g in GROUPS}

    @field_validator("correlations")
    @classmethod
    def _corr(cls, v):
        for k, r in v.items():
            if "~~" not in k or not -1 < r < 1:
                raise ValueError(f"correlation {k!r}: key must be 'a~~b', value in (-1, 1)")
        return v

    @field_validator("careless_mix")
    @classmethod
    def _mix(cls, v):
        allowed = set(CARELESS_TYPES)
        if set(v) - allowed or any(x < 0 for x in v.values()) or sum(v.values()) <= 0:
            raise ValueError(f"careless_mix keys must be in {sorted(allowed)} with weights >= 0")
        return v

    def mean(self, group: str, construct: str) -> float:
        return float(self.means.get(group, {}).get(construct, 0.0))

    def correlation(self, a: str, b: str) -> float:
        for key in (f"{a}~~{b}", f"{b}~~{a}"):
            if key in self.correlations:
                return float(self.correlations[key])
        return float(self.default_correlation)

    def loading_list(self, construct: str, n_items: int) -> list[float]:
        """Standardised loadings of a construct's ``n_items`` items (cycled if too short)."""
        spec = self.loadings.get(construct)
        if spec is None:
            spec = [0.80, 0.74, 0.70, 0.77, 0.66, 0.72] if construct in FOCAL else [self.default_loading]
        if isinstance(spec, (int, float)):
            spec = [float(spec)]
        return [float(spec[i % len(spec)]) for i in range(n_items)]

    def skew_of(self, construct: str | None) -> float:
        return float(self.skew_by_construct.get(construct, self.skew)) if construct else self.skew


def _base(name: str, description: str, trad: dict, bg: dict, **extra) -> dict:
    base = {
        "name": name,
        "description": description,
        "bg_share": 0.4,
        "means": {"traditional": trad, "born_global": bg},
        "correlations": {
            "relational~~informational": 0.45, "relational~~risk_reduction": 0.35,
            "informational~~risk_reduction": 0.50, "intl_approach~~relational": 0.20,
            "intl_approach~~informational": 0.10, "intl_approach~~risk_reduction": 0.0,
        },
        "size_slopes": {"informational": 0.05, "relational": 0.0},
        "sector_effects": {"J": {"relational": 0.15, "informational": 0.15},
                           "C": {"risk_reduction": 0.10}},
    }
    base.update(extra)
    return base


#: named scenarios; latent means on the within-group residual scale (SD 1)
SCENARIOS: dict[str, dict[str, Any]] = {
    "p1p2": _base(
        "p1p2",
        "Both propositions hold: traditional SMEs use RSN more for informational than relational "
        "benefits (P1), born globals more for relational than informational benefits (P2); "
        "in traditional firms the relational role fades over the phases.",
        {"relational": 0.0, "informational": 0.35, "risk_reduction": 0.30, "intl_approach": 0.0},
        {"relational": 0.45, "informational": 0.10, "risk_reduction": 0.0, "intl_approach": 1.2},
        phase_slopes={"traditional": {"relational": -0.10, "informational": 0.05}},
    ),
    "null": _base(
        "null",
        "No proposition holds: relational and informational benefits are equal within both "
        "groups (born globals still differ in their internationalisation approach).",
        {"relational": 0.0, "informational": 0.0, "risk_reduction": 0.0, "intl_approach": 0.0},
        {"relational": 0.0, "informational": 0.0, "risk_reduction": 0.0, "intl_approach": 1.2},
    ),
    "reversed": _base(
        "reversed",
        "Both propositions reversed: traditional SMEs favour relational benefits, born globals "
        "informational benefits.",
        {"relational": 0.35, "informational": 0.0, "risk_reduction": 0.0, "intl_approach": 0.0},
        {"relational": 0.10, "informational": 0.45, "risk_reduction": 0.0, "intl_approach": 1.2},
    ),
    "p2_only": _base(
        "p2_only",
        "Only P2 holds: born globals favour relational benefits; traditional SMEs use both "
        "benefits equally.",
        {"relational": 0.0, "informational": 0.0, "risk_reduction": 0.0, "intl_approach": 0.0},
        {"relational": 0.40, "informational": 0.05, "risk_reduction": 0.0, "intl_approach": 1.2},
    ),
}
#: no true difference anywhere, but one relational item reads 0.5 SD higher among born globals
SCENARIOS["dif"] = {**SCENARIOS["null"], "name": "dif", "description": (
    "No proposition holds (as 'null'), but one relational item (rel_1) reads 0.5 SD higher among "
    "born globals at the same latent value: differential item functioning, which makes the "
    "observed relational score of born globals too high."),
    "dif": [{"scale": "relational", "k": 1, "size": 0.5, "group": "born_global"}]}


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios.

    >>> list_scenarios()
    ['dif', 'null', 'p1p2', 'p2_only', 'reversed']
    """
    return sorted(SCENARIOS)


_TERM = re.compile(r"^\s*(?:(-?\d+(?:\.\d*)?(?:[eE]-?\d+)?|-?\.\d+)\s*\*\s*)?([A-Za-z_][A-Za-z0-9_]*|1)\s*$")


def parse_population_syntax(text: str) -> list[tuple[str, str, str, float]]:
    """Parse lavaan-like population syntax into ``(lhs, op, rhs, value)`` rows.

    Supported: ``f =~ 0.8*x1 + 0.7*x2`` (loadings), ``f1 ~~ 0.4*f2`` (latent correlation),
    ``f ~ 0.5*born_global + -0.1*phase + 0.05*size + 0.2*1`` (group difference, covariate
    slopes, intercept = traditional mean).  Every term needs a numeric value; comments start
    with ``#``; several statements may share a line separated by ``;``.

    >>> parse_population_syntax("relational =~ 0.8*rel_1 + 0.7*rel_2; relational ~ 0.4*born_global")
    [('relational', '=~', 'rel_1', 0.8), ('relational', '=~', 'rel_2', 0.7), ('relational', '~', 'born_global', 0.4)]
    """

    rows = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        for stmt in raw.split("#", 1)[0].split(";"):
            if not stmt.strip():
                continue
            m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|~~|~)\s*(.+)$", stmt)
            if not m:
                raise SpecificationError("cannot parse population syntax (expected 'lhs =~|~~|~ rhs')",
                                         row=lineno, value=stmt.strip(), parameter="model")
            lhs, op, rhs = m.groups()
            for term in rhs.split("+"):
                term = term.strip()
                if not term:
                    continue
                t = _TERM.match(term)
                if not t or t.group(1) is None:
                    raise SpecificationError("every term needs a numeric value, e.g. 0.7*rel_1",
                                             row=lineno, value=term, parameter="model")
                rows.append((lhs, op, t.group(2), float(t.group(1))))
    return rows


def _apply_syntax(data: dict) -> dict:
    rows = parse_population_syntax(data["model"])
    loadings: dict[str, list[float]] = {}
    for lhs, op, rhs, val in rows:
        if op == "=~":
            loadings.setdefault(lhs, []).append(val)
        elif op == "~~":
            if lhs == rhs:
                if abs(val - 1.0) > 1e-12:
                    raise SpecificationError("latent residual variances are fixed at 1 (the d scale)",
                                             parameter="model", value=f"{lhs} ~~ {val}*{rhs}")
                continue
            data.setdefault("correlations", {})[f"{lhs}~~{rhs}"] = val
        elif op == "~":
            means = data.setdefault("means", {"traditional": {}, "born_global": {}})
            means.setdefault("traditional", {})
            means.setdefault("born_global", {})
            if rhs == "1":
                diff = means["born_global"].get(lhs, 0.0) - means["traditional"].get(lhs, 0.0)
                means["traditional"][lhs] = val
                means["born_global"][lhs] = val + diff
            elif rhs == "born_global":
                means["born_global"][lhs] = means["traditional"].get(lhs, 0.0) + val
            elif rhs == "phase":
                for g in GROUPS:
                    data.setdefault("phase_slopes", {}).setdefault(g, {})[lhs] = val
            elif rhs == "size":
                data.setdefault("size_slopes", {})[lhs] = val
            else:
                raise SpecificationError("regressors must be born_global, phase, size or 1",
                                         parameter="model", value=rhs)
    for f, vals in loadings.items():
        data.setdefault("loadings", {})[f] = vals
    return data


def scenario_from_dict(data: dict, *, source: str | None = None) -> Scenario:
    """Validate a scenario mapping (a named scenario may be extended with ``base: NAME``)."""

    if not isinstance(data, dict):
        raise SpecificationError("a scenario must be a mapping", file=source, value=type(data).__name__)
    data = copy.deepcopy(data)
    has_base = "base" in data
    base_name = data.pop("base", None)
    if has_base and base_name is None:  # YAML reads an unquoted `base: null` as None
        base_name = "null"
    if base_name is not None:
        if base_name not in SCENARIOS:
            raise SpecificationError(f"unknown base scenario; choose from {list_scenarios()}",
                                     file=source, parameter="base", value=base_name)
        merged = copy.deepcopy(SCENARIOS[base_name])
        merged.pop("name")
        merged["description"] = f"{merged['description']} (modified: based on {base_name})"
        for key, val in data.items():
            if isinstance(val, dict) and isinstance(merged.get(key), dict) and key != "facts":
                merged[key] = _deep_merge(merged[key], val)
            else:
                merged[key] = val
        data = merged
    data.setdefault("name", Path(source).stem if source else "custom")
    if data.get("model"):
        data = _apply_syntax(data)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise SpecificationError(first["msg"], file=source, parameter=loc,
                                 value=first.get("input") if not isinstance(first.get("input"), dict) else None,
                                 problems=[{"parameter": ".".join(map(str, e["loc"])), "message": e["msg"]}
                                           for e in err.errors()]) from None


def _deep_merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML scenario file (see the module docstring for its keys)."""

    p = Path(path)
    if not p.is_file():
        raise MissingFileError("scenario file does not exist", file=str(path))
    data = load_yaml(p, what="scenario", error=SpecificationError)
    if not isinstance(data, dict):
        raise SpecificationError("a scenario must be a mapping of keys to values",
                                 file=str(path), value=type(data).__name__)
    return scenario_from_dict(data, source=str(path))


def get_scenario(scenario: str | Path | dict | Scenario) -> Scenario:
    """A :class:`Scenario` from a name, a YAML path, a mapping or a Scenario."""

    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    text = str(scenario)
    if text in SCENARIOS:
        return Scenario.model_validate(copy.deepcopy(SCENARIOS[text]))
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return load_scenario(text)
    raise SpecificationError(f"unknown scenario; choose from {list_scenarios()} or give a YAML file",
                             parameter="scenario", value=text)
