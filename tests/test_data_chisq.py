"""rsnprop.data.chisq.chi2_sf is scipy.stats.chi2.sf bit for bit (the careless screen's
Mahalanobis p-values and Little's MCAR test use it, so that cleaning does not import
scipy.stats), including outside chdtrc's domain (x <= 0, infinities, NaN)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy.stats import chi2

from rsnprop.data.chisq import chi2_sf


def test_chi2_sf_equals_scipy_stats():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.chisquare(38, 20000), rng.random(1000) * 1e3,
                        [0.0, -0.0, -1e-12, -5.0, np.nan, np.inf, -np.inf, 1e-300, 1e308]])
    for df in (1, 2, 5, 38, 83, 1000, 2.5):
        np.testing.assert_array_equal(chi2_sf(x, df), chi2.sf(x, df))
        for v in (12.5, 0.0, -1.0, np.nan):
            a, b = chi2_sf(v, df), chi2.sf(v, df)
            assert type(a) is type(b)
            np.testing.assert_array_equal(a, b)


def test_cleaning_does_not_import_scipy_stats():
    code = ("import sys, rsnprop.data, rsnprop.commands.clean, rsnprop.instrument; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
