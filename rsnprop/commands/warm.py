"""``rsnprop warm -- COMMAND ARGS...``: run COMMAND (e.g. ``make -C analysis``) with a warm
fork server, so that its ``rsnprop`` calls share one import of the heavy modules
(:mod:`rsnprop.forkserver`, docs/cli.md)."""

from __future__ import annotations

import argparse
import os
import sys

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
#: panel 1.2 s, report 1.4 s.  ``(commands, modules)``: the server imports a command's group
#: before forking it, and the groups in this order (the order of the build) while nobody waits
#: (rsnprop.forkserver.Server.loop); other commands import what they lack themselves.
PRELOAD = (
    (("clean", "simulate", "init", "run"),
     ("rsnprop.io", "rsnprop.instrument", "rsnprop.data", "rsnprop.data.rules",
      "rsnprop.data.read", "rsnprop.data.recode", "rsnprop.data.validate_text",
      "rsnprop.propositions.plan", "rsnprop.propositions.panel_plan",
      "pyarrow.parquet", "pyarrow.pandas_compat", "pandas.io.formats.string", "pandas.core.methods.to_dict",
      "pandas.core.arrays.arrow.extension_types", "encodings.utf_8_sig")),
    (("measure", "invariance", "fit", "reliability", "validity", "efa", "run"),
     ("rsnprop.sem", "rsnprop.sem.fiml", "rsnprop.sem.defined", "rsnprop.measure.pipeline", "rsnprop.measure.forked",
      "pyarrow.dataset", "multiprocessing.popen_fork")),
    (("test", "run"),
     ("rsnprop.propositions.evaluate", "rsnprop.propositions.secondary",
      "rsnprop.propositions.multiverse", "rsnprop.propositions.study",
      "rsnprop.propositions.result", "rsnprop.propositions.languages", "scipy.stats",
      # the statsmodels modules the tests use (OLS, add_constant), not statsmodels.api: its
      # graphics and time-series modules (scipy.signal) cost about 0.25 s of CPU more
      "statsmodels.regression.linear_model", "statsmodels.tools.tools", "pingouin")),
    (("panel", "run"),
     ("rsnprop.panel", "rsnprop.panel.latent_versions", "rsnprop.panel.panel_multiverse")),
    (("report", "run"),
     ("rsnprop.report.build", "rsnprop.report.docx_export", "rsnprop.schemas",
      "matplotlib.pyplot", "matplotlib.backends.backend_agg",
      "matplotlib.backends.backend_svg", "seaborn")),
)


def preload() -> tuple:
    """:data:`PRELOAD` after the command modules (every command's parser needs them all).

    >>> groups = preload()
    >>> "clean" in groups[0][0] and "rsnprop.commands.clean" in groups[0][1]
    True
    """
    import pkgutil

    from .. import commands

    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__)
                   if not m.name.startswith("_"))
    modules = ("rsnprop.commands._common", *(f"rsnprop.commands.{n}" for n in names))
    return ((tuple(names), modules), *PRELOAD)


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
        status = serve(command, preload(), run=main)
    except FileNotFoundError:
        raise InputError("no such command", parameter="COMMAND", value=command[0]) from None
    except PermissionError:
        raise InputError("the command is not executable", parameter="COMMAND",
                         value=command[0]) from None
    if sys.argv[1:2] == [NAME]:
        # the process's own command line (not main([...]) from a script or a test): leave at
        # once with COMMAND's status; tearing down the warm server's modules and objects at
        # interpreter exit took about 0.33 s of wall after COMMAND had ended
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)
