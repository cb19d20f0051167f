"""``rsnprop simulate``: write a synthetic raw survey export with known truth."""

from __future__ import annotations

from ._common import seed

NAME = "simulate"
HELP = "simulate a raw survey export (known truth) from a scenario"
DESCRIPTION = (
    "Simulate the raw export of a survey of SMEs from a population scenario (p1p2, null, "
    "reversed, p2_only or a YAML file), written as the platform writes it (default 'generic': "
    "columns are item ids plus resp_id, duration_sec, submitted_at), which `rsnprop clean` "
    "reads by default. The data are SIMULATED: every resp_id starts with 'SIM-'."
)



def add_arguments(parser) -> None:
    parser.add_argument("--instrument", required=True, help="instrument YAML")
    parser.add_argument("--scenario", default="p1p2",
                        help="p1p2 | null | reversed | p2_only | path to a YAML scenario (default p1p2)")
    parser.add_argument("--n", type=int, default=300, help="number of respondents (default 300)")
    parser.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    parser.add_argument("--platform", default="generic",
                        help="generic | xlsform | limesurvey | qualtrics (default generic)")
    parser.add_argument("--careless-rate", type=float, help="share of careless respondents")
    parser.add_argument("--missing-rate", type=float, help="average share of missing answers")
    parser.add_argument("--missing-mechanism", choices=("mcar", "mar"), help="missingness mechanism")
    parser.add_argument("--invalid-rate", type=float, help="share of answers with an invalid code")
    parser.add_argument("--bg-share", type=float, help="share of born globals")
    parser.add_argument("--truth", help="also write the truth per row (CSV: group, latent scores...)")
    parser.add_argument("--params", help="also write the population parameters (JSON)")
    parser.add_argument("-o", "--output", required=True, help="raw export to write (.csv)")
    parser.add_argument("--waves", type=int, default=1,
                        help="panel: the same firms answer WAVES times; writes one export per "
                             "wave, OUTPUT with _w1, _w2, ... before .csv (docs/panel.md)")
    parser.add_argument("--change", choices=("change", "none"), default="change",
                        help="with --waves: relational lean rises for born globals and firms "
                             "moving phase ('change', default) or not ('none')")
    parser.add_argument("--attrition", type=float, default=0.25,
                        help="with --waves: expected share of firms leaving at each wave")
    parser.add_argument("--attrition-mechanism", choices=("mcar", "mar"), default="mcar",
                        help="with --waves: leaving at random, or more often with a low "
                             "relational score (mar)")


#: the largest --n accepted: a raw export of this size takes about 1 GB in memory
MAX_N = 1_000_000


def _check_rate(name, value):
    from ..errors import InputError

    if value is not None and not 0 <= value < 1:
        raise InputError("must lie in [0, 1)", parameter=name, value=value)


def run(args):
    from ..errors import InputError
    from ..instrument import load_instrument
    from ._common import existing_file

    existing_file(args.instrument, "instrument")
    from ._common import check_files

    check_files({"--instrument": args.instrument, "--scenario": args.scenario},
                {"--output": args.output, "--truth": args.truth, "--params": args.params})
    if args.n < 1:
        raise InputError("must be a positive integer", parameter="--n", value=args.n)
    if args.n > MAX_N:
        raise InputError(f"too many respondents to simulate at once (at most {MAX_N:,})",
                         parameter="--n", value=args.n)
    for name in ("careless_rate", "missing_rate", "invalid_rate"):
        _check_rate("--" + name.replace("_", "-"), getattr(args, name))
    if args.bg_share is not None and not 0 < args.bg_share < 1:
        raise InputError("must lie in (0, 1)", parameter="--bg-share", value=args.bg_share)
    if not str(args.output).lower().endswith(".csv"):
        raise InputError("the raw export is written as CSV: give a .csv path", parameter="-o",
                         value=args.output)

    from ..simulate import population_parameters, simulate_study, write_raw
    from ..simulate.scenarios import get_scenario

    ins = load_instrument(args.instrument)
    scenario = get_scenario(args.scenario)
    if args.waves != 1:
        return _run_panel(args, ins, scenario)
    raw, truth = simulate_study(ins, scenario, n=args.n, seed=args.seed, platform=args.platform,
                                careless_rate=args.careless_rate, missing_rate=args.missing_rate,
                                missing_mechanism=args.missing_mechanism,
                                invalid_rate=args.invalid_rate, bg_share=args.bg_share,
                                return_truth=True)
    digest = write_raw(raw, args.output, platform=args.platform)
    params = population_parameters(ins, scenario)
    if args.truth:
        from ..io import atomic_write
        from ..simulate.quirks import raw_csv_bytes

        atomic_write(args.truth, raw_csv_bytes(truth.round(6)))
    if args.params:
        from ..io import atomic_write
        from ..results import dumps

        atomic_write(args.params, dumps(params.to_dict()) + "\n")
    return _SimulateResult({
        "output": str(args.output), "sha256": digest, "n": int(len(raw)),
        "scenario": scenario.name, "seed": args.seed, "platform": args.platform,
        "instrument": ins.provenance() if hasattr(ins, "provenance") else None,
        "simulated": True,
        "n_born_global": int(truth["born_global"].sum()),
        "n_careless": {k: int(v) for k, v in sorted(truth["careless"].value_counts().items()) if k},
        "n_eligible_truth": int(truth["eligible"].sum()),
        "expected_verdicts": params.expected,
        "d_between": params.d_between,
    })


def wave_paths(output: str, waves: int) -> list[str]:
    """``raw.csv`` -> ``raw_w1.csv``, ``raw_w2.csv``, ...

    >>> wave_paths("build/raw.csv", 2)
    ['build/raw_w1.csv', 'build/raw_w2.csv']
    """
    stem = str(output)[: -len(".csv")]
    return [f"{stem}_w{k}.csv" for k in range(1, waves + 1)]


def _run_panel(args, ins, scenario):
    """``--waves N``: one export per wave of the same firms (rsnprop.simulate.simulate_panel)."""
    from ..errors import InputError
    from ..simulate import simulate_panel, write_raw
    from ._common import check_files

    if not 2 <= args.waves <= 10:
        raise InputError("must be 1 (one cross-section) or 2 to 10 waves", parameter="--waves",
                         value=args.waves)
    if args.truth or args.params or args.platform != "generic":
        raise InputError("panels are simulated without --truth/--params, in the generic format",
                         parameter="--waves", value=args.waves)
    paths = wave_paths(args.output, args.waves)
    check_files({"--instrument": args.instrument, "--scenario": args.scenario},
                {f"wave {k + 1}": p for k, p in enumerate(paths)})
    with _option_names():
        exports = simulate_panel(ins, scenario, n=args.n, seed=args.seed, waves=args.waves,
                                 change=args.change, attrition=args.attrition,
                                 attrition_mechanism=args.attrition_mechanism,
                                 careless_rate=args.careless_rate, missing_rate=args.missing_rate,
                                 invalid_rate=args.invalid_rate, bg_share=args.bg_share)
    digests = [write_raw(raw, p) for raw, p in zip(exports, paths)]
    return _PanelResult({"outputs": paths, "sha256": digests, "n": [int(len(r)) for r in exports],
                         "scenario": scenario.name, "seed": args.seed, "change": args.change,
                         "attrition": args.attrition,
                         "attrition_mechanism": args.attrition_mechanism, "simulated": True})


def _option_names():
    from ._common import option_names

    return option_names({"attrition": "--attrition", "waves": "--waves", "change": "--change"})


class _PanelResult(dict):
    def to_dict(self):
        return dict(self)

    def summary(self) -> str:
        waves = ", ".join(f"{p} ({n} rows)" for p, n in zip(self["outputs"], self["n"]))
        return (f"SIMULATED panel written: {waves}; scenario {self['scenario']}, seed "
                f"{self['seed']}, change '{self['change']}', attrition {self['attrition']:.0%} "
                f"({self['attrition_mechanism']}) per wave")


class _SimulateResult(dict):
    def to_dict(self):
        return dict(self)

    def summary(self) -> str:
        care = ", ".join(f"{k} {v}" for k, v in self["n_careless"].items()) or "none"
        return (f"SIMULATED export written: {self['output']} ({self['n']} rows, scenario "
                f"{self['scenario']}, seed {self['seed']}, platform {self['platform']})\n"
                f"born globals (truth): {self['n_born_global']}; careless: {care}\n"
                f"expected verdicts: {_verdicts(self['expected_verdicts'])}\nsha256 {self['sha256']}")


def _verdicts(expected) -> str:
    """``{'P1': 'supported'}`` -> ``P1 supported`` (the summary prints words, not dicts)."""
    if isinstance(expected, dict):
        return ", ".join(f"{k} {v}" for k, v in expected.items()) or "none"
    return str(expected)
