"""Attrition between the first and a later wave of a linked panel.

Who stayed and who left, and whether leaving looks related to the first-wave answers:

1. counts per wave (firms of the first wave still present in each later wave);
2. the first-wave profile of stayers and leavers, variable by variable: Welch's t test for
   numeric variables (R ``t.test``), Pearson's χ² without continuity correction for categorical
   ones (R ``chisq.test(correct = FALSE)``);
3. Little's MCAR test on the wide panel (the variables at every wave; a leaver's later values are
   missing), :func:`rsnprop.panel.little_mcar`;
4. a logistic model of staying on the first-wave variables (R ``glm(family = binomial)``), with
   Wald 95 % intervals of the odds ratios (R ``confint.default``) and the likelihood-ratio test
   against the intercept-only model.

Firms that joined after the first wave have no baseline and are not part of this analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import Logit
from statsmodels.tools.tools import add_constant

from ..errors import InputError
from ..results import Result
from .link import PanelLink
from .mcar import little_mcar

SCHEMA = "rsnprop.attrition/1"


@dataclass
class Attrition(Result):
    """Attrition analysis of a linked panel (see the module docstring for the tests)."""

    first: str
    later: str
    counts: list
    profile: pd.DataFrame
    mcar: dict | None
    logistic: dict | None
    warnings: list = field(default_factory=list)
    title: str = "Panel attrition"

    def to_frame(self) -> pd.DataFrame:
        return self.profile

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "first_wave": self.first, "later_wave": self.later,
                "counts": self.counts, "profile": self.profile.to_dict(orient="records"),
                "mcar": self.mcar, "logistic": self.logistic, "warnings": list(self.warnings)}

    def headline(self) -> list:
        c = self.counts[-1]
        lines = [f"wave {self.first}: {c['n_first']} firms; {c['stayed']} answered wave "
                 f"{self.later} ({c['retention']:.1%}), {c['left']} left"]
        if self.mcar:
            m = self.mcar
            lines.append(f"Little's MCAR test: chi2({m['df']}) = {m['statistic']:.3f}, p = "
                         f"{m['pvalue']:.4f} (n = {m['n']} of {m['n_total']})")
        if self.logistic:
            lr = self.logistic["lr_test"]
            lines.append(f"logistic model of staying: LR chi2({lr['df']}) = {lr['chi2']:.3f}, "
                         f"p = {lr['pvalue']:.4f} (n = {self.logistic['n']} of "
                         f"{self.logistic['n_total']})")
        return lines

    def summary(self) -> str:
        with pd.option_context("display.width", 140, "display.float_format", "{:.4f}".format):
            return "\n".join(self.headline() + ["", self.profile.to_string(index=False)]
                             + [f"warning: {w}" for w in self.warnings])


def attrition(panel: PanelLink, variables, *, categorical=(), later=None,
              logistic: bool = True, mcar: bool = True, mcar_variables=None) -> Attrition:
    """Who left between the first wave and ``later`` (the last wave by default), and does it
    look related to the first-wave answers?

    Parameters
    ----------
    panel : PanelLink
        From :func:`rsnprop.panel.link_waves`.
    variables : list of str
        First-wave variables to compare (numeric unless named in ``categorical``).
    categorical : list of str
        Variables compared as categories (χ² test); left out of Little's test and entered as
        dummy variables (first category the reference) in the logistic model.
    later : str, optional
        The later wave (default: the last one).
    logistic, mcar : bool
        Run the logistic model and Little's test.
    mcar_variables : list of str, optional
        Variables of Little's test, taken at the first and the later wave (default: the
        numeric ``variables``).  Leave out variables that cannot change between waves (a
        founding year): at both waves they are perfectly correlated, the EM covariance is
        singular and the test is not computed (a warning says so).

    Returns
    -------
    Attrition

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rsnprop.panel import link_waves
    >>> rng = np.random.default_rng(3)
    >>> w1 = pd.DataFrame({"id": range(80), "x": rng.normal(size=80), "g": rng.integers(0, 2, 80)})
    >>> w2 = w1.iloc[:60].assign(x=lambda d: d.x + rng.normal(size=60))
    >>> res = attrition(link_waves({"1": w1, "2": w2}, "id", salt="s"), ["x", "g"], categorical=["g"])
    >>> res.counts[-1]["stayed"], res.counts[-1]["left"], res.mcar["df"]
    (60, 20, 1)
    """
    variables, categorical = list(variables), list(categorical)
    later = _later_wave(panel, later)
    first = panel.waves[0]
    _check_variables(panel.data, variables, categorical)
    base = panel.data.loc[panel.data["wave"] == first].set_index("panel_id")
    stayed = base.index.isin(panel.firms_in(later))
    counts = [_retention(panel, w, base.index) for w in panel.waves[1:]]
    profile = pd.DataFrame([_compare(base[v], stayed, v, v in categorical) for v in variables])
    warnings: list = []
    numeric = [v for v in variables if v not in categorical]
    tested = numeric if mcar_variables is None else list(mcar_variables)
    if tested:
        _check_variables(panel.data, tested, [])
    mcar_res = _mcar(panel, tested, first, later, warnings) if mcar and tested else None
    logit = _logistic(base, stayed, numeric, categorical, warnings) if logistic else None
    return Attrition(first=first, later=later, counts=counts, profile=profile, mcar=mcar_res,
                     logistic=logit, warnings=warnings)


def _later_wave(panel: PanelLink, later) -> str:
    if later is None:
        return panel.waves[-1]
    if str(later) not in panel.waves[1:]:
        raise InputError(f"not a later wave of this panel ({', '.join(panel.waves[1:])})",
                         parameter="later", value=later)
    return str(later)


def _check_variables(data, variables, categorical) -> None:
    if not variables:
        raise InputError("name at least one first-wave variable", parameter="variables")
    for v in variables + categorical:
        if v not in data.columns:
            raise InputError("no such column in the panel", parameter="variables", column=v)
    for v in categorical:
        if v not in variables:
            raise InputError("is categorical but not among the variables",
                             parameter="categorical", column=v)
    for v in variables:
        if v not in categorical and not pd.api.types.is_numeric_dtype(data[v]):
            raise InputError("is not numeric: name it in --categorical", parameter="variables",
                             column=v)


def _retention(panel: PanelLink, wave: str, base_ids) -> dict:
    kept = int(base_ids.isin(panel.firms_in(wave)).sum())
    n = len(base_ids)
    return {"wave": wave, "n_first": n, "stayed": kept, "left": n - kept,
            "retention": kept / n if n else float("nan")}


def _compare(x: pd.Series, stayed: np.ndarray, name: str, categorical: bool) -> dict:
    """First-wave profile of stayers vs leavers for one variable, with its test."""
    ok = x.notna().to_numpy()
    row = {"variable": name, "n": int(ok.sum()), "n_total": int(len(x))}
    if categorical:
        table = pd.crosstab(x[ok], stayed[ok])
        row.update(kind="categorical", test="Pearson chi-square (no continuity correction)")
        row.update(stayed=_shares(x[ok & stayed]), left=_shares(x[ok & ~stayed]))
        if table.shape[0] < 2 or table.shape[1] < 2:
            return {**row, "statistic": None, "df": None, "pvalue": None}
        chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
        return {**row, "statistic": float(chi2), "df": float(dof), "pvalue": float(p)}
    a, b = x[ok & stayed].astype(float), x[ok & ~stayed].astype(float)
    row.update(kind="numeric", test="Welch t test (two-sided)", stayed=_mean(a), left=_mean(b))
    if len(a) < 2 or len(b) < 2:
        return {**row, "statistic": None, "df": None, "pvalue": None}
    t = stats.ttest_ind(a, b, equal_var=False)
    return {**row, "statistic": float(t.statistic), "df": float(t.df), "pvalue": float(t.pvalue)}


def _mean(x: pd.Series):
    return float(x.mean()) if len(x) else None


def _shares(x: pd.Series) -> str:
    """Category shares as text, e.g. ``"0: 40.0 %, 1: 60.0 %"`` (sorted categories)."""
    if not len(x):
        return ""
    shares = x.value_counts(normalize=True).sort_index()
    return ", ".join(f"{k}: {100 * v:.1f} %" for k, v in shares.items())


def _mcar(panel: PanelLink, numeric, first, later, warnings) -> dict | None:
    wide = panel_wide(panel, numeric, waves=[first, later])
    try:
        return little_mcar(wide).to_dict()
    except (InputError, np.linalg.LinAlgError) as err:
        warnings.append(f"Little's MCAR test not computed: {err}")
        return None


def panel_wide(panel: PanelLink, variables, waves=None) -> pd.DataFrame:
    """One row per firm of the first wave, columns ``<variable>@<wave>`` (missing where the firm
    did not answer that wave)."""
    waves = list(waves or panel.waves)
    base = panel.data.loc[panel.data["wave"] == panel.waves[0], "panel_id"]
    parts = []
    for w in waves:
        d = panel.data.loc[panel.data["wave"] == w].set_index("panel_id")[list(variables)]
        parts.append(d.reindex(base.to_numpy()).add_suffix(f"@{w}"))
    return pd.concat(parts, axis=1)


def _design(base, numeric, categorical):
    X = base[numeric].astype(float)
    for c in categorical:
        X = X.join(pd.get_dummies(base[c], prefix=c, drop_first=True, dtype=float))
    return X


def _logistic(base, stayed, numeric, categorical, warnings) -> dict | None:
    X = _design(base, numeric, categorical)
    y = pd.Series(stayed.astype(float), index=base.index)
    ok = X.notna().all(axis=1).to_numpy()
    if y[ok].nunique() < 2 or ok.sum() <= X.shape[1] + 1:
        warnings.append("logistic model of staying not fitted: too few firms or no one left")
        return None
    try:
        fit = Logit(y[ok], add_constant(X[ok], has_constant="add")).fit(disp=0, maxiter=200)
    except (np.linalg.LinAlgError, ValueError) as err:  # perfect separation, singular design
        warnings.append(f"logistic model of staying not fitted: {err}")
        return None
    ci = fit.conf_int(alpha=0.05)
    rows = [{"term": t, "est": float(fit.params[t]), "se": float(fit.bse[t]),
             "z": float(fit.tvalues[t]), "pvalue": float(fit.pvalues[t]),
             "odds_ratio": float(np.exp(fit.params[t])), "or_ci_lower": float(np.exp(ci.loc[t, 0])),
             "or_ci_upper": float(np.exp(ci.loc[t, 1]))} for t in fit.params.index]
    return {"model": "logit(P(stayed)) on first-wave variables", "ci_level": 0.95,
            "ci": "Wald (two-sided)", "n": int(ok.sum()), "n_total": int(len(ok)),
            "coefficients": rows, "converged": bool(fit.mle_retvals.get("converged", True)),
            "lr_test": {"chi2": float(fit.llr), "df": int(fit.df_model),
                        "pvalue": float(fit.llr_pvalue)}}
