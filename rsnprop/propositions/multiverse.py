"""Multiverse / specification curve: the verdicts over every defensible specification.

Dimensions (``plan.multiverse``): born-global definition x careless-response rule x
missing-data method (``available``, ``complete_cases``, ``multiple_imputation``; the default
grid has the first two) x estimator x with/without controls x non-invariance policy
(``measurement_policies``: ``partial``, ``inconclusive``, ``report_only``; default the plan's
``measurement.policy`` only; the invariance check runs once per data set and born-global
definition, :mod:`rsnprop.propositions.measurement`).  Multiple-imputation cells
impute once per born-global definition x careless rule (``plan.imputation``) and pool the
primary tests (:mod:`rsnprop.propositions.imputation`); with the rank estimator they are
``not_available`` (no pooling rule).  Every cell runs the primary
tests and decision rules of :func:`rsnprop.propositions.evaluate.evaluate_spec`
(unchanged alpha, SESOI and correction), so each specification has its own verdicts.

A careless rule with ``cleaning`` overrides needs the raw export: the raw data are
cleaned again with the plan's ``cleaning:`` section deep-merged with the overrides
(``rsnprop.data.clean``).  The raw export and instrument are the ones given, else the plan's
``inputs:`` (relative to the plan file, :meth:`StudyPlan.input_path`), so the API and the CLI
compute the same cells wherever they are run from.  Without the raw data (or when a
born-global column is missing) the cell is kept in the table with ``status =
"not_available"`` and a note saying why, and does not count in the shares.

``run_multiverse(...)`` returns (the ``multiverse`` key of ``propositions.json``)::

    {"n_specifications": int, "n_available": int,
     "not_available": [{"reason": str, "n": int, "spec_ids": [int]}],   # grouped by reason
     "dimensions": {"born_global_definition": [...], "careless": [...], "missing": [...],
                    "estimator": [...], "controls": [false, true], "measurement_policy": [...]},
     "share": {"P1": {"supported": x, "contradicted": x, "equivalent": x, "inconclusive": x}, ...},
     "share_supported": {"P1": x, "P2": x, "joint": x},
     "specifications": [ {"spec_id", "primary" (bool), "born_global_definition", "careless",
         "missing", "estimator", "controls", "measurement_policy", "invariance_level",
         "items_set_aside", "status", "note", "n", "n_born_global",
         "n_traditional", "verdict_P1", "estimate_P1", "ci_lower_P1", "ci_upper_P1",
         "effect_size_P1", "p_corrected_P1", ... same for P2 and joint,
         "rank_joint"} ],
     "ci_level": 0.95}          # level of every ci_lower_* / ci_upper_* (None if they differ)

``specifications`` is sorted by the joint estimate (the specification curve's x-axis);
``rank_joint`` is the 1-based position.  Estimates are oriented so that positive values
favour the proposition (scale points; Hodges-Lehmann estimates for the rank estimator).

Examples
--------
>>> from rsnprop.propositions import StudyPlan
>>> from rsnprop.propositions.synthetic import synthetic_clean
>>> plan = StudyPlan(name="demo")
>>> mv = run_multiverse(synthetic_clean(200, "p1p2", 0.5, seed=1), plan)
>>> mv["n_specifications"], mv["share_supported"]["P2"] > 0.5
(36, True)
"""

from __future__ import annotations

import itertools
import warnings

from ..data import read_table
from ..errors import InputError
from ..instrument import load_instrument
from ..forkmap import fork_map
from .evaluate import evaluate_spec
from .lean import lean_tests
from .measurement import verdicts_only
from .plan_merge import deep_merge

__all__ = ["run_multiverse", "deep_merge", "computed_line", "not_available_groups"]


def computed_line(mv: dict) -> str:
    """``"144 of 162 specifications computed"`` (``18 not available``, see
    :func:`not_available_groups`).

    >>> computed_line({"n_specifications": 162, "n_available": 144})
    '144 of 162 specifications computed (18 not available)'
    """
    k, n = mv.get("n_available"), mv.get("n_specifications")
    return f"{k} of {n} specifications computed" + (f" ({n - k} not available)" if k != n else "")


def not_available_groups(rows) -> list[dict]:
    """The specifications without results grouped by reason: ``[{"reason", "n", "spec_ids"}]``
    (largest group first).

    >>> not_available_groups([{"spec_id": 1, "status": "ok", "note": ""},
    ...                       {"spec_id": 2, "status": "not_available", "note": "no raw export"}])
    [{'reason': 'no raw export', 'n': 1, 'spec_ids': [2]}]
    """
    groups: dict[str, list[int]] = {}
    for r in rows:
        if r["status"] != "ok":
            groups.setdefault(r["note"] or r["status"], []).append(r["spec_id"])
    return [{"reason": k, "n": len(v), "spec_ids": sorted(v)}
            for k, v in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def _raw_matches(clean_df, raw) -> bool:
    """True unless both have ``resp_id`` and some clean firm is not in the raw export."""
    if "resp_id" not in clean_df.columns or "resp_id" not in raw.columns:
        return True
    raw_ids = set(raw["resp_id"].dropna().astype(str))
    return set(clean_df["resp_id"].dropna().astype(str)) <= raw_ids


def plan_inputs(plan):
    """``(raw, instrument, why)``: the raw export and instrument named by the plan's
    ``inputs:`` (paths relative to the plan file), read; ``why`` says what is missing when
    they cannot be read (both None then)."""
    raw_path, ins_path = plan.input_path("raw"), plan.input_path("instrument")
    if not (plan.inputs.raw and plan.inputs.instrument):
        return None, None, ("needs the raw export and the instrument to clean again (give them, "
                            "or name them in the plan's inputs:)")
    if raw_path is None or ins_path is None:
        return None, None, ("the plan's inputs: are relative paths but the plan was not read from "
                            "a file (use load_plan), so they cannot be located")
    for key, path in (("raw", raw_path), ("instrument", ins_path)):
        if not path.is_file():
            return None, None, (f"the plan's inputs.{key} does not exist: {path} (relative to "
                                f"the plan's folder {plan.base_dir})")

    instrument = load_instrument(ins_path)
    return read_table(raw_path, instrument=instrument), instrument, ""


def _datasets(clean_df, plan, raw, instrument):
    """careless rule name -> (data or None, note)."""
    out = {}
    mismatch = None
    if raw is None and any(r.cleaning for r in plan.multiverse.careless):
        raw, instrument, mismatch = plan_inputs(plan)
        mismatch = mismatch or None
    if raw is not None and not _raw_matches(clean_df, raw):
        raw, instrument = None, None
        mismatch = ("the raw export given (or named by the plan's inputs.raw) does not contain the "
                    "clean data's respondents")
    for rule in plan.multiverse.careless:
        if not rule.cleaning:
            out[rule.name] = (clean_df, "")
            continue
        if raw is None or instrument is None:
            out[rule.name] = (None, mismatch or "needs the raw export and the instrument to clean again")
            continue
        try:
            from ..data import clean

            res = clean(raw, instrument, deep_merge(plan.cleaning, rule.cleaning),
                        source=f"multiverse:{rule.name}", diagnostics=False)   # data only
            out[rule.name] = (res.data, "")
        except Exception as err:  # noqa: BLE001 - one failing cell must not stop the grid
            out[rule.name] = (None, f"cleaning failed: {type(err).__name__}: {err}")
    return out


def run_multiverse(clean_df, plan, *, raw=None, instrument=None, cache=None, jobs=None):
    """Run the specification grid (see module docstring).

    ``cache`` (a dict) starts the grid's cache of computed steps
    (:func:`rsnprop.propositions.evaluate.evaluate_spec`'s ``mi_cache``): the main analysis
    passes its invariance check of ``clean_df``.  The cells of one data set (careless rule) and
    born-global definition share their invariance check, imputations and analysis frames and
    nothing with the other cells: each such block is a task for
    :func:`rsnprop.measure.forked.fork_map` (``jobs`` workers, default ``RSNPROP_JOBS`` or the
    cores), and the result is the same whatever the number of workers."""
    mv = plan.multiverse
    data = _datasets(clean_df, plan, raw, instrument)
    keys = [k for k in plan.hypotheses] + ["joint"]
    policies = mv.measurement_policies or [plan.measurement.policy]
    grid = itertools.product(mv.born_global_definitions, [r.name for r in mv.careless], mv.missing,
                             mv.estimators, mv.controls, policies)
    blocks = [list(cells) for _, cells in
              itertools.groupby(enumerate(grid, start=1), key=lambda c: (c[1][0], c[1][1]))]

    def run_block(cells):
        """The rows of one block of cells and the interval levels of their primary rows."""
        rows, levels, mi_cache = [], set(), dict(cache or {})
        rules = {r.name: r for r in mv.careless}
        for i, cell in cells:
            row = _empty_row(i, cell, plan, keys)
            df, note = data[row["careless"]]
            if df is None:
                row.update(status="not_available", note=note)
            else:
                _evaluate_cell(row, df, plan, rules, keys, levels, mi_cache)
            rows.append(row)
        return rows, levels

    rows, levels = [], set()   # levels: interval levels of the primary rows (0.95: no TOST row is primary)
    for block_rows, block_levels in fork_map(run_block, blocks, jobs=jobs):
        rows.extend(block_rows)
        levels |= block_levels
    return _grid_summary(rows, keys, mv, policies, levels)


def _empty_row(spec_id, cell, plan, keys) -> dict:
    """The table row of one specification ``cell`` = (born-global definition, careless rule,
    missing-data method, estimator, controls, policy), before it is evaluated."""
    bgdef, care, miss, est, ctrl, pol = cell
    mv = plan.multiverse
    row = {"spec_id": spec_id, "born_global_definition": bgdef, "careless": care, "missing": miss,
           "estimator": est, "controls": bool(ctrl), "measurement_policy": pol,
           "invariance_level": None, "items_set_aside": None,
           "primary": (bgdef == plan.born_global_definition and care == mv.careless[0].name
                       and miss == plan.missing and est == plan.estimator
                       and bool(ctrl) == plan.adjust_primary and pol == plan.measurement.policy),
           "status": "ok", "note": "", "n": None, "n_born_global": None, "n_traditional": None}
    for k in keys:
        row.update({f"verdict_{k}": None, f"estimate_{k}": None, f"ci_lower_{k}": None,
                    f"ci_upper_{k}": None, f"effect_size_{k}": None, f"p_corrected_{k}": None})
    return row


def _evaluate_cell(row, df, plan, rules, keys, levels, mi_cache) -> None:
    """Fill ``row`` with the verdicts and primary estimates of its specification on ``df``
    (:func:`rsnprop.propositions.evaluate.evaluate_spec`), or mark it not available; adds
    the interval levels of its primary rows to ``levels``."""

    if row["missing"] == "multiple_imputation" and row["estimator"] == "rank":
        from .imputation import RANK_NOTE

        row.update(status="not_available", note="rank estimator " + RANK_NOTE)
        return
    try:
        # warnings ignored: the tests' arithmetic without SciPy's and statsmodels' objects
        # (rsnprop.propositions.lean: the same numbers to the last bit, without their warnings);
        # a cell keeps only the level and items set aside of its invariance check, so the check
        # computes what its decisions use (verdicts_only: the power replications' path)
        with warnings.catch_warnings(), lean_tests(), verdicts_only():
            warnings.simplefilter("ignore")
            spec = evaluate_spec(df, plan, bg_definition=row["born_global_definition"],
                                 careless=rules[row["careless"]], missing=row["missing"],
                                 estimator=row["estimator"], with_controls=row["controls"],
                                 bayes=False, mi_cache=mi_cache,
                                 measurement_policy=row["measurement_policy"])
    except InputError as err:
        row.update(status="not_available", note=str(err))
        return
    frame = spec["frame"]
    row.update(n=int(len(frame)), n_born_global=int((frame.bg == 1).sum()),
               n_traditional=int((frame.bg == 0).sum()), note="; ".join(spec["notes"]))
    if "mi" in spec:     # multiple imputation analyses every classified firm
        mi = spec["mi"]
        row.update(n=mi["n_analysed"], n_born_global=mi["n_born_global"],
                   n_traditional=mi["n_traditional"],
                   note="; ".join([*spec["notes"], f"multiple imputation: m = {mi['m']}, "
                                   f"seed {mi['seed']}, {mi['n_imputed']} item answers imputed"]))
    meas = spec.get("measurement") or {}
    row.update(invariance_level=meas.get("level"), items_set_aside=meas.get("items_set_aside"))
    dec = spec["decision"]
    for k in keys:
        r = spec["primary"].get(k)
        if r is None:
            continue
        if r.get("ci_level") is not None:
            levels.add(r["ci_level"])
        row.update({f"verdict_{k}": dec["verdicts"].get(k), f"estimate_{k}": r.get("estimate"),
                    f"ci_lower_{k}": r.get("ci_lower"), f"ci_upper_{k}": r.get("ci_upper"),
                    f"effect_size_{k}": r.get("effect_size"),
                    f"p_corrected_{k}": dec["p_corrected"].get(k)})


def _grid_summary(rows, keys, mv, policies, levels) -> dict:
    """The ``multiverse`` block: shares of each verdict over the specifications computed,
    the rows sorted by the joint estimate (``rank_joint``), the dimensions of the grid."""
    ok = [r for r in rows if r["status"] == "ok"]
    share = {}
    for k in keys:
        vs = [r[f"verdict_{k}"] for r in ok if r[f"verdict_{k}"] is not None]
        share[k] = {v: (sum(x == v for x in vs) / len(vs) if vs else None)
                    for v in ("supported", "contradicted", "equivalent", "inconclusive")}
    rows.sort(key=lambda r: (r["estimate_joint"] is None, r["estimate_joint"] or 0.0, r["spec_id"]))
    for pos, r in enumerate(rows, start=1):
        r["rank_joint"] = pos
    return {"n_specifications": len(rows), "n_available": len(ok),
            "not_available": not_available_groups(rows),
            "ci_level": levels.pop() if len(levels) == 1 else None,
            "dimensions": {"born_global_definition": list(mv.born_global_definitions),
                           "careless": [r.name for r in mv.careless], "missing": list(mv.missing),
                           "estimator": list(mv.estimators), "controls": [bool(c) for c in mv.controls],
                           "measurement_policy": list(policies)},
            "share": share, "share_supported": {k: share[k]["supported"] for k in keys},
            "specifications": rows}
