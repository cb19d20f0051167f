"""``rsnprop fit DATA --model MODEL``: fit a CFA/SEM (lavaan syntax) and print lavaan-style results."""

from __future__ import annotations

from ._common import seed as _seed

NAME = "fit"
HELP = "fit a CFA/SEM written in lavaan syntax (ML, MLR, WLSMV; multigroup; FIML; bootstrap)"


def add_arguments(parser) -> None:
    parser.add_argument("data", nargs="?", help="data file (.csv, .xlsx, .sav, .parquet); leave out with --sample-cov")
    parser.add_argument("--model", required=True, help="lavaan model syntax, inline or a file path")
    parser.add_argument("--sample-cov", default="", metavar="FILE[,FILE...]",
                        help="fit from a published covariance matrix instead of data (lavaan sample.cov): CSV "
                        "with variable names as header and first column, full or lower triangle; one file per "
                        "group (groups named by the file names)")
    parser.add_argument("--sample-nobs", default="", metavar="N[,N...]", help="observations (per group)")
    parser.add_argument("--sample-mean", default="", metavar="FILE",
                        help="CSV of means: variable names as header, one row per group (first column: label)")
    parser.add_argument("--sample-sd", default="", metavar="FILE",
                        help="CSV of standard deviations (as --sample-mean): --sample-cov holds correlations")
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


def _moments(args):
    """The keyword arguments of ``fit`` for --sample-cov (matrices, N, means, SDs by group)."""
    from pathlib import Path

    import pandas as pd

    from ._common import about_file, existing_file, split_list
    from ..errors import InputError

    files = split_list(args.sample_cov)
    if args.data:
        raise InputError("give a data file or --sample-cov, not both", parameter="--sample-cov", value=args.data)
    nobs = split_list(args.sample_nobs)
    if not nobs:
        raise InputError("--sample-nobs (the number of observations) is required with --sample-cov",
                         parameter="--sample-nobs")
    if len(nobs) != len(files):
        raise InputError(f"--sample-nobs needs one number per --sample-cov file ({len(files)})",
                         parameter="--sample-nobs", value=args.sample_nobs)
    labels = [Path(f).stem for f in files]
    covs = {}
    for lab, f in zip(labels, files):
        existing_file(f, "sample covariance file")
        covs[lab] = pd.read_csv(f, index_col=0)
    extra = {}
    for key, path in (("sample_mean", args.sample_mean), ("sample_sd", args.sample_sd)):
        if path:
            existing_file(path, key.replace("_", " ") + " file")
            rows = pd.read_csv(path)
            if rows.shape[1] and not pd.api.types.is_numeric_dtype(rows.iloc[:, 0]):
                rows = rows.set_index(rows.columns[0])
            if len(rows) != len(files):
                with about_file(path):
                    raise InputError(f"needs one row per --sample-cov file ({len(files)})", parameter="--" +
                                     key.replace("_", "-"), row=len(rows))
            extra[key] = {lab: rows.iloc[k] for k, lab in enumerate(labels)}
    if len(files) == 1:
        extra = {k: v[labels[0]] for k, v in extra.items()}
        return dict(sample_cov=covs[labels[0]], sample_nobs=nobs[0], **extra), files
    return dict(sample_cov=covs, sample_nobs=dict(zip(labels, nobs)), **extra), files


def run(args):
    from ._common import about_file, check_columns, model_columns, read_data, read_model, split_list
    from ..errors import InputError
    from ..sem import fit

    if split_list(args.partial) and not split_list(args.equal):
        raise InputError("--partial frees parameters from --equal: give --equal too",
                         parameter="--partial", value=args.partial)
    if args.bootstrap < 0:
        raise InputError("must be 0 (no bootstrap) or a positive number of draws",
                         parameter="--bootstrap", value=args.bootstrap)
    if args.sample_cov:  # the groups, if any, are the --sample-cov files
        kw, files = _moments(args)
        with about_file(files[0] if len(files) == 1 else ", ".join(files)):
            return fit(read_model(args.model), group_equal=split_list(args.equal),
                       group_partial=split_list(args.partial), estimator=args.estimator, std_lv=args.std_lv,
                       **kw)
    if not args.data:
        raise InputError("give a data file (or --sample-cov FILE --sample-nobs N)", parameter="data")
    if split_list(args.equal) and not args.group:
        raise InputError("--equal constrains parameters across groups: give --group too",
                         parameter="--equal", value=args.equal)
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
