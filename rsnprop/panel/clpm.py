"""Two-wave cross-lagged panel model (C3) of the internationalisation approach and the relational
lean, observed or latent, fitted by full-information ML.

Observed version (``D = relational - informational`` scale scores, ``X`` = approach score)::

    X_t2 ~ X_t1 + D_t1          # reverse path: D_t1 -> X_t2
    D_t2 ~ D_t1 + X_t1          # forward path: X_t1 -> D_t2
    X_t1 ~~ D_t1
    X_t2 ~~ D_t2

Latent version: the relational and informational factors at both waves (loadings and
intercepts equal across waves, matched residuals correlated: the scalar model of
:func:`rsnprop.panel.latent.benefit_syntax`), the approach observed::

    REL_t2 ~ REL_t1 + INF_t1 + X_t1
    INF_t2 ~ INF_t1 + REL_t1 + X_t1
    X_t2 ~ X_t1 + REL_t1 + INF_t1
    forward := b(X_t1 -> REL_t2) - b(X_t1 -> INF_t2)    # effect of X on the lean
    reverse := (b(REL_t1 -> X_t2) - b(INF_t1 -> X_t2)) / 2   # effect of D, REL + INF fixed

The wave-1 variables covary, as do the wave-2 residuals. The forward effect is tested one-sided
(greater: a higher wave-1 approach score predicts a more relational wave-2 lean). Its row has
role ``"sem"`` (observed) or ``"latent"``. The reverse effect is two-sided, role
``"reverse"``. Both are z tests with Wald 95 % intervals (two-sided). The latent version is
``not_available`` when the longitudinal invariance gate fails.

Same numbers in R: ``lavaan::sem(syntax, wide, missing = "ml", fixed.x = FALSE)`` with
``syntax`` from :func:`clpm_syntax` (``tests/reference/panel_latent.R``).
"""

from __future__ import annotations

from .latent import (
    benefit_syntax,
    blank_row,
    checked_options,
    factor_names,
    fit_checked,
    fit_summary,
    gate_for,
    gate_freed,
    paths_table,
    plain,
    row_test_name,
    two_constructs,
    wave_pair,
    wide_items,
    z_row,
)
from .link import PanelLink
from ..errors import InputError
from ..results import jsonsafe

__all__ = ["clpm_syntax", "cross_lagged"]


def clpm_syntax(approach: str, *, version: str = "observed", items: dict | None = None, freed=None) -> str:
    """lavaan syntax of the cross-lagged panel model (module docstring).

    ``approach``: the approach column (the model uses ``<approach>_t1`` and ``_t2``); observed:
    the lean is ``lean_t1``, ``lean_t2``; latent: ``items`` ``{"relational": [...],
    "informational": [...]}`` (item columns ``<item>_t1``, ``_t2``), ``freed`` a partial
    solution's freed constraints by construct.

    Examples
    --------
    >>> print(clpm_syntax("x"))
    x_t2 ~ b_xx*x_t1 + rev*lean_t1
    lean_t2 ~ b_dd*lean_t1 + fwd*x_t1
    x_t1 ~~ lean_t1
    x_t2 ~~ lean_t2
    """
    x1, x2 = f"{approach}_t1", f"{approach}_t2"
    if version == "observed":
        return "\n".join([f"{x2} ~ b_xx*{x1} + rev*lean_t1", f"lean_t2 ~ b_dd*lean_t1 + fwd*{x1}",
                          f"{x1} ~~ lean_t1", f"{x2} ~~ lean_t2"])
    if version != "latent":
        raise InputError("version must be 'observed' or 'latent'", parameter="version", value=version)
    r1, r2 = factor_names("relational")
    i1, i2 = factor_names("informational")
    return "\n".join([
        benefit_syntax(two_constructs(items), "scalar", freed),
        f"{r2} ~ b_rr*{r1} + b_ri*{i1} + fwd_rel*{x1}",
        f"{i2} ~ b_ii*{i1} + b_ir*{r1} + fwd_inf*{x1}",
        f"{x2} ~ b_xx*{x1} + rev_rel*{r1} + rev_inf*{i1}",
        f"{x1} ~~ {r1} + {i1}", f"{r1} ~~ {i1}", f"{r2} ~~ {i2} + {x2}", f"{i2} ~~ {x2}",
        "forward := fwd_rel - fwd_inf", "reverse := (rev_rel - rev_inf)/2"])


def _data(panel, approach, version, lean, items, later):
    """The wide data of the model: approach at both waves, and the lean (observed) or the
    benefit items (latent)."""
    if version == "observed":
        if not lean or len(lean) != 2:
            raise InputError("the observed version needs lean=(relational score, informational score)",
                             parameter="lean", value=lean)
        rel, inf = lean
        wide = wide_items(panel, [approach, rel, inf], later)
        for t in ("t1", "t2"):
            wide[f"lean_{t}"] = wide[f"{rel}_{t}"] - wide[f"{inf}_{t}"]
        return wide[[f"{approach}_t1", f"{approach}_t2", "lean_t1", "lean_t2"]]
    if version != "latent":
        raise InputError("version must be 'observed' or 'latent'", parameter="version", value=version)
    if items is None:
        raise InputError("the latent version needs items={'relational': [...], 'informational': [...]}",
                         parameter="items")
    items = two_constructs(items)
    return wide_items(panel, [approach] + [i for its in items.values() for i in its], later)


def cross_lagged(panel: PanelLink, approach: str, *, version: str = "observed", lean=None,
                 items: dict | None = None, gate: dict | None = None, hypothesis: str = "C3",
                 required: str = "scalar", missing: str = "fiml", estimator: str = "ML", later=None) -> dict:
    """The two-wave cross-lagged panel model of the approach and the relational lean.

    Parameters
    ----------
    panel : PanelLink
    approach : str
        Internationalisation approach score column (e.g. ``score_intl_approach``).
    version : {"observed", "latent"}
    lean : (str, str)
        Observed version: the relational and informational score columns; ``D`` is their
        difference at each wave.
    items : dict
        Latent version: ``{"relational": [items], "informational": [items]}``.
    gate : dict, optional
        Latent version: :func:`rsnprop.panel.latent.longitudinal_benefit_invariance` of the same
        panel (computed when not given); when it fails, the rows are ``not_available``.
    hypothesis : str
        Label of the rows.
    required, missing, estimator, later
        As in :func:`rsnprop.panel.latent.longitudinal_benefit_invariance`.

    Returns
    -------
    dict
        ``version``, ``status`` ("ok", "not_available", "failed"), ``rows`` (forward row: role
        "sem" for the observed version, "latent" for the latent one, one-sided greater; reverse
        row: role "reverse", two-sided; evidence-row keys as
        :func:`rsnprop.panel.latent.latent_change_rows`), ``paths`` (lavaan long table: ``lhs,
        op, rhs, label, est, se, z, pvalue, ci_lower, ci_upper, std_all``), ``fit`` (``chi2, df,
        pvalue, cfi, tli, rmsea, srmr``), ``syntax``, ``n`` (firms used), ``n_total`` (first-wave
        firms given), ``gate`` (None for the observed version), ``warnings``, ``flags``
        (``estimated, converged, heywood``; empty when no model was fitted).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> rng = np.random.default_rng(3)
    >>> w1 = pd.DataFrame({"id": range(80), "x": rng.normal(0, 1, 80), "r": rng.normal(4, 1, 80),
    ...                    "i": rng.normal(4, 1, 80)})
    >>> w2 = w1.assign(r=w1.r + .5 * w1.x + rng.normal(0, .5, 80), x=w1.x + rng.normal(0, .5, 80))
    >>> res = cross_lagged(link_waves({"1": w1, "2": w2}, "id", salt="s"), "x", lean=("r", "i"))
    >>> [(r["role"], r["p_sided"]) for r in res["rows"]], res["fit"]["df"]
    ([('sem', 'one-sided'), ('reverse', 'two-sided')], 0)

    In R: ``lavaan::sem(clpm_syntax("x"), wide, missing = "ml", fixed.x = FALSE)``.
    """
    checked_options(missing, estimator)
    first, later = wave_pair(panel, later)
    wide = _data(panel, approach, version, lean, items, later)
    latent = version == "latent"
    fwd_test = row_test_name("cross-lagged panel model, " + ("latent" if latent else "observed scores"), missing,
                          estimator)
    x1 = f"{approach}_t1"
    base = dict(hypothesis=hypothesis, version=version, n_total=int(len(wide)))
    q_fwd = (f"wave-{first} approach ({approach}) -> wave-{later} relational lean, beyond the wave-{first} "
             "lean" + (": b(X->REL) - b(X->INF)" if latent else ""))
    q_rev = (f"wave-{first} relational lean -> wave-{later} approach ({approach}), beyond the wave-{first} "
             "approach" + (": (b(REL->X) - b(INF->X)) / 2" if latent else ""))
    fwd = dict(base, role="latent" if latent else "sem", question=q_fwd)
    rev = dict(base, role="reverse", question=q_rev)
    out = {"version": version, "status": "ok", "rows": [], "paths": [], "fit": {}, "syntax": "", "n": None,
           "n_total": int(len(wide)), "gate": None, "warnings": [], "flags": {}}
    freed = None
    if latent:
        out["gate"] = gate = gate_for(panel, items, gate, required=required, missing=missing,
                                      estimator=estimator, later=later)
        if not gate.get("latent_allowed"):
            note = gate.get("note", "invariance gate failed")
            out.update(status="not_available", rows=[blank_row(fwd_test, "not_available", note, **fwd),
                                                     blank_row(fwd_test, "not_available", note, **rev)])
            return plain(out)
        freed = gate_freed(gate)
    out["syntax"] = clpm_syntax(approach, version=version, items=items, freed=freed)
    res, out["warnings"], fail, out["flags"] = fit_checked(out["syntax"], wide, missing=missing, estimator=estimator)
    if res is not None:
        out.update(paths=paths_table(res), fit=fit_summary(res), n=int(res.n))
    if res is None or fail:
        out.update(status="failed", rows=[blank_row(fwd_test, "failed", fail, **fwd),
                                          blank_row(fwd_test, "failed", fail, **rev)])
        return plain(out)
    if latent:
        rows = [z_row(res, "forward", test=fwd_test, **fwd),
                z_row(res, "reverse", sided="two-sided", test=fwd_test, **rev)]
    else:
        rows = [z_row(res, "lean_t2", "~", x1, test=fwd_test, **fwd),
                z_row(res, f"{approach}_t2", "~", "lean_t1", sided="two-sided", test=fwd_test, **rev)]
    for r in rows:
        r["note"] = (f"{out['n']} of {len(wide)} first-wave firms (FIML)" if missing == "fiml"
                     else f"{out['n']} of {len(wide)} first-wave firms")
        if latent:
            r["note"] = f"{out['gate'].get('note')}; " + r["note"]
    out["rows"] = jsonsafe(rows)
    return plain(out)
