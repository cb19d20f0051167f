"""``rsnprop fit DATA --model MODEL``: fit a CFA/SEM (lavaan syntax) and print lavaan-style results."""

from __future__ import annotations

from ._common import seed as _seed

NAME = "fit"
HELP = "fit a CFA/SEM written in lavaan syntax (ML, MLR, WLSMV; multigroup; FIML; bootstrap)"


def add_arguments(parser) -> None:
    parser.add_argument("data", help="data file (.csv, .xlsx, .sav, .parquet)")
    parser.add_argument("--model", required=True, help="lavaan model syntax, inline or a file path")
    parser.add_argument("--group", help="column defining the groups (multigroup model)")
    parser.add_argument("--equal", default="", help="comma-separated group_equal types "
                        "(loadings,intercepts,residuals,means,lv.variances,lv.covariances,regressions,thresholds)")
    parser.add_argument("--partial", default="", help="comma-separated parameters freed from --equal (e.g. 'x3~1')")
    parser.add_argument("--estimator", default="ML", choices=["ML", "MLR", "WLSMV"], type=str.upper)
    parser.add_argument("--ordered", default="", help="comma-separated ordinal indicators (implies WLSMV)")
    parser.add_argument("--missing", default="auto", choices=["auto", "fiml", "listwise"],
                        help="auto (default): FIML (lavaan missing = 'ml') for ML/MLR when a model variable "
                        "has a missing value, else complete data; WLSMV: complete cases (docs/missing-data.md)")
    parser.add_argument("--std-lv", action="store_true", help="fix latent variances to 1 instead of first loadings")
    parser.add_argument("--parameterization", default="delta", choices=["delta", "theta"],
                        help="ordinal indicators: delta (default) or theta (residual variances of the "
                        "latent responses as parameters)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N", help="bootstrap draws (0: none)")
    parser.add_argument("--bootstrap-type", default="nonparametric", choices=["nonparametric", "bollen.stine"])
    parser.add_argument("--seed", type=_seed, default=None, help="seed of the bootstrap (0 to 4294967295)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel workers for the bootstrap")


def read_data(path):
    """Read DATA with :func:`rsnprop.data.read_table` (csv, xlsx, sav, parquet)."""
    from ._common import existing_file

    existing_file(path, "data file")
    from ..data import read_table

    return read_table(path)


def run(args):
    from ._common import about_file, check_columns, model_columns, read_model, split_list
    from ..errors import InputError
    from ..sem import fit

    if split_list(args.equal) and not args.group:
        raise InputError("--equal constrains parameters across groups: give --group too",
                         parameter="--equal", value=args.equal)
    if split_list(args.partial) and not split_list(args.equal):
        raise InputError("--partial frees parameters from --equal: give --equal too",
                         parameter="--partial", value=args.partial)
    if args.bootstrap < 0:
        raise InputError("must be 0 (no bootstrap) or a positive number of draws",
                         parameter="--bootstrap", value=args.bootstrap)
    model = read_model(args.model)
    data = read_data(args.data)
    check_columns(data, model_columns(model, data), args.data)
    from ._common import SEM_OPTIONS, option_names

    with option_names(SEM_OPTIONS), about_file(args.data):
        return fit(model, data, group=args.group, group_equal=split_list(args.equal),
                   group_partial=split_list(args.partial), estimator=args.estimator,
                   ordered=split_list(args.ordered) or None, missing=args.missing,
                   std_lv=args.std_lv, bootstrap=args.bootstrap,
                   bootstrap_type=args.bootstrap_type, seed=args.seed, n_jobs=args.jobs,
                   parameterization=args.parameterization)
