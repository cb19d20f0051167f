import json
import math
import os
import stat

import numpy as np
import pandas as pd

from rsnprop.io import atomic_write, sha256_bytes, sha256_file
from rsnprop.results import Result, dumps, jsonsafe


class _Toy(Result):
    title = "Toy <result>"

    def to_dict(self):
        return {"x": np.float64(1.5), "bad": float("nan")}

    def to_frame(self):
        return pd.DataFrame({"name": ["<b>"], "value": [0.12345]})


def test_jsonsafe_converts_numpy_pandas_and_nan():
    data = {"a": np.int64(2), "b": np.array([1.0, np.nan]), "c": pd.DataFrame({"x": [1, 2]}),
            "d": pd.Series({"k": np.inf}), "e": {3, 1, 2}, "f": np.bool_(True), "g": pd.NA}
    out = jsonsafe(data)
    assert out == {"a": 2, "b": [1.0, None], "c": [{"x": 1}, {"x": 2}], "d": {"k": None},
                   "e": [1, 2, 3], "f": True, "g": None}
    json.dumps(out, allow_nan=False)


def test_result_renders_text_json_html_escaped():
    res = _Toy()
    assert json.loads(res.to_json()) == {"x": 1.5, "bad": None}
    assert "Toy <result>" in res.summary() and "0.123" in res.summary()
    html = res._repr_html_()
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_dumps_is_deterministic():
    assert dumps({"b": 1, "a": [math.pi]}) == dumps({"b": 1, "a": [math.pi]})


def test_atomic_write_and_hashes(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write(target, "héllo")
    assert target.read_text(encoding="utf-8") == "héllo"
    assert sha256_file(target) == sha256_bytes("héllo")
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]  # no temporary left
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
