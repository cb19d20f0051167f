"""Latent versions of the panel hypotheses: longitudinal invariance of the benefit scales and the
latent change in the relational lean (C1, C2), each an SEM fitted by full-information ML.

The benefit items of the first and a later wave go side by side (one row per firm of the first
wave, :func:`wide_items`; a firm that left has missing later answers, which FIML uses).

* :func:`longitudinal_benefit_invariance`: for each benefit construct, configural -> metric ->
  scalar -> strict across the two waves (:func:`rsnprop.sem.longitudinal.longitudinal_invariance`,
  matched residuals correlated). The latent versions are allowed only when every construct
  reaches the required level (``latent_allowed``).
* :func:`latent_change_rows`: one SEM with both constructs at both waves, loadings and intercepts
  equal across waves (scalar), matched residuals correlated, and a 0/1 covariate ``g`` predicting
  the four factors (MIMIC). Its defined parameter
  ``(g->REL2 - g->REL1) - (g->INF2 - g->INF1)`` is the latent analogue of the group difference in
  the change of ``D = relational - informational``. It is tested by z, one-sided (greater), with
  a Wald 95 % interval (two-sided).

Same numbers in R: ``lavaan::sem(syntax, data, missing = "ml", meanstructure = TRUE)`` with the
syntax of :func:`latent_change_syntax` (``tests/reference/panel_latent.R``).

Statistical trouble never stops the analysis: non-convergence and Heywood cases raise
:class:`~rsnprop.errors.ConvergenceWarning` / :class:`~rsnprop.errors.HeywoodCaseWarning`, are
listed in ``warnings`` and make the rows ``status = "failed"`` with a note.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConvergenceWarning, HeywoodCaseWarning, InputError, SpecificationError
from ..propositions.paired import evidence_row
from ..results import jsonsafe
from ..sem import fit
from ..sem.longitudinal import longitudinal_invariance, repeated_syntax
from .link import PanelLink

__all__ = ["wide_items", "benefit_syntax", "longitudinal_benefit_invariance", "latent_change_syntax",
           "latent_change", "latent_change_rows", "LEVELS"]

#: invariance levels in order; ``partial_<level>`` ranks half a step below ``<level>``
LEVELS = ("configural", "metric", "scalar", "strict")
CI_LABEL = "95 % CI, two-sided"


def plain(obj):
    """``obj`` as plain JSON types (numpy numbers become Python ones, NaN becomes None)."""
    return json.loads(json.dumps(jsonsafe(obj), allow_nan=False))


def level_rank(level) -> float:
    """Rank of an invariance level (``"none"``/None: -1; ``partial_scalar``: 1.5)."""
    level = str(level or "none")
    if level in LEVELS:
        return float(LEVELS.index(level))
    if level.startswith("partial_") and level[8:] in LEVELS:
        return LEVELS.index(level[8:]) - 0.5
    return -1.0


def wave_pair(panel: PanelLink, later=None) -> tuple[str, str]:
    """``(first, later)`` wave labels, ``later`` checked (default: the last wave)."""
    if not isinstance(panel, PanelLink):
        raise InputError("needs a linked panel (rsnprop.panel.link_waves)", parameter="panel",
                         value=type(panel).__name__)
    later = panel.waves[-1] if later is None else str(later)
    if later not in panel.waves[1:]:
        raise InputError("not a later wave of this panel", parameter="later", value=later)
    return panel.waves[0], later


def wide_items(panel: PanelLink, columns, later=None) -> pd.DataFrame:
    """One row per firm of the first wave (index ``panel_id``), columns ``<column>_t1`` (first
    wave) and ``<column>_t2`` (``later`` wave; missing where the firm did not answer it).

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> w1 = pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    >>> w2 = pd.DataFrame({"id": [1, 3], "x": [1.5, 3.5]})
    >>> wide = wide_items(link_waves({"a": w1, "b": w2}, "id", salt="s", min_firms=1), ["x"])
    >>> wide.sort_values("x_t1").to_numpy().tolist()
    [[1.0, 1.5], [2.0, nan], [3.0, 3.5]]
    """
    first, later = wave_pair(panel, later)
    cols = list(dict.fromkeys(columns))
    for c in cols:
        if c not in panel.data.columns:
            raise InputError("no such column in the panel", column=c)
    d = panel.data
    base = d.loc[d["wave"] == first].set_index("panel_id")
    late = d.loc[d["wave"] == later].set_index("panel_id").reindex(base.index)
    out = pd.concat([base[cols].add_suffix("_t1"), late[cols].add_suffix("_t2")], axis=1)
    for c in out.columns:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


def checked_options(missing, estimator) -> None:
    """``missing`` is "fiml" or "listwise" and ``estimator`` "ML" or "MLR", else InputError."""
    if missing not in ("fiml", "listwise"):
        raise InputError("missing must be 'fiml' or 'listwise'", parameter="missing", value=missing)
    if str(estimator).upper() not in ("ML", "MLR"):
        raise InputError("estimator must be 'ML' or 'MLR'", parameter="estimator", value=estimator)


def checked_items(items) -> dict:
    """``{construct: [items]}`` checked: at least two items each, no item in two constructs."""
    if not isinstance(items, dict) or not items:
        raise InputError("give the items of each benefit construct as {construct: [items]}",
                         parameter="items", value=items)
    seen = set()
    for name, its in items.items():
        its = list(its or [])
        if len(its) < 2:
            raise InputError("a latent construct needs at least two items", parameter="items", value=name)
        dup = seen.intersection(its)
        if dup:
            raise InputError("an item belongs to two constructs", parameter="items", column=sorted(dup)[0])
        seen.update(its)
    return {str(k): list(v) for k, v in items.items()}


def factor_names(construct: str) -> tuple[str, str]:
    """The construct's factors at the first and the later wave (``<construct>_t1``, ``_t2``)."""
    return f"{construct}_t1", f"{construct}_t2"


def benefit_syntax(items: dict, step: str = "scalar", freed=None) -> str:
    """lavaan syntax of the benefit constructs at both waves: per construct the labelled syntax of
    :func:`rsnprop.sem.longitudinal.repeated_syntax` (equal loadings from ``metric``, equal
    intercepts from ``scalar``, first wave's latent mean 0 and the later one free from
    ``scalar``; matched residuals correlated). ``freed``: ``{construct: [constraints]}`` left
    free (a partial solution).

    Examples
    --------
    >>> print(benefit_syntax({"rel": ["r1", "r2"]}))
    rel_t1 =~ 1*r1_t1 + L2_rel_t1*r2_t1
    rel_t2 =~ 1*r1_t2 + L2_rel_t1*r2_t2
    r1_t1 ~~ r1_t2
    r2_t1 ~~ r2_t2
    r1_t1 ~ I1_rel_t1*1
    r1_t2 ~ I1_rel_t1*1
    r2_t1 ~ I2_rel_t1*1
    r2_t2 ~ I2_rel_t1*1
    rel_t1 ~ 0*1
    rel_t2 ~ NA*1
    """
    parts = []
    for name, its in items.items():
        f1, f2 = factor_names(name)
        model = (f"{f1} =~ {' + '.join(i + '_t1' for i in its)}\n"
                 f"{f2} =~ {' + '.join(i + '_t2' for i in its)}")
        parts.append(repeated_syntax(model, [f1, f2], step, freed=(freed or {}).get(name, ())))
    return "\n".join(parts)


def steps_table(inv) -> list[dict]:
    """The steps of a longitudinal invariance sequence: fit, deltas, likelihood-ratio test."""
    keys = ("name", "converged", "n", "n_total", "chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr",
            "delta_cfi", "delta_rmsea", "delta_srmr", "held", "freed")
    rows = []
    for s in inv.steps:
        r = {k: s.get(k) for k in keys}
        lrt = s.get("lrt") or {}
        r["lrt"] = {"chi2_diff": lrt.get("chi2_diff"), "df_diff": lrt.get("df_diff"),
                    "pvalue": lrt.get("pvalue")} if lrt else None
        rows.append(r)
    return rows


def longitudinal_benefit_invariance(panel: PanelLink, items: dict, *, required: str = "scalar",
                                    missing: str = "fiml", estimator: str = "ML", later=None,
                                    partial_search: bool = False, rule: str = "chen2007") -> dict:
    """Longitudinal invariance of each benefit construct between the first and a later wave.

    Parameters
    ----------
    panel : PanelLink
        The linked long panel (``panel_id``, ``wave``, items ...).
    items : dict
        ``{construct: [item columns]}``, e.g. ``{"relational": ["rel_1", ...], "informational":
        [...]}``.
    required : {"configural", "metric", "scalar", "strict", "partial_scalar", ...}
        The level every construct must reach for the latent versions (``latent_allowed``);
        a ``partial_`` level runs the partial search and counts a partial solution.
    missing : {"fiml", "listwise"}
        FIML (lavaan ``missing = "ml"``) keeps the firms that left after the first wave.
    estimator : {"ML", "MLR"}
    later : str, optional
        The later wave (default: the last).
    partial_search : bool
        Search for a partial solution when a step fails (also implied by a ``partial_`` level).
    rule : {"chen2007", "lrt"}
        How a step is judged (as :func:`rsnprop.sem.invariance`): fit-index changes (Chen 2007)
        or the chi-square difference test.

    Returns
    -------
    dict
        ``required, waves [first, later], missing, estimator, rule`` (the decision rule in
        words), ``latent_allowed, note, warnings``
        and ``constructs {name: {items, factors, status, note, level, reached, freed, steps,
        latent_means, latent_mean_change, n, n_total, warnings}}``; ``latent_mean_change``: the
        later wave's latent mean (first wave 0) in the last step with free means that held:
        ``model, est, se, z, pvalue`` (two-sided), ``ci_lower, ci_upper`` (Wald 95 %), ``std``
        (in first-wave latent SDs), ``p_sided, ci_label``; ``steps`` rows: ``name, converged, n, n_total,
        chi2, df, pvalue, cfi, tli, rmsea, srmr, delta_cfi, delta_rmsea, delta_srmr, held,
        freed, lrt {chi2_diff, df_diff, pvalue}``. ``level`` is the highest level held in
        sequence.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(0, 1, 200)
    >>> w1 = pd.DataFrame({"id": range(200), **{f"a{j}": f + rng.normal(0, .6, 200) for j in range(3)}})
    >>> w2 = pd.DataFrame({"id": range(200), **{f"a{j}": f + .3 + rng.normal(0, .6, 200) for j in range(3)}})
    >>> gate = longitudinal_benefit_invariance(link_waves({"1": w1, "2": w2}, "id", salt="s"),
    ...                                        {"A": ["a0", "a1", "a2"]})
    >>> gate["latent_allowed"], [s["name"] for s in gate["constructs"]["A"]["steps"]]
    (True, ['configural', 'metric', 'scalar', 'strict'])

    In R: ``lavaan::cfa(syntax, wide, missing = "ml")`` for each step's syntax
    (``rsnprop.sem.longitudinal.repeated_syntax``), then ``lavTestLRT``.
    """
    items = checked_items(items)
    if level_rank(required) < 0:
        raise InputError(f"unknown invariance level (known: {', '.join(LEVELS)}, partial_<level>)",
                         parameter="required", value=required)
    checked_options(missing, estimator)
    first, later = wave_pair(panel, later)
    wide = wide_items(panel, [i for its in items.values() for i in its], later)
    out = {"required": required, "waves": [first, later], "missing": missing, "estimator": estimator,
           "rule": rule, "constructs": {}, "warnings": []}
    for name, its in items.items():
        block = _one_construct(wide, name, its, missing=missing, estimator=estimator, rule=rule,
                               partial=partial_search or str(required).startswith("partial_"))
        out["rule"] = block.pop("rule", None) or out["rule"]
        block["reached"] = block["status"] == "ok" and level_rank(block["level"]) >= level_rank(required)
        out["constructs"][name] = block
        out["warnings"] += [f"{name}: {w}" for w in block["warnings"]]
    out["latent_allowed"] = all(b["reached"] for b in out["constructs"].values())
    out["note"] = gate_note(out)
    return plain(out)


def _one_construct(wide, name, its, *, missing, estimator, rule, partial) -> dict:
    """The invariance sequence of one construct (a dict block of the gate)."""
    f1, f2 = factor_names(name)
    cols = [i + "_t1" for i in its] + [i + "_t2" for i in its]
    sub = wide[cols].dropna() if missing == "listwise" else wide[cols]
    model = f"{f1} =~ {' + '.join(cols[:len(its)])}\n{f2} =~ {' + '.join(cols[len(its):])}"
    block = {"items": list(its), "factors": [f1, f2], "status": "ok", "note": "", "level": "none",
             "freed": [], "steps": [], "latent_means": {}, "latent_mean_change": None, "n": None,
             "n_total": int(len(wide)),
             "warnings": []}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            inv = longitudinal_invariance(model, sub, [f1, f2], missing=missing, estimator=estimator,
                                          partial_search=partial, rule=rule)
    except (InputError, SpecificationError):
        raise
    except (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError) as err:
        block.update(status="failed", note=f"invariance sequence failed: {type(err).__name__}: {err}",
                     warnings=[f"invariance sequence failed: {err}"])
        warnings.warn(f"{name}: longitudinal invariance failed: {err}", ConvergenceWarning, stacklevel=3)
        return block
    held = [s for s in inv.steps if s["name"] == inv.level]
    block.update(rule=inv.rule, level=inv.level, freed=list(held[-1].get("freed") or []) if held else [],
                 steps=steps_table(inv), latent_means=dict(inv.latent_means), n=int(inv.n),
                 latent_mean_change=_mean_change(inv),
                 n_total=int(len(wide)),
                 warnings=list(dict.fromkeys(list(inv.warnings) + [str(w.message) for w in caught])))
    return block


def _mean_change(inv):
    """The later wave's latent mean (the change from the first wave, whose mean is 0): ``est, se,
    z, pvalue`` (two-sided), Wald 95 % interval, ``std`` (in first-wave SDs); None without it."""
    tab = inv.latent_mean_differences
    if tab is None or not len(tab):
        return None
    r = tab.iloc[0]
    return {"model": inv.latent_means_model, **{k: float(r[k]) for k in ("est", "se", "z", "pvalue", "ci_lower",
                                                                         "ci_upper", "std")},
            "p_sided": "two-sided", "ci_label": CI_LABEL}


def gate_note(gate: dict) -> str:
    """One line: which constructs reach the required level and which do not (naming the level)."""
    bad = [f"{k}: level reached {b['level']!r}" + (f" ({b['note']})" if b["note"] else "")
           for k, b in gate["constructs"].items() if not b["reached"]]
    if not bad:
        return f"longitudinal {gate['required']} invariance holds for every benefit construct"
    return f"longitudinal {gate['required']} invariance not reached: " + "; ".join(bad)


def fit_checked(syntax: str, data: pd.DataFrame, *, missing: str = "fiml", estimator: str = "ML"):
    """``(fit or None, warnings, failure note or "", flags)``: :func:`rsnprop.sem.fit` with its
    warnings collected; non-convergence, a Heywood case or an estimation error give a note (and
    :class:`~rsnprop.errors.ConvergenceWarning` / :class:`~rsnprop.errors.HeywoodCaseWarning`)
    instead of an exception. ``flags``: ``estimated, converged, heywood`` (bools)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = fit(syntax, data, missing=missing, estimator=estimator)
    except (InputError, SpecificationError):
        raise
    except (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError) as err:
        note = f"model not estimated: {type(err).__name__}: {err}"
        warnings.warn(note, ConvergenceWarning, stacklevel=3)
        return None, [note], note, {"estimated": False, "converged": False, "heywood": False}
    msgs = list(dict.fromkeys([str(w.message) for w in caught] + list(res.warnings or [])))
    heywood = [m for m in msgs if "Heywood" in m]
    flags = {"estimated": True, "converged": bool(res.converged), "heywood": bool(heywood)}
    notes = ([] if res.converged else ["the model did not converge"]) + heywood[:1]
    if not res.converged:
        warnings.warn("the model did not converge", ConvergenceWarning, stacklevel=3)
        msgs.append("the model did not converge")
    if heywood:
        warnings.warn(heywood[0], HeywoodCaseWarning, stacklevel=3)
    return res, msgs, "; ".join(notes), flags


def z_row(res, lhs: str, op: str = ":=", rhs=None, *, sided: str = "greater", **kw) -> dict:
    """An evidence row from one row of the estimates table (a defined parameter by default):
    z test, one-sided ``greater`` (``p_value``; ``p_opposite`` the other side) or two-sided,
    Wald 95 % interval (two-sided)."""
    e = res.estimates
    sel = (e["lhs"] == lhs) & (e["op"] == op)
    if rhs is not None:
        sel &= e["rhs"] == rhs
    r = e.loc[sel].iloc[0]
    est, se = float(r["est"]), float(r["se"])
    z = est / se if se > 0 else float("nan")
    if sided == "greater":
        p, p_opp, p_sided, alt = float(stats.norm.sf(z)), float(stats.norm.cdf(z)), "one-sided", \
            "expected direction"
    else:
        p, p_opp, p_sided, alt = float(2 * stats.norm.sf(abs(z))), None, "two-sided", "two-sided"
    q = stats.norm.ppf(0.975)
    row = evidence_row(kw.pop("test"), estimate=est, se=se, statistic=z, statistic_name="z", df=None,
                       p_value=p, p_opposite=p_opp, p_sided=p_sided, alternative=alt, ci_level=0.95,
                       ci_lower=est - q * se, ci_upper=est + q * se, ci_label=CI_LABEL,
                       effect_size=_num(r.get("std_all")), effect_size_name="std_all",
                       **{"n": int(res.n), "n_total": int(res.n_total), **kw})
    return row


def _num(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def blank_row(test: str, status: str, note: str, **kw) -> dict:
    """An evidence row without numbers (``status`` "not_available" or "failed")."""
    return evidence_row(test, se=None, ci_label=CI_LABEL, status=status, note=note, **kw)


def latent_change_syntax(items: dict, covariate: str = "g", *, freed=None) -> str:
    """lavaan syntax of the latent change model: :func:`benefit_syntax` (scalar) for the
    ``relational`` and ``informational`` constructs, the four factors regressed on the data
    column ``covariate`` (labels ``g_rel1, g_rel2, g_inf1, g_inf2``), their residuals
    correlated, and ``dlean := (g_rel2 - g_rel1) - (g_inf2 - g_inf1)``.

    Examples
    --------
    >>> syn = latent_change_syntax({"relational": ["r1", "r2"], "informational": ["i1", "i2"]}, "bg_t1")
    >>> print("\\n".join(syn.splitlines()[-8:]))
    relational_t1 ~ g_rel1*bg_t1
    relational_t2 ~ g_rel2*bg_t1
    informational_t1 ~ g_inf1*bg_t1
    informational_t2 ~ g_inf2*bg_t1
    relational_t1 ~~ informational_t1 + relational_t2 + informational_t2
    informational_t1 ~~ relational_t2 + informational_t2
    relational_t2 ~~ informational_t2
    dlean := (g_rel2 - g_rel1) - (g_inf2 - g_inf1)
    """
    r1, r2 = factor_names("relational")
    i1, i2 = factor_names("informational")
    x = covariate
    lines = [benefit_syntax(two_constructs(items), "scalar", freed),
             f"{r1} ~ g_rel1*{x}", f"{r2} ~ g_rel2*{x}", f"{i1} ~ g_inf1*{x}", f"{i2} ~ g_inf2*{x}",
             f"{r1} ~~ {i1} + {r2} + {i2}", f"{i1} ~~ {r2} + {i2}", f"{r2} ~~ {i2}",
             "dlean := (g_rel2 - g_rel1) - (g_inf2 - g_inf1)"]
    return "\n".join(lines)


def two_constructs(items) -> dict:
    """``{"relational": [...], "informational": [...]}`` from ``items`` (checked)."""
    items = checked_items(items)
    for k in ("relational", "informational"):
        if k not in items:
            raise InputError("needs the items of the 'relational' and 'informational' constructs",
                             parameter="items", value=k)
    return {"relational": items["relational"], "informational": items["informational"]}


def covariate_column(wide: pd.DataFrame, covariate: str, moved: bool) -> tuple[str, pd.Series]:
    """``(name, values)`` of the 0/1 covariate: the first-wave value of ``covariate``, or with
    ``moved`` 1 when its later value is higher than its first (a move to a later phase; missing
    unless both are known)."""
    a, b = wide[f"{covariate}_t1"], wide[f"{covariate}_t2"]
    if not moved:
        return f"{covariate}_t1", a
    return f"moved_{covariate}", (b > a).astype(float).where(a.notna() & b.notna())


def gate_for(panel, items, gate, *, required, missing, estimator, later) -> dict:
    """The invariance gate given, else computed for the two benefit constructs."""
    if gate is not None:
        return gate
    return longitudinal_benefit_invariance(panel, items, required=required, missing=missing,
                                           estimator=estimator, later=later)


def gate_freed(gate: dict) -> dict:
    """``{construct: [freed constraints]}`` of a partial solution that passed the gate."""
    return {k: list(b.get("freed") or []) for k, b in gate.get("constructs", {}).items()}


def paths_table(res) -> list[dict]:
    """lavaan's long table (``lhs, op, rhs, label, est, se, z, pvalue, ci_lower, ci_upper,
    std_all``) of a fit, JSON-safe."""
    cols = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]
    return jsonsafe(res.estimates[cols].to_dict("records"))


def fit_summary(res) -> dict:
    """``chi2, df, pvalue, cfi, tli, rmsea, srmr`` of a fit; with MLR also the scaled chi-square
    and the robust indices (lavaan ``chisq.scaled``, ``cfi.robust`` ...)."""
    keys = ("chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "chi2_scaled", "pvalue_scaled",
            "chi2_scaling_factor", "cfi_robust", "tli_robust", "rmsea_robust")
    return jsonsafe({k: res.fit.get(k) for k in keys if k in res.fit or k in keys[:7]})


def row_test_name(model: str, missing: str, estimator: str) -> str:
    """The ``test`` of a row: the model, the missing-data method and (unless ML) the estimator."""
    how = {"fiml": "FIML", "listwise": "listwise"}.get(missing, missing)
    est = "" if str(estimator).upper() == "ML" else f", {str(estimator).upper()} (robust SE)"
    return f"{model} (SEM, {how}{est})"


def latent_change(panel: PanelLink, items: dict, covariate: str, *, hypothesis: str = "C1",
                  moved: bool | None = None, gate: dict | None = None, required: str = "scalar",
                  missing: str = "fiml", estimator: str = "ML", later=None) -> dict:
    """The latent change model (module docstring) and its evidence row.

    Parameters are those of :func:`latent_change_rows`.

    Returns
    -------
    dict
        ``version`` ("latent"), ``rows`` (one evidence row), ``paths`` (lavaan long table),
        ``fit`` (``chi2, df, pvalue, cfi, tli, rmsea, srmr``), ``syntax``, ``covariate`` (the
        column in the model), ``n``, ``n_total``, ``gate`` (the invariance gate), ``warnings``,
        ``flags`` (``estimated, converged, heywood``; empty when no model was fitted).
    """
    items = two_constructs(items)
    checked_options(missing, estimator)
    moved = hypothesis == "C2" if moved is None else bool(moved)
    first, later = wave_pair(panel, later)
    wide = wide_items(panel, [i for its in items.values() for i in its] + [covariate], later)
    name, g = covariate_column(wide, covariate, moved)
    what = f"that moved to a later {covariate}" if moved else f"with {covariate} = 1 at wave {first}"
    base = dict(hypothesis=hypothesis, role="latent", version="latent", n_total=int(len(wide)),
                question=f"latent change in the relational lean from wave {first} to {later}, firms "
                         f"{what} minus the others: (g->REL2 - g->REL1) - (g->INF2 - g->INF1)")
    test = row_test_name("latent change, scalar, MIMIC", missing, estimator)
    out = {"version": "latent", "rows": [], "paths": [], "fit": {}, "syntax": "", "covariate": name,
           "n": None, "n_total": int(len(wide)), "warnings": [], "flags": {}}
    gate = gate_for(panel, items, gate, required=required, missing=missing, estimator=estimator, later=later)
    out["gate"] = gate
    if not gate.get("latent_allowed"):
        out["rows"] = [blank_row(test, "not_available", gate.get("note", "invariance gate failed"), **base)]
        return plain(out)
    data = wide.drop(columns=[c for c in wide.columns if c.startswith(covariate + "_")]).assign(**{name: g})
    data = data.loc[g.notna()]
    if data[name].nunique() < 2:
        out["rows"] = [blank_row(test, "not_available", f"the covariate {name} takes one value among "
                                 "the firms with it", n=int(len(data)), **base)]
        return plain(out)
    out["syntax"] = latent_change_syntax(items, name, freed=gate_freed(gate))
    res, warn, fail, out["flags"] = fit_checked(out["syntax"], data, missing=missing, estimator=estimator)
    out["warnings"] = warn
    if res is None or fail:
        out["rows"] = [blank_row(test, "failed", fail, **base)]
        if res is not None:
            out.update(paths=paths_table(res), fit=fit_summary(res), n=int(res.n))
        return plain(out)
    out.update(paths=paths_table(res), fit=fit_summary(res), n=int(res.n))
    row = z_row(res, "dlean", test=test, **base)
    row["note"] = (f"{gate.get('note')}; loadings and intercepts equal across waves; "
                   f"{out['n']} of {len(wide)} first-wave firms (those with {name} known)")
    out["rows"] = [jsonsafe(row)]
    return plain(out)


def latent_change_rows(panel: PanelLink, items: dict, covariate: str, *, hypothesis: str = "C1",
                       moved: bool | None = None, gate: dict | None = None, required: str = "scalar",
                       missing: str = "fiml", estimator: str = "ML", later=None) -> list[dict]:
    """Evidence rows (role and version "latent") of C1 or C2: the latent change model.

    Parameters
    ----------
    panel : PanelLink
    items : dict
        ``{"relational": [items], "informational": [items]}``.
    covariate : str
        C1: the 0/1 group column (its first-wave value is used, e.g. ``bg_ms20``). C2
        (``moved=True``): the phase column; the covariate is 1 when the later phase is higher.
    hypothesis : str
        Label of the rows (``"C1"``, ``"C2"``).
    moved : bool, optional
        Default: True for ``hypothesis="C2"``, else False.
    gate : dict, optional
        :func:`longitudinal_benefit_invariance` of the same panel (computed when not given);
        when it fails the row is ``not_available`` with a note naming the level reached.
    required, missing, estimator, later
        As in :func:`longitudinal_benefit_invariance`.

    Returns
    -------
    list of dict
        One evidence row (:func:`rsnprop.propositions.paired.evidence_row` keys plus
        ``hypothesis, role, version, question, se, ci_label, n_total``): ``estimate`` =
        ``(g->REL2 - g->REL1) - (g->INF2 - g->INF1)`` (latent units: the first item of each
        scale), z test one-sided (greater), ``ci_label`` "95 % CI, two-sided".

    Examples
    --------
    >>> import pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> w = pd.DataFrame({"id": range(12), "r1": 1.0, "r2": 2.0, "i1": 1.0, "i2": 1.0, "bg": 0})
    >>> p = link_waves({"1": w, "2": w}, "id", salt="s")
    >>> gate = {"latent_allowed": False, "note": "relational: level reached 'metric'"}
    >>> row, = latent_change_rows(p, {"relational": ["r1", "r2"], "informational": ["i1", "i2"]}, "bg",
    ...                           gate=gate)
    >>> row["status"], row["note"]
    ('not_available', "relational: level reached 'metric'")

    In R: ``lavaan::sem(latent_change_syntax(...), wide, missing = "ml")``; the ``dlean`` row of
    ``parameterEstimates`` (``pnorm(z, lower.tail = FALSE)`` for the one-sided p).
    """
    return latent_change(panel, items, covariate, hypothesis=hypothesis, moved=moved, gate=gate,
                         required=required, missing=missing, estimator=estimator, later=later)["rows"]
