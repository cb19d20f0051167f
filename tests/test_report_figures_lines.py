"""The specification curve's lines added without ``Axes.plot`` (rsnprop.report.figures.curve_line)
give the SVG that ``Axes.plot`` gives, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.report import figures


def _specs(n, *, seed, primary=True, missing_ci=False, no_choices=False):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        est = float(rng.standard_normal())
        known = not (missing_ci and i % 3 == 0)
        out.append({"estimate": est,
                    "ci_lower": est - abs(float(rng.standard_normal())) if known else None,
                    "ci_upper": est + abs(float(rng.standard_normal())) if known else None,
                    "choices": {} if no_choices and i % 4 == 0 else {"missing": str(i % 3), "controls": str(i % 2)},
                    "primary": primary and i == n // 2})
    return out


def _with_plot(ax, x, y, **style):
    return ax.plot(x, y, **style)[0]


@pytest.mark.parametrize("kw", [dict(n=40, seed=1), dict(n=25, seed=2, primary=False),
                                dict(n=30, seed=3, missing_ci=True), dict(n=1, seed=4),
                                dict(n=12, seed=5, no_choices=True, primary=False)])
def test_specification_curve_is_the_svg_of_axes_plot(monkeypatch, kw):
    fast = figures.specification_curve(_specs(**kw))
    monkeypatch.setattr(figures, "curve_line", _with_plot)
    slow = figures.specification_curve(_specs(**kw))
    assert fast.svg == slow.svg
    assert fast.svg.count(b'id="line2d_') == slow.svg.count(b'id="line2d_') > kw["n"]


def test_curve_lines_are_drawn_once_and_out_of_the_layout(monkeypatch):
    """The lines are drawn for the SVG only, not in savefig's measuring pass, and are out of
    the layout (they are clipped to their axes: the SVG is the same, test above)."""
    drawn = []
    real = figures.Line2D.draw

    def counting(self, renderer):
        drawn.append(self)
        return real(self, renderer)

    monkeypatch.setattr(figures.Line2D, "draw", counting)
    made = []
    monkeypatch.setattr(figures, "curve_line", lambda ax, x, y, **kw: made.append(
        ax.add_line(figures._CurveLine(x, y, **kw))) or made[-1])
    figures.specification_curve(_specs(20, seed=6))
    assert made and not any(line.get_in_layout() for line in made)
    assert sum(line in made for line in drawn) == len(made)
