"""The warm start of a lean fit (:func:`rsnprop.sem.lean_fit.lean_fit`) from the previous step of an
invariance sequence: a minimum-distance projection of the previous estimates with the previous
fit's BFGS matrix, and that matrix carried over as the first curvature.

The start values (:func:`rsnprop.sem.model.start_values`) map every parameter of a nested step to
the previous step's estimate of the same row (the mean of the estimates a new equality ties
together) and start a new latent mean by a regression of the intercepts' differences on the
loadings.  A step nested in the previous one has, to first order, ``theta_prev = P theta`` (``P``:
the rows of the previous parameters, one column per new parameter; a 1 where a new parameter
takes a previous one's place; the loading ``lambda_i`` where a free latent mean ``alpha`` moves the
previous intercept ``nu_gi = nu_i + lambda_i alpha``), and with ``B`` the previous fit's BFGS
matrix (the curvature of ``-2 log L / N`` at its optimum) the minimiser of the quadratic model of
the previous likelihood on that subspace is::

    theta = (P' B P)^-1 P' B theta_prev

the constrained maximum to second order (the minimum-distance estimator); ``(P' B P)^-1`` is then
the new fit's first inverse curvature (no information evaluated at the start).  The optimiser
stops by the same rule (the gradient), so the optimum is the same; the estimates differ from the
plain warm start's in their last digits.  Nothing of this when the previous fit was not lean (no
matrix kept), when a new parameter has no place in ``P`` (a step that frees a constraint of the
previous one: the plain start) or when ``P' B P`` is not positive definite.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from .fiml_lean import symmetric_from_lower
from .lean_fit import kept_matrix, lean_fit
from .model import start_values, start_values_loops
from .start_plan import start_plan

__all__ = ["lean_start", "fit_lean", "projection"]


def lean_start(pt, data, previous=None):
    """``(theta0, H0, plain)``: the start values of ``pt`` (:func:`rsnprop.sem.model.start_values`,
    warm from ``previous``, ``(partable, theta)``), projected (module docstring) when the previous
    fit's matrix is kept; ``H0`` the first inverse matrix or None; ``plain`` the start values when
    projected, else None."""
    if previous is None:
        return start_values(pt, data), None, None
    prev_theta = np.asarray(previous[1], dtype=float)
    plan = start_plan(pt, previous[0])
    theta = plan.values(data, prev_theta)
    if theta is None:
        return start_values_loops(pt, data, previous), None, None
    H = kept_matrix(prev_theta)
    out = None if H is None else projection(plan, prev_theta, H)
    if out is None:
        return theta, None, None
    # a new latent mean: the previous matrix has no curvature for it; the information at the
    # start makes the first step (fewer evaluations than from (P' B P)^-1 on the traced data sets)
    return out[0], None if plan.means else out[1], theta


def fit_lean(eng, pt, data, previous, fisher_steps, tol):
    """:func:`rsnprop.sem.lean_fit.lean_fit` from :func:`lean_start`'s values: ``(theta, fmin,
    converged, iterations)``; from the plain start values again when the projected start does not
    converge (as before this module)."""
    theta0, H0, plain = lean_start(pt, data, previous)
    theta, fmin, conv, it = lean_fit(eng, theta0, fisher_steps=fisher_steps, tol=tol, H0=H0)
    if not conv and plain is not None:
        theta, fmin, conv, it2 = lean_fit(eng, plain, fisher_steps=fisher_steps, tol=tol)
        it += it2
    return theta, fmin, conv, it


def _design(plan, prev_theta):
    """``P`` of the plan (module docstring), or None when a new parameter has no column in it."""
    if not plan.warm:
        return None
    n_old = len(prev_theta)
    P = _warm_columns(plan, n_old)
    if P is None:
        return None
    P = P.copy()
    old = np.concatenate([prev_theta, plan.consts]) if plan.means else prev_theta
    for par, lam_i, nu_i, _ in plan.means:
        for lam, nu in zip(old[lam_i], nu_i):
            if nu < n_old:
                P[nu, par] += lam
    if not np.all(np.any(P != 0.0, axis=0)):
        return None
    return P


def _warm_columns(plan, n_old):
    """The warm part of ``P`` (ones at the previous parameters' places), or None when a previous
    parameter is in two places (not nested); worked out once per plan and number of previous
    parameters (kept on the plan, :func:`rsnprop.sem.start_plan.start_plan`'s, and never written)."""
    kept = plan.__dict__.setdefault("warm_columns", {})
    if n_old not in kept:
        _, src, dst = plan.warm
        pairs = np.unique(np.stack([src, dst]), axis=1)
        P = None
        if len(np.unique(pairs[0])) == pairs.shape[1]:
            P = np.zeros((n_old, plan.npar))
            P[src, dst] = 1.0
        kept[n_old] = P
    return kept[n_old]


def projection(plan, prev_theta, H):
    """``(theta, (P' B P)^-1)`` with ``B = H^-1`` (module docstring); None when ``P`` is incomplete or
    a matrix is not positive definite."""
    P = _design(plan, prev_theta)
    if P is None:
        return None
    B = _spd_inverse(H)
    if B is None:
        return None
    BP = B @ P
    H0 = _spd_inverse(P.T @ BP)
    if H0 is None:
        return None
    theta = H0 @ (BP.T @ prev_theta)
    if not np.isfinite(theta).all():
        return None
    return theta, H0


def _spd_inverse(mat):
    """The inverse of a symmetric positive definite ``mat`` (Cholesky), or None."""
    L, info = lapack.dpotrf(mat, lower=1, clean=0)
    if info != 0:
        return None
    inv, info = lapack.dpotri(L, lower=1)
    if info != 0:
        return None
    return symmetric_from_lower(inv)
