"""``rsnprop run PLAN``: the whole pipeline, in the order analysis/Makefile runs it.

clean -> measure -> invariance -> test -> report, each step the same sub-command (same
arguments) as the Makefile recipe, so a script, the Makefile and this command give the same
files.  Paths default to the layout of ``analysis/``: the raw export and instrument come from
the options, else from the plan's ``inputs:`` section (``raw``, ``instrument``), relative to
the plan's folder; the invariance model from ``--invariance-model``, else ``benefits.lav``
beside the plan (no invariance step when there is none); Monte Carlo power results (slow,
made by ``rsnprop power``) from ``--power``, else ``power.json`` beside the plan when present.
The report step refuses results made with another plan (e.g. a stale power.json) unless
``--allow-plan-mismatch`` is given (the report's summary page then says so).
"""

from __future__ import annotations

NAME = "run"
HELP = "run the whole pipeline (clean, measure, test, report) for a study plan"


def add_arguments(parser) -> None:
    parser.add_argument("plan", help="study plan YAML (e.g. analysis/study.yaml)")
    parser.add_argument("--raw", help="raw survey export (default: the plan's inputs.raw)")
    parser.add_argument("--instrument", help="instrument YAML (default: the plan's inputs.instrument)")
    parser.add_argument("--build", help="folder for intermediate results (default: PLAN_DIR/build)")
    parser.add_argument("-o", "--output", help="report path (default: PLAN_DIR/reports/report.html "
                        "when PLAN_DIR/reports/ exists, as in a folder made by `rsnprop init`, "
                        "else PLAN_DIR/../reports/report.html)")
    parser.add_argument("--invariance-model", help="lavaan model for the invariance step "
                        "(default: PLAN_DIR/benefits.lav when it exists)")
    parser.add_argument("--power", help="power results for the report (default: PLAN_DIR/power.json "
                        "when it exists)")
    parser.add_argument("--allow-plan-mismatch", action="store_true",
                        help="let the report step use results made with another plan (e.g. an old "
                             "power.json); refused by default, and the summary page says so")


def _inputs_from_plan(plan_path) -> dict:
    from ..errors import PlanError

    from ..yamlio import load_yaml

    data = load_yaml(plan_path, what="study plan", error=PlanError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PlanError(f"a study plan must be a mapping of keys to values, not a "
                        f"{type(data).__name__}", file=str(plan_path))
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise PlanError("'inputs' must be a mapping with keys raw and instrument",
                        file=str(plan_path), value=inputs)
    return {**inputs, "born_global_definition": data.get("born_global_definition", "bg_ms20")}


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
            raise InputError(f"give --{key} or set inputs.{key} in the plan", file=str(plan),
                             parameter=f"--{key}")
        return default

    raw = pick(args.raw, "raw")
    instrument = pick(args.instrument, "instrument")
    build = Path(args.build) if args.build else base / "build"
    report = Path(args.output) if args.output else _default_report(base)
    model = Path(args.invariance_model) if args.invariance_model else base / "benefits.lav"
    power = Path(args.power) if args.power else base / "power.json"
    clean = build / "clean.parquet"
    out = [
        ["clean", str(raw), "--instrument", str(instrument), "--plan", str(plan), "-o", str(clean),
         "--log", str(build / "cleaning_log.json")],
        ["measure", str(clean), "--instrument", str(instrument), "-o", str(build / "measurement.json")],
    ]
    if args.invariance_model or model.is_file():
        out.append(["invariance", str(clean), "--model", str(existing_file(model, "invariance model")),
                    "--group", str(inputs["born_global_definition"]), "--missing", "fiml",
                    "--json", "-o", str(build / "invariance.json")])
    out.append(["test", str(clean), "--plan", str(plan), "--raw", str(raw), "--instrument",
                str(instrument), "-o", str(build / "propositions.json")])
    report_step = ["report", str(build), "-o", str(report), "--tables-dir", str(report.parent / "tables")]
    if args.power or power.is_file():
        report_step += ["--power", str(existing_file(power, "power results"))]
    if getattr(args, "allow_plan_mismatch", False):
        report_step.append("--allow-plan-mismatch")
    out.append(report_step)
    return out


def _default_report(base):
    """``PLAN_DIR/reports/report.html`` in a study folder made by ``rsnprop init`` (it has
    ``reports/``), else ``PLAN_DIR/../reports/report.html`` (the repository's ``analysis/``)."""
    if (base / "reports").is_dir():
        return base / "reports" / "report.html"
    return base.parent / "reports" / "report.html"


class _RunResult(dict):
    def summary(self) -> str:
        lines = [f"  {s['step']:<10} ok  {s['output']}" for s in self["steps"]]
        report = self["steps"][-1]["output"] if self["steps"] else None
        tail = [f"Report: {report} (self-contained: open it in a browser)."] if report else []
        return "\n".join(["Pipeline finished:", *lines, *tail])


def run(args):
    from .. import cli

    from ..io import atomic_write
    from ..results import dumps

    done = []
    for argv in steps(args):
        output = argv[argv.index("-o") + 1]
        if argv[0] == "invariance":  # writes its JSON to stdout in the Makefile
            argv = argv[:argv.index("-o")]
        parser = cli.build_parser()
        sub_args = parser.parse_args(argv)
        result = sub_args.command_module.run(sub_args)  # errors propagate: exit 2 with the step's message
        if argv[0] == "invariance":
            atomic_write(output, dumps(result.to_dict()) + "\n")
        done.append({"step": argv[0], "output": output})
    return _RunResult(steps=done)
