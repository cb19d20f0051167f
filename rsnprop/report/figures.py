"""Figures of the report as deterministic, self-contained SVG data URIs.

Every function takes plain data (a DataFrame or a list of dicts) and returns a :class:`Figure`
(or ``None`` when there is nothing to draw).  Determinism: the Agg backend, a fixed
``svg.hashsalt``, no date in the SVG metadata, text drawn as paths with matplotlib's bundled
DejaVu Sans, and a seeded jitter; the same data give the same bytes.

Palette: Okabe & Ito (2008), safe for the common colour-vision deficiencies; every colour
distinction is doubled by a marker shape, a position or a label.

Examples
--------
>>> fig = forest_plot([{"label": "P1: inf - rel", "estimate": 0.4, "ci_lower": 0.1,
...                     "ci_upper": 0.7, "group": "P1"}])
>>> fig.data_uri.startswith("data:image/svg+xml;base64,"), fig.width > 0
(True, True)
"""

from __future__ import annotations

import base64
import io
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from scipy import stats
from scipy.stats import gaussian_kde

from ..collector import collector_paused
from .curve_lines import CurveLines
from .fmt import fmt_bounded, to_float

__all__ = ["Figure", "OKABE_ITO", "COLOURS", "paired_scores_plot", "forest_plot",
           "loadings_heatmap", "specification_curve", "power_curve", "power_curve_image", "render"]

#: Okabe & Ito (2008) colour-blind safe palette
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000"]
COLOURS = {"informational": "#0072B2", "relational": "#D55E00", "P1": "#0072B2",
           "P2": "#D55E00", "other": "#009E73", "neutral": "#7F7F7F"}
JITTER_SEED = 20240601

_RC = {
    "svg.hashsalt": "rsnprop-report",
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "path.simplify": True,
}


@dataclass
class Figure:
    """One embedded figure: a stable ``id``, its title, alt text, caption and SVG bytes."""

    id: str
    title: str
    alt: str
    caption: str
    svg: bytes
    width: int  # CSS pixels
    height: int
    number: int = 0

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")

    @property
    def label(self) -> str:
        return f"Figure {self.number}" if self.number else "Figure"

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9_-]+", "_", str(self.id).lower()).strip("_") or "figure"


@contextmanager
def _style():
    matplotlib.use("Agg")

    with (matplotlib.rc_context(), sns.axes_style("whitegrid"), warnings.catch_warnings(),
          collector_paused()):
        # layout notes from matplotlib (e.g. "Tight layout not applied") are not the user's
        # concern: the figure is still drawn
        warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
        warnings.filterwarnings("ignore", category=UserWarning, module="seaborn")
        matplotlib.rcParams.update(_RC)
        try:
            yield plt, sns
        finally:
            plt.close("all")


def render(fig, *, id: str, title: str, alt: str, caption: str = "") -> Figure:
    """Save a matplotlib figure as deterministic SVG and wrap it in a :class:`Figure`."""

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "rsnprop"},
                bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    svg = buf.getvalue()
    m = re.search(rb'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"', svg)
    w, h = (float(m.group(1)), float(m.group(2))) if m else (432.0, 288.0)
    return Figure(id=id, title=title, alt=alt, caption=caption, svg=svg,
                  width=int(round(w * 96 / 72)), height=int(round(h * 96 / 72)))


def _mean_ci(values):
    """Mean and 95% t interval, as R's ``t.test(x)$conf.int``.

    >>> [round(v, 4) for v in _mean_ci([1.0, 2.0, 3.0, 4.0])]
    [2.5, 0.4457, 4.5543]
    """

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = v.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if n < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half


def _half_violin(ax, vals, pos: float, side: int, colour: str, width: float = 0.3) -> None:
    """A one-sided density ("cloud") of ``vals`` at ``pos``, opening to ``side`` (-1 or 1)."""

    v = np.asarray(vals, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3 or np.ptp(v) == 0:
        return
    ys = np.linspace(v.min(), v.max(), 120)
    dens = gaussian_kde(v)(ys)
    xs = pos + side * dens / dens.max() * width
    ax.fill_betweenx(ys, pos, xs, color=colour, alpha=0.28, linewidth=0)


def paired_scores_plot(df, group_col: str, group_labels: dict | None = None,
                       rel_col: str = "score_relational",
                       inf_col: str = "score_informational", *,
                       max_firms: int = 400, seed: int = JITTER_SEED) -> Figure | None:
    """Raincloud-style paired plot: each firm's informational and relational score, by group.

    Inside: one dot per firm and score, a grey line joining the two scores of one firm.
    Outside: the density of each score (the "cloud") with the group mean and its 95 % t
    confidence interval (R: ``t.test(x)$conf.int``).  Groups with more than ``max_firms``
    firms show a seeded random sample of dots and lines; densities, means and CIs always use
    every firm.  Returns ``None`` when the columns are missing or no firm has both scores.
    """

    need = [c for c in (group_col, rel_col, inf_col) if c not in getattr(df, "columns", [])]
    if need:
        return None
    d = df[[group_col, inf_col, rel_col]].dropna()
    if d.empty:
        return None
    groups = sorted(d[group_col].unique().tolist(), key=lambda g: (str(type(g)), g))
    labels = group_labels or {}
    rng = np.random.default_rng(seed)  # horizontal jitter and the sample of large groups
    alt_parts = []
    sampled = False
    with _style() as (plt, sns):
        from matplotlib.collections import LineCollection

        fig, axes = plt.subplots(1, len(groups), sharey=True, squeeze=False,
                                 figsize=(3.3 * len(groups) + 0.4, 3.8))
        for ax, g in zip(axes[0], groups):
            sub = d[d[group_col] == g]
            n = len(sub)
            y0_all = sub[inf_col].to_numpy(float)
            y1_all = sub[rel_col].to_numpy(float)
            idx = np.arange(n)
            if n > max_firms:
                idx = np.sort(rng.choice(n, size=max_firms, replace=False))
                sampled = True
            y0, y1 = y0_all[idx], y1_all[idx]
            jit = rng.uniform(-0.1, 0.1, size=idx.size)
            x0, x1 = jit, 1 + jit
            segs = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
            ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.5, alpha=0.45))
            ax.scatter(x0, y0, s=10, color=COLOURS["informational"], marker="o", alpha=0.75,
                       linewidths=0, label="informational")
            ax.scatter(x1, y1, s=12, color=COLOURS["relational"], marker="D", alpha=0.75,
                       linewidths=0, label="relational")
            _half_violin(ax, y0_all, -0.2, -1, COLOURS["informational"])
            _half_violin(ax, y1_all, 1.2, 1, COLOURS["relational"])
            for pos, vals in ((-0.32, y0_all), (1.32, y1_all)):
                m, lo, hi = _mean_ci(vals)
                ax.errorbar([pos], [m], yerr=[[m - lo], [hi - m]] if np.isfinite(lo) else None,
                            fmt="s", color="black", markersize=5, capsize=3, linewidth=1.2)
            mi, _, _ = _mean_ci(y0_all)
            mr, _, _ = _mean_ci(y1_all)
            name = labels.get(g, labels.get(str(g), str(g)))
            ax.set_title(f"{name} (n = {n})")
            ax.set_xticks([0, 1], ["Informational", "Relational"])
            ax.set_xlim(-0.6, 1.6)
            alt_parts.append(f"{name} (n = {n}): mean informational {mi:.2f}, "
                             f"mean relational {mr:.2f}")
        axes[0][0].set_ylabel("Scale score (mean of items)")
        fig.tight_layout()
        caption = ("Each pair of dots joined by a grey line is one firm; the shaded clouds show "
                   "the distribution of each score. Black squares and bars: group mean and 95% "
                   "confidence interval. Circles (blue): informational; diamonds (vermillion): "
                   "relational.")
        if sampled:
            caption += (f" Dots and lines: a random sample of {max_firms} firms per group "
                        f"(seed {seed}); clouds, means and intervals use every firm.")
        return render(
            fig, id="scores_by_group", title="Relational versus informational benefits, by group",
            alt="Raincloud plot of each firm's informational and relational benefit scores by "
                "group, with lines joining the two scores of each firm; " + "; ".join(alt_parts)
                + ".",
            caption=caption)


def forest_plot(rows: list[dict], *, xlabel: str = "Effect size (95% CI)",
                bounds: tuple[float, float] | None = None) -> Figure | None:
    """Forest plot of effect sizes with confidence intervals.

    ``rows`` are dicts with ``label``, ``estimate``, ``ci_lower``, ``ci_upper`` and optionally
    ``group`` (``"P1"``, ``"P2"``: colour and marker).  ``bounds`` draws an equivalence region.
    """

    rows = [r for r in rows if to_float(r.get("estimate")) is not None]
    if not rows:
        return None
    markers = {"P1": "o", "P2": "D"}
    shown = bounds is not None and all(to_float(b) is not None for b in bounds)
    with _style() as (plt, sns):
        height = 0.9 + 0.38 * len(rows) + (0.35 if shown else 0)
        fig, ax = plt.subplots(figsize=(6.4, height))
        ys = np.arange(len(rows))[::-1]
        alt = []
        for y, r in zip(ys, rows):
            est = to_float(r["estimate"])
            lo, hi = to_float(r.get("ci_lower")), to_float(r.get("ci_upper"))
            g = str(r.get("group", ""))
            colour = COLOURS.get(g, COLOURS["other"])
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], color=colour, linewidth=1.6)
            ax.plot([est], [y], marker=markers.get(g, "s"), color=colour, markersize=6)
            ci = f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else ""
            alt.append(f"{r['label']}: {est:.2f}{ci}")
        ax.axvline(0, color="black", linewidth=0.8)
        if shown:
            ax.axvspan(bounds[0], bounds[1], color="0.85", alpha=0.6, zorder=0,
                       label="equivalence bounds (SESOI)")
            # above the axes, outside the data area: it never covers an estimate
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, borderaxespad=0.2)
        ax.set_yticks(ys, [str(r["label"]) for r in rows])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
        groups = {str(r.get("group", "")) for r in rows}
        keys = [("P1", "circles (blue): P1 evidence"), ("P2", "diamonds (vermillion): P2 evidence")]
        legend = [text for g, text in keys if g in groups]
        if groups - {"P1", "P2"}:
            legend.append("squares (green): evidence on the joint prediction (the interaction "
                          "born global x benefit type)")
        return render(fig, id="forest", title="Effect sizes with 95% confidence intervals",
                      alt="Forest plot of effect sizes with 95% confidence intervals: "
                          + "; ".join(alt) + ".",
                      caption="Points are estimates, horizontal bars 95% confidence intervals; "
                              "the vertical line marks no difference"
                              + ("; the grey band, the preregistered equivalence bounds "
                                 "(± SESOI)" if shown else "") + ". "
                              + (legend[0][0].upper() + "; ".join(legend)[1:] + "." if legend else ""))


def loadings_heatmap(matrix, *, title: str = "Standardised factor loadings",
                     exploratory: bool = False) -> Figure | None:
    """Heat map of standardised loadings (a DataFrame: items as rows, factors as columns).

    Cells without a loading are blank; every cell carries its value in APA format, so the
    colour scale (blue negative, red positive) is never the only cue.  The caption speaks of
    blank cells only when there are some (a CFA's loadings fixed at zero); ``exploratory``
    says that every item loads on every factor.
    """

    if matrix is None or getattr(matrix, "size", 0) == 0:
        return None
    values = matrix.to_numpy(dtype=float)
    annot = np.vectorize(lambda v: "" if not np.isfinite(v) else fmt_bounded(v))(values)
    with _style() as (plt, sns):
        fig, ax = plt.subplots(figsize=(1.4 + 1.3 * matrix.shape[1], 0.9 + 0.26 * matrix.shape[0]))
        import warnings

        with warnings.catch_warnings():  # seaborn 0.13 calls the deprecated Colormap.set_bad
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            sns.heatmap(matrix.astype(float), ax=ax, cmap="vlag", center=0, vmin=-1, vmax=1,
                        annot=annot, fmt="", linewidths=0.5, linecolor="white",
                        cbar_kws={"label": "Standardised loading"}, annot_kws={"size": 8})
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.grid(False)
        ax.tick_params(axis="x", rotation=0)
        ax.tick_params(axis="y", rotation=0)
        fig.tight_layout()
        low = np.nanmin(values) if np.isfinite(values).any() else float("nan")
        high = np.nanmax(values) if np.isfinite(values).any() else float("nan")
        return render(fig, id="loadings", title=title,
                      alt=f"Heat map of standardised loadings of {matrix.shape[0]} items on "
                          f"{matrix.shape[1]} factors ({', '.join(str(c).replace(chr(10), ' ') for c in matrix.columns)}); "
                          f"loadings range from {low:.2f} to {high:.2f}.",
                      caption=_loadings_caption(values, exploratory,
                                                any("(" in str(c) for c in matrix.columns)))


def _loadings_caption(values, exploratory: bool, named: bool = False) -> str:
    text = "Rows are items, columns factors. "
    if not np.isfinite(values).all():
        text += "Blank cells are loadings not estimated (fixed at zero). "
    elif exploratory:
        text += ("Every item has a loading on every factor (exploratory analysis: none is fixed "
                 "at zero)" + ("; a factor's name in brackets is the construct most of its main "
                               "items belong to" if named else "") + ". ")
    return text + "Blue: negative, red: positive loadings."


def specification_curve(specs: list[dict], *, title: str = "Specification curve",
                        id: str = "specification_curve", ylabel: str = "Estimate (95% CI)"
                        ) -> Figure | None:
    """Specification curve (Simonsohn, Simmons & Nelson 2020).

    ``specs``: dicts with ``estimate``, optional ``ci_lower``/``ci_upper`` and ``choices``
    (dict: analytic decision -> option).  Top panel: estimates sorted, with CIs; filled blue
    circles where the CI excludes 0, open orange where it does not.  Bottom panel: which option
    of each decision each specification used.
    """

    specs = [s for s in specs if to_float(s.get("estimate")) is not None]
    if not specs:
        return None
    specs = sorted(specs, key=lambda s: (to_float(s["estimate"]), str(s.get("choices"))))
    options: list[tuple[str, str]] = []
    for s in specs:
        for k, v in sorted((s.get("choices") or {}).items()):
            if (str(k), str(v)) not in options:
                options.append((str(k), str(v)))
    options.sort()
    with _style() as (plt, sns):
        n_opt = max(len(options), 1)
        fig, (top, bottom) = plt.subplots(
            2, 1, sharex=True, figsize=(6.6, 2.6 + 0.22 * n_opt),
            gridspec_kw={"height_ratios": [2.4, max(0.6, 0.22 * n_opt)]})
        n_sig = 0
        lines = CurveLines(top)
        for i, s in enumerate(specs):
            est = to_float(s["estimate"])
            lo, hi = to_float(s.get("ci_lower")), to_float(s.get("ci_upper"))
            sig = lo is not None and hi is not None and (lo > 0 or hi < 0)
            n_sig += sig
            colour = COLOURS["informational"] if sig else OKABE_ITO[0]
            if lo is not None and hi is not None:
                lines.add([i, i], [lo, hi], color=colour, linewidth=0.9, alpha=0.8)
            lines.add([i], [est], marker="o", markersize=4, color=colour,
                      markerfacecolor=colour if sig else "white")
        lines.done()
        top.axhline(0, color="black", linewidth=0.8)
        prim = [i for i, s_ in enumerate(specs) if s_.get("primary")]
        for i in prim:
            top.axvline(i, color="black", linestyle=":", linewidth=1.0,
                        label="preregistered specification")
        if prim:
            top.legend(loc="upper left", frameon=False, fontsize=8)
        top.set_ylabel(ylabel)
        top.set_title(title)
        lines = CurveLines(bottom)
        for i, s in enumerate(specs):
            ch = {(str(k), str(v)) for k, v in (s.get("choices") or {}).items()}
            ys = [j for j, o in enumerate(options) if o in ch]
            lines.add([i] * len(ys), ys, linestyle="none", marker="|", color="black",
                      markersize=7)
        lines.done()
        bottom.set_yticks(range(len(options)), [f"{k}: {v}" for k, v in options])
        bottom.set_ylim(-0.5, n_opt - 0.5)
        bottom.invert_yaxis()
        bottom.set_xlabel("Specification (sorted by estimate)")
        bottom.grid(axis="x", visible=False)
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v) + 1}"))
        bottom.set_xlim(-0.6, len(specs) - 0.4)
        fig.tight_layout()
        ests = [to_float(s["estimate"]) for s in specs]
        return render(fig, id=id, title=title,
                      alt=f"{title}: {len(specs)} specifications, estimates from "
                          f"{min(ests):.2f} to {max(ests):.2f} (median {float(np.median(ests)):.2f}); "
                          f"{n_sig} of {len(specs)} confidence intervals exclude zero.",
                      caption="Top: estimates sorted from lowest to highest with 95% confidence "
                              "intervals; filled blue circles when the interval excludes zero, "
                              "open orange circles otherwise; a dotted line marks the "
                              "preregistered specification. Bottom: the analytic choices of "
                              "each specification.")


def _draw_power_curve(plt, rows: list[dict], target: float):
    """The matplotlib figure of :func:`power_curve` and its alt text (None: nothing to draw)."""

    rows = [r for r in rows if to_float(r.get("n")) is not None and to_float(r.get("power")) is not None]
    if not rows:
        return None, ""
    labels = sorted({str(r.get("label", "power")) for r in rows})
    markers = ["o", "D", "s", "^", "v", "P", "X"]
    ns = sorted({to_float(r["n"]) for r in rows})
    span = (ns[-1] - ns[0]) or ns[0]
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    parts = []
    for i, lab in enumerate(labels):
        sub = sorted((r for r in rows if str(r.get("label", "power")) == lab),
                     key=lambda r: to_float(r["n"]))
        shift = span * 0.012 * (i - (len(labels) - 1) / 2)
        x = np.array([to_float(r["n"]) for r in sub]) + shift
        y = np.array([to_float(r["power"]) for r in sub])
        colour = COLOURS.get(lab, OKABE_ITO[i % len(OKABE_ITO)])
        ci = [r.get("ci") for r in sub]
        if all(isinstance(c, (list, tuple)) and to_float(c[0]) is not None and
               to_float(c[1]) is not None for c in ci):
            lo = y - np.array([to_float(c[0]) for c in ci])
            hi = np.array([to_float(c[1]) for c in ci]) - y
            ax.errorbar(x, y, yerr=[lo, hi], color=colour, linewidth=0, elinewidth=0.9,
                        capsize=2, alpha=0.7)
        ax.plot(x, y, color=colour, marker=markers[i % len(markers)], label=lab,
                linewidth=1.5, markersize=5)
        parts.append(lab + ": " + ", ".join(f"n = {int(to_float(r['n']))} power "
                                            f"{to_float(r['power']):.2f}" for r in sub))
    ax.axhline(target, color="black", linewidth=0.8, linestyle="--")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Sample size (firms)")
    ax.set_ylabel("Power")
    ax.legend(title="", frameon=False, loc="lower right")
    fig.tight_layout()
    return fig, "Line chart of power by sample size; " + "; ".join(parts) + "."


def power_curve(rows: list[dict], *, target: float = 0.8) -> Figure | None:
    """Power against sample size, one line (colour and marker shape) per proposition.

    ``rows``: dicts with ``n``, ``power``, ``label`` (the proposition) and optionally ``ci``
    (a Monte Carlo interval, drawn as error bars), e.g. from
    :func:`rsnprop.report.sections.power.power_rows`.  Lines are dodged sideways a little so
    that equal values stay visible.

    >>> power_curve([{"n": 100, "power": 0.6, "label": "P1"}]).alt
    'Line chart of power by sample size; P1: n = 100 power 0.60.'
    """
    with _style() as (plt, sns):
        fig, alt = _draw_power_curve(plt, rows, target)
        if fig is None:
            return None
        return render(fig, id="power", title="Power by sample size", alt=alt,
                      caption=f"Dashed line: the target power of {target:.2f}. Error bars: 95% "
                              "Monte Carlo intervals (when reported). Lines are shifted "
                              "sideways slightly so that equal values stay visible.")


def power_curve_image(rows: list[dict], *, target: float = 0.8, format: str = "svg") -> bytes | None:
    """:func:`power_curve` as the bytes of an ``svg`` or ``png`` file (``rsnprop power
    --figure``); the same rows give the same bytes.  None when there is nothing to draw.

    >>> power_curve_image([{"n": 100, "power": 0.6, "label": "P1"}], format="png")[:4]
    b'\x89PNG'
    """
    if format == "svg":
        fig = power_curve(rows, target=target)
        return None if fig is None else fig.svg
    with _style() as (plt, sns):
        fig, _ = _draw_power_curve(plt, rows, target)
        if fig is None:
            return None
        buf = io.BytesIO()
        fig.savefig(buf, format=format, metadata={"Software": None}, bbox_inches="tight",
                    pad_inches=0.05)
        return buf.getvalue()
