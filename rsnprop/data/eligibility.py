"""Eligibility: EU SME definition, internationalised at all, respondent is a decision maker,
and the instrument's routing rules (screen-outs in the form, the "none" answer to
``rsn_platforms``): every firm removed by them is counted under its own reason.

Each criterion is three-valued per firm: ``1.0`` met, ``0.0`` not met, ``NaN`` unknown
(missing facts). The EU SME definition (Recommendation 2003/361/EC): fewer than 250
employees **and** (turnover <= EUR 50 million **or** balance-sheet total <= EUR 43 million).
Turnover and balance sheet are asked as bands; a band meets the ceiling when its upper bound
("up to N million") is at most the ceiling, read from the band labels unless the plan lists
the codes (``eligibility.turnover_ok_codes``).

Examples
--------
>>> from rsnprop.data.eligibility import band_ok_codes
>>> band_ok_codes({1: "Up to EUR 2 million", 2: "Over EUR 2 million, up to 50 million",
...                3: "Over EUR 50 million"}, 50)
[1, 2]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .skip_logic import routing_masks
from .small_frames import frame_of_columns
from .validate_small import SMALL_ROWS, float_column

__all__ = ["band_ok_codes", "check_eligibility", "routing_criteria", "REASONS", "Sample",
           "screen_consent", "screen_eligibility"]

#: criterion -> exclusion reason
REASONS = {"sme": "not_sme", "internationalised": "not_internationalised",
           "decision_maker": "not_decision_maker", "rsn_use": "no_rsn_use"}

_UP_TO = re.compile(r"(?:up to|jusqu'?à|bis|≤|<=)\s*(?:eur\s*)?([\d.,]+)", re.IGNORECASE)


def band_ok_codes(choices: dict, ceiling_meur: float) -> list:
    """Codes of the bands whose upper bound ("up to N million") is <= ``ceiling_meur``."""
    ok = []
    for code, label in choices.items():
        m = _UP_TO.search(str(label))
        if m:
            try:
                upper = float(m.group(1).replace(",", "."))
            except ValueError:
                continue
            if upper <= ceiling_meur:
                ok.append(code)
    return ok


def _col(values, name):
    if name in values.columns:
        return float_column(values, name)
    return np.full(len(values), np.nan)


def _in_codes(values, name, codes):
    x = _col(values, name)
    out = np.where(np.isin(x, np.array([float(c) for c in codes], dtype="float64")), 1.0, 0.0)
    out[np.isnan(x)] = np.nan
    return out


def _and(a, b):
    out = np.where((a == 0) | (b == 0), 0.0, np.where((a == 1) & (b == 1), 1.0, np.nan))
    return out


def _or(a, b):
    return np.where((a == 1) | (b == 1), 1.0, np.where((a == 0) & (b == 0), 0.0, np.nan))


def check_eligibility(values, instrument, rules, *, routed=None):
    """Evaluate the eligibility criteria.

    Parameters
    ----------
    values : pandas.DataFrame
        Recoded item values (numeric codes).
    instrument : Instrument
    rules : rsnprop.data.rules.EligibilityRules
    routed : dict, optional
        Rule id -> boolean array of the rules that fired (:func:`.skip_logic.routing_masks`),
        when the caller has them already.

    Returns
    -------
    pandas.DataFrame
        Float columns ``elig_sme``, ``elig_internationalised``, ``elig_decision_maker``
        (1 met, 0 not met, NaN unknown), one ``elig_<item>`` per other screening item of
        the instrument (``screening: eligible: [...]``, consent excluded) and one per routing
        rule not already covered (``elig_rsn_use``: 0 for firms that use no social media).
    """

    return pd.DataFrame(_criteria(values, instrument, rules, routed), index=values.index)


def _criteria(values, instrument, rules, routed) -> dict:
    """The columns of :func:`check_eligibility` in order, as ``{name: float array}``."""
    items = instrument.items
    out = {}    # the columns in order, one frame at the end (not a column inserted at a time)
    # SME
    emp = _col(values, "employees")
    emp_ok = np.where(emp <= rules.max_employees, 1.0, 0.0)
    emp_ok[np.isnan(emp)] = np.nan
    fin = []
    for name, ceiling, codes in (("turnover_band", rules.max_turnover_meur, rules.turnover_ok_codes),
                                 ("balance_band", rules.max_balance_meur, rules.balance_ok_codes)):
        if name in values.columns:
            if codes is None:
                choices = getattr(items.get(name), "choices", {}) or {}
                codes = band_ok_codes(choices, ceiling)
            fin.append(_in_codes(values, name, codes))
    if fin:
        fin_ok = fin[0] if len(fin) == 1 else _or(fin[0], fin[1])
        out["elig_sme"] = _and(emp_ok, fin_ok)
    else:
        out["elig_sme"] = emp_ok
    # internationalised at all
    phase = _col(values, "phase")
    first = _col(values, "first_foreign_sale_year")
    share = _col(values, "foreign_share_now")
    ncty = _col(values, "n_countries")
    with np.errstate(invalid="ignore"):
        yes = (phase >= 2) | ~np.isnan(first) | (share > 0) | (ncty > 0)
        no = (phase == 1) | ((share == 0) & ((ncty == 0) | np.isnan(ncty)))
    intl = np.where(yes, 1.0, np.where(no, 0.0, np.nan))
    if rules.require_internationalised:
        out["elig_internationalised"] = intl
    # decision maker: screening items, and optionally the role
    dm = None
    for iid, it in items.items():
        elig = getattr(it, "screening_eligible", None)
        if not elig or getattr(it, "role", None) == "consent" or iid not in values.columns:
            continue
        ok = _in_codes(values, iid, elig)
        if iid == "decision_maker":
            dm = ok
        else:
            out[f"elig_{iid}"] = ok
    if rules.decision_maker_roles is not None and "role" in values.columns:
        role_ok = _in_codes(values, "role", rules.decision_maker_roles)
        dm = role_ok if dm is None else _and(dm, role_ok)
    if dm is not None:
        out["elig_decision_maker"] = dm
    for crit, ok in routing_criteria(values, instrument, covered=set(out),
                                     routed=routed).items():
        out[f"elig_{crit}"] = ok
    return out


def routing_criteria(values, instrument, covered=frozenset(), routed=None) -> dict:
    """Criteria of the instrument's routing rules not already checked (screen-outs and skips
    that remove a firm from the analysis, e.g. ``no_rsn_use``: a firm that uses no social
    media skipped every benefit question, so it is counted, not silently lost).

    A rule's criterion is 0.0 where the rule fired and 1.0 elsewhere (a rule on a missing
    answer does not fire: never unknown).  ``no_consent`` is the consent step's own reason.
    The rules are evaluated by :func:`.skip_logic.routing_masks` (vectorised, the same rule as
    :func:`rsnprop.instrument.logic.routed_out`) unless ``routed`` gives them already.

    >>> import pandas as pd
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> vals = pd.DataFrame({"rsn_platforms": ["linkedin", "no_social_media", None]})
    >>> routing_criteria(vals, ins)["rsn_use"].tolist()
    [1.0, 0.0, 1.0]
    """

    if routed is None:
        routed = routing_masks(values, instrument)
    by_reason = {reason: crit for crit, reason in REASONS.items()}
    out = {}
    for rule in getattr(instrument, "routing", ()) or ():
        if rule.id == "no_consent":
            continue
        crit = by_reason.get(rule.id, rule.id[4:] if rule.id.startswith("not_") else rule.id)
        if f"elig_{crit}" in covered:
            continue
        out[crit] = np.where(routed[rule.id], 0.0, 1.0)
    return out


def consent_given(values, instrument):
    """1.0 when the consent item holds an eligible code, else 0.0 (missing = no consent)."""

    for iid, it in instrument.items.items():
        if getattr(it, "role", None) == "consent" and iid in values.columns:
            elig = getattr(it, "screening_eligible", None) or (1,)
            x = _col(values, iid)
            return np.isin(x, np.array([float(c) for c in elig])).astype("float64")
    return np.ones(len(values))


@dataclass
class Sample:
    """The eligibility criteria per row (``elig``: ``elig_<criterion>`` columns, three-valued)
    and who the row-level screens apply to: ``in_sample`` (consent given, shown the
    questionnaire, not routed out), ``stat_sample`` (the same without the duplicates
    excluded: the rows behind sample statistics such as the median duration)."""

    elig: object
    in_sample: object
    stat_sample: object
    criteria: dict = None     # the columns of ``elig`` as arrays (None: read them from it)

    def columns(self) -> dict:
        """``{column of elig: its array}``."""
        if self.criteria is not None:
            return self.criteria
        return {c: self.elig[c].to_numpy() for c in self.elig.columns.tolist()}


def screen_consent(values, instrument, rules, found):
    """Consent as a step of cleaning: with ``require_consent`` (the default) the rows without
    it get the ``no_consent`` reason in ``found`` (a :class:`~rsnprop.data.log.Findings`).
    Returns :func:`consent_given`."""
    consent = consent_given(values, instrument)
    if rules.require_consent:
        found.reasons["no_consent"] = consent == 0
    return consent


def screen_eligibility(values, instrument, rules, routing, consent, duplicates, found) -> Sample:
    """Eligibility as a step of cleaning.

    Each criterion not met (by a firm that consented) is an exclusion reason in ``found``
    (:data:`REASONS`, routing rules under their own); a criterion unknown for a firm in the
    sample excludes it (``<criterion>_unknown``) with ``eligibility.unknown: exclude``, else
    is a warning.  ``routing`` is :class:`~rsnprop.data.skip_logic.Routing`, ``duplicates``
    the duplicates excluded (:func:`~rsnprop.data.duplicates.screen_duplicates`).
    """

    n = len(values)
    in_sample = ~found.reasons.get("no_consent", np.zeros(n, dtype=bool))
    criteria = _criteria(values, instrument, rules.eligibility, routing.routed)
    not_met = np.zeros(n, dtype=bool)
    for col, met in criteria.items():
        crit = col[len("elig_"):]
        reason = REASONS.get(crit, f"not_{crit}")
        found.reasons[reason] = (met == 0) & consent.astype(bool)
        not_met |= found.reasons[reason]
    # careless and missingness screens apply to respondents who were shown the questionnaire
    # (consent and screening passed, per the skip logic) and are not screened out otherwise
    first_construct = next((c for con in instrument.constructs.values() for c in con.items
                            if c in values.columns), None)
    if first_construct is not None and first_construct in routing.shown:
        in_sample &= routing.shown[first_construct]
    for fired in routing.routed.values():   # screened out or routed past: own reason only
        in_sample &= ~fired
    # row-level screens (attention, speed, missingness) apply to every such respondent;
    # sample statistics (median duration, covariances of the indices) exclude duplicates
    stat_sample = in_sample & ~duplicates
    for col, met in criteria.items():
        crit = col[len("elig_"):]
        unknown = np.isnan(met) & in_sample & ~not_met
        if unknown.any():
            if rules.eligibility.unknown == "exclude":
                found.reasons[f"{crit}_unknown"] = unknown
            else:
                found.warn(f"{crit}: eligibility unknown (missing facts) for "
                           f"{int(unknown.sum())} firm(s), kept")
    return Sample(_criteria_frame(criteria, values.index), in_sample, stat_sample, criteria)


def _criteria_frame(criteria, index):
    """The frame :func:`check_eligibility` returns, from its columns; for a small export with
    the default index, the same columns, dtypes and values built from their blocks."""
    n = len(index)
    if 0 < n <= SMALL_ROWS and isinstance(index, pd.RangeIndex) and index.start == 0 \
            and index.step == 1 and criteria:
        return frame_of_columns(criteria, n)
    return pd.DataFrame(criteria, index=index)
