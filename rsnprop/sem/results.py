"""The result object of :func:`rsnprop.sem.fit`."""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from ..distributions import norm_ppf, norm_sf
from ..errors import InputError
from ..results import Result, jsonsafe
from .export import to_lavaan
from .modindices import modification_indices
from .summary import lavaan_summary

__all__ = ["SEMResult", "SCHEMA"]

#: contract of the JSON of SEMResult.to_dict (rsnprop.schemas.Fit)
SCHEMA = "rsnprop.fit/1"

_FIT_ORDER = ("chi2", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
              "rmsea_pvalue", "srmr", "aic", "bic", "loglik")
_SCALED = ("chi2_scaled", "pvalue_scaled", "chi2_scaling_factor", "cfi_scaled", "tli_scaled", "cfi_robust",
           "tli_robust", "rmsea_scaled", "rmsea_robust")


def _fmt(v):
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return str(v)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "NA" if np.isnan(v) else f"{v:.3f}"


class SEMResult(Result):
    """A fitted CFA/SEM (single or multigroup), lavaan style.

    Attributes
    ----------
    converged : bool
    n : int
        Number of observations used (all groups).
    n_total : int
        Rows given (lavaan's "Total"; ``n`` is its "Used").
    n_per_group, n_total_per_group : dict
        Observations used / given per group label (``{None: n}`` without groups).
    missing : str
        Missing-data method used: ``"fiml"`` or ``"listwise"``.
    groups : list
        Group labels in lavaan's order (order of first appearance).
    fit : dict
        Fit measures by name (``chi2, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, rmsea_pvalue, srmr, aic, bic, loglik``; with MLR/WLSMV also the scaled
        and robust versions).
    estimates : pandas.DataFrame
        lavaan's long table: ``lhs, op, rhs, group, group_label, label, free, est, se, z,
        pvalue, ci_lower, ci_upper, std_lv, std_all``.
    r2 : pandas.DataFrame
        R-squared of every endogenous variable (``group, variable, r2``).
    warnings : list of str
    """

    title = "Structural equation model"

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __getattr__(self, name):
        """``estimates`` and ``r2`` of a result assembled with ``lazy=True``
        (:func:`rsnprop.sem.assemble.assemble_result`): built on first read, then kept."""
        lazy = self.__dict__.get("_lazy")
        if lazy and name in lazy:
            value = self.__dict__[name] = lazy.pop(name)()
            return value
        raise AttributeError(name)

    def __getstate__(self):
        """Pickled with its tables built (a lazy table is a closure)."""
        for name in list(self.__dict__.get("_lazy") or ()):
            getattr(self, name)
        return {k: v for k, v in self.__dict__.items() if k != "_lazy"}

    @property
    def partable(self):
        """The parameter table of the fit (:class:`~rsnprop.sem.partable.ParTable`): ``rows`` in
        the order of the estimates table (before defined parameters), ``rows[i].par`` the index of
        row ``i`` in ``theta`` and ``vcov`` (-1 when fixed; shared by parameters constrained
        equal), and ``ov``, ``lv``, ``ngroups``, ``npar``.

        Examples
        --------
        >>> from rsnprop.sem import fit
        >>> from rsnprop.datasets import holzinger_swineford
        >>> res = fit("visual =~ x1 + x2 + x3", holzinger_swineford())
        >>> [(r.lhs, r.op, r.rhs, r.par) for r in res.partable.rows[:2]]
        [('visual', '=~', 'x1', -1), ('visual', '=~', 'x2', 0)]
        """
        return self._pt

    # -- tables ---------------------------------------------------------------------------
    def to_frame(self):
        """The estimates table (a copy)."""
        return self.estimates.copy()

    def to_dict(self) -> dict:
        est = self.estimates
        cols = ["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "ci_lower",
                "ci_upper", "std_lv", "std_all"]
        if self.ngroups > 1:
            cols.insert(4, "group_label")
        out = {
            "schema": SCHEMA,
            "converged": bool(self.converged),
            "estimator": self.estimator,
            "missing": getattr(self, "missing", None),
            "n": int(self.n),
            "n_total": int(getattr(self, "n_total", self.n)),
            "n_per_group": {str(k): int(v) for k, v in self.n_per_group.items()} if self.ngroups > 1 else None,
            "n_total_per_group": ({str(k): int(v) for k, v in getattr(self, "n_total_per_group", {}).items()}
                                  if self.ngroups > 1 else None),
            "fit": self.fit,
            "estimates": est[cols],
            "r2": self.r2,
            "warnings": list(self.warnings),
        }
        for k in ("n_per_group", "n_total_per_group"):
            if out[k] is None:
                del out[k]
        if getattr(self, "bootstrap", None) is not None:
            out["bootstrap"] = self.bootstrap
        return jsonsafe(out)

    def summary(self, fit_measures: bool = True, standardized: bool = True, rsquare: bool = False) -> str:
        """lavaan's ``summary(fit, fit.measures = TRUE, standardized = TRUE)``, same layout.

        Header (estimator, missing-data method, observations ``Used``/``Total``), the model
        test (standard and scaled side by side for MLR/WLSMV), the fit measures when
        ``fit_measures`` (baseline, CFI/TLI and their robust versions, log-likelihood and
        information criteria, RMSEA with its 90 % CI, SRMR), then per group the Latent
        Variables, Regressions, Covariances, Intercepts, Thresholds and Variances with
        ``Std.lv``/``Std.all`` when ``standardized``.  Fixed parameters have blank SE, z and p.
        lavaan's defaults are ``fit.measures = FALSE, standardized = FALSE``; ours are on
        (the command line prints this summary).

        Examples
        --------
        >>> from rsnprop.sem import fit
        >>> from rsnprop.datasets import holzinger_swineford
        >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
        ...           holzinger_swineford())
        >>> text = res.summary(fit_measures=True, standardized=True)
        >>> print(text.split("Latent Variables:")[1].splitlines()[4])
            x2                0.554    0.100    5.554    0.000    0.498    0.424

        In R: ``summary(cfa(model, data = HolzingerSwineford1939), fit.measures = TRUE,
        standardized = TRUE)``.
        """

        return lavaan_summary(self, fit_measures=fit_measures, standardized=standardized, rsquare=rsquare)

    def __repr__(self) -> str:
        f = self.fit
        chi = f.get("chi2_scaled", f.get("chi2"))
        stat = "not identified" if (f.get("df") or 0) < 0 else (
            f"chi2{'_scaled' if 'chi2_scaled' in f else ''} = {chi:.3f}, df = {f.get('df')}")
        return (f"<SEMResult {self.estimator}{' FIML' if getattr(self, 'missing', None) == 'fiml' else ''}, "
                f"n = {self.n} of {getattr(self, 'n_total', self.n)}, {self.ngroups} group(s), "
                f"{'converged' if self.converged else 'NOT converged'}, {stat}>")

    def to_html(self) -> str:
        f = self.fit
        head = [("estimator", self.estimator + (" (FIML)" if getattr(self, "missing", None) == "fiml" else "")),
                ("observations used / total", f"{self.n} / {getattr(self, 'n_total', self.n)}")]
        if self.ngroups > 1:
            tot = getattr(self, "n_total_per_group", {})
            head += [(f"group {g}", f"{self.n_per_group[g]} / {tot.get(g, '?')}") for g in self.groups]
        keys = [k for k in _FIT_ORDER + _SCALED if k in f]
        cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in head)
        cells += "".join(f"<tr><th>{escape(k)}</th><td>{_fmt(f[k])}</td></tr>" for k in keys)
        warn = "".join(f"<li>{escape(w)}</li>" for w in self.warnings)
        return (f"<div class='rsnprop-sem'><table class='rsnprop-fit'>{cells}</table>"
                + super().to_html() + (f"<ul class='rsnprop-warnings'>{warn}</ul>" if warn else "") + "</div>")

    # -- extras ---------------------------------------------------------------------------
    def parameter(self, lhs, op, rhs="", group=1, column="est"):
        """One value of the estimates table (``res.parameter('visual', '=~', 'x2')``)."""
        e = self.estimates
        sel = e[(e.lhs == lhs) & (e.op == op) & (e.rhs == rhs) & (e.group == group)]
        if sel.empty:
            from ..errors import InputError

            raise InputError("no such parameter", parameter="lhs/op/rhs", value=f"{lhs} {op} {rhs}")
        return float(sel[column].iloc[0])

    def contrast(self, terms, level=0.95):
        """Linear combination of parameters with its standard error (Wald test).

        Parameters
        ----------
        terms : dict
            ``{(lhs, op, rhs, group): weight}``; e.g. the difference of two latent means in
            group 2: ``{("relational", "~1", "", 2): 1, ("informational", "~1", "", 2): -1}``.
            Fixed parameters enter with their value and no variance.
        level : float

        Returns
        -------
        dict
            ``est, se, z, pvalue, ci_lower, ci_upper`` (SE from ``vcov``: ML, robust or
            bootstrap-free analytic, as the fit).

        Examples
        --------
        >>> from rsnprop.sem import fit
        >>> from rsnprop.datasets import holzinger_swineford
        >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
        ...           holzinger_swineford(), group="school", group_equal=["loadings", "intercepts"])
        >>> c = res.contrast({("textual", "~1", "", 2): 1, ("visual", "~1", "", 2): -1})
        >>> round(c["est"], 3)
        0.724

        In R: ``lavaan::lavTestWald`` / a ``:=`` parameter on labelled means.
        """

        a = np.zeros(len(self.theta))
        est = 0.0
        rows = {(r.lhs, r.op, r.rhs, r.group): r for r in self.partable.rows}
        for key, w in terms.items():
            lhs, op, rhs, group = key
            r = rows.get((lhs, op, rhs, group)) or (rows.get((rhs, op, lhs, group)) if op == "~~" else None)
            if r is None:
                raise InputError("no such parameter", parameter="terms", value=f"{lhs} {op} {rhs} (group {group})")
            if r.par >= 0:
                a[r.par] += w
                est += w * self.theta[r.par]
            else:
                est += w * float(self.parameter(lhs, op, rhs, group=group))
        V = np.asarray(self.vcov, dtype=float)
        se = math.sqrt(max(float(a @ V @ a), 0.0))
        z = est / se if se > 0 else float("nan")
        q = norm_ppf(0.5 + level / 2)
        est = float(est)
        z = float(z)
        return {"est": est, "se": se, "z": z,
                "pvalue": float(2 * norm_sf(abs(z))) if not math.isnan(z) else float("nan"),
                "ci_lower": est - q * se, "ci_upper": est + q * se}

    def modindices(self, sort=True, minimum=0.0):
        """Modification indices and expected parameter changes (lavaan ``modindices()``).

        Score tests for the cross-loadings and residual covariances not in the model, with the
        expected information: of the ML discrepancy for complete data, of the FIML likelihood
        of the missing-data patterns for ``missing="fiml"`` (as lavaan with ``missing = "ml"``),
        of the DWLS discrepancy of thresholds and polychoric correlations for WLSMV fits of
        ordinal indicators (as lavaan; the candidates then also include every fixed parameter
        that is identified when freed, e.g. marker loadings and, with equal thresholds, the
        intercepts ``x ~1`` of the latent responses).  ML and MLR fits (MLR: the same indices as
        ML) and WLSMV fits.

        Parameters
        ----------
        sort : bool
            Largest index first.
        minimum : float
            Drop the rows whose index is below ``minimum``.

        Returns
        -------
        pandas.DataFrame
            ``lhs, op, rhs, group, mi, epc, sepc_lv, sepc_all``.

        Examples
        --------
        >>> from rsnprop.sem import fit
        >>> from rsnprop.datasets import holzinger_swineford
        >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
        ...           holzinger_swineford())
        >>> mi = res.modindices(minimum=10)
        >>> mi.loc[0, ["lhs", "op", "rhs"]].tolist(), round(float(mi.loc[0, "mi"]), 3)
        (['visual', '=~', 'x9'], 36.411)

        In R: ``modindices(cfa(model, data = HolzingerSwineford1939), sort. = TRUE,
        minimum.value = 10)``.

        Ordinal (Likert) indicators, WLSMV:

        >>> from rsnprop.datasets import bfi
        >>> items = ["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "C4", "C5"]
        >>> res = fit("agree =~ A1 + A2 + A3 + A4 + A5\\nconsc =~ C1 + C2 + C3 + C4 + C5",
        ...           bfi()[items], ordered=items)
        >>> mi = res.modindices(minimum=60)
        >>> mi.loc[0, ["lhs", "op", "rhs"]].tolist(), round(float(mi.loc[0, "mi"]), 1)
        (['consc', '=~', 'A4'], 99.8)

        In R: ``modindices(cfa(model, data = bfi, ordered = items), sort. = TRUE,
        minimum.value = 60)``.
        """

        if self.estimator not in ("ML", "MLR") and getattr(self, "_wls", None) is None:
            raise InputError("modification indices are implemented for ML/MLR fits (complete data or "
                             "FIML) and WLSMV fits of ordinal indicators", parameter="estimator",
                             value=self.estimator)
        return modification_indices(self, sort=sort, minimum=minimum)

    def residuals(self, type="cor"):
        """Residual correlations (``type='cor'``, Bentler: standardised by observed SDs) or
        raw covariance residuals (``'raw'``), one DataFrame per group label."""

        out = {}
        for g, lab in enumerate(self.groups):
            sigma, mu = self._engine.groups[g].implied(self.theta)
            d = self._engine.data[g]
            r = d.cov - sigma
            if type == "cor":
                sd = np.sqrt(np.diag(d.cov))
                r = r / np.outer(sd, sd)
            out[lab] = pd.DataFrame(r, index=self.partable.ov, columns=self.partable.ov)
        return out

    def to_lavaan(self) -> str:
        """The fitted model in lavaan syntax (estimates as fixed values), one line per parameter.

        Multigroup models use ``c(...)`` vectors.  Feeding the text back to :func:`fit`
        reproduces the implied moments.
        """

        return to_lavaan(self)
