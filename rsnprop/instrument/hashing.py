"""Content hash of an instrument: sha256 of a canonical JSON dump of the parsed content.

The hash depends on what the instrument *says* (ids, texts, scales, codes, skip logic,
sources...), not on how the YAML file is laid out: comments, key order, quoting styles and
line folding do not change it.

Examples
--------
>>> from rsnprop.instrument.hashing import canonical_json
>>> canonical_json({"b": 1, "a": [1, 2]})
'{"a":[1,2],"b":1}'
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "content_hash"]


def canonical_json(obj: Any) -> str:
    """Compact JSON with sorted keys and no ASCII escaping (the hashed representation)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def content_hash(spec) -> str:
    """Hex sha256 of the canonical JSON of a parsed :class:`InstrumentSpec` (or a dict)."""
    data = spec.model_dump(mode="json") if hasattr(spec, "model_dump") else spec
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
