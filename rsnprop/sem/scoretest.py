"""Score (Lagrange multiplier) tests of equality constraints, as lavaan's ``lavTestScore()``.

A model fitted with equality constraints (``group_equal``, shared labels) is compared with the
model in which some of them are released, without refitting.  Let ``theta_u`` be the parameter
vector of the *unconstrained* model (every row of an equality class its own parameter), ``R``
the Jacobian of the constraints ``theta_u[a] - theta_u[b] = 0`` (one row per constraint, lavaan's
``con.jac``), ``s`` the gradient of the unit log-likelihood ``log L / N`` at the constrained
estimates and ``I`` the expected unit information of the unconstrained model.  With

    Z = [[I, R1'], [R1, 0]],   J1 = (Z^+)[:q, :q]          (R1 = the constraints kept)

the score statistic for releasing the other constraints is ``N s' J1 s`` (chi-square, df = the
number released):

* total test: every constraint released (``R1`` empty, ``J1 = I^-1``);
* univariate test of constraint ``r``: ``R1 = R`` without row ``r`` (df 1);
* cumulative test: constraints released one more at a time in decreasing order of their
  univariate statistic (df 1, 2, ...).

R: ``lavTestScore(fit, cumulative = TRUE)`` (lavaan 0.6, ``information = "expected"``), e.g.
``fit <- cfa(model, data, group = "g", group.equal = c("loadings", "intercepts"))``.  ML with
complete data, and FIML (``missing = "fiml"``; lavaan ``missing = "ml"``).

Examples
--------
>>> from rsnprop.sem import fit
>>> from rsnprop.sem.scoretest import score_tests
>>> from rsnprop.datasets import holzinger_swineford
>>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
...           holzinger_swineford(), group="school", group_equal=("loadings", "intercepts"))
>>> st = score_tests(res)
>>> round(st.total["X2"], 3), st.total["df"]
(46.956, 15)
>>> st.univariate.sort_values("X2").iloc[-1][["lhs", "op", "rhs"]].tolist()
['x3', '~1', '']
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from ..distributions import chi2_sf
from ..errors import InputError
from ..results import Result, jsonsafe
from .fiml_engine import FIMLEngine
from .lean_cache import lean_unconstrained
from .model import build_engine
from .partable import _eq_type as _peq_type

__all__ = ["score_tests", "ScoreTestResult", "unconstrained", "p_adjust", "CORRECTIONS", "univariate_downdate"]

#: corrections of the univariate tests (``p.adjust`` / ``multipletests`` names)
CORRECTIONS = ("holm", "bonferroni", "hommel", "fdr_bh", "sidak", "holm-sidak", "none")


def p_adjust(p, method):
    """Adjusted p-values (list in, list out), as R's ``p.adjust(p, method)``.

    Holm, Bonferroni, Sidak, Holm-Sidak and Benjamini-Hochberg are computed here (statsmodels'
    ``multipletests`` runs a full garbage collection on every call, far too slow for Monte
    Carlo work, and imports ``scipy.stats``); Hommel is :func:`_hommel`, statsmodels'
    arithmetic step by step; ``none`` returns ``p``.

    >>> p_adjust([0.01, 0.04, 0.03], "holm")
    [0.03, 0.06, 0.06]
    """
    m = len(p)
    if method == "none":
        return [float(x) for x in p]
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    if method == "bonferroni":
        return [min(1.0, m * x) for x in p]
    if method == "sidak":
        return [1 - (1 - x) ** m for x in p]
    if method in ("holm", "holm-sidak"):
        running = 0.0
        for rank, i in enumerate(order):
            k = m - rank
            adj = k * p[i] if method == "holm" else 1 - (1 - p[i]) ** k
            running = max(running, min(1.0, adj))
            out[i] = running
        return out
    if method == "fdr_bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, m * p[i] / (rank + 1))
            out[i] = min(1.0, running)
        return out

    return [float(x) for x in _hommel(p)]


def _hommel(p):
    """Hommel's adjusted p-values (R: ``p.adjust(p, "hommel")``), the operations of
    ``statsmodels.stats.multitest.multipletests(p, method="hommel")[1]`` in its order, so the
    same bits (``tests/test_sem_p_adjust.py`` compares them)."""
    pvals = np.asarray(p)
    sortind = np.argsort(pvals)
    pvals = np.take(pvals, sortind)
    ntests = len(pvals)
    a = pvals.copy()
    for m in range(ntests, 1, -1):
        cim = np.min(m * pvals[-m:] / np.arange(1, m + 1.0))
        a[-m:] = np.maximum(a[-m:], cim)
        a[:-m] = np.maximum(a[:-m], np.minimum(m * pvals[:-m], cim))
    a[a > 1] = 1
    out = np.empty_like(a)
    out[sortind] = a
    return out


def check_correction(correction):
    """Raise :class:`InputError` unless ``correction`` is one of :data:`CORRECTIONS`."""
    if correction not in CORRECTIONS:
        raise InputError(f"unknown correction; use one of {', '.join(CORRECTIONS)}",
                         parameter="correction", value=correction)


_CUMULATIVE_COLUMNS = ("lhs", "op", "rhs", "group", "X2", "df", "p_value")


class ScoreTestResult(Result):
    """Result of :func:`score_tests`.

    Attributes
    ----------
    total : dict
        ``{"X2", "df", "p_value"}`` of releasing every constraint tested.
    univariate : pandas.DataFrame
        One row per constraint: ``lhs, op, rhs`` (the parameter constrained), ``group``
        (the group whose parameter is set equal to group ``group_ref``'s), ``group_ref``,
        ``type`` (``loadings``, ``intercepts``...), ``X2, df, p_value`` and ``p_adjusted``
        (``correction`` over the constraints tested), ``flagged`` (``p_adjusted < alpha``).
    cumulative : pandas.DataFrame
        ``lhs, op, rhs, group, X2, df, p_value``: releasing the constraints of this and the
        previous rows (decreasing univariate X2).
    n : int
        Firms (cases) in the fit.
    records : list of dict
        The rows of ``univariate`` as built (plain Python values).
    """

    title = "Score tests of equality constraints"

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __getattr__(self, name):
        # without the cumulative tests (power replications) the tables are built when first read
        if name in ("univariate", "cumulative") and "records" in self.__dict__:
            self.__dict__.setdefault("univariate", pd.DataFrame(self.__dict__["records"]))
            self.__dict__.setdefault("cumulative", pd.DataFrame(columns=list(_CUMULATIVE_COLUMNS)))
            return self.__dict__[name]
        raise AttributeError(name)

    def to_frame(self):
        return self.univariate

    def to_dict(self):
        return jsonsafe({"total": self.total, "univariate": self.univariate,
                         "cumulative": self.cumulative, "correction": self.correction,
                         "alpha": self.alpha, "n": self.n, "n_total": self.n,
                         "information": "expected", "warnings": self.warnings})

    def summary(self):
        with pd.option_context("display.width", 160, "display.float_format", "{:.4g}".format):
            return "\n".join([
                f"{self.title} ({self.n} cases; expected information)",
                f"total: X2 = {self.total['X2']:.3f}, df = {self.total['df']}, p = {self.total['p_value']:.4g}",
                f"univariate (correction: {self.correction}, alpha {self.alpha:g}):",
                self.univariate.to_string(index=False), "cumulative:",
                self.cumulative.to_string(index=False)])


def _row_copy(row):
    """A shallow copy of a table row (``copy.copy`` without its generic protocol: the same object
    state, at a tenth of the cost; a score test copies every row)."""
    new = object.__new__(type(row))
    new.__dict__.update(row.__dict__)
    return new


def unconstrained(pt):
    """``(aug, expand, pairs)``: a copy of the parameter table where every free row of an
    equality class has its own parameter; ``expand`` maps the constrained theta to the
    unconstrained one (``theta_u = theta[expand]``) and ``pairs`` lists the constraints as
    ``(row_ref, row, k_ref, k)`` (table rows and their unconstrained parameter indices)."""
    aug = copy.copy(pt)
    aug.rows = [_row_copy(r) for r in pt.rows]
    first: dict[int, tuple] = {}
    expand, pairs = [], []
    k = 0
    for orig, r in zip(pt.rows, aug.rows):
        if orig.par < 0:
            continue
        if orig.par in first:
            ref_row, ref_k = first[orig.par]
            pairs.append((ref_row, orig, ref_k, k))
        else:
            first[orig.par] = (orig, k)
        r.par = k
        expand.append(orig.par)
        k += 1
    aug.npar = k
    return aug, np.asarray(expand, dtype=int), pairs


def _release_stat(info, R, keep, score, N):
    """``N s' J1 s`` with the constraints ``keep`` (row indices of ``R``) kept."""
    q = info.shape[0]
    R1 = R[keep]
    m = R1.shape[0]
    Z = np.zeros((q + m, q + m))
    Z[:q, :q] = info
    Z[q:, :q] = R1
    Z[:q, q:] = R1.T
    J1 = np.linalg.pinv(Z)[:q, :q]
    return float(N * score @ J1 @ score)


def univariate_downdate(info, R, score, N, m):
    """Univariate score statistics of the constraints ``R[:m]`` (the other rows kept) from one
    inverse of the bordered matrix ``Z = [[I, R'], [R, 0]]`` of *every* constraint (``I`` itself
    may be singular: the unconstrained model need not be identified): with ``M = Z^-1``,
    releasing constraint ``i`` removes row and column ``k = q + i`` of ``Z``, whose inverse is the
    rank-one downdate ``M - M[:, k] M[k, :] / M[k, k]``, so that
    ``N s' J1 s = N (s' M_qq s - (s' M_qk)^2 / M_kk)``.  The same numbers as the pseudo-inverse
    per constraint of :func:`score_tests` when ``Z`` and every ``Z`` without one constraint are
    nonsingular; None otherwise (the caller then uses the pseudo-inverse).

    >>> import numpy as np
    >>> info, R = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, -1.0]])
    >>> s = np.array([0.1, -0.1])
    >>> x2 = univariate_downdate(info, R, s, 100, 1)
    >>> bool(np.isclose(x2[0], 100 * s @ np.linalg.inv(info) @ s))    # every constraint released
    True
    """
    q, K = info.shape[0], R.shape[0]
    Z = np.zeros((q + K, q + K))
    Z[:q, :q] = info
    Z[q:, :q] = R
    Z[:q, q:] = R.T
    try:
        M = np.linalg.inv(Z)
    except np.linalg.LinAlgError:
        return None
    if not np.abs(Z @ M - np.eye(q + K)).max() <= 1e-8:     # np.allclose(rtol=0, atol=1e-8), NaN too
        return None
    Mk = M[:q, q:q + m]
    d = np.diag(M)[q:q + m]
    if np.any(np.abs(d) <= 1e-10 * np.abs(M).max()):
        return None
    t = score @ Mk
    out = N * (float(score @ M[:q, :q] @ score) - t ** 2 / d)
    return out if np.all(np.isfinite(out)) else None


def _p_values(uni, correction):
    """``(p-values, corrected p-values)`` of the univariate statistics ``uni`` (1 df)."""
    p_uni = chi2_sf(uni, 1)
    return p_uni, p_adjust([float(p) for p in p_uni], correction)


def _decisive(uni, correction, alpha, rel=1e-6):
    """``(uni, p-values, corrected p-values)`` unless a decision on ``uni`` is within rounding: a
    corrected p-value within ``rel`` of ``alpha``, or two statistics within ``rel`` of each other
    (their order picks the constraint freed first); None then (and when ``uni`` is None)."""
    if uni is None:
        return None
    p_uni, p_adj = _p_values(uni, correction)
    if np.any(np.abs(np.asarray(p_adj) - alpha) <= rel * alpha):
        return None
    srt = np.sort(uni)
    if np.any(np.diff(srt) <= rel * np.maximum(np.abs(srt[1:]), 1e-300)):
        return None
    return uni, p_uni, p_adj


def _eq_type(row, lv):
    return _peq_type(row, set(lv))


def _unconstrained_engine(res, pt):
    """``(engine of the unconstrained model, expand, pairs)`` (:func:`unconstrained`); a lean fit's
    (:attr:`FIMLEngine.padded`) with the structure kept per process
    (:func:`rsnprop.sem.lean_cache.lean_unconstrained`) and the fit's patterns and last moments."""
    if isinstance(res._engine, FIMLEngine) and res._engine.padded:
        npar, expand, pairs, groups = lean_unconstrained(pt, res._engine.data, unconstrained)
        eng = FIMLEngine(groups, res._engine.pats, npar, res._engine.ns)
        eng.padded = True                        # a lean fit's batches (equal to rounding): the same
        eng.share_batches(res._engine.__dict__.setdefault("_batch_cache", {}))   # patterns, last moments
        return eng, expand, pairs
    aug, expand, pairs = unconstrained(pt)
    eng = build_engine(aug, res._engine.data)
    if isinstance(res._engine, FIMLEngine):
        eng = FIMLEngine(eng.groups, res._engine.pats, aug.npar, res._engine.ns)
    return eng, expand, pairs


def score_tests(res, *, types=None, correction="holm", alpha=0.05, cumulative=True):
    """Score tests of the equality constraints of a fitted model (see module docstring).

    Parameters
    ----------
    res : SEMResult
        An ML fit (complete data or FIML) with equality constraints.
    types : sequence of str, optional
        Only the constraints on these parameter types (``"loadings"``, ``"intercepts"``,
        ...; :data:`rsnprop.sem.partable.GROUP_EQUAL_TYPES`) are *tested*; the others stay in
        the model.  Default: every equality constraint (as ``lavTestScore``).
    correction : str
        Multiple-testing correction of the univariate p-values (``p.adjust`` names:
        ``holm``, ``bonferroni``, ``fdr_bh``, ..., ``none``).
    alpha : float
        Level at which a corrected p-value flags a constraint.
    cumulative : bool
        ``False``: the univariate tests only (what a decision on each constraint needs): the
        total and cumulative tests are left out (``total`` has ``X2`` and ``p_value`` NaN,
        ``cumulative`` no rows), and the univariate statistics come from one factorisation of
        the information matrix (rank-one downdates, :func:`univariate_downdate`) instead of a
        pseudo-inverse per constraint: the same statistics to rounding (about 1e-10 relative),
        with the pseudo-inverse used again when the information matrix is not positive definite
        or a decision is within rounding (a corrected p-value within 1e-6 of ``alpha``, two
        statistics within 1e-6 of each other), so that the flags and their order are those of
        the full computation.

    Returns
    -------
    ScoreTestResult

    Raises
    ------
    InputError
        When the model has no equality constraint to test, or was not fitted by ML.
    """

    check_correction(correction)
    if getattr(res, "_wls", None) is not None or res.theta is None:
        raise InputError("score tests need an ML fit (not WLSMV)", parameter="estimator", value=res.estimator)
    pt = res.partable
    eng, expand, all_pairs = _unconstrained_engine(res, pt)
    pairs = all_pairs
    if types is not None:
        lvset = set(pt.lv)
        pairs = [p for p in pairs if _peq_type(p[1], lvset) in set(types)]
    if not pairs:
        raise InputError("the model has no equality constraint to test", parameter="types",
                         value=None if types is None else ",".join(types))
    # constraints not tested stay imposed (rows of R that are always kept)
    tested = {(id(a), id(b)) for a, b, _, _ in pairs}
    fixed = [p for p in all_pairs if (id(p[0]), id(p[1])) not in tested]
    cons = list(pairs) + fixed
    R = np.zeros((len(cons), eng.q))
    for i, (_, _, ka, kb) in enumerate(cons):
        R[i, ka], R[i, kb] = 1.0, -1.0
    _, grad, hess = eng.grad_info(res.theta[expand])
    score, info = -0.5 * grad, 0.5 * hess
    N = res._engine.ntotal
    m = len(pairs)
    always = list(range(m, len(cons)))
    total = _release_stat(info, R, always, score, N) if cumulative else float("nan")
    decided = None if cumulative else _decisive(univariate_downdate(info, R, score, N, m), correction, alpha)
    if decided is None:
        uni = np.array([_release_stat(info, R, [j for j in range(len(cons)) if j != i], score, N)
                        for i in range(m)])
        p_uni, p_adj = _p_values(uni, correction)
    else:
        uni, p_uni, p_adj = decided          # the p-values of the downdate's statistics, computed once
    order = np.argsort(-uni, kind="stable")
    # the first cumulative test releases the largest univariate one, the last one releases all
    # (the total test): the same statistics, not computed again
    cum = np.array([uni[order[0]] if r == 0 else total if r == m - 1 else
                    _release_stat(info, R, [j for j in range(len(cons)) if j not in set(order[:r + 1])],
                                  score, N) for r in range(m if cumulative else 0)])
    rows = []
    for i, (ref, row, _, _) in enumerate(pairs):
        rows.append({"lhs": row.lhs, "op": row.op, "rhs": row.rhs if row.op != "~1" else "",
                     "group": row.group, "group_ref": ref.group, "type": _eq_type(row, pt.lv),
                     "X2": float(uni[i]), "df": 1, "p_value": float(p_uni[i]),
                     "p_adjusted": p_adj[i], "flagged": bool(p_adj[i] < alpha)})
    tables = {}
    if cumulative:
        univariate = tables["univariate"] = pd.DataFrame(rows)
        cum_tab = univariate.loc[order[:len(cum)], ["lhs", "op", "rhs", "group"]].reset_index(drop=True)
        cum_tab["X2"] = cum
        cum_tab["df"] = np.arange(1, len(cum) + 1)
        cum_tab["p_value"] = chi2_sf(cum, cum_tab["df"])
        tables["cumulative"] = cum_tab
    # without the cumulative tests the tables are built when first read (ScoreTestResult)
    return ScoreTestResult(total={"X2": total, "df": m, "p_value": float(chi2_sf(total, m))},
                           **tables, correction=correction,
                           alpha=alpha, n=int(N), warnings=list(getattr(res, "warnings", []) or []),
                           records=rows)
