"""The Monte Carlo power's arithmetic of the tests: :func:`lean_tests`.

Within a :func:`lean_tests` block the within-group and interaction tests
(:mod:`rsnprop.propositions.paired`, :mod:`rsnprop.propositions.interaction`) compute their
t statistics with :mod:`rsnprop.propositions.student_t` instead of
:func:`scipy.stats.ttest_rel`, and their regressions with
:func:`rsnprop.propositions.least_squares.ols_fit` instead of statsmodels' OLS: the same
numbers to the last bit, without SciPy's argument checks and without importing statsmodels'
regression module (about 0.2 s of CPU per ``rsnprop power`` command).  The replications of
:mod:`rsnprop.power.pipeline` run this way; the full analysis keeps SciPy and statsmodels
(and SciPy's "precision loss" warning about nearly identical values, which the power
replications ignore like every warning).

``lean_tests(effect_intervals=False)`` also leaves out the exact interval of the primary
within-group rows' d_z (two root searches on the noncentral t per hypothesis, about 0.1 ms
each; ``es_ci_lower``/``es_ci_upper`` None, d_z itself the same): a replication's record
reads the verdicts, the effect sizes and the corrected p-values, never that interval.

>>> with lean_tests():
...     is_lean(), effect_intervals()
(True, True)
>>> with lean_tests(effect_intervals=False):
...     effect_intervals()
False
>>> is_lean(), effect_intervals()
(False, True)
"""

from __future__ import annotations

import contextlib
import contextvars

__all__ = ["lean_tests", "is_lean", "effect_intervals"]

_LEAN = contextvars.ContextVar("rsnprop_lean_tests", default=False)
_INTERVALS = contextvars.ContextVar("rsnprop_effect_intervals", default=True)


@contextlib.contextmanager
def lean_tests(*, effect_intervals: bool = True):
    """Run the tests of the block with the Monte Carlo arithmetic (module docstring);
    ``effect_intervals=False``: without the primary rows' d_z intervals."""
    token, kept = _LEAN.set(True), _INTERVALS.set(bool(effect_intervals))
    try:
        yield
    finally:
        _INTERVALS.reset(kept)
        _LEAN.reset(token)


def is_lean() -> bool:
    """Whether the caller is within a :func:`lean_tests` block."""
    return _LEAN.get()


def effect_intervals() -> bool:
    """Whether the primary within-group rows carry their d_z interval (False only within a
    ``lean_tests(effect_intervals=False)`` block)."""
    return _INTERVALS.get()
