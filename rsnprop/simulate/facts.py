"""Classification facts consistent with the born-global definitions.

Truth -> facts (all years relative to ``survey_year``):

* born globals: first foreign sale 0-2 years after founding, foreign share at year 3 of
  25-90 % (so ``bg_ms20``, ``bg_kc25`` both hold); a share ``bg_distant_share`` serve other
  continents (``distant_markets`` = 1, ``n_continents`` >= 2: ``bg_true``, Kuivalainen et al.
  2007), the others only their own continent;
* traditional firms: in phase 1 no foreign sale yet (year missing, shares 0, no countries);
  otherwise first foreign sale 3+ years after founding, foreign share at year 3 below 20 %,
  except a share ``borderline_rate`` with 20-24 % at year 3 (born global for Madsen & Servais'
  20 % rule only, so the definitions disagree as they do in real data);
* SMEs have 1-249 employees; ``ineligible_rate`` firms have 250+ (eligibility exclusions).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.simulate.scenarios import get_scenario
>>> truth = pd.DataFrame({"born_global": [1, 0], "phase": [3, 1], "size_z": [0.0, 0.0],
...                       "sector": ["J", "C"]})
>>> f = simulate_facts(truth, get_scenario("p1p2").facts, np.random.default_rng(1))
>>> bool(f.loc[0, "foreign_share_y3"] >= 25), bool(np.isnan(f.loc[1, "first_foreign_sale_year"]))
(True, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import column_of, n_rows

__all__ = ["simulate_facts", "fact_arrays", "FACT_COLUMNS"]

FACT_COLUMNS = ("founding_year", "first_foreign_sale_year", "foreign_share_y3", "foreign_share_now",
                "n_countries", "n_continents", "distant_markets", "employees", "turnover_band",
                "balance_band", "sector", "b2b", "role", "phase", "survey_year", "consent")

# EU thresholds in EUR million for turnover / balance bands (micro, small, medium, large)
_TURNOVER_EDGES = (2.0, 10.0, 50.0)
_BALANCE_EDGES = (2.0, 10.0, 43.0)


def simulate_facts(truth, spec, rng):
    """Facts for each row of ``truth`` (columns born_global, phase, size_z, sector).

    Returns a DataFrame with :data:`FACT_COLUMNS` plus ``eligible`` (bool truth, not exported).
    Bands are 1 (micro) .. 4 (above the SME ceiling); ``role`` 1 founder/owner-manager,
    2 other manager, 3 marketing/communication staff, 4 other; ``consent`` 1 yes, 0 no.
    """

    index = truth.index if hasattr(truth, "index") else None
    return pd.DataFrame(fact_arrays(truth, spec, rng), index=index)


def fact_arrays(truth, spec, rng) -> dict:
    """:func:`simulate_facts`' columns as ``{column: array}`` (the same draws, without the
    frame); ``truth`` a frame or a ``{column: array}`` dict
    (:func:`rsnprop.simulate.population.latent_arrays`)."""

    n = n_rows(truth)
    bg = column_of(truth, "born_global") == 1
    phase = column_of(truth, "phase")
    year = spec.survey_year
    u = rng.random((n, 16))
    z = rng.standard_normal((n, 4))

    age = np.where(bg, 4 + np.floor(u[:, 0] * 12), 4 + np.floor(rng.gamma(2.0, 9.0, n)))
    age = np.minimum(age, 80)
    founding = year - age
    # years from founding to first foreign sale
    ytffs = np.where(bg, np.floor(u[:, 1] * 3), 3 + np.floor(u[:, 2] * np.maximum(age - 3, 1)))
    ytffs = np.minimum(ytffs, age - 1)
    exported = ~((~bg) & (phase == 1))
    first = np.where(exported, founding + ytffs, np.nan)

    share_y3 = np.where(bg, np.round(25 + 65 * rng.beta(1.6, 2.2, n)), 0.0)
    early_trad = (~bg) & exported & (ytffs <= 3)
    share_y3 = np.where(early_trad, np.round(1 + 17 * u[:, 3]), share_y3)
    border = (~bg) & exported & (u[:, 4] < spec.borderline_rate)
    share_y3 = np.where(border, 20 + np.floor(u[:, 5] * 5), share_y3)
    # a borderline firm must have sold abroad by year 3
    first = np.where(border, founding + np.minimum(np.floor(u[:, 6] * 3), age - 1), first)
    grow = np.where(bg, 5 + 20 * u[:, 7], phase * 6 + 10 * u[:, 7])
    share_now = np.where(exported, np.clip(np.round(share_y3 + grow), 1, 98), 0.0)

    distant = np.where(bg, u[:, 8] < spec.bg_distant_share,
                       exported & (u[:, 9] < 0.08 * phase))
    n_cont = np.where(distant, 2 + np.floor(u[:, 10] * np.where(bg, 4, 2)), np.where(exported, 1, 0))
    n_countries = np.where(bg, np.maximum(n_cont, 3 + np.round(np.exp(1.5 + 0.7 * z[:, 0]))),
                           np.where(exported, np.maximum(n_cont, np.ceil(phase * 1.5 * np.exp(0.5 * z[:, 1]))), 0))
    n_countries = np.minimum(n_countries, 120)

    eligible = u[:, 11] >= spec.ineligible_rate
    log_emp = np.log(22.0) + 0.95 * column_of(truth, "size_z")
    employees = np.clip(np.round(np.exp(log_emp)), 1, 249)
    employees = np.where(eligible, employees, np.round(250 + 900 * u[:, 12]))
    turnover = employees * 0.15 * np.exp(0.45 * z[:, 2])          # EUR million
    balance = turnover * 0.6 * np.exp(0.35 * z[:, 3])
    turnover_band = 1 + np.searchsorted(_TURNOVER_EDGES, turnover)
    balance_band = 1 + np.searchsorted(_BALANCE_EDGES, balance)
    b2b = (u[:, 13] < np.where(bg, 0.8, 0.65)).astype(int)
    role = 1 + np.searchsorted([0.55, 0.80, 0.92], u[:, 14])
    consent = (u[:, 15] >= spec.nonconsent_rate).astype(int)

    return {
        "founding_year": founding.astype(int),
        "first_foreign_sale_year": first,
        "foreign_share_y3": share_y3,
        "foreign_share_now": share_now,
        "n_countries": n_countries.astype(int),
        "n_continents": n_cont.astype(int),
        "distant_markets": distant.astype(int),
        "employees": employees.astype(int),
        "turnover_band": turnover_band.astype(int),
        "balance_band": balance_band.astype(int),
        "sector": column_of(truth, "sector"),
        "b2b": b2b,
        "role": role.astype(int),
        "phase": phase.astype(int),
        "survey_year": np.full(n, year, dtype=int),
        "consent": consent,
        "eligible": eligible,
    }
