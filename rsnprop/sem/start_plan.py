"""The start values of :func:`rsnprop.sem.model.start_values` from a plan built once per process per
table structure (power replications fit the same steps of the same model to a new data set every
time).

What the start values read of the parameter table (and of the table of a warm start's previous
fit) is worked out once: which parameters start warm and from which previous estimates, the
latent means of the scalar step (their items and reference groups), which groups still need cold
values, each factor's marker and indicator pairs, and for every parameter left the rule that gives
its value.  The plan then only does the arithmetic on the data's moments and the previous
estimates, the same operations in the same order as the loops of
:func:`rsnprop.sem.model.start_values` (the same bits; tested against them).  A previous estimate
that is not finite sends the call back to those loops (the plan assumes the warm values are set).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["StartPlan", "start_plan", "latent_mean_parts"]

#: plans by the structure of the table and of the previous fit's table (:func:`_key`)
_PLANS: dict = {}
_KEPT = 32


def _key(pt, prev_pt):
    """Everything :func:`rsnprop.sem.model.start_values` reads of ``pt`` and ``prev_pt``."""
    rows = tuple((r.lhs, r.op, r.rhs, r.group, r.par, r.free, r.value, r.start_user) for r in pt.rows)
    prev = None if prev_pt is None else tuple((r.lhs, r.op, r.rhs, r.group, r.par, r.value) for r in prev_pt.rows)
    return rows, tuple(pt.ov), tuple(pt.lv), pt.ngroups, pt.npar, prev


@dataclass
class _Factor:
    """A factor's loadings in a group: the positions of its indicators (marker first), the pairs of
    the other indicators, the scale of a fixed first loading."""

    idx: list
    pairs: tuple
    scale: float
    rhs: dict                         # indicator name -> position in ``idx`` (the last row of a name)


@dataclass
class StartPlan:
    """The start values of one table (and previous table), see the module docstring."""

    npar: int
    prev_npar: int = 0                # the previous table's parameters (the old values' first block)
    warm: tuple = ()                  # (mask, source parameters, target parameters) of the warm start
    means: list = field(default_factory=list)      # latent means: (par, lam, nu, refs) old-value indices
    tied_means: list = field(default_factory=list)  # (par, target, item): an intercept set to a reference's
    consts: list = field(default_factory=list)      # fixed values of the previous table (old values)
    groups: list = field(default_factory=list)      # per group needing cold values: (g, factors, ops)

    def values(self, data, prev_theta=None):
        """The start values for the moments ``data`` (and the previous estimates); None when a
        previous estimate or a latent mean's warm value is not finite (the loops decide then)."""
        if prev_theta is not None and (len(prev_theta) != self.prev_npar or not np.isfinite(prev_theta).all()):
            return None
        theta = np.full(self.npar, np.nan)
        if self.warm:
            mask, src, dst = self.warm
            tot = np.bincount(dst, weights=prev_theta[src], minlength=self.npar)
            cnt = np.bincount(dst, minlength=self.npar).astype(float)
            theta[mask] = tot[mask] / cnt[mask]
        if self.means:
            with np.errstate(all="ignore"):      # not finite: the loops compute it again, with their warning
                done = self._latent_means(theta, np.concatenate([prev_theta, self.consts]))
            if not done:
                return None
        for g, factors, ops in self.groups:
            _cold_group(theta, data[g], factors, ops)
        theta[np.isnan(theta)] = 0.0
        return theta

    def _latent_means(self, theta, old):
        refs = []
        for par, lam_i, nu_i, ref_i in self.means:
            lam = old[lam_i]
            ref = np.array([np.mean(old[b]) for b in ref_i])
            theta[par] = float(lam @ (old[nu_i] - ref) / (lam @ lam))
            if not np.isfinite(theta[par]):
                return False
            refs.append(ref)
        for par, t, k in self.tied_means:
            theta[par] = refs[t][k]
        return True


def _cold_group(theta, d, factors, ops):
    """The cold start values of one group (:func:`rsnprop.sem.model.start_values`' loops)."""
    S = d.cov
    lv_var, load = {}, {}
    for f, fac in factors.items():
        marker = fac.idx[0]
        others = fac.idx[1:]
        if len(others) >= 2:
            j, k = fac.pairs
            sjk = S[j, k]
            keep = np.abs(sjk) > 1e-8
            ests = S[marker, j][keep] * S[marker, k][keep] / sjk[keep]
            psi = float(np.median(ests)) if len(ests) else 0.5 * S[marker, marker]
        elif len(others) == 1:
            psi = abs(S[marker, others[0]])
        else:
            psi = 0.5 * S[marker, marker]
        psi = float(np.clip(psi, 0.05 * S[marker, marker], 0.95 * S[marker, marker]))
        load[f] = [(S[i, marker] / psi if i != marker else 1.0) * fac.scale for i in fac.idx]
        lv_var[f] = psi / (fac.scale * fac.scale)
    for op in ops:
        theta[op[1]] = _value(op, S, d.mean, lv_var, load)


def _value(op, S, mean, lv_var, load):
    kind = op[0]
    if kind == "const":
        return op[2]
    if kind == "load":
        _, _, f, pos, std = op
        v = load[f][pos] if pos is not None else 1.0
        return v * np.sqrt(lv_var[f]) * std ** -0.5 if std is not None else v
    if kind == "lv_var":
        return lv_var[op[2]]
    if kind == "res_var":
        return 0.5 * S[op[2], op[2]]
    return mean[op[2]]


def start_plan(pt, prev_pt=None) -> StartPlan:
    """The plan of ``pt``'s start values (warm from ``prev_pt``'s estimates when given), built once
    per process per structure."""
    key = _key(pt, prev_pt)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _KEPT:
            _PLANS.clear()
        plan = _PLANS[key] = _build(pt, prev_pt)
    return plan


def _build(pt, prev_pt):
    plan = StartPlan(npar=pt.npar, prev_npar=0 if prev_pt is None else
                     max((r.par for r in prev_pt.rows), default=-1) + 1)
    is_set = np.zeros(pt.npar, dtype=bool)
    if prev_pt is not None:
        _plan_warm(plan, pt, prev_pt, is_set)
        _plan_means(plan, pt, prev_pt, is_set)
    pos = {v: i for i, v in enumerate(pt.ov)}
    for g in range(pt.ngroups):
        grows = [r for r in pt.rows if r.group == g + 1]
        if prev_pt is not None and all(r.par < 0 or is_set[r.par] for r in grows):
            continue
        factors = _factors(grows, pos)
        plan.groups.append((g, factors, _ops(grows, pos, set(pt.lv), factors, is_set)))
    return plan


def _plan_warm(plan, pt, prev_pt, is_set):
    value = {(r.lhs, r.op, r.rhs, r.group): r.par for r in prev_pt.rows if r.par >= 0}
    src, dst = [], []
    for r in pt.rows:
        if r.par >= 0 and (r.lhs, r.op, r.rhs, r.group) in value:
            src.append(value[(r.lhs, r.op, r.rhs, r.group)])
            dst.append(r.par)
    if dst:
        mask = np.zeros(pt.npar, dtype=bool)
        mask[dst] = True
        plan.warm = (mask, np.array(src, dtype=np.intp), np.array(dst, dtype=np.intp))
        is_set |= mask


def _plan_means(plan, pt, prev_pt, is_set):
    """:func:`rsnprop.sem.model._warm_latent_means` as indices into the old values (the previous
    estimates, then the previous table's fixed values)."""
    npar_prev = plan.prev_npar
    old = {}
    for r in prev_pt.rows:
        if r.par >= 0:
            old[(r.lhs, r.op, r.rhs, r.group)] = r.par
        elif r.value is None:
            old[(r.lhs, r.op, r.rhs, r.group)] = None
        else:
            old[(r.lhs, r.op, r.rhs, r.group)] = npar_prev + len(plan.consts)
            plan.consts.append(float(r.value))
    mean_rows = {(r.lhs, r.group): r for r in pt.rows if r.op == "~1" and r.lhs in pt.lv}
    shared = {}
    for (f, g), r in mean_rows.items():
        if r.par < 0 or is_set[r.par]:
            continue
        parts = latent_mean_parts(pt, mean_rows, f, g, old)
        if parts is None:
            continue
        items, nu = parts
        t = len(plan.means)
        plan.means.append((r.par, np.array([v for _, v in items], dtype=np.intp),
                           np.array([a for a, _ in nu], dtype=np.intp),
                           [np.array(b, dtype=np.intp) for _, b in nu]))
        is_set[r.par] = True
        shared.update({(i, g): (t, k) for k, (i, _) in enumerate(items)})
    for x in pt.rows:
        if x.op == "~1" and x.par >= 0 and (x.lhs, x.group) in shared:
            if sum(1 for y in pt.rows if y.par == x.par) > 1:
                plan.tied_means.append((x.par, *shared[(x.lhs, x.group)]))
                is_set[x.par] = True
    plan.consts = np.array(plan.consts, dtype=float)


def _factors(grows, pos):
    indicators: dict = {}
    for r in grows:
        if r.op == "=~" and r.rhs in pos:
            indicators.setdefault(r.lhs, []).append(r)
    out = {}
    for f, rows in indicators.items():
        idx = [pos[r.rhs] for r in rows]
        others = idx[1:]
        pairs = [(others[a], others[b]) for a in range(len(others)) for b in range(a + 1, len(others))]
        pairs_arr = (np.array([j for j, _ in pairs], dtype=np.intp), np.array([k for _, k in pairs], dtype=np.intp))
        fixed_first = not rows[0].free
        scale = rows[0].value if fixed_first and rows[0].value else 1.0
        out[f] = _Factor(idx=idx, pairs=pairs_arr, scale=scale, rhs={r.rhs: k for k, r in enumerate(rows)})
    return out


def _ops(grows, pos, lv_set, factors, is_set):
    """The rule of every parameter of the group still without a value, in the loops' order."""
    ops = []
    for r in grows:
        if r.par < 0 or is_set[r.par]:
            continue
        is_set[r.par] = True
        if r.start_user is not None:
            ops.append(("const", r.par, r.start_user))
        elif r.op == "=~":
            fac = factors.get(r.lhs)
            where = None if fac is None else fac.rhs.get(r.rhs)
            std_lv_var = next((x for x in grows if x.op == "~~" and x.lhs == r.lhs and x.rhs == r.lhs), None)
            std = ((std_lv_var.value or 1.0) if std_lv_var is not None and not std_lv_var.free and fac is not None
                   else None)
            ops.append(("load", r.par, r.lhs, where, std) if fac is not None else ("const", r.par, 1.0))
        elif r.op == "~~" and r.lhs == r.rhs:
            if r.lhs in lv_set:
                endo = any(x.op == "~" and x.lhs == r.lhs for x in grows)
                ops.append(("const", r.par, 0.05) if endo or r.lhs not in factors else ("lv_var", r.par, r.lhs))
            else:
                ops.append(("res_var", r.par, pos[r.lhs]))
        elif r.op == "~1" and r.lhs in pos:
            ops.append(("mean", r.par, pos[r.lhs]))
        else:
            ops.append(("const", r.par, 0.0))
    return ops


def latent_mean_parts(pt, mean_rows, f, g, old):
    """What the start of the free latent mean of factor ``f`` in group ``g`` reads from the
    previous step (``old``: ``(lhs, op, rhs, group)`` -> a value or an index): its indicators
    with their previous loadings ``items`` and, per indicator, the previous intercept in ``g``
    with those of the reference groups (whose mean of ``f`` is fixed at 0) ``nu``; ``None`` when
    there is no reference group, no indicator or a previous value is missing.  Used by
    :func:`start_plan` (indices) and :func:`rsnprop.sem.model.start_values_loops` (values)."""
    refs = [h for (f2, h), r2 in mean_rows.items() if f2 == f and r2.par < 0 and (r2.value or 0.0) == 0.0]
    items = [(x.rhs, old.get((f, "=~", x.rhs, g))) for x in pt.rows
             if x.op == "=~" and x.lhs == f and x.group == g and x.rhs in pt.ov]
    nu = [(old.get((i, "~1", "", g)), [old.get((i, "~1", "", h)) for h in refs]) for i, _ in items]
    if not refs or not items or any(lam is None for _, lam in items) or any(
            a is None or None in b for a, b in nu):
        return None
    return items, nu
