"""Born-global classification under several definitions, all kept as columns.

=========================  ===================================================================
column                     definition (1 = born global, 0 = not, NaN = cannot tell)
=========================  ===================================================================
``years_to_first_foreign_sale``  first foreign sale year - founding year (continuous)
``bg_ms20``                >= 20 % foreign sales within 3 years of founding
                           (Madsen & Servais 1997)
``bg_kc25``                >= 25 % foreign sales within 3 years (Knight & Cavusgil 2004)
``bg_true``                Kuivalainen, Sundqvist & Servais (2007) "true born global":
                           exporting within 3 years, >= 25 % foreign sales, and presence in
                           distant markets
``bg_kss``                 Kuivalainen et al.'s types: ``true_born_global``,
                           ``apparent_born_global`` (exporting within 3 years without meeting
                           both intensity and scope), ``gradual`` (later first foreign sale)
``bg_speed3``              first foreign sale within 3 years of founding
``bg_continents``          serves at least ``min_continents`` continents (default 2)
``bg_countries``           serves at least ``min_countries`` countries (default 5)
=========================  ===================================================================

The window (3 years) and the shares are :class:`~rsnprop.data.rules.ClassificationRules`.
A firm with no foreign sale yet (phase 1) is 0 under every definition. ``foreign_share_y3`` at or
above a threshold implies exporting within the window, so a missing first-sale year does not
make the firm unknown; a first sale known to come later than the window makes it 0.

Examples
--------
>>> import pandas as pd
>>> facts = pd.DataFrame({"founding_year": [2010, 2010, 2010], "first_foreign_sale_year":
...     [2011, 2016, None], "foreign_share_y3": [22.0, 0.0, None], "distant_markets": [1, 0, None],
...     "n_continents": [3, 1, None], "n_countries": [9, 2, None], "phase": [3, 3, 3]})
>>> out = classify_born_global(facts)
>>> out[["bg_ms20", "bg_kc25", "bg_true"]].values.tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [nan, nan, nan]]
>>> out["bg_kss"].tolist()
['apparent_born_global', 'gradual', nan]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rules import ClassificationRules
from .small_frames import default_index, frame_of_dict

__all__ = ["classify_born_global", "born_global_columns", "BG_COLUMNS", "FACT_INPUTS"]

BG_COLUMNS = ["years_to_first_foreign_sale", "bg_ms20", "bg_kc25", "bg_true", "bg_kss",
              "bg_speed3", "bg_continents", "bg_countries"]
#: the facts the classification reads
FACT_INPUTS = ("founding_year", "first_foreign_sale_year", "foreign_share_y3", "distant_markets",
               "phase", "n_continents", "n_countries")


def born_global_columns(columns) -> list:
    """The :data:`FACT_INPUTS` among ``columns`` (a frame's column names), in that order: the
    columns :func:`classify_born_global` reads (the others it treats as unknown).

    >>> born_global_columns(["phase", "rel_1", "founding_year"])
    ['founding_year', 'phase']
    """
    have = set(columns)
    return [c for c in FACT_INPUTS if c in have]


def _col(values, name, n):
    if isinstance(values, dict):
        return (np.asarray(values[name], dtype="float64") if name in values
                else np.full(n, np.nan))
    if name in values.columns:
        return values[name].to_numpy(dtype="float64", na_value=np.nan)
    return np.full(n, np.nan)


def _tri(true, false):
    """1 where ``true``, 0 where ``false`` (and not true), NaN elsewhere."""

    return np.where(true, 1.0, np.where(false, 0.0, np.nan))


def classify_born_global(values, rules=None, *, index=None):
    """Classification columns (see the module docstring) for every row of ``values``.

    Parameters
    ----------
    values : pandas.DataFrame or dict
        Recoded facts: ``founding_year``, ``first_foreign_sale_year``, ``foreign_share_y3``,
        ``n_countries``, ``n_continents``, ``distant_markets``, ``phase`` (missing columns are
        treated as unknown); or ``{column: floats}`` of them (then ``index`` is required).
    rules : rsnprop.data.rules.ClassificationRules, optional
    index : pandas.Index, optional
        The rows' index (default: ``values.index``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BG_COLUMNS`, same index as ``values``; 0/1 columns are float with NaN
        for unknown.
    """

    r = rules or ClassificationRules()
    w = r.window_years
    index = values.index if index is None else index
    n = len(index)
    found, first = _col(values, "founding_year", n), _col(values, "first_foreign_sale_year", n)
    share = _col(values, "foreign_share_y3", n)
    distant = _col(values, "distant_markets", n)
    phase = _col(values, "phase", n)
    years = first - found
    with np.errstate(invalid="ignore"):
        never = phase == 1                                   # no foreign sale yet
        late = (years > w) | never
        fast_known = years <= w
        out = {}    # the columns in order, one frame at the end
        out["years_to_first_foreign_sale"] = np.where(years >= 0, years, np.nan)

        def share_rule(thr):
            hit = (share >= thr) & ~late
            miss = (share < thr) | late
            return _tri(hit, miss)

        out["bg_ms20"] = share_rule(r.ms_share)
        out["bg_kc25"] = share_rule(r.kc_share)
        fast = fast_known | ((share > 0) & ~late)
        intense = share >= r.kss_share
        far = distant == 1
        true_bg = fast & intense & far
        not_true = late | (share < r.kss_share) | (distant == 0)
        out["bg_true"] = _tri(true_bg, not_true)
        kss = np.full(n, None, dtype=object)
        kss[fast & ~np.isnan(share) & ~np.isnan(distant)] = "apparent_born_global"
        kss[true_bg] = "true_born_global"
        kss[late] = "gradual"
        out["bg_kss"] = kss
        out["bg_speed3"] = _tri(fast, late)
        ncont, ncty = _col(values, "n_continents", n), _col(values, "n_countries", n)
        out["bg_continents"] = _tri(ncont >= r.min_continents,
                                    (ncont < r.min_continents) | never)
        out["bg_countries"] = _tri(ncty >= r.min_countries, (ncty < r.min_countries) | never)
    if n <= _SMALL and default_index(index, n):   # a power replication's: from its blocks
        return frame_of_dict(out, n)
    return pd.DataFrame(out, index=index)


#: up to this many rows the frame is built from its blocks (:func:`.small_frames.frame_of_dict`,
#: the same frame; :data:`.validate_small.SMALL_ROWS`)
_SMALL = 20_000
