"""Simulate a panel study: the same firms answering the questionnaire at successive waves.

Wave 1 is :func:`rsnprop.simulate.simulate_study` with the same seed and options (byte for byte
the cross-section that seed gives).  Each later wave keeps the firms that did not
drop out and re-draws their answers from their previous ones, with a known change:

- **attrition**: a share ``attrition`` of the firms leaves at each wave, either completely at
  random (``"mcar"``) or more often when their previous relational score is low (``"mar"``: the
  logit of leaving falls by 1 per standard deviation of that score, the intercept set so that
  the expected share is ``attrition``);
- **phase moves**: a firm below the last internationalisation phase moves one phase up with
  probability ``move_rate``;
- **change in the factors** (a population model of change, as in
  :mod:`rsnprop.simulate.population`): every firm gets, for each construct with scale items, a
  latent change in item-point units: a mean change plus a firm-level random change
  ``N(0, factor_change_sd)``.  The mean change is ``change_bg`` points for born globals plus
  ``change_move`` points for firms that moved phase on the relational factor
  (``change="change"``: 0.6 and 0.5; ``change="none"``: 0 and 0, the random change stays),
  ``change_informational`` (default 0) on the informational factor and 0 on the others.  The
  random changes of the two benefit factors correlate ``factor_change_corr`` (a shared change
  in the firm's use of the networks); the others are independent.  Each item of a construct
  moves by its loading relative to the construct's mean loading times that latent change (so
  the average item moves by the latent change; reverse-keyed items move the other way), plus
  answer-level noise ``N(0, retest_sd)``; Likert items outside a construct get the noise only.
  The answer is rounded and kept on the scale.  Because each item's shift is proportional to
  its loading, the item intercepts stay invariant across waves (up to rounding and the bounds
  of the scale), and the random change keeps the factors' wave-to-wave stability below 1;
- attention-check answers are kept as they were (an attentive firm follows the instruction
  again);
- the firm keeps its response id (the key carried in the invitation link, ``resp_id``) and its
  language version; ``survey_year`` and ``submitted_at`` move one year on.

Same seed, same waves, byte for byte once written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..instrument import load_instrument
from .population import population_parameters
from .study import _seed_sequence as seed_sequence
from .study import simulate_study

#: mean latent change of the relational factor (born globals, firms that moved phase), points
CHANGES = {"change": (0.6, 0.5), "none": (0.0, 0.0)}


def simulate_panel(instrument, scenario="p1p2", n: int = 300, seed=1, *, waves: int = 2,
                   change: str = "change", attrition: float = 0.25,
                   attrition_mechanism: str = "mcar", move_rate: float = 0.3,
                   retest_sd: float = 0.5, return_truth: bool = False,
                   factor_change_sd: float = 0.4, factor_change_corr: float = 0.5,
                   change_informational: float = 0.0,
                   **study_options):
    """Simulate ``waves`` raw exports of the same firms.

    Parameters
    ----------
    instrument : Instrument or path
    scenario, n, seed, **study_options
        Passed to :func:`rsnprop.simulate.simulate_study` for wave 1 (the scenario's loadings
        also weight the change of each item).
    waves : int
        Number of waves (at least 2).
    change : {"change", "none"}
        ``"change"``: the relational factor rises by 0.6 scale points for born globals and by
        0.5 for firms that moved phase, per wave (on average over its items); ``"none"``: no
        systematic change (the firm-level random change and the answer noise stay).
    attrition : float
        Expected share of firms leaving at each wave (0 to 0.9).
    attrition_mechanism : {"mcar", "mar"}
    move_rate : float
        Probability that a firm below the last phase moves one phase up between two waves.
    retest_sd : float
        Standard deviation of the answer-level noise between waves (scale points).
    return_truth : bool
        Also return one truth frame per wave (wave-1 truth plus ``stayed``, ``moved`` and the
        latent change of each construct since the previous wave, ``change_<construct>`` in
        scale points; 0 at wave 1).
    factor_change_sd : float
        Standard deviation of the firm-level random change of each factor between two waves
        (scale points, on the average item; 0 to 5); keeps the factors' wave-to-wave stability
        below 1 (0.88 to 0.97, standardised, for the example's scales at 300 firms).
    factor_change_corr : float
        Correlation of the random changes of the relational and informational factors (0 to 1).
    change_informational : float
        Mean change of the informational factor of every firm, per wave (scale points).

    Returns
    -------
    list of DataFrame, or (list of DataFrame, list of DataFrame) with ``return_truth``

    Examples
    --------
    >>> import rsnprop
    >>> from rsnprop.simulate.panel import simulate_panel
    >>> w = simulate_panel(rsnprop.load_instrument(), n=120, seed=3)
    >>> len(w), len(w[0]), len(w[1]) < len(w[0]), set(w[1].resp_id) <= set(w[0].resp_id)
    (2, 120, True, True)
    """
    _check(waves, change, attrition, attrition_mechanism, move_rate, retest_sd)
    _check_change(factor_change_sd, factor_change_corr, change_informational)
    if study_options.get("platform", "generic") != "generic":
        raise InputError("panels are simulated in the generic export format (item ids as "
                         "columns)", parameter="platform", value=study_options["platform"])
    ins = instrument if not isinstance(instrument, (str, bytes)) and hasattr(instrument, "items") \
        else load_instrument(instrument)
    # wave 1 is simulate_study with the very same seed (the same export byte for byte as a
    # cross-section with that seed); later waves use the root's next children, spawned after
    # the streams simulate_study spawned from it, so they never share a stream with wave 1
    root = seed_sequence(seed)
    raw, truth = simulate_study(ins, scenario, n, seed=root, return_truth=True,
                                **study_options)
    later_seeds = root.spawn(waves - 1)
    spec = {"weights": item_weights(ins, scenario), "means": CHANGES[change],
            "informational": float(change_informational), "sd": float(factor_change_sd),
            "corr": float(factor_change_corr),
            "retest_sd": retest_sd, "attrition": attrition, "mechanism": attrition_mechanism,
            "move_rate": move_rate}
    exports = [raw]
    truths = [truth.assign(stayed=True, moved=False,
                           **{f"change_{c}": 0.0 for c in spec["weights"]})]
    for s in later_seeds:
        raw, truth = _next_wave(ins, raw, truth, np.random.default_rng(s), spec)
        exports.append(raw)
        truths.append(truth)
    return (exports, truths) if return_truth else exports


def item_weights(ins, scenario) -> dict:
    """``{construct: {item: weight}}`` for every construct with scale items: the item's loading
    over the construct's mean loading (the scenario's population loadings), negative for a
    reverse-keyed item (its raw answer moves the other way).

    Examples
    --------
    >>> import rsnprop
    >>> w = item_weights(rsnprop.load_instrument(), "p1p2")
    >>> round(sum(abs(x) for x in w["relational"].values()) / len(w["relational"]), 6)
    1.0
    >>> w["relational"]["rel_7"] < 0
    True
    """
    items = population_parameters(ins, scenario).items
    out = {}
    for c in dict.fromkeys(v["construct"] for v in items.values()):
        mine = {i: v for i, v in items.items() if v["construct"] == c}
        mean = float(np.mean([v["loading"] for v in mine.values()]))
        out[c] = {i: v["loading"] / mean * (-1.0 if v["reverse"] else 1.0)
                  for i, v in mine.items()}
    return out


def _check(waves, change, attrition, mechanism, move_rate, retest_sd) -> None:
    if not isinstance(waves, (int, np.integer)) or waves < 2:
        raise InputError("must be an integer of at least 2", parameter="waves", value=waves)
    if change not in CHANGES:
        raise InputError(f"must be one of {', '.join(CHANGES)}", parameter="change", value=change)
    if not 0 <= attrition <= 0.9:
        raise InputError("must be between 0 and 0.9", parameter="attrition", value=attrition)
    if mechanism not in ("mcar", "mar"):
        raise InputError("must be mcar or mar", parameter="attrition_mechanism", value=mechanism)
    if not 0 <= move_rate <= 1:
        raise InputError("must be between 0 and 1", parameter="move_rate", value=move_rate)
    if retest_sd < 0:
        raise InputError("must be >= 0", parameter="retest_sd", value=retest_sd)


def _check_change(factor_change_sd, factor_change_corr, change_informational) -> None:
    if not isinstance(factor_change_sd, (int, float, np.integer, np.floating)) or not 0 <= factor_change_sd <= 5:
        raise InputError("must be a number between 0 and 5 (scale points)",
                         parameter="factor_change_sd", value=factor_change_sd)
    if not isinstance(factor_change_corr, (int, float, np.integer, np.floating)) \
            or not 0 <= factor_change_corr <= 1:
        raise InputError("must be a number between 0 and 1", parameter="factor_change_corr",
                         value=factor_change_corr)
    if not isinstance(change_informational, (int, float, np.integer, np.floating)) or not abs(change_informational) <= 5:
        raise InputError("must be a number between -5 and 5 (scale points)",
                         parameter="change_informational", value=change_informational)


def _latent_change(spec, bg, moved, rng) -> dict:
    """Each firm's latent change of each factor (scale points): mean + N(0, sd); the mean is 0
    except for the benefit factors."""
    n = len(bg)
    means = {"relational": spec["means"][0] * bg + spec["means"][1] * moved,
             "informational": np.full(n, spec["informational"])}
    common = rng.standard_normal(n)  # shared by the two benefit factors (correlation rho)
    rho = spec["corr"]
    out = {}
    for c in spec["weights"]:
        z = rng.standard_normal(n)
        if c in means:
            z = np.sqrt(rho) * common + np.sqrt(1 - rho) * z
        out[c] = means.get(c, 0.0) + spec["sd"] * z
    return out


def _next_wave(ins, raw, truth, rng, spec):
    """The next wave: who stays, who moves phase, the latent changes and the re-drawn answers."""
    rel_items = [i for i in ins.constructs["relational"].items if i in raw.columns] \
        if "relational" in ins.constructs else []
    stay = _stayers(_on_scale(ins, raw, rel_items), rng, spec["attrition"], spec["mechanism"])
    nxt, t = raw.loc[stay].copy(), truth.loc[stay].copy()
    moved = _move_phase(nxt, rng, spec["move_rate"])
    bg = t["born_global"].to_numpy() == 1
    latent = _latent_change(spec, bg, moved, rng)
    weight = {i: (c, w) for c, ws in spec["weights"].items() for i, w in ws.items()}
    for item in _likert_items(ins, nxt):
        scale = ins.items[item].scale
        shift = latent[weight[item][0]] * weight[item][1] if item in weight else 0.0
        old = pd.to_numeric(nxt[item], errors="coerce").to_numpy(dtype=float)
        new = np.clip(np.round(old + shift + rng.normal(0, spec["retest_sd"], len(nxt))),
                      scale.min, scale.max)
        valid = (old >= scale.min) & (old <= scale.max)  # invalid codes and blanks stay as given
        nxt[item] = np.where(valid, new, nxt[item].to_numpy(dtype=object)) if not valid.all() \
            else new
    _next_year(nxt)
    t = t.assign(stayed=True, moved=moved, phase=nxt["phase"].to_numpy() if "phase" in nxt else None,
                 **{f"change_{c}": latent[c] for c in spec["weights"]})
    return nxt.reset_index(drop=True), t.reset_index(drop=True)


def _on_scale(ins, raw, items) -> pd.DataFrame:
    """The answers to ``items`` as numbers, with blanks and invalid codes as missing."""
    out = {}
    for i in items:
        x = pd.to_numeric(raw[i], errors="coerce")
        out[i] = x.where(x.between(ins.items[i].scale.min, ins.items[i].scale.max))
    return pd.DataFrame(out, index=raw.index)


def _stayers(answers, rng, attrition, mechanism) -> np.ndarray:
    if mechanism == "mcar":
        return rng.random(len(answers)) >= attrition
    score = answers.mean(axis=1)
    z = ((score - score.mean()) / score.std(ddof=0)).fillna(0.0).to_numpy()
    lo, hi = -20.0, 20.0
    for _ in range(100):  # intercept with mean P(leave) = attrition
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.mean(1 / (1 + np.exp(-(mid - z)))) < attrition else (lo, mid)
    return rng.random(len(answers)) >= 1 / (1 + np.exp(-((lo + hi) / 2 - z)))


def _move_phase(nxt, rng, move_rate) -> np.ndarray:
    if "phase" not in nxt.columns:
        return np.zeros(len(nxt), dtype=bool)
    phase = pd.to_numeric(nxt["phase"], errors="coerce").to_numpy(dtype=float)
    moved = (rng.random(len(nxt)) < move_rate) & (phase < 4)
    nxt["phase"] = np.where(moved, phase + 1, phase)
    return moved


def _likert_items(ins, frame) -> list:
    """Likert answers to re-draw; attention checks keep their (instructed) answer."""
    return [i for i, it in ins.items.items() if it.type == "likert" and i in frame.columns
            and it.scale is not None and it.attention_check is None]


def _next_year(nxt) -> None:
    if "survey_year" in nxt.columns:
        nxt["survey_year"] = pd.to_numeric(nxt["survey_year"], errors="coerce") + 1
    if "submitted_at" in nxt.columns:
        when = pd.to_datetime(nxt["submitted_at"], errors="coerce") + pd.DateOffset(years=1)
        nxt["submitted_at"] = when.dt.strftime("%Y-%m-%d %H:%M:%S")
