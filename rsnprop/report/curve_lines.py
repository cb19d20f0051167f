"""The lines of a specification curve as one matplotlib artist per axes (:class:`CurveLines`):
the SVG of one ``Axes.plot`` per line, byte for byte, at a fraction of its CPU
(:func:`rsnprop.report.figures.specification_curve` draws about 1,300 lines per curve)."""

from __future__ import annotations

from numbers import Real

import matplotlib.colors as mcolors
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.path import Path
import numpy as np

__all__ = ["CurveLines"]


class _CurveLine(Line2D):
    """A specification curve's ``Line2D``, left out of the work that only lays the figure out.

    Such a line is clipped to its axes, so the tight bounding boxes of ``tight_layout`` and
    ``savefig(bbox_inches="tight")`` never include it: it is out of the layout
    (``set_in_layout(False)``, which spares the check of every line's clipping), and it is not
    drawn in the measuring pass that ``bbox_inches="tight"`` makes before the SVG (a draw with
    the renderer's ``draw_*`` methods replaced by no-ops on the renderer itself,
    ``RendererBase._draw_disabled``): nothing of it would be drawn there, and the SVG's own
    draw does all of the line's work.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_in_layout(False)

    def draw(self, renderer):
        if _measuring(renderer):
            return
        super().draw(renderer)


def _measuring(renderer) -> bool:
    """Whether ``renderer`` (or the vector renderer a ``MixedModeRenderer`` draws with) has
    its ``draw_*`` methods replaced by no-ops (``RendererBase._draw_disabled``)."""
    return any("draw_markers" in getattr(r, "__dict__", ())
               for r in (renderer, getattr(renderer, "_renderer", None)))


class CurveLines(Artist):
    """The many lines of a specification curve's axes as one artist: each drawn as the
    ``Line2D`` that ``ax.plot(x, y, **style)`` would add (its ``line2d`` group, path and
    markers, in the order they were added), without creating and adding one ``Line2D`` each.

    A specification curve has about 1,300 lines; creating and adding them (``Line2D``,
    ``Axes.add_line``'s clip path and data limits) was about a third of its CPU.  Here one
    ``Line2D`` per style (:class:`_CurveLine`: out of the layout, not drawn in the measuring
    pass of ``bbox_inches="tight"``) is given each line's data in turn and drawn; the data
    limits are those ``add_line`` would have set, from all the lines' points at once
    (:meth:`done`).  The SVG is the same bytes as with ``Axes.plot``
    (``tests/test_report_figures_lines.py``).

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> lines = CurveLines(ax)
    >>> lines.add([0, 1], [2, 3], color="black"); lines.done()
    >>> [float(v) for v in ax.dataLim.bounds], len(lines)
    ([0.0, 2.0, 1.0, 1.0], 1)
    >>> plt.close(fig)
    """

    def __init__(self, ax):
        super().__init__()
        self.set_in_layout(False)
        self.set_zorder(Line2D.zorder)
        self._ax = ax
        self._data: list[tuple] = []
        self._styles: dict = {}
        ax.add_artist(self)
        self.set_clip_path(None)

    def __len__(self) -> int:
        return len(self._data)

    def add(self, x, y, **style) -> None:
        """Add the line ``ax.plot(x, y, **style)`` would draw (``style`` names its colour)."""
        key = tuple(sorted(style.items()))
        if key not in self._styles:
            self._styles[key] = self._line(style)
        self._data.append((np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                           self._styles[key]))

    def _line(self, style) -> Line2D:
        line = _CurveLine([], [], **style)
        ax = self._ax
        ax._set_artist_props(line)
        line.set_clip_path(ax.patch)
        line.stale_callback = None
        return line

    def done(self) -> None:
        """Set the data limits the lines' ``Axes.add_line`` would have set, then ask for the
        autoscaling each ``Axes.plot`` asks for (``ax.autoscale(enable=None)``)."""
        ax = self._ax
        points = [np.column_stack([x, y]) for x, y, _ in self._data if x.size]
        if points:
            ax.dataLim.update_from_path(Path(np.concatenate(points)),
                                        ax.ignore_existing_data_limits)
            ax.ignore_existing_data_limits = False
        ax.autoscale(enable=None)

    def draw(self, renderer):
        if not self.get_visible() or _measuring(renderer):
            return
        calls = {}
        for x, y, line in self._data:
            if id(line) not in calls:
                calls[id(line)] = _LineCalls(line, renderer) if _plain(line) else None
            if calls[id(line)] is None:
                line.set_data(x, y)
                Line2D.draw(line, renderer)
            else:
                calls[id(line)].draw(x, y)
        self.stale = False


def _plain(line) -> bool:
    """Whether ``Line2D.draw`` of ``line`` is what :class:`_LineCalls` repeats: visible, solid or
    no line, default draw style, no path effects, sketch, mark-every or gap colour, and a
    transform whose non-affine part leaves paths as they are (linear axes)."""
    t = line.get_transform()
    return (line.get_visible() and not line.get_path_effects() and line.get_sketch_params() is None
            and line.get_drawstyle() == "default" and line.get_markevery() is None
            and not line.is_dashed() and line.get_gid() is None and line.get_url() is None
            and t.is_affine)


def _new_gc(line, renderer):
    """A graphics context clipped and linked as ``Line2D.draw`` sets up both of its own (the
    line's and the markers')."""
    gc = renderer.new_gc()
    line._set_gc_clip(gc)
    gc.set_url(line.get_url())
    return gc


class _LineCalls:
    """The renderer calls of ``Line2D.draw`` for one style (``line``) and ``renderer``, set up
    once (graphics contexts, colours, marker path and transform) and made for each line's data
    (:meth:`draw`): the same ``open_group``, ``draw_path``, ``draw_markers`` and
    ``close_group`` calls with the same arguments, without creating, caching and transforming
    a path object per line.  Only for the lines :func:`_plain` accepts."""

    def __init__(self, line, renderer):
        self.renderer = renderer
        self.affine = line.get_transform().get_affine().frozen()
        self.path_gc = self._path_gc(line, renderer)
        self.marks = self._marker_calls(line, renderer)

    @staticmethod
    def _path_gc(line, renderer):
        if line._lineStyles[line._linestyle] == "_draw_nothing":
            return None
        gc = _new_gc(line, renderer)
        gc.set_antialiased(line._antialiased)
        gc.set_linewidth(line._linewidth)
        gc.set_joinstyle(line._solidjoinstyle)
        gc.set_capstyle(line._solidcapstyle)
        gc.set_snap(line.get_snap())
        gc.set_foreground(mcolors.to_rgba(line._color, line._alpha), isRGBA=True)
        if line._linewidth > 0:
            gc.set_dashes(*line._dash_pattern)
        else:
            gc.set_dashes(0, None)
        return gc

    @staticmethod
    def _marker_calls(line, renderer):
        marker = line._marker
        if not (marker and line._markersize > 0):
            return None
        gc = _new_gc(line, renderer)
        gc.set_linewidth(line._markeredgewidth)
        gc.set_antialiased(line._antialiased)
        ec = mcolors.to_rgba(line.get_markeredgecolor(), line._alpha)
        fc = mcolors.to_rgba(line._get_markerfacecolor(), line._alpha)
        fcalt = mcolors.to_rgba(line._get_markerfacecolor(alt=True), line._alpha)
        if (isinstance(line._markeredgecolor, str) and line._markeredgecolor == "auto"
                and not (isinstance(line.get_markerfacecolor(), str)
                         and line.get_markerfacecolor().lower() == "none")):
            ec = ec[:3] + (fc[3],)
        gc.set_foreground(ec, isRGBA=True)
        snap = marker.get_snap_threshold()
        if isinstance(snap, Real):
            snap = renderer.points_to_pixels(line._markersize) >= snap
        gc.set_snap(snap)
        gc.set_joinstyle(marker.get_joinstyle())
        gc.set_capstyle(marker.get_capstyle())
        w = renderer.points_to_pixels(line._markersize)
        trans = marker.get_transform()
        if marker.get_marker() == ",":
            gc.set_linewidth(0)
        else:
            trans = trans.scale(w)
        calls = [(marker.get_path(), trans, fc)]
        alt = marker.get_alt_path()
        if alt:
            calls.append((alt, marker.get_alt_transform().scale(w), fcalt))
        return gc, calls

    def draw(self, x, y) -> None:
        """The calls of ``Line2D.draw`` for the line ``(x, y)`` (float arrays)."""
        r = self.renderer
        r.open_group("line2d", None)
        path = Path(np.column_stack(np.broadcast_arrays(x, y)).astype(float))
        if len(path.vertices):
            if self.path_gc is not None:
                r.draw_path(self.path_gc, path, self.affine.frozen())
            if self.marks is not None:
                gc, calls = self.marks
                for mpath, mtrans, face in calls:
                    r.draw_markers(gc, mpath, mtrans, path, self.affine.frozen(), face)
        r.close_group("line2d")
