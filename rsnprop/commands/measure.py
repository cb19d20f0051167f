"""``rsnprop measure``: the pipeline step writing build/measurement.json (reliability of every
reflective construct, EFA, CFA with validity, common-method checks)."""

from __future__ import annotations

from ._common import seed as _seed

from ._common import existing_file

NAME = "measure"
HELP = "measurement model of an instrument's reflective constructs -> measurement.json"
DESCRIPTION = (HELP + ". Reads the clean data (already reverse keyed), computes alpha/omega per "
               "construct, an EFA of all items, a CFA with CR/AVE/Fornell-Larcker/HTMT and "
               "common-method checks. The CFA uses full-information ML when items are missing "
               "(--missing auto). The JSON keys are documented in rsnprop.measure.pipeline.")


def add_arguments(p) -> None:
    p.add_argument("data", metavar="CLEAN", help="clean data (build/clean.parquet)")
    p.add_argument("--instrument", required=True, help="instrument YAML")
    p.add_argument("-o", "--output", default=None, help="write the JSON here (atomically)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (0: none)")
    p.add_argument("--seed", type=_seed, default=12345, help="seed of every random step")
    p.add_argument("--marker", default=None, help="marker-variable column for the CMV check")
    p.add_argument("--missing", choices=["auto", "listwise", "fiml"], default="auto",
                   help="missing data in the CFA, validity (omega, AVE, HTMT) and "
                        "common-latent-factor model: auto (default) uses full-information ML "
                        "(lavaan missing = 'ml') when any CFA item has a missing value and "
                        "listwise deletion on complete data; listwise keeps complete cases "
                        "only; fiml always uses full-information ML. Reliability, EFA and "
                        "Harman stay listwise. The method used is settings.cfa_missing "
                        "in the JSON")
    p.add_argument("--no-cfa", action="store_true", help="skip the CFA-based statistics")


def run(args):
    from ..errors import InputError
    from ..instrument import load_instrument
    from ._common import read_data
    from ..measure.pipeline import measure_instrument

    path = existing_file(args.data, "clean data file")
    ins_path = existing_file(args.instrument, "instrument")
    from ._common import check_files

    check_files({"CLEAN": args.data, "--instrument": args.instrument}, {"--output": args.output})
    if args.n_boot < 0:
        raise InputError("must be >= 0", parameter="--n-boot", value=args.n_boot)
    ins = load_instrument(ins_path)
    data = read_data(path)
    from ._common import check_columns, naming_file

    items = [i for c in ins.constructs.values() for i in c.items]
    check_columns(data, items, str(path))
    from ._common import option_names

    with naming_file(args.data), option_names({"missing": "--missing", "n_boot": "--n-boot",
                                               "marker": "--marker", "seed": "--seed"}):
        res = measure_instrument(data, ins, n_boot=args.n_boot, seed=args.seed, marker=args.marker,
                                 cfa=not args.no_cfa, cfa_missing=args.missing)
    if args.output:
        from ..io import atomic_write
        from ..results import dumps

        atomic_write(args.output, dumps(res.to_dict()) + "\n")
    return res
