"""Full-information ML for incomplete data (lavaan ``missing = "ml"``).

Cases are grouped by missing-data pattern; pattern ``k`` (``n_k`` cases, observed variables
``o``) contributes ``n_k [log|Sigma_oo| + tr(Sigma_oo^-1 (S_k + d d'))]`` with ``d = xbar_k -
mu_o`` to ``-2 log L``.  The same RAM machinery gives the analytic gradient; Fisher scoring /
BFGS minimises.  The saturated model (h1: free means and covariances) and the baseline
(independence) model are fitted by the same engine, which gives lavaan's chi-square
``2 (logL_h1 - logL)``, the baseline chi-square and ``srmr`` (computed from the h1 moments).
Standard errors use the observed information (lavaan's default with missing data); ``MLR``
adds the sandwich and the Yuan-Bentler scaled test from casewise scores.
"""

from __future__ import annotations

import math

import numpy as np

from .engine import Engine, GroupData, _GroupModel

__all__ = ["fiml_fit", "FIMLEngine", "patterns"]

LOG2PI = math.log(2 * math.pi)


class Pattern:
    __slots__ = ("obs", "n", "mean", "cov", "x", "ix")

    def __init__(self, obs, x):
        self.obs = obs
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
        out.append(Pattern(obs, rows))
    return out


class FIMLEngine(Engine):
    """Engine whose data are missing-data patterns (list per group)."""

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

    def _group(self, theta, g, need_grad, need_hess):
        gm = self.groups[g]
        if need_grad:
            sigma, mu, ds, dm = gm.derivatives(theta, True)
            used = self._used(g)
            ds, dm = ds[used], dm[used]
            qu = len(used)
        else:
            sigma, mu = gm.implied(theta)
        f = 0.0
        q = self.q
        grad_u = np.zeros(qu) if need_grad else None
        hess_u = np.zeros((qu, qu)) if need_hess else None
        for pat in self.pats[g]:
            o = pat.obs
            so = sigma[pat.ix]
            try:
                L = np.linalg.cholesky(so)
            except np.linalg.LinAlgError:
                return np.inf, None, None
            Li = np.linalg.inv(L)
            si = Li.T @ Li
            logdet = 2.0 * np.log(np.diag(L)).sum()
            d = pat.mean - mu[o]
            T = pat.cov + np.outer(d, d)
            f += pat.n * (logdet + np.sum(si * T))
            if need_grad:
                W = si @ (so - T) @ si
                dso = ds[:, o][:, :, o]
                dmo = dm[:, o]
                sd = si @ d
                grad_u += pat.n * (dso.reshape(qu, -1) @ W.reshape(-1) - 2.0 * dmo @ sd)
                if need_hess:
                    M = (dso.reshape(qu * len(o), len(o)) @ si).reshape(qu, len(o), len(o))
                    hh = M.reshape(qu, -1) @ M.transpose(0, 2, 1).reshape(qu, -1).T
                    hess_u += pat.n * (hh + 2.0 * dmo @ si @ dmo.T)
        grad = hess = None
        if need_grad:
            grad = np.zeros(q)
            grad[used] = grad_u
        if need_hess:
            hess = np.zeros((q, q))
            hess[np.ix_(used, used)] = hess_u
        return f, grad, hess

    def observed_information(self, theta, h=1e-5):
        """Observed unit information by central differences of the analytic gradient, group by
        group (only the parameters a group uses are perturbed, only its gradient evaluated)."""
        q = self.q
        H = np.zeros((q, q))
        for g in range(len(self.groups)):
            for k in self._used(g):
                step = h * max(1.0, abs(theta[k]))
                tp = theta.copy()
                tm = theta.copy()
                tp[k] += step
                tm[k] -= step
                fp, gp, _ = self._group(tp, g, True, False)
                fm_, gm_, _ = self._group(tm, g, True, False)
                if gp is None or gm_ is None:
                    return None
                H[:, k] += (gp - gm_) / (2 * step)
        H /= self.ntotal
        return 0.25 * (H + H.T)

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
        sigma, mu, ds, dm = gm.derivatives(theta, True)
        out = []
        for pat in self.pats[g]:
            o = pat.obs
            si = np.linalg.inv(sigma[pat.ix])
            a = (pat.x - mu[o]) @ si
            dso = ds[:, o][:, :, o]
            quad = np.einsum("ni,kij,nj->nk", a, dso, a)
            tr = np.einsum("ij,kji->k", si, dso)
            out.append(0.5 * (quad - tr[None, :]) + a @ dm[:, o].T)
        return np.vstack(out)


def _saturated(p, G, kind, pats, ns, start_moments):
    """Saturated ('h1') or independence ('baseline') RAM model fitted by FIML."""
    per = p + (p * (p + 1) // 2 if kind == "h1" else p)
    q = G * per
    groups = []
    theta = np.zeros(q)
    for g in range(G):
        gm = _GroupModel(p, p, q)
        k = g * per
        mean, cov = start_moments[g]
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
                theta[k] = cov[i, j] if i == j else 0.0
                k += 1
        gm.finalize()
        groups.append(gm)
    eng = FIMLEngine(groups, pats, q, ns)
    th, fmin, conv, _ = eng.fit(theta, maxit=1000)
    return eng, th, conv


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
        U = Wm - Wm @ Dx @ Ex @ Dx.T @ Wm
        if version == "V3":
            return np.trace(U @ Wmi @ Wc @ Wmi @ U @ gamma)
        return np.trace(Wc @ Wmi @ U @ Wmi)

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
