"""``rsnprop validity``: CR, AVE, Fornell-Larcker and HTMT from a CFA of a measurement model."""

from __future__ import annotations

from ._common import seed as _seed

from ._common import existing_file, read_model

NAME = "validity"
HELP = "composite reliability, AVE, Fornell-Larcker and HTMT (with bootstrap CIs) from a CFA"


def add_arguments(p) -> None:
    p.add_argument("data", metavar="DATA", help="data file (.csv, .xlsx, .sav, .parquet)")
    p.add_argument("--model", required=True,
                   help="measurement model in lavaan syntax ('f =~ a + b + c'), inline or a file")
    p.add_argument("--n-boot", type=int, default=1000, help="HTMT bootstrap resamples (0: none)")
    p.add_argument("--seed", type=_seed, default=12345, help="seed of the bootstrap")
    p.add_argument("--missing", choices=["auto", "listwise", "fiml"], default="auto",
                   help="auto (default): full-information ML (lavaan missing = 'ml') when an item "
                   "is missing, else complete data; or listwise (docs/missing-data.md)")
    p.add_argument("--cmv", action="store_true",
                   help="add common-method checks (Harman, common latent factor) as 'cmv'")
    p.add_argument("--marker", default=None,
                   help="marker-variable column for the Lindell-Whitney check (implies --cmv)")


def run(args):
    from ..errors import InputError
    from ._common import read_data
    from ..measure.construct_validity import validity

    path = existing_file(args.data, "data file")
    if args.n_boot < 0:
        raise InputError("must be >= 0", parameter="--n-boot", value=args.n_boot)
    model = read_model(args.model)
    data = read_data(path)
    from ._common import check_columns, model_columns

    check_columns(data, model_columns(model, data), str(path))
    from ._common import option_names

    with option_names({"model": "--model", "missing": "--missing", "n_boot": "--n-boot"}):
        res = validity(data, model, n_boot=args.n_boot, seed=args.seed, missing=args.missing,
                       file=str(path))
    if args.cmv or args.marker:
        import warnings

        from ..measure.cmv import common_latent_factor, harman, marker_variable
        from ..measure.construct_validity import parse_measurement

        items = list(dict.fromkeys(i for its in parse_measurement(model).values() for i in its))
        cmv = {"harman": harman(data, items), "common_latent_factor": None,
               "marker_variable": None}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cmv["common_latent_factor"] = common_latent_factor(data, model,
                                                               missing=res.missing)
        if args.marker:
            if args.marker not in data.columns:
                raise InputError("marker variable is not in the data", file=str(path),
                                 column=args.marker, parameter="--marker")
            cmv["marker_variable"] = marker_variable(data, items, args.marker).to_dict()
        res.cmv = cmv
    return res
