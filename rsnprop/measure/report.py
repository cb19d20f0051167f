"""Measurement-model report pieces built from ``measurement.json`` (or a
:class:`~rsnprop.measure.pipeline.MeasurementResult`): the item table, the reliability
table, the validity matrix and a seaborn heat map of the factor loadings.

The HTML report (:mod:`rsnprop.report`) renders the same keys; these helpers serve notebooks
and :meth:`MeasurementResult.to_html`.

Examples
--------
>>> from rsnprop.measure.report import loadings_frame
>>> m = {"efa": {"loadings": [{"item": "a", "MR1": 0.7, "MR2": 0.1, "primary": "MR1"}]}}
>>> loadings_frame(m).round(2).to_dict()
{'MR1': {'a': 0.7}, 'MR2': {'a': 0.1}}
"""

from __future__ import annotations

import html

__all__ = ["item_table", "reliability_table", "validity_matrix", "loadings_frame",
           "loadings_heatmap", "measurement_section"]

_SKIP = {"item", "primary", "cross_loadings", "cross_loading", "weak", "communality"}


def _as_dict(m):
    return m.to_dict() if hasattr(m, "to_dict") and not isinstance(m, dict) else m


def item_table(m):
    """DataFrame of ``measurement["items"]``."""
    import pandas as pd

    return pd.DataFrame(_as_dict(m).get("items") or [])


def reliability_table(m):
    """DataFrame of ``measurement["reliability_table"]``."""
    import pandas as pd

    return pd.DataFrame(_as_dict(m).get("reliability_table") or [])


def validity_matrix(m):
    """Constructs x constructs DataFrame: sqrt(AVE) diagonal, latent r below, HTMT above."""
    import pandas as pd

    vm = _as_dict(m).get("validity_matrix")
    if not vm:
        return None
    return pd.DataFrame(vm["values"], index=vm["constructs"], columns=vm["constructs"])


def loadings_frame(m, source: str = "efa"):
    """Items x factors DataFrame of loadings: EFA pattern loadings (``source="efa"``) or
    standardised CFA loadings (``"cfa"``, NaN where an item does not load)."""
    import pandas as pd

    m = _as_dict(m)
    if source == "efa":
        efa = m.get("efa") or {}
        rows = efa.get("loadings") or []
        data = {r["item"]: {k: v for k, v in r.items() if k not in _SKIP
                            and isinstance(v, (int, float)) and not isinstance(v, bool)}
                for r in rows}
        if not data:
            return None
        frame = pd.DataFrame(data).T
        names = efa.get("factor_constructs") or {}
        return frame.rename(columns={f: f"{f} ({names[f]})" for f in frame.columns
                                     if f in names})
    rows = (m.get("cfa") or {}).get("loadings") or []
    if not rows:
        return None
    frame = pd.DataFrame(rows).pivot(index="item", columns="construct", values="std_all")
    order_i = list(dict.fromkeys(r["item"] for r in rows))
    order_c = list(dict.fromkeys(r["construct"] for r in rows))
    return frame.loc[order_i, order_c]


def loadings_heatmap(m, source: str = "efa", ax=None):
    """Seaborn heat map of the loadings (blue negative, red positive, values annotated).

    Returns the matplotlib Figure (None when there are no loadings).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    frame = loadings_frame(m, source)
    if frame is None or frame.empty:
        return None
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.5 + 1.0 * frame.shape[1], 0.8 + 0.28 * frame.shape[0]))
    else:
        fig = ax.figure
    import warnings

    with warnings.catch_warnings():  # seaborn 0.13 calls the deprecated Colormap.set_bad
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        sns.heatmap(frame.astype(float), ax=ax, cmap="vlag", center=0, vmin=-1, vmax=1,
                    annot=True, fmt=".2f", linewidths=0.5, cbar_kws={"label": "loading"},
                    annot_kws={"size": 8})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("EFA pattern loadings" if source == "efa" else "Standardised CFA loadings")
    fig.tight_layout()
    return fig


def _svg(fig) -> str:
    import io

    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "rsnprop", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def measurement_section(m, *, figure: bool = True) -> str:
    """Self-contained HTML fragment (escaped; inline SVG heat map, no network requests)."""
    m = _as_dict(m)
    parts = ["<section class='rsnprop-measurement'><h2>Measurement model</h2>"]

    def table(frame, caption):
        if frame is None or len(frame) == 0:
            return ""
        body = frame.to_html(index=frame.index.dtype == object and caption.startswith("Validity"),
                             float_format="{:.3f}".format, escape=True, border=0,
                             classes="rsnprop-table", na_rep="")
        return f"<h3>{html.escape(caption)}</h3>{body}"

    parts.append(table(reliability_table(m), "Reliability and convergent validity"))
    parts.append(table(validity_matrix(m), "Validity matrix (diagonal sqrt(AVE), below latent "
                                           "correlations, above HTMT)"))
    parts.append(table(item_table(m), "Items"))
    if figure:
        fig = loadings_heatmap(m, "efa") or loadings_heatmap(m, "cfa")
        if fig is not None:
            parts.append("<figure>" + _svg(fig) + "<figcaption>Factor loadings"
                         "</figcaption></figure>")
    for w in m.get("warnings") or []:
        parts.append(f"<p class='warning'>{html.escape(str(w))}</p>")
    parts.append("</section>")
    return "".join(parts)
