"""The cleaning log: CONSORT-style flow of counts and every excluded row with all its reasons.

Steps are applied in this order; a firm is counted as excluded at the first step where it has a
reason, but *all* its reasons are listed. ``n_in == n_kept + n_excluded`` is checked in code.

Examples
--------
>>> import numpy as np
>>> reasons = {"no_consent": np.array([True, False, False]),
...            "speeding": np.array([True, True, False])}
>>> flow, excluded = exclusion_flow(reasons, ["a", "b", "c"])
>>> [(s["step"], s["n_excluded"]) for s in flow]
[('consent', 1), ('duplicates', 0), ('eligibility', 0), ('validity', 0), ('careless', 1), ('missing', 0)]
>>> excluded
[{'row': 1, 'id': 'a', 'reasons': ['no_consent', 'speeding']}, {'row': 2, 'id': 'b', 'reasons': ['speeding']}]
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning
from ..io import sha256_bytes, sha256_file
from .careless_report import careless_log
from .small_frames import frame_of_columns
from .survey_language import language_counts
from .validate import problems_frame
from .validate_small import SMALL_ROWS

__all__ = ["SCHEMA", "STEPS", "exclusion_flow", "step_of", "routing_log", "Findings",
           "Exclusions", "apply_exclusions", "problems_table", "cleaning_log", "short_log"]

#: contract of the cleaning log JSON (rsnprop.schemas.CleaningLog)
SCHEMA = "rsnprop.cleaning/1"

#: flow step -> exclusion reasons belonging to it (order = CONSORT order)
STEPS = {
    "consent": ["no_consent"],
    "duplicates": ["duplicate_id", "duplicate_submission"],
    "eligibility": ["not_sme", "not_internationalised", "not_decision_maker", "no_rsn_use", "sme_unknown",
                    "internationalised_unknown", "decision_maker_unknown"],
    "validity": ["invalid_value", "impossible_fact"],
    "careless": ["attention_check", "speeding", "careless_indices"],
    "missing": ["too_many_missing"],
}


_DATA_DIR = os.path.dirname(__file__)


@dataclass
class Findings:
    """What the steps of one cleaning run found, in the order found.

    ``reasons``: exclusion reason -> boolean array over the input rows (insertion order is
    the order of the flow's reasons); ``problems``: problem tables (0-based rows);
    ``warnings``: the messages of :meth:`warn`.

    Examples
    --------
    >>> import warnings
    >>> found = Findings()
    >>> with warnings.catch_warnings(record=True):
    ...     found.warn("2 unknown column(s) dropped: a, b")
    >>> found.warnings
    ['2 unknown column(s) dropped: a, b']
    """

    reasons: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def warn(self, msg: str) -> None:
        """Record ``msg`` for the log and issue it as a :class:`DataQualityWarning`, attributed
        to the caller of :func:`rsnprop.data.clean` (the first frame outside this package)."""
        self.warnings.append(msg)
        level, frame = 1, sys._getframe()
        while frame is not None and os.path.dirname(frame.f_code.co_filename) == _DATA_DIR:
            frame, level = frame.f_back, level + 1
        warnings.warn(msg, DataQualityWarning, stacklevel=level)


def step_of(reason: str) -> str:
    """Flow step of an exclusion reason (``eligibility`` for screening items not listed)."""
    for step, reasons in STEPS.items():
        if reason in reasons:
            return step
    return "eligibility"


def exclusion_flow(reasons: dict, ids) -> tuple:
    """Build the flow and the excluded list from reason masks.

    Parameters
    ----------
    reasons : dict
        reason code -> boolean array (n,) of rows having that reason.
    ids : sequence
        Respondent id of each row (``None`` allowed).

    Returns
    -------
    flow : list of dict
        ``{"step", "n_before", "n_excluded", "n_after", "reasons": {code: n rows with it}}``.
    excluded : list of dict
        ``{"row" (1-based data row), "id", "reasons": [codes in flow order]}``, by row.
    """

    n = len(ids)
    order = [r for step in STEPS.values() for r in step]
    order += sorted(r for r in reasons if r not in order)
    active = [r for r in order if r in reasons and np.asarray(reasons[r]).any()]
    steps = list(STEPS)
    extra = sorted({step_of(r) for r in active} - set(steps))
    if 0 < n <= SMALL_ROWS and len(active) <= 62:
        flow, code = _flow_small(reasons, active, steps + extra, n)
    else:
        flow, code = _flow(reasons, active, steps + extra, n)
    rows = np.flatnonzero(code != 0)
    masks = code[rows]
    decoded = {int(m): [active[j] for j in range(len(active)) if int(m) >> j & 1]
               for m in set(masks.tolist())}
    sel = [ids[i] for i in rows.tolist()]
    excluded = [{"row": i, "id": None if v is None else str(v), "reasons": list(decoded[m])}
                for i, v, m in zip((rows + 1).tolist(), sel, [int(m) for m in masks.tolist()])]
    return flow, excluded


def _flow_small(reasons, active, steps, n):
    """:func:`_flow` of a small export: the ``active`` reasons' masks as one boolean block,
    counted at once (whole numbers: the same counts), each step's rows one ``any`` of its
    reasons' rows, each row's reasons one product with their bits (at most 62: int64)."""
    mat = np.empty((len(active), n), dtype=bool)
    for j, r in enumerate(active):
        mat[j] = np.asarray(reasons[r], dtype=bool)
    counts = mat.sum(axis=1).tolist()
    at = [step_of(r) for r in active]
    alive, before, flow = np.ones(n, dtype=bool), n, []
    for step in steps:
        js = [j for j, s in enumerate(at) if s == step]
        newly = 0
        if js:
            hit = mat[js].any(axis=0)
            newly = int(np.count_nonzero(hit & alive))
            alive &= ~hit
        flow.append({"step": step, "n_before": before, "n_excluded": newly,
                     "n_after": before - newly,
                     "reasons": {active[j]: counts[j] for j in js}})
        before -= newly
    code = np.dot(np.left_shift(1, np.arange(len(active), dtype=np.int64)), mat)
    return flow, code.astype(np.int64) if len(active) else np.zeros(n, dtype=np.int64)


def _flow(reasons, active, steps, n):
    """The flow (see :func:`exclusion_flow`) and each row's set of reasons as a bit mask."""
    alive = np.ones(n, dtype=bool)
    flow = []
    for step in steps:
        codes = [r for r in active if step_of(r) == step]
        hit = np.zeros(n, dtype=bool)
        counts = {}
        for r in codes:
            m = np.asarray(reasons[r], dtype=bool)
            counts[r] = int(m.sum())
            hit |= m
        before = int(alive.sum())
        newly = hit & alive
        alive &= ~hit
        flow.append({"step": step, "n_before": before, "n_excluded": int(newly.sum()),
                     "n_after": int(alive.sum()), "reasons": counts})
    # each row's set of reasons as a bit mask; the few distinct masks are decoded once
    code = np.zeros(n, dtype=object if len(active) > 62 else "int64")
    for j, r in enumerate(active):
        code = code + np.asarray(reasons[r], dtype=bool).astype(code.dtype) * (1 << j)
    return flow, code


def routing_log(instrument, routed, not_shown_answered, ids) -> dict:
    """The log's ``routing`` block: how often each routing rule fired, and every row that
    answered questions a fired rule hides (``not_shown_answered``: answers kept).

    Parameters
    ----------
    instrument : Instrument
        Its ``routing`` rules (``id``, ``action``, ``hides``).
    routed : dict
        rule id -> boolean array (n,): the rule fired (:func:`.skip_logic.routing_masks`).
    not_shown_answered : dict
        item id -> 0-based rows that answered it although a fired rule hides the item.
    ids : sequence
        Respondent id of each row.

    Returns
    -------
    dict
        ``{"rules": {id: {"action", "n_fired"}}, "not_shown_answered": [{"row" (1-based),
        "id", "rules", "n_answers"}], "not_shown_answered_items": {item: n rows},
        "not_shown_answered_action": "kept"}``.

    Examples
    --------
    >>> import numpy as np
    >>> from rsnprop.instrument import load_instrument
    >>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
    >>> fired = {r.id: np.array([False, False]) for r in ins.routing}
    >>> fired["not_sme"] = np.array([False, True])
    >>> lg = routing_log(ins, fired, {"sector": np.array([1])}, ["a", "b"])
    >>> lg["rules"]["not_sme"], lg["not_shown_answered"]
    ({'action': 'end', 'n_fired': 1}, [{'row': 2, 'id': 'b', 'rules': ['not_sme'], 'n_answers': 1}])
    """

    n = len(ids)
    rules = list(getattr(instrument, "routing", ()) or ())
    per_rule = {}
    n_answers = np.zeros(n, dtype=np.int64)
    for rows in not_shown_answered.values():
        n_answers[np.asarray(rows, dtype=np.int64)] += 1
    for rule in rules:
        fired = np.asarray(routed.get(rule.id, np.zeros(n, bool)), dtype=bool)
        hit = np.zeros(n, dtype=bool)
        for item in rule.hides:
            if item in not_shown_answered:
                hit[np.asarray(not_shown_answered[item], dtype=np.int64)] = True
        per_rule[rule.id] = hit & fired
    # the rows that answered hidden items, each with its fired rules as a bit mask; the few
    # distinct masks are decoded once (as exclusion_flow does)
    rows = np.flatnonzero(n_answers)
    names = list(per_rule)
    code = np.zeros(len(rows), dtype=object if len(names) > 62 else "int64")
    for j, m in enumerate(per_rule.values()):
        code = code + m[rows].astype(code.dtype) * (1 << j)
    decoded = {int(c): [names[j] for j in range(len(names)) if int(c) >> j & 1]
               for c in set(code.tolist())}
    listed = [{"row": i + 1, "id": None if ids[i] is None else str(ids[i]),
               "rules": list(decoded[int(c)]), "n_answers": k}
              for i, c, k in zip(rows.tolist(), code.tolist(), n_answers[rows].tolist())]
    return {"rules": {r.id: {"action": r.action, "n_fired": int(np.asarray(
                routed.get(r.id, np.zeros(n, bool))).sum())} for r in rules},
            "not_shown_answered": listed,
            "not_shown_answered_items": {k: len(rows)
                                         for k, rows in sorted(not_shown_answered.items())},
            "not_shown_answered_action": "kept"}


@dataclass
class Exclusions:
    """The outcome of the screens: ``kept`` (boolean array over the input rows), the flow and
    the excluded list (:func:`exclusion_flow`), and the per-row ``flags`` table."""

    kept: object
    flow: list
    excluded: list
    flags: object

    @property
    def n_kept(self) -> int:
        return int(self.kept.sum())


def apply_exclusions(reasons: dict, ids, flags: dict) -> Exclusions:
    """Every row with a reason is excluded; the flow counts each at its first step.

    ``flags`` (column -> array) becomes the flags table, with ``kept`` last.  Raises
    ``RuntimeError`` if ``n_in != n_kept + n_excluded`` (a bug, never bad input)."""

    n_in = len(ids)
    flow, excluded = exclusion_flow(reasons, _id_list(ids))
    any_reason = np.zeros(n_in, dtype=bool)
    for m in reasons.values():
        any_reason |= np.asarray(m, dtype=bool)
    kept = ~any_reason
    flags["kept"] = kept
    # a small export (a power replication): the same frame built from its blocks
    table = frame_of_columns(flags, n_in) if 0 < n_in <= SMALL_ROWS else pd.DataFrame(flags, copy=False)
    out = Exclusions(kept, flow, excluded, table)
    n_kept = out.n_kept
    if n_in != n_kept + len(excluded) or flow and flow[-1]["n_after"] != n_kept:
        raise RuntimeError(f"cleaning lost rows: n_in={n_in}, n_kept={n_kept}, "
                           f"n_excluded={len(excluded)}")  # a bug, never bad input
    return out


def _id_list(ids) -> list:
    """``list(ids)``: for an object Series (as :func:`.columns.respondent_ids` gives) or a
    small one its array's ``tolist``, the same objects without a call per row (1,000,000
    ids: 50 -> 8 ms)."""
    if isinstance(ids, pd.Series) and (ids.dtype == object or 0 < len(ids) <= SMALL_ROWS):
        return ids.to_numpy().tolist()
    return list(ids)


def problems_table(parts, ids):
    """One problems table from the steps' ``parts``: sorted by row, column and reason, with
    the respondent id, rows 1-based."""

    problems = pd.concat([p for p in parts if len(p)], ignore_index=True) \
        if any(len(p) for p in parts) else problems_frame()
    problems = problems.sort_values(["row", "column", "reason"], kind="stable").reset_index(drop=True)
    problems.insert(1, "id", ids.to_numpy()[problems["row"].to_numpy()] if len(problems) else [])
    problems["row"] = problems["row"] + 1
    return problems


def short_log(excl: Exclusions, found: Findings) -> dict:
    """The log without the diagnostics (``clean(..., diagnostics=False)``): counts, flow,
    excluded rows, the number of problems and the warnings."""
    n_in = len(excl.kept)
    return {"n_in": n_in, "n_kept": excl.n_kept, "n_excluded": len(excl.excluded),
            "excluded": excl.excluded, "steps": _steps(n_in, excl.flow),
            "problems_total": int(sum(len(p) for p in found.problems)),
            "diagnostics": False, "warnings": found.warnings}


def cleaning_log(raw_hash, source, instrument, rules, *, cols, recodes, excl, found, problems,
                 careless, routing, data, missing, ids, languages) -> dict:
    """The cleaning log (schema ``rsnprop.cleaning/1``, docs/schemas.md), from what the steps
    of :func:`rsnprop.data.clean` returned."""

    n_in = len(excl.kept)
    log = {
        "n_in": n_in,
        "n_kept": excl.n_kept,
        "n_excluded": len(excl.excluded),
        "excluded": excl.excluded,
        "steps": _steps(n_in, excl.flow),
        "raw_sha256": raw_hash,
        "source": None if source is None else os.path.basename(str(source)),
        "read": {k: v for k, v in cols.read_info.items()
                 if k not in ("value_labels", "column_labels")},
        "instrument": _provenance(instrument),
        "rules": rules.to_dict(),
        "columns": {"unknown_dropped": cols.unknown, "absent": cols.absent,
                    "pii": {"action": rules.pii, "columns": cols.pii,
                            "dropped_at_read": cols.read_info.get("dropped_pii", [])}},
        "recodes": recodes,
        **_problems_block(problems, rules.max_listed_problems),
        "careless": careless_log(careless, excl.flags, found.reasons, rules),
        "classification": _classification_counts(data),
        "missing": missing,
        "routing": routing_log(instrument, routing.routed, routing.not_shown_answered, _id_list(ids)),
        "warnings": found.warnings,
    }
    if languages is not None:
        log["survey_language"] = language_counts(languages, excl.kept,
                                                 getattr(instrument, "languages", ()))
    return log


def _steps(n_in, flow):
    return [{"step": "read", "n_before": n_in, "n_excluded": 0, "n_after": n_in,
             "reasons": {}}] + flow


def _problems_block(problems, max_listed):
    listed = problems.head(max_listed)
    if len(problems):
        counts = problems.groupby(["reason", "column"], sort=True).size()
        prob_counts = [{"reason": r, "column": c, "n": int(n)} for (r, c), n in counts.items()]
    else:
        prob_counts = []
    return {"problems_total": int(len(problems)), "problem_counts": prob_counts,
            "problems": _records(listed),
            "problems_truncated": bool(len(problems) > len(listed))}


def _records(frame) -> list:
    """``frame.to_dict(orient="records")`` read column by column: each column's values as
    Python objects at once (``tolist``, what iterating the column gives) instead of a
    pandas iteration per cell. Through pandas when a column holds anything but ``str``,
    ``None`` and ``float`` (the values pandas would box) or when column names repeat."""
    names = frame.columns.tolist()
    cols = []
    for j, dtype in enumerate(frame.dtypes.tolist()):
        values = frame.iloc[:, j].tolist()
        if (dtype == np.dtype(object) or isinstance(dtype, pd.api.extensions.ExtensionDtype)) and \
                not set(map(type, values)) <= _UNBOXED:
            return frame.to_dict(orient="records")
        cols.append(values)
    if len(set(names)) != len(names):
        return frame.to_dict(orient="records")
    return [dict(zip(names, t)) for t in zip(*cols)] if cols else [{} for _ in range(len(frame))]


#: the types whose values ``DataFrame.to_dict`` gives as they are (its boxing keeps them)
_UNBOXED = {str, type(None), float}


def _classification_counts(data):
    return {c: {str(k): int(v) for k, v in data[c].value_counts(dropna=False).sort_index().items()
                if not (isinstance(k, float) and math.isnan(k))}
            | {"missing": int(data[c].isna().sum())}
            for c in ("bg_ms20", "bg_kc25", "bg_true") if c in data.columns}


def raw_sha256(raw, source):
    """SHA-256 of the raw file ``source`` (of the frame's values and dtypes without one)."""
    if source is not None and os.path.isfile(str(source)):
        return sha256_file(source)

    h = pd.util.hash_pandas_object(raw, index=False).to_numpy().tobytes()
    return sha256_bytes(h + "\x1f".join(f"{c}:{t}" for c, t in raw.dtypes.items()).encode())


def raw_sha256_getter(raw, source):
    """:func:`raw_sha256` started now and read later (call the result): a raw file is hashed
    in a second thread (file reads and ``hashlib`` release the GIL) beside the cleaning
    steps, which hold it; a frame is hashed at once. Same hash either way."""
    if source is not None and os.path.isfile(str(source)):
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        fut = pool.submit(sha256_file, source)
        pool.shutdown(wait=False)   # the thread ends with the hash
        return fut.result
    h = raw_sha256(raw, source)
    return lambda: h


def _provenance(instrument):
    if hasattr(instrument, "provenance"):
        return instrument.provenance()
    return {"name": getattr(instrument, "name", None), "version": getattr(instrument, "version", None),
            "hash": getattr(instrument, "hash", None)}
