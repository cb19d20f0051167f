"""The RAM algebra of every group of a lean fit at once (:attr:`rsnprop.sem.fiml_engine.FIMLEngine.padded`:
power replications, decisions by score tests): the matrices, the implied moments and the chain
rule of the gradient of all groups by one set of array operations on stacked ``G x n x n``
matrices, instead of one set per group (:meth:`rsnprop.sem.engine._GroupModel.implied`,
:meth:`~rsnprop.sem.engine._GroupModel.moment_gradient`).

At the sizes of a measurement check (18 variables, two groups) the cost of an evaluation's
algebra is the number of numpy calls, not the arithmetic.  The numbers are those of the per-group
computation to rounding (the same products, batched; the gradient's sums in another order), which
a lean fit allows; the full fits (``rsnprop fit``, ``rsnprop invariance``, the report) never come
here.  Tested against the per-group methods (``tests/test_sem_lean_stack.py``).
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = ["StackedGroups", "stacked_groups"]

#: where a kept group model (:mod:`rsnprop.sem.lean_cache`) carries the stacked structure of its
#: model's groups, which every fresh copy of it inherits
TEMPLATE = "_stacked_template"


def stacked_groups(groups, q):
    """The :class:`StackedGroups` of ``groups`` (False when they do not stack): the structure kept
    with their originals (:data:`TEMPLATE`, the same index arrays) bound to these copies, or built."""
    kept = groups[0].__dict__.get(TEMPLATE) if groups else None
    if kept is not None and kept.q == q and len(kept.groups) == len(groups):
        out = copy.copy(kept)
        out.groups = groups
        return out
    return StackedGroups(groups, q) if StackedGroups.fits(groups) else False


class StackedGroups:
    """The group models ``groups`` (:class:`rsnprop.sem.engine._GroupModel`, the same variables) of a
    model with ``q`` parameters stacked: the flat positions of every group's free entries in the
    stacked ``A``, ``S``, ``m`` and their parameters.

    :meth:`implied` keeps each group's matrices and ``(I - A)^-1`` in the group model
    (``_last_solved``, as :meth:`~rsnprop.sem.engine._GroupModel._solved` with ``keep_solved``), so
    that the information of the same point (:func:`rsnprop.sem.fiml_lean.lean_hessian`) reads them.
    """

    def __init__(self, groups, q):
        self.groups, self.q = groups, q
        G, n = len(groups), groups[0].nvar
        self.p = groups[0].p
        self.A0 = np.array([gm.A0 for gm in groups])
        self.S0 = np.array([gm.S0 for gm in groups])
        self.m0 = np.array([gm.m0 for gm in groups])
        self.eye = np.eye(n)
        off = [g * n * n for g in range(G)]
        cat = np.concatenate
        self.a_flat = cat([o + gm.ai * n + gm.aj for o, gm in zip(off, groups)]).astype(int)
        self.a_i = cat([g * n + gm.ai for g, gm in enumerate(groups)]).astype(int)
        self.a_j = cat([g * n + gm.aj for g, gm in enumerate(groups)]).astype(int)
        self.s_flat = cat([o + gm.si * n + gm.sj for o, gm in zip(off, groups)]).astype(int)
        self.s_flat_t = cat([o + gm.sj * n + gm.si for o, gm in zip(off, groups)]).astype(int)
        self.s_two = cat([1.0 + gm.offdiag for gm in groups])
        self.m_flat = cat([g * n + gm.mi for g, gm in enumerate(groups)]).astype(int)
        self.ap = cat([gm.ap for gm in groups]).astype(int)
        self.sp = cat([gm.sp for gm in groups]).astype(int)
        self.mp = cat([gm.mp for gm in groups]).astype(int)
        self.par = cat([self.ap, self.sp, self.mp])
        self.one_step = all(gm._paths_one_step() for gm in groups)

    @staticmethod
    def fits(groups):
        """True when ``groups`` can be stacked (two or more, the same number of variables)."""
        return len(groups) > 1 and len({(gm.nvar, gm.p) for gm in groups}) == 1

    def matrices(self, theta):
        """The stacked ``(A, S, m, (I - A)^-1)`` at ``theta``, also kept in each group model."""
        A, S, m = self.A0.copy(), self.S0.copy(), self.m0.copy()
        A.reshape(-1)[self.a_flat] = theta[self.ap]
        S.reshape(-1)[self.s_flat] = theta[self.sp]
        S.reshape(-1)[self.s_flat_t] = theta[self.sp]
        m.reshape(-1)[self.m_flat] = theta[self.mp]
        IA = self.eye + A if self.one_step else np.linalg.inv(self.eye - A)
        key = theta.tobytes()
        for g, gm in enumerate(self.groups):
            gm.__dict__["_last_solved"] = (key, (A[g], S[g], m[g], IA[g]))
        return A, S, m, IA

    def implied(self, theta):
        """``(Sigma, mu, state)``: the groups' implied covariance matrices ``(G, p, p)`` and means
        ``(G, p)``, and what :meth:`gradient` reads at the same ``theta``."""
        A, S, m, IA = self.matrices(theta)
        Gm = IA[:, :self.p]
        GS = Gm @ S
        sigma = GS @ Gm.transpose(0, 2, 1)
        eta = (IA @ m[:, :, None])[:, :, 0]
        mu = eta[:, :self.p]
        return sigma, mu, (S, IA, Gm, eta)

    def gradient(self, state, GS, gmu):
        """The gradient in theta of a function of the groups' ``(Sigma, mu)`` with gradients ``GS``
        ``(G, p, p)``, symmetric, and ``gmu`` ``(G, p)``: the chain rule of
        :meth:`~rsnprop.sem.engine._GroupModel.moment_gradient` for every group at once."""
        S, IA, Gm, eta = state
        Gt = Gm.transpose(0, 2, 1)
        GtGS = Gt @ GS
        gG = (Gt @ gmu[:, :, None])[:, :, 0].reshape(-1)
        C = IA @ S @ Gt
        MA = 2.0 * GtGS @ C.transpose(0, 2, 1)
        Q = GtGS @ Gm
        e = eta.reshape(-1)
        w = np.concatenate([MA.reshape(-1)[self.a_flat] + gG[self.a_i] * e[self.a_j],
                            Q.reshape(-1)[self.s_flat] * self.s_two, gG[self.m_flat]])
        return np.bincount(self.par, w, minlength=self.q)
