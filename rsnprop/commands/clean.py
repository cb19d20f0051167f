"""``rsnprop clean RAW --instrument PATH -o CLEAN [--log LOG.json]``: validate, recode, screen
and classify a raw survey export.

Writes the clean data (``.parquet``, or ``.csv``) and the cleaning log (JSON) atomically; the raw
file is only read. Cheap imports only at top level.
"""

from __future__ import annotations

NAME = "clean"
HELP = "validate, recode and screen a raw survey export -> clean data + cleaning log"
DESCRIPTION = (
    "Read a raw survey export (csv in any common encoding/delimiter, xlsx, sav, parquet, or a "
    "platform export with --platform), validate it against the instrument, recode, screen "
    "(consent, duplicates, EU SME eligibility, careless responding, missingness), classify "
    "born globals under several definitions and write the clean data and the cleaning log. "
    "Thresholds come from the study plan's 'cleaning:' section (--plan)."
)


def add_arguments(parser) -> None:
    parser.add_argument("raw", metavar="RAW", help="raw export (.csv .xlsx .sav .parquet)")
    parser.add_argument("--instrument", required=True, metavar="PATH",
                        help="instrument YAML (item ids, scales, reverse keys)")
    parser.add_argument("--plan", metavar="PLAN",
                        help="study plan YAML whose 'cleaning:' section sets the rules")
    parser.add_argument("--platform", choices=["generic", "xlsform", "limesurvey", "qualtrics"],
                        default=None, help="survey platform that produced RAW (default generic)")
    parser.add_argument("-o", "--output", required=True, metavar="CLEAN",
                        help="clean data file (.parquet or .csv)")
    parser.add_argument("--log", metavar="LOG.json", help="cleaning log (JSON)")
    parser.add_argument("--flags", metavar="FLAGS",
                        help="per-row screening table (.parquet or .csv): every careless index "
                             "and flag, eligibility criteria, kept or not, for every input row")


def _rules_from_plan(path):
    """The plan's ``cleaning:`` section (via rsnprop.propositions.load_plan when available)."""
    from ..errors import PlanError

    try:
        from ..propositions import load_plan
    except ImportError:
        load_plan = None
    if load_plan is not None:
        return dict(load_plan(path).cleaning or {})
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except yaml.YAMLError as err:
        raise PlanError(f"not valid YAML ({err})", file=path) from None
    if not isinstance(doc, dict):
        raise PlanError("a study plan must be a mapping", file=path)
    return dict(doc.get("cleaning") or {})


def write_clean_data(data, path) -> None:
    """Write the clean data atomically: Parquet (default) or CSV by the file suffix."""
    import io
    from pathlib import Path

    from ..errors import InputError
    from ..io import atomic_write

    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        buf = io.BytesIO()
        data.to_parquet(buf, index=False, engine="pyarrow", compression="snappy")
        atomic_write(path, buf.getvalue())
    elif suffix == ".csv":
        atomic_write(path, data.to_csv(index=False, lineterminator="\n"))
    else:
        raise InputError("the clean data must be written as .parquet or .csv", file=path,
                         parameter="--output")


def run(args):
    import os
    import warnings

    from ._common import existing_file

    raw_path = existing_file(args.raw, "raw data file")
    ins_path = existing_file(args.instrument, "instrument")
    rules = _rules_from_plan(existing_file(args.plan, "study plan")) if args.plan else None
    out = os.path.abspath(args.output)
    others = [os.path.abspath(p) for p in (args.log, getattr(args, "flags", None)) if p]
    if os.path.abspath(raw_path) in [out, *others]:
        from ..errors import InputError

        raise InputError("refusing to overwrite the raw file", file=raw_path,
                         parameter="--output")
    from ..data import clean, read_table
    from ..instrument import load_instrument
    from ..results import dumps

    instrument = load_instrument(ins_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every warning is in the log and the summary
        raw = read_table(raw_path, platform=args.platform, instrument=instrument)
        result = clean(raw, instrument, rules, source=raw_path)
    write_clean_data(result.data, args.output)
    if args.plan and isinstance(result.log, dict):
        # the report refuses results made with different plans (rsnprop.report.inputs.check_plans)
        try:
            from ..propositions import load_plan
        except ImportError:
            pass
        else:
            result.log["plan_hash"] = load_plan(args.plan).hash
    if args.log:
        from ..io import atomic_write

        atomic_write(args.log, dumps(result.log) + "\n")
    if getattr(args, "flags", None):
        write_clean_data(result.flags, args.flags)
    return result
