"""``rsnprop test CLEAN --plan PLAN [-o OUT.json] [--multiverse] [--json]``: verdicts for P1/P2."""

from __future__ import annotations

from ._common import seed as _seed

NAME = "test"
HELP = "test propositions P1/P2 on clean data with the preregistered study plan"
DESCRIPTION = (
    "Run the preregistered proposition tests (analysis/study.yaml) on a clean data set: "
    "P1 = traditional SMEs lean informational, P2 = born globals lean relational, and their "
    "joint (interaction) prediction. Prints verdicts (supported / contradicted / equivalent / "
    "inconclusive) with the evidence; -o writes the JSON the report reads."
)


def add_arguments(parser) -> None:
    parser.add_argument("clean", metavar="CLEAN", help="clean data (.parquet, .csv, .xlsx, .sav)")
    parser.add_argument("--plan", required=True, metavar="PLAN", help="study plan YAML (analysis/study.yaml)")
    parser.add_argument("-o", "--output", metavar="OUT.json", help="write the result JSON here (atomically)")
    parser.add_argument("--multiverse", dest="multiverse", action="store_const", const=True, default=None,
                        help="run the specification grid of the plan (default: the plan's multiverse.enabled)")
    parser.add_argument("--no-multiverse", dest="multiverse", action="store_const", const=False,
                        help="do not run the specification grid")
    parser.add_argument("--raw", metavar="RAW", help="raw export: lets multiverse careless rules clean it again")
    parser.add_argument("--instrument", metavar="PATH", help="instrument YAML (needed with --raw)")
    parser.add_argument("--platform", default=None, help="platform of the raw export (generic, xlsform, limesurvey, qualtrics)")
    parser.add_argument("--no-latent", action="store_true", help="skip the multigroup SEM cross-check")
    parser.add_argument("--seed", type=_seed, default=None, help="seed recorded in the result")


def _read(path):
    from ..data import read_table

    return read_table(path)


def run(args):
    from pathlib import Path

    from ._common import check_files, existing_file

    existing_file(args.clean, "clean data file")
    existing_file(args.plan, "study plan")
    check_files({"CLEAN": args.clean, "--plan": args.plan, "--raw": args.raw,
                 "--instrument": args.instrument}, {"--output": args.output})
    from ..errors import InputError
    from ..propositions import load_plan, test_propositions

    plan = load_plan(args.plan)
    data = _read(args.clean)
    raw = instrument = None
    wants_grid = args.multiverse if args.multiverse is not None else plan.multiverse.enabled
    needs_raw = wants_grid and any(r.cleaning for r in plan.multiverse.careless)
    # without --raw/--instrument the library reads the plan's inputs: (relative to the plan
    # file, as the API does), so the grid does not depend on the working directory
    if needs_raw and (args.raw or args.instrument):
        if not (args.raw and args.instrument):
            raise InputError("--raw and --instrument go together", parameter="--raw/--instrument")
        existing_file(args.raw, "raw export")
        existing_file(args.instrument, "instrument")
        from ..data import read_table
        from ..instrument import load_instrument

        instrument = load_instrument(args.instrument)
        raw = read_table(args.raw, platform=args.platform, instrument=instrument)
    import warnings

    from ..errors import RsnpropWarning

    try:
        # statistical trouble is listed in the result (printed, and in the JSON "warnings");
        # library chatter (pandas/pingouin deprecations) is not for the user
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RsnpropWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            result = test_propositions(data, plan, multiverse=args.multiverse, seed=args.seed,
                                       latent=False if args.no_latent else None,
                                       source=Path(args.clean).name, raw=raw, instrument=instrument)
    except InputError as err:
        err.at_file(args.clean)
        raise
    if args.output:
        from ..io import atomic_write

        atomic_write(args.output, result.to_json() + "\n")
    return result
