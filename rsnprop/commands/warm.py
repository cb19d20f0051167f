"""``rsnprop warm -- COMMAND ARGS...``: run COMMAND (e.g. ``make -C analysis``) with a warm
fork server, so that its ``rsnprop`` calls share one import of the heavy modules
(:mod:`rsnprop.forkserver`, docs/cli.md)."""

from __future__ import annotations

import argparse

NAME = "warm"
HELP = "run a command (e.g. make) whose rsnprop calls share one warm import"
DESCRIPTION = (
    "Run COMMAND with a warm fork server: its `rsnprop` calls (make recipes, scripts) are "
    "forked from one process that imported pandas, SciPy, statsmodels, pingouin and matplotlib "
    "once, instead of importing them again each. Outputs, messages and exit statuses are those "
    "of cold processes; a call that cannot use the server runs cold. Exits with COMMAND's "
    "status. Example: rsnprop warm -- make -C analysis"
)

#: What the example study's commands import (``python -X importtime -m rsnprop <command>``,
#: top-level entries over 3 ms): clean 0.9 s, measure 1.0 s, invariance 0.9 s, test 1.7 s,
#: panel 1.2 s, report 1.4 s.  Imported once by the server, in the order the build needs
#: them, while no command is waiting (rsnprop.forkserver.Server.loop).
PRELOAD = (
    # clean (the first two steps, every other step waits for them)
    "rsnprop.io", "rsnprop.instrument", "rsnprop.data", "rsnprop.data.rules",
    "rsnprop.propositions.panel_plan",
    # measure, invariance, test (side by side once the data are clean)
    "rsnprop.sem", "rsnprop.sem.fiml", "rsnprop.measure.pipeline", "rsnprop.measure.forked",
    "rsnprop.propositions.evaluate", "rsnprop.propositions.secondary",
    "rsnprop.propositions.multiverse", "scipy.stats", "statsmodels.api", "pingouin",
    # panel, then the report
    "rsnprop.panel", "rsnprop.panel.latent_versions", "pyarrow.parquet", "pyarrow.dataset",
    "rsnprop.report.build", "rsnprop.report.docx_export", "rsnprop.schemas",
    "matplotlib.pyplot", "matplotlib.backends.backend_agg", "matplotlib.backends.backend_svg",
    "seaborn",
)


def add_arguments(parser) -> None:
    parser.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND ARGS",
                        help="the command to run (after --), e.g. make -C analysis")


def run(args):
    from ..cli import main
    from ..errors import InputError
    from ..forkserver import serve

    command = list(args.command_line)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise InputError("give the command to run after --, e.g. rsnprop warm -- make -C analysis",
                         parameter="COMMAND")
    try:
        status = serve(command, PRELOAD, run=main)
    except FileNotFoundError:
        raise InputError("no such command", parameter="COMMAND", value=command[0]) from None
    except PermissionError:
        raise InputError("the command is not executable", parameter="COMMAND",
                         value=command[0]) from None
    raise SystemExit(status)
