"""Consistency of the firm facts: impossible or inconsistent facts (``sale_before_founding``,
``founded_after_survey``, ``sale_after_survey``, ``more_continents_than_countries``,
``share_without_foreign_sale``) and constant-sum groups that do not add up (``constant_sum``).

Examples
--------
>>> import pandas as pd
>>> from rsnprop.data.consistency import check_facts
>>> vals = pd.DataFrame({"founding_year": [2010.0, 2015.0],
...                      "first_foreign_sale_year": [2012.0, 2011.0]})
>>> [(r, m.tolist()) for m, _, r in check_facts(vals)][0]
('sale_before_founding', [False, True])
"""

from __future__ import annotations

import numpy as np

from .validate import problems_frame
from .validate_small import _kept_floats, float_column, forget_floats

__all__ = ["apply_consistency_checks", "check_facts", "check_constant_sums"]


def apply_consistency_checks(values, instrument, rules, found):
    """Impossible facts and constant sums, as a step of cleaning (``values`` changed in place).

    Every impossible fact and every constant-sum group that does not add up is a problem in
    ``found`` (a :class:`~rsnprop.data.log.Findings`).  The facts become missing
    (``impossible_facts: missing``) or exclude the firm (``exclude``: reason
    ``impossible_fact``); the sums become missing, are rescaled to the total or kept
    (``constant_sum_action``)."""

    impossible = np.zeros(len(values), dtype=bool)
    for mask, cols, reason in check_facts(values):
        if mask.any():
            for c in cols:
                if c in values.columns:
                    found.problems.append(problems_frame(np.flatnonzero(mask), c,
                                                         values[c].to_numpy()[mask], reason))
            if rules.impossible_facts == "missing":
                forget_floats(values)     # the values change in place
                for c in cols:
                    if c in values.columns:
                        values.loc[mask, c] = np.nan
            impossible |= mask
    if rules.impossible_facts == "exclude" and impossible.any():
        found.reasons["impossible_fact"] = impossible
    for mask, cols, total in check_constant_sums(values, instrument, rules.constant_sum_total,
                                                 rules.constant_sum_tolerance):
        if not mask.any():
            continue
        sums = values.loc[mask, cols].sum(axis=1).to_numpy()
        found.problems.append(problems_frame(np.flatnonzero(mask), "+".join(cols), sums,
                                             "constant_sum"))
        forget_floats(values)             # the values may change in place
        if rules.constant_sum_action == "missing":
            values.loc[mask, cols] = np.nan
        elif rules.constant_sum_action == "rescale":
            block = values.loc[mask, cols]
            values.loc[mask, cols] = block.mul(total / block.sum(axis=1).replace(0, np.nan), axis=0)


def check_facts(values, *, survey_year=None):
    """Impossible or inconsistent facts: list of ``(mask, columns, reason)``.

    * first foreign sale before founding (``sale_before_founding``);
    * founding or first foreign sale after the survey year (``founded_after_survey``,
      ``sale_after_survey``);
    * more continents than countries (``more_continents_than_countries``);
    * a foreign-sales share at year 3 above 0 while the first foreign sale came more than 3
      years after founding (``share_without_foreign_sale``).
    """

    def col(name):
        if name in values.columns:
            return float_column(values, name)
        return np.full(len(values), np.nan)

    found, first = col("founding_year"), col("first_foreign_sale_year")
    year = col("survey_year") if survey_year is None else np.full(len(values), survey_year)
    with np.errstate(invalid="ignore"):
        out = [
            (first < found, ["founding_year", "first_foreign_sale_year"], "sale_before_founding"),
            (found > year, ["founding_year"], "founded_after_survey"),
            (first > year, ["first_foreign_sale_year"], "sale_after_survey"),
            (col("n_continents") > col("n_countries"), ["n_continents", "n_countries"],
             "more_continents_than_countries"),
            ((col("foreign_share_y3") > 0) & (first - found > 3),
             ["foreign_share_y3"], "share_without_foreign_sale"),
        ]
    return [(np.asarray(m, dtype=bool), c, r) for m, c, r in out]



def check_constant_sums(values, instrument, total_default=100.0, tol=1.0):
    """Constant-sum groups whose answered parts do not add up: list of (mask, columns, total)."""

    groups = {}
    for iid, it in instrument.items.items():
        cs = getattr(it, "constant_sum", None)
        if cs is not None and iid in values.columns:
            groups.setdefault(cs.group, (cs.total or total_default, []))[1].append(iid)
    out = []
    for _, (total, cols) in sorted(groups.items()):
        block = _kept_floats(values, cols)       # small exports: the validated floats
        if block is None:
            block = values[cols].to_numpy(dtype="float64", na_value=np.nan)
        complete = ~np.isnan(block).any(axis=1)
        with np.errstate(invalid="ignore"):
            off = complete & (np.abs(np.nansum(block, axis=1) - total) > tol)
        out.append((off, cols, total))
    return out
