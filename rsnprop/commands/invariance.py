"""``rsnprop invariance DATA --model MODEL --group COL`` (or ``--repeated F1,F2``: the same construct at
successive waves): configural -> metric -> scalar -> strict."""

from __future__ import annotations

NAME = "invariance"
HELP = "measurement invariance across groups (chi-square difference, delta CFI/RMSEA/SRMR, latent means)"


def add_arguments(parser) -> None:
    parser.add_argument("data", help="data file (.csv, .xlsx, .sav, .parquet)")
    parser.add_argument("--model", required=True, help="lavaan model syntax, inline or a file path")
    parser.add_argument("--group", help="column defining the groups (or --repeated)")
    parser.add_argument("--repeated", default="", help="longitudinal invariance instead of groups: "
                        "comma-separated factors of one construct at successive waves (F1,F2[,F3...]), "
                        "indicators matched by position")
    parser.add_argument("--levels", default="configural,metric,scalar,strict",
                        help="comma-separated steps (default: configural,metric,scalar,strict; "
                        "add 'means' for a test of equal latent means)")
    parser.add_argument("--partial", action="store_true", help="search for partial invariance when a step fails")
    parser.add_argument("--estimator", default="ML", choices=["ML", "MLR", "WLSMV"], type=str.upper)
    parser.add_argument("--ordered", default="", help="comma-separated ordinal indicators (implies WLSMV)")
    parser.add_argument("--missing", default="auto", choices=["auto", "fiml", "listwise"],
                        help="auto (default): FIML (lavaan missing = 'ml') for ML/MLR when a model variable "
                        "has a missing value, else complete data; WLSMV: complete cases (docs/missing-data.md)")
    parser.add_argument("--rule", default="chen2007", choices=["chen2007", "lrt", "score"],
                        help="step test: Chen (2007) fit-index changes, chi-square difference, or "
                             "corrected score tests of the step's constraints (lavTestScore; ML)")
    parser.add_argument("--locate", default="lrt", choices=["lrt", "score"],
                        help="partial search: largest chi-square drop, or largest flagged score test")
    parser.add_argument("--correction", default="holm",
                        help="correction of the score tests (holm, bonferroni, fdr_bh, none, ...)")
    parser.add_argument("--parameterization", default="delta", choices=["delta", "theta"],
                        help="ordinal indicators: delta (default) or theta (residual variances of the "
                        "latent responses as parameters; tests the strict step)")


def run(args):
    from ._common import about_file, check_columns, model_columns, read_data, read_model, split_list
    from ..errors import InputError
    from ..sem import invariance

    levels = split_list(args.levels)
    if not levels:
        raise InputError("give at least one step (configural, metric, scalar, strict, means)",
                         parameter="--levels", value=args.levels)
    repeated = split_list(args.repeated) or None
    if (args.group is None) == (repeated is None):
        raise InputError("give --group (groups) or --repeated (waves), one of the two", parameter="group")
    model = read_model(args.model)
    data = read_data(args.data)
    check_columns(data, model_columns(model, data), args.data)
    from ._common import SEM_OPTIONS, option_names

    with option_names(SEM_OPTIONS), about_file(args.data):
        return invariance(model, data, args.group, repeated=repeated, levels=levels,
                          partial_search=args.partial, estimator=args.estimator,
                          ordered=split_list(args.ordered) or None, missing=args.missing,
                          rule=args.rule, parameterization=args.parameterization,
                          locate=args.locate, correction=args.correction)
