"""Reading and cleaning survey data: any survey export in, an analysis-ready data set and a
complete cleaning log out.

Public API (loaded lazily, so ``import rsnprop.data`` is cheap):

* :func:`read_table` -- CSV (any encoding/delimiter/decimal mark), XLSX, SPSS, Parquet,
  platform exports mapped to item ids;
* :func:`clean` -- the orchestrating pure function (:mod:`.pipeline`), returning a
  :class:`CleaningResult`;
* :class:`CleaningRules` -- the ``cleaning:`` section of the study plan (documented defaults);
* the building blocks: :mod:`.validate`, :mod:`.recode`, :mod:`.careless`,
  :mod:`.eligibility`, :mod:`.classify`, :mod:`.missing`, and the steps of :func:`clean`
  (:mod:`.columns`, :mod:`.item_values`, :mod:`.skip_logic`, :mod:`.consistency`,
  :mod:`.duplicates`, :mod:`.careless_screen`, :mod:`.missing_screen`,
  :mod:`.analysis_data`, :mod:`.log`).

No function of this package has the name of one of its modules.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "read_table": "rsnprop.data.read",
    "detect_encoding": "rsnprop.data.read",
    "detect_delimiter": "rsnprop.data.read",
    "map_platform_columns": "rsnprop.data.platforms",
    "CleaningRules": "rsnprop.data.rules",
    "careless_indices": "rsnprop.data.careless",
    "longstring": "rsnprop.data.careless",
    "irv": "rsnprop.data.careless",
    "mahad": "rsnprop.data.careless",
    "evenodd": "rsnprop.data.careless",
    "psychsyn": "rsnprop.data.careless",
    "irv_split": "rsnprop.data.careless",
    "person_total": "rsnprop.data.careless",
    "pattern": "rsnprop.data.careless",
    "classify_born_global": "rsnprop.data.classify",
    "check_eligibility": "rsnprop.data.eligibility",
    "missing_summary": "rsnprop.data.missing",
    "little_mcar_test": "rsnprop.data.missing",
    "multiple_imputation": "rsnprop.data.missing",
    "pool_rubin": "rsnprop.data.missing",
}

# ``clean`` and its result are bound eagerly, as before the module was renamed (it imports
# nothing heavy).
from .pipeline import CleaningResult, clean  # noqa: E402, F401  (re-exported in __all__)

__all__ = sorted([*_LAZY, "clean", "CleaningResult"])


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rsnprop.data' has no attribute {name!r}")


def __dir__():
    return __all__
