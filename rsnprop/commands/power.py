"""``rsnprop power``: Monte Carlo power of a study plan (whole pipeline per replication)."""

from __future__ import annotations

from ._common import seed

NAME = "power"
HELP = "Monte Carlo power of a study plan for a list of sample sizes"
DESCRIPTION = (
    "For each sample size, simulate the study R times from a scenario (default p1p2), clean "
    "each raw export with the plan's cleaning rules, run the plan's tests and decision rules, "
    "and report the probability of each verdict with Monte Carlo standard errors, the N for "
    "80% and 90% power, the analytic power of the main contrasts and (with --figure) a power "
    "curve. Replications are seeded with SeedSequence(seed, spawn_key=(n, rep)): the same "
    "results with any number of workers or backend. With --stream (default: beside -o) every "
    "replication is written as it finishes and an interrupted run resumes where it stopped. "
    "With --panel: the power of the plan's panel hypotheses (C1, C2, C3 of its panel: section) "
    "for N firms answering wave 1, simulating two waves with --attrition and --change "
    "(defaults from the plan's panel.power settings; docs/panel-power.md)."
)



def add_arguments(parser) -> None:
    parser.add_argument("--plan", required=True, help="study plan YAML (analysis/study.yaml)")
    parser.add_argument("--n", help="comma-separated sample sizes, e.g. 100,200,300 (with --panel: "
                        "firms answering wave 1; default the plan's panel.power.n_wave1)")
    parser.add_argument("--reps", type=int, help="replications per sample size (default 200; with "
                        "--panel the plan's panel.power.reps)")
    parser.add_argument("--seed", type=seed, help="root seed (default 1; with --panel the plan's "
                        "panel.power.seed)")
    parser.add_argument("--jobs", type=int, default=0, help="workers (default 0 = all cores)")
    parser.add_argument("--backend", choices=("joblib", "loky", "dask"), default="joblib",
                        help="joblib (default: on Linux workers forked from this process, "
                        "elsewhere joblib's loky), loky (fresh worker interpreters) or a "
                        "dask.distributed cluster")
    parser.add_argument("--scheduler", help="dask scheduler address (default: a new LocalCluster)")
    parser.add_argument("--scenario", default="p1p2",
                        help="p1p2 | null | reversed | p2_only | YAML scenario (default p1p2)")
    parser.add_argument("--instrument", help="instrument YAML (default: from the plan or "
                        "instruments/rsn_internationalisation.yaml)")
    parser.add_argument("--careless-rate", type=float, help="override the scenario's careless rate")
    parser.add_argument("--missing-rate", type=float, help="override the scenario's missing rate")
    parser.add_argument("--full", action="store_true",
                        help="run all evidence (latent SEM, robustness) in every replication (slow)")
    parser.add_argument("--no-analytic", action="store_true", help="skip the analytic power")
    parser.add_argument("--stream", help="JSON-lines file of replications (resumable; default: "
                        "OUTPUT with .runs.jsonl when -o is given)")
    parser.add_argument("--restart", action="store_true", help="discard an existing stream first")
    parser.add_argument("--figure", help="power curve figure (.svg or .png)")
    parser.add_argument("--progress", action="store_true", default=None, help="show a progress bar")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("-o", "--output", help="write the result as JSON (e.g. build/power.json)")
    panel = parser.add_argument_group("panel power (--panel)")
    panel.add_argument("--panel", action="store_true",
                       help="power of the plan's panel hypotheses (two simulated waves)")
    panel.add_argument("--attrition", type=float, help="expected share of firms leaving before "
                       "wave 2 (default the plan's panel.power.attrition, else 0.25)")
    panel.add_argument("--attrition-mechanism", choices=("mcar", "mar"),
                       help="who leaves (default the plan's, else mcar)")
    panel.add_argument("--change", choices=("change", "none"),
                       help="the simulated change between waves (default change; none: the "
                       "false-supported rate)")


def _sizes(text):
    from ..errors import InputError

    out = []
    for tok in str(text).split(","):
        tok = tok.strip()
        if not tok:
            continue
        try:
            v = int(tok)
        except ValueError:
            raise InputError("sample sizes must be integers", parameter="--n", value=tok) from None
        if v < 10:
            raise InputError("sample sizes must be at least 10", parameter="--n", value=v)
        out.append(v)
    if not out:
        raise InputError("give at least one sample size", parameter="--n", value=text)
    return out


def _check_scheduler(args) -> None:
    """``--scheduler`` goes with ``--backend dask`` and is an address (``tcp://host:port``)."""
    import re

    from ..errors import InputError

    if args.scheduler is None:
        return
    if args.backend != "dask":
        raise InputError("--scheduler needs --backend dask", parameter="--scheduler",
                         value=args.scheduler)
    if not re.fullmatch(r"((tcp|tls|inproc|ucx|ws|wss)://)?[\w.\-\[\]:]+:\d{1,5}/?",
                        args.scheduler):
        raise InputError("not a scheduler address (expected tcp://host:port)",
                         parameter="--scheduler", value=args.scheduler)


def _remove_stream(stream) -> None:
    """``--restart``: delete ``stream`` only when its first line is an rsnprop Monte Carlo
    stream header; any other file (a CSV, the plan...) is refused, never deleted."""
    import json
    import os

    from ..errors import InputError
    from ..power.montecarlo import STREAM_KIND

    try:
        with open(stream, "rb") as fh:
            first = fh.readline(1 << 20)
        header = json.loads(first) if first.strip() else None
    except (OSError, ValueError):
        header = False
    if header is None:  # an empty file: nothing to lose
        os.unlink(stream)
        return
    if not isinstance(header, dict) or header.get("kind") != STREAM_KIND:
        raise InputError("--restart deletes only an rsnprop Monte Carlo stream, and this file is "
                         "not one: give another --stream path", file=stream,
                         parameter="--restart")
    os.unlink(stream)


def _no_collection_at_exit() -> None:
    """Move every object alive when the interpreter ends out of the garbage collector's reach
    (``gc.freeze`` as the first exit handler): the collections of the interpreter's shutdown
    walked the imported modules of the command (pandas, SciPy, the package), 0.25-0.4 s of
    CPU for nothing, as the process ends anyway.  A process that goes on after the command (a
    test, a script calling :func:`rsnprop.cli.main`) keeps its collector until its own exit."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)     # once, however many runs this process makes
    atexit.register(gc.freeze)


def run(args):
    from ..errors import InputError
    from ._common import existing_file

    _no_collection_at_exit()
    existing_file(args.plan, "study plan")
    if args.panel:
        return _run_panel(args)
    if args.n is None:
        raise InputError("give the sample sizes (--n 100,200,300)", parameter="--n")
    for name in ("attrition", "attrition_mechanism", "change"):
        if getattr(args, name) is not None:
            raise InputError("goes with --panel", parameter="--" + name.replace("_", "-"),
                             value=getattr(args, name))
    args.reps = 200 if args.reps is None else args.reps
    args.seed = 1 if args.seed is None else args.seed
    stream = _checked_files(args, {"--figure": args.figure})
    import gc

    # the collector off while the command imports its modules (pandas, SciPy, pydantic's
    # models, the package: about 200,000 objects, of which about 1,000 garbage): its full
    # collections during the imports walked every object imported so far (0.1-0.2 s of CPU
    # at load 11, alternated pairs); _run_sizes freezes the imported objects (out of its
    # reach) and turns it back on before the replications; back to its state in any case
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run_sizes(args, stream, collecting)
    finally:
        if collecting:
            gc.enable()


def _run_sizes(args, stream, collecting: bool):
    """:func:`run` for ``--n`` sizes (not ``--panel``), the collector off on entry: checks the
    options, imports the power modules, freezes the imported objects, turns the collector
    back on when it was (``collecting``) and runs :func:`rsnprop.power.study.power_analysis`."""
    import gc
    import os
    import sys
    from pathlib import Path

    from ..errors import InputError
    from ..propositions import load_plan

    load_plan(args.plan)  # a bad plan is named as such (before the instrument is looked up)
    if args.jobs < 0:
        raise InputError("must be 0 (all cores) or a positive number of workers",
                         parameter="--jobs", value=args.jobs)
    ns = _sizes(args.n)
    if args.reps < 1:
        raise InputError("must be a positive integer", parameter="--reps", value=args.reps)
    for name in ("careless_rate", "missing_rate"):
        v = getattr(args, name)
        if v is not None and not 0 <= v < 1:
            raise InputError("must lie in [0, 1)", parameter="--" + name.replace("_", "-"), value=v)
    if args.figure and Path(args.figure).suffix.lower() not in (".svg", ".png"):
        raise InputError("the figure must be .svg or .png", parameter="--figure", value=args.figure)
    if stream and args.restart and os.path.exists(stream):
        _remove_stream(stream)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    sim = {k: v for k, v in {"careless_rate": args.careless_rate,
                             "missing_rate": args.missing_rate}.items() if v is not None}

    from ..forkmap import can_fork
    from ..power.study import power_analysis
    from ..simulate.scenarios import get_scenario

    # the imports' objects out of the collector's reach while the command runs: the full
    # collection before the workers are forked walked them all (0.07 s of CPU, before any
    # worker starts); they are given back to it when the run ends
    gc.freeze()
    if collecting:          # on again for the replications
        gc.enable()
    try:
        res = power_analysis(args.plan, ns, args.reps, instrument=args.instrument,
                             scenario=get_scenario(args.scenario), seed=args.seed,
                             jobs=args.jobs or None, backend=args.backend, stream=stream,
                             progress=progress, full=args.full, analytic=not args.no_analytic,
                             sim_options=sim, scheduler=args.scheduler)
    finally:
        gc.unfreeze()
    if args.output:
        from ..io import atomic_write
        from ..results import dumps

        atomic_write(args.output, dumps(res.to_dict()) + "\n")
    if args.figure:
        _write_figure(res, args.figure)
    # outputs written and closed, the forked workers joined: the command line may end without
    # the interpreter's teardown (rsnprop.cli._exit_at_once); not after joblib's loky or dask
    # workers (where this process cannot fork), whose executors are shut down at exit
    args.exit_at_once = args.backend == "joblib" and can_fork()
    return res


def _write_figure(res, path) -> None:
    """``--figure``: the report's power curve (rsnprop.report.figures.power_curve) as SVG or PNG."""
    from pathlib import Path

    from ..errors import InputError
    from ..io import atomic_write
    from ..report.figures import power_curve_image
    from ..report.sections.power import power_rows
    from ..schemas import Power

    power = Power.model_validate(res.to_dict())
    image = power_curve_image(power_rows(power), target=power.target,
                              format=Path(path).suffix.lower().lstrip("."))
    if image is None:
        raise InputError("no power results to draw", parameter="--figure", value=str(path))
    atomic_write(path, image)


def _panel_settings(args) -> dict:
    """``--panel``: the sizes, replications, seed and attrition from the options, else from the
    plan's ``panel.power`` section, else the defaults; refuses what does not apply."""
    from ..errors import InputError
    from ..propositions import load_plan

    for flag, given in (("--full", args.full), ("--figure", args.figure),
                        ("--no-analytic", args.no_analytic)):
        if given:
            raise InputError("is not available with --panel (cross-sectional power only)",
                             parameter=flag, value=given)
    panel = getattr(load_plan(args.plan), "panel", None)
    if panel is None:
        raise InputError("the plan has no panel: section (waves, key, hypotheses; docs/panel.md)",
                         parameter="--panel", file=args.plan)
    conf = getattr(panel, "power", None)
    ns = _sizes(args.n) if args.n is not None else list(getattr(conf, "n_wave1", None) or [])
    if not ns:
        raise InputError("give the firms answering wave 1 (--n 200,300,400) or the plan's "
                         "panel.power.n_wave1", parameter="--n")
    out = {"ns": ns,
           "reps": args.reps if args.reps is not None else getattr(conf, "reps", 200),
           "seed": args.seed if args.seed is not None else getattr(conf, "seed", 1),
           "attrition": args.attrition if args.attrition is not None
           else getattr(conf, "attrition", 0.25),
           "attrition_mechanism": args.attrition_mechanism
           or getattr(conf, "attrition_mechanism", "mcar"),
           "change": args.change or "change"}
    if out["reps"] < 1:
        raise InputError("must be a positive integer", parameter="--reps", value=out["reps"])
    if not 0 <= out["attrition"] <= 0.9:
        raise InputError("must lie in [0, 0.9]", parameter="--attrition", value=out["attrition"])
    if args.jobs < 0:
        raise InputError("must be 0 (all cores) or a positive number of workers",
                         parameter="--jobs", value=args.jobs)
    for name in ("careless_rate", "missing_rate"):
        v = getattr(args, name)
        if v is not None and not 0 <= v < 1:
            raise InputError("must lie in [0, 1)", parameter="--" + name.replace("_", "-"), value=v)
    return out


def _run_panel(args):
    """``rsnprop power --panel``: :func:`rsnprop.power.panel.panel_power`, JSON to ``-o``."""
    import os
    import sys

    stream = _checked_files(args, {})
    settings = _panel_settings(args)
    if stream and args.restart and os.path.exists(stream):
        _remove_stream(stream)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    sim = {k: v for k, v in {"careless_rate": args.careless_rate,
                             "missing_rate": args.missing_rate}.items() if v is not None}
    from ..power.panel import panel_power
    from ..simulate.scenarios import get_scenario

    res = panel_power(args.plan, settings.pop("ns"), settings.pop("reps"),
                      instrument=args.instrument, scenario=get_scenario(args.scenario),
                      jobs=args.jobs or None, backend=args.backend, scheduler=args.scheduler,
                      stream=stream, progress=progress, sim_options=sim, **settings)
    if args.output:
        from ..io import atomic_write
        from ..results import dumps

        atomic_write(args.output, dumps(res.to_dict()) + "\n")
    return res


def _checked_files(args, extra_outputs: dict) -> str | None:
    """Check the inputs and outputs of a power run (inputs exist, no output onto an input);
    return the path of the replication stream (``--stream``, else next to ``-o``)."""
    from pathlib import Path

    from ._common import check_files, existing_file

    if args.instrument:
        existing_file(args.instrument, "instrument")
    stream = args.stream
    if stream is None and args.output:
        out = Path(args.output)
        stream = str(out.with_name(out.stem + ".runs.jsonl"))
    check_files({"--plan": args.plan, "--instrument": args.instrument, "--scenario": args.scenario},
                {"--output": args.output, "--stream": stream, **extra_outputs})
    _check_scheduler(args)
    return stream
