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


def _command_modules(only: str | None = None):
    """The command modules (``only``: that one alone, when it names one; else every one)."""
    from . import commands

    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    if only in names:
        names = [only]
    return [importlib.import_module(f"rsnprop.commands.{n}") for n in names]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser, with every command, or only the command named ``only``
    (what :func:`main` parses a command's arguments with: the same parser for that command,
    without importing and describing the 18 others, about 15-20 ms of CPU)."""
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
    for mod in _command_modules(only):
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        _add_json(p)
        p.set_defaults(command_module=mod)
    return parser


def _add_json(p: argparse.ArgumentParser) -> None:
    if not any("--json" in a.option_strings for a in p._actions):
        p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    for action in p._actions:  # nested sub-commands (e.g. `instrument validate`)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_json(child)


EXIT_INTERRUPTED = 130


class _Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so temporary files are removed."""


def _on_signal(signum, frame):  # noqa: ARG001 - signal handler API
    raise _Terminated()


def _install_signal_handlers() -> None:
    """Ctrl-C (SIGINT) always interrupts, even when the shell started rsnprop with SIGINT
    ignored (a background job of a script); SIGTERM and SIGHUP unwind the same way."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):  # not the main thread
        pass
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, _on_signal)
            except (ValueError, OSError):  # not the main thread
                pass


class _Warnings:
    """Warnings of a command, printed as ``warning: ...`` lines (no Python source lines) after
    its output or its error line, so that an error's first line stays the first line."""

    def __init__(self):
        self.lines: list[str] = []

    def format(self, message, category, filename, lineno, line=None):  # noqa: ARG002
        """Installed as ``warnings.formatwarning``: keeps the line, prints nothing now (code
        that records warnings, such as ``pytest.warns``, still sees every warning)."""
        text = f"warning: {' '.join(str(message).split())}"
        if text not in self.lines:
            self.lines.append(text)
        return ""

    def flush(self) -> None:
        for text in self.lines:
            try:
                sys.stderr.write(text + "\n")
            except (OSError, ValueError):
                pass
        self.lines = []


def _report_error(err, args) -> None:
    """The one-line message (the count and the first problem when there are several), then
    the details, one per line."""
    if getattr(args, "json", False):
        from .results import dumps

        sys.stdout.write(dumps(err.to_dict()) + "\n")
    first, *rest = str(err).splitlines() or [""]
    problems = err.problems or []
    if len(problems) > 1 and "more problem" not in first and f"{len(problems)} problems" not in first:
        first += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}, below)"
    sys.stderr.write(f"rsnprop {args.command}: error: {first}\n")
    for line in rest:
        if line.strip():
            sys.stderr.write(f"  {line.strip()}\n")
    for extra in problems[1:]:
        msg = extra.get("message", extra) if isinstance(extra, dict) else extra
        sys.stderr.write(f"  {' '.join(str(msg).split())}\n")


def _user_oserror(err: OSError):
    """An OSError the user can fix (a path, permissions, a full disk) as an InputError."""
    import errno

    from .errors import InputError

    user_errnos = {errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.ENOENT,
                   errno.EEXIST, errno.ENOSPC, errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP,
                   errno.EDQUOT, errno.EFBIG, errno.EXDEV, errno.ETXTBSY}
    if err.errno not in user_errnos:
        return None
    what = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EISDIR: "is a folder", errno.ENOTDIR: "a part of the path is not a folder",
            errno.ENOENT: "no such file or folder", errno.ENOSPC: "no space left on the device",
            errno.EROFS: "read-only file system"}.get(err.errno, err.strerror or str(err))
    return InputError(f"cannot read or write this file: {what}",
                      file=err.filename if err.filename is not None else None)


#: Environment variables that set the thread count of the BLAS/OpenMP libraries numpy and
#: scipy load.  Matrix products summed on 2 threads differ from 1 thread in the last bits, so
#: the commands pin them (before numpy is imported) for byte-identical outputs on any machine.
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                         "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_blas_threads(environ=os.environ) -> str:
    """Set every BLAS/OpenMP thread variable to ``RSNPROP_BLAS_THREADS`` (default 1).

    Outputs are then the same bytes whatever the machine's core count or the caller's own
    settings; parallel work (bootstrap, Monte Carlo) runs in worker processes instead.
    Returns the value set.
    """
    value = environ.get("RSNPROP_BLAS_THREADS", "1")
    for name in BLAS_THREAD_VARIABLES:
        environ[name] = value
    return value


def main(argv: list[str] | None = None) -> int:
    pin_blas_threads()  # before any command imports numpy
    if argv is None and os.environ.get("RSNPROP_FORKSERVER"):
        # a command-line call inside `rsnprop warm`: run in a fork of the warm server (a call
        # with an explicit argv, from a script or a test, always runs in this process)
        from .forkserver import delegate

        status = delegate()
        if status is not None:
            return status
    words = sys.argv[1:] if argv is None else list(argv)
    named = words[0] if words and not str(words[0]).startswith("-") else None
    parser = build_parser(named) if named is not None else build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command_module", None) is None:
        parser.print_help()
        return EXIT_INPUT
    import warnings

    _install_signal_handlers()
    pending = _Warnings()
    saved = warnings.formatwarning
    warnings.formatwarning = pending.format
    try:
        status = _run(args)
    finally:
        warnings.formatwarning = saved
        pending.flush()
    if argv is None and _ends_at_once(args):   # the process's own command line only
        _exit_at_once(status)
    return status


def _ends_at_once(args) -> bool:
    """Whether the command-line process should end without the interpreter's teardown.

    Two cases: the command set ``args.exit_at_once`` once it had written and closed its
    outputs and left no worker nor thread behind (``rsnprop power`` with forked workers,
    ``rsnprop clean``): the teardown (freeing the objects of pandas, SciPy and the package one
    by one, 40-370 ms of wall) has nothing left to do for the user; or the command failed
    while a thread it started still runs: ``rsnprop clean``'s early parse of a big export
    (:func:`rsnprop.io_csv.abandoned_running`), which the interpreter's exit would wait for
    (seconds), and whose pyarrow threads must never run inside the teardown."""
    if getattr(args, "exit_at_once", False):
        return True
    io_csv = sys.modules.get("rsnprop.io_csv")
    return io_csv is not None and io_csv.abandoned_running()


def _exit_at_once(status: int) -> None:
    """End the command-line process now with ``status``, its standard streams flushed first
    (a stream that cannot be flushed, a reader that left, is skipped). Nothing else is
    pending: files are written atomically and their temporary files removed as an error
    unwound. Only the command line (``main()`` without ``argv``) ends so."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def _run(args) -> int:
    from .errors import RsnpropError

    try:
        result = args.command_module.run(args)
    except RsnpropError as err:
        _report_error(err, args)
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write(f"rsnprop {args.command}: interrupted; no output was replaced "
                         "partially\n")
        return EXIT_INTERRUPTED
    except MemoryError:
        from .errors import InputError

        _report_error(InputError("not enough memory for this input (too many rows, columns or "
                                 "draws?)"), args)
        return EXIT_INPUT
    except OSError as err:
        user = _user_oserror(err)
        if user is None:
            return _bug(err, args)
        _report_error(user, args)
        return EXIT_INPUT
    except RecursionError as err:
        return _bug(err, args)
    except Exception as err:  # a bug: say so, show the traceback only on request
        return _bug(err, args)
    try:
        _emit(result, args)
    except BrokenPipeError:  # `rsnprop ... | head`: the reader left, nothing to say
        return EXIT_OK
    return getattr(result, "exit_code", EXIT_OK) if result is not None else EXIT_OK


def _bug(err, args) -> int:
    """Exit 1: a bug in rsnprop (the traceback only with RSNPROP_DEBUG=1)."""
    if os.environ.get("RSNPROP_DEBUG"):
        raise err
    text = " ".join(str(err).split())[:300]
    sys.stderr.write(
        f"rsnprop {args.command}: internal error ({type(err).__name__}: {text}). "
        "This is a bug; rerun with RSNPROP_DEBUG=1 for the traceback and report it.\n"
    )
    return EXIT_BUG


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
