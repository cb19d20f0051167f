"""Small matrix helpers shared by the measurement modules (numpy only).

They reproduce the R helpers psych relies on: ``cov2cor``, ``psych::smc`` (squared multiple
correlations from the pseudo-inverse), ``psych::cor.smooth`` and a near-singularity check
that turns trouble into :class:`~rsnprop.errors.NearSingularWarning` instead of a crash.
"""

from __future__ import annotations

import functools
import threading
import warnings

import numpy as np

from ..em import EMPatterns, em_moments, em_moments_plain  # noqa: F401  (EM lives there)
from ..errors import NearSingularWarning

#: reciprocal condition number below which a correlation matrix is called near-singular
RCOND_LIMIT = 1e-8


def cov2cor(c: np.ndarray) -> np.ndarray:
    """Correlation matrix of a covariance matrix (R's ``cov2cor``)."""
    c = np.asarray(c, dtype=float)
    d = 1.0 / np.sqrt(np.diag(c))
    r = c * d[:, None] * d[None, :]
    np.fill_diagonal(r, 1.0)
    return r


def pinv(a: np.ndarray) -> np.ndarray:
    """Moore-Penrose inverse as ``psych::Pinv`` (singular values below sqrt(eps) dropped)."""
    u, s, vt = np.linalg.svd(np.asarray(a, dtype=float))
    tol = np.sqrt(np.finfo(float).eps)
    keep = s > max(tol * s[0], 0) if s.size else s > 0
    return (vt[keep].T / s[keep]) @ u[:, keep].T


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations of each variable on the others (``psych::smc``).

    Values are clipped to [0, 1] as psych does.
    """
    r = cov2cor(r)
    inv = pinv(r)
    out = 1.0 - 1.0 / np.diag(inv)
    return np.clip(out, 0.0, 1.0)


def check_singular(r: np.ndarray, what: str = "correlation matrix", warn_list=None) -> bool:
    """Warn (NearSingularWarning, and append to ``warn_list``) when ``r`` is near-singular.

    Returns True when a warning was issued.
    """
    r = np.asarray(r, dtype=float)
    ev = np.linalg.eigvalsh(r)
    rcond = ev.min() / ev.max() if ev.max() > 0 else 0.0
    if rcond < RCOND_LIMIT:
        msg = (f"the {what} is near-singular (smallest/largest eigenvalue {rcond:.2e}); "
               "results involving its inverse (SMC, KMO, Bartlett, ML) are unreliable: "
               "look for duplicated or linearly dependent items")
        warnings.warn(msg, NearSingularWarning, stacklevel=3)
        if warn_list is not None:
            warn_list.append(msg)
        return True
    return False


def cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> np.ndarray:
    """Smooth a non positive definite correlation matrix (``psych::cor.smooth``)."""
    r = np.asarray(r, dtype=float)
    val, vec = np.linalg.eigh(r)
    if val.min() >= np.finfo(float).eps:
        return r
    val = val[::-1]
    vec = vec[:, ::-1]
    val[val < eig_tol] = 100 * eig_tol
    nvar = r.shape[0]
    tot = val.sum()
    val = val * nvar / tot
    out = (vec * val) @ vec.T
    return cov2cor(out)


#: per thread: whether a :func:`single_threaded` call is running (BLAS already limited)
_LIMITED = threading.local()


def single_threaded(func):
    """Run ``func`` with BLAS limited to one thread (threadpoolctl, when installed).

    The matrices here are small (items x items); multi-threaded BLAS only adds overhead,
    up to 40x on a busy machine.  A call within another one (``rsnprop measure`` nests some
    45 of them) runs as it is: BLAS is limited already, and each limit costs a scan of the
    loaded libraries (about 2 ms).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if getattr(_LIMITED, "on", False):
            return func(*args, **kwargs)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover
            return func(*args, **kwargs)
        with threadpool_limits(limits=1, user_api="blas"):
            _LIMITED.on = True
            try:
                return func(*args, **kwargs)
            finally:
                _LIMITED.on = False

    return wrapper

