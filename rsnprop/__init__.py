"""rsnprop: test how SMEs use digital social networks (RSN) for internationalisation.

P1: traditional (Uppsala-type) SMEs use RSN mainly for informational benefits.
P2: born globals use RSN mainly for relational benefits.

Heavy libraries are imported lazily: ``import rsnprop`` is cheap, and the public
functions below are loaded on first use.

>>> import rsnprop
>>> rsnprop.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (loaded on first attribute access)
_LAZY = {
    "load_instrument": "rsnprop.instrument",
    "read_table": "rsnprop.data",
    "clean": "rsnprop.data",
    "reliability": "rsnprop.measure",
    "fit": "rsnprop.sem",
    "invariance": "rsnprop.sem",
    "load_plan": "rsnprop.propositions",
    "test_propositions": "rsnprop.propositions",
    "simulate_study": "rsnprop.simulate",
    "write_report": "rsnprop.report",
    "load_result": "rsnprop.schemas",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rsnprop' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
