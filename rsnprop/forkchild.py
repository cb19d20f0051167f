"""The forked child of the warm fork server (:mod:`rsnprop.forkserver`): it becomes the
caller's command (standard streams, folder, environment, umask, CPU set, signal handlers of a
fresh Python process) and runs the command line with the interpreter's exit rules.

Only :meth:`rsnprop.forkserver.Server.child` calls these, in a forked process: they replace
the process's streams, environment and signal handlers, and :func:`run_command` runs the
exit functions.

>>> sorted(n for n in ("become_caller", "run_command") if callable(globals()[n]))
['become_caller', 'run_command']
"""

from __future__ import annotations

import os
import signal
import sys


def fd_is_open(fd: int) -> bool:
    """Whether the file descriptor ``fd`` is open in this process.

    Examples
    --------
    >>> fd_is_open(1), fd_is_open(987654)
    (True, False)
    """
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def become_caller(request, fds) -> None:
    """Take the caller's standard streams, folder, environment, umask and CPU set; reset the
    signal handlers to those of a fresh Python process."""
    import fcntl

    fds = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3) if fd < 3 else fd for fd in fds]
    for target, fd in zip(request["fds"], fds):
        os.dup2(fd, target)
        os.close(fd)
    for target in {0, 1, 2} - set(request["fds"]):
        os.close(target)
    for signum in signal.valid_signals():
        try:
            if signal.getsignal(signum) not in (None, signal.SIG_DFL):
                signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets them at start-up
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    if request.get("affinity") and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, request["affinity"])
        except OSError:
            pass
    sys.argv = list(request["sys_argv"])
    if sys.path and request.get("path0") is not None:
        sys.path[0] = request["path0"]  # the caller's script folder or current folder
    _fresh_streams()


def _fresh_streams() -> None:
    """New ``sys.stdin/stdout/stderr`` on descriptors 0-2, buffered as at start-up (line
    buffering on a terminal; standard error always line-buffered)."""
    for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
        old = getattr(sys, name)
        new = None
        if fd_is_open(fd):
            new = open(fd, mode, buffering=1 if name == "stderr" else -1, closefd=False,
                       encoding=getattr(old, "encoding", None), errors=getattr(old, "errors", None))
        setattr(sys, name, new)
        setattr(sys, f"__{name}__", new)


def run_command(run, argv) -> int:
    """``run(argv)`` with the exit rules of the interpreter: SystemExit's code, a traceback and
    1 for an uncaught exception, death by SIGINT for an uncaught KeyboardInterrupt; then the
    exit functions and the flushes a fresh process would do (only in the forked child: the
    exit functions run here)."""
    import atexit
    import traceback

    try:
        value = run(argv)
    except SystemExit as exc:
        value = exc.code
    except KeyboardInterrupt:
        traceback.print_exc()
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        value = 128 + signal.SIGINT
    except BaseException:  # noqa: BLE001 - as the interpreter: traceback, status 1
        traceback.print_exc()
        value = 1
    if value is None:
        code = 0
    elif isinstance(value, int):
        code = value & 0xFF
    else:
        sys.stderr.write(f"{value}\n")
        code = 1
    atexit._run_exitfuncs()
    return 120 if not _flush() and code == 0 else code


def _flush() -> bool:
    ok = True
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            ok = False
    return ok
