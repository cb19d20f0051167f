"""Modification indices (score tests for fixed-to-zero parameters), as lavaan's ``modindices()``.

For a candidate parameter ``k`` (a cross-loading ``f =~ x`` or a residual covariance
``x ~~ y`` not in the model), with the expected unit information ``I`` of the model augmented by
``k`` evaluated at the estimates and the gradient ``g`` of ``F_ML`` (2 x lavaan's fmin):

    MI = N (g_k / 2)^2 / V_k,   V_k = I_kk - I_k,free I_free^-1 I_free,k,   EPC = -(g_k / 2) / V_k

``sepc_all`` rescales the EPC like ``std_all`` (residual correlation for ``~~``).

FIML fits (``missing="fiml"`` with incomplete data): the same score test on the FIML
likelihood of the missing-data patterns (``-2 log L / N`` in place of ``F_ML``, its expected
information under missingness at the model-implied moments), as lavaan's ``modindices()`` for
``missing = "ml"`` (tests/reference/sem_fiml_mi.R).

Ordinal indicators (WLSMV; delta parametrisation, or theta: its scaling factors are functions of the
parameters): as lavaan's ``modindices()`` for
``estimator = "WLSMV"``, the score test of the DWLS discrepancy
``F = 1/2 sum_g f_g (s_g - sigma_g)' W_g (s_g - sigma_g)`` (thresholds and polychoric
correlations, ``W_g`` the diagonal weights of the fit) with the expected information
``I = sum_g f_g n_g / (n_g - 1) D_g' W_g D_g`` (``D_g`` the Jacobian of the model statistics;
the factor because lavaan 0.6's information weighs with ``1 / diag(NACOV)`` while the fit's
weights ``W_g`` carry ``(n_g - 1) / n_g``):

    MI = N g_k^2 / V_k,   V_k = I_kk - I_k,free I_free^-1 I_free,k,   EPC = -g_k / V_k

with ``g = dF/dtheta``.  As lavaan (``lav_object_extended(all.free = TRUE)``), the candidates are
the missing cross-loadings and residual covariances **and** every fixed parameter of the model
(marker loadings, intercepts of the latent responses, scaling factors...); candidates whose
``V_k`` is below ``eps^(1/3)`` are not identified and dropped (lavaan's ``na.remove``).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .dwls import statistics_jacobian, statistics_layout
from .fiml_engine import FIMLEngine
from .model import build_engine
from .partable import Row

__all__ = ["modification_indices"]


def _candidates(pt):
    have = {(r.lhs, r.op, r.rhs, r.group) for r in pt.rows}
    have |= {(r.rhs, r.op, r.lhs, r.group) for r in pt.rows if r.op == "~~"}
    ov = [v for v in pt.ov if v not in pt.ov_x]
    out = []
    for g in range(1, pt.ngroups + 1):
        for f in pt.lv:
            for x in ov:
                if (f, "=~", x, g) not in have:
                    out.append((f, "=~", x, g))
        for i, a in enumerate(ov):
            for b in ov[i + 1:]:
                if (a, "~~", b, g) not in have:
                    out.append((a, "~~", b, g))
    return out


def modification_indices(res, sort=True, minimum=0.0):
    if getattr(res, "_wls", None) is not None:
        return _ordinal_modindices(res, sort=sort, minimum=minimum)

    pt = res.partable
    cands = _candidates(pt)
    if not cands or res.theta is None:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all"])
    aug = copy.copy(pt)
    aug.rows = list(pt.rows) + [Row(l, o, r, group=g, free=True, user=0, par=pt.npar + k)
                                for k, (l, o, r, g) in enumerate(cands)]
    aug.npar = pt.npar + len(cands)
    eng = build_engine(aug, res._engine.data)
    if isinstance(res._engine, FIMLEngine):  # missing data: the FIML likelihood of the patterns
        eng = FIMLEngine(eng.groups, res._engine.pats, aug.npar, res._engine.ns)
    theta = np.concatenate([res.theta, np.zeros(len(cands))])
    _, grad, hess = eng.grad_info(theta)
    info = 0.5 * hess
    q = pt.npar
    V = _score_variance(info, q)
    gk = 0.5 * grad[q:]
    N = res._engine.ntotal
    with np.errstate(all="ignore"):
        mi = N * gk ** 2 / V
        epc = -gk / V
    mi[V <= 1e-12] = np.nan
    return _table(res, cands, mi, epc, sort, minimum)


def _table(res, cands, mi, epc, sort, minimum):
    """The result table with the standardised EPCs (``std_lv`` / ``std_all`` scaling)."""

    pt = res.partable
    names = pt.ov + pt.lv
    pos = {v: i for i, v in enumerate(names)}
    sepc_lv, sepc_all = [], []
    for (l, o, r, g), e in zip(cands, epc):
        A, S, m = res._engine.groups[g - 1].matrices(res.theta)
        IA = np.linalg.inv(np.eye(len(names)) - A)
        tot = IA @ S @ IA.T
        sd = np.sqrt(np.diag(tot))
        if o == "=~":
            sepc_lv.append(e * sd[pos[l]])
            sepc_all.append(e * sd[pos[l]] / sd[pos[r]])
        elif o == "~1":
            sepc_lv.append(e / sd[pos[l]] if l in pt.lv else e)
            sepc_all.append(e / sd[pos[l]])
        elif o == "~~" and l != r:
            den = np.sqrt(S[pos[l], pos[l]] * S[pos[r], pos[r]])
            sepc_lv.append(e)
            sepc_all.append(e / den if den > 0 else np.nan)
        else:
            sepc_lv.append(np.nan)
            sepc_all.append(np.nan)
    out = pd.DataFrame({"lhs": [c[0] for c in cands], "op": [c[1] for c in cands], "rhs": [c[2] for c in cands],
                        "group": [c[3] for c in cands], "mi": mi, "epc": epc, "sepc_lv": sepc_lv,
                        "sepc_all": sepc_all})
    out = out[~(out.mi < minimum)]
    if sort:
        out = out.sort_values("mi", ascending=False, kind="mergesort")
    return out.reset_index(drop=True)


def _ordinal_modindices(res, sort=True, minimum=0.0):
    """Score tests of a WLSMV fit (see the module docstring)."""

    pt = res.partable
    w = res._wls
    new = _candidates(pt)
    q = pt.npar
    rows, cands, start = [], [], []
    k = q
    for r in pt.rows:  # lavaan's all.free: every fixed parameter is a candidate as well
        if r.free or r.fixed_x:
            rows.append(copy.copy(r))
            continue
        c = copy.copy(r)
        c.free, c.par, c.eq, c.label = True, k, "", ""
        rows.append(c)
        cands.append((r.lhs, r.op, r.rhs, r.group))
        start.append(0.0 if r.value is None else float(r.value))
        k += 1
    for (l, o, r_, g) in new:
        rows.append(Row(l, o, r_, group=g, free=True, user=0, par=k))
        cands.append((l, o, r_, g))
        start.append(0.0)
        k += 1
    aug = copy.copy(pt)
    aug.rows = rows
    aug.npar = k
    eng = build_engine(aug, w["gds"])
    th_par, th_item, dl_par = statistics_layout(aug)
    theta = np.concatenate([res.theta, np.array(start, dtype=float)])
    info = np.zeros((k, k))
    grad = np.zeros(k)
    for g in range(pt.ngroups):
        sig, J = statistics_jacobian(eng, theta, g, th_par, th_item, dl_par, w.get("parameterization", "delta"))
        JW = J.T * w["w"][g]
        n = w["ns"][g]
        # lavaan's expected information weighs with 1 / diag(NACOV) of the sample statistics, its
        # gradient with the fit's WLS.V (NACOV times N / (N - 1), see ordinal.py)
        info += w["fg"][g] * n / (n - 1) * JW @ J
        grad -= w["fg"][g] * JW @ (w["s"][g] - sig)
    V = _score_variance(info, q)
    V[V < np.finfo(float).eps ** (1 / 3)] = np.nan  # not identified: dropped, as lavaan's na.remove
    gk = grad[q:]
    N = sum(w["ns"])
    with np.errstate(all="ignore"):
        mi = N * gk ** 2 / V
        epc = -gk / V
    keep = ~np.isnan(mi)
    cands = [c for c, kp in zip(cands, keep) if kp]
    return _table(res, cands, mi[keep], epc[keep], sort, minimum)


def _score_variance(info, q):
    """Variance of each added parameter's score given the ``q`` free parameters (the diagonal
    of ``I22 - I21 I11^-1 I12``), the denominator of the modification index."""

    I11 = info[:q, :q]
    I21 = info[q:, :q]
    try:
        I11inv = np.linalg.inv(I11)
    except np.linalg.LinAlgError:
        I11inv = np.linalg.pinv(I11)
    return np.diag(info[q:, q:]) - np.einsum("ij,jk,ik->i", I21, I11inv, I21)
