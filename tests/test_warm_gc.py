"""The warm server imports with Python's cyclic garbage collector paused
(rsnprop.forkserver.Server.preload), freezes what it imported, and leaves the collector as it
was, so that the commands it forks start with the collector on, as a cold process."""

from __future__ import annotations

import gc
import os
import socket
import sys

import pytest

from rsnprop.forkserver import Server


@pytest.fixture
def server():
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv = Server(listener, run=None, path="")
    yield srv
    listener.close()
    os.close(srv.wake_r)
    os.close(srv.wake_w)


@pytest.fixture
def probe_modules(tmp_path, monkeypatch):
    """Two modules that record, when imported, whether the collector was on."""
    for name in ("h9_gc_probe_a", "h9_gc_probe_b"):
        (tmp_path / f"{name}.py").write_text("import gc\nCOLLECTING = gc.isenabled()\n")
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield ("h9_gc_probe_a", "h9_gc_probe_b")
    gc.unfreeze()


def test_imports_with_the_collector_paused_then_on(server, probe_modules):
    assert gc.isenabled()
    server.todo = [({"clean"}, [probe_modules[0]]), ({"test"}, [probe_modules[1], "no_such_mod_h9"])]
    frozen = gc.get_freeze_count()
    server.preload(["--quiet", "clean", "x.csv"])   # the command's group
    assert sys.modules[probe_modules[0]].COLLECTING is False
    assert probe_modules[1] not in sys.modules
    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen
    server.preload(None)   # the next module, while nobody waits
    assert sys.modules[probe_modules[1]].COLLECTING is False
    assert gc.isenabled()
    server.preload(None)   # a module that cannot be imported: the command meets the error
    assert gc.isenabled()
    assert not any(server.todo[1][1])


def test_collector_left_off_when_it_was_off(server, probe_modules):
    gc.disable()
    try:
        server.todo = [({"clean"}, list(probe_modules))]
        server.preload(["clean"])
        assert not gc.isenabled()
        assert sys.modules[probe_modules[1]].COLLECTING is False
    finally:
        gc.enable()
