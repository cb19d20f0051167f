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
"""

from __future__ import annotations

import copy

import numpy as np

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
    import pandas as pd

    from .fiml import FIMLEngine
    from .model import build_engine
    from .partable import Row

    pt = res._pt
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
    I11 = info[:q, :q]
    I21 = info[q:, :q]
    try:
        I11inv = np.linalg.inv(I11)
    except np.linalg.LinAlgError:
        I11inv = np.linalg.pinv(I11)
    V = np.diag(info[q:, q:]) - np.einsum("ij,jk,ik->i", I21, I11inv, I21)
    gk = 0.5 * grad[q:]
    N = res._engine.ntotal
    with np.errstate(all="ignore"):
        mi = N * gk ** 2 / V
        epc = -gk / V
    mi[V <= 1e-12] = np.nan
    # standardisation
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
        else:
            den = np.sqrt(S[pos[l], pos[l]] * S[pos[r], pos[r]])
            sepc_lv.append(e)
            sepc_all.append(e / den if den > 0 else np.nan)
    out = pd.DataFrame({"lhs": [c[0] for c in cands], "op": [c[1] for c in cands], "rhs": [c[2] for c in cands],
                        "group": [c[3] for c in cands], "mi": mi, "epc": epc, "sepc_lv": sepc_lv,
                        "sepc_all": sepc_all})
    out = out[~(out.mi < minimum)]
    if sort:
        out = out.sort_values("mi", ascending=False, kind="mergesort")
    return out.reset_index(drop=True)
