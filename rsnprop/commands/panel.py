"""``rsnprop panel``: link the clean waves of a panel study, analyse attrition and (``--plan PLAN
--verdicts OUT.json``) test the plan's panel hypotheses C1-C3."""

from __future__ import annotations

import os

from ._common import check_files, existing_file, option_names, split_list

OPTIONS = {"key": "--key", "variables": "--variables", "categorical": "--categorical",
           "columns": "--mcar-variables", "waves": "WAVE",
           "group": "--group", "phase": "--phase"}

NAME = "panel"
HELP = "link the clean waves of a panel by a firm key (pseudonymised) and analyse attrition"
DESCRIPTION = (HELP + ". Each WAVE is the clean data of one wave ('rsnprop clean' output, same "
               "instrument and rules), in wave order. Duplicates within a wave, keyless rows and "
               "firms absent from the first wave are logged with reasons; stayers and leavers are "
               "compared on their first-wave answers (Welch t, chi-square), with Little's MCAR "
               "test and a logistic model of staying (docs/panel.md). With --plan, the key, labels, "
               "attrition variables, group, lean and phase come from the plan's panel: section "
               "(explicit options win), and --verdicts writes the verdicts of its hypotheses "
               "C1-C3.")


def add_arguments(p) -> None:
    p.add_argument("waves", metavar="WAVE", nargs="+",
                   help="clean data of each wave, in order (or one file with --wave-column)")
    p.add_argument("--wave-column", default=None,
                   help="one file holding every wave: the column naming the wave (waves in "
                        "--labels order, else sorted)")
    p.add_argument("--key", default=None,
                   help="column with the stable firm key carried in the invitation link "
                        "(required unless --plan gives panel.key)")
    p.add_argument("--plan", default=None, metavar="PLAN",
                   help="study plan with a panel: section (analysis/study.yaml): its settings "
                        "fill the options not given")
    p.add_argument("--verdicts", default=None, metavar="OUT.json",
                   help="with --plan: write the verdicts of the panel hypotheses (JSON, schema "
                        "rsnprop.panel_propositions/1)")
    p.add_argument("--no-multiverse", action="store_true",
                   help="with --verdicts: leave out the panel multiverse")
    p.add_argument("--labels", default="",
                   help="comma-separated wave labels (default: 1,2,...), e.g. 2013,2014")
    p.add_argument("--salt", default=None,
                   help="salt of the pseudonym panel_id (default: the RSNPROP_PANEL_SALT "
                        "environment variable; keep it secret and the same for every wave)")
    p.add_argument("--min-firms", type=int, default=None,
                   help="refuse a wave with fewer firms (default: the plan's, else 10)")
    p.add_argument("--variables", default="",
                   help="comma-separated first-wave variables compared between stayers and "
                        "leavers (none: linking only)")
    p.add_argument("--categorical", default="", help="which of --variables are categorical")
    p.add_argument("--mcar-variables", default=None,
                   help="variables of Little's MCAR test (default: the numeric --variables)")
    p.add_argument("--lean", default=None, metavar="REL,INF",
                   help="relational and informational score columns: test the change in "
                        "D = REL - INF between the first and last wave by --group (and --phase)")
    p.add_argument("--group", default=None, help="with --lean: 0/1 group column (born global)")
    p.add_argument("--phase", default=None,
                   help="with --lean: ordered phase column; tests whether firms that moved to a "
                        "later phase shift toward relational benefits (one-sided)")
    p.add_argument("-o", "--output", required=True,
                   help="linked panel, long format (.parquet or .csv): panel_id, wave, columns")
    p.add_argument("--log", default=None, help="JSON file: linking log and attrition analysis")


def run(args):
    paths = [existing_file(w, "wave file") for w in args.waves]
    inputs = {f"WAVE {w}": w for w in args.waves}
    if args.plan:
        inputs["--plan"] = str(existing_file(args.plan, "study plan"))
    check_files(inputs, {"--output": args.output, "--log": args.log, "--verdicts": args.verdicts})
    plan = _plan_settings(args)
    from .clean import _check_suffix, clean_data_bytes

    _check_suffix(args.output, "--output")  # .parquet or .csv, refused before any work
    from ..io import atomic_write_many
    from ..panel import attrition, link_waves
    from ..results import dumps

    waves, files = _read_waves(args, paths)
    salt = args.salt if args.salt is not None else os.environ.get("RSNPROP_PANEL_SALT", "")
    lean = _lean(args)
    with option_names(OPTIONS):
        link = link_waves(waves, args.key, salt=salt, min_firms=args.min_firms, files=files)
        result = _Combined(link, None, files)
        variables = split_list(args.variables)
        if variables:
            mcar_vars = None if args.mcar_variables is None else split_list(args.mcar_variables)
            result.attrition = attrition(link, variables, mcar_variables=mcar_vars,
                                         categorical=split_list(args.categorical))
        if lean:
            from ..panel import change_tests

            result.change = change_tests(link, relational=lean[0], informational=lean[1],
                                         group=args.group, phase=args.phase)
        if args.verdicts:
            from ..panel import test_panel

            result.verdicts = test_panel(link, plan, multiverse=not args.no_multiverse)
    out = {args.output: clean_data_bytes(link.data, args.output)}
    if args.log:
        out[args.log] = dumps(result.to_dict()) + "\n"
    if args.verdicts:
        out[args.verdicts] = dumps(result.verdicts.to_dict()) + "\n"
    atomic_write_many(out)
    return result


def _plan_settings(args):
    """Load --plan and fill the options not given from its panel: section (explicit options
    win); without --plan, check that --key is given and --verdicts is not."""
    from ..errors import InputError

    if not args.plan:
        if args.verdicts:
            raise InputError("needs --plan (the study plan whose panel hypotheses are tested)",
                             parameter="--verdicts")
        if not args.key:
            raise InputError("is required (or give --plan with a panel: section)", parameter="--key")
        args.min_firms = 10 if args.min_firms is None else args.min_firms
        return None
    from ..panel import panel_section
    from ..propositions import load_plan

    plan = load_plan(args.plan)
    sec = panel_section(plan)
    args.key = args.key or sec.key
    args.labels = args.labels or (",".join(sec.labels) if len(sec.labels) == len(args.waves) else "")
    args.min_firms = sec.min_firms if args.min_firms is None else args.min_firms
    if not args.variables and sec.attrition.variables:
        args.variables = ",".join(sec.attrition.variables)
        args.categorical = args.categorical or ",".join(sec.attrition.categorical)
        if args.mcar_variables is None and sec.attrition.mcar_variables is not None:
            args.mcar_variables = ",".join(sec.attrition.mcar_variables)
    rel, inf = plan.relational_columns(), plan.informational_columns()
    if args.lean is None and len(rel) == len(inf) == 1:
        args.lean = f"{rel[0]},{inf[0]}"
        args.group = args.group or plan.born_global_definition
        args.phase = args.phase or sec.phase_column
    return plan


def _lean(args):
    from ..errors import InputError

    if args.lean is None:
        if args.group or args.phase:
            raise InputError("needs --lean REL,INF", parameter="--group" if args.group else "--phase")
        return None
    lean = split_list(args.lean)
    if len(lean) != 2:
        raise InputError("give two score columns: relational,informational", parameter="--lean",
                         value=args.lean)
    if not args.group:
        raise InputError("--lean needs --group (the 0/1 born-global column)", parameter="--group")
    return lean


def _read_waves(args, paths):
    """Wave label -> data, and wave label -> file name (one file per wave, or one file split
    by --wave-column)."""
    from ..data import read_table
    from ..errors import InputError
    from ..panel import split_waves

    if args.wave_column is None:
        labels = _labels(args, len(paths))
        return ({lab: read_table(p) for lab, p in zip(labels, paths)},
                dict(zip(labels, args.waves)))
    if len(paths) != 1:
        raise InputError(f"--wave-column takes one file holding every wave, not {len(paths)}",
                         parameter="--wave-column")
    with option_names({"column": "--wave-column", "order": "--labels"}):
        waves = split_waves(read_table(paths[0]), args.wave_column,
                            order=split_list(args.labels) or None)
    _labels(args, len(waves))
    return waves, {lab: args.waves[0] for lab in waves}


def _labels(args, n) -> list:
    from ..errors import InputError

    labels = split_list(args.labels) or [str(i + 1) for i in range(n)]
    if len(labels) != n:
        raise InputError(f"gives {len(labels)} labels for {n} waves",
                         parameter="--labels", value=args.labels)
    if len(set(labels)) != len(labels):
        raise InputError("wave labels must differ", parameter="--labels", value=args.labels)
    if args.min_firms < 2:
        raise InputError("must be at least 2", parameter="--min-firms", value=args.min_firms)
    return labels


class _Combined:
    """What the command prints and logs: the linking, then the attrition analysis."""

    def __init__(self, link, attrition, files):
        self.link, self.attrition, self.files = link, attrition, files
        self.change = self.verdicts = None

    def to_dict(self) -> dict:
        link = {**self.link.to_dict(), "files": self.files}
        return {"link": link, "attrition": self.attrition.to_dict() if self.attrition else None,
                "change": self.change.to_dict() if self.change else None}

    def summary(self) -> str:
        parts = [self.link.summary()]
        parts += [r.summary() for r in (self.attrition, self.change, self.verdicts)
                  if r is not None]
        return "\n\n".join(parts)
