"""Merging of nested plan settings, apart from :mod:`.multiverse` so that reading a plan
(:mod:`.plan`) does not import the tests (`rsnprop clean --plan` only reads it).

>>> deep_merge({"cleaning": {"a": 1}}, {"cleaning": {"b": 2}})
{'cleaning': {'a': 1, 'b': 2}}
"""

from __future__ import annotations

__all__ = ["deep_merge"]


def deep_merge(base: dict, over: dict) -> dict:
    """``base`` updated recursively with ``over`` (neither is modified).

    >>> deep_merge({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}})
    {'a': {'x': 1, 'y': 3}, 'b': 1}
    """
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out
