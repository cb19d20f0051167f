"""From a parameter table and sample statistics to an :class:`~rsnprop.sem.engine.Engine`."""

from __future__ import annotations

import numpy as np

from .engine import Engine, GroupData, _GroupModel
from .partable import ParTable
from .start_plan import latent_mean_parts, start_plan

__all__ = ["build_engine", "start_values", "start_values_loops", "fill_matrices"]


def build_engine(pt: ParTable, data: list[GroupData]) -> Engine:
    """Lay the parameter table out as RAM matrices (variables: ``pt.ov`` then ``pt.lv``)."""
    p, m = len(pt.ov), len(pt.lv)
    names = pt.ov + pt.lv
    pos = {v: i for i, v in enumerate(names)}
    groups = []
    for g in range(pt.ngroups):
        gm = _GroupModel(p, p + m, pt.npar)
        d = data[g]
        for r in pt.rows:
            if r.group != g + 1:
                continue
            value = r.value
            if r.fixed_x:  # fixed.x: sample statistics
                if r.op == "~~":
                    value = d.cov[pos[r.lhs], pos[r.rhs]]
                else:
                    value = d.mean[pos[r.lhs]]
            if r.op == "=~":
                i, j, mat = pos[r.rhs], pos[r.lhs], "A"
            elif r.op == "~":
                i, j, mat = pos[r.lhs], pos[r.rhs], "A"
            elif r.op == "~~":
                i, j, mat = pos[r.lhs], pos[r.rhs], "S"
            elif r.op == "~1":
                i, j, mat = pos[r.lhs], 0, "M"
            else:
                continue
            if r.par >= 0:
                tgt = {"A": gm.a, "S": gm.s}.get(mat)
                if mat == "M":
                    gm.mm[0].append(i)
                    gm.mm[1].append(r.par)
                else:
                    tgt[0].append(i)
                    tgt[1].append(j)
                    tgt[2].append(r.par)
            else:
                v = 0.0 if value is None else float(value)
                if mat == "A":
                    gm.A0[i, j] = v
                elif mat == "S":
                    gm.S0[i, j] = gm.S0[j, i] = v
                else:
                    gm.m0[i] = v
        gm.finalize()
        groups.append(gm)
    return Engine(groups, data, pt.npar, pt.meanstructure)


def start_values(pt: ParTable, data: list[GroupData], previous=None) -> np.ndarray:
    """Starting values in the spirit of lavaan's defaults.

    Loadings from a marker-indicator (FABIN-like) estimate, residual variances half the
    observed variance, latent variances from the marker's covariances, intercepts at the
    sample means, everything else 0.  ``previous`` (``(partable, theta)`` of a fit of a nested
    model, e.g. the previous step of an invariance sequence): every parameter with a row of the
    same ``lhs, op, rhs, group`` there starts at that row's estimate (a parameter shared by
    several rows at the estimate of its first row), a warm start.  The table's part is worked
    out once per structure (:mod:`rsnprop.sem.start_plan`, the same bits as the loops of
    :func:`start_values_loops`, which decide when a previous estimate is not finite).
    """
    plan = start_plan(pt, None if previous is None else previous[0])
    theta = plan.values(data, None if previous is None else np.asarray(previous[1], dtype=float))
    return start_values_loops(pt, data, previous) if theta is None else theta


def start_values_loops(pt: ParTable, data: list[GroupData], previous=None) -> np.ndarray:
    """:func:`start_values` by loops over the table's rows (every call)."""
    theta = np.full(pt.npar, np.nan)
    if previous is not None:
        _warm(theta, pt, *previous)
        _warm_latent_means(theta, pt, *previous)
    pos = {v: i for i, v in enumerate(pt.ov)}
    lv_set = set(pt.lv)
    for g in range(pt.ngroups):
        d = data[g]
        S = d.cov
        grows = [r for r in pt.rows if r.group == g + 1]
        if previous is not None and all(r.par < 0 or not np.isnan(theta[r.par]) for r in grows):
            continue                     # every parameter of the group starts warm
        indicators: dict[str, list] = {}
        for r in grows:
            if r.op == "=~" and r.rhs in pos:
                indicators.setdefault(r.lhs, []).append(r)
        lv_var: dict[str, float] = {}
        load: dict[tuple, float] = {}
        for f, rows in indicators.items():
            idx = [pos[r.rhs] for r in rows]
            marker = idx[0]
            others = idx[1:]
            if len(others) >= 2:
                ests = []
                for a in range(len(others)):
                    for b in range(a + 1, len(others)):
                        j, k = others[a], others[b]
                        if abs(S[j, k]) > 1e-8:
                            ests.append(S[marker, j] * S[marker, k] / S[j, k])
                psi = float(np.median(ests)) if ests else 0.5 * S[marker, marker]
            elif len(others) == 1:
                psi = abs(S[marker, others[0]])
            else:
                psi = 0.5 * S[marker, marker]
            psi = float(np.clip(psi, 0.05 * S[marker, marker], 0.95 * S[marker, marker]))
            fixed_first = not rows[0].free
            scale = rows[0].value if fixed_first and rows[0].value else 1.0
            for r, i in zip(rows, idx):
                lam = S[i, marker] / psi if i != marker else 1.0
                load[(f, r.rhs)] = lam * scale
            lv_var[f] = psi / (scale * scale)
        for r in grows:
            if r.par < 0 or not np.isnan(theta[r.par]):
                continue
            if r.start_user is not None:
                v = r.start_user
            elif r.op == "=~":
                v = load.get((r.lhs, r.rhs), 1.0)
                std_lv_var = next((x for x in grows if x.op == "~~" and x.lhs == r.lhs and x.rhs == r.lhs), None)
                if std_lv_var is not None and not std_lv_var.free and r.lhs in lv_var:
                    v = v * np.sqrt(lv_var[r.lhs]) * (std_lv_var.value or 1.0) ** -0.5
            elif r.op == "~~" and r.lhs == r.rhs:
                if r.lhs in lv_set:
                    endo = any(x.op == "~" and x.lhs == r.lhs for x in grows)
                    v = 0.05 if endo else lv_var.get(r.lhs, 0.05)
                else:
                    v = 0.5 * S[pos[r.lhs], pos[r.lhs]]
            elif r.op == "~1":
                v = d.mean[pos[r.lhs]] if r.lhs in pos else 0.0
            else:
                v = 0.0
            theta[r.par] = v
    theta[np.isnan(theta)] = 0.0
    return theta


def _warm(theta, pt, prev_pt, prev_theta):
    """Set ``theta`` (NaN = not set) from the estimates of the rows of ``prev_pt`` that ``pt`` has."""
    value = {(r.lhs, r.op, r.rhs, r.group): prev_theta[r.par] for r in prev_pt.rows if r.par >= 0}
    tot, cnt = np.zeros(len(theta)), np.zeros(len(theta))
    for r in pt.rows:
        if r.par >= 0:
            v = value.get((r.lhs, r.op, r.rhs, r.group))
            if v is not None:
                tot[r.par] += v
                cnt[r.par] += 1
    theta[cnt > 0] = tot[cnt > 0] / cnt[cnt > 0]


def _warm_latent_means(theta, pt, prev_pt, prev_theta):
    """A warm start of latent means freed by ``pt`` (the scalar step after the metric one): the
    least-squares shift of the indicators' previous intercepts, ``alpha_g = sum lambda_i (nu_ig -
    nu_i,ref) / sum lambda_i^2`` (``ref``: the groups whose mean stays fixed), and the intercepts
    now equal across groups at the reference groups' previous ones, so that the start reproduces
    the previous implied means of the reference groups exactly (instead of a latent mean of 0 and
    the groups' average intercepts)."""
    old = {(r.lhs, r.op, r.rhs, r.group): (prev_theta[r.par] if r.par >= 0 else r.value) for r in prev_pt.rows}
    mean_rows = {(r.lhs, r.group): r for r in pt.rows if r.op == "~1" and r.lhs in pt.lv}
    shared = {}
    for (f, g), r in mean_rows.items():
        if r.par < 0 or not np.isnan(theta[r.par]):
            continue
        parts = latent_mean_parts(pt, mean_rows, f, g, old)
        if parts is None:
            continue
        items, nu = parts
        lam = np.array([v for _, v in items], dtype=float)
        ref = np.array([np.mean(b) for _, b in nu])
        theta[r.par] = float(lam @ (np.array([a for a, _ in nu]) - ref) / (lam @ lam))
        shared.update({(i, g): v for (i, _), v in zip(items, ref)})
    for x in pt.rows:
        if x.op == "~1" and x.par >= 0 and (x.lhs, x.group) in shared:
            tied = [y.group for y in pt.rows if y.par == x.par]
            if len(tied) > 1:
                theta[x.par] = shared[(x.lhs, x.group)]


def fill_matrices(pt: ParTable, engine: Engine, theta: np.ndarray, g: int):
    """Model matrices of group ``g`` at ``theta``: Sigma, mu, and the total covariance of all variables."""
    gm = engine.groups[g]
    sigma, mu, IA, S, m = gm.implied(theta, full=True)
    total = IA @ S @ IA.T
    means_all = IA @ m
    return sigma, mu, total, means_all
