"""Common-method variance (CMV) checks, each reported with its known limits.

* :func:`harman` -- Harman's single-factor test: share of the items' variance taken by one
  unrotated factor (``psych::fa(x, 1, rotate = "none")$Vaccounted``) and by the first
  principal component (``psych::principal(x, 1)``).  Conventionally CMV is "a concern" when
  one factor explains the majority (> 50 %).  Limits: insensitive (a single factor rarely
  dominates even with substantial CMV), cannot control for CMV, and a failure to find one
  factor is no evidence of its absence (Podsakoff et al. 2003).
* :func:`common_latent_factor` -- unmeasured latent method construct: the CFA is refitted
  with a method factor loading on every item (equal unstandardised loadings, orthogonal to
  the traits); the standardised trait loadings with and without it are compared (a drop of
  more than 0.2 is flagged) and the chi-square difference tested.  Limits: the method factor
  can absorb true trait covariance, is weakly identified, and its meaning is unknown
  (Richardson, Simmering & Sturman 2009).
* :func:`marker_variable` -- Lindell & Whitney (2001): correlations are adjusted by
  ``r_M``, the smallest positive correlation between a theoretically unrelated marker and
  the items, ``r_A = (r - r_M)/(1 - r_M)``, tested with ``t = r_A / sqrt((1 - r_A^2)/(n-3))``.
  Limits: assumes CMV affects every item equally and that the marker is truly unrelated to
  the constructs; the choice of ``r_M`` matters.

Examples
--------
>>> from rsnprop.measure import harman
>>> from rsnprop.datasets import holzinger_swineford
>>> res = harman(holzinger_swineford(), [f"x{i}" for i in range(1, 10)])
>>> round(res.pc_share, 3)        # psych::principal(x, 1)$Vaccounted[2, 1]
0.357
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import RsnpropWarning
from ..results import jsonsafe
from ._matrix import check_singular, single_threaded
from .construct_validity import fit_cfa, parse_measurement
from .factor import fa_matrix
from .item_data import apply_missing, cor_matrix, select_items
from .statistics import NamedStatistics

__all__ = ["harman", "marker_variable", "common_latent_factor", "HARMAN_LIMIT", "CLF_DELTA",
           "HarmanResult", "MarkerVariableResult", "CommonLatentFactorResult"]

HARMAN_LIMIT = 0.5
CLF_DELTA = 0.2

HARMAN_LIMITS = ("Harman's test is insensitive: one factor rarely explains most of the "
                 "variance even when method variance is substantial; passing it is not "
                 "evidence that common-method variance is absent (Podsakoff et al. 2003).")
CLF_LIMITS = ("The common latent factor can absorb trait covariance and is weakly identified; "
              "treat loading changes as indicative only (Richardson et al. 2009).")
MARKER_LIMITS = ("The marker-variable correction assumes equal method effects on all items "
                 "and a marker unrelated to the constructs (Lindell & Whitney 2001).")


class HarmanResult(NamedStatistics):
    """Result of :func:`harman` (see there for the statistics)."""

    title = "Harman's single-factor test"

    def headline(self) -> list:
        """The two shares and the verdict, then the test's limits."""
        return [f"one factor explains {self.fa_share:.1%} (factor), {self.pc_share:.1%} "
                f"(component); concern: {self.concern}", self.limits]

    def to_frame(self):
        """One row: ``n, n_items, fa_share, pc_share, threshold, concern``."""

        keys = ("n", "n_items", "fa_share", "pc_share", "threshold", "concern")
        return pd.DataFrame([{k: self[k] for k in keys}])


class MarkerVariableResult(NamedStatistics):
    """Result of :func:`marker_variable` (see there for the statistics)."""

    title = "Marker-variable adjustment (Lindell & Whitney)"

    def headline(self) -> list:
        """``r_M`` and the correlations that lose significance."""
        return [f"marker {self.marker}: r_M = {self.r_m:.3f}; {len(self.changed)} correlation(s) "
                "lose significance", self.limits]

    def to_dict(self) -> dict:
        """The statistics, JSON-safe, with ``adjusted`` and ``p`` as nested lists (rows in
        the order of ``items``, which is added), as in measurement.json."""
        values = {k: (v.to_numpy().tolist() if hasattr(v, "to_numpy") else v)
                  for k, v in self._values.items()}
        return jsonsafe(dict(values, items=list(self.adjusted.index)))

    def to_frame(self):
        """One row per item: its correlation with the marker."""

        return pd.DataFrame({"item": list(self.r_marker), "r_marker": list(self.r_marker.values())})


class CommonLatentFactorResult(NamedStatistics):
    """Result of :func:`common_latent_factor` (see there for the statistics)."""

    title = "Common latent factor"

    def headline(self) -> list:
        """Method variance, loadings that change, the chi-square difference."""
        mv = self.method_variance
        return [("not interpretable (negative method variance)" if mv is None else
                 f"method variance {mv:.1%}, {self.n_flagged} loading(s) change by more than "
                 f"{self.delta_threshold}")
                + (f"; chi2 diff = {self.chi2_diff:.2f}, p = {self.p_diff:.3g}"
                   if self.chi2_diff is not None else ""), self.limits]

    def to_frame(self):
        """One row per item: standardised loading without and with the method factor."""

        return pd.DataFrame(self["items"])


@single_threaded
def harman(data, items=None, *, missing: str = "listwise", fm: str = "minres") -> HarmanResult:
    """Harman's single-factor test.

    Returns a :class:`HarmanResult`: ``fa_share`` (one unrotated factor, psych::fa), ``pc_share`` (first principal
    component), ``concern`` (either share above 0.5), ``limits`` (str), ``n``.
    """

    frame = apply_missing(select_items(data, items), missing)
    r = cor_matrix(frame, missing)

    warn: list = []
    check_singular(r, "item correlation matrix", warn)
    f1 = fa_matrix(r, 1, fm=fm, rotate="none", warn_list=warn)
    ev = np.sort(np.linalg.eigvalsh(r))[::-1]
    fa_share = float(f1.prop_var[0])
    pc_share = float(ev[0] / r.shape[0])
    return HarmanResult({"n": int(len(frame)), "n_items": int(r.shape[0]), "fa_share": fa_share,
                         "pc_share": pc_share, "threshold": HARMAN_LIMIT,
                         "concern": bool(max(fa_share, pc_share) > HARMAN_LIMIT),
                         "limits": HARMAN_LIMITS, "warnings": warn})


def marker_variable(data, items, marker: str, *, r_m: float | None = None) -> MarkerVariableResult:
    """Lindell-Whitney marker-variable adjustment of the item correlations.

    Returns a :class:`MarkerVariableResult`: ``r_m``, ``r_marker`` (marker-item correlations), ``adjusted`` and ``p``
    (DataFrames), ``changed`` (pairs significant at 0.05 before and not after), ``n``.
    """

    frame = select_items(data, list(items) + [marker], min_items=3).dropna()
    its = list(items)
    X = frame[its].to_numpy()
    m = frame[marker].to_numpy()
    n = len(frame)
    R = np.corrcoef(X, rowvar=False)
    rmk = np.array([np.corrcoef(X[:, j], m)[0, 1] for j in range(X.shape[1])])
    if r_m is None:
        pos = rmk[rmk > 0]
        r_m = float(pos.min()) if pos.size else float(np.abs(rmk).min())
    RA = (R - r_m) / (1 - r_m)
    np.fill_diagonal(RA, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = RA / np.sqrt((1 - RA ** 2) / (n - 3))
        t0 = R / np.sqrt((1 - R ** 2) / (n - 3))
    p = 2 * stats.t.sf(np.abs(t), n - 3)
    p0 = 2 * stats.t.sf(np.abs(t0), n - 3)
    np.fill_diagonal(p, np.nan)
    changed = [(its[i], its[j]) for i in range(len(its)) for j in range(i + 1, len(its))
               if p0[i, j] < 0.05 <= p[i, j]]
    return MarkerVariableResult({"n": n, "marker": marker, "r_m": float(r_m),
                                 "r_marker": dict(zip(its, rmk.tolist())),
                                 "adjusted": pd.DataFrame(RA, index=its, columns=its),
                                 "p": pd.DataFrame(p, index=its, columns=its), "changed": changed,
                                 "limits": MARKER_LIMITS})


@single_threaded
def common_latent_factor(data, model: str, *, base_fit=None, delta: float = CLF_DELTA,
                         missing: str = "listwise") -> CommonLatentFactorResult:
    """Compare standardised loadings with and without a common latent (method) factor.

    ``missing="fiml"`` fits both models by full-information ML (lavaan ``missing = "ml"``).

    Returns a :class:`CommonLatentFactorResult`: ``items`` (list of dicts: construct, item,
    std_base, std_clf, method_loading, delta, flagged), ``method_variance`` (mean squared standardised method loading),
    ``chi2_diff``, ``df_diff``, ``p_diff``, ``converged``, ``warnings``, ``limits``.

    Notes
    -----
    R: ``cfa(model)`` vs ``cfa(paste(model, "CMV =~ 1*x1 + ... ; CMV ~~ 0*F1 + ..."))``,
    ``anova(base, clf)``.
    """

    constructs = parse_measurement(model)
    items = list(dict.fromkeys(i for f in constructs for i in constructs[f]))
    frame = select_items(data, items, min_items=2)
    frame = frame[frame.notna().any(axis=1)] if missing == "fiml" else frame.dropna()
    warn: list = []
    name = _method_factor_name(constructs, items)
    m2 = (model.rstrip() + f"\n{name} =~ " + " + ".join(f"1*{i}" for i in items) + "\n"
          + "\n".join(f"{name} ~~ 0*{f}" for f in constructs))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        base = base_fit if base_fit is not None else fit_cfa(model, frame, missing=missing)
        clf = fit_cfa(m2, frame, missing=missing)
    _note_estimation_warnings(caught, warn)
    rows = _loading_changes(base.estimates, clf.estimates, constructs, name, delta)
    chi_b, chi_c = base.fit.get("chi2"), clf.fit.get("chi2")
    df_b, df_c = base.fit.get("df"), clf.fit.get("df")
    chi_d, df_d, p_d = _chi2_difference(chi_b, chi_c, df_b, df_c)
    ec = clf.estimates
    mvar = ec[(ec["lhs"] == name) & (ec["op"] == "~~") & (ec["rhs"] == name)]["est"]
    heywood = bool(len(mvar) and float(mvar.iloc[0]) < 0)
    if heywood:
        warn.append("the method factor has a negative variance (Heywood case): the common "
                    "latent factor is not interpretable for these data")
        for r in rows:
            r["method_loading"] = None
    ml = np.array([np.nan if r["method_loading"] is None else r["method_loading"]
                   for r in rows], dtype=float)
    return CommonLatentFactorResult({
        "n": int(len(frame)), "items": rows, "method_factor": name,
        "method_variance": None if heywood else float(np.nanmean(ml ** 2)),
        "heywood": heywood, "delta_threshold": delta,
        "n_flagged": int(sum(r["flagged"] for r in rows)), "chi2_base": chi_b,
        "chi2_clf": chi_c, "df_base": df_b, "df_clf": df_c, "chi2_diff": chi_d,
        "df_diff": df_d, "p_diff": p_d,
        "converged": bool(base.converged and clf.converged), "warnings": warn,
        "limits": CLF_LIMITS})


def _method_factor_name(constructs: dict, items: list) -> str:
    """``CMV`` (with underscores appended while it names a construct or an item)."""
    name = "CMV"
    while name in constructs or name in items:
        name += "_"
    return name


def _note_estimation_warnings(caught, warn: list) -> None:
    """The first three distinct estimation warnings of the two fits, and how many more."""

    sem_msgs = list(dict.fromkeys(str(w.message) for w in caught
                                  if issubclass(w.category, RsnpropWarning)))
    for msg in sem_msgs[:3]:
        warn.append(f"common latent factor model: {msg}")
    if len(sem_msgs) > 3:
        warn.append(f"common latent factor model: {len(sem_msgs) - 3} further estimation "
                    "warning(s) (Heywood cases, non positive definite matrices)")


def _loading_changes(eb, ec, constructs: dict, name: str, delta: float) -> list:
    """One row per item: standardised trait loading without (``eb``) and with (``ec``) the
    method factor ``name``, its method loading, the change and whether it exceeds ``delta``."""
    base, clf = _first_loadings(eb), _first_loadings(ec)
    nan = float("nan")
    rows = []
    for f, its in constructs.items():
        for i in its:
            sb, sc, sm = base.get((f, i), nan), clf.get((f, i), nan), clf.get((name, i), nan)
            rows.append({"construct": f, "item": i, "std_base": sb, "std_clf": sc,
                         "method_loading": sm, "delta": sb - sc,
                         "flagged": bool(abs(sb - sc) > delta)})
    return rows


def _first_loadings(est) -> dict:
    """``{(factor, item): std_all}`` of the first ``=~`` row of each pair in the estimates table
    ``est`` (what selecting the rows of the pair and reading the first one gives), in one pass
    over the table instead of three column comparisons per item."""
    out: dict = {}
    lhs, op, rhs = (est[c].tolist() for c in ("lhs", "op", "rhs"))
    std = est["std_all"].to_numpy()
    for k, (a, o, b) in enumerate(zip(lhs, op, rhs)):
        if o == "=~" and (a, b) not in out:
            out[(a, b)] = float(std[k])
    return out


def _chi2_difference(chi_b, chi_c, df_b, df_c):
    """``(chi2_diff, df_diff, p)`` of the nested models (Nones when not computable)."""
    if None in (chi_b, chi_c, df_b, df_c) or not df_b > df_c:
        return None, None, None

    chi_d, df_d = chi_b - chi_c, df_b - df_c
    return chi_d, df_d, float(stats.chi2.sf(chi_d, df_d))
