"""Measurement quality: reliability, factor structure, validity and common-method checks.

Every statistic reproduces its R counterpart (psych, semTools, lavaan); the docstring of each
function names the R call.  Heavy modules are imported lazily.

Public API
----------
Reliability
    :func:`alpha` (Cronbach's alpha, Feldt and bootstrap CIs, item statistics, omega),
    :func:`omega` (psych::omega, Schmid-Leiman).
Factor structure
    :func:`efa` (KMO, Bartlett, parallel analysis, EFA), :func:`kmo`, :func:`bartlett`,
    :func:`parallel_analysis`, :func:`fa_matrix` (psych::fa on a correlation matrix),
    :func:`polychoric`.
Validity (from a CFA)
    :func:`validity` (CR, compRelSEM omega, AVE, Fornell-Larcker, HTMT with bootstrap CIs),
    :func:`htmt`.
Common-method variance
    :func:`harman`, :func:`marker_variable`, :func:`common_latent_factor`.
Pipeline
    :func:`measure_instrument` (the ``rsnprop measure`` step, writes measurement.json).

Every function returns a :class:`rsnprop.results.Result` (``to_frame()``, ``to_dict()``,
``summary()``, HTML); the statistics are its attributes (``res.omega_h``).  Results that
replaced a dictionary can still be indexed like it (``res["omega_h"]``) for the transition
(:class:`rsnprop.measure.statistics.NamedStatistics`).

Modules: :mod:`~rsnprop.measure.internal_consistency` (alpha),
:mod:`~rsnprop.measure.schmid_leiman` (omega), :mod:`~rsnprop.measure.exploratory` (KMO,
Bartlett, parallel analysis, EFA), :mod:`~rsnprop.measure.factor` (factor extraction),
:mod:`~rsnprop.measure.rotation`, :mod:`~rsnprop.measure.polychoric_correlation`,
:mod:`~rsnprop.measure.construct_validity` (CR, AVE, Fornell-Larcker),
:mod:`~rsnprop.measure.heterotrait_monotrait` (HTMT), :mod:`~rsnprop.measure.cmv`,
:mod:`~rsnprop.measure.item_data` (item selection, reverse keying, missing data),
:mod:`~rsnprop.measure.pipeline` (``rsnprop measure``).
"""

from __future__ import annotations

# Public functions are imported eagerly.  No function shares its module's name, so
# ``rsnprop.measure.<module>`` is always the module (``exploratory``, ``schmid_leiman``,
# ``polychoric_correlation``, ``internal_consistency``, ``construct_validity``...).  These
# modules import numpy only; scipy, pandas and the SEM engine load inside the functions.
from .cmv import common_latent_factor, harman, marker_variable  # noqa: F401
from .exploratory import EFAResult, bartlett, efa, kmo, parallel_analysis  # noqa: F401
from .factor import fa_matrix  # noqa: F401
from .schmid_leiman import omega, omega_from_matrix, schmid  # noqa: F401
from .polychoric_correlation import polychoric  # noqa: F401
from .internal_consistency import ReliabilityResult, alpha, feldt_ci  # noqa: F401
from .construct_validity import ValidityResult, ave, composite_reliability, validity  # noqa: F401
from .heterotrait_monotrait import htmt  # noqa: F401

#: ``rsnprop.reliability`` / ``rsnprop.measure.reliability``: the reliability function
#: (an alias of :func:`alpha`, defined in :mod:`rsnprop.measure.internal_consistency`).
reliability = alpha

_LAZY = {"measure_instrument": "pipeline", "MeasurementResult": "pipeline"}

__all__ = sorted(["alpha", "reliability", "ReliabilityResult", "feldt_ci", "omega", "omega_from_matrix",
                  "schmid", "efa", "EFAResult", "kmo", "bartlett", "parallel_analysis",
                  "fa_matrix", "polychoric", "validity", "ValidityResult", "htmt",
                  "composite_reliability", "ave", "harman", "marker_variable",
                  "common_latent_factor", *_LAZY])


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name == "pipeline":  # the one submodule not imported above
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'rsnprop.measure' has no attribute {name!r}")


def __dir__():
    return __all__
