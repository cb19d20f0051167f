"""``rsnprop power`` imports its modules with the garbage collector off (its full collections
walked every object imported so far), freezes them, and runs the replications with the
collector as the caller had it; the caller gets it back in the state it was in."""

from __future__ import annotations

import gc

import pytest

import rsnprop.power.study as study
from rsnprop.cli import build_parser


@pytest.fixture
def seen(monkeypatch):
    states = []

    def fake_power_analysis(*args, **kwargs):
        states.append((gc.isenabled(), gc.get_freeze_count() > 0))
        raise RuntimeError("stop here")

    monkeypatch.setattr(study, "power_analysis", fake_power_analysis)
    return states


def _run(tmp_path):
    args = build_parser().parse_args(["power", "--plan", "analysis/study.yaml", "--n", "300",
                                      "--reps", "2", "--jobs", "1", "--no-analytic",
                                      "-o", str(tmp_path / "p.json"), "--no-progress"])
    with pytest.raises(RuntimeError, match="stop here"):
        args.command_module.run(args)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_given_back_as_it_was(tmp_path, seen, enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        _run(tmp_path)
        assert gc.isenabled() is enabled            # after the run (here: an error)
        assert seen == [(enabled, True)]            # on for the replications, imports frozen
        assert gc.get_freeze_count() == 0           # given back to the collector at the end
    finally:
        (gc.enable if was else gc.disable)()


def test_the_imports_run_without_collections(tmp_path, seen, monkeypatch):
    import rsnprop.propositions as props

    states = []
    real = props.load_plan

    def load_plan(path):
        states.append(gc.isenabled())
        return real(path)

    monkeypatch.setattr(props, "load_plan", load_plan)
    _run(tmp_path)
    assert states == [False] and seen == [(True, True)] and gc.isenabled()
