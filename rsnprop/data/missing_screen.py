"""Missing answers as steps of cleaning: the screen (a firm that left more than
``max_missing_share`` of the construct items it was shown unanswered is excluded:
``too_many_missing``) and the log's ``missing`` block (per item and pattern counts,
:func:`.missing.missing_summary`, and Little's MCAR test, :func:`.missing.little_mcar_test`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.data.log import Findings
>>> from rsnprop.data.rules import CleaningRules
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> vals = pd.DataFrame({"ia_1": [1.0, np.nan], "ia_2": [2.0, np.nan]})
>>> found = Findings()
>>> items, share = screen_missing_share(vals, ins, {}, np.ones(2, dtype=bool), CleaningRules(), found)
>>> items, share.tolist(), found.reasons["too_many_missing"].tolist()
(['ia_1', 'ia_2'], [0.0, 1.0], [False, True])
"""

from __future__ import annotations

import warnings

import numpy as np

from .missing import little_mcar_test, missing_summary
from .skip_logic import shown_missing_share

__all__ = ["screen_missing_share", "missing_report"]


def screen_missing_share(values, instrument, shown, in_sample, rules, found):
    """Share of the construct items shown (``shown``: :class:`~rsnprop.data.skip_logic.Routing`)
    left unanswered per row; above ``max_missing_share`` is the ``too_many_missing`` reason
    (rows in the sample only).  Returns the construct items present and the shares (``None``
    without construct items)."""

    construct_items = [c for con in instrument.constructs.values() for c in con.items
                       if c in values.columns]
    if not construct_items:
        return construct_items, None
    miss_share = shown_missing_share(values, construct_items, shown)   # shown items only
    found.reasons["too_many_missing"] = (miss_share > rules.max_missing_share) & in_sample
    return construct_items, miss_share


def missing_report(data, construct_items, rules, warn) -> dict:
    """The log's ``missing`` block for the kept firms (``data``): :func:`.missing.missing_summary`
    and ``little_mcar`` (on a sample of ``mcar_test_sample`` rows when larger; ``None`` above
    ``mcar_test_max_rows`` rows or when singular).  ``warn`` receives why the test was not
    computed, or that it rejects MCAR."""

    n_kept = len(data)
    missing = missing_summary(data, construct_items) if construct_items else {}
    if construct_items and n_kept > rules.mcar_test_max_rows:
        missing["little_mcar"] = None
        warn(f"Little's MCAR test not computed: {n_kept} rows > mcar_test_max_rows "
             f"({rules.mcar_test_max_rows}); call rsnprop.data.little_mcar_test on a sample")
    elif construct_items and n_kept > len(construct_items) + 1:
        try:
            mcar_data = data
            if n_kept > rules.mcar_test_sample:
                pick = np.sort(np.random.default_rng(rules.mcar_test_seed).choice(
                    n_kept, rules.mcar_test_sample, replace=False))
                mcar_data = data.iloc[pick]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mcar = little_mcar_test(mcar_data, construct_items)
            missing["little_mcar"] = mcar
            mcar["sampled"] = bool(n_kept > rules.mcar_test_sample)
            if mcar["p_value"] is not None and mcar["p_value"] < 0.05:
                warn(f"Little's MCAR test rejects MCAR (chi2 = {mcar['statistic']:.1f}, "
                     f"df = {mcar['df']}, p = {mcar['p_value']:.3g}):"
                     " prefer FIML or multiple imputation over listwise deletion")
        except np.linalg.LinAlgError as err:
            missing["little_mcar"] = None
            warn(f"Little's MCAR test not computed ({err})")
    return missing
