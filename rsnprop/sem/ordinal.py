"""Ordinal indicators: DWLS estimation on polychoric correlations with WLSMV inference
(lavaan ``cfa(..., ordered = ..., estimator = "WLSMV")``, delta parametrisation), single and
multigroup (``group_equal`` ``"loadings"``, ``"thresholds"``; with equal thresholds the latent
means and the scaling factors ``~*~`` are free in groups 2..G, as lavaan).  Theta parametrisation
(lavaan ``parameterization = "theta"``): the residual variances of the latent responses are
parameters (1 in group 1 and, unless thresholds are equal, in every group; ``group_equal``
``"residuals"`` keeps them 1 everywhere: strict invariance) and the scaling factors are
``Delta = 1 / sqrt(diag(Sigma))`` (reported as the fixed ``~*~`` rows).

Sample statistics ``s = (thresholds, polychoric correlations)`` and ``Gamma = NACOV`` come from
:mod:`rsnprop.sem.polychoric`.  Continuous observed variables may be mixed in (as lavaan's
``ordered = c(...)`` naming only some variables): ``s`` then holds minus their means among
the thresholds, their variances, and covariances (Pearson, polyserial times the standard
deviation) instead of correlations; their intercepts and residual variances are parameters and
their scaling factors are 1.  With several groups, statistics and NACOV are per group; equal
thresholds (``group_equal`` ``"thresholds"`` or ``"intercepts"``) also equate the continuous
intercepts, ``"residuals"`` (theta) their residual variances.  The model implies ``tau`` (free
thresholds) and the off-diagonal elements of ``Lambda Psi Lambda' + Theta`` (latent-response
variances fixed at 1, so residual variances are ``1 - diag(Lambda Psi Lambda')``).  With
``W = diag(Gamma)^-1`` the estimates minimise ``F = (s - sigma(theta))' W (s - sigma(theta))``
(Gauss-Newton, :mod:`rsnprop.sem.dwls`); the inference (robust SEs, scaled-shifted test, fit
indices, difference tests) is :mod:`rsnprop.sem.wlsmv`.

:func:`estimate_ordinal` follows the estimator protocol of :mod:`rsnprop.sem.estimate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .assemble import assemble_result
from .data import prepare_data
from .dwls import NUMERIC, DWLSSample, WLSProblem, offdiag_index, scaling_factors, statistics_layout
from .engine import GroupData
from .estimate import Estimate, note_convergence
from .model import build_engine, start_values
from .partable import Row, assign_parameters, build_partable
from .polychoric import mixed_stats, ordinal_stats
from .wlsmv import robust_inference, satorra2000, wlsmv_fit_measures  # noqa: F401  (satorra2000: public here too)

__all__ = ["estimate_ordinal", "fit_ordinal", "satorra2000"]

_KNOWN_EQUAL = ("loadings", "thresholds", "intercepts", "lv.variances", "lv.covariances", "regressions", "means")


@dataclass
class _Spec:
    """The checked options of an ordinal model: the probe table (observed variables), the
    ordinal variables, which variables are continuous, and the parametrisation."""

    columns: list
    probe: object
    ordered: list
    numeric: np.ndarray
    theta_param: bool

    @property
    def mixed(self):
        return bool(self.numeric.any())


def fit_ordinal(model, data, *, ordered, group=None, group_equal=(), group_partial=(), std_lv=False,
                estimator="WLSMV", level=0.95, parameterization="delta", repeated=None):
    """:func:`estimate_ordinal`, assembled into an :class:`~rsnprop.sem.results.SEMResult` (for
    callers that fit ordinal models directly, e.g. :mod:`rsnprop.sem.longitudinal`)."""

    est = estimate_ordinal(model, data, ordered=ordered, group=group, group_equal=group_equal,
                           group_partial=group_partial, std_lv=std_lv, estimator=estimator,
                           parameterization=parameterization, repeated=repeated)
    return assemble_result(est, level=level, model=model)


def estimate_ordinal(model, data, *, ordered, group=None, group_equal=(), group_partial=(), std_lv=False,
                     estimator="WLSMV", parameterization="delta", repeated=None):
    """DWLS fit of ``model`` with the ordinal indicators ``ordered``: an :class:`Estimate`
    (``repeated``: the longitudinal ties of :func:`_repeated_ties`)."""

    spec = _checked_spec(model, data, ordered, group, group_equal, parameterization)
    arrays, labels, n_dropped = prepare_data(data, spec.probe.ov, group=group, ordered=spec.ordered)
    sample = _sample_statistics(arrays, spec)
    th_equal = len(labels) > 1 and ("thresholds" in group_equal or "intercepts" in group_equal)
    if th_equal:
        _check_equal_categories(sample.sts, spec.probe.ov)
    pt, resid_rows = _ordinal_partable(model, spec, sample.sts, group_equal, group_partial, std_lv, th_equal,
                                       repeated)
    gds = _group_data(sample, len(pt.ov))
    engine = build_engine(pt, gds)
    problem = WLSProblem(engine, *statistics_layout(pt), parameterization, spec.numeric if spec.mixed else None,
                         [[st.levels[j] for j in range(len(pt.ov))] for st in sample.sts],
                         [st.cor for st in sample.sts])
    theta = _start_values(pt, gds, problem, sample.sts, resid_rows, spec.theta_param)
    theta, F, converged, it = problem.estimate(sample.s, sample.w, sample.fg, theta)
    warn = []
    inf = robust_inference(problem, theta, sample, warn)
    fitm = wlsmv_fit_measures(problem, theta, sample, inf, estimator)
    _set_derived_values(pt, problem, theta, resid_rows, spec.theta_param)
    note_convergence(converged, warn)
    return Estimate(pt=pt, engine=engine, theta=theta, fmin=F / 2, converged=converged, iterations=it, gdata=gds,
                    labels=labels, estimator=estimator, vcov=inf.vcov, fit=fitm, warnings=warn, n_dropped=n_dropped,
                    data=arrays, attributes=_result_attributes(pt, problem, sample, inf, arrays, gds))


def _checked_spec(model, data, ordered, group, group_equal, parameterization):
    """Check the ordinal options against the data and the model (InputError when wrong)."""
    columns = [c for c in getattr(data, "columns", []) if c != group]
    if group is not None and group not in getattr(data, "columns", []):
        raise InputError("group column not found in the data", column=group, parameter="group")
    probe = build_partable(model, data_columns=columns, probe=True)
    if ordered is True:
        ordered = list(probe.ov)
    ordered = list(ordered or [])
    missing_cols = [c for c in ordered if c not in columns]
    if missing_cols:
        raise InputError("ordered variable is not a column of the data", column=missing_cols[0], parameter="ordered")
    not_in_model = [c for c in ordered if c not in probe.ov]
    if not_in_model:
        raise InputError("ordered variable is not in the model", column=not_in_model[0], parameter="ordered")
    numeric = np.array([v not in ordered for v in probe.ov], dtype=bool)
    if numeric.any() and probe.ov_x:
        raise InputError("observed exogenous covariates with ordinal indicators (lavaan's conditional.x) "
                         "are not implemented; regress the covariate on the factor instead (e.g. 'x ~ f')",
                         parameter="model", value=probe.ov_x[0])
    if parameterization not in ("delta", "theta"):
        raise InputError("parameterization must be 'delta' or 'theta'", parameter="parameterization",
                         value=parameterization)
    theta_param = parameterization == "theta"
    unsupported = [g for g in group_equal if g not in _KNOWN_EQUAL + (("residuals",) if theta_param else ())]
    if unsupported:
        hint = (" (equal residual variances need parameterization='theta')" if unsupported[0] == "residuals"
                else "")
        raise InputError(f"group_equal type not supported with ordinal indicators ({parameterization} "
                         f"parametrisation){hint}", parameter="group_equal", value=unsupported[0])
    return _Spec(columns=columns, probe=probe, ordered=ordered, numeric=numeric, theta_param=theta_param)


def _sample_statistics(arrays, spec):
    """Thresholds, polychoric (or mixed) statistics and their NACOV per group, after checking the
    category codes."""

    numeric, ov = spec.numeric, spec.probe.ov
    for x in arrays:
        bad = np.flatnonzero(np.any(np.abs(x - np.round(x)) > 0, axis=0) & ~numeric)
        if len(bad):
            raise InputError("ordered variables must hold integer category codes", parameter="ordered",
                             column=ov[bad[0]])
        for j, v in enumerate(ov):
            if len(np.unique(x[:, j])) < 2 and not numeric[j]:
                raise InputError("ordered variable has a single category" + (" in a group" if len(arrays) > 1 else ""),
                                 column=v, parameter="ordered")
    if spec.mixed:
        sts = [mixed_stats(x, ov, numeric) for x in arrays]
    else:
        sts = [ordinal_stats(x, ov) for x in arrays]
    p = len(ov)
    ri, ci = offdiag_index(p)
    s_list = [st.stats if spec.mixed else np.concatenate([st.th_flat, st.cor[ri, ci]]) for st in sts]
    # lavaan's NACOV carries a factor N / (N - 1) (checked against lavaan 0.6.14: chi-square,
    # scaled chi-square and SEs all agree only with it)
    gammas = [st.nacov * st.n / (st.n - 1) for st in sts]
    return DWLSSample(sts=sts, s=s_list, gamma=gammas, w=[1.0 / np.diag(Gm) for Gm in gammas],
                      ns=[st.n for st in sts], numeric=numeric, mixed=spec.mixed)


def _check_equal_categories(sts, ov):
    """Equal thresholds need the same observed categories in every group."""
    for j, v in enumerate(ov):
        if any(not np.array_equal(st.levels[j], sts[0].levels[j]) for st in sts[1:]):
            raise InputError("equal thresholds need the same observed categories in every group",
                             column=v, parameter="group_equal")


def _ordinal_partable(model, spec, sts, group_equal, group_partial, std_lv, th_equal, repeated):
    """The parameter table of the ordinal model: the user's rows (residual variances of the latent
    responses fixed), thresholds, scaling factors, intercepts and latent means per group, the
    longitudinal ties; ``(pt, residual-variance rows of the latent responses)``."""
    ordered, theta_param, mixed, G = spec.ordered, spec.theta_param, spec.mixed, len(sts)
    th_partial = {p_.replace(" ", "") for p_ in group_partial if "|" in p_}
    resid_partial = {p_.replace(" ", "") for p_ in group_partial if "|" not in p_ and "~~" in p_
                     and len(set(p_.replace(" ", "").split("~~"))) == 1} if theta_param else set()
    int_partial = {p_.replace(" ", "") for p_ in group_partial if p_.replace(" ", "").endswith("~1")
                   and p_.replace(" ", "")[:-2] in spec.probe.ov and p_.replace(" ", "")[:-2] not in ordered}
    other_partial = [p_ for p_ in group_partial if "|" not in p_ and p_.replace(" ", "") not in int_partial
                     and (p_.replace(" ", "") not in resid_partial or p_.replace(" ", "").split("~~")[0] not in ordered)]
    resid_equal = theta_param and "residuals" in group_equal
    # equal residual variances (theta): fixed at 1 for the latent responses (below), equal for the
    # continuous variables
    ge = [g for g in group_equal if g not in ("thresholds", "intercepts", "means", "residuals")
          or (g == "residuals" and mixed)]
    pt = build_partable(model, ngroups=G, std_lv=std_lv, meanstructure=False, group_equal=ge,
                        group_partial=other_partial, data_columns=spec.columns, ordered=ordered)
    resid_rows = [r for r in pt.rows if r.op == "~~" and r.lhs == r.rhs and r.lhs in ordered]
    for r in resid_rows:
        # delta: residual variances are 1/Delta^2 - explained variance (set after the fit);
        # theta: parameters, 1 in the first group and, unless thresholds are equal, in every group
        # (lavaan); equal residual variances are 1 in every group
        r.free, r.value, r.eq = False, (1.0 if theta_param else 0.0), ""
        if theta_param and r.group > 1 and th_equal and (not resid_equal or f"{r.lhs}~~{r.lhs}" in resid_partial):
            r.free = True
    pt.rows = pt.rows + _measurement_rows(pt, sts, ordered, th_equal, th_partial, int_partial,
                                          free_means=th_equal and "means" not in group_equal,
                                          theta_param=theta_param)
    if repeated is not None:
        _repeated_ties(pt.rows, repeated, theta_param)
    pt.npar = assign_parameters(pt.rows)
    return pt, resid_rows


def _measurement_rows(pt, sts, ordered, th_equal, th_partial, int_partial, *, free_means, theta_param):
    """Per group: thresholds ``|``, scaling factors ``~*~``, intercepts of the observed variables
    and latent means, with lavaan's defaults for what is free and equal."""
    extra = []
    for g in range(1, len(sts) + 1):
        st = sts[g - 1]
        for j, v in enumerate(pt.ov):
            for m in range(len(st.th[j])):  # none for a continuous variable
                name = f"t{m + 1}"
                eq = f".eq.{v}|{name}" if th_equal and f"{v}|{name}" not in th_partial else ""
                extra.append(Row(v, "|", name, group=g, free=True, user=0, eq=eq))
        extra += [Row(v, "~*~", v, group=g, free=(g > 1 and th_equal and not theta_param), value=1.0, user=0)
                  for v in pt.ov if v in ordered]
        # intercepts: 0 for the latent responses, free for continuous variables (lavaan); equal
        # thresholds make the continuous intercepts equal too (lavaan 0.6-14: "thresholds" or
        # "intercepts" in group.equal each equate both)
        extra += [Row(v, "~1", "", group=g, free=v not in ordered, value=0.0 if v in ordered else None, user=0,
                      eq=f".eq.{v}~1" if th_equal and v not in ordered and f"{v}~1" not in int_partial else "")
                  for v in pt.ov]
        extra += [Row(f, "~1", "", group=g, free=(g > 1 and free_means), value=0.0, user=0) for f in pt.lv]
    return extra


def _repeated_ties(rows, repeated, theta_param):
    """Longitudinal invariance of ordinal items (one group; :mod:`rsnprop.sem.longitudinal`).

    ``repeated = {"factors": [F1, F2, ...], "waves": [[items of F1], ...], "step": 0..3, "freed":
    [...]}``.  From the scalar step (2) on, the thresholds of matched items are equal (except
    ``"item|tk"`` in ``freed``, named by the first wave's item) and, as lavaan frees them in groups
    2..G, the later waves' latent means and scaling factors (delta) or residual variances (theta)
    are free; the strict step (3, theta) fixes those residual variances at 1 (except
    ``"item~~item"`` in ``freed``)."""
    waves, factors, step = repeated["waves"], repeated["factors"], repeated["step"]
    freed = set(repeated.get("freed", ()))
    later = {v: first for w in waves[1:] for first, v in zip(waves[0], w)}
    if step < 2:
        return
    ths = {}
    for r in rows:
        if r.op == "|":
            ths.setdefault(r.lhs, []).append(r)
    for j, first in enumerate(waves[0]):
        for w in waves[1:]:
            if len(ths.get(w[j], [])) != len(ths.get(first, [])):
                raise InputError(f"equal thresholds need the same observed categories at every wave: {first} has "
                                 f"{len(ths.get(first, [])) + 1}, {w[j]} has {len(ths.get(w[j], [])) + 1}",
                                 column=w[j], parameter="repeated")
        for m, r0 in enumerate(ths.get(first, [])):
            if f"{first}|{r0.rhs}" in freed:
                continue
            for w in waves:
                ths[w[j]][m].eq = f".long.{first}|{r0.rhs}"
    for r in rows:
        if r.op == "~1" and r.lhs in factors[1:]:
            r.free = True
        elif r.lhs in later and r.lhs == r.rhs and r.op == ("~~" if theta_param else "~*~"):
            strict = step >= 3 and f"{later[r.lhs]}~~{later[r.lhs]}" not in freed
            r.free, r.value = not strict, 1.0


def _group_data(sample, p):
    """The 'sample moments' of the engine: polychoric correlations (mixed: covariances and the
    continuous variables' means)."""
    if sample.mixed:
        return [GroupData(n=st.n, cov=st.cov, mean=np.where(sample.numeric, st.mean, 0.0),
                          logdet_cov=float(np.linalg.slogdet(st.cov)[1])) for st in sample.sts]
    return [GroupData(n=st.n, cov=st.cor, mean=np.zeros(p), logdet_cov=float(np.linalg.slogdet(st.cor)[1]))
            for st in sample.sts]


def _start_values(pt, gds, problem, sts, resid_rows, theta_param):
    """The usual start values, with the sample thresholds and unit scaling factors (theta
    parametrisation: unit residual variances, thresholds on the scale of the implied variances)."""

    th_par, th_item, dl_par = problem.th_par, problem.th_item, problem.dl_par
    theta = start_values(pt, gds)
    th_free = [tp != NUMERIC for tp in th_par]
    for g in range(len(sts)):
        theta[th_par[g][th_free[g]]] = sts[g].th_flat
    theta[np.concatenate(dl_par)[np.concatenate(dl_par) >= 0]] = 1.0
    if theta_param:
        for r in resid_rows:
            if r.par >= 0:
                theta[r.par] = 1.0
        for g in range(len(sts)):
            sigma0, _ = problem.engine.groups[g].implied(theta)
            theta[th_par[g][th_free[g]]] = sts[g].th_flat * np.sqrt(np.diag(sigma0))[th_item[g][th_free[g]]]
    return theta


def _set_derived_values(pt, problem, theta, resid_rows, theta_param):
    """Values of the fixed rows that follow from the estimates.  Delta parametrisation: residual
    variances of the latent responses ``1 / delta^2 - explained variance`` (also in the engine);
    theta parametrisation: the scaling factors ``1 / sd(y*)`` (the fixed ``~*~`` rows)."""
    pos = {v: i for i, v in enumerate(pt.ov)}
    dl_par = problem.dl_par
    for g, gm in enumerate(problem.engine.groups):
        sigma_hat, _ = gm.implied(theta)
        if theta_param:
            delta, _ = scaling_factors(sigma_hat, None, theta, dl_par[g], problem.parameterization)
            for rr in pt.rows:
                if rr.group == g + 1 and rr.op == "~*~":
                    rr.value = float(delta[pos[rr.lhs]])
            continue
        delta = np.where(dl_par[g] >= 0, theta[np.maximum(dl_par[g], 0)], 1.0)
        for rr in resid_rows:
            if rr.group != g + 1:
                continue
            j = pos[rr.lhs]
            rr.value = float(1.0 / delta[j] ** 2 - sigma_hat[j, j])
            gm.S0[j, j] = rr.value


def _result_attributes(pt, problem, sample, inf, arrays, gds):
    """What an ordinal result carries besides the common attributes: thresholds and categories,
    polychoric correlations and, in ``_wls``, what the difference tests, the modification indices
    and the bootstrap need."""
    sts = sample.sts
    return {
        "ordinal": {"thresholds": {v: sts[0].th[j].tolist() for j, v in enumerate(pt.ov)},
                    "levels": {v: sts[0].levels[j].tolist() for j, v in enumerate(pt.ov)},
                    "thresholds_by_group": [{v: st.th[j].tolist() for j, v in enumerate(pt.ov)} for st in sts]},
        "polychoric": sts[0].cor if len(sts) == 1 else [st.cor for st in sts],
        "_wls": {"problem": problem, "arrays": arrays, "J": inf.J, "w": sample.w, "gamma": sample.gamma,
                 "fg": sample.fg, "info": inf.E, "w_inf": inf.w_inf, "gamma_inf": inf.gamma_inf, "s": sample.s,
                 "ns": sample.ns, "gds": gds, "parameterization": problem.parameterization},
    }
