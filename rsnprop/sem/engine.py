"""Numerical core: RAM matrices, implied moments, analytic derivatives, ML by Fisher scoring.

Every group has the RAM matrices ``A`` (directed paths: loadings and regressions), ``S``
(variances/covariances) and ``m`` (intercepts/means) over the variables ``ov + lv``:

    Sigma = F (I - A)^-1 S (I - A)^-T F',   mu = F (I - A)^-1 m

The derivatives of ``Sigma`` and ``mu`` with respect to the free parameters are computed
analytically (``dSigma/dA_ij = G e_i c_j' + (.)'`` with ``G = F (I-A)^-1``,
``c_j = [(I-A)^-1 S (I-A)^-T F']_j``), which gives the gradient and the expected (Fisher)
information of the ML discrepancy

    F_ML = sum_g (n_g / N) [log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p + (xbar_g - mu_g)' Sigma_g^-1 (xbar_g - mu_g)]

(lavaan's ``2 * fmin``); ML is minimised by Fisher scoring with a backtracking line search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GroupData", "Engine", "moment_jacobian"]


@dataclass
class GroupData:
    """Sample statistics of one group (ML conventions: covariance divided by n)."""

    n: int
    cov: np.ndarray
    mean: np.ndarray
    logdet_cov: float = 0.0

    @classmethod
    def from_array(cls, x: np.ndarray) -> "GroupData":
        n = x.shape[0]
        mean = x.mean(axis=0)
        xc = x - mean
        cov = xc.T @ xc / n
        return cls(n=n, cov=cov, mean=mean, logdet_cov=_logdet(cov))


def _logdet(m: np.ndarray) -> float:
    sign, ld = np.linalg.slogdet(m)
    return float(ld) if sign > 0 else float("nan")


class _GroupModel:
    """Fixed structure of one group: base matrices and where the free parameters go."""

    #: True: the matrices and ``(I - A)^-1`` of the last ``theta`` are kept (:meth:`_solved`);
    #: only for models whose fixed values (``A0``, ``S0``, ``m0``) no longer change (a lean FIML
    #: fit's: the ordinal estimator sets fixed residual variances during its fit)
    keep_solved = False

    def __init__(self, p: int, nvar: int, q: int):
        self.p, self.nvar, self.q = p, nvar, q
        self.A0 = np.zeros((nvar, nvar))
        self.S0 = np.zeros((nvar, nvar))
        self.m0 = np.zeros(nvar)
        self.a = ([], [], [])  # rows, cols, par
        self.s = ([], [], [])
        self.mm = ([], [])

    def finalize(self):
        self.ai, self.aj, self.ap = (np.asarray(v, dtype=int) for v in self.a)
        self.si, self.sj, self.sp = (np.asarray(v, dtype=int) for v in self.s)
        self.mi, self.mp = (np.asarray(v, dtype=int) for v in self.mm)
        # mapping of matrix entries (derivative columns) to parameters
        k = len(self.ap) + len(self.sp) + len(self.mp)
        P = np.zeros((k, self.q))
        P[np.arange(len(self.ap)), self.ap] = 1.0
        off = len(self.ap)
        P[off + np.arange(len(self.sp)), self.sp] += 1.0
        off += len(self.sp)
        P[off + np.arange(len(self.mp)), self.mp] += 1.0
        self.P = P
        self.__dict__.pop("_sparse_maps", None)
        self.__dict__.pop("_one_step", None)
        self.offdiag = (self.si != self.sj).astype(float)
        self.eye = np.eye(self.nvar)

    def matrices(self, theta):
        A = self.A0.copy()
        S = self.S0.copy()
        m = self.m0.copy()
        if len(self.ap):
            A[self.ai, self.aj] = theta[self.ap]
        if len(self.sp):
            S[self.si, self.sj] = theta[self.sp]
            S[self.sj, self.si] = theta[self.sp]
        if len(self.mp):
            m[self.mi] = theta[self.mp]
        return A, S, m

    def _solved(self, theta):
        """``(A, S, m, (I - A)^-1)`` at ``theta``; with :attr:`keep_solved`, kept for the next call
        at the same ``theta`` (an evaluation asks for the implied moments and then the gradient:
        one inverse; the same numbers).  Read-only."""
        if not self.keep_solved:
            A, S, m = self.matrices(theta)
            return A, S, m, np.linalg.inv(self.eye - A)
        key = theta.tobytes()
        last = self.__dict__.get("_last_solved")
        if last is None or last[0] != key:
            A, S, m = self.matrices(theta)
            IA = self.eye + A if self._paths_one_step() else np.linalg.inv(self.eye - A)
            last = self.__dict__["_last_solved"] = (key, (A, S, m, IA))
        return last[1]

    def _paths_one_step(self):
        """True when no path leads into a variable that has a path itself (``A^2 = 0`` for every
        ``theta``: a measurement model), so that ``(I - A)^-1 = I + A`` exactly (LAPACK's inverse
        of such a matrix gives the same numbers); decided once from the positions of the free and
        the fixed non-zero paths (:attr:`keep_solved` models only: their fixed values stay)."""
        flag = self.__dict__.get("_one_step")
        if flag is None:
            nz = (self.A0 != 0).astype(int)
            nz[self.ai, self.aj] = 1
            flag = self.__dict__["_one_step"] = not (nz @ nz).any()
        return flag

    def implied(self, theta, full: bool = False):
        if full:
            A, S, m = self.matrices(theta)
            IA = np.linalg.inv(self.eye - A)
        else:
            A, S, m, IA = self._solved(theta)
        G = IA[: self.p]
        sigma = G @ S @ G.T
        mu = G @ m
        if full:
            return sigma, mu, IA, S, m
        return sigma, mu

    def entry_derivatives(self, theta, means: bool):
        """The RAM derivatives: Sigma, mu, the derivatives of Sigma (k, p, p) and, with ``means``,
        of mu (k, p; else ``None``) with respect to the ``k`` free matrix entries (paths, then
        (co)variances, then means: the rows of ``P``, which maps entries to parameters)."""
        A, S, m, IA = self._solved(theta)
        G = IA[: self.p]
        H = IA @ S @ IA.T
        C = H[:, : self.p]
        sigma = G @ S @ G.T
        mu = G @ m
        p = self.p
        parts = []
        if len(self.ap):
            dA = G[:, self.ai].T[:, :, None] * C[self.aj][:, None, :]
            dA = dA + dA.transpose(0, 2, 1)
            parts.append(dA)
        if len(self.sp):
            gi = G[:, self.si].T
            gj = G[:, self.sj].T
            dS = gi[:, :, None] * gj[:, None, :]
            dS = dS + self.offdiag[:, None, None] * dS.transpose(0, 2, 1)
            parts.append(dS)
        if len(self.mp):
            parts.append(np.zeros((len(self.mp), p, p)))
        dall = np.concatenate(parts, axis=0) if parts else np.zeros((0, p, p))
        if not means:
            return sigma, mu, dall, None
        eta = IA @ m
        mparts = []
        if len(self.ap):
            mparts.append(G[:, self.ai].T * eta[self.aj][:, None])
        if len(self.sp):
            mparts.append(np.zeros((len(self.sp), p)))
        if len(self.mp):
            mparts.append(G[:, self.mi].T)
        dm = np.concatenate(mparts, axis=0) if mparts else np.zeros((0, p))
        return sigma, mu, dall, dm

    def derivatives(self, theta, means: bool):
        """Return Sigma, mu, dSigma (q, p, p), dmu (q, p; ``None`` without ``means``)."""
        sigma, mu, dall, dm = self.entry_derivatives(theta, means)
        dsigma = (self.P.T @ dall.reshape(dall.shape[0], -1)).reshape(self.q, self.p, self.p)
        return sigma, mu, dsigma, (self.P.T @ dm if means else None)

    def derivatives_used(self, theta, used):
        """Sigma, mu, dSigma (len(used), p, p), dmu (len(used), p) of the parameters ``used``
        only (as :meth:`derivatives`, with a sparse entry-to-parameter map)."""
        sigma, mu, dall, dm = self.entry_derivatives(theta, True)
        Pu = self._sparse_map(used)
        if isinstance(Pu, np.ndarray):        # one entry per parameter: a gather (+ 0.0: as the
            return sigma, mu, dall[Pu] + 0.0, dm[Pu] + 0.0    # sparse product, -0.0 becomes 0.0)
        ds = (Pu @ dall.reshape(dall.shape[0], -1)).reshape(len(used), self.p, self.p)
        return sigma, mu, ds, Pu @ dm

    def _sparse_map(self, used):
        """The entry-to-parameter map of the parameters ``used`` as a sparse matrix, built once per
        ``used`` (the same matrix every evaluation: a Fisher step, a score test); when every
        parameter has exactly one entry (weight 1), the entries' indices instead (a gather gives
        the same numbers as the product)."""
        from scipy import sparse

        cache = self.__dict__.setdefault("_sparse_maps", {})
        key = np.asarray(used).tobytes()
        if key not in cache:
            Pu = self.P[:, used]
            ones = (Pu != 0).sum(axis=0) == 1
            if ones.all() and np.all(Pu[Pu != 0] == 1.0):
                cache[key] = np.argmax(Pu != 0, axis=0)
            else:
                cache[key] = sparse.csr_matrix(Pu.T)
        return cache[key]

    def moment_gradient(self, theta, GS, gmu):
        """Gradient in theta of a function of (Sigma, mu) with gradient ``GS`` (symmetric, with
        respect to the full matrix Sigma) and ``gmu``, by the RAM chain rule in matrix form
        (dF/dA = 2 G' GS C' + (G' gmu) eta', dF/dS = G' GS G, dF/dm = G' gmu) -- no derivative
        tensor needed."""
        A, S, m, IA = self._solved(theta)
        G = IA[: self.p]
        GtGS = G.T @ GS
        gG = G.T @ gmu
        q = self.q
        grad = np.zeros(q)
        if len(self.ap):
            C = IA @ S @ G.T
            eta = IA @ m
            MA = 2.0 * GtGS @ C.T
            grad += np.bincount(self.ap, MA[self.ai, self.aj] + gG[self.ai] * eta[self.aj], minlength=q)
        if len(self.sp):
            Q = GtGS @ G
            grad += np.bincount(self.sp, Q[self.si, self.sj] * (1.0 + self.offdiag), minlength=q)
        if len(self.mp):
            grad += np.bincount(self.mp, gG[self.mi], minlength=q)
        return grad


def moment_jacobian(dsigma, dmu):
    """d(mu, vech Sigma) / d theta from the derivatives of :meth:`_GroupModel.derivatives`
    (rows: means, then lavaan's column-wise vech)."""
    from .robust import _vech_index

    r, c = _vech_index(dsigma.shape[1])
    return np.vstack([dmu.T, dsigma[:, r, c].T])


class Engine:
    """ML estimation of a (multigroup) RAM model.

    Parameters
    ----------
    groups : list of _GroupModel
    data : list of GroupData
    meanstructure : bool
    """

    def __init__(self, groups, data, q: int, meanstructure: bool):
        self.groups = groups
        self.data = data
        self.q = q
        self.meanstructure = meanstructure
        self.ntotal = sum(d.n for d in data)

    # -- objective ------------------------------------------------------------------------
    def fml_group(self, theta, g):
        gm, d = self.groups[g], self.data[g]
        sigma, mu = gm.implied(theta)
        try:
            L = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf
        logdet = 2.0 * np.log(np.diag(L)).sum()
        Li = np.linalg.inv(L)
        sinv = Li.T @ Li
        val = logdet + np.sum(d.cov * sinv) - d.logdet_cov - gm.p
        if self.meanstructure:
            r = d.mean - mu
            val += r @ sinv @ r
        return val

    def fml(self, theta):
        tot = 0.0
        for g, d in enumerate(self.data):
            tot += d.n / self.ntotal * self.fml_group(theta, g)
        return tot

    def grad_info(self, theta, need_hess=True):
        """F_ML, its gradient and its expected Hessian (2 x unit information)."""
        q = self.q
        grad = np.zeros(q)
        hess = np.zeros((q, q))
        fval = 0.0
        for g, (gm, d) in enumerate(zip(self.groups, self.data)):
            w = d.n / self.ntotal
            sigma, mu, ds, dm = gm.derivatives(theta, self.meanstructure)
            try:
                L = np.linalg.cholesky(sigma)
            except np.linalg.LinAlgError:
                return np.inf, None, None
            Li = np.linalg.inv(L)
            sinv = Li.T @ Li
            logdet = 2.0 * np.log(np.diag(L)).sum()
            fg = logdet + np.sum(d.cov * sinv) - d.logdet_cov - gm.p
            resid = sigma - d.cov
            if self.meanstructure:
                r = d.mean - mu
                sr = sinv @ r
                fg += r @ sr
                resid = resid - np.outer(r, r)
            W = sinv @ resid @ sinv
            gg = ds.reshape(q, -1) @ W.reshape(-1)
            if self.meanstructure:
                gg = gg - 2.0 * dm @ sr
            fval += w * fg
            grad += w * gg
            if need_hess:
                M = (ds.reshape(q * gm.p, gm.p) @ sinv).reshape(q, gm.p, gm.p)  # dSigma_k Sigma^-1
                hh = M.reshape(q, -1) @ M.transpose(0, 2, 1).reshape(q, -1).T
                if self.meanstructure:
                    hh = hh + 2.0 * dm @ sinv @ dm.T
                hess += w * hh
        return fval, grad, hess

    def fit(self, theta0, maxit: int = 500, tol: float = 1e-8, fisher_steps: int = 4):
        """Minimise F_ML from ``theta0``; return (theta, fmin, converged, iterations).

        Fisher scoring for the first ``fisher_steps`` iterations, then BFGS updates of the
        Fisher information (superlinear near the optimum, where Fisher scoring is only linear
        for misfitting models); backtracking line search throughout.  Converged when the
        largest absolute gradient element is below ``tol`` (or when neither F nor theta moves
        any more and the gradient is below 1e-6).
        """
        theta = np.asarray(theta0, dtype=float).copy()
        fval, grad, hess = self.grad_info(theta)
        if not np.isfinite(fval):
            return theta, fval, False, 0
        B = hess.copy()
        converged = False
        it = 0
        eye = np.eye(self.q)
        for it in range(1, maxit + 1):
            if np.max(np.abs(grad)) < tol:
                converged = True
                break
            try:
                step = np.linalg.solve(B + 1e-12 * eye, -grad)
            except np.linalg.LinAlgError:
                step = -np.linalg.lstsq(B, grad, rcond=None)[0]
            slope = grad @ step
            if not np.isfinite(slope) or slope >= 0:  # not a descent direction: reset to Fisher
                _, _, hess = self.grad_info(theta)
                B = hess.copy()
                step = np.linalg.solve(B + 1e-8 * eye, -grad)
                slope = grad @ step
                if slope >= 0:
                    step, slope = -grad, -(grad @ grad)
            use_fisher = it < fisher_steps
            alpha = 1.0
            while True:
                cand = theta + alpha * step
                fnew, gnew, hnew = self.grad_info(cand, need_hess=use_fisher)
                if np.isfinite(fnew) and fnew <= fval + 1e-4 * alpha * slope:
                    break
                alpha *= 0.5
                if alpha < 1e-10:
                    break
            if alpha < 1e-10:
                converged = np.max(np.abs(grad)) < 1e-6
                break
            s_ = cand - theta
            y_ = gnew - grad
            fold = fval
            theta, fval, grad = cand, fnew, gnew
            if fold - fval < 1e-15 * (1 + abs(fval)) and np.max(np.abs(s_)) < 1e-7:
                converged = np.max(np.abs(grad)) < 1e-6
                break
            if use_fisher:
                B = hnew
            else:
                sy = s_ @ y_
                if sy > 1e-16:
                    Bs = B @ s_
                    B = B + np.outer(y_, y_) / sy - np.outer(Bs, Bs) / (s_ @ Bs)
        else:
            converged = np.max(np.abs(grad)) < 1e-6
        return theta, fval, converged, it

    def observed_information(self, theta, h=1e-5):
        """Observed unit information: half the Hessian of F_ML, by central differences of the
        analytic gradient (lavaan's ``information = "observed"``)."""
        q = self.q
        H = np.zeros((q, q))
        for k in range(q):
            step = h * max(1.0, abs(theta[k]))
            tp = theta.copy()
            tm = theta.copy()
            tp[k] += step
            tm[k] -= step
            gp = self.grad_info(tp, need_hess=False)[1]
            gm = self.grad_info(tm, need_hess=False)[1]
            if gp is None or gm is None:
                return None
            H[:, k] = (gp - gm) / (2 * step)
        return 0.25 * (H + H.T)

    def information(self, theta):
        """Expected unit information (per observation, weighted over groups)."""
        _, _, hess = self.grad_info(theta)
        return None if hess is None else 0.5 * hess
