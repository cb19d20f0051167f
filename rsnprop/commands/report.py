"""``rsnprop report RESULTS_DIR -o reports/NAME.html``: the self-contained HTML report."""

from __future__ import annotations

NAME = "report"
HELP = "write the self-contained HTML report (and APA tables as CSV/LaTeX) from a results folder"
DESCRIPTION = (
    "Build one self-contained HTML file from RESULTS_DIR (clean.parquet, cleaning_log.json, "
    "measurement.json, propositions.json, optional power.json; a panel study's panel.json, "
    "panel_propositions.json, panel_invariance_relational.json, "
    "panel_invariance_informational.json). Missing files make their section "
    "say 'not run'. Inputs that record different study-plan hashes are refused (exit 2) unless "
    "--allow-plan-mismatch is given. "
    "Tables are also written as CSV and LaTeX into --tables-dir. The date printed "
    "comes from SOURCE_DATE_EPOCH, so identical inputs give identical bytes."
)


#: options that replace a file of RESULTS_DIR (option name = file name without .json)
_OVERRIDES = ("power", "invariance", "panel", "panel_propositions")


def add_arguments(parser) -> None:
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="folder written by the pipeline (e.g. analysis/build)")
    parser.add_argument("-o", "--output", required=True, help="HTML file to write (e.g. reports/report.html)")
    parser.add_argument("--tables-dir", default=None,
                        help="folder for the CSV/LaTeX tables (default: tables/ beside OUTPUT)")
    parser.add_argument("--power", default=None, metavar="POWER.json",
                        help="power results to use instead of RESULTS_DIR/power.json")
    parser.add_argument("--invariance", default=None, metavar="INVARIANCE.json",
                        help="invariance results to use instead of RESULTS_DIR/invariance.json")
    parser.add_argument("--panel", default=None, metavar="PANEL.json",
                        help="panel linking and attrition ('rsnprop panel --log') to use instead "
                             "of RESULTS_DIR/panel.json")
    parser.add_argument("--panel-propositions", default=None, metavar="PANEL_PROPOSITIONS.json",
                        help="verdicts of the longitudinal hypotheses to use instead of "
                             "RESULTS_DIR/panel_propositions.json")
    parser.add_argument("--allow-plan-mismatch", action="store_true",
                        help="build the report even when the inputs record different study-plan "
                             "hashes (refused by default, exit 2); the summary page then says so")


def _command_line(args) -> str:
    import shlex

    parts = ["rsnprop", "report", args.results_dir, "-o", args.output]
    if args.tables_dir:
        parts += ["--tables-dir", args.tables_dir]
    for option in _OVERRIDES:
        if getattr(args, option):
            parts += ["--" + option.replace("_", "-"), getattr(args, option)]
    if getattr(args, "allow_plan_mismatch", False):
        parts.append("--allow-plan-mismatch")
    return " ".join(shlex.quote(p) for p in parts)


def run(args):
    from pathlib import Path

    from ..errors import InputError
    from ..report import write_report_result

    out = Path(args.output)
    if out.exists() and out.is_dir():
        raise InputError("the report output must be a file path, not a folder", file=args.output,
                         parameter="--output")
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError("the report output must end in .html", file=args.output,
                         parameter="--output")
    if args.tables_dir and Path(args.tables_dir).exists() and not Path(args.tables_dir).is_dir():
        raise InputError("the tables folder is an existing file", file=args.tables_dir,
                         parameter="--tables-dir")
    from ._common import check_files
    from ..report.inputs import EXPECTED_FILES

    results = Path(args.results_dir)
    if results.exists() and not results.is_dir():
        raise InputError("RESULTS_DIR must be a folder", file=args.results_dir)
    inputs = {f"RESULTS_DIR/{name}": results / name for name in EXPECTED_FILES}
    inputs.update({"--" + k.replace("_", "-"): getattr(args, k) for k in _OVERRIDES})
    check_files(inputs, {"--output": args.output})
    from ..errors import RsnpropError
    from ..forkmap import fork_imap, resolve_jobs  # the costly figures side by side, same bytes

    def imap_fn(fn, tasks):
        # one worker more than the cores: this process makes the tables' files meanwhile, and
        # the three specification curves (the last tasks) share the cores to the end instead
        # of one of them running alone
        jobs = resolve_jobs(None, len(tasks))
        return fork_imap(fn, tasks, jobs=jobs + 1 if jobs > 1 else 1)

    try:
        files = {f"{k}.json": getattr(args, k) for k in _OVERRIDES if getattr(args, k)}
        return write_report_result(args.results_dir, out, tables_dir=args.tables_dir,
                                   command=_command_line(args), files=files,
                                   allow_plan_mismatch=getattr(args, "allow_plan_mismatch", False),
                                   imap_fn=imap_fn)
    except RsnpropError:
        raise  # MissingFileError is an OSError too: keep its own message
    except OSError as err:  # unwritable destination: the user's to fix, not a bug
        raise InputError(f"cannot write the report ({err.strerror or err})",
                         file=err.filename or args.output) from None
