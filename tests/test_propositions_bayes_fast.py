"""The JZS Bayes factor's Student t log cdf (rsnprop.distributions.t_logcdf_float, issue
21: the study rebuild) is ``scipy.stats.t.logcdf`` to the bit, in the tails and at the edges."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from rsnprop.propositions import effect_sizes
from rsnprop.distributions import t_logcdf_float
from rsnprop.propositions.effect_sizes import jzs_log_bf10


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_log_stdtr_is_scipy_t_logcdf_to_the_bit():
    rng = np.random.default_rng(3)
    xs = [*rng.normal(0, 4, 300), *rng.normal(0, 60, 100), 0.0, -0.0, 1e-300, -1e-300, 38.5, -38.5,
          -1e4, 1e4, -1e300, math.inf, -math.inf, math.nan]
    dfs = [1, 2, 2.5, 7, 30, 31.0, 299, 1e6, math.inf, 0, -3, math.nan]
    for df in dfs:
        for x in xs:
            with np.errstate(all="ignore"):
                want = float(stats.t.logcdf(x, df))
            assert _same(t_logcdf_float(float(x), float(df)), want), (x, df)


def test_bayes_factor_unchanged_by_the_fast_log_cdf(monkeypatch):
    cases = [(2.5, 30, "greater"), (-1.2, 12, "greater"), (3.1, 200, "less"), (-40.0, 20, "greater"),
             (0.4, 5, "two-sided")]
    fast = [jzs_log_bf10(t, n, alternative=a) for t, n, a in cases]
    monkeypatch.setattr(effect_sizes, "t_logcdf_float", lambda x, df: float(stats.t.logcdf(x, df)))
    slow = [jzs_log_bf10(t, n, alternative=a) for t, n, a in cases]
    assert all(_same(a, b) for a, b in zip(fast, slow))
