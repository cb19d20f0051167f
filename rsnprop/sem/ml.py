"""ML estimation of complete data or sample moments (lavaan's default ``estimator = "ML"``, and
``"MLR"``): Fisher scoring then BFGS (:meth:`rsnprop.sem.engine.Engine.fit`), standard errors from
the expected information, ML fit measures; MLR adds the sandwich and the Yuan-Bentler scaled test
(:mod:`rsnprop.sem.robust`).  :func:`estimate_ml` follows the estimator protocol of
:mod:`rsnprop.sem.estimate`.
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np

from ..errors import EstimationError, NonPositiveDefiniteWarning
from .estimate import Estimate, note_convergence
from .fitmeasures import ml_fit_measures
from .model import build_engine, start_values

__all__ = ["estimate_ml", "fit_core", "ml_vcov"]


def estimate_ml(pt, gdata, labels, *, estimator, arrays=None, n_dropped=0, se="standard", previous=None):
    """Fit ``pt`` by ML to the group statistics ``gdata``: an :class:`Estimate`.  ``arrays`` (the
    data per group) give MLR its sandwich and scaled test; without them the fit is ML.
    ``se="none"``: no standard errors (``vcov`` None).  ``previous``: ``(partable, theta)`` of a
    nested fit whose estimates start the optimiser (:func:`rsnprop.sem.model.start_values`)."""

    core = fit_core(pt, gdata, None if previous is None else start_values(pt, gdata, previous))
    engine, theta = core["engine"], core["theta"]
    warn = []
    note_convergence(core["converged"], warn)
    npar = pt.npar  # '==' constraints are already merged into shared parameters
    vcov = ml_vcov(engine, theta, warn) if se != "none" else None
    if estimator == "MLR" and arrays is not None:
        from .robust import mlr_adjust

        vcov, fitm = mlr_adjust(pt, engine, theta, arrays, npar, _x_moments(pt), warn)
    else:
        fitm = ml_fit_measures(engine, theta, npar, _x_moments(pt), x_idx=[pt.ov.index(v) for v in pt.ov_x])
    return Estimate(pt=pt, engine=engine, theta=theta, fmin=core["fmin"], converged=core["converged"],
                    iterations=core["iterations"], gdata=gdata, labels=labels, estimator=estimator, vcov=vcov,
                    fit=fitm, warnings=warn, n_dropped=n_dropped, data=arrays)


def fit_core(pt, gdata, theta0=None):
    """Estimate by ML; return dict(engine, theta, fmin, converged, iterations)."""
    engine = build_engine(pt, gdata)
    if pt.npar == 0:
        return dict(engine=engine, theta=np.zeros(0), fmin=engine.fml(np.zeros(0)), converged=True, iterations=0)
    for d in gdata:
        if not np.isfinite(d.logdet_cov):
            raise EstimationError("the sample covariance matrix is singular (a constant or duplicated "
                                  "variable?)", parameter="data")
    if theta0 is None:
        theta0 = start_values(pt, gdata)
    theta, fmin, converged, it = engine.fit(theta0)
    if not converged:
        # second attempt from a quasi-Newton optimiser
        from scipy import optimize

        def fun(t):
            f, g, _ = engine.grad_info(t)
            return (f, g) if np.isfinite(f) else (1e10, np.zeros_like(t))

        opt = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-9})
        theta2 = opt.x
        theta2, fmin2, converged2, it2 = engine.fit(theta2, maxit=200)
        if np.isfinite(fmin2) and (fmin2 <= fmin or not np.isfinite(fmin)):
            theta, fmin, converged, it = theta2, fmin2, converged2, it + it2
    return dict(engine=engine, theta=theta, fmin=fmin, converged=bool(converged), iterations=it)


def _x_moments(pt):
    px = len(pt.ov_x)
    return pt.ngroups * (px * (px + 1) // 2 + (px if pt.meanstructure else 0))


def ml_vcov(engine, theta, warn_list=None):
    """Inverse expected information / N (lavaan's default ML standard errors)."""
    if engine.q == 0:
        return np.zeros((0, 0))
    info = engine.information(theta)
    if info is None:
        return None
    try:
        vals = np.linalg.eigvalsh(info)
        if vals.min() <= 1e-10 * max(vals.max(), 1e-300):
            if warn_list is not None:
                warn_list.append("the information matrix is singular: the model may not be identified; "
                                 "standard errors are unreliable")
            _warnings.warn("singular information matrix", NonPositiveDefiniteWarning, stacklevel=4)
            return np.linalg.pinv(info) / engine.ntotal
        return np.linalg.inv(info) / engine.ntotal
    except np.linalg.LinAlgError:
        return None
