"""``clean``: the orchestrating pure function, raw export in, analysis-ready data + log out.

Order of the work (each step is a function of its own module):

1. columns checked against the instrument (:func:`.validate.check_columns`); identifying and
   free-text columns dropped or hashed at once (privacy), unknown columns reported and dropped;
2. values recoded and validated (:func:`.validate.validate_items`): labels to codes, "don't
   know" to missing, wrong types / out of range / invalid codes collected as problems;
3. skip logic, required items, impossible facts, constant sums, duplicates;
4. eligibility (:mod:`.eligibility`), careless responding (:mod:`.careless`), missingness;
5. reverse keying, scale scores (:mod:`.scores`), born-global classification
   (:mod:`.classify`);
6. the log (:mod:`.log`): every excluded row with all its reasons, a CONSORT-style flow, and
   ``n_in == n_kept + n_excluded`` checked.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.data import read_table, clean
>>> import importlib.resources as ir
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> raw_path = ir.files("rsnprop.datasets") / "example_raw.csv"
>>> res = clean(read_table(raw_path), ins, source=raw_path)
>>> res.log["n_in"] == res.log["n_kept"] + res.log["n_excluded"]
True
>>> "bg_ms20" in res.data.columns and "score_relational" in res.data.columns
True
"""

from __future__ import annotations

import math
import os
import warnings

from ..errors import DataQualityWarning
from ..results import Result

__all__ = ["clean", "CleaningResult"]


class CleaningResult(Result):
    """Result of :func:`clean`.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per kept firm (columns as in CONTRIBUTING.md).
    log : dict
        JSON-safe cleaning log (schema ``rsnprop.cleaning/1``, docs/schemas.md): ``n_in, n_kept, n_excluded, excluded, steps,
        raw_sha256, instrument`` and ``problems``, ``recodes``, ``careless``, ``missing``,
        ``rules``, ``warnings``.
    flags : pandas.DataFrame
        One row per input row: ``row``, ``resp_id``, ``kept``, careless indices and every
        flag, eligibility criteria, attention failures, duration ratio.
    problems : pandas.DataFrame
        Every problem found (``row`` 1-based, ``id``, ``column``, ``value``, ``reason``).
    """

    title = "Cleaning"

    def __init__(self, data, log, flags, problems):
        from .log import SCHEMA

        self.data = data
        self.log = {"schema": SCHEMA, **log}  # the log names its contract first
        self.flags = flags
        self.problems = problems

    @property
    def warnings(self) -> list:
        return list(self.log.get("warnings", []))

    def to_dict(self) -> dict:
        from ..results import jsonsafe

        return jsonsafe(self.log)

    def to_frame(self):
        """The CONSORT-style flow as a table."""
        import pandas as pd

        rows = [{"step": s["step"], "n_before": s["n_before"], "n_excluded": s["n_excluded"],
                 "n_after": s["n_after"],
                 "reasons": ", ".join(f"{k} {v}" for k, v in s["reasons"].items())}
                for s in self.log["steps"]]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        lg = self.log
        head = (f"Cleaning: {lg['n_in']} rows in, {lg['n_kept']} kept, {lg['n_excluded']} "
                f"excluded; {lg['problems_total']} value problems")
        body = super().summary()
        acc = (lg.get("careless") or {}).get("expected_accuracy") or {}
        if acc.get("rule_set"):
            body += (f"\ncareless screen (rule set '{acc['rule_set']}'): expected to exclude "
                     f"{100 * acc['overall']:.1f}% of careless and {100 * acc['false_exclusion']:.1f}% "
                     "of attentive respondents (simulation study, docs/careless.md)")
        warn = "".join(f"\nwarning: {w}" for w in lg.get("warnings", []))
        return head + "\n" + body + warn


def expected_accuracy(careless_rules) -> dict:
    """The accuracy of these careless rules in the simulation study (docs/careless.md,
    ``rsnprop/data/careless_accuracy.json`` written by ``bench/bench_careless.py``).

    Returns ``{"rule_set", "sensitivity" (per careless type), "overall", "false_exclusion",
    "study"}`` when the rules equal one of the studied rule sets, else ``{"rule_set": None,
    "note": ...}``.

    Examples
    --------
    >>> from rsnprop.data.rules import CarelessRules
    >>> acc = expected_accuracy(CarelessRules())
    >>> acc["rule_set"], acc["false_exclusion"] <= 0.02
    ('default', True)
    >>> expected_accuracy(CarelessRules(mahad_alpha=0.2))["rule_set"] is None
    True
    """
    import importlib.resources as ir
    import json

    try:
        doc = json.loads((ir.files("rsnprop.data") / "careless_accuracy.json").read_text())
    except (FileNotFoundError, ValueError):
        return {"rule_set": None, "note": "no simulation study found (careless_accuracy.json)"}
    mine = careless_rules.model_dump(mode="json")
    for name, entry in doc.get("rule_sets", {}).items():
        if entry.get("careless_rules") == mine:
            return {"rule_set": name, **{k: entry[k] for k in ("sensitivity", "overall",
                                                               "false_exclusion", "n")},
                    "study": doc.get("study", {})}
    return {"rule_set": None, "note": "these careless rules were not part of the simulation "
                                      "study (docs/careless.md): accuracy unknown"}


def _fmt_index(v):
    return None if math.isnan(v) else float(f"{v:.4g}")


def _careless_detail(flags, reasons, cr, limit):
    """Per excluded respondent: which careless rule fired and the values behind it.

    ``{"excluded_detail": [{"row", "id", "rules": [...], "values": {...}}], ...}`` for the
    rows with an ``attention_check``, ``speeding`` or ``careless_indices`` reason (the first
    ``limit`` of them; all are counted in ``excluded_by_rule``)."""
    import numpy as np

    from .careless import INDEX_OF_FLAG

    n = len(flags)
    fired: dict[str, np.ndarray] = {}
    if "attention_check" in reasons:
        fired["attention_check"] = np.asarray(reasons["attention_check"], bool)
    if "speeding" in reasons:
        fired["speeding"] = np.asarray(reasons["speeding"], bool)
    hit = np.asarray(reasons.get("careless_indices", np.zeros(n, bool)), bool)
    weak = np.zeros(n, dtype=bool)
    dec_cols = [c for c in INDEX_OF_FLAG if c in flags.columns and c[5:] in cr.decisive]
    weak_cols = [c for c in INDEX_OF_FLAG if c in flags.columns and c not in dec_cols]
    for c in dec_cols:
        fired[c[5:]] = hit & flags[c].to_numpy(bool)
    if weak_cols:
        nweak = flags[weak_cols].to_numpy(bool).sum(1)
        weak = hit & (nweak >= cr.min_index_flags)
        fired[f"{cr.min_index_flags}_weak_flags"] = weak
    any_fired = np.zeros(n, dtype=bool)
    for m in fired.values():
        any_fired |= m
    rows = np.flatnonzero(any_fired)
    show = {"attention_check": ["attention_failed"], "speeding": ["duration_ratio"]}
    for c in dec_cols:
        show[c[5:]] = [INDEX_OF_FLAG[c][0]]
    show[f"{cr.min_index_flags}_weak_flags"] = [INDEX_OF_FLAG[c][0] for c in weak_cols]
    cols = {k: flags[k].to_numpy() for v in show.values() for k in v if k in flags.columns}
    detail = []
    for i in rows[:limit].tolist():
        names = [k for k, m in fired.items() if m[i]]
        vals = {k: _fmt_index(float(cols[k][i])) for r in names for k in show.get(r, [])
                if k in cols}
        if any(r.endswith("_weak_flags") for r in names):
            vals["weak_flags"] = [c[5:] for c in weak_cols if flags[c].iat[i]]
        detail.append({"row": i + 1, "id": flags["resp_id"].iat[i], "rules": names,
                       "values": vals})
    thresholds = {INDEX_OF_FLAG[c][0]: getattr(cr, INDEX_OF_FLAG[c][1])
                  for c in dec_cols + weak_cols}
    return {"excluded_by_rule": {k: int(m.sum()) for k, m in fired.items()},
            "thresholds": thresholds, "excluded_detail": detail,
            "excluded_detail_truncated": bool(len(rows) > limit)}


def _raw_hash(raw, source):
    from ..io import sha256_bytes, sha256_file

    if source is not None and os.path.isfile(str(source)):
        return sha256_file(source)
    import pandas as pd

    h = pd.util.hash_pandas_object(raw, index=False).to_numpy().tobytes()
    return sha256_bytes(h + "\x1f".join(f"{c}:{t}" for c, t in raw.dtypes.items()).encode())


def _provenance(instrument):
    if hasattr(instrument, "provenance"):
        return instrument.provenance()
    return {"name": getattr(instrument, "name", None), "version": getattr(instrument, "version", None),
            "hash": getattr(instrument, "hash", None)}


def _hash_values(series, salt):
    import hashlib

    import numpy as np

    vals = series.astype(object).to_numpy()
    out = np.array([None if (v is None or (isinstance(v, float) and math.isnan(v))) else
                    hashlib.sha256((salt + str(v)).encode("utf-8")).hexdigest()[:16]
                    for v in vals], dtype=object)
    return out


def clean(raw_df, instrument, rules=None, *, source=None, diagnostics: bool = True):
    """Validate, recode, screen and classify a raw survey export.

    Parameters
    ----------
    raw_df : pandas.DataFrame
        As returned by :func:`rsnprop.data.read_table` (columns = item ids; never modified).
    instrument : rsnprop.instrument.Instrument
    rules : CleaningRules or dict or None
        The study plan's ``cleaning:`` section (defaults for everything not given).
    source : path, optional
        The raw file (its SHA-256 goes in the log; only its file name is recorded).
    diagnostics : bool
        ``False`` skips what only the log reports (Little's MCAR test, the sorted problems
        table, the careless and routing details, the raw file's hash): the data and the
        exclusions are the same, the log holds the counts, the flow and the warnings met
        before that step. For callers that use the data only (Monte Carlo power, the
        multiverse's re-cleanings), where the diagnostics cost more than the cleaning.

    Returns
    -------
    CleaningResult
        ``.data`` (kept firms), ``.log`` (JSON-safe), ``.flags`` (per input row),
        ``.problems``.

    Raises
    ------
    DataFileError
        Required item columns absent, or no construct item at all.
    PlanError
        Invalid rules.
    """
    import gc

    from ._threads import one_blas_thread

    # The cyclic garbage collector is paused while cleaning: building the log creates
    # hundreds of thousands of small dicts and lists (one per excluded row), and each
    # automatic collection would walk every live object again (0.6 s of 1 s at 1M rows).
    # Nothing here depends on it; it is restored (and run by Python as usual) afterwards.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with one_blas_thread():
            return _clean(raw_df, instrument, rules, source, diagnostics)
    finally:
        if was_enabled:
            gc.enable()


def _kept_rows(values, kept, columns, reverse):
    """``values.loc[kept, columns]`` with Likert columns reverse keyed (``lo + hi - x``, as
    :func:`~rsnprop.data.recode.reverse_key`): the float columns are gathered straight into
    one column-major block and reversed in place there, the others inserted beside it."""
    import numpy as np
    import pandas as pd

    rows = np.flatnonzero(kept)
    num = [c for c in columns if values[c].dtype == np.float64]
    block = np.empty((len(rows), len(num)), order="F")
    for j, c in enumerate(num):
        np.take(values[c].to_numpy(), rows, out=block[:, j], mode="clip")  # clip: unbuffered
        if c in reverse:
            np.subtract(reverse[c], block[:, j], out=block[:, j])
    out = pd.DataFrame(block, columns=num, copy=False)
    is_num = set(num)
    for pos, c in enumerate(columns):
        if c not in is_num:
            col = values[c]
            x = col.to_numpy()[rows]
            if c in reverse:      # a Likert column not held as float64 (all missing...)
                x = reverse[c] - pd.to_numeric(pd.Series(x), errors="coerce").to_numpy()
            out.insert(pos, c, pd.Series(x, dtype=col.dtype if c not in reverse else None))
    return out


def _clean(raw_df, instrument, rules, source, diagnostics=True):
    import numpy as np
    import pandas as pd

    from . import careless as cl
    from .classify import classify_born_global
    from .eligibility import REASONS, check_eligibility, consent_given
    from .log import exclusion_flow, routing_log
    from .missing import little_mcar_test, missing_summary
    from .platforms import combine_indicators
    from .rules import CleaningRules
    from ..instrument.scoring import construct_scores
    from .validate import (DROP_TYPES, check_columns, check_constant_sums, check_facts,
                           check_skip_logic, find_duplicates, problems_frame,
                           shown_missing_share, validate_items)

    rules = CleaningRules.from_any(rules)
    items = instrument.items
    timing = [] if os.environ.get("RSNPROP_TIMING") else None

    def _stage(name):
        # RSNPROP_TIMING=1: CPU and wall seconds per stage on stderr (never in the outputs)
        if timing is not None:
            import sys
            import time

            timing.append((name, time.process_time(), time.perf_counter()))
            if len(timing) > 1:
                prev = timing[-2]
                sys.stderr.write(f"[clean] {prev[0]:<28} cpu {timing[-1][1] - prev[1]:7.2f} s"
                                 f"  wall {timing[-1][2] - prev[2]:7.2f} s\n")

    warn_list: list[str] = []

    def warn(msg):
        warn_list.append(msg)
        warnings.warn(msg, DataQualityWarning, stacklevel=4)

    file = None if source is None else str(source)
    read_info = dict(raw_df.attrs.get("rsnprop_read", {}))
    df = combine_indicators(raw_df, instrument)
    n_in = len(df)
    df = df.reset_index(drop=True)
    known, unknown, absent = check_columns(df, instrument, file=file)
    if unknown:
        warn(f"{len(unknown)} unknown column(s) dropped: " + ", ".join(unknown))
    if absent:
        shown_absent = [a for a in absent if items[a].type != "meta"]
        if shown_absent:
            warn(f"{len(shown_absent)} optional item column(s) absent (treated as unanswered): "
                 + ", ".join(shown_absent))
    # ---- privacy: identifying and free-text columns never reach the output --------------
    pii_cols = [c for c in known if getattr(items[c], "pii", False) or items[c].type in DROP_TYPES]
    hashed = {}
    if rules.pii == "hash":
        for c in pii_cols:
            hashed[c] = _hash_values(df[c], rules.pii_salt)
    _stage('respondent ids')
    # ---- respondent ids -----------------------------------------------------------------
    if "resp_id" in df.columns:
        rid = df["resp_id"]
        if pd.api.types.is_float_dtype(rid.dtype) and (rid.dropna() % 1 == 0).all():
            rid = rid.astype("Int64")
        txt = rid.astype("string")
        ids = pd.Series(txt.to_numpy(dtype=object, na_value=None), dtype=object)
    else:
        warn("no resp_id column: respondents are identified by their row number")
        ids = pd.Series([f"row{i + 1}" for i in range(n_in)], dtype=object)
    _stage('recode and validate values')
    # ---- recode and validate values -----------------------------------------------------
    value_cols = [c for c in known if c not in pii_cols and c != "resp_id"]
    values, problems, recodes = validate_items(df, instrument, rules, value_cols)
    for c in absent:
        if c != "resp_id" and items[c].type not in DROP_TYPES and not getattr(items[c], "pii", False):
            values[c] = np.nan if getattr(items[c], "numeric", True) else None
    reasons: dict[str, np.ndarray] = {}
    prob_parts = [problems]
    from .validate import LANGUAGE_COLUMN, check_survey_language, language_counts

    lang_codes = None
    if LANGUAGE_COLUMN in df.columns:   # the questionnaire version answered (docs/languages.md)
        lang_codes, lang_probs = check_survey_language(df[LANGUAGE_COLUMN],
                                                       getattr(instrument, "languages", ()))
        prob_parts.append(lang_probs)
    if rules.invalid_values == "exclude" and len(problems):
        m = np.zeros(n_in, dtype=bool)
        m[problems["row"].to_numpy()] = True
        reasons["invalid_value"] = m
    _stage('skip logic and required items')
    # ---- skip logic, routing rules and required items ----------------------------------
    cond_cache: dict = {}
    shown, routed, skip_probs, not_shown_answered = check_skip_logic(values, instrument,
                                                                     cache=cond_cache)
    prob_parts += skip_probs
    if not_shown_answered:
        n_late = len(np.unique(np.concatenate(list(not_shown_answered.values()))))
        warn(f"{n_late} row(s) answered questions their routing rules hide (a form without "
             "the screen-outs?): answers kept, listed in log.routing.not_shown_answered")
    _stage('impossible facts and constant sums')
    # ---- impossible facts and constant sums --------------------------------------------
    impossible = np.zeros(n_in, dtype=bool)
    for mask, cols, reason in check_facts(values):
        if mask.any():
            for c in cols:
                if c in values.columns:
                    prob_parts.append(problems_frame(np.flatnonzero(mask), c,
                                                     values[c].to_numpy()[mask], reason))
            if rules.impossible_facts == "missing":
                for c in cols:
                    if c in values.columns:
                        values.loc[mask, c] = np.nan
            impossible |= mask
    if rules.impossible_facts == "exclude" and impossible.any():
        reasons["impossible_fact"] = impossible
    for mask, cols, total in check_constant_sums(values, instrument, rules.constant_sum_total,
                                                 rules.constant_sum_tolerance):
        if not mask.any():
            continue
        sums = values.loc[mask, cols].sum(axis=1).to_numpy()
        prob_parts.append(problems_frame(np.flatnonzero(mask), "+".join(cols), sums, "constant_sum"))
        if rules.constant_sum_action == "missing":
            values.loc[mask, cols] = np.nan
        elif rules.constant_sum_action == "rescale":
            block = values.loc[mask, cols]
            values.loc[mask, cols] = block.mul(total / block.sum(axis=1).replace(0, np.nan), axis=0)
    _stage('consent, duplicates')
    # ---- consent, duplicates --------------------------------------------------------------
    consent = consent_given(values, instrument)
    if rules.require_consent:
        reasons["no_consent"] = consent == 0
    in_sample = ~reasons.get("no_consent", np.zeros(n_in, dtype=bool))
    item_cols = [c for c in values.columns if items[c].type != "meta"]
    subst = [c for c in item_cols if getattr(items[c], "role", None) not in ("consent", "screening")]
    if rules.duplicate_submission_columns == "all":
        subst = [c for c in values.columns if c != "resp_id"]
    dup_id, dup_sub = find_duplicates(ids, values, subst)
    if rules.exclude_duplicates:
        reasons["duplicate_id"] = dup_id
        reasons["duplicate_submission"] = dup_sub & ~dup_id
    else:
        if dup_id.any():
            warn(f"{int(dup_id.sum())} duplicate respondent id(s) kept (exclude_duplicates=false)")
    for mask, reason in ((dup_id, "duplicate_id"), (dup_sub & ~dup_id, "duplicate_submission")):
        if mask.any():
            prob_parts.append(problems_frame(np.flatnonzero(mask), "resp_id",
                                             ids.to_numpy()[mask], reason))
    dups = (dup_id | dup_sub) if rules.exclude_duplicates else np.zeros(n_in, dtype=bool)
    _stage('eligibility')
    # ---- eligibility ---------------------------------------------------------------------
    elig = check_eligibility(values, instrument, rules.eligibility, routed=routed)
    not_met = np.zeros(n_in, dtype=bool)
    for col in elig.columns:
        crit = col[len("elig_"):]
        reason = REASONS.get(crit, f"not_{crit}")
        x = elig[col].to_numpy()
        reasons[reason] = (x == 0) & consent.astype(bool)
        not_met |= reasons[reason]
    # careless and missingness screens apply to respondents who were shown the questionnaire
    # (consent and screening passed, per the skip logic) and are not screened out otherwise
    first_construct = next((c for con in instrument.constructs.values() for c in con.items
                            if c in values.columns), None)
    if first_construct is not None and first_construct in shown:
        in_sample &= shown[first_construct]
    for fired in routed.values():   # screened out or routed past the questions: own reason only
        in_sample &= ~fired
    # row-level screens (attention, speed, missingness) apply to every such respondent;
    # sample statistics (median duration, covariances of the indices) exclude duplicates
    stat_sample = in_sample & ~dups
    for col in elig.columns:
        crit = col[len("elig_"):]
        x = elig[col].to_numpy()
        unknown_m = np.isnan(x) & in_sample & ~not_met
        if unknown_m.any():
            if rules.eligibility.unknown == "exclude":
                reasons[f"{crit}_unknown"] = unknown_m
            else:
                warn(f"{crit}: eligibility unknown (missing facts) for {int(unknown_m.sum())} "
                     "firm(s), kept")
    _stage('careless responding')
    # ---- careless responding ---------------------------------------------------------------
    cr = rules.careless
    # per-row flags gathered as arrays, made one frame after the exclusions (one column
    # insert each cost more than the careless indices at a few hundred rows)
    flags = {"row": np.arange(1, n_in + 1), "resp_id": ids.to_numpy()}
    att_failed = np.zeros(n_in)
    att = getattr(instrument, "attention_checks", None)
    att = att if isinstance(att, dict) else {i: it.attention_check.expected for i, it in items.items()
                                             if getattr(it, "attention_check", None)}
    for iid, expected in att.items():
        if iid not in values.columns:
            continue
        x = values[iid].to_numpy(dtype="float64")
        fail = ~np.isnan(x) & (x != float(expected))
        if cr.attention_missing_is_failure:
            fail |= np.isnan(x)
        att_failed += fail
        flags[f"attn_fail_{iid}"] = fail
    flags["attention_failed"] = att_failed
    if att:
        reasons["attention_check"] = (att_failed > cr.max_failed_attention) & in_sample
    if "duration_sec" in values.columns:
        dur = values["duration_sec"].to_numpy(dtype="float64")
        ok = stat_sample & ~np.isnan(dur)
        med = float(np.median(dur[ok])) if ok.any() else float("nan")
        ratio = dur / med if med and np.isfinite(med) else np.full(n_in, np.nan)
        flags["duration_ratio"] = ratio
        speed = np.zeros(n_in, dtype=bool)
        with np.errstate(invalid="ignore"):
            if cr.min_duration_sec is not None:
                speed |= dur < cr.min_duration_sec
            if cr.min_duration_ratio is not None:
                speed |= ratio < cr.min_duration_ratio
        reasons["speeding"] = speed & in_sample
    else:
        med = float("nan")
    likert = [c for c in item_cols if items[c].type == "likert" and c not in att]
    careless_notes = []
    flag_cols = []
    if likert:
        factors = [[c for c in con.items if c in likert] for con in instrument.constructs.values()]
        sample_idx = np.flatnonzero(stat_sample)
        idx = pd.DataFrame(index=range(n_in))
        fl = pd.DataFrame(False, index=range(n_in), columns=[])
        if len(sample_idx):
            # longstring/IRV on the answers as given, the other indices after reverse keying
            # (done in place by careless_indices once longstring/IRV are computed);
            # column-major: each column is written contiguously, the indices read either order
            x_raw = np.empty((len(sample_idx), len(likert)), order="F")
            rev = {}
            for j, c in enumerate(likert):
                col = values[c].to_numpy()
                if col.dtype != np.float64:
                    col = values[c].to_numpy(dtype="float64", na_value=np.nan)
                np.take(col, sample_idx, out=x_raw[:, j], mode="clip")   # unbuffered
                it = items[c]
                if getattr(it, "reverse", False):
                    rev[j] = it.scale.min + it.scale.max
            ind, fla, careless_notes = cl.careless_indices(
                pd.DataFrame(x_raw, columns=likert, index=sample_idx, copy=False),
                factors=factors, rules=cr, reverse_in_place=rev)
            del x_raw
            idx = ind.reindex(range(n_in))
            fl = fla.reindex(range(n_in), fill_value=False).astype(bool)
        for c in idx.columns:
            flags[c] = idx[c].to_numpy()
        for c in fl.columns:
            flags[c] = fl[c].to_numpy()
        flag_cols = list(fl.columns)
        if flag_cols:
            hit, _, _ = cl.index_rule(fl, cr)
            flags["n_index_flags"] = fl.to_numpy().sum(axis=1)
            reasons["careless_indices"] = hit & in_sample
        for note in careless_notes:
            warn(note)
    _stage('missingness')
    # ---- missingness ---------------------------------------------------------------------
    construct_items = [c for con in instrument.constructs.values() for c in con.items
                       if c in values.columns]
    if construct_items:
        miss_share = shown_missing_share(values, construct_items, shown)   # shown items only
        flags["missing_share"] = miss_share
        reasons["too_many_missing"] = (miss_share > rules.max_missing_share) & in_sample
    for col in elig.columns:
        flags[col] = elig[col].to_numpy()
    _stage('exclusions and flow')
    # ---- exclusions and flow ---------------------------------------------------------------
    flow, excluded = exclusion_flow(reasons, list(ids))
    any_reason = np.zeros(n_in, dtype=bool)
    for m in reasons.values():
        any_reason |= np.asarray(m, dtype=bool)
    kept = ~any_reason
    flags["kept"] = kept
    flags = pd.DataFrame(flags, copy=False)
    n_kept = int(kept.sum())
    n_excluded = len(excluded)
    if n_in != n_kept + n_excluded or flow and flow[-1]["n_after"] != n_kept:
        raise RuntimeError(f"cleaning lost rows: n_in={n_in}, n_kept={n_kept}, "
                           f"n_excluded={n_excluded}")  # a bug, never bad input
    _stage('recode for analysis')
    # ---- recode for analysis: reverse keys, scores, classification -------------------------
    reverse = {c: it.scale.min + it.scale.max for c, it in items.items()
               if it.type == "likert" and getattr(it, "reverse", False)}
    out = _kept_rows(values, kept, [c for c in value_cols + absent if c in values.columns],
                     reverse)
    del values
    multi = {}
    for c in out.columns:
        it = items[c]
        if it.type == "select_multiple":
            if ("factorize", c) in cond_cache:     # factorised for the skip logic already
                codes_c, uniq = cond_cache[("factorize", c)]
                codes_c = codes_c[kept]
            else:
                codes_c, uniq = pd.factorize(out[c], use_na_sentinel=True)
                codes_c = np.asarray(codes_c)
            toks = [set(str(u).split(" ")) for u in uniq]
            for code in getattr(it, "choices", {}) or {}:
                hit = np.array([float(str(code) in t) for t in toks] + [np.nan])
                multi[f"{c}_{code}"] = (hit, codes_c)   # hit[codes_c]: code -1 -> NaN
    scores = construct_scores(out, instrument, rules.min_items_for_score, sums=False, partial=True)
    bg = classify_born_global(out, rules.classification)
    pieces = [pd.DataFrame({"resp_id": ids[kept].to_numpy()}, index=out.index), out]
    if lang_codes is not None:
        pieces.insert(1, pd.DataFrame({LANGUAGE_COLUMN: pd.Series(lang_codes[kept], dtype=object,
                                                                  index=out.index)}))
    if multi:   # one column-major block filled in place (no consolidation copy)
        block = np.empty((len(out), len(multi)), order="F")
        for j, (hit, codes_c) in enumerate(multi.values()):
            np.take(hit, codes_c, out=block[:, j], mode="wrap")   # -1 -> NaN
        pieces.append(pd.DataFrame(block, columns=list(multi), index=out.index, copy=False))
    if hashed:
        pieces.append(pd.DataFrame({c: h[kept] for c, h in hashed.items()}, index=out.index))
    pieces += [bg, scores]
    data = pd.concat(pieces, axis=1).reset_index(drop=True)
    _stage('problems table and log')
    if not diagnostics:
        log = {"n_in": n_in, "n_kept": n_kept, "n_excluded": n_excluded, "excluded": excluded,
               "steps": [{"step": "read", "n_before": n_in, "n_excluded": 0, "n_after": n_in,
                          "reasons": {}}] + flow,
               "problems_total": int(sum(len(p) for p in prob_parts)),
               "diagnostics": False, "warnings": warn_list}
        return CleaningResult(data, log, flags, problems_frame())
    # ---- problems table and log ----------------------------------------------------------
    problems = pd.concat([p for p in prob_parts if len(p)], ignore_index=True) \
        if any(len(p) for p in prob_parts) else problems_frame()
    problems = problems.sort_values(["row", "column", "reason"], kind="stable").reset_index(drop=True)
    problems.insert(1, "id", ids.to_numpy()[problems["row"].to_numpy()] if len(problems) else [])
    problems["row"] = problems["row"] + 1
    if len(problems):
        counts = problems.groupby(["reason", "column"], sort=True).size()
        prob_counts = [{"reason": r, "column": c, "n": int(n)} for (r, c), n in counts.items()]
    else:
        prob_counts = []
    listed = problems.head(rules.max_listed_problems)
    missing = missing_summary(data, construct_items) if construct_items else {}
    if construct_items and n_kept > rules.mcar_test_max_rows:
        missing["little_mcar"] = None
        warn(f"Little's MCAR test not computed: {n_kept} rows > mcar_test_max_rows "
             f"({rules.mcar_test_max_rows}); call rsnprop.data.little_mcar_test on a sample")
    elif construct_items and n_kept > len(construct_items) + 1:
        try:
            mcar_data = data
            if n_kept > rules.mcar_test_sample:
                pick = np.sort(np.random.default_rng(rules.mcar_test_seed).choice(
                    n_kept, rules.mcar_test_sample, replace=False))
                mcar_data = data.iloc[pick]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                missing["little_mcar"] = little_mcar_test(mcar_data, construct_items)
            missing["little_mcar"]["sampled"] = bool(n_kept > rules.mcar_test_sample)
            if missing["little_mcar"]["p_value"] is not None and \
                    missing["little_mcar"]["p_value"] < 0.05:
                warn(f"Little's MCAR test rejects MCAR (chi2 = "
                     f"{missing['little_mcar']['statistic']:.1f}, df = "
                     f"{missing['little_mcar']['df']}, p = {missing['little_mcar']['p_value']:.3g}):"
                     " prefer FIML or multiple imputation over listwise deletion")
        except np.linalg.LinAlgError as err:
            missing["little_mcar"] = None
            warn(f"Little's MCAR test not computed ({err})")
    log = {
        "n_in": n_in,
        "n_kept": n_kept,
        "n_excluded": n_excluded,
        "excluded": excluded,
        "steps": [{"step": "read", "n_before": n_in, "n_excluded": 0, "n_after": n_in,
                   "reasons": {}}] + flow,
        "raw_sha256": _raw_hash(raw_df, source),
        "source": None if source is None else os.path.basename(str(source)),
        "read": {k: v for k, v in read_info.items() if k not in ("value_labels", "column_labels")},
        "instrument": _provenance(instrument),
        "rules": rules.to_dict(),
        "columns": {"unknown_dropped": unknown, "absent": absent,
                    "pii": {"action": rules.pii, "columns": pii_cols,
                            "dropped_at_read": read_info.get("dropped_pii", [])}},
        "recodes": recodes,
        "problems_total": int(len(problems)),
        "problem_counts": prob_counts,
        "problems": listed.to_dict(orient="records"),
        "problems_truncated": bool(len(problems) > len(listed)),
        "careless": {"median_duration_sec": med, "index_flags": flag_cols,
                     "decisive": [c for c in flag_cols if c[len("flag_"):] in cr.decisive],
                     "min_index_flags": cr.min_index_flags,
                     **_careless_detail(flags, reasons, cr, rules.max_listed_problems),
                     "expected_accuracy": expected_accuracy(cr),
                     "flagged": {c: int(flags[c].sum()) for c in flags.columns
                                 if c.startswith("flag_")},
                     "notes": careless_notes},
        "classification": {c: {str(k): int(v) for k, v in
                               data[c].value_counts(dropna=False).sort_index().items()
                               if not (isinstance(k, float) and math.isnan(k))}
                           | {"missing": int(data[c].isna().sum())}
                           for c in ("bg_ms20", "bg_kc25", "bg_true") if c in data.columns},
        "missing": missing,
        "routing": routing_log(instrument, routed, not_shown_answered, list(ids)),
        "warnings": warn_list,
    }
    if lang_codes is not None:
        log["survey_language"] = language_counts(lang_codes, kept,
                                                 getattr(instrument, "languages", ()))
    _stage("end")
    return CleaningResult(data, log, flags, problems)
