"""SEM engine: lavaan syntax, ML/MLR/FIML/WLSMV estimation, multigroup invariance, bootstrap.

Every number is checked against lavaan 0.6.14 (R scripts and their outputs in
``tests/reference/sem_*.R|json``); no R is needed at run time.

Public API
----------
``fit(model, data, *, group=None, group_equal=(), group_partial=(), estimator="ML",
missing="listwise", ordered=None, std_lv=False, meanstructure=None, bootstrap=0,
bootstrap_type="nonparametric", seed=None, n_jobs=None, progress=False, level=0.95)``
    -> :class:`~rsnprop.sem.results.SEMResult` (``converged, n, n_per_group, groups, fit,
    estimates, r2, warnings, theta, vcov``; ``to_dict(), to_frame(), summary(), to_html(),
    to_lavaan(), modindices(), residuals(), parameter()``; ``bootstrap`` after a bootstrap).
``invariance(model, data, group, *, levels=("configural", "metric", "scalar", "strict"),
partial_search=False, estimator="ML", missing="listwise", ordered=None, std_lv=False,
rule="chen2007", alpha=0.05, max_free=None)``
    -> :class:`~rsnprop.sem.invariance_steps.InvarianceResult` (``steps, level, latent_means,
    latent_mean_differences, fits``; ``to_dict()``: schema ``rsnprop.invariance/1``, docs/schemas.md).

What lavaan call each option corresponds to
-------------------------------------------
* ``estimator="ML"``: ``sem()/cfa()`` defaults (N in the covariance, expected information).
* ``estimator="MLR"``: observed-information sandwich SEs, Yuan-Bentler (Mplus) scaled test,
  ``cfi/tli/rmsea_scaled`` and ``_robust``.
* ``missing="fiml"``: ``missing = "ml"`` (observed information; FIML-corrected robust indices).
* ``ordered=[...]``: ``ordered = ..., estimator = "WLSMV"`` (delta parametrisation, or
  ``parameterization="theta"``; multigroup with ``group_equal=["loadings", "thresholds"]``,
  and ``"residuals"`` with theta; ``ordered`` may name only some variables: the others are
  continuous, as lavaan's ``ordered = c(...)``).
* ``group_equal`` / ``group_partial``: ``group.equal`` / ``group.partial``.
* ``invariance``: the sequence of ``cfa(..., group.equal = ...)`` fits and ``lavTestLRT``
  (Satorra-Bentler 2001 for MLR, Satorra 2000 scaled-shifted for WLSMV).
* ``invariance(..., repeated=["F1", "F2"])``: longitudinal invariance, each step the labelled
  single-group syntax of :mod:`rsnprop.sem.longitudinal` (``cfa(syntax, data)``; docs/sem.md).
* ``fit(model, sample_cov=S, sample_nobs=N, sample_mean=m)``: ``sem(model, sample.cov = S,
  sample.nobs = N, sample.mean = m)`` (:mod:`rsnprop.sem.moments`; ML only).
* ``bootstrap``: ``se = "bootstrap"`` / ``bootstrapLavaan`` (percentile, ``bca.simple`` = "bc",
  and BCa with jackknife acceleration; also for WLSMV and FIML fits, BCa there without
  acceleration); ``bootstrap_type="bollen.stine"`` (with FIML: the Savalei & Yuan 2009
  transformation of ``semTools::bsBootMiss(transformation = 2)``; lavaan refuses it).
* ``res.modindices()``: ``modindices(fit)`` (ML, MLR, FIML and WLSMV fits).

Not implemented (explicit errors, never silent): Bollen-Stine with WLSMV; mixed ordinal and
continuous variables with observed exogenous covariates (lavaan's ``conditional.x``);
inequality constraints.
semopy is not used: its gaps (no joint multigroup likelihood, no scaled tests, no SRMR/RMSEA CI)
made a single engine simpler than two answers.

>>> from rsnprop.sem import fit
>>> from rsnprop.datasets import holzinger_swineford
>>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
...           holzinger_swineford())
>>> round(res.fit["rmsea"], 3)
0.092
"""

from __future__ import annotations

from .api import fit
from .group_invariance import invariance
from .invariance_steps import InvarianceResult
from .results import SEMResult

__all__ = ["fit", "invariance", "SEMResult", "InvarianceResult"]
