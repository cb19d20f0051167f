"""``rsnprop efa``: KMO, Bartlett's test, parallel analysis and an exploratory factor analysis."""

from __future__ import annotations

from ._common import seed as _seed

from ._common import existing_file, split_list

NAME = "efa"
HELP = "KMO, Bartlett's sphericity test, parallel analysis and EFA (psych::fa) of items"


def add_arguments(p) -> None:
    p.add_argument("data", metavar="DATA", help="data file (.csv, .xlsx, .sav, .parquet)")
    p.add_argument("--items", required=True, help="comma-separated item columns (at least 3)")
    p.add_argument("--nfactors", type=int, default=None,
                   help="number of factors (default: parallel analysis)")
    p.add_argument("--fm", choices=["minres", "ml"], default="minres", help="extraction")
    p.add_argument("--rotate", choices=["oblimin", "promax", "varimax", "none"],
                   default="oblimin", help="rotation")
    p.add_argument("--cor", choices=["pearson", "polychoric"], default="pearson",
                   help="correlations (polychoric for ordinal items)")
    p.add_argument("--missing", choices=["auto", "listwise", "pairwise"], default="auto",
                   help="auto (default) = listwise, with rows used/given reported; pairwise as "
                   "psych's default (docs/missing-data.md)")
    p.add_argument("--n-iter", type=int, default=20, help="parallel-analysis simulations")
    p.add_argument("--seed", type=_seed, default=12345, help="seed of the simulations")
    p.add_argument("--cross-loading", type=float, default=0.3,
                   help="flag secondary loadings at or above this value")


def run(args):
    from ..errors import InputError
    from ._common import read_data
    from ..measure.exploratory import efa

    path = existing_file(args.data, "data file")
    if args.n_iter < 1:
        raise InputError("must be >= 1", parameter="--n-iter", value=args.n_iter)
    data = read_data(path)
    from ._common import check_columns

    check_columns(data, split_list(args.items), str(path))
    return efa(data, split_list(args.items), nfactors=args.nfactors, fm=args.fm,
               rotate=args.rotate, correlation=args.cor, missing=args.missing,
               n_iter=args.n_iter, seed=args.seed, cross_loading=args.cross_loading,
               file=str(path))
