"""The HTML report: one self-contained, reviewer-ready file for the whole study.

Public API
----------
``build_report(results_dir) -> str``
    The report as HTML text.
``write_report(results_dir, output, *, tables_dir=None) -> Path``
    Writes the HTML atomically, and every numbered table as ``tableNN_<name>.csv`` (raw
    values), ``.tex`` (booktabs, APA number format) and all of them in ``tables.docx`` into
    ``tables_dir`` (default ``<output folder>/tables``).
``write_report_result(results_dir, output, ...) -> ReportResult``
    The same, returning what was written (sizes, hashes, section statuses, table files).
``rsnprop report RESULTS_DIR -o reports/NAME.html [--tables-dir DIR] [--json]``
    The same from the command line (exit 2 with one line when RESULTS_DIR does not exist or
    OUTPUT is not an .html path).

Files that record the hash of the study plan they were made with (``cleaning_log.json``,
``propositions.json``, ``power.json``) must agree: otherwise the report is refused
(:class:`~rsnprop.errors.PlanError`, exit 2, naming each file and its hash) unless
``allow_plan_mismatch=True`` / ``--allow-plan-mismatch``, which puts that statement at the top
of the summary page (:func:`rsnprop.report.inputs.check_plans`).

The file is self-contained: CSS inline, figures as SVG data URIs, a Content-Security-Policy
(``default-src 'none'; img-src data:; style-src 'sha256-...'``) that forbids every network
request and every script; all text from data, plans and file names is escaped by the
autoescaping jinja2 template.  Identical inputs give identical bytes (dates come from
``SOURCE_DATE_EPOCH`` only; figures are deterministic SVG).

What is read from RESULTS_DIR
-----------------------------
Every file is optional: a missing one makes its section say "not run", a malformed one is
reported and skipped.  ``cleaning_log.json``, ``propositions.json`` and ``power.json`` are
read as their schema models (:mod:`rsnprop.schemas`, docs/schemas.md): a file that does not
follow its schema makes the sections that need it say "not run" and why.

``clean.parquet`` (``rsnprop clean``)
    ``resp_id``, ``bg_*`` classification columns, ``score_*`` scales, facts, ``sector``;
    text columns without select-multiple dummies are listed as free-text answers.
``cleaning_log.json`` (``rsnprop clean --log``)
    ``n_in, n_kept, n_excluded, excluded[{row, id, reasons}], steps[{step, n_before,
    n_excluded, n_after, reasons{code: n}}], raw_sha256, source, instrument{name, version,
    hash}, careless{median_duration_sec, flagged, excluded_by_rule, excluded_detail,
    expected_accuracy}, problems_total, problem_counts, problems, warnings``
    (:class:`~rsnprop.schemas.CleaningLog`).
``measurement.json`` (``rsnprop measure``; schema ``rsnprop.measurement/1``)
    ``reliability_table``, ``labels``, ``efa{kmo, bartlett_*, loadings}``, ``cfa{fit,
    loadings}``, ``items``, ``validity_matrix{constructs, values}``, ``validity.htmt_pairs``,
    ``cmv``, ``settings``, ``instrument``, ``warnings``.
``propositions.json`` (``rsnprop test``)
    ``plan_hash, plan{name, version, alpha, sesoi, correction, ...}, n, propositions{P1, P2:
    {statement, verdict, reason, measurement, evidence[{test, role, group, n, estimate,
    ci_lower, ci_upper, ci_level, effect_size, effect_size_name, es_ci_lower, es_ci_upper,
    p_value, p_sided, p_corrected, note, status}]}}, joint, effects, descriptives, auxiliary,
    continuous, multiverse{dimensions, share, n_specifications, n_available, not_available,
    ci_level, specifications[{<dimension>: option, primary, estimate_P1, ci_lower_P1,
    ci_upper_P1, verdict_P1, ...}]}, language_invariance, seed, warnings``
    (:class:`~rsnprop.schemas.Propositions`).
``power.json`` (``rsnprop power -o``)
    ``results[{n, proposition, power, mc_se, ci_lower, ci_upper, p_<verdict>}], n_for_power,
    analytic, retention, scenario, reps, seed, target, plan_hash, instrument``
    (:class:`~rsnprop.schemas.Power`).
``invariance.json`` (``rsnprop invariance --json``; schema ``rsnprop.invariance/1``)
    ``steps[{name, chi2, df, cfi, rmsea, srmr, delta_cfi, delta_rmsea, lrt, held, freed}],
    level, rule, n_per_group``.

Keys are read by the one name their stage writes (docs/schemas.md).  Every stage output is
checked against its schema when read (:mod:`rsnprop.report.inputs`, :mod:`rsnprop.report.typed`):
a file written under another schema (older, foreign, or none) is not used, and its section names
the schema expected and the one found.

Heavy libraries (pandas, matplotlib, seaborn) are imported when a report is built.
"""

from __future__ import annotations

__all__ = ["build_report", "write_report", "write_report_result", "ReportResult"]


def __getattr__(name: str):
    if name in __all__:
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module 'rsnprop.report' has no attribute {name!r}")
