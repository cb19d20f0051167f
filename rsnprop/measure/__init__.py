"""Measurement quality: reliability, factor structure, validity and common-method checks.

Every statistic reproduces its R counterpart (psych, semTools, lavaan); the docstring of each
function names the R call.  The package names its public functions without importing their
modules: each module (and what it imports: SciPy's statistics, pandas, the SEM engine) is
imported when one of its names is first used, so that importing one module of the package
(:mod:`~rsnprop.measure.polychoric_correlation` for the clean's careless screen) does not import
the others.

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

import importlib
import importlib.util

# public name -> the module that defines it (no function shares its module's name, so
# ``rsnprop.measure.<module>`` is always the module: ``exploratory``, ``schmid_leiman``...)
_MODULES = {
    "cmv": ("common_latent_factor", "harman", "marker_variable"),
    "exploratory": ("EFAResult", "bartlett", "efa", "kmo", "parallel_analysis"),
    "factor": ("fa_matrix",),
    "schmid_leiman": ("omega", "omega_from_matrix", "schmid"),
    "polychoric_correlation": ("polychoric",),
    "internal_consistency": ("ReliabilityResult", "alpha", "feldt_ci"),
    "construct_validity": ("ValidityResult", "ave", "composite_reliability", "validity"),
    "heterotrait_monotrait": ("htmt",),
    "pipeline": ("measure_instrument", "MeasurementResult"),
}
#: ``rsnprop.reliability`` / ``rsnprop.measure.reliability``: the reliability function
#: (an alias of :func:`alpha`, defined in :mod:`rsnprop.measure.internal_consistency`).
_ALIASES = {"reliability": "alpha"}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted([*_WHERE, *_ALIASES])


def __getattr__(name):
    """The public function or class ``name``, from its module (imported on first use)."""
    source = _ALIASES.get(name, name)
    if source in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[source]}", __name__), source)
        globals()[name] = value
        return value
    if not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)  # a submodule not imported yet
    raise AttributeError(f"module 'rsnprop.measure' has no attribute {name!r}")


def __dir__():
    return __all__
