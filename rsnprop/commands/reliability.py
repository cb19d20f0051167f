"""``rsnprop reliability``: Cronbach's alpha (Feldt and bootstrap CIs), item statistics and
omega for one scale."""

from __future__ import annotations

from ._common import seed as _seed

from ._common import existing_file, split_list

NAME = "reliability"
HELP = "Cronbach's alpha with CIs, item-total statistics and McDonald's omega for one scale"
DESCRIPTION = (HELP + ". Values agree with psych::alpha and psych::omega. Reverse keying "
               "(--reverse) uses --scale-min/--scale-max (observed range if omitted); clean "
               "data from 'rsnprop clean' is already reverse keyed.")


def add_arguments(p) -> None:
    p.add_argument("data", metavar="DATA", help="data file (.csv, .xlsx, .sav, .parquet)")
    p.add_argument("--items", default="", help="comma-separated item columns (at least 3)")
    p.add_argument("--instrument", default=None,
                   help="instrument YAML: reverse keys and scale bounds from it (raw data)")
    p.add_argument("--construct", default=None,
                   help="with --instrument: score this construct's items")
    p.add_argument("--keyed", action="store_true",
                   help="the data are already reverse keyed (clean data): take only the items "
                        "from --instrument (detected automatically when score_* columns exist)")
    p.add_argument("--reverse", default="", help="comma-separated items to reverse-key")
    p.add_argument("--scale-min", type=float, default=None, help="lowest response option")
    p.add_argument("--scale-max", type=float, default=None, help="highest response option")
    p.add_argument("--missing", choices=["auto", "listwise", "pairwise"], default="auto",
                   help="auto (default) = listwise, with rows used/given reported; pairwise as "
                   "psych::alpha's default (docs/missing-data.md)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (0: none)")
    p.add_argument("--seed", type=_seed, default=12345, help="seed of the bootstrap")
    p.add_argument("--ci-level", type=float, default=0.95, help="confidence level")
    p.add_argument("--ordinal", action="store_true",
                   help="also report ordinal alpha (from polychoric correlations)")
    p.add_argument("--omega-factors", type=int, default=1,
                   help="group factors for omega (psych::omega nfactors; 0 skips omega)")


def run(args):
    from ..errors import InputError
    from ._common import read_data
    from ..measure.internal_consistency import alpha

    path = existing_file(args.data, "data file")
    if (args.scale_min is None) != (args.scale_max is None):
        raise InputError("give both --scale-min and --scale-max (or neither)",
                         parameter="--scale-min")
    if not 0 < args.ci_level < 1:
        raise InputError("must be between 0 and 1", parameter="--ci-level", value=args.ci_level)
    if args.n_boot < 0:
        raise InputError("must be >= 0", parameter="--n-boot", value=args.n_boot)
    if args.omega_factors < 0:
        raise InputError("must be 0 (no omega) or a positive number of group factors",
                         parameter="--omega-factors", value=args.omega_factors)
    items = split_list(args.items)
    reverse = split_list(args.reverse)
    scale = None
    if args.instrument:
        from ..instrument import load_instrument, reverse_keys

        ins = load_instrument(existing_file(args.instrument, "instrument"))
        if args.construct:
            if args.construct not in ins.constructs:
                raise InputError("unknown construct", parameter="--construct",
                                 value=args.construct)
            items = items or list(ins.constructs[args.construct].items)
            scale = args.construct
        keys = reverse_keys(ins)
        unknown = [i for i in items if i not in ins.items]
        if unknown:
            raise InputError("item is not in the instrument", column=unknown[0],
                             parameter="--items")
        rev = {i: keys[i] for i in items if i in keys}
        for r in reverse:  # explicit --reverse on top, with the item's own scale
            if r in ins.items and ins.items[r].scale is not None:
                rev[r] = (ins.items[r].scale.min, ins.items[r].scale.max)
            else:
                rev[r] = (args.scale_min, args.scale_max)
        reverse = rev
    elif args.construct:
        raise InputError("--construct needs --instrument", parameter="--construct")
    if not items:
        raise InputError("give --items (or --instrument with --construct)", parameter="--items")
    data = read_data(path)
    from ._common import check_columns

    check_columns(data, items, str(path))
    notes = []
    if args.instrument and isinstance(reverse, dict) and reverse:
        clean_like = any(str(c).startswith("score_") for c in data.columns)
        if args.keyed or clean_like:
            notes.append("the data are already reverse keyed ("
                         + ("--keyed" if args.keyed else "clean data: score_* columns found")
                         + "): the instrument's reverse keys were not applied again")
            reverse = {}
    if args.instrument:
        from ..measure.item_data import check_range, select_items

        bounds = {i: (ins.items[i].scale.min, ins.items[i].scale.max) for i in items
                  if ins.items[i].scale is not None}
        check_range(select_items(data, items, file=str(path)), bounds, file=str(path),
                    hint=" (a missing-value code? run 'rsnprop clean' first)")
    res = alpha(data, items, reverse=reverse, scale_min=args.scale_min,
                scale_max=args.scale_max, missing=args.missing, ci_level=args.ci_level,
                n_boot=args.n_boot, seed=args.seed, omega_nfactors=args.omega_factors or None,
                scale=scale, ordinal=args.ordinal, file=str(path))
    res.warnings = notes + res.warnings
    return res
