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

>>> with lean_tests():
...     is_lean()
True
>>> is_lean()
False
"""

from __future__ import annotations

import contextlib
import contextvars

__all__ = ["lean_tests", "is_lean"]

_LEAN = contextvars.ContextVar("rsnprop_lean_tests", default=False)


@contextlib.contextmanager
def lean_tests():
    """Run the tests of the block with the Monte Carlo arithmetic (module docstring)."""
    token = _LEAN.set(True)
    try:
        yield
    finally:
        _LEAN.reset(token)


def is_lean() -> bool:
    """Whether the caller is within a :func:`lean_tests` block."""
    return _LEAN.get()
