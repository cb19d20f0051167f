"""``rsnprop run PLAN``: the whole pipeline, in the order analysis/Makefile runs it.

clean -> measure -> test -> report, each step the same sub-command (same arguments) as the
Makefile recipe, so a script, the Makefile and this command give the same files.  Paths
default to the layout of ``analysis/``: the raw export, instrument and output locations are
taken from the options, else from the plan's ``inputs:`` section (``raw``, ``instrument``),
relative to the plan's folder.
"""

from __future__ import annotations

NAME = "run"
HELP = "run the whole pipeline (clean, measure, test, report) for a study plan"


def add_arguments(parser) -> None:
    parser.add_argument("plan", help="study plan YAML (e.g. analysis/study.yaml)")
    parser.add_argument("--raw", help="raw survey export (default: the plan's inputs.raw)")
    parser.add_argument("--instrument", help="instrument YAML (default: the plan's inputs.instrument)")
    parser.add_argument("--build", help="folder for intermediate results (default: PLAN_DIR/build)")
    parser.add_argument("-o", "--output", help="report path (default: PLAN_DIR/../reports/report.html)")


def _inputs_from_plan(plan_path) -> dict:
    import yaml

    from ..errors import PlanError

    try:
        data = yaml.safe_load(plan_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise PlanError(f"not valid YAML ({err.__class__.__name__})", file=str(plan_path)) from None
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise PlanError("'inputs' must be a mapping with keys raw and instrument",
                        file=str(plan_path), value=inputs)
    return inputs


def steps(args) -> list[list[str]]:
    """The sub-command argument lists that ``run`` executes, in order."""
    from pathlib import Path

    from ..errors import InputError
    from ._common import existing_file

    plan = existing_file(args.plan, "study plan")
    base = plan.resolve().parent
    inputs = _inputs_from_plan(plan)

    def pick(option, key, default=None):
        if option:
            return Path(option)
        if inputs.get(key):
            return (base / inputs[key]).resolve()
        if default is None:
            raise InputError(f"give --{key} or set inputs.{key} in the plan", parameter=key)
        return default

    raw = pick(args.raw, "raw")
    instrument = pick(args.instrument, "instrument")
    build = Path(args.build) if args.build else base / "build"
    report = Path(args.output) if args.output else base.parent / "reports" / "report.html"
    clean = build / "clean.parquet"
    return [
        ["clean", str(raw), "--instrument", str(instrument), "--plan", str(plan), "-o", str(clean),
         "--log", str(build / "cleaning_log.json")],
        ["measure", str(clean), "--instrument", str(instrument), "-o", str(build / "measurement.json")],
        ["test", str(clean), "--plan", str(plan), "--raw", str(raw), "--instrument", str(instrument),
         "-o", str(build / "propositions.json")],
        ["report", str(build), "-o", str(report), "--tables-dir", str(report.parent / "tables")],
    ]


class _RunResult(dict):
    def summary(self) -> str:
        lines = [f"{s['step']:<8} ok  {s['output']}" for s in self["steps"]]
        return "\n".join(["Pipeline finished:", *lines])


def run(args):
    from .. import cli

    done = []
    for argv in steps(args):
        parser = cli.build_parser()
        sub_args = parser.parse_args(argv)
        sub_args._module.run(sub_args)  # errors propagate: exit 2 with the step's message
        output = argv[argv.index("-o") + 1]
        done.append({"step": argv[0], "output": output})
    return _RunResult(steps=done)
