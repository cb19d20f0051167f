"""Common behaviour of result objects.

Results look like statsmodels' results: ``to_frame()`` (a tidy DataFrame), ``to_dict()``
(JSON-safe), ``summary()`` (text) and ``_repr_html_()`` / ``to_html()`` (HTML), so that they
print well in a terminal, a notebook and the report.
"""

from __future__ import annotations

import json
import math
from html import escape
from typing import Any

import pandas as pd

__all__ = ["Result", "jsonsafe", "dumps"]


def jsonsafe(obj: Any) -> Any:
    """Return ``obj`` converted to plain JSON types.

    NaN and infinities become ``None``; numpy scalars and arrays become Python numbers and
    lists; DataFrames become lists of records; tuples and sets become lists.

    Examples
    --------
    >>> import numpy as np
    >>> jsonsafe({"a": np.float64("nan"), "b": np.int64(3), "c": (1, 2)})
    {'a': None, 'b': 3, 'c': [1, 2]}
    """
    t = type(obj)       # exact built-in types first: a cleaning log lists 100,000s of rows
    if t is str or t is bool or obj is None:
        return obj
    if t is float:
        return obj if math.isfinite(obj) else None
    if t is int:
        return obj
    if t is dict:
        return {k if type(k) is str else str(k): jsonsafe(v) for k, v in obj.items()}
    if t is list:
        return [jsonsafe(v) for v in obj]
    if isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {str(k): jsonsafe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        seq = sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else obj
        return [jsonsafe(v) for v in seq]
    if hasattr(obj, "to_dict") and callable(obj.to_dict) and not _is_pandas(obj):
        return jsonsafe(obj.to_dict())
    type_name = type(obj).__module__.split(".")[0]
    if type_name == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            return [jsonsafe(v) for v in obj.tolist()]
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return jsonsafe(float(obj))
        return jsonsafe(obj.item())
    if _is_pandas(obj):
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return [jsonsafe(r) for r in obj.to_dict(orient="records")]
        if isinstance(obj, pd.Series):
            return {str(k): jsonsafe(v) for k, v in obj.items()}
        if obj is pd.NA or obj is pd.NaT:
            return None
        if isinstance(obj, pd.Timestamp):
            return obj.isoformat()
    try:
        import pandas as pd

        if pd.isna(obj):
            return None
    except (TypeError, ValueError, ImportError):
        pass
    return str(obj)


def _is_pandas(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "pandas"


def dumps(obj: Any, **kwargs) -> str:
    """Deterministic JSON text of ``obj`` (sorted keys off, 2-space indent, UTF-8)."""
    kwargs.setdefault("indent", 2)
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(jsonsafe(obj), allow_nan=False, **kwargs)


class Result:
    """Base class of rsnprop's result objects.

    Subclasses implement :meth:`to_dict` and :meth:`to_frame`; :meth:`summary` and the HTML
    rendering have sensible defaults built from those.
    """

    title: str = "Result"

    def to_dict(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_frame(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def to_json(self, **kwargs) -> str:
        """JSON text of :meth:`to_dict`."""
        return dumps(self.to_dict(), **kwargs)

    def summary(self) -> str:
        """Plain-text summary (title and the table of :meth:`to_frame`)."""

        frame = self.to_frame()
        with pd.option_context("display.width", 120, "display.max_columns", 20,
                               "display.max_rows", 500, "display.float_format", "{:.3f}".format):
            body = frame.to_string(index=False) if isinstance(frame, pd.DataFrame) else str(frame)
        line = "=" * min(max(len(self.title), 20), 100)
        return f"{self.title}\n{line}\n{body}"

    def to_html(self) -> str:
        """HTML fragment (escaped) of :meth:`to_frame`."""
        frame = self.to_frame()
        return frame.to_html(index=False, float_format="{:.3f}".format, escape=True, border=0,
                             classes="rsnprop-table")

    def headline(self) -> list:
        """The few lines a reader needs before any table (subclasses override); empty here."""
        return []

    def _repr_html_(self) -> str:
        """Notebook display: :meth:`headline` first, then :meth:`to_html`."""

        head = self.headline()
        top = ("<ul class='rsnprop-headline'>" + "".join(f"<li>{escape(str(x))}</li>" for x in head) + "</ul>"
               if head else "")
        return top + self.to_html()

    def __repr__(self) -> str:
        """One line: the class, its title, the rows used of the rows given and the first headline."""
        parts = [str(self.title)]
        n, n_total = getattr(self, "n", None), getattr(self, "n_total", None)
        if isinstance(n, int):
            parts.append(f"n = {n}" + (f" of {n_total}" if isinstance(n_total, int) else ""))
        try:
            head = self.headline()
        except Exception:  # noqa: BLE001 - a repr must never fail
            head = []
        if head:
            parts.append(str(head[0]))
        return f"<{type(self).__name__}: {'; '.join(parts)}>"

    def __str__(self) -> str:
        return self.summary()
