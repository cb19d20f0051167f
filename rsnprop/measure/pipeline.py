"""The ``rsnprop measure`` pipeline step: measurement quality of every reflective construct
of an instrument, written as one JSON document (``build/measurement.json``).

The clean data set already holds reverse-keyed items (``rsnprop clean``), so nothing is
reversed here; ``reversed`` in the item table only records the instrument's keying.

measurement.json keys
---------------------
``schema``
    ``"rsnprop.measurement/1"``.
``instrument``
    ``{"name", "version", "hash"}`` of the instrument.
``n_rows``
    Rows in the clean data (each statistic also reports the ``n`` it used and the
    ``n_total`` it was given; a warning names every step that dropped rows).
``settings``
    ``{"missing": "listwise", "cfa_missing": "listwise"|"fiml" (the method actually used),
    "cfa_missing_requested": "auto"|"listwise"|"fiml", "n_boot", "seed", "ci_level",
    "cross_loading",
    "htmt_strict": 0.85, "htmt_liberal": 0.90, "ave_min": 0.5, "cr_min": 0.7, "marker"}``.
``constructs``
    Ids of the constructs measured (reflective, at least 3 usable items), instrument order.
``skipped``
    ``[{"construct", "reason"}]`` for constructs not measured (formative, too few items...).
``labels``
    ``{construct: label}``.
``reliability``
    ``{construct: <rsnprop reliability --json>}`` (alpha, Feldt and bootstrap CIs, omega,
    per-item statistics; psych::alpha / psych::omega).
``reliability_table``
    One row per construct: ``construct, label, n, n_total, n_items, alpha, alpha_ci_lower,
    alpha_ci_upper, alpha_boot_ci_lower, alpha_boot_ci_upper, alpha_std, omega_total, cr,
    omega_sem, ave, sqrt_ave`` (``cr``/``omega_sem``/``ave`` from the CFA; null without it).
``items``
    One row per item: ``item, construct, reversed, n, mean, sd, r_drop, alpha_if_deleted,
    std_loading`` (CFA), ``efa_primary``, ``efa_loading``, ``cross_loading`` (EFA flags).
``efa``
    ``<rsnprop efa --json>`` of all measured items with one factor per construct (minres,
    oblimin): KMO, Bartlett, parallel analysis, loadings with cross-loading flags; plus
    ``factor_constructs`` ``{factor: construct}`` (the construct most of whose items load
    primarily on the factor).
``cfa``
    ``{"model" (lavaan syntax), "converged", "n", "n_total", "missing", "fit" {chi2, df, pvalue, cfi, tli, rmsea,
    srmr...}, "loadings": [{"construct", "item", "est", "se", "std_all"}]}`` or null.
``validity``
    ``<rsnprop validity --json>``: per construct ``cr, omega, omega_model, ave, ave_std,
    sqrt_ave, std_loadings``; ``latent_correlations``, ``fornell_larcker`` pairs,
    ``htmt``/``htmt2`` matrices, ``htmt_pairs`` with bootstrap CIs and verdicts; or null.
``validity_matrix``
    ``{"constructs", "values"}``: sqrt(AVE) on the diagonal, latent correlations below, HTMT
    above (null without a CFA).
``cmv``
    ``{"harman": {...}, "common_latent_factor": {...} | null, "marker_variable": {...} |
    null}``; each with its ``limits`` text.
``warnings``
    Every warning of every step, prefixed with its step.

Examples
--------
>>> from rsnprop.measure.pipeline import measure_instrument   # doctest: +SKIP
>>> res = measure_instrument(clean_df, ins, n_boot=1000, seed=12345)  # doctest: +SKIP
>>> res.to_dict()["reliability_table"][0]["alpha"]                   # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

from ..errors import InputError, RsnpropError
from ..results import Result, jsonsafe
from ._matrix import single_threaded
from .cmv import common_latent_factor, harman, marker_variable
from .construct_validity import AVE_MIN, CR_MIN, HTMT_LIBERAL, HTMT_STRICT, fit_cfa, validity
from .exploratory import efa
from .internal_consistency import alpha

__all__ = ["measure_instrument", "MeasurementResult", "SCHEMA"]

SCHEMA = "rsnprop.measurement/1"


@dataclass(repr=False)
class MeasurementResult(Result):
    """Everything ``rsnprop measure`` computes (see the module docstring for the keys)."""

    data: dict
    warnings: list = field(default_factory=list)
    title: str = "Measurement model"

    def to_dict(self) -> dict:
        out = dict(self.data)
        out["warnings"] = list(self.warnings)
        return jsonsafe(out)

    def to_frame(self):
        return pd.DataFrame(self.data["reliability_table"])

    def headline(self) -> list:
        """Reliability per construct, the CFA fit and the rows used."""
        d = self.data
        out = [f"{r['construct']}: alpha = {r['alpha']:.3f} [Feldt {d['settings'].get('ci_level', 0.95):.0%} CI "
               f"{r['alpha_ci_lower']:.3f}, {r['alpha_ci_upper']:.3f}]"
               + (f", omega = {r['omega_total']:.3f}" if r.get("omega_total") is not None else "")
               + f" (n = {r['n']} of {r.get('n_total', d['n_rows'])})" for r in d["reliability_table"]]
        cfa = d.get("cfa")
        if cfa:
            f = cfa["fit"]
            out.append(f"CFA ({cfa.get('missing', d['settings'].get('cfa_missing'))}, n = {cfa['n']} of "
                       f"{cfa.get('n_total', d['n_rows'])}): " + ", ".join(
                           f"{k} = {f[k]:.3f}" for k in ("cfi", "tli", "rmsea", "srmr")
                           if isinstance(f.get(k), (int, float))))
        return out

    def frames(self) -> dict:
        """The tables of the result, by caption: reliability per construct, the validity
        matrix (when a CFA ran) and the item statistics."""

        d = self.data
        out = {"Reliability and convergent validity": self.to_frame()}
        vm = d.get("validity_matrix")
        if vm:
            matrix = pd.DataFrame(vm["values"], columns=vm["constructs"])
            matrix.insert(0, "construct", vm["constructs"])
            out["Validity matrix (diagonal sqrt(AVE), below latent correlations, above HTMT)"] = matrix
        out["Items"] = pd.DataFrame(d["items"])
        return out

    def to_html(self) -> str:
        """The tables of :meth:`frames`, each rendered as any result's table, then the
        warnings (escaped; no figure: the report draws the loadings heat map)."""

        parts = [f"<h3>{escape(caption)}</h3>" + _Table(frame).to_html()
                 for caption, frame in self.frames().items() if len(frame)]
        parts += [f"<p class='warning'>{escape(str(w))}</p>" for w in self.warnings]
        return "<section class='rsnprop-measurement'>" + "".join(parts) + "</section>"

    def summary(self) -> str:
        d = self.data
        lines = [f"{self.title}: {d['instrument']['name']} {d['instrument']['version']}, "
                 f"{d['n_rows']} rows, constructs: {', '.join(d['constructs'])}"]
        with pd.option_context("display.width", 140, "display.max_columns", 20,
                               "display.float_format", "{:.3f}".format):
            cols = ["construct", "n", "n_total", "n_items", "alpha", "alpha_ci_lower", "alpha_ci_upper",
                    "omega_total", "cr", "ave"]
            frame = self.to_frame()
            lines.append(frame[[c for c in cols if c in frame.columns]].to_string(index=False))
        if d.get("cfa"):
            f = d["cfa"]["fit"]
            method = {"fiml": "full-information ML", "listwise": "listwise deletion"}.get(
                d.get("settings", {}).get("cfa_missing"), "?")
            lines.append(f"CFA (n = {d['cfa']['n']} of {d['cfa'].get('n_total', d['n_rows'])} rows, "
                         f"missing data: {method}): " + ", ".join(
                f"{k} = {f[k]:.3f}" for k in ("chi2", "cfi", "tli", "rmsea", "srmr")
                if isinstance(f.get(k), (int, float))))
        if d.get("validity"):
            for p in d["validity"]["htmt_pairs"]:
                lines.append(f"HTMT {p['a']}-{p['b']} = {p['htmt']:.3f}: {p['verdict']}")
        h = d["cmv"]["harman"]
        if h:
            lines.append(f"Harman: one factor explains {h['fa_share']:.1%} (factor), "
                         f"{h['pc_share']:.1%} (component)")
        for s in d["skipped"]:
            lines.append(f"skipped {s['construct']}: {s['reason']}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class _Table(Result):
    """One table of a result, rendered by :meth:`Result.to_html`."""

    def __init__(self, frame):
        self.frame = frame

    def to_frame(self):
        return self.frame


@dataclass
class _Scope:
    """What is measured: the constructs with at least 3 usable items, those skipped and why,
    and the items of each measured construct."""

    measured: list
    skipped: list
    item_sets: dict

    @property
    def all_items(self) -> list:
        return [i for c in self.measured for i in self.item_sets[c]]

    @property
    def model(self) -> str:
        """lavaan syntax of the CFA: one factor per measured construct."""
        return "\n".join(f"{c} =~ " + " + ".join(self.item_sets[c]) for c in self.measured)


def _usable_items(frame, items, warn, construct):
    keep = []
    for it in items:
        if it not in frame.columns:
            warn.append(f"{construct}: item {it} is not in the data")
            continue
        s = pd.to_numeric(frame[it], errors="coerce")
        if s.notna().sum() < 3 or s.dropna().nunique() < 2:
            warn.append(f"{construct}: item {it} is constant or empty and was left out")
            continue
        keep.append(it)
    return keep


def _select_constructs(frame, ins, warn: list) -> _Scope:
    """The reflective constructs with at least 3 usable items (InputError when none)."""

    scope = _Scope([], [], {})
    for cid, con in ins.constructs.items():
        if not getattr(con, "reflective", True):
            scope.skipped.append({"construct": cid, "reason": "formative construct (no reliability "
                                  "or reflective validity statistics)"})
            continue
        items = _usable_items(frame, list(con.items), warn, cid)
        if len(items) < 3:
            scope.skipped.append({"construct": cid, "reason": f"only {len(items)} usable item(s); "
                                  "at least 3 are needed"})
            continue
        scope.measured.append(cid)
        scope.item_sets[cid] = items
    if not scope.measured:
        raise InputError("no reflective construct of the instrument has 3 usable items in the "
                         "data", parameter="instrument", value=getattr(ins, "name", None))
    return scope


def _reliability_by_construct(frame, scope: _Scope, warn: list, *, n_boot, seed, ci_level) -> dict:
    """:func:`alpha` (listwise) of every measured construct."""

    rel = {}
    for cid in scope.measured:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = alpha(frame, scope.item_sets[cid], missing="listwise", n_boot=n_boot, seed=seed,
                      ci_level=ci_level, scale=cid)
        rel[cid] = r
        warn.extend(f"reliability {cid}: {w}" for w in r.warnings)
    return rel


def _cfa_missing_method(frame, items: list, cfa_missing: str, warn: list) -> str:
    """The missing-data method of the CFA: ``"auto"`` is FIML when an item is missing."""

    n_complete = int(frame[items].apply(pd.to_numeric, errors="coerce").notna()
                     .all(axis=1).sum())
    if cfa_missing == "auto":
        cfa_missing = "fiml" if n_complete < len(frame) else "listwise"
    elif cfa_missing not in ("listwise", "fiml"):
        raise InputError("cfa_missing must be 'auto', 'listwise' or 'fiml'",
                         parameter="missing", value=cfa_missing)
    if n_complete < 0.8 * len(frame) and cfa_missing == "listwise":
        warn.append(f"listwise deletion over all {len(items)} items keeps {n_complete} of "
                    f"{len(frame)} rows for the EFA, CFA and common-method checks")
    return cfa_missing


def _efa_of_all_items(frame, scope: _Scope, warn: list, *, seed, cross_loading):
    """:func:`efa` of every measured item, one factor per construct (None when it fails)."""

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = efa(frame, scope.all_items, nfactors=len(scope.measured), missing="listwise",
                      seed=seed, cross_loading=cross_loading)
        warn.extend(f"efa: {w}" for w in res.warnings)
        return res
    except InputError as err:
        warn.append(f"efa: not computed ({err})")
        return None


def _factor_constructs(efa_res, scope: _Scope, warn: list) -> dict:
    """``{factor: construct}``: the construct most of whose items load primarily on the
    factor; warns when the factors do not reproduce the constructs one to one."""
    if efa_res is None:
        return {}
    by_factor: dict = {}
    for row in efa_res.loadings:
        owner = next((c for c in scope.measured if row["item"] in scope.item_sets[c]), None)
        by_factor.setdefault(row["primary"], []).append(owner)
    factor_constructs = {fac: max(dict.fromkeys(owners), key=owners.count)
                         for fac, owners in by_factor.items()}
    mapped = [factor_constructs.get(f) for f in efa_res.variance["ss_loadings"]]
    dup = {c for c in mapped if c is not None and mapped.count(c) > 1}
    missing_c = [c for c in scope.measured if c not in mapped]
    if dup or missing_c:
        warn.append("efa: the exploratory factors do not reproduce the instrument's "
                    "constructs one to one (" + ", ".join(
                        [f"{c} dominates several factors" for c in sorted(dup)]
                        + [f"no factor for {c}" for c in missing_c]) + ")")
    return factor_constructs


def _cfa_data(frame, items: list, method: str):
    """The CFA's rows: those with any item value (FIML) or the complete ones (listwise)."""

    data = frame[items].apply(pd.to_numeric, errors="coerce")
    return data[data.notna().any(axis=1)] if method == "fiml" else data.dropna()


def _cfa_and_validity(frame, cfa_data, scope: _Scope, method: str, warn: list, *, n_boot, seed,
                      ci_level):
    """The CFA of all constructs and :func:`validity` from it; ``(None, None)`` with a
    warning when estimation fails."""

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_cfa(scope.model, cfa_data, missing=method)
            val = validity(cfa_data, scope.model, n_boot=n_boot, seed=seed, level=ci_level,
                           fit=fit, missing=method)
        if fit.n < len(frame):
            warn.append(f"cfa: {fit.n} of {len(frame)} rows used ({method}: "
                        + ("incomplete rows dropped)" if method == "listwise"
                           else "rows without any item value dropped)"))
        warn.extend(f"validity: {w}" for w in val.warnings)
        return fit, val
    except Exception as err:  # noqa: BLE001 - estimation trouble must not stop the step
        if not isinstance(err, (RsnpropError, np.linalg.LinAlgError, ValueError, RuntimeError)):
            raise
        warn.append(f"cfa: not estimated ({err})")
        return None, None


def _cmv_checks(frame, cfa_data, scope: _Scope, fit, method: str, marker, warn: list) -> dict:
    """Harman's test, the common latent factor (with a CFA) and the marker variable."""

    out: dict = {"harman": None, "common_latent_factor": None, "marker_variable": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["harman"] = harman(frame, scope.all_items)
        if fit is not None:
            try:
                clf = common_latent_factor(cfa_data, scope.model, base_fit=fit, missing=method)
                out["common_latent_factor"] = clf
                warn.extend(f"common latent factor: {w}" for w in clf.warnings)
            except Exception as err:  # noqa: BLE001
                warn.append(f"common latent factor: not estimated ({err})")
        if marker is not None:
            out["marker_variable"] = marker_variable(frame, scope.all_items, marker).to_dict()
    if out["harman"].concern:
        warn.append("cmv: one factor explains more than half of the item variance (Harman)")
    return out


def _cfa_loadings(fit) -> list:
    """One row per CFA loading: ``construct, item, est, se, std_all``."""
    if fit is None:
        return []
    est = fit.estimates
    lam = est[est["op"] == "=~"]
    return [{"construct": row["lhs"], "item": row["rhs"], "est": row["est"], "se": row["se"],
             "std_all": row["std_all"]} for _, row in lam.iterrows()]


def _items_table(ins, scope: _Scope, rel: dict, efa_res, loadings: list) -> list:
    """One row per measured item: keying, item statistics, CFA and EFA loadings."""
    efa_rows = {r["item"]: r for r in (efa_res.loadings if efa_res else [])}
    std = {row["item"]: row["std_all"] for row in loadings}
    rows = []
    for cid in scope.measured:
        stats_by_item = {r["item"]: r for r in rel[cid].items}
        for it in scope.item_sets[cid]:
            s = stats_by_item[it]
            e = efa_rows.get(it, {})
            fac = e.get("primary")
            rows.append({
                "item": it, "construct": cid, "reversed": bool(ins.items[it].reverse)
                if it in ins.items else False,
                "n": s["n"], "mean": s["mean"], "sd": s["sd"], "r_drop": s["r_drop"],
                "alpha_if_deleted": s["alpha_if_deleted"], "std_loading": std.get(it),
                "efa_primary": fac, "efa_loading": e.get(fac) if fac else None,
                "cross_loading": e.get("cross_loading")})
    return rows


def _reliability_table(ins, scope: _Scope, rel: dict, val) -> list:
    """One row per construct: alpha and its intervals, omega, and CR/AVE from the CFA."""
    rows = []
    for cid in scope.measured:
        r = rel[cid]
        v = val.constructs.get(cid) if val is not None else None
        rows.append({
            "construct": cid, "label": ins.constructs[cid].label, "n": r.n, "n_total": r.n_total,
            "n_items": r.n_items, "alpha": r.alpha, "alpha_ci_lower": r.alpha_ci_lower,
            "alpha_ci_upper": r.alpha_ci_upper, "alpha_boot_ci_lower": r.alpha_boot_ci_lower,
            "alpha_boot_ci_upper": r.alpha_boot_ci_upper, "alpha_std": r.alpha_std,
            "omega_total": r.omega_total, "cr": v["cr"] if v else None,
            "omega_sem": v["omega"] if v else None, "ave": v["ave"] if v else None,
            "sqrt_ave": v["sqrt_ave"] if v else None})
    return rows


def _validity_matrix(val):
    """sqrt(AVE) on the diagonal, latent correlations below, HTMT above (None without CFA)."""
    if val is None:
        return None
    m = val.matrix_frame()
    return {"constructs": list(m.columns), "values": m.to_numpy().tolist(),
            "diagonal": "sqrt_ave", "lower": "latent_correlation", "upper": "htmt"}


def _settings(method: str, requested: str, *, n_boot, seed, ci_level, cross_loading, marker) -> dict:
    """measurement.json's ``settings``."""

    return {"missing": "listwise", "cfa_missing": method,
            **({"cfa_missing_requested": requested} if requested == "auto" else {}),
            "n_boot": int(n_boot), "seed": seed, "ci_level": ci_level,
            "cross_loading": cross_loading, "htmt_strict": HTMT_STRICT,
            "htmt_liberal": HTMT_LIBERAL, "ave_min": AVE_MIN, "cr_min": CR_MIN, "marker": marker}


@single_threaded
def measure_instrument(data, instrument, *, n_boot: int = 1000, seed: int | None = 12345,
                       ci_level: float = 0.95, cross_loading: float = 0.3,
                       marker: str | None = None, cfa: bool = True, cmv: bool = True,
                       cfa_missing: str = "auto") -> MeasurementResult:
    """Reliability of every reflective construct, an EFA of their items, a CFA of all of
    them with validity (CR, AVE, Fornell-Larcker, HTMT) and common-method checks.

    Parameters
    ----------
    data : DataFrame
        Clean data (reverse keyed already).
    instrument : Instrument (``rsnprop.instrument.load_instrument``) or a path to its YAML.
    n_boot, seed : bootstrap resamples (alpha and HTMT intervals) and their seed.
    marker : str, optional
        Column of a theoretically unrelated marker variable for the Lindell-Whitney check.
    cfa, cmv : set False to skip the CFA-based parts (validity, common latent factor).
    cfa_missing : {"auto", "listwise", "fiml"}
        Missing data in the CFA, validity (omega, AVE, HTMT from the EM covariance matrix)
        and the common-latent-factor model.  Reliability, EFA and Harman stay listwise.
        ``"auto"`` (the default) uses full-information ML (lavaan ``missing = "ml"``) when
        any CFA item has a missing value -- every firm with at least one answer is kept
        instead of the complete cases only -- and listwise deletion (identical to FIML then)
        on complete data.  The method used is ``settings.cfa_missing`` (and printed by
        ``summary()``); ``"listwise"`` keeps the complete-case analysis available.  The
        ``rsnprop measure`` command has the same default (``--missing auto``).
    """

    if isinstance(instrument, (str, bytes)) or hasattr(instrument, "__fspath__"):
        from ..instrument import load_instrument

        instrument = load_instrument(instrument)
    ins = instrument
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    warn: list = []
    scope = _select_constructs(frame, ins, warn)
    if marker is not None and marker not in frame.columns:
        raise InputError("marker variable is not in the data", column=marker, parameter="marker")
    rel = _reliability_by_construct(frame, scope, warn, n_boot=n_boot, seed=seed,
                                    ci_level=ci_level)
    method = _cfa_missing_method(frame, scope.all_items, cfa_missing, warn)
    efa_res = _efa_of_all_items(frame, scope, warn, seed=seed, cross_loading=cross_loading)
    factor_constructs = _factor_constructs(efa_res, scope, warn)
    cfa_data = _cfa_data(frame, scope.all_items, method) if cfa else None
    fit, val = (_cfa_and_validity(frame, cfa_data, scope, method, warn, n_boot=n_boot, seed=seed,
                                  ci_level=ci_level) if cfa else (None, None))
    cmv_out = (_cmv_checks(frame, cfa_data, scope, fit, method, marker, warn) if cmv else
               {"harman": None, "common_latent_factor": None, "marker_variable": None})
    loadings = _cfa_loadings(fit)
    out = {
        "schema": SCHEMA,
        "instrument": {"name": ins.name, "version": ins.version, "hash": ins.hash},
        "n_rows": int(len(frame)),
        "settings": _settings(method, cfa_missing, n_boot=n_boot, seed=seed, ci_level=ci_level,
                              cross_loading=cross_loading, marker=marker),
        "constructs": scope.measured, "skipped": scope.skipped,
        "labels": {c: ins.constructs[c].label for c in scope.measured},
        "reliability": {c: rel[c].to_dict() for c in scope.measured},
        "reliability_table": _reliability_table(ins, scope, rel, val),
        "items": _items_table(ins, scope, rel, efa_res, loadings),
        "efa": (dict(efa_res.to_dict(), factor_constructs=factor_constructs)
                if efa_res else None),
        "cfa": None if fit is None else {
            "model": scope.model, "converged": bool(fit.converged), "n": int(fit.n),
            "n_total": int(len(frame)), "missing": method,
            "fit": {k: v for k, v in dict(fit.fit).items()}, "loadings": loadings},
        "validity": val.to_dict() if val is not None else None,
        "validity_matrix": _validity_matrix(val), "cmv": cmv_out,
    }
    return MeasurementResult(data=jsonsafe(out), warnings=warn)
