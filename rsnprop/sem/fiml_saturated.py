"""Saturated (h1) and independence (baseline) models of incomplete data at their FIML estimates.

The saturated moments are estimated by EM (lavaan's ``lav_mvnorm_missing_h1_estimate_moments``)
and polished to the exact maximum by Newton steps on the analytic observed information; the
baseline (independence) model is in closed form.  :mod:`rsnprop.sem.fiml` compares the model with
both (chi-square ``2 (logL_h1 - logL)``, baseline chi-square, ``srmr`` from the h1 moments); the
bootstrap refits the saturated model of every draw for Bollen-Stine.
"""

from __future__ import annotations

import numpy as np

from .engine import _GroupModel
from .fiml_engine import FIMLEngine

__all__ = ["saturated_model", "em_h1_moments", "available_moments"]


def em_h1_moments(pats, p, mean, cov, tol=1e-6, maxit=5000):
    """Saturated ML moments by EM (lavaan's lav_mvnorm_missing_h1_estimate_moments).

    The regressions of the missing on the observed variables are solved for every pattern of
    a size at once (one batched LAPACK call, the same ``gesv`` per pattern); the sufficient
    statistics are summed in pattern order."""
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
    sizes = _by_size(part)
    mu, sig = mean.copy(), cov.copy()
    conv = False
    for it in range(maxit):
        T1, T2 = c1.copy(), c2.copy()
        B, C = [None] * len(part), [None] * len(part)
        for pos, o, m in sizes:
            smo = sig[m[:, :, None], o[:, None, :]]
            Bm = np.linalg.solve(sig[o[:, :, None], o[:, None, :]], smo.transpose(0, 2, 1)).transpose(0, 2, 1)
            corr = sig[m[:, :, None], m[:, None, :]] - Bm @ smo.transpose(0, 2, 1)
            for j, k in enumerate(pos):
                B[k], C[k] = Bm[j], corr[j]
        for k, pt in enumerate(part):
            o, m = pt.obs, pt.mis
            full = np.empty((pt.n, p))
            full[:, o] = pt.x
            full[:, m] = mu[m] + (pt.x - mu[o]) @ B[k].T
            T1 += full.sum(axis=0)
            T2 += full.T @ full
            T2[np.ix_(m, m)] += pt.n * C[k]
        mu_new = T1 / N
        sig_new = T2 / N - np.outer(mu_new, mu_new)
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sig_new - sig)))
        mu, sig = mu_new, 0.5 * (sig_new + sig_new.T)
        if delta < tol:
            conv = True
            break
    return mu, sig, conv


def _by_size(part):
    """``[(positions, observed indices, missing indices)]`` of the patterns ``part``, one entry
    per number of observed variables (positions in ``part``)."""
    out = []
    for s in sorted({len(pt.obs) for pt in part}):
        pos = [k for k, pt in enumerate(part) if len(pt.obs) == s]
        out.append((pos, np.array([part[k].obs for k in pos]), np.array([part[k].mis for k in pos])))
    return out


def saturated_model(p, G, kind, pats, ns, start_moments):
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
            mean, cov, cg = em_h1_moments(pats[g], p, mean, cov)
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


def available_moments(x):
    """Available-case means and ML variances (diagonal covariance matrix): the start of the EM."""
    mean = np.nanmean(x, axis=0)
    var = np.nanvar(x, axis=0)
    return mean, np.diag(var)
