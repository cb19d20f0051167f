"""The base class of the measurement results that hold a set of named statistics.

Each statistic is an attribute (``res.omega_h``); :meth:`~NamedStatistics.to_dict` gives
them all, JSON-safe, under the same names and in the same order as the dictionaries these
functions returned before they returned result objects.  For the transition, a result can
still be indexed like that dictionary (``res["omega_h"]``, ``"omega_h" in res``,
``res.get("omega_h")``, ``dict(res)``); new code should use the attributes.

Examples
--------
>>> class Shares(NamedStatistics):
...     title = "Shares"
...     def to_frame(self):
...         import pandas as pd
...         return pd.DataFrame([{"a": self.a, "b": self.b}])
>>> res = Shares({"a": 0.25, "b": float("nan")})
>>> res.a, res["a"], res.to_dict()
(0.25, 0.25, {'a': 0.25, 'b': None})
"""

from __future__ import annotations

from ..results import Result, jsonsafe

__all__ = ["NamedStatistics"]


class NamedStatistics(Result):
    """A :class:`~rsnprop.results.Result` made of named statistics (attributes).

    Subclasses set ``title`` and implement :meth:`to_frame` (the table printed by
    :meth:`summary` and rendered by :meth:`to_html`).
    """

    title = "Statistics"

    def __init__(self, values: dict):
        self.__dict__["_values"] = dict(values)

    def __getattr__(self, name):
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict:
        """Every statistic, JSON-safe (arrays as lists, NaN as null)."""
        return jsonsafe(self._values)

    def keys(self):
        """Names of the statistics (``dict(res)`` and ``**res`` work)."""
        return self._values.keys()

    def __getitem__(self, name):
        return self._values[name]

    def __contains__(self, name) -> bool:
        return name in self._values

    def get(self, name, default=None):
        """The statistic ``name``, or ``default`` when the result has none of that name."""
        return self._values.get(name, default)
