"""The estimator protocol: what every estimator hands back to :func:`rsnprop.sem.fit`.

:func:`rsnprop.sem.fit` checks the options, calls one estimator and assembles the result
itself (:func:`rsnprop.sem.assemble.assemble_result`); estimators never call back into the API:

* :func:`rsnprop.sem.ml.estimate_ml` -- ML and MLR, complete data or sample moments;
* :func:`rsnprop.sem.fiml.estimate_fiml` -- full-information ML (incomplete data);
* :func:`rsnprop.sem.ordinal.estimate_ordinal` -- DWLS / WLSMV (ordinal indicators).

Each returns an :class:`Estimate`: the parameter table, the engine at the estimates, the
group statistics, the covariance matrix of the estimates, the fit measures and the warnings so
far.  The assembly adds the identification checks, the estimates table (SEs, CIs, standardised
solution, defined parameters), R-squared and the checks of the solution.

Examples
--------
The steps of ``fit(model, hs)`` for complete data (R: ``cfa(model, data =
HolzingerSwineford1939)``):

>>> from rsnprop.datasets import holzinger_swineford
>>> from rsnprop.sem.assemble import assemble_result
>>> from rsnprop.sem.data import prepare_data
>>> from rsnprop.sem.engine import GroupData
>>> from rsnprop.sem.ml import estimate_ml
>>> from rsnprop.sem.partable import build_partable
>>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
>>> hs = holzinger_swineford()
>>> pt = build_partable(model, ngroups=1, data_columns=list(hs.columns))
>>> arrays, labels, n_dropped = prepare_data(hs, pt.ov, group=None, missing="listwise")
>>> est = estimate_ml(pt, [GroupData.from_array(x) for x in arrays], labels, estimator="ML")
>>> round(est.fit["chi2"], 3), est.fit["df"]
(85.306, 24)
>>> res = assemble_result(est, level=0.95, model=model)
>>> round(res.parameter("visual", "=~", "x2"), 3)
0.554
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConvergenceWarning

__all__ = ["Estimate", "note_convergence"]


@dataclass
class Estimate:
    """One fitted model, before the result is assembled.

    Attributes
    ----------
    pt : ParTable
        The parameter table (fixed values of derived rows already set by the estimator).
    engine : Engine
        Evaluates the implied moments at ``theta`` (``engine.groups[g].implied(theta)``);
        ``engine.data`` the sample (or, FIML, saturated) statistics per group.
    theta : numpy.ndarray
        The free parameters at the estimates.
    fmin, converged, iterations
        Optimiser summary.
    gdata : list of GroupData
        Sample statistics per group (sizes for ``n_per_group``, checks of the solution).
    labels : list
        Group labels in lavaan's order.
    estimator : str
    vcov : numpy.ndarray
        Covariance matrix of ``theta`` (``None``: not available).
    fit : dict
        Fit measures by name.
    warnings : list of str
        Warnings so far (the assembly appends its own).
    n_dropped : int
        Rows dropped by the data preparation.
    data : list of numpy.ndarray, optional
        The data arrays per group (what the bootstrap resamples).
    attributes : dict
        Extra attributes of the result (``ordinal``, ``polychoric``, ``_wls``...).
    """

    pt: object
    engine: object
    theta: np.ndarray
    fmin: float
    converged: bool
    iterations: int
    gdata: list
    labels: list
    estimator: str
    vcov: np.ndarray | None
    fit: dict
    warnings: list = field(default_factory=list)
    n_dropped: int = 0
    data: list | None = None
    attributes: dict = field(default_factory=dict)

    @property
    def core(self) -> dict:
        """The optimiser's output as a dict (``engine, theta, fmin, converged, iterations``)."""
        return dict(engine=self.engine, theta=self.theta, fmin=self.fmin, converged=self.converged,
                    iterations=self.iterations)


def note_convergence(converged, warn_list):
    """Warn (:class:`~rsnprop.errors.ConvergenceWarning` and ``warn_list``) when the optimiser did
    not converge."""
    if not converged:
        warn_list.append("the optimiser did not converge: estimates are not trustworthy")
        _warnings.warn("SEM did not converge", ConvergenceWarning, stacklevel=4)
