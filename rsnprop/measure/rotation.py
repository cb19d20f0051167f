"""Factor rotations reproducing R exactly: ``stats::varimax``, ``GPArotation::oblimin``
(gradient projection, ``GPFoblq``), ``psych::Promax`` and psych's ``promax`` (Promax with
Kaiser normalisation, ``psych::kaiser``).

Every function takes an unrotated loading matrix (items x factors) and returns
``(loadings, phi, rotmat)`` where ``phi`` is ``None`` for orthogonal rotations.

Examples
--------
>>> import numpy as np
>>> from rsnprop.measure.rotation import varimax
>>> L = np.array([[.8, .3], [.7, .4], [.3, .8], [.2, .7]])
>>> rotated, phi, T = varimax(L)
>>> phi is None, np.allclose(rotated @ rotated.T, L @ L.T)
(True, True)
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConvergenceWarning, InputError

__all__ = ["varimax", "oblimin", "promax", "Promax", "rotate"]


def varimax(x: np.ndarray, normalize: bool = True, eps: float = 1e-5):
    """Varimax as R's ``stats::varimax`` (Kaiser normalisation, same stopping rule)."""
    x = np.asarray(x, dtype=float)
    nc = x.shape[1]
    if nc < 2:
        return x.copy(), None, np.eye(nc)
    if normalize:
        sc = np.sqrt((x ** 2).sum(axis=1))
        x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z ** 3 - z @ np.diag((z ** 2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast = d
        d = s.sum()
        if d < dpast * (1 + eps):
            break
    z = x @ tt
    if normalize:
        z = z * sc[:, None]
    return z, None, tt


def _vgq_oblimin(L, gam=0.0):
    k = L.shape[1]
    X = (L ** 2) @ (1.0 - np.eye(k))
    if gam != 0:
        p = L.shape[0]
        X = (np.eye(p) - gam / p) @ X
    return L * X, float((L ** 2 * X).sum() / 4.0)


def oblimin(A: np.ndarray, gam: float = 0.0, eps: float = 1e-5, maxit: int = 1000,
            Tmat: np.ndarray | None = None, warn_list=None):
    """Oblimin (quartimin for ``gam=0``) as ``GPArotation::oblimin`` (``GPFoblq``), no
    normalisation, start at the identity, same step rule and tolerance."""
    A = np.asarray(A, dtype=float)
    k = A.shape[1]
    if k < 2:
        return A.copy(), np.eye(k), np.eye(k)
    T = np.eye(k) if Tmat is None else np.asarray(Tmat, dtype=float)
    al = 1.0
    L = A @ np.linalg.inv(T).T
    Gq, f = _vgq_oblimin(L, gam)
    G = -(L.T @ Gq @ np.linalg.inv(T)).T
    converged = False
    for _ in range(maxit + 1):
        Gp = G - T @ np.diag((T * G).sum(axis=0))
        s = np.sqrt((Gp ** 2).sum())
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            X = T - al * Gp
            v = 1.0 / np.sqrt((X ** 2).sum(axis=0))
            Tt = X * v[None, :]
            L = A @ np.linalg.inv(Tt).T
            Gq_t, f_t = _vgq_oblimin(L, gam)
            if f - f_t > 0.5 * s ** 2 * al:
                break
            al /= 2
        T = Tt
        f = f_t
        G = -(L.T @ Gq_t @ np.linalg.inv(Tt)).T
    if not converged:
        msg = f"oblimin rotation did not converge in {maxit} iterations"
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        if warn_list is not None:
            warn_list.append(msg)
    return L, T.T @ T, T


def Promax(x: np.ndarray, m: int = 4):
    """``psych::Promax``: varimax, then a power-m target fitted by least squares."""
    x = np.asarray(x, dtype=float)
    if x.shape[1] < 2:
        return x.copy(), None, np.eye(x.shape[1])
    xv, _, rot = varimax(x)
    Q = xv * np.abs(xv) ** (m - 1)
    U, *_ = np.linalg.lstsq(xv, Q, rcond=None)
    d = np.diag(np.linalg.inv(U.T @ U))
    U = U @ np.diag(np.sqrt(d))
    z = xv @ U
    U = rot @ U
    ui = np.linalg.inv(U)
    phi = ui @ ui.T
    return z, phi, U


def promax(x: np.ndarray, m: int = 4):
    """psych's ``rotate="promax"``: ``Promax`` with Kaiser normalisation (``psych::kaiser``)."""
    x = np.asarray(x, dtype=float)
    h2 = (x ** 2).sum(axis=1)
    w = np.sqrt(h2)
    z, phi, U = Promax(x / w[:, None], m=m)
    return z * w[:, None], phi, U


def rotate(loadings: np.ndarray, method: str = "oblimin", warn_list=None):
    """Dispatch on ``method`` in {"none", "varimax", "oblimin", "quartimin", "promax", "Promax"}."""

    method_l = method if method == "Promax" else method.lower()
    if method_l == "none" or loadings.shape[1] < 2:
        return np.asarray(loadings, float).copy(), None, np.eye(loadings.shape[1])
    if method_l == "varimax":
        return varimax(loadings)
    if method_l in ("oblimin", "quartimin"):
        return oblimin(loadings, warn_list=warn_list)
    if method_l == "promax":
        return promax(loadings)
    if method_l == "Promax":
        return Promax(loadings)
    raise InputError("unknown rotation; use none, varimax, oblimin, promax", parameter="rotate",
                     value=method)
