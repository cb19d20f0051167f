"""``simulate_study``: a whole synthetic survey export with known truth.

Steps (each with its own random stream spawned from the seed, so that changing, say, the
careless rate leaves the latent scores and facts of every firm unchanged):

1. firms: group, phase, size, sector and latent scores (:mod:`.population`);
2. classification facts consistent with the born-global definitions (:mod:`.facts`);
3. answers to every instrument item: Likert items by thresholding, attention checks,
   constant sum, platform use, skip logic (``show_if``) and the consent/screening gate;
4. careless responders, missing answers, invalid codes (:mod:`.quirks`);
5. platform column names and meta columns (resp_id, duration_sec, submitted_at);
6. the questionnaire version each respondent answered (``survey_language``, last column),
   drawn from a stream of its own after everything else, so that adding it left every other
   column of earlier exports byte for byte as it was.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import atomic_write, sha256_bytes
from .answers import (
    condition_holds,
    item_meta,
    item_range,
    simulate_answers,
    to_float,
)
from .export_frame import export_frame
from .export_text import resp_ids, submission_text
from .facts import fact_arrays
from .population import column_of, latent_arrays, likert_arrays, population_parameters
from .quirks import careless_arrays, invalid_arrays, missing_arrays, raw_csv_bytes, to_platform
from .scenarios import get_scenario

__all__ = ["simulate_study", "write_raw", "SIMULATED_PREFIX"]

#: every simulated resp_id starts with this, so that synthetic rows are never mistaken for data
SIMULATED_PREFIX = "SIM-"

_N_STREAMS = 8
#: the language stream is the child after the first ``_N_STREAMS`` (spawned together: the
#: first eight children are those of ``spawn(8)``)
_LANGUAGE_STREAM = _N_STREAMS


def _seed_sequence(seed):
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        from ..errors import InputError

        raise InputError("a seed is required (same seed, same data)", parameter="seed")
    return np.random.SeedSequence(int(seed))


def simulate_study(instrument, scenario="p1p2", n: int = 300, seed=1, *, platform: str = "generic",
                   careless_rate: float | None = None, missing_rate: float | None = None,
                   missing_mechanism: str | None = None, invalid_rate: float | None = None,
                   bg_share: float | None = None, careless_mix: dict | None = None,
                   language_shares: dict | None = None, language_dif: dict | None = None,
                   return_truth: bool = False):
    """Simulate one survey export of ``n`` firms from a known population.

    Parameters
    ----------
    instrument : Instrument or path
        The questionnaire (:func:`rsnprop.instrument.load_instrument`); a path is loaded.
    scenario : str, path, dict or Scenario, default "p1p2"
        ``p1p2``, ``null``, ``reversed``, ``p2_only`` or a YAML scenario (see
        :mod:`rsnprop.simulate.scenarios`).
    n : int
        Number of respondents (rows) in the export.
    seed : int or numpy.random.SeedSequence
        Same seed, same export (byte for byte once written with :func:`write_raw`).
    platform : {"generic", "xlsform", "limesurvey", "qualtrics"}
        Column names as that platform exports them ("generic": item ids plus ``resp_id``,
        ``duration_sec``, ``submitted_at``; what ``rsnprop clean`` reads by default).
    careless_rate, missing_rate, invalid_rate : float, optional
        Override the scenario's rates (share of careless respondents; average share of
        missing answers on non-required items; share of answered cells with an invalid code).
    missing_mechanism : {"mcar", "mar"}, optional
    bg_share : float, optional
        Override the share of born globals.
    careless_mix : dict, optional
        Override the weights of the careless types (``rsnprop.simulate.quirks.CARELESS_TYPES``;
        e.g. ``{"diagonal": 1, "midpoint": 1}``). ``attention`` respondents answer attentively
        but fail one or both attention checks; speeders, straight-liners and pattern
        responders answer faster than attentive respondents.
    language_shares : dict, optional
        Share of respondents answering each language version of the questionnaire
        (``{"en": 0.5, "fr": 0.5}``; codes of ``instrument.languages``); default: equal
        shares.  Written as ``survey_language`` (Qualtrics ``Q_Language``, LimeSurvey
        ``startlanguage``), independent of every answer (no differential item functioning).
    language_dif : dict, optional
        Differential item functioning between language versions:
        ``{"language": "fr", "items": {"rel_1": 1.0}}`` adds the given number of scale points
        to the answers to those items of the respondents who answered that version (valid
        answers only, kept within the scale).  Default: none (the versions are invariant).
    return_truth : bool
        Also return the truth per row (group, latent scores, careless type, eligibility,
        survey language).

    Returns
    -------
    DataFrame, or (DataFrame, DataFrame) with ``return_truth``
        The raw export (numbers as numbers, missing as NaN, multiple choices as
        space-separated codes, timestamps as text).

    Examples
    --------
    >>> from rsnprop.simulate import simulate_study
    >>> raw = simulate_study("instruments/rsn_internationalisation.yaml", "p1p2", n=50, seed=1)
    >>> raw.shape[0], raw["resp_id"].iloc[0], list(raw.columns[:3])
    (50, 'SIM-0001', ['resp_id', 'submitted_at', 'duration_sec'])
    """

    instrument, sc, n = _inputs(instrument, scenario, n, careless_rate=careless_rate,
                                missing_rate=missing_rate, missing_mechanism=missing_mechanism,
                                invalid_rate=invalid_rate, bg_share=bg_share, careless_mix=careless_mix)
    params = _parameters(instrument, sc)
    children = _seed_sequence(seed).spawn(_N_STREAMS + 1)
    streams = [np.random.default_rng(s) for s in children[:_N_STREAMS]]
    r_latent, r_facts, r_items, r_other, r_care, r_miss, r_inv, r_meta = streams
    shares = language_share_vector(instrument, language_shares)
    # 1-3: firms, facts, answers
    # the latent scores and facts as {column: array} (= simulate_latent / simulate_facts
    # without their frames: the same draws; the frame of the truth is built when asked for)
    latent = latent_arrays(params, n, r_latent)
    facts = fact_arrays(latent, sc.facts, r_facts)
    # the Likert columns as floats, without a frame (= simulate_likert(...).astype(float))
    likert = {c: v.astype(float) for c, v in likert_arrays(params, latent, r_items).items()}
    values, consent, decision = simulate_answers(instrument, params, sc, latent, facts, likert, r_other)
    # 4: data-quality problems
    answering = (consent == 1) & (decision == 1)
    items, meta = instrument.items, item_meta(instrument)   # what is read of each item, once
    careless, lik_cols = _add_careless(values, meta, sc, answering, r_care)
    _apply_routing(values, meta, consent, answering, n)
    _add_missing_and_invalid(values, meta, lik_cols, sc, facts, r_miss, r_inv)
    # 5-6: meta columns, rows in submission order, then the language version
    out, perm = _export_columns(values, meta, careless, sc, n, r_meta)
    _add_language(out, items, np.random.default_rng(children[_LANGUAGE_STREAM]), shares, language_dif)
    raw = to_platform(export_frame(out), instrument, platform)   # = pd.DataFrame(out)
    if not return_truth:
        return raw
    return raw, _truth(latent, facts, out, perm, careless, answering, consent)


#: (ids of the instrument's items and constructs dicts, the scenario as JSON) -> (what the
#: parameters were computed from, the parameters): :func:`_parameters`
_PARAMS: dict = {}


def _parameters(instrument, sc):
    """``population_parameters(instrument, sc)``, computed once per instrument and scenario
    (about 0.9 ms a study): kept while the instrument's items dict holds the same item
    objects (frozen) and its constructs the same constructs with the same item lists, for a
    scenario with the same JSON. The parameters are only read here (never handed out)."""
    items, cons = instrument.items, instrument.constructs
    key = (id(items), id(cons), sc.model_dump_json())
    sig = (tuple(items.values()), tuple((c, tuple(c.items)) for c in cons.values()))
    hit = _PARAMS.get(key)
    if (hit is not None and hit[0] is items and hit[1] is cons and len(hit[2][0]) == len(sig[0])
            and all(a is b for a, b in zip(hit[2][0], sig[0]))
            and len(hit[2][1]) == len(sig[1])
            and all(a[0] is b[0] and a[1] == b[1] for a, b in zip(hit[2][1], sig[1]))):
        return hit[3]
    params = population_parameters(instrument, sc)
    if len(_PARAMS) >= 16:
        _PARAMS.clear()
    _PARAMS[key] = (items, cons, sig, params)
    return params


def _truth(latent, facts, out, perm, careless, answering, consent):
    """The truth per exported row (submission order): resp_id, group and latent scores,
    careless type, eligibility, consent, survey language."""
    truth = pd.DataFrame(latent).iloc[perm].reset_index(drop=True)   # = simulate_latent's
    truth.insert(0, "resp_id", out["resp_id"].to_pylist())
    truth["careless"] = careless[perm]
    truth["eligible"] = (column_of(facts, "eligible") & answering)[perm]
    truth["consent"] = consent[perm]
    truth["survey_language"] = out["survey_language"]
    return truth


def _inputs(instrument, scenario, n, **overrides):
    """``(instrument, scenario, n)`` checked: the instrument loaded from a path, the scenario
    with the rates the caller overrides (``overrides`` not None), ``n`` a positive int."""

    if isinstance(instrument, (str, bytes)) or hasattr(instrument, "__fspath__"):
        from ..instrument import load_instrument

        instrument = load_instrument(instrument)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError("n must be a positive integer", parameter="n", value=n)
    sc = get_scenario(scenario)
    upd = {k: v for k, v in overrides.items() if v is not None}
    if upd:
        from .scenarios import scenario_from_dict

        sc = scenario_from_dict({**sc.model_dump(), **upd})
    return instrument, sc, int(n)


def _add_careless(values, meta, sc, answering, rng):
    """Careless responders among the ``answering`` firms: their Likert answers rewritten
    (:func:`rsnprop.simulate.quirks.apply_careless`) and the ``attention`` type failing the
    attention checks (``meta``: :func:`~.answers.item_meta`).  Returns ``(careless type per
    firm, Likert item ids)``."""

    rng_of = meta.range
    lik_cols = [i for i in meta.type if i in values and meta.type[i] == "likert"
                and rng_of[i] is not None]
    lo_s = int(min(rng_of[c][0] for c in lik_cols)) if lik_cols else 1
    hi_s = int(max(rng_of[c][1] for c in lik_cols)) if lik_cols else 7
    # on one array (apply_careless's draws and answers, without its frames)
    vals = (np.column_stack([np.asarray(values[c], dtype=float) for c in lik_cols]) if lik_cols
            else np.empty((0, 0)))     # as an empty frame (no rows)
    vals, careless = careless_arrays(vals, rng, rate=sc.careless_rate, mix=sc.careless_mix,
                                     scale_min=lo_s, scale_max=hi_s, eligible=answering)
    for j, c in enumerate(lik_cols):
        values[c] = vals[:, j]
    _fail_attention(values, meta, careless == "attention", rng, lo_s, hi_s)
    return careless, lik_cols


def _apply_routing(values, meta, consent, answering, n):
    """Skip logic (item ``show_if``) and the consent/screening gate: answers to items a firm
    is not shown become missing (None in text columns, NaN in numeric ones).

    Each item's mask is the consent gate (``decision_maker``) or ``answering``, AND each of
    its conditions, in the instrument's order; a condition is evaluated once until the answers
    it reads are routed.  The float64 columns that no condition reads are blanked at the end,
    those with the same mask as one block (:func:`_blank_hidden`): the same values."""

    held: dict = {}     # each condition once until the answers it reads are routed
    choices: dict = {}  # the codes chosen in each select_multiple column read (condition_holds)
    read = meta.read    # the items a condition reads (once per instrument)
    later: dict = {}    # (gate, the conditions' arrays by identity) -> [mask, arrays, ids]
    for iid, conds in meta.show.items():
        if iid not in values or iid in ("consent",):
            continue
        for key, cond in conds:
            if key not in held:
                held[key] = condition_holds(cond, values, n, choices)
        arrays = [held[key] for key, _ in conds]
        for key in [k for k in held if k[0] == iid]:   # its answers change below
            del held[key]
        v = values[iid]
        if iid not in read and v.dtype == np.float64 and v.ndim == 1:
            group = (iid == "decision_maker", *map(id, arrays))
            later.setdefault(group, [None, arrays, []])[2].append(iid)   # arrays: ids kept
            continue
        values[iid] = _route_column(v, _shown(iid, arrays, consent, answering, n))
    for (_, *_ids), (_, arrays, ids) in later.items():
        _blank_hidden(values, ids, _shown(ids[0], arrays, consent, answering, n))


def _shown(iid, arrays, consent, answering, n):
    """The rows shown item ``iid``: the consent gate (``decision_maker``) or ``answering``,
    AND each condition's array in turn."""
    shown = np.ones(n, dtype=bool) if iid == "decision_maker" else answering.copy()
    if iid == "decision_maker":
        shown &= consent == 1
    for a in arrays:
        shown &= a
    return shown


def _route_column(v, shown):
    """One column with the rows not ``shown`` blank (text: hidden, None or "" -> None)."""
    if v.dtype == object:      # hidden, None or "" -> None (elementwise, no Python loop)
        v = v.copy()
        v[~shown | np.equal(v, None) | np.equal(v, "")] = None
        return v
    return np.where(shown, v, np.nan)


def _blank_hidden(values, ids, shown):
    """``np.where(shown, values[c], nan)`` for each float64 column ``c`` of ``ids``, as one
    block: each column becomes a row of it (the same values)."""
    if len(ids) == 1:
        values[ids[0]] = np.where(shown, values[ids[0]], np.nan)
        return
    block = np.empty((len(ids), len(shown)), dtype=np.float64)
    for i, c in enumerate(ids):
        block[i] = values[c]
    block = np.where(shown, block, np.nan)
    for i, c in enumerate(ids):
        values[c] = block[i]


def _add_missing_and_invalid(values, meta, lik_cols, sc, facts, r_miss, r_inv):
    """Missing answers on the numeric items the platform does not force (MCAR or MAR on
    firm size) and invalid codes on the Likert items (:mod:`rsnprop.simulate.quirks`)."""

    numeric_opt = [i for i in meta.type if i in values and values[i].dtype != object
                   and not meta.required[i]
                   and meta.type[i] in ("likert", "integer", "decimal", "rating")
                   and meta.attention[i] is None]
    # on the arrays (the frames of apply_missing / inject_invalid without building them)
    n = len(column_of(facts, "employees"))
    new = missing_arrays(values, numeric_opt, r_miss, n, rate=sc.missing_rate,
                         mechanism=sc.missing_mechanism, driver=np.log(column_of(facts, "employees")))
    ranges = {c: meta.range[c] for c in lik_cols if c in new}
    new.update(invalid_arrays(new, ranges, r_inv, n, rate=sc.invalid_rate))
    values.update(new)


def _export_columns(values, meta, careless, sc, n, rng):
    """``(columns, perm)``: the export's columns (``resp_id``, ``submitted_at``,
    ``duration_sec``, meta items, answers) with the rows in submission order (``perm``);
    durations follow the number of answers and the careless type."""

    block, floats = _float_block(values, meta, n)
    n_shown = _answered_count({c: v for c, v in values.items() if c not in floats}, n)
    n_shown += len(floats) - np.isnan(block).sum(axis=0, dtype=np.int64)
    speed = np.exp(np.log(6.0) + 0.35 * rng.standard_normal(n))        # seconds per answer
    speed = np.where(careless == "speeder", 1.0 + rng.random(n), speed)
    speed = np.where(careless == "straightline", speed * 0.5, speed)
    speed = np.where(np.isin(careless, ["midpoint", "diagonal", "pattern"]), speed * 0.6, speed)
    duration = np.round(40 + n_shown * speed).astype(int)
    start = pd.Timestamp(f"{sc.facts.survey_year}-03-02 08:00:00")
    offsets = np.sort(np.floor(rng.random(n) * 60 * 86400)).astype("int64")
    submitted = submission_text(start.to_datetime64(), offsets)   # "%Y-%m-%d %H:%M:%S"
    if submitted is None:
        submitted = list(np.char.replace(np.datetime_as_string(
            start.to_datetime64().astype("datetime64[s]") + offsets.astype("timedelta64[s]"),
            unit="s"), "T", " ").astype(object))
    # rows in submission order; ids in that order (both as pyarrow text: export_frame)
    perm = rng.permutation(n)
    out = {"resp_id": resp_ids(n, SIMULATED_PREFIX), "submitted_at": submitted,
           "duration_sec": duration[perm]}
    meta_items = [i for i, t in meta.type.items() if t == "meta"]
    if "survey_year" in meta_items:
        out["survey_year"] = np.full(n, sc.facts.survey_year)
    rows = dict(zip(floats, block[:, perm]))      # the float columns permuted as one block
    for iid in meta.type:
        if iid in values:
            out[iid] = rows[iid] if iid in rows else values[iid][perm]
    return out, perm


def _float_block(values, meta, n):
    """``(block, ids)``: the float64 columns of ``values`` (1-D, ``n`` rows), in the order of
    ``meta.type``, as the rows of one array (``ids``: a dict of their ids, in that order)."""
    ids = {c: None for c in meta.type if c in values and isinstance(values[c], np.ndarray)
           and values[c].dtype == np.float64 and values[c].ndim == 1 and len(values[c]) == n}
    block = np.empty((len(ids), n), dtype=np.float64)
    for i, c in enumerate(ids):
        block[i] = values[c]
    return block, ids


def _add_language(out, items, rng, shares, dif) -> None:
    """The last column, ``survey_language``: the questionnaire version of each row, drawn
    from its own stream (rows already in submission order); then the DIF of ``dif``."""

    n = len(out["duration_sec"])
    out["survey_language"] = np.asarray(list(shares), dtype=object)[
        np.searchsorted(np.cumsum(list(shares.values())), rng.random(n), side="right")
        .clip(0, len(shares) - 1)]
    if dif:
        _apply_language_dif(out, items, dif, shares)


def _apply_language_dif(out, items, dif, shares) -> None:
    """Shift the valid answers to ``dif["items"]`` of the ``dif["language"]`` rows in place
    (no random draw: the other columns and every draw stay as they are)."""

    lang = str(dif.get("language", ""))
    if lang not in shares:
        raise InputError(f"not a language of the instrument ({', '.join(shares)})",
                         parameter="language_dif.language", value=lang)
    rows = out["survey_language"] == lang
    for iid, shift in (dif.get("items") or {}).items():
        rng_ = item_range(items[iid]) if iid in items else None
        if rng_ is None or iid not in out:
            raise InputError("not a numeric item with a scale", parameter="language_dif.items",
                             value=iid)
        lo, hi = rng_
        v = np.asarray(out[iid], dtype=float).copy()
        ok = rows & (v >= lo) & (v <= hi)        # NaN and invalid codes are left alone
        v[ok] = np.clip(np.round(v[ok] + float(shift)), lo, hi)
        out[iid] = v


def language_share_vector(instrument, shares=None) -> dict:
    """``{language: share}`` in the instrument's order, validated (codes of
    ``instrument.languages``, shares >= 0 summing to 1); equal shares by default.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> language_share_vector(NS(languages=["en", "fr"]))
    {'en': 0.5, 'fr': 0.5}
    >>> language_share_vector(NS(languages=["en", "fr"]), {"fr": 0.7, "en": 0.3})
    {'en': 0.3, 'fr': 0.7}
    """

    langs = [str(x) for x in (getattr(instrument, "languages", None) or ["en"])]
    if shares is None:
        return {lg: 1 / len(langs) for lg in langs}
    unknown = [k for k in shares if str(k) not in langs]
    if unknown:
        raise InputError(f"not a language of the instrument ({', '.join(langs)})",
                         parameter="language_shares", value=unknown[0])
    vals = {lg: float(shares.get(lg, 0.0)) for lg in langs}
    if min(vals.values()) < 0 or abs(sum(vals.values()) - 1) > 1e-9:
        raise InputError("shares must be >= 0 and add up to 1", parameter="language_shares",
                         value=shares)
    return vals


def _fail_attention(values, meta, rows, rng, lo, hi):
    """Attention-check failures: each of the ``rows`` answers one attention check (or, with
    probability 1/2, each of them) with a wrong scale point. No draw when no row fails."""

    checks = [i for i in values if meta.attention[i] is not None and meta.range[i] is not None]
    idx = np.flatnonzero(rows)
    if not checks or not len(idx):
        return
    both = rng.random(len(idx)) < 0.5
    which = rng.integers(0, len(checks), size=len(idx))
    shift = rng.integers(1, int(hi - lo + 1), size=(len(idx), len(checks)))
    for j, iid in enumerate(checks):
        expected = to_float(meta.attention[iid])
        hit = both | (which == j)
        wrong = lo + (expected - lo + shift[:, j]) % (hi - lo + 1)   # never the expected one
        v = values[iid].astype(float, copy=True)
        v[idx[hit]] = wrong[hit]
        values[iid] = v


def _blank_mask(v):
    """``_isblank`` of each element of a column, vectorised by dtype."""

    v = np.asarray(v)
    if v.dtype.kind == "f":
        return np.isnan(v)
    if v.dtype.kind in "iub":
        return np.zeros(len(v), dtype=bool)
    if v.dtype == object and v.ndim == 1 and set(map(type, v)) <= _STR_OR_NONE:
        return ~v.astype(bool)       # None and "" are the falsy ones
    # on the distinct values (missing ones, None and NaN, are the sentinel -1)
    codes, uniq = pd.factorize(v, use_na_sentinel=True)
    return np.array([_isblank(u) for u in uniq] + [True], dtype=bool)[codes]


#: the types of a text column's values whose blanks are found by comparison (None, "")
_STR_OR_NONE = frozenset((str, type(None)))


def _answered_count(values, n):
    """Per row, the number of columns of ``values`` answered (not blank); the float columns
    (most of them) counted as one block."""

    out = np.zeros(n, dtype=np.int64)
    floats = []
    for c in values:
        v = np.asarray(values[c])
        if v.dtype.kind == "f" and v.ndim == 1 and len(v) == n:
            floats.append(v)
        else:
            out += ~_blank_mask(v)
    if floats:
        out += len(floats) - np.isnan(np.vstack(floats)).sum(axis=0, dtype=np.int64)
    return out


def _isblank(x) -> bool:
    if x is None:
        return True
    if isinstance(x, float):
        return math.isnan(x)
    return x == ""


def write_raw(raw, path, *, platform: str = "generic") -> str:
    """Write a simulated export atomically; returns the SHA-256 of the bytes written.

    ``generic``, ``xlsform`` and ``limesurvey`` exports are UTF-8 CSV; ``qualtrics`` adds the
    two extra header rows (question text, ImportId) that Qualtrics writes.
    """

    data = raw_csv_bytes(raw)
    if platform == "qualtrics":
        header, _, body = data.partition(b"\n")
        cols = header.decode("utf-8").split(",")
        import csv
        import io
        import json

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerow(cols)
        w.writerow([json.dumps({"ImportId": c}) for c in cols])
        data = buf.getvalue().encode("utf-8") + body
    atomic_write(path, data)
    return sha256_bytes(data)
