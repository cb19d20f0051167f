"""The optimiser of a lean fit (:attr:`rsnprop.sem.fiml_engine.FIMLEngine.padded`: power
replications, decisions by score tests): :meth:`rsnprop.sem.engine.Engine.fit`'s iterations with the
inverse of the BFGS matrix kept and updated instead of the matrix itself.

:meth:`~rsnprop.sem.engine.Engine.fit` solves ``B step = -grad`` at every iteration (an ``O(q^3)``
factorisation of the ``q x q`` matrix, ~80 parameters in a check); here ``H = B^-1`` is inverted once
per Fisher matrix and then updated by the inverse BFGS formula (``O(q^2)``)::

    H+ = H + (s'y + y'Hy) ss' / (s'y)^2 - (Hy s' + s y'H) / s'y

the same iterates in exact arithmetic, equal to rounding in floating point (the stop is the same
test of the gradient).  The full fits (``rsnprop fit``, ``rsnprop invariance``, the report) keep
:meth:`~rsnprop.sem.engine.Engine.fit`.

Two differences from :meth:`~rsnprop.sem.engine.Engine.fit`, which move the iterates (not the stop
rule, hence not the optimum beyond the stop's precision): the Fisher matrices of a lean FIML fit
are the information of complete data (:func:`rsnprop.sem.fiml_lean.complete_information`: one
``Sigma^-1`` per group instead of one per missing-data pattern, about a third of the cost, the same
number of steps on the power replications' checks), and a warm start may bring its first inverse
matrix ``H0`` (:mod:`rsnprop.sem.lean_warm`: the projected previous step's).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from .fiml_lean import complete_information, symmetric_from_lower

__all__ = ["lean_fit", "kept_matrix"]

#: the inverse BFGS matrices at the end of the last lean fits, by the bytes of their estimates (the
#: first curvature of a fit warm-started from one of them: :mod:`rsnprop.sem.lean_warm`); the fits
#: of one check find their previous step's among the last few, whatever ran before
_KEPT: dict = {}
_KEPT_MAX = 6


def _remember(theta, H):
    while len(_KEPT) >= _KEPT_MAX:
        _KEPT.pop(next(iter(_KEPT)))
    _KEPT[theta.tobytes()] = H


def kept_matrix(theta):
    """The inverse BFGS matrix at the end of the lean fit whose estimates are ``theta`` (the same
    bytes), or None when not kept."""
    H = _KEPT.get(np.asarray(theta, dtype=float).tobytes())
    return None if H is None or H.shape[0] != len(theta) else H


def _inverse(hess, ridge):
    """``(hess + ridge I)^-1``: by its Cholesky factor (LAPACK ``potrf``/``potri``, half the work of a
    general inverse) when positive definite (an information matrix), else a general inverse; the
    pseudo-inverse of ``hess`` when singular (the least-squares step of
    :meth:`rsnprop.sem.engine.Engine.fit`)."""
    mat = hess + ridge * np.eye(hess.shape[0])
    L, info = lapack.dpotrf(mat, lower=1, clean=0)
    if info == 0:
        inv, info = lapack.dpotri(L, lower=1)
        if info == 0:
            return symmetric_from_lower(inv)
    try:
        return np.linalg.inv(mat)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(hess)


def _information(engine, theta):
    """The Fisher matrix of a step: :func:`rsnprop.sem.fiml_lean.complete_information` of a lean
    FIML engine, the engine's own information otherwise (or when that is None)."""
    hess = complete_information(engine, theta) if getattr(engine, "padded", False) else None
    return engine.grad_info(theta)[2] if hess is None else hess


def _direction(engine, theta, grad, H):
    """``(step, slope, H)``: the quasi-Newton step ``-H grad``; when it is not a descent direction, a
    Fisher step from the information at ``theta`` (its inverse the new ``H``), else steepest descent
    (as :meth:`rsnprop.sem.engine.Engine.fit`)."""
    step = -(H @ grad)
    slope = grad @ step
    if not np.isfinite(slope) or slope >= 0:
        H = _inverse(_information(engine, theta), 1e-8)
        step = -(H @ grad)
        slope = grad @ step
        if slope >= 0:
            step, slope = -grad, -(grad @ grad)
    return step, slope, H


def _line_search(engine, theta, fval, step, slope, use_fisher):
    """Backtracking (Armijo, halving) from ``alpha = 1``: ``(alpha, candidate, f, grad, hess)``
    (``hess`` the information at the accepted candidate when ``use_fisher``: :func:`_information`)."""
    alpha = 1.0
    while True:
        cand = theta + alpha * step
        fnew, gnew, hnew = engine.grad_info(cand, need_hess=False)
        if np.isfinite(fnew) and fnew <= fval + 1e-4 * alpha * slope:
            return alpha, cand, fnew, gnew, _information(engine, cand) if use_fisher else None
        alpha *= 0.5
        if alpha < 1e-10:
            return alpha, cand, fnew, gnew, hnew


def _bfgs_inverse(H, s_, y_):
    """The inverse BFGS update of ``H`` (unchanged when ``s'y <= 1e-16``, as the direct update)."""
    sy = s_ @ y_
    if sy <= 1e-16:
        return H
    Hy = H @ y_
    s_col, s_row = s_[:, None], s_[None, :]          # np.outer's products without its wrapper
    t = s_col * s_row
    t *= (sy + y_ @ Hy) / (sy * sy)
    out = H + t                       # H + c ss' - (Hy s' + s y'H) / s'y, in the same operations
    np.multiply(Hy[:, None], s_row, out=t)
    t += s_col * Hy[None, :]
    t /= sy
    out -= t
    return out


def lean_fit(engine, theta0, maxit: int = 500, tol: float = 1e-8, fisher_steps: int = 4, H0=None):
    """:meth:`rsnprop.sem.engine.Engine.fit` of ``engine`` (the same arguments and result: ``(theta,
    fmin, converged, iterations)``) with the inverse BFGS matrix (module docstring).  ``H0``: the
    first inverse matrix (:func:`rsnprop.sem.lean_warm.lean_start`; the information at ``theta0``
    when None).  The last matrix is kept for a fit warm-started from the result (:func:`kept_matrix`)."""
    theta = np.asarray(theta0, dtype=float).copy()
    fval, grad, _ = engine.grad_info(theta, need_hess=False)
    if not np.isfinite(fval):
        return theta, fval, False, 0
    H = _inverse(_information(engine, theta), 1e-12) if H0 is None else H0
    converged = False
    it = 0
    for it in range(1, maxit + 1):
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        step, slope, H = _direction(engine, theta, grad, H)
        use_fisher = it < fisher_steps
        alpha, cand, fnew, gnew, hnew = _line_search(engine, theta, fval, step, slope, use_fisher)
        if alpha < 1e-10:
            converged = np.max(np.abs(grad)) < 1e-6
            break
        s_, y_ = cand - theta, gnew - grad
        fold = fval
        theta, fval, grad = cand, fnew, gnew
        if fold - fval < 1e-15 * (1 + abs(fval)) and np.max(np.abs(s_)) < 1e-7:
            converged = np.max(np.abs(grad)) < 1e-6
            break
        H = _inverse(hnew, 1e-12) if use_fisher else _bfgs_inverse(H, s_, y_)
    else:
        converged = np.max(np.abs(grad)) < 1e-6
    _remember(theta, H)
    return theta, fval, converged, it
