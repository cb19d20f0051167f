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
"""

from __future__ import annotations

import importlib

_LAZY = {
    "alpha": "reliability", "ReliabilityResult": "reliability", "feldt_ci": "reliability",
    "omega": "omega", "omega_from_matrix": "omega", "schmid": "omega",
    "efa": "efa", "EFAResult": "efa", "kmo": "efa", "bartlett": "efa",
    "parallel_analysis": "efa", "fa_matrix": "factor",
    "polychoric": "polychoric",
    "validity": "validity", "ValidityResult": "validity", "htmt": "validity",
    "composite_reliability": "validity", "ave": "validity",
    "harman": "cmv", "marker_variable": "cmv", "common_latent_factor": "cmv",
    "measure_instrument": "pipeline", "MeasurementResult": "pipeline",
    "loadings_heatmap": "report", "measurement_section": "report",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        mod = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(mod, name)
    raise AttributeError(f"module 'rsnprop.measure' has no attribute {name!r}")


def __dir__():
    return __all__
