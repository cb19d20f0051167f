"""EM for the multivariate normal with missing values, batched over missingness patterns
(numpy only; shared by :mod:`rsnprop.measure` and :mod:`rsnprop.data.missing`).

:class:`EMPatterns` finds the patterns of a data matrix once; each :meth:`EMPatterns.fit`
takes row weights (a bootstrap resample as frequency weights) and an optional warm start.
:meth:`EMPatterns.fit_many` runs many weighted fits (a bootstrap) in lock step, each with the
numbers of its own :meth:`EMPatterns.fit_info`. :func:`em_moments` is the one-shot call.  :func:`em_moments_plain` is the slow reference
(one ``solve`` per pattern and iteration), kept for the tests.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EMPatterns", "em_moments", "em_moments_plain"]


def em_moments_plain(X: np.ndarray, tol: float = 1e-10, maxit: int = 1000, start=None):
    """Reference EM (one ``solve`` per missingness pattern and iteration, rows copied).

    Kept to check :func:`em_moments` (same arguments and return value); slow.

    Examples
    --------
    >>> import numpy as np
    >>> from rsnprop.em import em_moments_plain
    >>> X = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 7.], [np.nan, 3.]])
    >>> mu, S, n, _ = em_moments_plain(X)  # lavInspect(fit, "sampstat.h1"), missing = "ml"
    >>> n, np.round(mu, 3).tolist()
    (5, [2.332, 4.114])
    """
    X = np.asarray(X, dtype=float)
    X = X[~np.isnan(X).all(axis=1)]
    n, p = X.shape
    miss = np.isnan(X)
    patterns, inverse = np.unique(miss, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    groups = [(pat, X[inverse == g]) for g, pat in enumerate(patterns)]
    if start is None:
        mu = np.nanmean(X, axis=0)
        sigma = np.diag(np.nanvar(X, axis=0))
    else:
        mu, sigma = (np.array(a, dtype=float) for a in start)
    it = 0
    for it in range(1, maxit + 1):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pat, rows in groups:
            o = ~pat
            m = pat
            xo = rows[:, o]
            if not m.any():
                T1 += xo.sum(axis=0)
                T2 += xo.T @ xo
                continue
            Soo = sigma[np.ix_(o, o)]
            Smo = sigma[np.ix_(m, o)]
            B = np.linalg.solve(Soo, Smo.T).T          # S_mo S_oo^-1
            xm = mu[m] + (xo - mu[o]) @ B.T
            full = np.empty((rows.shape[0], p))
            full[:, o] = xo
            full[:, m] = xm
            T1 += full.sum(axis=0)
            T2 += full.T @ full
            C = sigma[np.ix_(m, m)] - B @ Smo.T
            T2[np.ix_(m, m)] += rows.shape[0] * C
        mu_new = T1 / n
        sigma_new = T2 / n - np.outer(mu_new, mu_new)
        delta = max(np.abs(mu_new - mu).max(), np.abs(sigma_new - sigma).max())
        mu, sigma = mu_new, sigma_new
        if delta < tol:
            break
    return mu, sigma, n, it


class EMPatterns:
    """Missingness patterns of a data matrix, prepared once for repeated (weighted) EM fits.

    The E-step needs, for every row with missing set ``m`` and observed set ``o``, the
    regression of ``x_m`` on ``x_o`` and its residual covariance.  With ``K = Sigma^-1``
    these are ``E[x_m | x_o] = mu_m - K_mm^-1 K_mo (x_o - mu_o)`` and ``Var(x_m | x_o) =
    K_mm^-1`` (Schur complement), so one ``p x p`` inverse per iteration and a batched
    inverse of the small ``K_mm`` blocks (patterns grouped by their number of missing
    values, padded to powers of two) replace a ``solve`` with ``Sigma_oo`` per pattern.
    Complete rows enter through fixed sufficient statistics.

    Rows are weighted: a bootstrap resample is the original rows with multiplicities, so
    ``fit(weights=np.bincount(idx, minlength=n))`` gives the estimate of ``X[idx]``
    without copying rows or finding its patterns again.

    Examples
    --------
    >>> import numpy as np
    >>> from rsnprop.em import EMPatterns, em_moments
    >>> X = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 7.], [np.nan, 3.]])
    >>> em = EMPatterns(X)
    >>> mu, S, n, _ = em.fit()          # lavInspect(cfa(..., missing = "ml"), "sampstat.h1")
    >>> bool(np.allclose(mu, em_moments(X)[0]))
    True
    >>> idx = np.array([0, 0, 1, 3, 4])       # a resample: row 0 twice, row 2 left out
    >>> w = np.bincount(idx, minlength=len(X))
    >>> bool(np.allclose(em.fit(weights=w)[1], em_moments(X[idx])[1]))
    True
    """

    def __init__(self, X: np.ndarray):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError("X must be a 2-D array")
        keep = ~np.isnan(X).all(axis=1)
        self.n_input = X.shape[0]
        #: rows of the original ``X`` kept (rows with every value missing are dropped)
        self.rows = np.flatnonzero(keep)
        X = X[keep]
        self.n, self.p = X.shape
        p = self.p
        miss = np.isnan(X)
        self.miss = miss
        complete = ~miss.any(axis=1)
        self.complete = np.flatnonzero(complete)
        self.incomplete = np.flatnonzero(~complete)
        self.X = X
        self.Xc = X[complete]
        Xi = X[~complete]
        self.obs_i = ~miss[~complete]
        self.Zi = np.where(self.obs_i, Xi, 0.0)
        # patterns of the incomplete rows, bucketed by number of missing values
        self.buckets = []
        self.pad = 0
        if Xi.shape[0]:
            pats, inv = np.unique(miss[~complete], axis=0, return_inverse=True)
            inv = np.asarray(inv).ravel()
            q = pats.sum(axis=1)
            size = np.where(q <= 1, 1, 2 ** np.ceil(np.log2(np.maximum(q, 1)))).astype(int)
            size = np.minimum(size, p)
            for s in np.unique(size):
                pids = np.flatnonzero(size == s)
                # missing positions padded with dummy indices p, p + 1, ... (an identity
                # block of the padded K, zero elsewhere: the padded inverse is exact)
                M = np.tile(np.arange(p, p + s, dtype=np.intp), (len(pids), 1))
                for j, pid in enumerate(pids):
                    idx = np.flatnonzero(pats[pid])
                    M[j, :len(idx)] = idx
                self.pad = max(self.pad, s)
                local = np.full(len(pats), -1)
                local[pids] = np.arange(len(pids))
                rows = np.flatnonzero(np.isin(inv, pids))
                lr = local[inv[rows]]
                self.buckets.append((M, rows, lr, M[lr]))
        self.miss_i = ~self.obs_i
        # per bucket: the (pattern, i, j) of its K_mm blocks that are real cells of the p x p
        # covariance (not padding), and their flat index in it
        self.cells = []
        for M, _, _, _ in self.buckets:
            real = (M[:, :, None] < p) & (M[:, None, :] < p)
            self.cells.append((real, (M[:, :, None] * p + M[:, None, :])[real]))
        self.cells_all = np.concatenate([c for _, c in self.cells]) if self.cells else None

    def fit(self, weights=None, start=None, tol: float = 1e-10, maxit: int = 1000):
        """EM estimate ``(mu, sigma, n_used, iterations)`` with row ``weights`` (counts).

        ``weights`` index the rows of the ``X`` given to the constructor (all-missing rows
        included; their weight is ignored).  ``start``: ``(mu, sigma)``; default the
        (weighted) available-case means and a diagonal of available-case variances (1 where
        a variance is not positive).  Iterates until the largest change of a mean or
        covariance is below ``tol``, at most ``maxit`` times.
        """
        return self.fit_info(weights=weights, start=start, tol=tol, maxit=maxit)[:4]

    def fit_info(self, weights=None, start=None, tol: float = 1e-10, maxit: int = 1000):
        """As :meth:`fit`, plus a fifth value: ``True`` when the EM converged (change < tol)."""
        p = self.p
        N, wi, mu, sigma, c1, c2, pw = self._setup(weights, start)
        Zi = self.Zi
        ni = Zi.shape[0]
        pp = p + self.pad
        Kp = np.eye(pp)
        KD = np.zeros((ni, pp))
        F = np.zeros((ni, pp))
        mup = np.zeros(pp)
        it = 0
        converged = False
        for it in range(1, maxit + 1):
            if ni:
                Kp[:p, :p] = np.linalg.inv(sigma)
                mup[:p] = mu
                D = Zi - mu
                D[self.miss_i] = 0.0                     # np.where(obs_i, Zi - mu, 0.0)
                KD[:, :p] = D @ Kp[:p, :p]
                F[:, :p] = Zi
                parts = []
                for (M, rows, lr, Mr), wp, (real, _) in zip(self.buckets, pw, self.cells):
                    C = np.linalg.inv(Kp[M[:, :, None], M[:, None, :]])   # Var(x_m | x_o)
                    r = rows[:, None]
                    F[r, Mr] = mup[Mr] - np.einsum("rij,rj->ri", C[lr], KD[r, Mr])
                    parts.append((wp[:, None, None] * C)[real])
                # the sum over patterns of their weighted Var(x_m | x_o), cell by cell in
                # pattern order from 0.0 (np.add.at, as one bincount)
                T2p = np.bincount(self.cells_all, weights=np.concatenate(parts),
                                  minlength=p * p).reshape(p, p)
                Fw = F[:, :p] * wi[:, None]
                T1 = c1 + Fw.sum(axis=0)
                T2 = c2 + Fw.T @ F[:, :p] + T2p
            else:
                T1, T2 = c1, c2
            mu_new = T1 / N
            sigma_new = T2 / N - np.outer(mu_new, mu_new)
            sigma_new = 0.5 * (sigma_new + sigma_new.T)
            delta = max(np.abs(mu_new - mu).max(), np.abs(sigma_new - sigma).max())
            mu, sigma = mu_new, sigma_new
            if delta < tol:
                converged = True
                break
        return mu, sigma, (int(N) if float(N).is_integer() else float(N)), it, converged

    def _setup(self, weights, start):
        """Row weights and start of one fit: ``(N, wi, mu, sigma, c1, c2, pw)`` with the
        weights of the incomplete rows ``wi``, the complete rows' sums ``c1``, ``c2`` and the
        pattern weights ``pw`` per bucket."""
        if weights is None:
            w = np.ones(self.n)
        else:
            w = np.asarray(weights, dtype=float).ravel()
            if w.shape[0] != self.n_input:
                raise ValueError(f"weights must have one value per row ({self.n_input})")
            w = w[self.rows]
        N = w.sum()
        wc = w[self.complete]
        wi = w[self.incomplete]
        if start is None:
            obs = ~self.miss
            Z = np.where(obs, self.X, 0.0)
            cnt = w @ obs
            with np.errstate(invalid="ignore", divide="ignore"):
                mu = (w @ Z) / cnt
                var = (w @ np.where(obs, (self.X - mu) ** 2, 0.0)) / cnt
            sigma = np.diag(np.where(var > 0, var, 1.0))
        else:
            mu, sigma = (np.array(a, dtype=float) for a in start)
        c1 = wc @ self.Xc
        c2 = (self.Xc * wc[:, None]).T @ self.Xc
        # pattern weights per bucket (sum of the row weights of the pattern)
        pw = [np.bincount(lr, weights=wi[rows], minlength=M.shape[0])
              for M, rows, lr, _ in self.buckets]
        return N, wi, mu, sigma, c1, c2, pw

    def fit_many(self, weights, start=None, tol: float = 1e-10, maxit: int = 1000,
                 chunk: int = 50):
        """:meth:`fit_info` of every row of ``weights`` (one fit per row: a bootstrap's
        resamples as row multiplicities), the same numbers bit for bit, in lock step.

        The fits of ``chunk`` weight vectors iterate together, so each step's array operations
        (the ``p x p`` inverses, the E-step of each bucket of patterns) are one call over the
        stacked fits instead of one call per fit; each fit does exactly the arithmetic of
        :meth:`fit_info` (the same LAPACK and BLAS calls per matrix, the same order of sums)
        and leaves the step when it converges.  Raises ``numpy.linalg.LinAlgError`` when a
        fit of the chunk meets a singular matrix (:meth:`fit_info` tells which).

        Examples
        --------
        >>> import numpy as np
        >>> from rsnprop.em import EMPatterns
        >>> X = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 7.], [np.nan, 3.]])
        >>> em = EMPatterns(X)
        >>> W = np.array([[1, 2, 0, 1, 1], [2, 1, 1, 0, 1]])
        >>> many = em.fit_many(W, tol=1e-6)
        >>> all(np.array_equal(a[1], em.fit_info(weights=w, tol=1e-6)[1]) for a, w in zip(many, W))
        True
        """
        W = np.asarray(weights, dtype=float)
        if W.ndim != 2:
            raise ValueError("weights must be a 2-D array: one row of row weights per fit")
        if not self.Zi.shape[0]:
            return [self.fit_info(weights=w, start=start, tol=tol, maxit=maxit) for w in W]
        out = []
        for lo in range(0, W.shape[0], max(1, int(chunk))):
            out.extend(self._lockstep([self._setup(w, start) for w in W[lo:lo + chunk]],
                                      tol, maxit))
        return out

    def _lockstep(self, setups, tol, maxit):
        """Iterate the fits ``setups`` (from :meth:`_setup`) together; results in order.

        The step's arrays are allocated once for the whole chunk and used by their first ``a``
        fits (the live ones, moved to the front as the others converge): the padded ``K``
        keeps its identity block, ``KD`` its zero padding columns and ``D`` its zeros at the
        missing cells, written once."""
        p, pp = self.p, self.p + self.pad
        Zi = self.Zi
        ni = Zi.shape[0]
        N, wi, mu, sigma, c1, c2 = (np.stack([s[k] for s in setups]) for k in range(6))
        pw = [np.stack([s[6][b] for s in setups]) for b in range(len(self.buckets))]
        live = np.arange(len(setups))
        results = [None] * len(setups)
        bufs = _LockstepBuffers(len(setups), ni, p, pp)
        for it in range(1, maxit + 1):
            a = len(live)
            Kp, mup, D, KD, F = bufs.views(a)
            Kp[:, :p, :p] = np.linalg.inv(sigma)
            mup[:, :p] = mu
            np.subtract(Zi, mu[:, None, :], out=D, where=self.obs_i)   # zero at the missing cells
            np.matmul(D, Kp[:, :p, :p], out=KD[:, :, :p])
            F[:, :, :p] = Zi
            parts = []
            for (M, rows, lr, Mr), wp, (real, _) in zip(self.buckets, pw, self.cells):
                k = M.shape[1]
                C = _inv_blocks(Kp[:, M[:, :, None], M[:, None, :]])  # Var(x_m | x_o)
                r = rows[:, None]
                if len(rows) > 1:
                    e = np.einsum("rij,rj->ri", C[:, lr].reshape(-1, k, k),
                                  KD[:, r, Mr].reshape(-1, k)).reshape(a, len(rows), k)
                else:   # one row: einsum sums in another order than for several rows
                    e = np.stack([np.einsum("rij,rj->ri", C[f, lr], KD[f, r, Mr])
                                  for f in range(a)])
                F[:, r, Mr] = mup[:, Mr] - e
                parts.append((wp[:, :, None, None] * C)[:, real])
            # np.add.at of fit_info as one bincount: every cell gets the same terms in the
            # same order (bucket, then pattern), from 0.0
            cells = (np.arange(a)[:, None] * (p * p) + self.cells_all).ravel()
            T2p = np.bincount(cells, weights=np.concatenate(parts, axis=1).ravel(),
                              minlength=a * p * p).reshape(a, p, p)
            Fw = F[:, :, :p] * wi[:, :, None]
            T1 = c1 + Fw.sum(axis=1)
            T2 = c2 + Fw.transpose(0, 2, 1) @ F[:, :, :p] + T2p
            mu_new = T1 / N[:, None]
            sigma_new = T2 / N[:, None, None] - mu_new[:, :, None] * mu_new[:, None, :]
            sigma_new = 0.5 * (sigma_new + sigma_new.transpose(0, 2, 1))
            delta = np.maximum(np.abs(mu_new - mu).max(axis=1),
                               np.abs(sigma_new - sigma).max(axis=(1, 2)))
            mu, sigma = mu_new, sigma_new
            done = (delta < tol) | (it == maxit)
            for j in np.flatnonzero(done):
                n_ = N[j]
                results[live[j]] = (mu[j], sigma[j], (int(n_) if float(n_).is_integer()
                                                      else float(n_)), it, bool(delta[j] < tol))
            keep = ~done
            if not keep.any():
                break
            live = live[keep]
            N, wi, mu, sigma, c1, c2 = N[keep], wi[keep], mu[keep], sigma[keep], c1[keep], c2[keep]
            pw = [w[keep] for w in pw]
        return results

    def impute(self, mu, sigma, z=None, jitter: float = 0.0):
        """The kept rows with every missing block replaced by its conditional mean given the
        row's observed values (``z=None``) or by a draw from its conditional normal.

        ``z`` : array (incomplete rows, ``self.pad``): standard normal values per incomplete
        row (rows in the order of ``self.incomplete``; the row's ``q`` missing values use
        ``z[:, :q]``, the rest is ignored).  The draw is ``E[x_m | x_o] + L z`` with ``L``
        the Cholesky factor of ``Var(x_m | x_o) + jitter * I``.  Returns an
        ``(n, p)`` array (rows of ``self.rows``).
        """
        p = self.p
        out = self.X.copy()
        ni = self.Zi.shape[0]
        if not ni:
            return out
        mu = np.asarray(mu, dtype=float)
        pp = p + self.pad
        Kp = np.eye(pp)
        Kp[:p, :p] = np.linalg.inv(sigma)
        mup = np.zeros(pp)
        mup[:p] = mu
        KD = np.zeros((ni, pp))
        KD[:, :p] = np.where(self.obs_i, self.Zi - mu, 0.0) @ Kp[:p, :p]
        F = np.zeros((ni, pp))
        F[:, :p] = self.Zi
        for M, rows, lr, Mr in self.buckets:
            C = np.linalg.inv(Kp[M[:, :, None], M[:, None, :]])       # Var(x_m | x_o)
            r = rows[:, None]
            val = mup[Mr] - np.einsum("rij,rj->ri", C[lr], KD[r, Mr])
            if z is not None:
                k = M.shape[1]
                L = np.linalg.cholesky(C + jitter * np.eye(k))
                zr = np.zeros((len(rows), k))
                q = min(k, z.shape[1])
                zr[:, :q] = z[rows, :q]
                val += np.einsum("rij,rj->ri", L[lr], zr)
            F[r, Mr] = val
        out[self.incomplete] = F[:, :p]
        return out


class _LockstepBuffers:
    """The arrays of a lock step of ``a`` fits (:meth:`EMPatterns._lockstep`), allocated once:
    the padded ``K`` (identity in its padding block), the padded means, ``D`` (zero at the
    missing cells: only the observed ones are written), ``K D`` (zero padding columns) and the
    completed rows ``F``."""

    def __init__(self, a, ni, p, pp):
        self.Kp = np.zeros((a, pp, pp))
        self.Kp[:] = np.eye(pp)
        self.mup = np.zeros((a, pp))
        self.D = np.zeros((a, ni, p))
        self.KD = np.zeros((a, ni, pp))
        self.F = np.zeros((a, ni, pp))

    def views(self, a):
        """``(Kp, mup, D, KD, F)`` of the first ``a`` fits."""
        return self.Kp[:a], self.mup[:a], self.D[:a], self.KD[:a], self.F[:a]


def _inv_blocks(G):
    """``np.linalg.inv(G)`` of a stack of square blocks; 1 x 1 blocks as ``1.0 / G`` (LAPACK's
    ``gesv`` of a 1 x 1 system returns exactly that quotient; a zero block is singular: then
    ``np.linalg.inv`` itself, which raises)."""
    if G.shape[-1] == 1 and not (G == 0.0).any():
        return 1.0 / G
    return np.linalg.inv(G)


def em_moments(X: np.ndarray, tol: float = 1e-10, maxit: int = 1000, start=None,
               weights=None):
    """Maximum-likelihood mean and covariance (divisor n) of incomplete multivariate normal
    data by EM -- lavaan's saturated (h1) moments under ``missing = "ml"``.

    Rows with every value missing are dropped.  ``weights`` (optional, one per row of
    ``X``) are frequency weights: ``em_moments(X, weights=np.bincount(idx, minlength=len(X)))``
    equals ``em_moments(X[idx])``.  For repeated fits on the same rows (a bootstrap) build
    :class:`EMPatterns` once.  Returns ``(mu, sigma, n_used, iterations)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rsnprop.em import em_moments
    >>> X = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 7.], [np.nan, 3.]])
    >>> mu, S, n, _ = em_moments(X)      # lavInspect(fit, "sampstat.h1") with missing = "ml"
    >>> n, np.round(mu, 3).tolist()
    (5, [2.332, 4.114])
    """
    return EMPatterns(X).fit(weights=weights, start=start, tol=tol, maxit=maxit)
