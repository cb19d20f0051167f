"""SEM engine: lavaan syntax, ML/MLR/FIML/WLSMV estimation, multigroup invariance, bootstrap.

>>> from rsnprop.sem import fit
>>> from rsnprop.sem.datasets import holzinger_swineford
>>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
...           holzinger_swineford())
>>> round(res.fit["rmsea"], 3)
0.092
"""

from __future__ import annotations

from .api import fit
from .invariance import invariance  # noqa: E402  (the function shadows the module name)

__all__ = ["fit", "invariance"]
