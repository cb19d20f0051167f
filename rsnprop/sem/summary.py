"""lavaan's ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` layout for
:class:`~rsnprop.sem.results.SEMResult`.

The text follows lavaan 0.6 line by line (labels in the first 42 columns, values right-aligned
to column 54, scaled values beside them to column 66; parameter tables with 18-character
names and 9-character numbers): a reader can hold the two side by side.  Fixed parameters
have no standard error, z or p-value; ``NA`` marks a statistic that is not defined (a model
that is not identified, a saturated model).  ``tests/reference/sem_summary.R`` keeps lavaan's
own output for the comparison.
"""

from __future__ import annotations

import math
import sys

from ..distributions import chi2_sf

__all__ = ["lavaan_summary"]

_SECTIONS = (("=~", "Latent Variables"), ("~", "Regressions"), ("~~cov", "Covariances"),
             ("~1", "Intercepts"), ("|", "Thresholds"), ("~~var", "Variances"), ("~*~", "Scales y*"))


def _num(v, dec=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "NA"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return str(v)
    return f"{float(v):.{dec}f}"


def _kv(label, *values, indent=2):
    """One ``label  value [value]`` line: first value ends at column 54, the second at 66."""
    line = (" " * indent + label).ljust(42)
    return line + "".join(str(v).rjust(12) for v in values)


def _version():
    """The installed package version (the SEM layer does not import the package root)."""

    root = sys.modules.get(__name__.split(".")[0])
    return getattr(root, "__version__", "")


def _header(res):
    f = res.fit
    it = f.get("iterations", "?")
    lines = [f"rsnprop {_version()} " + (f"ended normally after {it} iterations" if res.converged
                                           else f"did NOT converge after {it} iterations"), ""]
    lines.append(_kv("Estimator", res.estimator))
    missing = getattr(res, "missing", None)
    if missing:
        lines.append(_kv("Missing data", {"fiml": "FIML", "listwise": "listwise"}.get(missing, missing)))
    if res.estimator in ("ML", "MLR"):
        lines.append(_kv("Optimization method", "FISHER-BFGS"))
    npar = f.get("npar", len(res.theta))
    rows = sum(1 for r in res.partable.rows if r.par >= 0)  # lavaan counts every free row, then the equalities
    lines.append(_kv("Number of model parameters", max(rows, npar)))
    if rows > npar:
        lines.append(_kv("Number of equality constraints", rows - npar))
    lines.append("")
    lines += _sample_lines(res)
    return lines


def _sample_lines(res):
    """lavaan's ``Number of observations`` lines, with ``Used`` and ``Total`` when rows were
    dropped."""
    n_total = getattr(res, "n_total", res.n)
    totals = getattr(res, "n_total_per_group", res.n_per_group)
    dropped = n_total != res.n
    out = []
    if res.ngroups == 1:
        if dropped:
            out += [_kv("", "Used", "Total", indent=0), _kv("Number of observations", res.n, n_total)]
        else:
            out.append(_kv("Number of observations", res.n))
    else:
        out.append(_kv("Number of observations per group:", "Used", "Total") if dropped
                   else _kv("Number of observations per group:", ""))
        for lab in res.groups:
            vals = (res.n_per_group[lab], totals.get(lab)) if dropped else (res.n_per_group[lab],)
            out.append(_kv(str(lab), *vals, indent=4))
        if dropped and n_total > sum(totals.values()):
            out.append(_kv("Rows without a group", n_total - sum(totals.values()), indent=4))
    if getattr(res, "missing", None) == "fiml" and res.fit.get("n_patterns") is not None:
        out.append(_kv("Number of missing patterns", res.fit["n_patterns"]))
    return out + [""]


def _test_lines(res):
    f = res.fit
    scaled = "chi2_scaled" in f
    lines = ["Model Test User Model:"]
    if scaled:
        lines.append(_kv("", "Standard", "Scaled", indent=0))
        lines.append(_kv("Test Statistic", _num(f["chi2"]), _num(f["chi2_scaled"])))
        lines.append(_kv("Degrees of freedom", f["df"], f.get("df_scaled", f["df"])))
        lines.append(_kv("P-value (Chi-square)", _num(f["pvalue"]), _num(f.get("pvalue_scaled"))))
        lines.append(_kv("Scaling correction factor", "", _num(f.get("chi2_scaling_factor"))))
        if "chi2_shift" in f:
            lines.append(_kv("Shift parameter", "", _num(f["chi2_shift"])))
        lines.append(_kv({"yuan.bentler.mplus": "  Yuan-Bentler correction (Mplus variant)",
                          "scaled.shifted": "  simple second-order correction"}.get(
            f.get("test"), "  scaled test statistic"), ""))
    else:
        lines.append(_kv("Test statistic", _num(f["chi2"])))
        lines.append(_kv("Degrees of freedom", f["df"]))
        lines.append(_kv("P-value (Chi-square)" if f["df"] >= 0 else "P-value (Unknown)", _num(f["pvalue"])))
    return lines + [""]


def _pair(f, key, scaled):
    return (_num(f.get(key)), _num(f.get(key + "_scaled"))) if scaled else (_num(f.get(key)),)


def _fit_measure_lines(res):
    f = res.fit
    scaled = "chi2_scaled" in f
    if f.get("df") is not None and f["df"] < 0:
        return ["Fit measures: none (the model is not identified: df < 0).", ""]
    out = ["Model Test Baseline Model:", "",
           _kv("Test statistic", *((_num(f.get("baseline_chi2")), _num(f.get("baseline_chi2_scaled")))
                                   if scaled else (_num(f.get("baseline_chi2")),))),
           _kv("Degrees of freedom", *((f.get("baseline_df"),) * (2 if scaled else 1)))]
    if "baseline_pvalue" not in f and f.get("baseline_chi2") is not None and f.get("baseline_df"):
        f = dict(f, baseline_pvalue=float(chi2_sf(f["baseline_chi2"], f["baseline_df"])))
    if "baseline_pvalue" in f:
        p_s = ()
        if scaled and f.get("baseline_chi2_scaled") is not None and f.get("baseline_df"):
            p_s = (_num(float(chi2_sf(f["baseline_chi2_scaled"], f["baseline_df"]))),)
        out.append(_kv("P-value", _num(f["baseline_pvalue"]), *p_s))
    if scaled and "baseline_chi2_scaling_factor" in f:
        out.append(_kv("Scaling correction factor", "", _num(f["baseline_chi2_scaling_factor"])))
    out += ["", "User Model versus Baseline Model:", "",
            _kv("Comparative Fit Index (CFI)", *_pair(f, "cfi", scaled)),
            _kv("Tucker-Lewis Index (TLI)", *_pair(f, "tli", scaled))]
    if "cfi_robust" in f:
        pad = ("",) if scaled else ()
        out += [_kv("", *(("",) * (2 if scaled else 1))),
                _kv("Robust Comparative Fit Index (CFI)", *pad, _num(f["cfi_robust"])),
                _kv("Robust Tucker-Lewis Index (TLI)", *pad, _num(f.get("tli_robust")))]
    out.append("")
    if "loglik" in f and res.estimator in ("ML", "MLR"):
        n = res.n
        sabic = -2 * f["loglik"] + f["npar"] * math.log((n + 2) / 24)
        out += ["Loglikelihood and Information Criteria:", "",
                _kv("Loglikelihood user model (H0)", *(_num(f["loglik"]),) * (2 if scaled else 1)),
                _kv("Loglikelihood unrestricted model (H1)", *(_num(f.get("loglik_h1")),) * (2 if scaled else 1)),
                _kv("", *(("",) * (2 if scaled else 1))),
                _kv("Akaike (AIC)", *(_num(f["aic"]),) * (2 if scaled else 1)),
                _kv("Bayesian (BIC)", *(_num(f["bic"]),) * (2 if scaled else 1)),
                _kv("Sample-size adjusted Bayesian (SABIC)", *(_num(sabic),) * (2 if scaled else 1)), ""]
    out += ["Root Mean Square Error of Approximation:", "",
            _kv("RMSEA", *_pair(f, "rmsea", scaled)),
            _kv("90 Percent confidence interval - lower", *_ci(f, "lower", scaled)),
            _kv("90 Percent confidence interval - upper", *_ci(f, "upper", scaled)),
            _kv("P-value H_0: RMSEA <= 0.050", *_pair(f, "rmsea_pvalue", scaled))]
    if "rmsea_robust" in f:
        pad = ("",) if scaled else ()
        out += [_kv("", *(("",) * (2 if scaled else 1))),
                _kv("Robust RMSEA", *pad, _num(f["rmsea_robust"]))]
        if "rmsea_ci_lower_robust" in f:  # not computed for ordinal indicators
            out += [_kv("90 Percent confidence interval - lower", *pad, _num(f["rmsea_ci_lower_robust"])),
                    _kv("90 Percent confidence interval - upper", *pad, _num(f.get("rmsea_ci_upper_robust")))]
    out += ["", "Standardized Root Mean Square Residual:", "",
            _kv("SRMR", *((_num(f.get("srmr")),) * (2 if scaled else 1))), ""]
    return out


def _ci(f, side, scaled):
    key = f"rmsea_ci_{side}"
    return (_num(f.get(key)), _num(f.get(key + "_scaled"))) if scaled else (_num(f.get(key)),)


def _se_lines(res):
    boot = getattr(res, "bootstrap", None)
    if boot is not None:
        lines = [_kv("Standard errors", "Bootstrap"),
                 _kv("Number of requested bootstrap draws", boot.get("R", "?")),
                 _kv("Number of successful bootstrap draws", boot.get("R", 0) - boot.get("failed", 0))]
    elif res.estimator == "MLR":
        lines = [_kv("Standard errors", "Sandwich"), _kv("Information bread", "Observed"),
                 _kv("Observed information based on", "Hessian")]
    elif res.estimator in ("WLSMV", "DWLS"):
        lines = [_kv("Standard errors", "Robust.sem"), _kv("Information", "Expected"),
                 _kv("Information saturated (h1) model", "Unstructured")]
    elif getattr(res, "missing", None) == "fiml":
        lines = [_kv("Standard errors", "Standard"), _kv("Information", "Observed"),
                 _kv("Observed information based on", "Hessian")]
    else:
        lines = [_kv("Standard errors", "Standard"), _kv("Information", "Expected"),
                 _kv("Information saturated (h1) model", "Structured")]
    return ["Parameter Estimates:", ""] + lines + [""]


def _section_key(row):
    if row.op == "~~":
        return "~~var" if row.lhs == row.rhs else "~~cov"
    return row.op


def _dotted(name, endogenous):
    return ("." if name in endogenous else " ") + name


def _value_cells(row, standardized):
    """Estimate, SE, z, p (blank for fixed parameters; SE ``NA`` when it cannot be computed), and
    the standardised values."""
    cells = [_cell(row.est)]
    if isinstance(row.se, float) and math.isfinite(row.se):
        cells += [_cell(row.se), _cell(row.z), _cell(row.pvalue)]
    elif bool(row.free) or row.op == ":=":
        cells += ["NA".rjust(9), " " * 9, " " * 9]
    else:
        cells += [" " * 9] * 3
    if standardized:
        cells += [_cell(row.std_lv), _cell(row.std_all)]
    return "".join(cells)


def _cell(v):
    if v is None or not math.isfinite(float(v)):
        return "NA".rjust(9)
    return f"{float(v):9.3f}"


def _name_cell(text, label=""):
    """The 18-character name column (``    y2         (a)``, lavaan's label position)."""
    if label:
        text = text.ljust(max(18 - len(label) - 2, len(text) + 1)) + f"({label})"
    return text.ljust(18)


def _group_block(table, standardized, endogenous, observed=frozenset()):
    head = "                   Estimate  Std.Err  z-value  P(>|z|)" + ("   Std.lv  Std.all" if standardized else "")
    out = []
    for key, title in _SECTIONS:
        rows = [r for r in table.itertuples() if _section_key(r) == key]
        if not rows:
            continue
        if key in ("~~var", "~1"):  # lavaan: observed variables first, then latent ones
            rows.sort(key=lambda r: r.lhs not in observed)
        out += [f"{title}:", head]
        last = None
        for r in rows:
            label = r.label if isinstance(r.label, str) and r.label and not r.label.startswith(".") else ""
            if key in ("=~", "~"):
                if r.lhs != last:
                    out.append(f"  {r.lhs} {r.op}".ljust(len(head)))
                    last = r.lhs
                name = "    " + r.rhs
            elif key == "~~cov":
                if r.lhs != last:
                    out.append(f" {_dotted(r.lhs, endogenous)} ~~".ljust(len(head)))
                    last = r.lhs
                name = "   " + _dotted(r.rhs, endogenous)
            elif key == "|":
                name = f"    {r.lhs}|{r.rhs}"
            elif key == "~*~":
                name = "    " + r.lhs
            else:
                name = "   " + _dotted(r.lhs, endogenous)
            out.append(_name_cell(name, label) + _value_cells(r, standardized))
        out.append("")
    return out


def _endogenous(res):
    pt = res.partable
    endo = set()
    for r in pt.rows:
        if r.op == "=~":
            endo.add(r.rhs)
        elif r.op == "~":
            endo.add(r.lhs)
    return endo


def lavaan_summary(res, fit_measures=True, standardized=True, rsquare=False):
    """Text of ``summary(fit, fit.measures = fit_measures, standardized = standardized,
    rsquare = rsquare)`` (lavaan 0.6 layout) for a :class:`SEMResult`."""
    lines = _header(res) + _test_lines(res)
    if fit_measures:
        lines += _fit_measure_lines(res)
    lines += _se_lines(res)
    est = res.estimates
    endo = _endogenous(res)
    for g in range(1, res.ngroups + 1):
        if res.ngroups > 1:
            lines += ["", f"Group {g} [{res.groups[g - 1]}]:", ""]
        lines += _group_block(est[est.group == g], standardized, endo, frozenset(res.partable.ov))
        if rsquare and len(res.r2):
            r2 = res.r2[res.r2.group == g]
            lines += ["R-Square:", "                   Estimate"]
            lines += [_name_cell("   " + _dotted(v, endo)) + f"{x:9.3f}" for v, x in zip(r2.variable, r2.r2)]
            lines.append("")
    defined = est[est.op == ":="]
    if len(defined):
        head = "                   Estimate  Std.Err  z-value  P(>|z|)" + ("   Std.lv  Std.all" if standardized else "")
        lines += ["Defined Parameters:", head]
        lines += [_name_cell("    " + r.lhs) + _value_cells(r, standardized) for r in defined.itertuples()]
        lines.append("")
    if res.warnings:
        lines += ["Warnings:"] + [f"  {w}" for w in res.warnings]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)
