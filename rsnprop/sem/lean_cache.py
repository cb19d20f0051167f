"""What a lean fit and its score tests build from the parameter table alone, built once per process
(power replications fit the same models to new data sets every time).

Only the structure is kept: the RAM group models of a table (:func:`lean_groups`: where the free
parameters go, the fixed values) and the unconstrained table of the score tests
(:func:`lean_unconstrained`).  Every call gets fresh copies of the group models, without the
evaluations kept by the last user (:meth:`rsnprop.sem.engine._GroupModel._solved`), so that no
number of one fit reaches another.  Tables with fixed exogenous covariates (``fixed.x``: values from
the data) are never kept.
"""

from __future__ import annotations

import copy

import numpy as np

from .lean_stack import TEMPLATE, StackedGroups
from .model import build_engine

__all__ = ["lean_groups", "lean_unconstrained"]

#: group models and unconstrained tables by the table's structure (:func:`_key`)
_GROUPS: dict = {}
_UNCONSTRAINED: dict = {}
_KEPT = 32

#: what a kept group model must not carry into the next fit (the last evaluation)
_PER_FIT = ("_last_solved",)


def _key(pt):
    """Everything of ``pt`` that :func:`rsnprop.sem.model.build_engine` and
    :func:`rsnprop.sem.scoretest.unconstrained` read (None: a table not to keep)."""
    if pt.ov_x:
        return None
    rows = tuple((r.lhs, r.op, r.rhs, r.group, r.par, r.value, r.fixed_x) for r in pt.rows)
    return rows, tuple(pt.ov), tuple(pt.lv), pt.ngroups, pt.npar


def _fresh(groups):
    """Shallow copies of the group models without their per-fit state."""
    out = []
    for gm in groups:
        new = copy.copy(gm)
        for name in _PER_FIT:
            new.__dict__.pop(name, None)
        out.append(new)
    return out


def _remember(store, key, value):
    if len(store) >= _KEPT:
        store.clear()
    store[key] = value
    return value


def _with_template(groups, q):
    """``groups`` (kept) with their stacked structure (:class:`rsnprop.sem.lean_stack.StackedGroups`,
    whose build also decides ``(I - A)^-1 = I + A`` once for each group model): copies inherit both."""
    if StackedGroups.fits(groups):
        groups[0].__dict__[TEMPLATE] = StackedGroups(groups, q)
    return groups


def lean_groups(pt, data):
    """The group models of ``build_engine(pt, data).groups`` (fresh copies of those built for the same
    table before)."""
    key = _key(pt)
    if key is None:
        return build_engine(pt, data).groups
    kept = _GROUPS.get(key) or _remember(_GROUPS, key, _with_template(build_engine(pt, data).groups, pt.npar))
    return _fresh(kept)


def lean_unconstrained(pt, data, unconstrained):
    """``(aug_npar, expand, pairs, groups)`` of the score tests of ``pt``: ``unconstrained(pt)``'s
    (``pairs`` with the rows of ``pt`` itself) and the group models of the unconstrained table."""
    key = _key(pt)
    if key is None:
        aug, expand, pairs = unconstrained(pt)
        return aug.npar, expand, pairs, build_engine(aug, data).groups
    kept = _UNCONSTRAINED.get(key)
    if kept is None:
        aug, expand, pairs = unconstrained(pt)
        index = {id(r): i for i, r in enumerate(pt.rows)}
        where = [(index[id(a)], index[id(b)], ka, kb) for a, b, ka, kb in pairs]
        kept = _remember(_UNCONSTRAINED, key, (aug.npar, np.asarray(expand), where,
                                               _with_template(build_engine(aug, data).groups, aug.npar)))
    npar, expand, where, groups = kept
    rows = pt.rows
    return npar, expand, [(rows[i], rows[j], ka, kb) for i, j, ka, kb in where], _fresh(groups)
