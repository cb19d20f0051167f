"""Full-information ML for incomplete data (lavaan ``missing = "ml"``).

Cases are grouped by missing-data pattern; pattern ``k`` (``n_k`` cases, observed variables
``o``) contributes ``n_k [log|Sigma_oo| + tr(Sigma_oo^-1 (S_k + d d'))]`` with ``d = xbar_k -
mu_o`` to ``-2 log L``.  Every evaluation factors each pattern's ``Sigma_oo`` once (Cholesky)
and sums the gradient with respect to the moments (``Sigma``, ``mu``) over patterns; the RAM
chain rule in matrix form turns it into the parameter gradient.  Fisher scoring (expected h1
information under missingness, ``Delta' H Delta``) then BFGS minimises.  The saturated model
(h1) is estimated once, by EM (lavaan's ``lav_mvnorm_missing_h1_estimate_moments``) polished
to the exact maximum by Newton steps; the baseline (independence) model in closed form.  They
give lavaan's chi-square ``2 (logL_h1 - logL)``, the baseline chi-square and ``srmr`` (from the
h1 moments).  Standard errors use the observed information (lavaan's default with missing
data): the analytic observed h1 information in the moments (lavaan's
``lav_mvnorm_missing_information_observed_samplestats``) sandwiched by the moment Jacobian,
plus the model's second-order term (central differences of the analytic gradient map);
``MLR`` adds the sandwich and the Yuan-Bentler scaled test from casewise scores.
Cost per evaluation: one ``p_o x p_o`` Cholesky per pattern; the information matrices use
``O(p^4)`` memory (36 items: 13 MB).
"""

from __future__ import annotations

import math

import numpy as np

from .engine import Engine, GroupData, _GroupModel

__all__ = ["fiml_fit", "FIMLEngine", "patterns"]

LOG2PI = math.log(2 * math.pi)


class Pattern:
    __slots__ = ("obs", "mis", "n", "mean", "cov", "x", "ix")

    def __init__(self, obs, x, p=None):
        self.obs = obs
        self.mis = (np.setdiff1d(np.arange(p), obs) if p is not None else None)
        self.ix = np.ix_(obs, obs)
        self.x = x
        self.n = x.shape[0]
        self.mean = x.mean(axis=0)
        xc = x - self.mean
        self.cov = xc.T @ xc / self.n


def patterns(x):
    """Split the rows of ``x`` (NaN = missing) by missing-data pattern."""
    mask = ~np.isnan(x)
    keys, inv = np.unique(mask, axis=0, return_inverse=True)
    out = []
    for k, key in enumerate(keys):
        if not key.any():
            continue
        obs = np.flatnonzero(key)
        rows = x[inv.ravel() == k][:, obs]
        out.append(Pattern(obs, rows, x.shape[1]))
    return out


def _vech_weights(p):
    from .robust import _vech_index

    r, c = _vech_index(p)
    return r, c, np.where(r == c, 0.5, 1.0)


def _t4(Z, p, r, c, w):
    """sum_k n_k tr(X_k E_a Y_k E_b) over vech elements a, b from Z = sum_k n_k vec(X_k) vec(Y_k)'
    (E_a: symmetric unit matrix of vech element a; X_k, Y_k symmetric)."""
    i, j = r[:, None], c[:, None]
    k, l_ = r[None, :], c[None, :]
    t = (Z[i * p + l_, j * p + k] + Z[i * p + k, j * p + l_]
         + Z[j * p + l_, i * p + k] + Z[j * p + k, i * p + l_])
    return (w[:, None] * w[None, :]) * t


class _Moments:
    """Per-pattern quantities of one group at (Sigma, mu): -2 log L (up to constants), its
    gradient with respect to Sigma (full symmetric matrix) and mu, and the stacked embedded
    Sigma_oo^-1, Sigma_oo^-1 T Sigma_oo^-1 and Sigma_oo^-1 d of every pattern."""

    __slots__ = ("f", "GS", "gmu", "SI", "B", "SD", "n")


def _pattern_moments(sigma, mu, pats, keep=False):
    p = sigma.shape[0]
    out = _Moments()
    f = 0.0
    GS = np.zeros((p, p))
    gmu = np.zeros(p)
    K = len(pats)
    if keep:
        SI = np.zeros((K, p, p))
        B = np.zeros((K, p, p))
        SD = np.zeros((K, p))
    for k, pat in enumerate(pats):
        o = pat.obs
        so = sigma[pat.ix]
        try:
            L = np.linalg.cholesky(so)
        except np.linalg.LinAlgError:
            return None
        Li = np.linalg.inv(L)
        si = Li.T @ Li
        logdet = 2.0 * np.log(np.diag(L)).sum()
        d = pat.mean - mu[o]
        T = pat.cov + np.outer(d, d)
        sT = si @ T
        f += pat.n * (logdet + np.trace(sT))
        b = sT @ si
        sd = si @ d
        GS[pat.ix] += pat.n * (si - b)
        gmu[o] -= 2.0 * pat.n * sd
        if keep:
            SI[k][pat.ix] = si
            B[k][pat.ix] = b
            SD[k, o] = sd
    out.f, out.GS, out.gmu = f, GS, gmu
    if keep:
        out.SI, out.B, out.SD = SI, B, SD
        out.n = np.array([pat.n for pat in pats], dtype=float)
    return out


def _moment_hessian(mo, p, observed):
    """Half the Hessian of -2 log L (summed over cases) with respect to (mu, vech Sigma):
    observed (at the data) or expected (E[T] = Sigma) -- lavaan's
    lav_mvnorm_missing_information_{observed,expected} times N."""
    r, c, w = _vech_weights(p)
    m = len(r)
    K = len(mo.n)
    X = mo.SI.reshape(K, p * p)
    Xn = X * mo.n[:, None]
    H = np.zeros((p + m, p + m))
    H[:p, :p] = np.tensordot(mo.n, mo.SI, axes=1)
    Zss = _t4(Xn.T @ X, p, r, c, w)
    if observed:
        Zsb = _t4(Xn.T @ mo.B.reshape(K, p * p), p, r, c, w)
        H[p:, p:] = Zsb - 0.5 * Zss
        Y3 = np.einsum("k,kai,kj->aij", mo.n, mo.SI, mo.SD)
        ms = w[None, :] * (Y3[:, r, c] + Y3[:, c, r])
        H[:p, p:] = ms
        H[p:, :p] = ms.T
    else:
        H[p:, p:] = 0.5 * Zss
    return H


def _theta_grad(gm, theta, GS, gmu):
    """Gradient in theta of a function of (Sigma, mu) with gradient ``GS`` (symmetric, with
    respect to the full matrix Sigma) and ``gmu``, by the RAM chain rule in matrix form
    (dF/dA = 2 G' GS C' + (G' gmu) eta', dF/dS = G' GS G, dF/dm = G' gmu) -- no derivative
    tensor needed."""
    A, S, m = gm.matrices(theta)
    IA = np.linalg.inv(gm.eye - A)
    G = IA[: gm.p]
    GtGS = G.T @ GS
    gG = G.T @ gmu
    q = gm.q
    grad = np.zeros(q)
    if len(gm.ap):
        C = IA @ S @ G.T
        eta = IA @ m
        MA = 2.0 * GtGS @ C.T
        grad += np.bincount(gm.ap, MA[gm.ai, gm.aj] + gG[gm.ai] * eta[gm.aj], minlength=q)
    if len(gm.sp):
        Q = GtGS @ G
        grad += np.bincount(gm.sp, Q[gm.si, gm.sj] * (1.0 + gm.offdiag), minlength=q)
    if len(gm.mp):
        grad += np.bincount(gm.mp, gG[gm.mi], minlength=q)
    return grad


def _derivs_used(gm, theta, used):
    """Sigma, mu, dSigma (len(used), p, p), dmu (len(used), p) of the used parameters (as
    ``_GroupModel.derivatives``, with a sparse entry-to-parameter map)."""
    from scipy import sparse

    A, S, m = gm.matrices(theta)
    IA = np.linalg.inv(gm.eye - A)
    G = IA[: gm.p]
    H = IA @ S @ IA.T
    C = H[:, : gm.p]
    sigma = G @ S @ G.T
    mu = G @ m
    p = gm.p
    parts, mparts = [], []
    if len(gm.ap):
        dA = G[:, gm.ai].T[:, :, None] * C[gm.aj][:, None, :]
        parts.append(dA + dA.transpose(0, 2, 1))
        eta = IA @ m
        mparts.append(G[:, gm.ai].T * eta[gm.aj][:, None])
    if len(gm.sp):
        gi = G[:, gm.si].T
        gj = G[:, gm.sj].T
        dS = gi[:, :, None] * gj[:, None, :]
        parts.append(dS + gm.offdiag[:, None, None] * dS.transpose(0, 2, 1))
        mparts.append(np.zeros((len(gm.sp), p)))
    if len(gm.mp):
        parts.append(np.zeros((len(gm.mp), p, p)))
        mparts.append(G[:, gm.mi].T)
    dall = np.concatenate(parts, axis=0) if parts else np.zeros((0, p, p))
    dm = np.concatenate(mparts, axis=0) if mparts else np.zeros((0, p))
    Pu = sparse.csr_matrix(gm.P[:, used].T)
    ds = (Pu @ dall.reshape(dall.shape[0], -1)).reshape(len(used), p, p)
    return sigma, mu, ds, Pu @ dm



class FIMLEngine(Engine):
    """Engine whose data are missing-data patterns (list per group).

    Every evaluation factors each pattern's ``Sigma_oo`` once (Cholesky) and accumulates the
    gradient with respect to the model moments (``Sigma``, ``mu``); the chain rule through the
    analytic RAM derivatives gives the gradient in the parameters.  Fisher scoring uses the
    expected h1 information under missingness, standard errors the observed one (analytic in
    the moments, plus the second-order term of the model, by central differences of the
    moment Jacobian)."""

    def __init__(self, groups, pats, q, n_per_group):
        self.groups = groups
        self.pats = pats
        self.q = q
        self.meanstructure = True
        self.ns = list(n_per_group)
        self.ntotal = sum(self.ns)
        self.data = None  # set to h1 moments later (GroupData) for srmr/residuals

    def _used(self, g):
        """Parameters that enter group ``g`` (the others have zero derivatives there)."""
        if not hasattr(self, "_used_cache"):
            self._used_cache = {}
        if g not in self._used_cache:
            self._used_cache[g] = np.flatnonzero(self.groups[g].P.any(axis=0))
        return self._used_cache[g]

    @staticmethod
    def _jacobian(ds, dm):
        """d(mu, vech Sigma) / d theta (rows: means, then lavaan's column-wise vech)."""
        from .robust import _vech_index

        r, c = _vech_index(ds.shape[1])
        return np.vstack([dm.T, ds[:, r, c].T])

    def _group(self, theta, g, need_grad, need_hess, observed=False):
        gm = self.groups[g]
        p = gm.p
        used = self._used(g)
        if need_hess:
            sigma, mu, ds, dm = _derivs_used(gm, theta, used)
        else:
            sigma, mu = gm.implied(theta)
        mo = _pattern_moments(sigma, mu, self.pats[g], keep=need_hess)
        if mo is None:
            return np.inf, None, None
        grad = hess = None
        if need_grad:
            grad = _theta_grad(gm, theta, mo.GS, mo.gmu)
        if need_hess:
            D = self._jacobian(ds, dm)
            H = _moment_hessian(mo, p, observed)
            hess = np.zeros((self.q, self.q))
            hess[np.ix_(used, used)] = 2.0 * (D.T @ H @ D)
            self._last_mo = mo
        return mo.f, grad, hess

    def observed_information(self, theta, h=1e-5):
        """Observed unit information (half the Hessian of -2 log L / N): analytic in the
        moments (Delta' H Delta) plus the model's second-order term sum_j g_j d2 m_j, the
        latter by central differences of the moment Jacobian (zero for models linear in theta)."""
        key = (np.asarray(theta, dtype=float).tobytes(), h)
        cache = self.__dict__.setdefault("_obs_cache", {})
        if key not in cache:
            cache.clear()
            cache[key] = self._observed_information(theta, h)
        return None if cache[key] is None else cache[key].copy()

    def _observed_information(self, theta, h):
        q = self.q
        info = np.zeros((q, q))
        for g in range(len(self.groups)):
            f, _, hess = self._group(theta, g, True, True, observed=True)
            if not np.isfinite(f):
                return None
            mo = self._last_mo
            used = self._used(g)
            gm = self.groups[g]
            Hu = 0.5 * hess[np.ix_(used, used)]
            if len(gm.ap):  # Sigma, mu nonlinear in theta (paths): second-order term
                S2 = np.zeros((len(used), len(used)))
                GS, gmu = 0.5 * mo.GS, 0.5 * mo.gmu

                def J(t, gm=gm, GS=GS, gmu=gmu, used=used):
                    return _theta_grad(gm, t, GS, gmu)[used]

                for col, k in enumerate(used):
                    step = h * max(1.0, abs(theta[k]))
                    tp = theta.copy()
                    tm = theta.copy()
                    tp[k] += step
                    tm[k] -= step
                    S2[:, col] = (J(tp) - J(tm)) / (2 * step)
                Hu += 0.5 * (S2 + S2.T)
            info[np.ix_(used, used)] += Hu
        info /= self.ntotal
        return 0.5 * (info + info.T)

    def fml(self, theta):
        tot = 0.0
        for g in range(len(self.groups)):
            f, _, _ = self._group(theta, g, False, False)
            tot += f
        return tot / self.ntotal

    def grad_info(self, theta, need_hess=True):
        f = 0.0
        grad = np.zeros(self.q)
        hess = np.zeros((self.q, self.q)) if need_hess else None
        for g in range(len(self.groups)):
            fg, gg, hg = self._group(theta, g, True, need_hess)
            if not np.isfinite(fg):
                return np.inf, None, None
            f += fg
            grad += gg
            if need_hess:
                hess += hg
        N = self.ntotal
        return f / N, grad / N, (hess / N if need_hess else None)

    def loglik(self, theta):
        """Casewise log-likelihood (sum over all cases and groups)."""
        ll = 0.0
        for g in range(len(self.groups)):
            f, _, _ = self._group(theta, g, False, False)
            nobs = sum(p.n * len(p.obs) for p in self.pats[g])
            ll += -0.5 * (f + nobs * LOG2PI)
        return ll

    def casewise_scores(self, theta, g):
        """d log L_i / d theta for every case of group ``g`` (rows in pattern order)."""
        gm = self.groups[g]
        p = gm.p
        used = self._used(g)
        sigma, mu, ds, dm = _derivs_used(gm, theta, used)
        D = np.zeros((p + p * (p + 1) // 2, self.q))
        D[:, used] = self._jacobian(ds, dm)
        r, c, w = _vech_weights(p)
        out = []
        for pat in self.pats[g]:
            o = pat.obs
            si = np.linalg.inv(sigma[pat.ix])
            a = np.zeros((pat.n, p))
            a[:, o] = (pat.x - mu[o]) @ si
            sif = np.zeros((p, p))
            sif[pat.ix] = si
            out.append(np.hstack([a, (a[:, r] * a[:, c] - sif[r, c]) * w]))
        return np.vstack(out) @ D


def _em_moments(pats, p, mean, cov, tol=1e-6, maxit=5000):
    """Saturated ML moments by EM (lavaan's lav_mvnorm_missing_h1_estimate_moments)."""
    N = sum(pt.n for pt in pats)
    c1 = np.zeros(p)
    c2 = np.zeros((p, p))
    part = []
    for pt in pats:
        if len(pt.obs) == p:
            c1 += pt.n * pt.mean
            c2 += pt.n * (pt.cov + np.outer(pt.mean, pt.mean))
        else:
            part.append(pt)
    mu, sig = mean.copy(), cov.copy()
    conv = False
    for it in range(maxit):
        T1, T2 = c1.copy(), c2.copy()
        for pt in part:
            o, m = pt.obs, pt.mis
            smo = sig[np.ix_(m, o)]
            Bm = np.linalg.solve(sig[pt.ix], smo.T).T
            full = np.empty((pt.n, p))
            full[:, o] = pt.x
            full[:, m] = mu[m] + (pt.x - mu[o]) @ Bm.T
            T1 += full.sum(axis=0)
            T2 += full.T @ full
            T2[np.ix_(m, m)] += pt.n * (sig[np.ix_(m, m)] - Bm @ smo.T)
        mu_new = T1 / N
        sig_new = T2 / N - np.outer(mu_new, mu_new)
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sig_new - sig)))
        mu, sig = mu_new, 0.5 * (sig_new + sig_new.T)
        if delta < tol:
            conv = True
            break
    return mu, sig, conv


def _saturated(p, G, kind, pats, ns, start_moments):
    """Saturated ('h1') or independence ('baseline') RAM model at its FIML estimate.

    h1: EM from the available-case moments (lavaan's ``lav_mvnorm_missing_h1_estimate_moments``)
    polished to the exact maximum by Newton steps on the analytic observed information.
    Baseline: closed form (available-case means and ML variances maximise the independence
    likelihood, which factors over variables)."""
    per = p + (p * (p + 1) // 2 if kind == "h1" else p)
    q = G * per
    groups = []
    theta = np.zeros(q)
    conv = True
    for g in range(G):
        gm = _GroupModel(p, p, q)
        k = g * per
        mean, cov = start_moments[g]
        if kind == "h1":
            mean, cov, cg = _em_moments(pats[g], p, mean, cov)
            conv = conv and cg
        for j in range(p):
            gm.mm[0].append(j)
            gm.mm[1].append(k)
            theta[k] = mean[j]
            k += 1
        for j in range(p):
            for i in range(j, p):
                if kind != "h1" and i != j:
                    continue
                gm.s[0].append(i)
                gm.s[1].append(j)
                gm.s[2].append(k)
                theta[k] = cov[i, j]
                k += 1
        gm.finalize()
        groups.append(gm)
    eng = FIMLEngine(groups, pats, q, ns)
    if kind == "h1":
        f, grad, _ = eng.grad_info(theta, need_hess=False)
        for _ in range(20):
            if not np.isfinite(f) or np.max(np.abs(grad)) < 1e-10:
                break
            info = eng.observed_information(theta)
            try:
                step = np.linalg.solve(2.0 * info, -grad)
            except (np.linalg.LinAlgError, TypeError):
                break
            alpha = 1.0
            while alpha > 1e-4:
                f2, g2, _ = eng.grad_info(theta + alpha * step, need_hess=False)
                if np.isfinite(f2) and f2 <= f + 1e-12 * (1 + abs(f)):
                    break
                alpha *= 0.5
            else:
                break
            theta, f, grad = theta + alpha * step, f2, g2
        conv = bool(np.isfinite(f) and np.max(np.abs(grad)) < 1e-8)
        if not conv:  # fall back on the general optimiser
            theta, _, conv, _ = eng.fit(theta, maxit=1000)
    return eng, theta, conv


def _available_moments(x):
    mean = np.nanmean(x, axis=0)
    var = np.nanvar(x, axis=0)
    return mean, np.diag(var)


def _fml_at(gm, theta, mean, cov):
    sigma, mu = gm.implied(theta)
    si = np.linalg.inv(sigma)
    r = mean - mu
    p = len(mean)
    return np.linalg.slogdet(sigma)[1] + np.sum(cov * si) - np.linalg.slogdet(cov)[1] - p + r @ si @ r


def _moment_jacobian(gm, theta):
    """d(mu, vech Sigma) / d theta (rows: means, then lavaan's column-wise vech)."""
    from .robust import _vech_index

    _, _, ds, dm = gm.derivatives(theta, True)
    r, c = _vech_index(gm.p)
    return np.vstack([dm.T, ds[:, r, c].T])


def fiml_corrected(eng, theta, E_inv, h1, th1, base, thb, gdata, df, df_b, version):
    """lavaan's (0.6.14) FIML-corrected robust CFI/TLI/RMSEA (``lav_fit_fiml_corrected``):
    ``version="V6"`` for ML, ``"V3"`` for MLR.  The model and the baseline are evaluated (not
    refitted) against the saturated-model moments; ``U = Wm - Wm D (D' Wm D)^-1 D' Wm`` with ``Wm``
    the observed h1 information under missingness and ``Wc`` the complete-data information at the
    h1 moments; V6: ``k = tr(Wc Wm^-1 U Wm^-1)``, V3: ``k = tr(U Wm^-1 Wc Wm^-1 U Gamma)`` with
    ``Gamma = Wm^-1 Jm Wm^-1`` (``Jm``: casewise h1 scores); ``c = k / df``."""
    from scipy.linalg import block_diag

    from .fitmeasures import rmsea_ci
    from .robust import h1_information

    G = len(eng.groups)
    N = eng.ntotal
    fg = [n / N for n in eng.ns]
    Wm = h1.observed_information(th1)
    Wmi = np.linalg.inv(Wm)
    Wc = block_diag(*[fg[g] * h1_information(gdata[g].mean, gdata[g].cov, True) for g in range(G)])
    D = np.vstack([_moment_jacobian(eng.groups[g], theta) for g in range(G)])
    Db = np.vstack([_moment_jacobian(base.groups[g], thb) for g in range(G)])
    # lavaan switches to observed.information = "h1" (unstructured) before inverting: E = D' Wm D
    E_inv = np.linalg.inv(D.T @ Wm @ D)
    Eb_inv = np.linalg.inv(Db.T @ Wm @ Db)
    x3 = sum(eng.ns[g] * _fml_at(eng.groups[g], theta, gdata[g].mean, gdata[g].cov) for g in range(G))
    x3_null = sum(eng.ns[g] * _fml_at(base.groups[g], thb, gdata[g].mean, gdata[g].cov) for g in range(G))
    if version == "V3":
        # casewise h1 scores span every group's parameters (zero outside the case's group)
        Jm = sum((lambda s_: s_.T @ s_ / N)(h1.casewise_scores(th1, g)) for g in range(G))
        gamma = Wmi @ Jm @ Wmi

    def k_of(Dx, Ex):
        # with U = Wm - R Ex Dx' Wm (R = Wm Dx): Wm^-1 U Wm^-1 = Wm^-1 - Dx Ex Dx' and
        # U Wm^-1 = I - R Ex Dx' (low-rank forms, no products of two h1-sized matrices)
        WcD = Wc @ Dx
        if version == "V3":
            RE = Wm @ Dx @ Ex
            M = Wc - RE @ WcD.T - WcD @ RE.T + RE @ (Dx.T @ WcD) @ RE.T
            return float(np.sum(M * gamma.T))
        return float(np.sum(Wc * Wmi.T) - np.sum((Dx.T @ WcD) * Ex.T))

    c3 = k_of(D, E_inv) / df
    c3_null = k_of(Db, Eb_inv) / df_b
    t1 = max(x3 - c3 * df, 0.0)
    t2 = max(x3 - c3 * df, x3_null - c3_null * df_b, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = 1.0 - ((x3 - c3 * df) * df_b) / ((x3_null - c3_null * df_b) * df)
    rmsea = math.sqrt(max(x3 / N / df - c3 / N, 0.0)) * math.sqrt(G)
    lo, hi, _ = rmsea_ci(x3 / c3, df, N, G)
    return {"cfi_robust": cfi, "tli_robust": tli, "rmsea_robust": rmsea,
            "rmsea_ci_lower_robust": lo * math.sqrt(c3), "rmsea_ci_upper_robust": hi * math.sqrt(c3),
            "fiml_corrected": version}


def fiml_fit(pt, arrays, labels, *, model, estimator, level, n_dropped):
    """Fit ``pt`` by FIML to incomplete ``arrays`` (one per group); return an SEMResult."""
    from scipy import stats

    from .api import finish
    from .fitmeasures import incremental, rmsea_ci, rmsea_point, srmr_group
    from .model import build_engine, start_values

    G = len(arrays)
    p = len(pt.ov)
    pats = [patterns(x) for x in arrays]
    ns = [x.shape[0] for x in arrays]
    # saturated and baseline models
    starts = [_available_moments(x) for x in arrays]
    h1, th1, conv1 = _saturated(p, G, "h1", pats, ns, starts)
    base, thb, convb = _saturated(p, G, "baseline", pats, ns, starts)
    # h1 moments act as the 'sample' statistics (start values, srmr, residuals)
    gdata = []
    for g in range(G):
        sig, mu = h1.groups[g].implied(th1)
        sign, ld = np.linalg.slogdet(sig)
        gdata.append(GroupData(n=ns[g], cov=sig, mean=mu, logdet_cov=float(ld)))
    ram = build_engine(pt, gdata)
    eng = FIMLEngine(ram.groups, pats, pt.npar, ns)
    eng.data = gdata
    theta0 = start_values(pt, gdata)
    theta, fmin, conv, it = eng.fit(theta0)
    if not conv:
        from scipy import optimize

        def fun(t):
            f, g, _ = eng.grad_info(t, need_hess=False)
            return (f, g) if np.isfinite(f) else (1e10, np.zeros_like(t))

        opt = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B", options={"maxiter": 5000})
        theta, fmin, conv, it2 = eng.fit(opt.x, maxit=200)
        it += it2
    warn = []
    if not conv1:
        warn.append("FIML: the saturated (h1) model did not converge; chi-square is unreliable")
    N = eng.ntotal
    npar = pt.npar
    ll0, ll1, llb = eng.loglik(theta), h1.loglik(th1), base.loglik(thb)
    chi2 = max(2 * (ll1 - ll0), 0.0)
    chi2_b = 2 * (ll1 - llb)
    px = len(pt.ov_x)
    ndat = G * (p * (p + 1) // 2 + p) - G * (px * (px + 1) // 2 + px)
    df = ndat - npar
    df_b = G * (p * (p - 1) // 2)
    cfi, tli = incremental(chi2, df, chi2_b, df_b)
    lo, hi, pclose = rmsea_ci(chi2, df, N, G)
    srmr = sum(ns[g] / N * srmr_group(gdata[g].cov, gdata[g].mean, *eng.groups[g].implied(theta), True)
               for g in range(G))
    fitm = {
        "npar": int(npar), "n": int(N), "ngroups": G, "chi2": chi2, "df": int(df),
        "pvalue": float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        "baseline_chi2": chi2_b, "baseline_df": int(df_b),
        "baseline_pvalue": float(stats.chi2.sf(chi2_b, df_b)) if df_b > 0 else float("nan"),
        "cfi": cfi, "tli": tli, "rmsea": rmsea_point(chi2, df, N, G), "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi, "rmsea_pvalue": pclose, "srmr": srmr,
        "loglik": ll0, "loglik_h1": ll1, "aic": -2 * ll0 + 2 * npar, "bic": -2 * ll0 + npar * math.log(N),
        "fmin": chi2 / (2 * N), "missing": "fiml",
        "n_patterns": int(sum(len(pp) for pp in pats)),
    }
    info = eng.observed_information(theta)
    vcov = None
    if info is not None:
        try:
            E_inv = np.linalg.inv(info)
            vcov = E_inv / N
        except np.linalg.LinAlgError:
            warn.append("the information matrix is singular: standard errors are unreliable")
    if estimator == "MLR" and vcov is not None:
        B0 = np.zeros((pt.npar, pt.npar))
        trace = 0.0
        info1 = h1.observed_information(th1)
        A1_inv = np.linalg.inv(info1)
        for g in range(G):
            s0 = eng.casewise_scores(theta, g)
            B0 += s0.T @ s0 / N
            s1 = h1.casewise_scores(th1, g)
            B1 = s1.T @ s1 / N
            trace += np.sum(B1 * A1_inv.T)
        trace -= np.sum(B0 * E_inv.T)
        vcov = E_inv @ B0 @ E_inv / N
        if df > 0:
            c = trace / df
            chi2_s = chi2 / c
            fitm.update({"chi2_scaled": chi2_s, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(chi2_s, df)),
                         "chi2_scaling_factor": c, "test": "yuan.bentler.mplus"})
            # baseline scaling for the scaled CFI/TLI
            binfo = base.observed_information(thb)
            Bb = sum((lambda s: s.T @ s / N)(base.casewise_scores(thb, g)) for g in range(G))
            trace_b = sum(np.sum((lambda s: s.T @ s / N)(h1.casewise_scores(th1, g)) * A1_inv.T) for g in range(G))
            trace_b -= np.sum(Bb * np.linalg.inv(binfo).T)
            c_b = trace_b / df_b
            cfi_s, tli_s = incremental(chi2_s, df, chi2_b / c_b, df_b)
            fitm.update({"baseline_chi2_scaled": chi2_b / c_b, "cfi_scaled": cfi_s, "tli_scaled": tli_s,
                         "rmsea_scaled": rmsea_point(chi2_s, df, N, G)})
    if df > 0 and vcov is not None and conv1 and convb:
        try:
            fitm.update(fiml_corrected(eng, theta, E_inv, h1, th1, base, thb, gdata, df, df_b,
                                       "V3" if estimator == "MLR" else "V6"))
        except (np.linalg.LinAlgError, ValueError):
            warn.append("FIML: robust CFI/RMSEA could not be computed")
    core = dict(engine=eng, theta=theta, fmin=fmin, converged=bool(conv), iterations=it)
    res = finish(pt, core, gdata, labels, estimator=estimator, level=level, arrays=None, n_dropped=n_dropped,
                 model=model, vcov=vcov if vcov is not None else np.full((pt.npar, pt.npar), np.nan),
                 fitm=fitm, extra_warnings=warn)
    res.missing = "fiml"
    return res
