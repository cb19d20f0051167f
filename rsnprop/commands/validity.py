"""``rsnprop validity``: CR, AVE, Fornell-Larcker and HTMT from a CFA of a measurement model."""

from __future__ import annotations

from ._common import existing_file, read_model

NAME = "validity"
HELP = "composite reliability, AVE, Fornell-Larcker and HTMT (with bootstrap CIs) from a CFA"


def add_arguments(p) -> None:
    p.add_argument("data", metavar="DATA", help="data file (.csv, .xlsx, .sav, .parquet)")
    p.add_argument("--model", required=True,
                   help="measurement model in lavaan syntax ('f =~ a + b + c'), inline or a file")
    p.add_argument("--n-boot", type=int, default=1000, help="HTMT bootstrap resamples (0: none)")
    p.add_argument("--seed", type=int, default=12345, help="seed of the bootstrap")


def run(args):
    from ..errors import InputError
    from ..measure._data import read_data
    from ..measure.validity import validity

    path = existing_file(args.data, "data file")
    if args.n_boot < 0:
        raise InputError("must be >= 0", parameter="n-boot", value=args.n_boot)
    model = read_model(args.model)
    data = read_data(path)
    return validity(data, model, n_boot=args.n_boot, seed=args.seed, file=str(path))
