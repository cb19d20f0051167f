"""Command-line front end: argument parsing and output only, no statistics.

Each sub-command lives in its own module under :mod:`rsnprop.commands` and defines

* ``NAME`` and ``HELP`` (strings),
* ``add_arguments(parser)`` (argparse only: must import nothing heavy),
* ``run(args)`` returning a result object (with ``to_dict()`` and ``summary()``) or a dict.

Exit status (the contract of docs/architecture.md): 0 success, 2 bad input or usage (one line on
stderr naming file/column/row/value), 1 a bug.  With ``--json`` the result is printed as
JSON on stdout and nothing else goes to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from . import __version__

EXIT_OK, EXIT_BUG, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit 2 with one line (argparse's own code is 2)."""

    def error(self, message):  # noqa: D401 - argparse API
        sys.stderr.write(f"rsnprop: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_INPUT)


def _command_modules():
    from . import commands

    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"rsnprop.commands.{n}") for n in names]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rsnprop",
        description=(
            "Test whether born-global SMEs use digital social networks (RSN) mainly for relational "
            "benefits (P2) and traditional SMEs mainly for informational benefits (P1): survey "
            "instrument, cleaning, measurement, SEM, proposition tests and reports."
        ),
        epilog="Exit status: 0 success, 2 bad input or usage, 1 internal error. "
        "Every command accepts --json.",
    )
    parser.add_argument("--version", action="version", version=f"rsnprop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        _add_json(p)
        p.set_defaults(_module=mod)
    return parser


def _add_json(p: argparse.ArgumentParser) -> None:
    if not any("--json" in a.option_strings for a in p._actions):
        p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    for action in p._actions:  # nested sub-commands (e.g. `instrument validate`)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_json(child)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return EXIT_INPUT
    from .errors import RsnpropError

    try:
        result = args._module.run(args)
    except RsnpropError as err:
        if getattr(args, "json", False):
            from .results import dumps

            sys.stdout.write(dumps(err.to_dict()) + "\n")
        sys.stderr.write(f"rsnprop {args.command}: error: {err}\n")
        for extra in err.problems[1:] if err.problems else []:
            sys.stderr.write(f"  {extra.get('message', extra)}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("rsnprop: interrupted\n")
        return 130
    except Exception as err:  # a bug: say so, show the traceback only on request
        if os.environ.get("RSNPROP_DEBUG"):
            raise
        sys.stderr.write(
            f"rsnprop {args.command}: internal error ({type(err).__name__}: {err}). "
            "This is a bug; rerun with RSNPROP_DEBUG=1 for the traceback and report it.\n"
        )
        return EXIT_BUG
    _emit(result, args)
    return getattr(result, "exit_code", EXIT_OK) if result is not None else EXIT_OK


def _emit(result, args) -> None:
    if result is None:
        return
    if getattr(args, "json", False):
        from .results import dumps

        data = result.to_dict() if hasattr(result, "to_dict") else result
        sys.stdout.write(dumps(data) + "\n")
    else:
        text = result.summary() if hasattr(result, "summary") else _plain(result)
        sys.stdout.write(text.rstrip("\n") + "\n")


def _plain(obj) -> str:
    from .results import dumps

    return obj if isinstance(obj, str) else dumps(obj)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
