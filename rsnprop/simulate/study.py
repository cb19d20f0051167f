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

from .population import population_parameters, simulate_latent, simulate_likert
from .scenarios import get_scenario

__all__ = ["simulate_study", "write_raw", "SIMULATED_PREFIX"]

#: every simulated resp_id starts with this, so that synthetic rows are never mistaken for data
SIMULATED_PREFIX = "SIM-"

_N_STREAMS = 8
#: the language stream is the child after the first ``_N_STREAMS`` (spawned together: the
#: first eight children are those of ``spawn(8)``)
_LANGUAGE_STREAM = _N_STREAMS


def _seed_sequence(seed):
    import numpy as np

    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        from ..errors import InputError

        raise InputError("a seed is required (same seed, same data)", parameter="seed")
    return np.random.SeedSequence(int(seed))


def _get(obj, key, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _range(item):
    for attr in ("scale", "range"):
        sc = _get(item, attr)
        lo, hi = _get(sc, "min"), _get(sc, "max")
        if lo is not None and hi is not None:
            return float(lo), float(hi)
    return None


def _codes(item) -> list:
    ch = _get(item, "choices") or {}
    if isinstance(ch, dict):
        return list(ch.keys())
    out = []
    for c in ch:
        out.append(_get(c, "code", c))
    return out


def _attention_expected(item):
    att = _get(item, "attention_check")
    if att is None or att is False:
        return None
    exp = _get(att, "expected", att if isinstance(att, (int, float, str)) else None)
    return exp


def _conditions(item) -> list:
    cond = _get(item, "show_if")
    if cond is None:
        return []
    if isinstance(cond, (list, tuple)):
        return list(cond)
    return [cond]


def _eval_condition(cond, values, n):
    """Boolean array: rows where ``cond`` ({item, op, value}) holds given answers ``values``."""
    import numpy as np

    ref, op, val = _get(cond, "item"), str(_get(cond, "op", "eq")), _get(cond, "value")
    col = values.get(ref)
    if col is None:
        return np.ones(n, dtype=bool)
    if op == "selected":
        return np.array([isinstance(x, str) and str(val) in x.split() for x in col], dtype=bool)
    arr = np.asarray(col)
    if arr.dtype.kind in "fiub":      # numeric answers: float() of each, without the loop
        num = arr.astype(np.float64)
    else:
        arr = arr.astype(object)
        num = np.array([_to_float(x) for x in arr])
    try:
        v = float(val)
    except (TypeError, ValueError):
        v = None
    ops = {"eq": np.equal, "ne": np.not_equal, "ge": np.greater_equal, "gt": np.greater,
           "le": np.less_equal, "lt": np.less}
    if v is not None and op in ops:
        with np.errstate(invalid="ignore"):
            res = ops[op](num, v)
        return np.where(np.isnan(num), False, res) if op != "ne" else res
    if op == "in":
        vals = {str(x) for x in (val or [])}
        return np.array([str(x) in vals for x in arr], dtype=bool)
    return np.array([str(x) == str(val) for x in arr], dtype=bool)


def _to_float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def _multi(rng, codes, probs, n, force_first=False):
    """Space-separated select_multiple answers (ODK convention), never empty."""
    import numpy as np

    p = np.asarray(probs, dtype=float)
    hits = rng.random((n, len(codes))) < p
    none = ~hits.any(axis=1)
    hits[none, 0] = True
    # one string per distinct pattern of choices (few), not per respondent
    pats, inv = np.unique(hits, axis=0, return_inverse=True)
    text = np.array([" ".join(str(c) for c, h in zip(codes, row) if h) for row in pats],
                    dtype=object)
    return text[np.asarray(inv).reshape(-1)]


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
    import numpy as np
    import pandas as pd

    from ..errors import InputError

    if isinstance(instrument, (str, bytes)) or hasattr(instrument, "__fspath__"):
        from ..instrument import load_instrument

        instrument = load_instrument(instrument)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError("n must be a positive integer", parameter="n", value=n)
    sc = get_scenario(scenario)
    upd = {k: v for k, v in {"careless_rate": careless_rate, "missing_rate": missing_rate,
                             "missing_mechanism": missing_mechanism, "invalid_rate": invalid_rate,
                             "bg_share": bg_share, "careless_mix": careless_mix}.items()
           if v is not None}
    if upd:
        from .scenarios import scenario_from_dict

        sc = scenario_from_dict({**sc.model_dump(), **upd})
    params = population_parameters(instrument, sc)
    children = _seed_sequence(seed).spawn(_N_STREAMS + 1)
    streams = [np.random.default_rng(s) for s in children[:_N_STREAMS]]
    r_latent, r_facts, r_items, r_other, r_care, r_miss, r_inv, r_meta = streams
    shares = language_share_vector(instrument, language_shares)

    n = int(n)
    latent = simulate_latent(params, n, r_latent)
    from .facts import simulate_facts

    facts = simulate_facts(latent, sc.facts, r_facts)
    likert = simulate_likert(params, latent, r_items).astype(float)
    items = instrument.items
    ids = [i for i in items]

    # --- answers to every item -------------------------------------------------------------
    values: dict[str, np.ndarray] = {}
    consent = facts["consent"].to_numpy()
    decision = (r_other.random(n) >= 0.01).astype(int)
    eta = {c: latent[f"eta_{c}"].to_numpy() for c in params.constructs}
    zero = np.zeros(n)
    use = 0.5 * eta.get("relational", zero) + 0.5 * eta.get("informational", zero)
    bg = latent["born_global"].to_numpy() == 1
    age = sc.facts.survey_year - facts["founding_year"].to_numpy()
    u_base = r_other.random((n, 64))
    z_base = r_other.standard_normal((n, 64))
    col = 0

    def unif():
        """A fresh column of U(0, 1) draws (pre-drawn for the first 63 requests)."""
        nonlocal col
        col += 1
        return u_base[:, col] if col < 64 else r_other.random(n)

    def norm():
        """A fresh column of N(0, 1) draws (same counter as :func:`unif`)."""
        nonlocal col
        col += 1
        return z_base[:, col] if col < 64 else r_other.standard_normal(n)

    for iid in ids:
        item = items[iid]
        typ = str(_get(item, "type", ""))
        rng_ = _range(item)
        codes = _codes(item)
        if typ == "meta":
            continue
        if iid == "consent":
            values[iid] = consent.astype(float)
        elif iid == "decision_maker":
            values[iid] = decision.astype(float)
        elif iid in facts.columns:
            v = facts[iid].to_numpy()
            values[iid] = v if iid == "sector" else v.astype(float)
        elif iid in likert.columns:
            v = likert[iid].to_numpy()
            if _get(item, "reverse", False):
                lo, hi = params.items[iid]["min"], params.items[iid]["max"]
                v = lo + hi - v
            values[iid] = v
        elif _attention_expected(item) is not None:
            values[iid] = np.full(n, _to_float(_attention_expected(item)))
        elif typ == "constant_sum" or iid.startswith("cs_"):
            continue  # filled below, as a group
        elif typ == "select_multiple":
            # exclusive options ("none": no social media) are not simulated: every simulated
            # firm uses at least one option (same draws as before such options existed)
            codes = [c for c in codes if c not in (_get(item, "exclusive", ()) or ())]
            if iid == "rsn_platforms":
                base = {"linkedin": 0.92, "facebook": 0.55, "x": 0.25, "instagram": 0.35,
                        "youtube": 0.2, "xing": 0.06, "wechat": 0.03, "tiktok": 0.08, "other": 0.04}
                probs = [base.get(str(c), 0.15) for c in codes]
            elif iid == "entry_modes":
                pb = {"direct": (0.75, 0.6), "indirect": (0.35, 0.15), "agent": (0.4, 0.45),
                      "online": (0.2, 0.5)}
                probs = [pb.get(str(c), (0.06, 0.1)) for c in codes]
                hits = np.stack([unif() < np.where(bg, p[1], p[0]) for p in probs], axis=1) \
                    if codes else np.zeros((n, 0), bool)
                if codes:
                    hits[~hits.any(axis=1), 0] = True
                values[iid] = np.array([" ".join(str(c) for c, h in zip(codes, row) if h)
                                        for row in hits], dtype=object)
                continue
            elif iid == "rsn_languages":
                base = {"en": 0.9, "fr": 0.6, "nl": 0.4, "de": 0.15}
                probs = [base.get(str(c), 0.05) for c in codes]
            else:
                probs = [0.6] + [0.25] * (len(codes) - 1)
            values[iid] = _multi(r_other, codes, probs, n) if codes else np.full(n, "", dtype=object)
        elif typ == "select_one" and codes:
            if set(map(str, codes)) == {"0", "1"}:
                values[iid] = (unif() < 0.5).astype(float)
            else:
                # ordered choice lists (frequency...): follow RSN use intensity
                k = len(codes)
                pos = np.clip(np.floor((0.55 + 0.18 * (use + norm())) * k), 0, k - 1).astype(int)
                arr = np.asarray(codes, dtype=object)[pos]
                try:
                    values[iid] = arr.astype(float)
                except (TypeError, ValueError):
                    values[iid] = arr
        elif typ in ("likert", "rating") and rng_ is not None:
            lo, hi = rng_
            from .population import likert_thresholds

            tau = np.asarray(likert_thresholds(int(hi - lo + 1), sc.skew))
            ystar = 0.6 * use / max(float(np.std(use)), 1e-9) + 0.8 * norm()
            values[iid] = lo + np.searchsorted(tau, ystar)
        elif typ in ("integer", "decimal"):
            lo, hi = rng_ if rng_ is not None else (0.0, 100.0)
            if iid == "rsn_years":
                v = np.minimum(np.round(2 + 10 * unif()), np.maximum(age, 0))
            elif iid == "rsn_hours":
                v = np.round(2 * np.exp(1.0 + 0.7 * norm() + 0.3 * use)) / 2
            else:
                v = lo + np.floor(unif() * min(hi - lo + 1, 20))
            values[iid] = np.clip(v, lo, hi)
        elif typ == "text":
            if any(str(_get(c, "op")) == "selected" for c in _conditions(item)):
                # "other, please specify": answered whenever shown
                v = np.full(n, "SIMULATED other", dtype=object)
            elif _get(item, "pii", False):
                v = np.where(unif() < 0.1, "SIMULATED free text", "")
            else:
                v = np.full(n, "", dtype=object)
            values[iid] = np.asarray(v, dtype=object)
        else:
            values[iid] = np.full(n, np.nan)

    cs_items = [i for i in ids if str(_get(items[i], "type", "")) == "constant_sum"]
    if cs_items:
        diff = eta.get("relational", zero) - eta.get("informational", zero)
        share = 1 / (1 + np.exp(-(sc.cs_slope * diff + 0.5 * r_other.standard_normal(n))))
        rel = np.round(share * 20) * 5
        for iid in cs_items:
            values[iid] = rel if "relational" in iid else (100 - rel if len(cs_items) == 2 else
                                                           np.full(n, np.round(100 / len(cs_items))))

    # --- data-quality problems --------------------------------------------------------------
    answering = (consent == 1) & (decision == 1)
    lik_cols = [i for i in ids if i in values and str(_get(items[i], "type", "")) == "likert"
                and _range(items[i]) is not None]
    frame = pd.DataFrame({c: values[c] for c in lik_cols})
    lo_s = int(min(_range(items[c])[0] for c in lik_cols)) if lik_cols else 1
    hi_s = int(max(_range(items[c])[1] for c in lik_cols)) if lik_cols else 7
    from .quirks import apply_careless, apply_missing, inject_invalid, to_platform

    frame, careless = apply_careless(frame, r_care, rate=sc.careless_rate, mix=sc.careless_mix,
                                     scale_min=lo_s, scale_max=hi_s, eligible=answering)
    for c in lik_cols:
        values[c] = frame[c].to_numpy()
    _fail_attention(values, items, careless == "attention", r_care, lo_s, hi_s)

    # skip logic (item show_if) and the consent/screening gate
    for iid in ids:
        if iid not in values or iid in ("consent",):
            continue
        item = items[iid]
        shown = np.ones(n, dtype=bool) if iid == "decision_maker" else answering.copy()
        if iid == "decision_maker":
            shown &= consent == 1
        for cond in _conditions(item):
            shown &= _eval_condition(cond, values, n)
        v = values[iid]
        if v.dtype == object:      # hidden, None or "" -> None (elementwise, no Python loop)
            v = v.copy()
            v[~shown | np.equal(v, None) | np.equal(v, "")] = None
        else:
            v = np.where(shown, v, np.nan)
        values[iid] = v

    # missing answers on items the platform does not force, invalid codes on numeric items
    numeric_opt = [i for i in ids if i in values and values[i].dtype != object
                   and not _get(items[i], "required", False)
                   and str(_get(items[i], "type", "")) in ("likert", "integer", "decimal", "rating")
                   and _attention_expected(items[i]) is None]
    frame = pd.DataFrame({c: values[c] for c in numeric_opt})
    frame = apply_missing(frame, numeric_opt, r_miss, rate=sc.missing_rate,
                          mechanism=sc.missing_mechanism, driver=np.log(facts["employees"].to_numpy()))
    ranges = {c: _range(items[c]) for c in lik_cols if c in frame.columns}
    frame = inject_invalid(frame, ranges, r_inv, rate=sc.invalid_rate)
    for c in numeric_opt:
        values[c] = frame[c].to_numpy()

    # --- meta columns -------------------------------------------------------------------------
    n_shown = _answered_count(values, n)
    speed = np.exp(np.log(6.0) + 0.35 * r_meta.standard_normal(n))        # seconds per answer
    speed = np.where(careless == "speeder", 1.0 + r_meta.random(n), speed)
    speed = np.where(careless == "straightline", speed * 0.5, speed)
    speed = np.where(np.isin(careless, ["midpoint", "diagonal", "pattern"]), speed * 0.6, speed)
    duration = np.round(40 + n_shown * speed).astype(int)
    start = pd.Timestamp(f"{sc.facts.survey_year}-03-02 08:00:00")
    offsets = np.sort(np.floor(r_meta.random(n) * 60 * 86400)).astype("int64")
    submitted = list(np.char.replace(np.datetime_as_string(
        start.to_datetime64().astype("datetime64[s]") + offsets.astype("timedelta64[s]"),
        unit="s"), "T", " ").astype(object))    # "%Y-%m-%d %H:%M:%S"
    # rows in submission order; ids in that order
    perm = r_meta.permutation(n)
    width = max(4, len(str(n)))
    out = {"resp_id": [f"{SIMULATED_PREFIX}{i + 1:0{width}d}" for i in range(n)],
           "submitted_at": submitted, "duration_sec": duration[perm]}
    meta_items = [i for i in ids if str(_get(items[i], "type", "")) == "meta"]
    if "survey_year" in meta_items:
        out["survey_year"] = np.full(n, sc.facts.survey_year)
    for iid in ids:
        if iid in values:
            out[iid] = values[iid][perm]
    # last: the language version, from its own stream (rows already in submission order)
    r_lang = np.random.default_rng(children[_LANGUAGE_STREAM])
    out["survey_language"] = np.asarray(list(shares), dtype=object)[
        np.searchsorted(np.cumsum(list(shares.values())), r_lang.random(n), side="right")
        .clip(0, len(shares) - 1)]
    if language_dif:
        _apply_language_dif(out, items, language_dif, shares)
    raw = pd.DataFrame(out)
    raw = to_platform(raw, instrument, platform)
    if not return_truth:
        return raw
    truth = latent.iloc[perm].reset_index(drop=True)
    truth.insert(0, "resp_id", out["resp_id"])
    truth["careless"] = careless[perm]
    truth["eligible"] = (facts["eligible"].to_numpy() & answering)[perm]
    truth["consent"] = consent[perm]
    truth["survey_language"] = out["survey_language"]
    return raw, truth


def _apply_language_dif(out, items, dif, shares) -> None:
    """Shift the valid answers to ``dif["items"]`` of the ``dif["language"]`` rows in place
    (no random draw: the other columns and every draw stay as they are)."""
    import numpy as np

    from ..errors import InputError

    lang = str(dif.get("language", ""))
    if lang not in shares:
        raise InputError(f"not a language of the instrument ({', '.join(shares)})",
                         parameter="language_dif.language", value=lang)
    rows = out["survey_language"] == lang
    for iid, shift in (dif.get("items") or {}).items():
        rng_ = _range(items[iid]) if iid in items else None
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
    from ..errors import InputError

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


def _fail_attention(values, items, rows, rng, lo, hi):
    """Attention-check failures: each of the ``rows`` answers one attention check (or, with
    probability 1/2, each of them) with a wrong scale point. No draw when no row fails."""
    import numpy as np

    checks = [i for i in values if _attention_expected(items[i]) is not None
              and _range(items[i]) is not None]
    idx = np.flatnonzero(rows)
    if not checks or not len(idx):
        return
    both = rng.random(len(idx)) < 0.5
    which = rng.integers(0, len(checks), size=len(idx))
    shift = rng.integers(1, int(hi - lo + 1), size=(len(idx), len(checks)))
    for j, iid in enumerate(checks):
        expected = _to_float(_attention_expected(items[iid]))
        hit = both | (which == j)
        wrong = lo + (expected - lo + shift[:, j]) % (hi - lo + 1)   # never the expected one
        v = values[iid].astype(float, copy=True)
        v[idx[hit]] = wrong[hit]
        values[iid] = v


def _blank_mask(v):
    """``_isblank`` of each element of a column, vectorised by dtype."""
    import numpy as np

    v = np.asarray(v)
    if v.dtype.kind == "f":
        return np.isnan(v)
    if v.dtype.kind in "iub":
        return np.zeros(len(v), dtype=bool)
    return np.fromiter((_isblank(x) for x in v), dtype=bool, count=len(v))


def _answered_count(values, n):
    """Per row, the number of columns of ``values`` answered (not blank)."""
    import numpy as np

    out = np.zeros(n, dtype=np.int64)
    for c in values:
        out += ~_blank_mask(values[c])
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
    from ..io import atomic_write, sha256_bytes
    from .quirks import raw_csv_bytes

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
