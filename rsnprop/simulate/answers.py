"""The answers of the simulated firms to every item of the instrument (step 3 of
:func:`rsnprop.simulate.simulate_study`).

Likert items of the benefit constructs come from the population model (thresholded latent
scores, :func:`rsnprop.simulate.population.simulate_likert`), classification facts from
:mod:`rsnprop.simulate.facts`; the other items are drawn here: consent and the
decision-maker screen, attention checks (answered as expected), multiple choices (platforms,
entry modes, languages), ordered single choices and rating scales that follow RSN use,
numbers (years and hours of RSN use), text, and the constant-sum split of 100 points between
relational and informational benefits.  Every draw comes from one stream (``rng``) in a fixed
order, so that the same seed gives the same answers.

Examples
--------
>>> item_range({"type": "likert", "scale": {"min": 1, "max": 7}}), item_codes({"choices": {"a": "A", "b": "B"}})
((1.0, 7.0), ['a', 'b'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .population import column_of, likert_thresholds, n_rows

__all__ = ["simulate_answers", "item_attr", "item_range", "item_codes", "attention_expected",
           "show_conditions", "condition_holds", "to_float", "item_meta", "ItemMeta"]


def item_attr(obj, key, default=None):
    """``obj[key]`` of a dict, ``obj.key`` of an object, ``default`` when absent or ``obj`` is None."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def item_range(item):
    """``(min, max)`` of an item's scale (or range) as floats, None without one."""
    for attr in ("scale", "range"):
        sc = item_attr(item, attr)
        lo, hi = item_attr(sc, "min"), item_attr(sc, "max")
        if lo is not None and hi is not None:
            return float(lo), float(hi)
    return None


def item_codes(item) -> list:
    """The codes of an item's choices, in order."""
    ch = item_attr(item, "choices") or {}
    if isinstance(ch, dict):
        return list(ch.keys())
    out = []
    for c in ch:
        out.append(item_attr(c, "code", c))
    return out


def attention_expected(item):
    """The answer an attention-check item expects (None for other items)."""
    att = item_attr(item, "attention_check")
    if att is None or att is False:
        return None
    exp = item_attr(att, "expected", att if isinstance(att, (int, float, str)) else None)
    return exp


def show_conditions(item) -> list:
    """The item's ``show_if`` conditions as a list (empty: always shown)."""
    cond = item_attr(item, "show_if")
    if cond is None:
        return []
    if isinstance(cond, (list, tuple)):
        return list(cond)
    return [cond]


def condition_holds(cond, values, n, choices=None):
    """Boolean array: rows where ``cond`` ({item, op, value}) holds given answers ``values``.

    ``choices``: a dict kept by the caller across the conditions of one set of answers; a
    ``selected`` condition keeps there the distinct answers of the column it reads and their
    chosen codes (the same for every code it is asked about), held with the column itself,
    so that a column replaced in ``values`` is read again."""

    ref, op, val = item_attr(cond, "item"), str(item_attr(cond, "op", "eq")), item_attr(cond, "value")
    col = values.get(ref)
    if col is None:
        return np.ones(n, dtype=bool)
    if op == "selected":     # on the distinct answers (unanswered: the sentinel -1, False)
        held = None if choices is None else choices.get(ref)
        if held is None or held[0] is not col:
            held = (col, *_chosen_codes(col))
            if choices is not None:
                choices[ref] = held
        _, codes, chosen = held
        code = str(val)
        hit = [c is not None and code in c for c in chosen] + [False]
        return np.array(hit, dtype=bool)[codes]
    arr = np.asarray(col)
    if arr.dtype.kind in "fiub":      # numeric answers: float() of each, without the loop
        num = arr.astype(np.float64)
    else:
        arr = arr.astype(object)
        num = np.array([to_float(x) for x in arr])
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


def _chosen_codes(col):
    """``(codes, chosen)``: the distinct answers of a ``select_multiple`` column (codes of
    :func:`pandas.factorize`, unanswered -1) and the list of codes each chose (None for an
    answer that is not text)."""
    codes, uniq = pd.factorize(np.asarray(col, dtype=object), use_na_sentinel=True)
    return codes, [x.split() if isinstance(x, str) else None for x in uniq]


def to_float(x) -> float:
    """``float(x)``, NaN when ``x`` is not a number."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


class ItemMeta:
    """What the simulator reads of each item of an instrument, read once
    (:func:`item_meta`): ``type`` (text), ``range`` (:func:`item_range`), ``codes``
    (:func:`item_codes`; not to be changed by callers), ``attention``
    (:func:`attention_expected`), ``required``, ``reverse``, ``pii``, ``exclusive`` and
    ``show``: per item, its ``show_if`` conditions as ``(key, condition)`` with ``key =
    (item, op, repr(value))``; each a dict by item id, in the instrument's order; ``read``: the
    items some condition reads (a frozenset)."""

    def __init__(self, items):
        self.type = {i: str(item_attr(it, "type", "")) for i, it in items.items()}
        self.range = {i: item_range(it) for i, it in items.items()}
        self.codes = {i: item_codes(it) for i, it in items.items()}
        self.attention = {i: attention_expected(it) for i, it in items.items()}
        self.required = {i: item_attr(it, "required", False) for i, it in items.items()}
        self.reverse = {i: item_attr(it, "reverse", False) for i, it in items.items()}
        self.pii = {i: item_attr(it, "pii", False) for i, it in items.items()}
        self.exclusive = {i: item_attr(it, "exclusive", ()) for i, it in items.items()}
        self.show = {i: [((item_attr(c, "item"), str(item_attr(c, "op", "eq")),
                           repr(item_attr(c, "value"))), c) for c in show_conditions(it)]
                     for i, it in items.items()}
        self.read = frozenset(key[0] for conds in self.show.values() for key, _ in conds)


#: id of an instrument's ``items`` dict -> (that dict, its item objects, ItemMeta)
_META: dict = {}


def item_meta(instrument) -> ItemMeta:
    """The :class:`ItemMeta` of ``instrument``, computed once and kept while its ``items``
    dict holds the same item objects (checked by identity at each call: the instrument's
    items are frozen dataclasses, so an item changes only by being replaced). Items given as
    plain dicts are assumed not to be changed in place after a first simulation. At most 16
    instruments are kept (they are held here, so their ids are not reused).

    >>> from types import SimpleNamespace as NS
    >>> ins = NS(items={"q1": {"type": "likert", "scale": {"min": 1, "max": 5}}})
    >>> item_meta(ins).range, item_meta(ins) is item_meta(ins)
    ({'q1': (1.0, 5.0)}, True)
    """
    items = instrument.items
    entry = _META.get(id(items))
    if (entry is None or entry[0] is not items or len(entry[1]) != len(items)
            or not all(a is b for a, b in zip(entry[1], items.values()))):
        if len(_META) >= 16:
            _META.clear()
        entry = _META[id(items)] = (items, tuple(items.values()), ItemMeta(items))
    return entry[2]


def _multi(rng, codes, probs, n, force_first=False):
    """Space-separated select_multiple answers (ODK convention), never empty."""

    p = np.asarray(probs, dtype=float)
    hits = rng.random((n, len(codes))) < p
    none = ~hits.any(axis=1)
    hits[none, 0] = True
    return _pattern_text(hits, codes)


def _pattern_text(hits, codes):
    """``" ".join`` of the ``codes`` hit in each row of ``hits`` (n x k booleans): one string
    per distinct pattern of choices (few), not per respondent; the patterns found as integers
    (bit j: choice j), so any order of them gives the same strings per row."""
    k = hits.shape[1]
    if k > 62:         # too many choices for one integer: a string per row
        return np.array([" ".join(str(c) for c, h in zip(codes, row) if h) for row in hits],
                        dtype=object)
    key = hits.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
    names = [str(c) for c in codes]        # the text depends on the codes' str only
    if k <= _TABLE_BITS:
        return _pattern_table_text(key, names)
    pats, inv = np.unique(key, return_inverse=True)
    memo = _pattern_memo(names)
    text = np.empty(len(pats), dtype=object)
    for m, b in enumerate(pats.tolist()):
        t = memo.get(b)
        if t is None:
            t = memo[b] = " ".join(c for j, c in enumerate(names) if (b >> j) & 1)
        text[m] = t
    return text[np.asarray(inv).reshape(-1)]


#: tuple of the codes' str -> {pattern (bit j: code j): its text}, kept across studies (a
#: study meets mostly the patterns of the one before); at most 64 code lists, 4096 patterns each
_PATTERNS: dict = {}

#: at most this many choices: the texts of the patterns in a table of 2 ** k (:func:`_pattern_table_text`)
_TABLE_BITS = 12

#: tuple of the codes' str -> (object array of the 2 ** k texts, bool array: which are written), kept
#: across studies (at most 64 code lists)
_TABLES: dict = {}


def _pattern_table_text(key, names):
    """The texts of the patterns ``key`` (ints below ``2 ** len(names)``) taken from the table of
    every pattern's text of ``names``: the texts of the patterns met written once (the same
    strings as :func:`_pattern_text`'s distinct patterns, without sorting the rows' patterns)."""
    entry = _TABLES.get(tuple(names))
    if entry is None:
        if len(_TABLES) >= 64:
            _TABLES.clear()
        size = 1 << len(names)
        entry = _TABLES[tuple(names)] = (np.empty(size, dtype=object), np.zeros(size, dtype=bool))
    table, written = entry
    new = np.flatnonzero((np.bincount(key, minlength=table.size) > 0) & ~written)
    for b in new.tolist():
        table[b] = " ".join(c for j, c in enumerate(names) if (b >> j) & 1)
    written[new] = True
    return table[key]


def _pattern_memo(names) -> dict:
    key = tuple(names)
    memo = _PATTERNS.get(key)
    if memo is None or len(memo) > 4096:
        if len(_PATTERNS) >= 64:
            _PATTERNS.clear()
        memo = _PATTERNS[key] = {}
    return memo


class _Draws:
    """Columns of random draws for the answers: U(0, 1) and N(0, 1) columns pre-drawn in one
    block of 64 each and served one at a time (one counter for both), then fresh from ``rng``."""

    def __init__(self, rng, n):
        self.rng, self.n, self.col = rng, n, 0
        self.u_base = rng.random((n, 64))
        self.z_base = rng.standard_normal((n, 64))

    def unif(self):
        """A fresh column of U(0, 1) draws (pre-drawn for the first 63 requests)."""
        self.col += 1
        return self.u_base[:, self.col] if self.col < 64 else self.rng.random(self.n)

    def norm(self):
        """A fresh column of N(0, 1) draws (same counter as :meth:`unif`)."""
        self.col += 1
        return self.z_base[:, self.col] if self.col < 64 else self.rng.standard_normal(self.n)


@dataclass
class _Firms:
    """What the answers of each firm depend on (one entry per firm in every array)."""

    n: int
    consent: object
    decision: object
    facts: dict
    likert: dict
    params: object
    scenario: object
    eta: dict
    use: object
    bg: object
    age: object
    draws: _Draws
    meta: ItemMeta = None


def simulate_answers(instrument, params, scenario, latent, facts, likert, rng):
    """``(values, consent, decision)``: ``{item id: array of answers}`` for every non-meta
    item (before careless responding, routing and missing answers), and the consent and
    decision-maker answers (0/1 arrays) that gate the questionnaire. ``latent``, ``facts``
    and ``likert``: frames or ``{column: array}`` dicts
    (:func:`~rsnprop.simulate.population.latent_arrays`, :func:`~.facts.fact_arrays`)."""

    n = n_rows(latent)
    decision = (rng.random(n) >= 0.01).astype(int)
    eta = {c: column_of(latent, f"eta_{c}") for c in params.constructs}
    zero = np.zeros(n)
    firms = _Firms(n=n, consent=column_of(facts, "consent"), decision=decision,
                   facts=_columns(facts), likert=_columns(likert), params=params, scenario=scenario, eta=eta,
                   use=0.5 * eta.get("relational", zero) + 0.5 * eta.get("informational", zero),
                   bg=column_of(latent, "born_global") == 1,
                   age=scenario.facts.survey_year - column_of(facts, "founding_year"),
                   draws=_Draws(rng, n), meta=item_meta(instrument))
    values: dict = {}
    items = instrument.items
    for iid in items:
        v = _answer(iid, items[iid], firms)
        if v is not None:
            values[iid] = v
    _constant_sum(values, items, firms, rng)
    return values, firms.consent, decision


def _columns(frame) -> dict:
    """``{column: frame[column].to_numpy()}``, read as one array when the frame has one dtype
    (a column access per column costs more than the answers at a few hundred rows)."""
    if isinstance(frame, dict):
        return frame
    if frame.shape[1] and len(set(frame.dtypes)) == 1 and frame.columns.is_unique:
        arr = frame.to_numpy()
        return {c: arr[:, j] for j, c in enumerate(frame.columns)}
    return {c: frame[c].to_numpy() for c in frame.columns}


def _answer(iid, item, firms):
    """The answers to one item (None: a meta item, or a constant-sum item filled later)."""

    n, meta = firms.n, firms.meta
    typ, rng_, codes = meta.type[iid], meta.range[iid], meta.codes[iid]
    if typ == "meta":
        return None
    if iid == "consent":
        return firms.consent.astype(float)
    if iid == "decision_maker":
        return firms.decision.astype(float)
    if iid in firms.facts:
        v = firms.facts[iid]
        return v if iid == "sector" else v.astype(float)
    if iid in firms.likert:
        v = firms.likert[iid]
        if meta.reverse[iid]:
            lo, hi = firms.params.items[iid]["min"], firms.params.items[iid]["max"]
            v = lo + hi - v
        return v
    if meta.attention[iid] is not None:
        return np.full(n, to_float(meta.attention[iid]))
    if typ == "constant_sum" or iid.startswith("cs_"):
        return None  # filled by _constant_sum, as a group
    if typ == "select_multiple":
        return _select_multiple(iid, item, codes, firms)
    if typ == "select_one" and codes:
        return _select_one(codes, firms)
    if typ in ("likert", "rating") and rng_ is not None:
        return _rating(rng_, firms)
    if typ in ("integer", "decimal"):
        return _number(iid, rng_, firms)
    if typ == "text":
        return _text(item, firms)
    return np.full(n, np.nan)


def _select_multiple(iid, item, codes, firms):
    """Space-separated choices; platforms, entry modes (by group) and languages with their
    own probabilities."""

    n, draws = firms.n, firms.draws
    # exclusive options ("none": no social media) are not simulated: every simulated
    # firm uses at least one option (same draws as before such options existed)
    codes = [c for c in codes if c not in (firms.meta.exclusive[iid] or ())]
    if iid == "rsn_platforms":
        base = {"linkedin": 0.92, "facebook": 0.55, "x": 0.25, "instagram": 0.35,
                "youtube": 0.2, "xing": 0.06, "wechat": 0.03, "tiktok": 0.08, "other": 0.04}
        probs = [base.get(str(c), 0.15) for c in codes]
    elif iid == "entry_modes":
        pb = {"direct": (0.75, 0.6), "indirect": (0.35, 0.15), "agent": (0.4, 0.45),
              "online": (0.2, 0.5)}
        probs = [pb.get(str(c), (0.06, 0.1)) for c in codes]
        hits = np.stack([draws.unif() < np.where(firms.bg, p[1], p[0]) for p in probs], axis=1) \
            if codes else np.zeros((n, 0), bool)
        if not codes:
            return np.array(["" for _ in range(n)], dtype=object)
        hits[~hits.any(axis=1), 0] = True
        return _pattern_text(hits, codes)
    elif iid == "rsn_languages":
        base = {"en": 0.9, "fr": 0.6, "nl": 0.4, "de": 0.15}
        probs = [base.get(str(c), 0.05) for c in codes]
    else:
        probs = [0.6] + [0.25] * (len(codes) - 1)
    return _multi(draws.rng, codes, probs, n) if codes else np.full(n, "", dtype=object)


def _select_one(codes, firms):
    """Yes/no (0/1) at random; ordered choice lists (frequency...) follow RSN use intensity."""

    draws = firms.draws
    binary, table = _choice_table(codes)
    if binary:
        return (draws.unif() < 0.5).astype(float)
    k = len(codes)
    pos = np.clip(np.floor((0.55 + 0.18 * (firms.use + draws.norm())) * k), 0, k - 1).astype(int)
    return table[pos]


#: an item's codes (with their types) -> :func:`_choice_table`'s answer, kept across studies (at most 256)
_CHOICES: dict = {}


def _choice_table(codes):
    """``(binary, table)``: whether the codes' ``str`` are {"0", "1"}, and the codes as the
    answers of a single choice: ``np.asarray(codes, dtype=object).astype(float)`` (the cast
    of each code, as the answers were cast after being picked), or the object array when a
    code is not a number; computed once per list of codes."""
    try:
        key = tuple((type(c), c) for c in codes)      # 1, 1.0 and True apart
        hit = _CHOICES.get(key)
    except TypeError:          # unhashable codes: computed each time
        key, hit = None, None
    if hit is None:
        arr = np.asarray(codes, dtype=object)
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            pass
        hit = (set(map(str, codes)) == {"0", "1"}, arr)
        if key is not None:
            if len(_CHOICES) >= 256:
                _CHOICES.clear()
            _CHOICES[key] = hit
    return hit


def _rating(rng_, firms):
    """A rating scale outside the measurement model: thresholded, following RSN use."""

    lo, hi = rng_
    tau = np.asarray(likert_thresholds(int(hi - lo + 1), firms.scenario.skew))
    ystar = 0.6 * firms.use / max(float(np.std(firms.use)), 1e-9) + 0.8 * firms.draws.norm()
    return lo + np.searchsorted(tau, ystar)


def _number(iid, rng_, firms):
    """Years of RSN use (at most the firm's age), weekly RSN hours (log-normal, with use) or a
    uniform integer, within the item's range."""

    draws = firms.draws
    lo, hi = rng_ if rng_ is not None else (0.0, 100.0)
    if iid == "rsn_years":
        v = np.minimum(np.round(2 + 10 * draws.unif()), np.maximum(firms.age, 0))
    elif iid == "rsn_hours":
        v = np.round(2 * np.exp(1.0 + 0.7 * draws.norm() + 0.3 * firms.use)) / 2
    else:
        v = lo + np.floor(draws.unif() * min(hi - lo + 1, 20))
    return np.clip(v, lo, hi)


def _text(item, firms):
    """"Other, please specify" answered whenever shown; PII text by 1 firm in 10; else blank."""

    n = firms.n
    if any(str(item_attr(c, "op")) == "selected" for c in show_conditions(item)):
        v = np.full(n, "SIMULATED other", dtype=object)
    elif item_attr(item, "pii", False):
        v = np.where(firms.draws.unif() < 0.1, "SIMULATED free text", "")
    else:
        v = np.full(n, "", dtype=object)
    return np.asarray(v, dtype=object)


def _constant_sum(values, items, firms, rng):
    """The constant-sum items: the relational share of 100 points follows the latent
    difference relational - informational (``scenario.cs_slope``)."""

    cs_items = [i for i in items if firms.meta.type[i] == "constant_sum"]
    if not cs_items:
        return
    zero = np.zeros(firms.n)
    diff = firms.eta.get("relational", zero) - firms.eta.get("informational", zero)
    share = 1 / (1 + np.exp(-(firms.scenario.cs_slope * diff + 0.5 * rng.standard_normal(firms.n))))
    rel = np.round(share * 20) * 5
    for iid in cs_items:
        values[iid] = rel if "relational" in iid else (100 - rel if len(cs_items) == 2 else
                                                       np.full(firms.n, np.round(100 / len(cs_items))))
