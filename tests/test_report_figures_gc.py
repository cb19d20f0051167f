"""The report's figures are drawn with Python's cyclic garbage collector paused
(rsnprop.report.figures.collector_paused): the same SVG bytes as with the collector running
(even collecting at every allocation), the collector off while a figure is drawn and as it
was after."""

from __future__ import annotations

import contextlib
import gc

import numpy as np
import pandas as pd
import pytest

from curve_specs import curve_specs

from rsnprop.report import figures


@pytest.fixture
def eager_collector():
    """The collector on, collecting (generation 0) every 10 allocations, restored after."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    gc.enable()
    gc.set_threshold(10, 2, 2)
    yield
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


def _figures():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"score_informational": rng.normal(3, 1, 40),
                       "score_relational": rng.normal(3.4, 1, 40),
                       "born_global": np.repeat([0, 1], 20)})
    return [figures.specification_curve(curve_specs(60, seed=8)),
            figures.specification_curve(curve_specs(30, seed=9, missing_ci=True, primary=False)),
            figures.forest_plot([{"label": "P1", "estimate": 0.4, "ci_lower": 0.1,
                                  "ci_upper": 0.7, "group": "P1"}]),
            figures.paired_scores_plot(df, "born_global")]


def test_figures_are_the_same_bytes_with_the_collector_running(monkeypatch, eager_collector):
    paused = [f.svg for f in _figures()]
    monkeypatch.setattr(figures, "collector_paused", contextlib.nullcontext)
    running = [f.svg for f in _figures()]
    assert paused == running
    assert all(paused) and len(paused) == 4


def test_collector_is_off_while_a_figure_is_drawn(monkeypatch, eager_collector):
    seen = []
    real = figures.render

    def spying(fig, **kw):
        seen.append(gc.isenabled())
        return real(fig, **kw)

    monkeypatch.setattr(figures, "render", spying)
    assert figures.specification_curve(curve_specs(10, seed=10)) is not None
    assert seen == [False]
    assert gc.isenabled()


def test_collector_left_off_when_it_was_off():
    enabled = gc.isenabled()
    gc.disable()
    try:
        with figures.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        (gc.enable if enabled else gc.disable)()


def test_collector_back_on_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), figures.collector_paused():
        raise ValueError("x")
    assert gc.isenabled()
