"""Latent population model -> true latent scores -> Likert item responses.

Model (within group ``g``, firm ``i``, construct ``c``)::

    eta_ic = mu_gc + b_gc (phase_i - E_g[phase]) + s_c size_i + (e_c[sector_i] - E_g[e_c]) + zeta_ic
    zeta_i ~ N(0, Psi)          Psi = within-group residual correlation matrix (unit diagonal)
    y*_ij  = lambda_j eta_ic + sqrt(1 - lambda_j^2) eps_ij + delta_gj,   eps_ij ~ N(0, 1)
    x_ij   = min + #{k : y*_ij > tau_jk}

``delta_gj`` is 0 except for the items with differential item functioning (scenario ``dif``:
``size`` in the named group).  Covariates are centred within group, so ``mu_gc`` is exactly the group mean of ``eta_c``.  The
thresholds ``tau_jk = Phi^-1(F_k)`` come from the cumulative probabilities ``F_k`` of a
Beta(2(1 + s), 2(1 - s)) distribution at the category edges ``k / K``: ``s = 0`` gives a
symmetric distribution over the K categories, ``s > 0`` skews answers towards "agree".

Examples
--------
>>> from rsnprop.simulate.population import likert_thresholds
>>> [round(t, 3) for t in likert_thresholds(5, 0.0)]
[-1.259, -0.38, 0.38, 1.259]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..errors import SpecificationError
from ..results import Result, jsonsafe
from .scenarios import GROUPS, Scenario, get_scenario

__all__ = ["PopulationParameters", "population_parameters", "likert_thresholds",
           "simulate_latent", "simulate_likert", "likert_arrays", "latent_arrays", "column_of", "n_rows",
           "scale_items", "instrument_constructs"]

PHASES = (1, 2, 3, 4)


def likert_thresholds(k: int, skew: float) -> list[float]:
    """Thresholds of a ``k``-category item with threshold skew ``skew`` (see module doc).

    R: ``qnorm(pbeta((1:(k-1))/k, 2*(1+skew), 2*(1-skew)))``.
    """

    a, b = 2.0 * (1.0 + skew), 2.0 * (1.0 - skew)
    cum = special.betainc(a, b, [j / k for j in range(1, k)])
    return [float(x) for x in special.ndtri(cum)]


def _item_type(item) -> str:
    return str(getattr(item, "type", "") or "")


def _scale(item):
    sc = getattr(item, "scale", None)
    if sc is None:
        return None
    lo, hi = getattr(sc, "min", None), getattr(sc, "max", None)
    if lo is None or hi is None:
        return None
    return int(lo), int(hi)


def scale_items(instrument, construct: str) -> list[str]:
    """Ids of the construct's items that are answered on a numeric (Likert) scale."""
    con = instrument.constructs[construct]
    out = []
    for iid in con.items:
        item = instrument.items.get(iid)
        if item is None or getattr(item, "attention_check", None):
            continue
        if _item_type(item) in ("likert", "integer", "rating") and _scale(item) is not None:
            out.append(iid)
    return out


def instrument_constructs(instrument) -> list[str]:
    """Construct ids of the instrument with at least one scale item (instrument order)."""
    return [cid for cid in instrument.constructs if scale_items(instrument, cid)]


class PopulationParameters(Result):
    """True (population) parameters of a scenario applied to an instrument.

    Attributes
    ----------
    scenario : str
    constructs : list of str
    means : dict group -> construct -> latent mean
    psi : nested dict, within-group residual correlations
    cov : dict group -> nested dict, total within-group latent covariance (covariates included)
    d_between : dict construct -> standardised born_global - traditional difference
        (``(mu_bg - mu_trad) / sqrt((var_trad + var_bg) / 2)`` with total within-group variances)
    contrasts : dict group -> {"diff", "sd", "dz"} of ``relational - informational``
    items : dict item -> {"construct", "loading", "thresholds", "reverse", "min", "max", "dif"}
        (``dif``: ``{group: shift of y*}``, empty without differential item functioning)
    expected : dict proposition -> the verdict the truth implies ("supported", "contradicted",
        "equivalent")
    """

    title = "Population (true) parameters"

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def to_dict(self) -> dict:
        keys = ("scenario", "bg_share", "constructs", "means", "psi", "cov", "d_between",
                "contrasts", "items", "expected", "phase_mean", "phase_slopes", "size_slopes",
                "sector_effects")
        return jsonsafe({k: getattr(self, k) for k in keys})

    def to_frame(self):
        rows = []
        for c in self.constructs:
            rows.append({"construct": c, "mean_traditional": self.means["traditional"][c],
                         "mean_born_global": self.means["born_global"][c],
                         "d_between": self.d_between[c],
                         "n_items": sum(1 for v in self.items.values() if v["construct"] == c)})
        return pd.DataFrame(rows)


def _psi_matrix(sc: Scenario, constructs: list[str]):
    k = len(constructs)
    psi = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            psi[a, b] = psi[b, a] = sc.correlation(constructs[a], constructs[b])
    if np.linalg.eigvalsh(psi).min() <= 1e-8:
        raise SpecificationError("the latent correlations are not positive definite",
                                 parameter="correlations", value=sc.name)
    return psi


def population_parameters(instrument, scenario="p1p2") -> PopulationParameters:
    """The true parameters behind :func:`rsnprop.simulate.simulate_study`.

    Parameters
    ----------
    instrument : Instrument
        As returned by :func:`rsnprop.instrument.load_instrument`.
    scenario : str, path, dict or Scenario

    Returns
    -------
    PopulationParameters

    Examples
    --------
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> pp = population_parameters(ins, "p1p2")
    >>> round(pp.contrasts["born_global"]["diff"], 2), pp.d_between["intl_approach"], pp.expected
    (0.35, 1.2, {'P1': 'supported', 'P2': 'supported'})
    """

    sc = get_scenario(scenario)
    constructs = instrument_constructs(instrument)
    psi = _psi_matrix(sc, constructs)
    means = {g: {c: sc.mean(g, c) for c in constructs} for g in GROUPS}
    phase_mean, cov = {}, {}
    for g in GROUPS:
        p = np.asarray(sc.facts.phase_probs[g])
        ph = np.asarray(PHASES, dtype=float)
        m = float(p @ ph)
        v = float(p @ (ph - m) ** 2)
        phase_mean[g] = m
        slope = np.array([sc.phase_slopes.get(g, {}).get(c, 0.0) for c in constructs])
        size = np.array([sc.size_slopes.get(c, 0.0) for c in constructs])
        sprob = sc.facts.sector_probs[g]
        E = np.array([[sc.sector_effects.get(s, {}).get(c, 0.0) for c in constructs] for s in sprob])
        w = np.array(list(sprob.values()))
        Ec = E - w @ E
        sector_cov = (Ec * w[:, None]).T @ Ec
        total = psi + v * np.outer(slope, slope) + np.outer(size, size) + sector_cov
        cov[g] = total
    d_between = {}
    for j, c in enumerate(constructs):
        sd = np.sqrt((cov["traditional"][j, j] + cov["born_global"][j, j]) / 2)
        d_between[c] = (means["born_global"][c] - means["traditional"][c]) / sd
    contrasts, expected = {}, {}
    if "relational" in constructs and "informational" in constructs:
        r, i = constructs.index("relational"), constructs.index("informational")
        for g in GROUPS:
            diff = means[g]["relational"] - means[g]["informational"]
            var = cov[g][r, r] + cov[g][i, i] - 2 * cov[g][r, i]
            contrasts[g] = {"diff": diff, "sd": float(np.sqrt(var)), "dz": diff / float(np.sqrt(var))}

        def verdict(x):
            return "equivalent" if abs(x) < 1e-12 else ("supported" if x > 0 else "contradicted")

        expected = {"P1": verdict(-contrasts["traditional"]["diff"]),
                    "P2": verdict(contrasts["born_global"]["diff"])}
    items = {}
    for c, lam_c in zip(constructs, _construct_loadings(sc, instrument, constructs)):
        for iid, lam in zip(scale_items(instrument, c), lam_c):
            lo, hi = _scale(instrument.items[iid])
            items[iid] = {"construct": c, "loading": lam, "min": lo, "max": hi,
                          "reverse": bool(getattr(instrument.items[iid], "reverse", False)),
                          "thresholds": likert_thresholds(hi - lo + 1, sc.skew_of(c)), "dif": {}}
    _apply_dif(sc, instrument, items)
    return PopulationParameters(
        scenario=sc.name, bg_share=sc.bg_share, constructs=constructs, means=means,
        psi={a: {b: float(psi[x, y]) for y, b in enumerate(constructs)} for x, a in enumerate(constructs)},
        cov={g: {a: {b: float(cov[g][x, y]) for y, b in enumerate(constructs)}
                 for x, a in enumerate(constructs)} for g in GROUPS},
        d_between={k: float(v) for k, v in d_between.items()}, contrasts=contrasts,
        items=items, expected=expected, phase_mean=phase_mean,
        phase_slopes={g: dict(sc.phase_slopes.get(g, {})) for g in GROUPS},
        size_slopes=dict(sc.size_slopes), sector_effects=dict(sc.sector_effects),
        _scenario=sc, _psi=psi)


def _apply_dif(sc: Scenario, instrument, items) -> None:
    """Record each DIF spec of the scenario in ``items[iid]["dif"]`` (shifts add up)."""

    for j, spec in enumerate(sc.dif):
        names = spec.items
        if names is None:
            if spec.scale not in items_constructs(items):
                raise SpecificationError("DIF construct has no scale item in the instrument",
                                         parameter=f"dif.{j}.scale", value=spec.scale)
            names = [i for i, v in items.items() if v["construct"] == spec.scale][:spec.k]
            if len(names) < spec.k:
                raise SpecificationError(f"DIF asks for {spec.k} items; the construct has {len(names)}",
                                         parameter=f"dif.{j}.k", value=spec.k)
        for iid in names:
            if iid not in items:
                raise SpecificationError("DIF item is not a scale item of the instrument",
                                         parameter=f"dif.{j}.items", value=iid)
            d = items[iid]["dif"]
            d[spec.group] = d.get(spec.group, 0.0) + float(spec.size)


def items_constructs(items) -> set:
    return {v["construct"] for v in items.values()}


def _construct_loadings(sc: Scenario, instrument, constructs):
    out = []
    for c in constructs:
        lam = sc.loading_list(c, len(scale_items(instrument, c)))
        if any(not 0 < x < 1 for x in lam):
            from ..errors import SpecificationError

            raise SpecificationError("standardised loadings must lie in (0, 1)",
                                     parameter=f"loadings.{c}", value=lam)
        out.append(lam)
    return out


def n_rows(frame) -> int:
    """The number of rows of a DataFrame or of a ``{column: array}`` dict (the length of its
    first array; 0 when empty).

    >>> n_rows({"a": np.zeros(3)}), n_rows(pd.DataFrame({"a": [1, 2]}))
    (3, 2)
    """
    if isinstance(frame, dict):
        return len(next(iter(frame.values()))) if frame else 0
    return len(frame)


def column_of(frame, name):
    """Column ``name`` of a DataFrame (``frame[name].to_numpy()``) or of a ``{column: array}``
    dict (the array itself), so that the simulator's steps take either.

    >>> column_of({"a": np.arange(2)}, "a").tolist(), column_of(pd.DataFrame({"a": [1.5]}), "a").tolist()
    ([0, 1], [1.5])
    """
    if isinstance(frame, dict):
        return frame[name]
    return frame[name].to_numpy()


def simulate_latent(params: PopulationParameters, n: int, rng):
    """Draw ``n`` firms: group, phase, size, sector and latent scores ``eta_<construct>``.

    Returns a DataFrame with columns ``born_global`` (0/1, the truth), ``group``, ``phase``,
    ``size_z``, ``sector`` and one ``eta_<construct>`` per construct (the columns of
    :func:`latent_arrays`, which draws them).
    """

    return pd.DataFrame(latent_arrays(params, n, rng))


def latent_arrays(params: PopulationParameters, n: int, rng) -> dict:
    """:func:`simulate_latent`'s columns as ``{column: array}``, each the array its frame's
    ``to_numpy()`` gives (text columns as object arrays of ``str``): the same draws, without
    the frame, which a simulated study reads column by column."""

    sc: Scenario = params._scenario
    constructs = params.constructs
    bg = (rng.random(n) < sc.bg_share).astype(int)
    group = np.where(bg == 1, "born_global", "traditional")
    phase = np.empty(n, dtype=int)
    sector = np.empty(n, dtype=object)
    u_phase, u_sector = rng.random(n), rng.random(n)
    size_z = rng.standard_normal(n)
    chol_t, per_group = _latent_constants(params)
    zeta = rng.standard_normal((n, len(constructs))) @ chol_t
    eta = np.empty((n, len(constructs)))
    for gi, (cum, letters, scum, phase_mean, terms) in enumerate(per_group):
        mask = bg == gi
        phase[mask] = 1 + np.searchsorted(cum[:-1], u_phase[mask], side="right")
        idx = np.minimum(np.searchsorted(scum, u_sector[mask], side="right"), len(letters) - 1)
        sector[mask] = letters[idx]
        for j, (mean, slope, size_slope, eff, w_eff) in enumerate(terms):
            eta[mask, j] = (mean + slope * (phase[mask] - phase_mean)
                            + size_slope * size_z[mask]
                            + (eff[idx] - w_eff) + zeta[mask, j])
    return {"born_global": bg, "group": group.astype(object), "phase": phase, "size_z": size_z,
            "sector": sector.astype(str).astype(object),
            **{f"eta_{c}": eta[:, j] for j, c in enumerate(constructs)}}


#: id(params) -> (params, what :func:`latent_arrays` reads of them): :func:`_latent_constants`
_LATENT: dict = {}


def _latent_constants(params) -> tuple:
    """``(cholesky(psi).T, per group (phase cumulative probabilities, sector letters, their
    cumulative probabilities, mean phase, per construct (mean, phase slope, size slope, sector
    effects, their weighted mean)))``: the parameters :func:`latent_arrays` reads, computed once
    per parameters object (no random state: the same arrays and floats as computed per study)."""
    hit = _LATENT.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    sc: Scenario = params._scenario
    per_group = []
    for g in GROUPS:
        sprob = sc.facts.sector_probs[g]
        letters = list(sprob)
        w = np.array(list(sprob.values()))
        terms = []
        for c in params.constructs:
            eff = np.array([sc.sector_effects.get(s, {}).get(c, 0.0) for s in letters])
            terms.append((params.means[g][c], sc.phase_slopes.get(g, {}).get(c, 0.0),
                          sc.size_slopes.get(c, 0.0), eff, w @ eff))
        per_group.append((np.cumsum(sc.facts.phase_probs[g]), np.asarray(letters, dtype=object),
                          np.cumsum(list(sprob.values())), params.phase_mean[g], terms))
    consts = (np.linalg.cholesky(params._psi).T, per_group)
    if len(_LATENT) > 32:
        _LATENT.clear()
    _LATENT[id(params)] = (params, consts)
    return consts


def simulate_likert(params: PopulationParameters, latent, rng):
    """Construct-keyed Likert answers (before reverse keying) for every scale item.

    Returns a DataFrame of integer categories, one column per item of ``params.items``.
    """

    return pd.DataFrame(likert_arrays(params, latent, rng), index=latent.index)


def likert_arrays(params: PopulationParameters, latent, rng) -> dict:
    """:func:`simulate_likert`'s columns as ``{item: array}`` (the same draws; without the
    frame, which a simulated study does not need); ``latent`` a frame or
    :func:`latent_arrays`' dict."""

    n = n_rows(latent)
    specs = list(params.items.items())
    noise = rng.standard_normal((n, len(specs)))
    if not specs:
        return {}
    # the items as rows of one block: lam * eta + sqrt(1 - lam^2) * noise, element by element
    # the floats of the item-by-item sums; the thresholds searched once per distinct list
    eta = {}        # each latent column read once, not once per item
    for _, spec in specs:
        if spec["construct"] not in eta:
            eta[spec["construct"]] = column_of(latent, f"eta_{spec['construct']}")
    etas = np.array([eta[c] for c in eta], dtype=float).reshape(len(eta), n)
    which = [list(eta).index(spec["construct"]) for _, spec in specs]
    lam = np.array([[spec["loading"]] for _, spec in specs], dtype=float)
    sd = np.array([[np.sqrt(1 - spec["loading"] ** 2)] for _, spec in specs], dtype=float)
    ystar = lam * etas[which] + sd * noise.T
    for j, (_, spec) in enumerate(specs):
        for g, shift in (spec.get("dif") or {}).items():     # differential item functioning
            ystar[j] = ystar[j] + shift * (column_of(latent, "group") == g)
    return _thresholded(specs, ystar)


def _thresholded(specs, ystar) -> dict:
    """``{item: spec["min"] + searchsorted(spec["thresholds"], ystar[j], side="left")}``, each
    distinct list of thresholds searched once over the rows of its items."""
    by_thresholds: dict = {}
    for j, (_, spec) in enumerate(specs):
        by_thresholds.setdefault(tuple(spec["thresholds"]), []).append(j)
    cats = [None] * len(specs)
    for th, rows in by_thresholds.items():
        found = np.searchsorted(np.asarray(th, dtype=float), ystar[rows], side="left")
        for k, j in enumerate(rows):
            cats[j] = found[k]
    return {iid: spec["min"] + cats[j] for j, (iid, spec) in enumerate(specs)}
