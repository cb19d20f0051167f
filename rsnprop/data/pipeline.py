"""``clean``: the orchestrating pure function, raw export in, analysis-ready data + log out.

The recipe (:func:`_clean`; each step is a function of the module named after its work):

1. columns checked against the instrument (:mod:`.columns`); identifying and free-text
   columns dropped or hashed at once (privacy), unknown columns reported and dropped;
   respondent ids;
2. values recoded and validated (:mod:`.item_values`, :func:`.validate.validate_items`):
   labels to codes, "don't know" to missing, wrong types / out of range / invalid codes
   collected as problems;
3. skip logic and required items (:mod:`.skip_logic`), impossible facts and constant sums
   (:mod:`.consistency`), consent and eligibility (:mod:`.eligibility`), duplicates
   (:mod:`.duplicates`), careless responding (:mod:`.careless_screen`), missingness
   (:mod:`.missing_screen`): each adds its exclusion reasons, problems and warnings to one
   :class:`~.log.Findings`;
4. the exclusions and the flow (:func:`.log.apply_exclusions`), then reverse keying,
   ``select_multiple`` indicators, scale scores and born-global classification
   (:mod:`.analysis_data`);
5. the log (:mod:`.log`, :mod:`.careless_report`): every excluded row with all its reasons,
   a CONSORT-style flow, and ``n_in == n_kept + n_excluded`` checked.

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

import os
import sys
import time

import pandas as pd

from ..collector import collector_paused
from ..results import Result, jsonsafe
from ._threads import one_blas_thread
from .analysis_data import analysis_data
from .careless_early import start_row_wise
from .careless_screen import screen_careless
from .columns import respondent_ids, select_columns
from .consistency import apply_consistency_checks
from .duplicates import screen_duplicates
from .eligibility import screen_consent, screen_eligibility
from .item_values import validated_values
from .log import (
    SCHEMA,
    Findings,
    apply_exclusions,
    cleaning_log,
    problems_table,
    raw_sha256_getter,
    short_log,
)
from .missing_screen import missing_report, screen_missing_share
from .rules import CleaningRules
from .skip_logic import apply_skip_logic
from .validate import problems_frame

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
        self.data = data
        self.log = {"schema": SCHEMA, **log}  # the log names its contract first
        self.flags = flags
        self.problems = problems

    @property
    def warnings(self) -> list:
        return list(self.log.get("warnings", []))

    def to_dict(self) -> dict:
        return jsonsafe(self.log)

    def to_frame(self):
        """The CONSORT-style flow as a table."""

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


def clean(raw_df, instrument, rules=None, *, source=None, diagnostics: bool = True,
          on_data=None):
    """Validate, recode, screen and classify a raw survey export.

    Parameters
    ----------
    raw_df : pandas.DataFrame
        As returned by :func:`rsnprop.data.read_table` (columns = item ids; never modified).
        Not kept by ``clean`` once its columns are validated: a frame the caller does not
        keep either (``clean(frames.pop(), ...)``, as ``rsnprop clean`` does) is freed then,
        which lowers the peak memory of a big export by the size of the frame.
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
    on_data : callable, optional
        Called with the clean data (the frame returned as ``.data``, never modified
        afterwards) as soon as it is made, before the log is built: ``rsnprop clean`` starts
        writing the data file then, beside the log (both cores for the outputs).

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


    # The cyclic garbage collector is paused while cleaning: building the log creates
    # hundreds of thousands of small dicts and lists (one per excluded row), and each
    # automatic collection would walk every live object again (0.6 s of 1 s at 1M rows).
    # Nothing here depends on it; it is restored (and run by Python as usual) afterwards.
    with collector_paused():
        frames = [raw_df]   # handed on without a reference here (see _clean)
        del raw_df
        with one_blas_thread():
            return _clean(frames, instrument, rules, source, diagnostics, on_data)


class _StageTimer:
    """``RSNPROP_TIMING=1``: CPU and wall seconds of each step on stderr (never in the outputs)."""

    def __init__(self):
        self.marks = [] if os.environ.get("RSNPROP_TIMING") else None

    def __call__(self, name):
        if self.marks is None:
            return

        self.marks.append((name, time.process_time(), time.perf_counter()))
        if len(self.marks) > 1:
            (prev, cpu0, wall0), (_, cpu1, wall1) = self.marks[-2:]
            sys.stderr.write(f"[clean] {prev:<28} cpu {cpu1 - cpu0:7.2f} s  wall {wall1 - wall0:7.2f} s"
                             f"  {_memory()}\n")


def _memory() -> str:
    """Resident and peak resident memory of the process (Linux ``/proc``; empty elsewhere)."""
    try:
        with open("/proc/self/status") as fh:
            kb = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in fh)
                  if k in ("VmRSS", "VmHWM")}
    except (OSError, ValueError):
        return ""
    return f"rss {kb.get('VmRSS', 0) >> 10} MB, peak {kb.get('VmHWM', 0) >> 10} MB"


def _row_flags(careless, miss_share, sample) -> dict:
    """The columns of the flags table in order: the careless screen's, ``missing_share`` and
    the eligibility criteria (``kept`` follows, :func:`.log.apply_exclusions`)."""
    flags = dict(careless.flags)
    if miss_share is not None:
        flags["missing_share"] = miss_share
    flags.update(sample.columns())
    return flags


def _clean(frames, instrument, rules, source, diagnostics=True, on_data=None):
    """The recipe of :func:`clean`: each step adds to ``found`` what it finds (exclusion
    reasons, problems, warnings) and returns what the later steps need.

    ``frames`` holds the raw frame, popped here: nothing in the recipe refers to it once its
    columns are validated, so a frame that the caller does not keep either (``clean(
    frames.pop(), ...)``, as the ``clean`` command does) is freed then, not at the end."""

    rules = CleaningRules.from_any(rules)
    stage, found = _StageTimer(), Findings()
    raw_df = frames.pop()
    cols = select_columns(raw_df, instrument, rules, source, found.warn)
    raw_hash = raw_sha256_getter(raw_df, source) if diagnostics else None  # read at the log
    del raw_df
    stage("respondent ids")
    ids = respondent_ids(cols.df, found.warn)
    stage("recode and validate values")
    values, recodes, languages = validated_values(cols, instrument, rules, found,
                                                  table=diagnostics)
    cols.df = None        # the export itself is no longer needed
    # a large export: the row-wise careless indices of every row in a second thread, beside
    # the next steps (one core); the screen takes its rows' values from them
    early = start_row_wise(values, instrument, rules.careless)
    stage("skip logic and required items")
    routing = apply_skip_logic(values, instrument, found)
    stage("impossible facts and constant sums")
    apply_consistency_checks(values, instrument, rules, found)
    stage("consent, duplicates")
    consent = screen_consent(values, instrument, rules, found)
    duplicates = screen_duplicates(values, instrument, ids, rules, found)
    stage("eligibility")
    sample = screen_eligibility(values, instrument, rules, routing, consent, duplicates, found)
    stage("careless responding")
    careless = screen_careless(values, instrument, ids, sample, rules.careless, found, early)
    stage("missingness")
    construct_items, miss_share = screen_missing_share(values, instrument, routing.shown,
                                                       sample.in_sample, rules, found)
    stage("exclusions and flow")
    excl = apply_exclusions(found.reasons, ids, _row_flags(careless, miss_share, sample))
    stage("recode for analysis")
    data = analysis_data(values, excl.kept, ids, cols, instrument, rules, languages=languages,
                         cache=routing.cache, reuse_values=True, flags=excl.flags)
    del values
    if on_data is not None:
        on_data(data)
    stage("problems table and log")
    if not diagnostics:
        return CleaningResult(data, short_log(excl, found), excl.flags, problems_frame())
    problems = problems_table(found.problems, ids)
    missing = missing_report(data, construct_items, rules, found.warn)
    log = cleaning_log(raw_hash(), source, instrument, rules, cols=cols, recodes=recodes, excl=excl,
                       found=found, problems=problems, careless=careless, routing=routing,
                       data=data, missing=missing, ids=ids, languages=languages)
    stage("end")
    return CleaningResult(data, log, excl.flags, problems)
