"""Warm fork server: a build pays the imports of pandas, SciPy, statsmodels, pingouin and
matplotlib once, not once per ``rsnprop`` command.

``rsnprop warm -- COMMAND ARGS...`` (:func:`serve`) binds a Unix socket in a private folder
(mode 0700), starts COMMAND as its child with ``RSNPROP_FORKSERVER=<socket>`` in its
environment, imports the modules the commands use, then forks one child per ``rsnprop`` call
that connects (:func:`delegate`, called by :func:`rsnprop.cli.main` before any heavy import).
The child takes the caller's argv, folder, environment, umask, CPU set, standard input,
output and error (the descriptors themselves, passed over the socket) and runs the command
line exactly as a fresh process would; the caller waits for it, forwards the signals it
receives and exits with its status.  The server exits with COMMAND's status when COMMAND
ends: no daemon, no idle timeout, every forked command is a descendant of the server (so
``/usr/bin/time`` of the build counts their CPU), and each build imports the code afresh.

Guarantees (docs/cli.md, docs/architecture.md): the bytes, lines and exit status of a cold
process; a caller that cannot use the server runs the command itself, silently.

>>> fingerprint({"MPLBACKEND": "Agg"})["env"]["MPLBACKEND"]
'Agg'
>>> delegate(["--version"], path="/nonexistent/socket") is None  # no server: run here
True
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys

from .collector import collector_paused
from .forkchild import fd_is_open

#: The environment variable naming the server's socket (set for COMMAND, removed for the
#: commands the server runs).
ENV_VAR = "RSNPROP_FORKSERVER"

#: Environment variables read when the heavy modules are imported (not when a command runs):
#: the BLAS thread count (fixed when numpy loads OpenBLAS), matplotlib's backend and
#: configuration/font-cache folders, the hash seed, the locale and encoding of the standard
#: streams, the time zone.  A caller whose values differ from the server's runs cold.
IMPORT_ENV = ("RSNPROP_BLAS_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
              "NUMEXPR_NUM_THREADS", "MPLBACKEND", "MPLCONFIGDIR", "HOME", "XDG_CONFIG_HOME",
              "XDG_CACHE_HOME", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8",
              "PYTHONUNBUFFERED", "PYTHONWARNINGS", "LANG", "LC_ALL", "LC_CTYPE", "TZ")

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_SI_KERNEL = 0x80  # si_code of a signal sent by the terminal (Ctrl-C), not by kill()
_HEADER = struct.Struct("!I")
_MAX_MESSAGE = 16 * 1024 * 1024


def fingerprint(environ=None) -> dict:
    """What the imports of a process depend on: interpreter, rsnprop tree, flags, settings.

    The server runs a command only for a caller with the same fingerprint, so that the
    modules it imported once are those the caller would have imported.  ``sys.path[0]`` (the
    script's folder or the current folder) is left out: it differs between callers.

    >>> sorted(fingerprint({}))
    ['env', 'executable', 'flags', 'package', 'path', 'warnoptions']
    """
    import rsnprop

    env = os.environ if environ is None else environ
    return {"executable": os.path.realpath(sys.executable),
            "package": os.path.realpath(os.path.dirname(rsnprop.__file__)),
            "path": [os.path.realpath(p) for p in sys.path[1:]],
            "flags": list(sys.flags), "warnoptions": list(sys.warnoptions),
            "env": {name: env.get(name) for name in IMPORT_ENV}}


def send_message(sock, data: dict, fds=()) -> None:
    """Send ``data`` as length-prefixed JSON, with the descriptors ``fds`` (SCM_RIGHTS)."""
    payload = json.dumps(data).encode()
    payload = _HEADER.pack(len(payload)) + payload
    sent = socket.send_fds(sock, [payload], list(fds)) if fds else sock.send(payload)
    if sent < len(payload):
        sock.sendall(payload[sent:])


def recv_message(sock, max_fds: int = 0):
    """Receive one message of :func:`send_message`: ``(data, fds)``, ``(None, [])`` at EOF.

    Reads exactly the message's bytes, never into the next message on the socket.

    >>> a, b = socket.socketpair()
    >>> send_message(a, {"pid": 7}); send_message(a, {"status": 0}); a.close()
    >>> recv_message(b), recv_message(b), recv_message(b)
    (({'pid': 7}, []), ({'status': 0}, []), (None, []))
    >>> b.close()
    """
    fds: list[int] = []
    buf = b""
    while len(buf) < _HEADER.size:
        want = _HEADER.size - len(buf)
        if max_fds and not buf:
            chunk, fds, _flags, _addr = socket.recv_fds(sock, want, max_fds)
        else:
            chunk = sock.recv(want)
        if not chunk:
            _close_all(fds)
            return None, []
        buf += chunk
    (size,) = _HEADER.unpack(buf)
    if size > _MAX_MESSAGE:
        _close_all(fds)
        raise OSError("message too large")
    body = b""
    while len(body) < size:
        chunk = sock.recv(min(size - len(body), 1 << 20))
        if not chunk:
            _close_all(fds)
            return None, []
        body += chunk
    return json.loads(body), fds


def _close_all(fds) -> None:
    for fd in fds:
        _close(fd)


def _close(fd) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _peer_uid(sock) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


# --- the caller's side ----------------------------------------------------------------------

def _open_fds() -> list[int]:
    return [fd for fd in (0, 1, 2) if fd_is_open(fd)]


def _request(argv) -> dict:
    umask = os.umask(0o22)
    os.umask(umask)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return {"argv": list(argv), "sys_argv": list(sys.argv), "cwd": os.getcwd(), "env": env,
            "path0": sys.path[0] if sys.path else None, "umask": umask, "affinity": affinity,
            "pgid": os.getpgid(0), "fds": _open_fds(), "fingerprint": fingerprint()}


def delegate(argv=None, path=None):
    """Run ``rsnprop ARGV`` in the warm server named by ``RSNPROP_FORKSERVER`` (or ``path``).

    Returns the command's exit status (``128 + n`` when it was killed by signal ``n``), or
    ``None`` when the server cannot run it (no variable, no socket, refused, broken before the
    command started): the caller then runs the command itself, as without a server.

    >>> delegate(["--help"], path="") is None
    True
    """
    path = os.environ.get(ENV_VAR) if path is None else path
    if not path:
        return None
    argv = sys.argv[1:] if argv is None else argv
    # from now on SIGINT/SIGTERM/SIGHUP wait (blocked) until they can be passed to the command,
    # or, without a command, until the caller runs it itself; not ignored (a background job's
    # SIGINT is), since the command line would catch them (rsnprop.cli)
    for signum in _SIGNALS:
        if signal.getsignal(signum) == signal.SIG_IGN:
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT
                          else signal.SIG_DFL)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            sock.connect(path)
            if _peer_uid(sock) != os.getuid():
                return None
            request = _request(argv)
            send_message(sock, request, request["fds"])
            reply, _ = recv_message(sock)
        except (OSError, ValueError):
            return None
        if not reply or "pid" not in reply:
            return None
        return _wait(sock, reply.get("joined", False))
    finally:
        sock.close()
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _wait(sock, joined: bool) -> int:
    """Wait for the command's status; meanwhile a thread takes SIGINT/SIGTERM/SIGHUP (blocked
    by the caller, pending ones included) and asks
    the server to send them to the command (not those the terminal sent to the whole process
    group, which the command, in the caller's group, received already)."""
    import threading

    state = {"done": False}

    def forward():
        while True:
            info = signal.sigwaitinfo(_SIGNALS)
            if state["done"]:
                return
            if joined and info.si_code == _SI_KERNEL:
                continue
            try:
                send_message(sock, {"signal": info.si_signo})
            except OSError:
                return

    thread = threading.Thread(target=forward, name="rsnprop-forward-signals", daemon=True)
    thread.start()
    try:
        reply, _ = recv_message(sock)
    except (OSError, ValueError):
        reply = None
    finally:
        state["done"] = True
        if thread.is_alive():
            signal.pthread_kill(thread.ident, signal.SIGHUP)
        thread.join()
    if not reply or "status" not in reply:
        sys.stderr.write("rsnprop: lost the warm server (rsnprop warm) while the command ran; "
                         "its exit status is unknown\n")
        return 1
    status = int(reply["status"])
    return 128 - status if status < 0 else status


# --- the server's side ----------------------------------------------------------------------

def serve(command, preload=(), run=None) -> int:
    """Start ``command`` with ``RSNPROP_FORKSERVER`` set, import ``preload`` (``(commands,
    modules)`` pairs, :meth:`Server.loop`), serve the
    ``rsnprop`` calls it makes (``run(argv)`` in a forked child, ``rsnprop.cli.main`` for
    ``rsnprop warm``) until it exits; return its exit status (``128 + n``: killed by ``n``).

    >>> import sys
    >>> serve([sys.executable, "-c", "import os, sys; sys.exit(3 if os.environ['RSNPROP_FORKSERVER'] else 0)"])
    3
    """
    import gc
    import tempfile

    if run is None:
        from .cli import main as run
    folder = tempfile.mkdtemp(prefix="rsnprop-warm-")  # mode 0700: only this user connects
    path = os.path.join(folder, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server = Server(listener, run, path)
    saved = {s: signal.getsignal(s) for s in (*_SIGNALS, signal.SIGQUIT, signal.SIGCHLD)}
    saved_wakeup = signal.set_wakeup_fd(-1)
    try:
        listener.bind(path)
        listener.listen(128)
        server.install_signals()
        env = dict(os.environ)
        env[ENV_VAR] = path
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        defaults = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGQUIT, signal.SIGCHLD)
        server.command_pid = os.posix_spawnp(command[0], list(command), env, setsigdef=defaults)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: COMMAND decides (as system())
        signal.signal(signal.SIGQUIT, signal.SIG_IGN)
        server.fingerprint = fingerprint()
        return server.loop(preload)
    finally:
        server.close()
        signal.set_wakeup_fd(saved_wakeup)
        for signum, handler in saved.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        os.close(server.wake_r)
        os.close(server.wake_w)
        gc.unfreeze()
        try:
            os.rmdir(folder)
        except OSError:
            pass


class Server:
    """The server's state: the listening socket, the COMMAND's pid and the forked commands
    (pid -> the caller's connection, which carries their status back)."""

    def __init__(self, listener, run, path):
        self.listener, self.run, self.path = listener, run, path
        self.command_pid = None
        self.command_status = None
        self.fingerprint = None
        self.todo: list = []
        self.children: dict = {}
        self.conns: dict = {}
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def install_signals(self) -> None:
        """SIGCHLD wakes the loop; SIGTERM and SIGHUP go to COMMAND."""
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)

        def to_command(signum, frame):  # noqa: ARG001 - signal handler API
            if self.command_pid is not None and self.command_status is None:
                os.kill(self.command_pid, signum)

        signal.signal(signal.SIGTERM, to_command)
        signal.signal(signal.SIGHUP, to_command)

    def close(self) -> None:
        """Stop listening: later callers find no socket and run the command themselves."""
        if self.listener.fileno() >= 0:
            self.listener.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def loop(self, preload=()) -> int:
        """Serve until COMMAND has exited and every forked command has ended.

        ``preload`` is a sequence of ``(commands, modules)``: the modules are imported one by one
        while nobody is waiting, in order, and those of a command's group before the command
        is forked (so that each module is imported once, by the server); each import is
        followed by ``gc.freeze()``: imported objects stay out of the collector, so forked
        children copy fewer pages.
        """
        import select

        self.todo = [(set(commands), list(modules)) for commands, modules in preload]
        self.reap()
        while self.command_status is None or self.children:
            watch = [self.wake_r, *self.conns]
            if self.listener.fileno() >= 0:
                watch.append(self.listener)
            pending = any(modules for _, modules in self.todo)
            ready, _, _ = select.select(watch, [], [], 0 if pending else None)
            if not ready and pending:
                self.preload(None)
                continue
            if self.wake_r in ready:
                try:
                    while os.read(self.wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                self.reap()
            if self.listener in ready and self.listener.fileno() >= 0:
                self.accept()
            for conn in ready:
                if conn in self.conns:
                    self.message(conn)
        status = self.command_status
        return 128 - status if status < 0 else status

    def preload(self, argv) -> None:
        """Import the next module (``argv`` None), or every module left in the groups of the
        command ``argv`` names."""
        import gc
        import importlib

        if argv is None:
            names = [next(modules.pop(0) for _, modules in self.todo if modules)]
        else:
            command = next((a for a in argv if not a.startswith("-")), None)
            names = [m for commands, modules in self.todo if command in commands for m in modules]
            for commands, modules in self.todo:
                if command in commands:
                    modules.clear()
        # the cyclic collector paused while importing: its passes walked the growing heap of
        # imported objects (about 0.1 s of the 0.7-0.9 s before the cleans can fork, 0.2 s of
        # the 2.2-2.6 s of all the imports); frozen after, and on again before any fork
        with collector_paused():
            for name in names:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - the command then meets the error itself
                    pass
            if names:
                gc.freeze()

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            if pid == self.command_pid:
                self.command_status = code
                self.close()
                continue
            conn = self.children.pop(pid, None)
            if conn is not None:
                self.conns.pop(conn, None)
                try:
                    send_message(conn, {"status": code})
                except OSError:
                    pass
                conn.close()

    def message(self, conn) -> None:
        """A signal to forward, or the caller's end of the connection: the command does not
        outlive its caller (SIGTERM, as a cold process would get from its parent)."""
        pid = self.conns[conn]
        try:
            data, _ = recv_message(conn)
        except (OSError, ValueError):
            data = None
        if data is None:
            self.conns.pop(conn, None)
            signum = signal.SIGTERM
        else:
            signum = data.get("signal")
            if signum not in _SIGNALS:
                return
        if pid in self.children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def refusal(self, request, fds):
        if len(fds) != len(request.get("fds", ())):
            return "the standard streams did not arrive"
        if request.get("fingerprint") != self.fingerprint:
            return "another interpreter, rsnprop tree or import-time setting"
        return None

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        fds: list[int] = []
        try:
            if _peer_uid(conn) != os.getuid():
                conn.close()
                return
            conn.settimeout(10)
            request, fds = recv_message(conn, 3)
            conn.settimeout(None)
            reason = "no request" if request is None else self.refusal(request, fds)
            if reason:
                send_message(conn, {"refused": reason})
        except (OSError, ValueError):
            reason = "broken connection"
        if reason:
            _close_all(fds)
            conn.close()
            return
        self.preload(request["argv"])
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        pid = os.fork()
        if pid == 0:
            self.child(conn, request, fds)  # never returns
        _close_all(fds)
        try:
            os.setpgid(pid, request["pgid"])  # in the caller's process group, as a cold process
            joined = True
        except OSError:
            joined = False
        self.children[pid] = conn
        self.conns[conn] = pid
        try:
            send_message(conn, {"pid": pid, "joined": joined})
        except OSError:
            pass

    def child(self, conn, request, fds) -> None:
        """In the forked child: become the caller's command, run it, exit with its status."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            os.close(self.wake_r)
            os.close(self.wake_w)
            self.listener.close()
            for other in self.conns:
                other.close()
            conn.close()
            try:
                os.setpgid(0, request["pgid"])
            except OSError:
                pass
            from .forkchild import become_caller, run_command

            become_caller(request, fds)
            code = run_command(self.run, request["argv"])
        except BaseException:  # noqa: BLE001 - nothing may unwind into the server's loop
            try:
                import traceback

                traceback.print_exc()
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(code)
