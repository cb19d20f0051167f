"""Power curve figure (seaborn): Monte Carlo power by sample size with 95 % MC intervals,
the analytic curve dashed, and the 80 % / 90 % targets.  Byte-identical files for the same
result (no dates or random ids in the SVG/PNG metadata)."""

from __future__ import annotations

__all__ = ["power_curve_figure", "save_figure"]


def power_curve_figure(result, *, targets=(0.8, 0.9)):
    """A matplotlib Figure of ``result`` (a :class:`~rsnprop.power.study.PowerResult` or its
    ``to_dict()``)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    d = result.to_dict() if hasattr(result, "to_dict") else result
    mc = pd.DataFrame(d["results"])
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    labels = {"P1": "P1 (traditional: informational)", "P2": "P2 (born global: relational)",
              "joint": "joint (P1, P2 and interaction)"}
    mc["label"] = mc["proposition"].map(labels).fillna(mc["proposition"])
    order = [labels[p] for p in ("P1", "P2", "joint") if p in set(mc["proposition"])]
    palette = dict(zip(order, sns.color_palette("colorblind", len(order))))
    sns.lineplot(data=mc, x="n", y="power", hue="label", hue_order=order, palette=palette,
                 marker="o", ax=ax)
    for lab in order:
        sub = mc[mc["label"] == lab]
        ax.fill_between(sub["n"], sub["ci_lower"], sub["ci_upper"], color=palette[lab], alpha=0.15,
                        linewidth=0)
    an = (d.get("analytic") or {}).get("rows")
    if an:
        a = pd.DataFrame(an)
        for prop, lab in labels.items():
            if lab in palette:
                sub = a[a["proposition"] == prop]
                ax.plot(sub["n"], sub["power_bonferroni"], linestyle="--", color=palette[lab],
                        linewidth=1)
    for t in targets:
        ax.axhline(t, color="grey", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("respondents before cleaning (N)")
    ax.set_ylabel("P(verdict = supported)")
    ax.set_title(f"Power, scenario {d.get('scenario')} ({d.get('reps')} replications per N)")
    ax.legend(title=None, loc="lower right", fontsize=8)
    fig.text(0.01, 0.01, "bands: 95 % Monte Carlo intervals; dashed: analytic at alpha/3 (joint: interaction test only)",
             fontsize=7, color="grey")
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> None:
    """Write ``fig`` as SVG or PNG (by extension) atomically and reproducibly."""
    import io
    from pathlib import Path

    import matplotlib
    import matplotlib.pyplot as plt

    from ..errors import InputError
    from ..io import atomic_write

    ext = Path(path).suffix.lower()
    buf = io.BytesIO()
    if ext == ".svg":
        with matplotlib.rc_context({"svg.hashsalt": "rsnprop", "svg.fonttype": "path"}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    elif ext == ".png":
        fig.savefig(buf, format="png", metadata={"Software": None})
    else:
        raise InputError("the figure must be .svg or .png", parameter="--figure", value=str(path))
    plt.close(fig)
    atomic_write(path, buf.getvalue())
