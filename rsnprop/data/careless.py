"""Careless-responding indices, vectorised (no Python loop over respondents).

Each function mirrors the R package ``careless`` (Yentes & Wilhelm, version 1.2.x) and gives
the same numbers (tests/reference/data_careless.R runs the package's own R code):

=====================  ===========================================  ==========================
function               meaning (higher = more careless unless said)  R
=====================  ===========================================  ==========================
:func:`longstring`     longest run of identical consecutive answers  ``careless::longstring``
:func:`irv`            intra-individual SD (low = straight-lining)   ``careless::irv``
:func:`irv_split`      IRV of each block of consecutive items        ``careless::irv(split=)``
:func:`mahad`          Mahalanobis D2 (psych::outlier, pairwise)     ``careless::mahad``
:func:`evenodd`        minus Spearman-Brown even-odd correlation     ``careless::evenodd``
:func:`psychsyn`       within-person synonym correlation (low = bad) ``careless::psychsyn``
:func:`person_total`   correlation with the item means (low = bad)   R script (Curran 2016)
:func:`pattern`        share of answers following one lag-L rule     R script (this package)
=====================  ===========================================  ==========================

``person_total`` and ``pattern`` are not in ``careless`` 1.2.2; their R twins are plain R
functions in tests/reference/data_careless_new.R.

All take a 2-D float array (rows = respondents, columns = items in questionnaire order, NaN =
missing) and process rows in blocks so that memory stays bounded for a million rows.  They
live by family (:mod:`.careless_invariance`, :mod:`.careless_consistency`,
:mod:`.careless_covariance`) and are imported here; this module computes them all at once
(:func:`careless_indices`) and combines their flags (:func:`index_rule`).

References
----------
Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey data.
Journal of Experimental Social Psychology, 66, 4-19.
Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
Psychological Methods, 17(3), 437-455.
Goldammer, P., Annen, H., Stöckli, P. L., & Jonas, K. (2020). Careless responding in
questionnaire measures: Detection, impact, and remedies. The Leadership Quarterly, 31(4), 101384.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ._threads import one_blas_thread
from .careless_blocks import _THREAD_MIN_ROWS, _halves, _SerialPool
from .chisq import chi2_sf
from .careless_consistency import evenodd, person_total, psychsyn, synonym_pairs
from .careless_covariance import _inverse, _pairwise_cov, mahad, pairwise_cov
from .careless_invariance import _block_irv, irv, irv_split, longstring, pattern
from .rules import CarelessRules

__all__ = ["longstring", "irv", "irv_split", "mahad", "evenodd", "psychsyn", "person_total", "pattern",
           "pairwise_cov", "careless_indices", "index_rule", "INDEX_OF_FLAG"]


def careless_indices(items, *, factors=None, rules=None, raw_items=None, reverse_in_place=None):
    """All careless-responding indices and their flags for a block of Likert items.

    Parameters
    ----------
    items : pandas.DataFrame
        Likert answers after reverse keying, columns in questionnaire order (Mahalanobis,
        even-odd and synonym indices use these).
    factors : list of list of str, optional
        Item columns of each construct (for even-odd); skipped when fewer than two.
    rules : rsnprop.data.rules.CarelessRules, optional
    raw_items : pandas.DataFrame, optional
        The answers as given (before reverse keying) for longstring, IRV, pattern and
        person-total; ``items`` when omitted.
    reverse_in_place : dict, optional
        ``{column position: lo + hi}``: ``items`` holds the answers as given (a float64 array
        that may be overwritten, ``raw_items`` omitted); longstring and IRV are computed on
        it first, then those columns are reverse keyed in place (``lo + hi - x``) for the
        other indices. Same results as passing both matrices, with one copy fewer.

    Returns
    -------
    indices : pandas.DataFrame
        ``longstring, irv, mahad, mahad_p, evenodd, irv_block, pattern, person_total,
        psychsyn, psychant`` per row.
    flags : pandas.DataFrame
        Boolean ``flag_<index>`` columns (an index whose threshold is ``None`` is computed but
        sets no flag).
    notes : list of str
        Indices that could not be computed and why.
    """

    rules = rules or CarelessRules()
    if reverse_in_place and raw_items is not None:
        raise ValueError("reverse_in_place: pass the answers as given as items")
    with one_blas_thread():
        x = items.to_numpy(dtype="float64", na_value=np.nan)
        xr = x if raw_items is None else raw_items.to_numpy(dtype="float64", na_value=np.nan)
        values = _compute_indices(x, xr, list(items.columns), factors, rules, reverse_in_place)
        idx, flags, notes = _flag_indices(values, rules, factors)
    # one frame each, built at once (inserting column by column costs more than the indices
    # at a few hundred rows); the flags as plain booleans (NaN comparisons are False already)
    idx = pd.DataFrame(idx, index=items.index)
    flags = pd.DataFrame({c: np.asarray(f, dtype=bool) for c, f in flags.items()},
                         index=items.index)
    return idx, flags, notes


#: the row-wise indices whose value of a row does not depend on the other rows passed with
#: it (each computed row block by row block, without a matrix product over rows): under
#: ``_THREAD_MIN_ROWS`` rows they are computed in one call instead of once per half
_ONE_CALL = frozenset({longstring, irv, pattern, irv_split})
#: the keyed indices whose matrix products over a row's answers sum whole numbers when the
#: answers are whole numbers (0/1 weights, pair counts): exact in any order, so one call on
#: the whole block gives the bits of the two halves' calls (:func:`_whole_answers`)
_ONE_CALL_WHOLE = frozenset({evenodd, psychsyn})


def _whole_answers(x) -> bool:
    """Whether every answer of ``x`` is NaN or a whole number small enough that every sum of
    :func:`.evenodd` and :func:`.psychsyn` over ``x``'s ``p`` columns is exact in float64
    (``max|x|**2 * p**3 < 2**52``: squares times pair counts, summed over columns)."""

    n, p = x.shape
    if not (n and p):
        return False
    finite = x[~np.isnan(x)]
    if not finite.size:
        return True
    big = np.abs(finite).max()
    return bool(np.isfinite(big) and big * big * float(p) ** 3 < 2.0 ** 52
                and (finite == np.floor(finite)).all())


def _compute_indices(x, xr, cols, factors, rules, reverse_in_place, given=None) -> dict:
    """Every index of :func:`careless_indices` (``x`` keyed, ``xr`` as given; with
    ``reverse_in_place`` ``x`` is both, keyed in place after the as-given indices).
    ``given``: a callable returning the row-wise as-given indices of these rows, computed
    elsewhere (:mod:`.careless_early`; ``longstring, irv, pattern, irv_block``), called
    last (the other indices are computed meanwhile) and taken as they are.

    Both cores: every row-wise index is computed on the two halves of the rows at once (numpy
    releases the GIL; a row's values do not depend on the split), and the covariance sums too
    when they are exact (small integers), so the results do not depend on the threading."""

    n, p = x.shape
    groups = [g for g in ([c for c in f if c in cols] for f in (factors or [])) if g]
    grouped = [cols.index(c) for g in groups for c in g]
    xs = x if len(groups) >= 2 else None   # even-odd reads the constructs' columns
    halves = _halves(n)
    whole = n < _THREAD_MIN_ROWS      # one call: the same values (see _ONE_CALL)
    checked = []          # _whole_answers of the keyed answers, asked once by the first caller

    def exact():
        if not checked:
            checked.append(_whole_answers(x))
        return checked[0]

    def rows(pool, fn, arr, *args, **kw):
        if whole and (fn in _ONE_CALL or fn in _ONE_CALL_WHOLE and exact()):
            value = fn(arr, *args, **kw)
            return lambda: value
        futs = [pool.submit(fn, arr[h], *args, **kw) for h in halves]
        return lambda: np.concatenate([f.result() for f in futs])

    with (ThreadPoolExecutor(max_workers=2) if n >= _THREAD_MIN_ROWS else _SerialPool()) as pool:
        if reverse_in_place:
            x = xr = _writeable(x)
            # computed (not just started) before the keying below overwrites the answers;
            # those of ``given`` (computed elsewhere, on a copy) are read last
            as_given = {k: get if given is not None and k in _ROW_WISE else get()
                        for k, get in _as_given_indices(pool, rows, x, rules, given).items()}
            for j, total in reverse_in_place.items():   # = reverse_key(x[:, j], lo, hi)
                np.subtract(total, x[:, j], out=x[:, j])
        # exact sums (small integers) in one call under _THREAD_MIN_ROWS rows: the same
        # whole numbers as the halves' added (any other data ignores the pool)
        pcov, means = (_pairwise_cov(x, None if whole else pool) if n > 2 and p
                       else (None, None))
        if not reverse_in_place:
            as_given = _as_given_indices(pool, rows, xr, rules, given)
        keyed = _keyed_indices(pool, rows, x, xs, groups, grouped, pcov, means, rules)
        # a large block: the answer counts in the pool too (after the keyed indices)
        counted = pool.submit(_answered, xr) if n >= _THREAD_MIN_ROWS else None
        out = {k: get() if callable(get) else get for k, get in as_given.items()}
        out |= {k: get() for k, get in keyed.items() if k != "syn"}
        out["syn"] = {k: (npairs, get() if get is not None else None)
                      for k, (npairs, get) in keyed["syn"].items()}
        if counted is not None and out["mahad"] is not None:    # elementwise: any split
            d2 = out["mahad"]
            out["mahad_p"] = np.concatenate(list(pool.map(lambda h: chi2_sf(d2[h], p), halves)))
    answered = counted.result() if counted is not None else _answered(xr)
    return out | {"answered": answered, "n_items": p}


def _answered(xr):
    """``(~np.isnan(xr)).sum(1)``, column by column."""
    answered = np.zeros(xr.shape[0], dtype=np.int64)
    for j in range(xr.shape[1]):
        answered += ~np.isnan(xr[:, j])
    return answered


def _writeable(x):
    """``x`` made writeable (pandas hands out read-only views), or a copy when it cannot be."""
    if not x.flags.writeable:
        try:
            x.flags.writeable = True
        except ValueError:
            x = x.copy(order="K")
    return x


def _nanmean_columns(x, pool=None):
    """``np.nanmean(x, axis=0)``, the same floats, one column at a time: ``nanmean`` copies
    the whole matrix with its NaN set to 0 (270 MB beside the answers of a million rows).
    For a column-major ``x`` numpy sums each column as one contiguous run, as here; other
    layouts, and blocks under ``_THREAD_MIN_ROWS`` rows (where the copy is small and the
    loop's calls cost more), go to ``nanmean`` itself. With a thread ``pool`` the two
    halves of the columns are summed at once (each column's sum is the same)."""

    n, p = x.shape
    if not (x.flags.f_contiguous and n >= _THREAD_MIN_ROWS and p):
        return np.nanmean(x, axis=0)
    tot, cnt = np.empty(p), np.empty(p, dtype=np.intp)

    def columns(js):
        for j in js:
            miss = np.isnan(x[:, j])
            tot[j] = np.where(miss, 0.0, x[:, j]).sum()
            cnt[j] = n - np.count_nonzero(miss)
    if pool is None:
        columns(range(p))
    else:
        for f in [pool.submit(columns, range(h.start, h.stop)) for h in _halves(p)]:
            f.result()
    if not cnt.all():
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tot / cnt


def _as_given_indices(pool, rows, xr, rules, given=None) -> dict:
    """Getters of the indices read on the answers as given: longstring, IRV, pattern, the
    smallest block IRV (computed at once) and person-total (``None`` under 3 rows or items).
    The first four are taken from ``given`` when it holds them (:func:`row_wise_indices`)."""

    n, p = xr.shape
    if given is not None:
        out = {k: (lambda k=k: given()[k]) for k in _ROW_WISE}
    else:
        out = row_wise_indices(xr, rules, pool, rows)
    # the item means on both threads when the pool is idle (a large block whose row-wise
    # indices are given; otherwise they are in the pool's queue already)
    idle = pool if given is not None and n >= _THREAD_MIN_ROWS else None
    out["person_total"] = (rows(pool, person_total, xr, mean=_nanmean_columns(xr, idle))
                           if n > 2 and p > 2 else (lambda: None))
    return out


#: the as-given indices whose value of a row depends on that row's answers only
_ROW_WISE = ("longstring", "irv", "pattern", "irv_block")


def row_wise_indices(xr, rules, pool=None, rows=None) -> dict:
    """Getters of longstring, IRV, pattern and the smallest block IRV of the answers as given
    ``xr`` (each row's values depend on its answers only, so any row split gives the same
    values). Without ``pool``, computed at once in this thread."""
    n, p = xr.shape
    if pool is None:
        pool = _SerialPool()

        def rows(pool, fn, arr, *args, **kw):
            value = fn(arr, *args, **kw)
            return lambda: value
    out = {"longstring": rows(pool, longstring, xr), "irv": rows(pool, irv, xr),
           "pattern": (rows(pool, pattern, xr, max_lag=rules.pattern_max_lag)
                       if p > 1 else (lambda: np.full(n, np.nan)))}
    blk = _block_irv(pool, rows, xr, rules, n, p)
    out["irv_block"] = lambda: blk
    return out


def _keyed_indices(pool, rows, x, xs, groups, grouped, pcov, means, rules) -> dict:
    """Getters of the indices read after reverse keying: even-odd (``None`` under two
    constructs), Mahalanobis D2 (NaN when the covariances are not finite, ``None`` under p + 2
    rows) and ``syn``: per synonym/antonym index, the number of item pairs and its getter
    (``None`` under 3 pairs)."""

    n, p = x.shape
    out = {"evenodd": (rows(pool, evenodd, xs, [len(g) for g in groups], columns=grouped)
                       if xs is not None else (lambda: None))}
    if n > p + 1 and p and np.isfinite(pcov[0]).all():
        out["mahad"] = rows(pool, mahad, x, mean=_nanmean_columns(x) if means is None else means,
                            inv=_inverse(pcov[0]))
    else:
        out["mahad"] = (lambda: np.full(n, np.nan)) if n > p + 1 and p else (lambda: None)
    syn = {}
    for name, anto, crit in (("psychsyn", False, rules.psychsyn_critval),
                             ("psychant", True, rules.psychant_critval)):
        if pcov is not None:
            pairs = synonym_pairs(x, crit, anto=anto, pcov=pcov)
            syn[name] = (len(pairs), rows(pool, psychsyn, x, pairs=pairs)
                         if len(pairs) >= 3 else None)
    out["syn"] = syn
    return out


def _flag_indices(values, rules, factors):
    """The indices in their output order, their flags under ``rules`` and the notes on the
    indices not computed (``values`` from :func:`_compute_indices`)."""

    p, answered = values["n_items"], values["answered"]
    idx: dict = {}      # columns in order; one frame each at the end
    flags: dict = {}
    notes = []
    ls, v = values["longstring"], values["irv"]
    idx["longstring"] = ls
    if rules.longstring_max_share is not None and p:
        flags["flag_longstring"] = ls > rules.longstring_max_share * p
    idx["irv"] = v
    thr = rules.irv_min
    flags["flag_irv"] = ((v <= 0) if thr is None else (v < thr)) & (answered >= max(3, p // 2))
    d2 = values["mahad"]
    if d2 is not None:
        pval = values["mahad_p"] if "mahad_p" in values else chi2_sf(d2, p)
        idx["mahad"] = d2
        idx["mahad_p"] = pval
        if rules.mahad_alpha is not None:
            flags["flag_mahad"] = pval < rules.mahad_alpha
    else:
        notes.append("Mahalanobis distance not computed: fewer respondents than items + 2")
    eo = values["evenodd"]
    if eo is not None:
        idx["evenodd"] = eo
        if rules.evenodd_max is not None:
            flags["flag_evenodd"] = eo > rules.evenodd_max
    elif factors:
        notes.append("even-odd not computed: fewer than two constructs")
    for name, key, limit, flag in (("irv_block", "irv_block_max", rules.irv_block_max,
                                    lambda a, t: a <= t),
                                   ("pattern", "pattern_max", rules.pattern_max,
                                    lambda a, t: a > t)):
        idx[name] = values[name]
        if limit is not None:
            flags[f"flag_{name}"] = flag(values[name], limit)
    pt = values["person_total"]
    if pt is not None:
        idx["person_total"] = pt
        if rules.person_total_min is not None:
            flags["flag_person_total"] = pt < rules.person_total_min
    _flag_synonyms(values["syn"], rules, idx, flags, notes)
    return idx, flags, notes


def _flag_synonyms(syn, rules, idx, flags, notes):
    """psychsyn (low = careless) and psychant (high = careless), when enough item pairs."""
    for name, anto, crit, lim in (("psychsyn", False, rules.psychsyn_critval, rules.psychsyn_min),
                                  ("psychant", True, rules.psychant_critval, rules.psychant_max)):
        if name not in syn:
            continue
        npairs, val = syn[name]
        if val is None:
            if lim is not None:
                notes.append(f"{name} not computed: {npairs} item pair(s) beyond "
                             f"r = {crit:+.2f} (at least 3 needed)")
            continue
        idx[name] = val
        if lim is not None:
            flags[f"flag_{name}"] = (val < lim) if not anto else (val > lim)


#: threshold field of each index flag (for the log: which threshold the value crossed)
INDEX_OF_FLAG = {"flag_longstring": ("longstring", "longstring_max_share"),
                 "flag_irv": ("irv", "irv_min"),
                 "flag_irv_block": ("irv_block", "irv_block_max"),
                 "flag_mahad": ("mahad_p", "mahad_alpha"),
                 "flag_pattern": ("pattern", "pattern_max"),
                 "flag_evenodd": ("evenodd", "evenodd_max"),
                 "flag_person_total": ("person_total", "person_total_min"),
                 "flag_psychsyn": ("psychsyn", "psychsyn_min"),
                 "flag_psychant": ("psychant", "psychant_max")}


def index_rule(flags, rules=None):
    """The index part of the careless screen: decisive flags alone, weak flags in numbers.

    Parameters
    ----------
    flags : pandas.DataFrame or dict
        Boolean ``flag_<index>`` columns (from :func:`careless_indices`), or ``{flag: array}``.
    rules : rsnprop.data.rules.CarelessRules, optional

    Returns
    -------
    excluded : numpy.ndarray of bool
        Rows with a decisive flag or at least ``rules.min_index_flags`` weak flags.
    decisive : numpy.ndarray of bool
        Rows with a decisive flag.
    n_weak : numpy.ndarray of int
        Number of weak flags of each row.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"flag_longstring": [True, False, False],
    ...                   "flag_evenodd": [False, True, True],
    ...                   "flag_person_total": [False, True, False]})
    >>> index_rule(f)[0].tolist()
    [True, True, False]
    """

    rules = rules or CarelessRules()
    if isinstance(flags, dict):     # {flag: array} (a frame's column selections cost more)
        names = list(flags)
        n = len(flags[names[0]]) if names else 0

        def block(cols):
            return np.column_stack([np.asarray(flags[c], dtype=bool) for c in cols])
    else:
        names, n = list(flags.columns), len(flags)

        def block(cols):
            return flags[cols].to_numpy(dtype=bool)
    dec_cols = [c for c in names if c[len("flag_"):] in rules.decisive]
    weak_cols = [c for c in names if c.startswith("flag_") and c not in dec_cols]
    decisive = block(dec_cols).any(axis=1) if dec_cols else np.zeros(n, dtype=bool)
    n_weak = block(weak_cols).sum(axis=1) if weak_cols else np.zeros(n, dtype=np.int64)
    return decisive | (n_weak >= rules.min_index_flags), decisive, n_weak
