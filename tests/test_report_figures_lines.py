"""The specification curve's lines drawn without ``Axes.plot`` (rsnprop.report.figures.CurveLines:
one artist for all of an axes' lines) give the SVG that ``Axes.plot`` gives, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from curve_specs import curve_specs

from rsnprop.report import curve_lines, figures


class _Plotted:
    """What ``CurveLines`` stands for: one ``Axes.plot`` per line."""

    def __init__(self, ax):
        self.ax = ax

    def add(self, x, y, **style):
        self.ax.plot(x, y, **style)

    def done(self):
        pass


@pytest.mark.parametrize("kw", [dict(n=40, seed=1), dict(n=25, seed=2, primary=False),
                                dict(n=30, seed=3, missing_ci=True), dict(n=1, seed=4),
                                dict(n=12, seed=5, no_choices=True, primary=False)])
def test_specification_curve_is_the_svg_of_axes_plot(monkeypatch, kw):
    fast = figures.specification_curve(curve_specs(**kw))
    monkeypatch.setattr(figures, "CurveLines", _Plotted)
    slow = figures.specification_curve(curve_specs(**kw))
    assert fast.svg == slow.svg
    assert fast.svg.count(b'id="line2d_') == slow.svg.count(b'id="line2d_') > kw["n"]


def test_curve_lines_are_drawn_once_and_out_of_the_layout(monkeypatch):
    """The lines are drawn for the SVG only, not in savefig's measuring pass, and are out of
    the layout (they are clipped to their axes: the SVG is the same, test above)."""
    drawn = []
    real = curve_lines._LineCalls.draw

    def counting(self, x, y):
        drawn.append(self)
        return real(self, x, y)

    monkeypatch.setattr(curve_lines._LineCalls, "draw", counting)
    made = []

    class Counted(figures.CurveLines):
        def __init__(self, ax):
            super().__init__(ax)
            made.append(self)

    monkeypatch.setattr(figures, "CurveLines", Counted)
    figures.specification_curve(curve_specs(20, seed=6))
    assert len(made) == 2 and not any(lines.get_in_layout() for lines in made)
    assert [len(lines) for lines in made] == [40, 20]
    styles = [line for lines in made for line in lines._styles.values()]
    assert not any(line.get_in_layout() for line in styles)
    assert len(drawn) == 60


STYLES = [dict(color="#0072B2", linewidth=0.9, alpha=0.8),
          dict(marker="o", markersize=4, color="#E69F00", markerfacecolor="white"),
          dict(linestyle="none", marker="|", color="black", markersize=7),
          dict(marker="s", color="red", markeredgecolor="blue", alpha=0.3, linewidth=0),
          dict(marker="o", fillstyle="left", color="green", markerfacecoloralt="pink"),
          dict(marker=",", color="0.4"), dict(marker="x", markersize=0, color="k"),
          dict(marker="D", markerfacecolor="none", color="purple", linewidth=2.5),
          dict(color="black", linestyle="--"),                        # not plain: Line2D.draw
          dict(color="black", linestyle=":", gapcolor="yellow"),
          dict(color="black", drawstyle="steps-mid", marker="o"),
          dict(color="black", marker="o", markevery=2)]


@pytest.mark.parametrize("style", STYLES)
def test_curve_lines_of_any_style_are_the_svg_of_axes_plot(style):
    """Each style drawn by CurveLines (the renderer's calls made directly, or ``Line2D.draw``
    for a style :func:`curve_lines._plain` refuses) gives the bytes of ``Axes.plot``."""
    rng = np.random.default_rng(11)
    data = [([i] * k, list(rng.standard_normal(k))) for i, k in enumerate([2, 1, 0, 3, 5, 1])]
    data.append(([6.0, 7.0], [np.nan, 1.0]))

    def svg(fast):
        with figures._style() as (plt, _):
            fig, ax = plt.subplots(figsize=(3, 2))
            lines = figures.CurveLines(ax) if fast else None
            for x, y in data:
                if fast:
                    lines.add(x, y, **style)
                else:
                    ax.plot(x, y, **style)
            if fast:
                lines.done()
            ax.set_title("t")
            return figures.render(fig, id="x", title="x", alt="x").svg

    fast, slow = svg(True), svg(False)
    assert fast == slow and fast.count(b'id="line2d_') >= len(data)


@pytest.mark.parametrize("points", [
    [([0, 0], [-1.5, 2.0]), ([1], [0.25]), ([2, 2], [np.nan, 3.0])],
    [([], []), ([3], [-2.0]), ([], [])],
    [([5, 5], [1e-300, 4.0]), ([6], [np.inf])],
    [([], [])],
])
@pytest.mark.parametrize("before", [False, True])
def test_curve_lines_data_limits_are_add_lines(points, before):
    """``CurveLines.done`` sets the data limits (and their smallest positive values) that one
    ``Axes.add_line`` per line sets: empty lines, NaN and infinite points included, with and
    without a line in the axes before them."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    if before:
        for ax in (a, b):
            ax.plot([-7.0, 8.0], [0.5, 0.75])
    lines = figures.CurveLines(a)
    for x, y in points:
        lines.add(x, y, color="black")
        b.add_line(curve_lines.Line2D(x, y, color="black"))
    lines.done()
    b.autoscale(enable=None)
    assert np.array_equal(a.dataLim.get_points(), b.dataLim.get_points())
    assert np.array_equal(a.dataLim.minpos, b.dataLim.minpos)
    assert a.ignore_existing_data_limits == b.ignore_existing_data_limits
    assert a.get_xlim() == b.get_xlim() and a.get_ylim() == b.get_ylim()
    plt.close(fig)
