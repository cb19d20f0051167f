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


def test_repr_is_one_line_and_html_shows_the_headline_first():
    """Every result: repr() a one-line description (never '<... object at 0x...>'); the notebook
    display starts with the headline numbers, then the tables."""
    import warnings

    from rsnprop.datasets import holzinger_swineford
    from rsnprop.measure import alpha
    from rsnprop.propositions import test_propositions
    from rsnprop.propositions.plan import StudyPlan
    from rsnprop.propositions.synthetic import synthetic_clean
    from rsnprop.sem import fit, invariance

    hs = holzinger_swineford()
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [_Toy(), fit(model, hs), invariance(model, hs, "school", levels=("configural", "metric", "scalar")),
                   alpha(hs, ["x1", "x2", "x3"], n_boot=0),
                   test_propositions(synthetic_clean(150, "p1p2", 0.5, seed=3), StudyPlan(name="x"),
                                     secondary=False, latent=False)]
    for res in results:
        r = repr(res)
        assert "\n" not in r and " object at 0x" not in r and r.startswith(f"<{type(res).__name__}"), r
    inv, rel, prop = results[2], results[3], results[4]
    assert "level held 'metric'" in repr(inv)
    for res, first in ((inv, "level held: metric"), (rel, "alpha = "), (prop, "P1: ")):
        html = res._repr_html_()
        assert first in html and html.index(first) < html.index("<table"), (type(res).__name__, html[:300])
    assert any(h.startswith("rule: Chen (2007)") for h in inv.headline())
    assert any("latent mean differences" in h for h in inv.headline())
    assert "omega" not in rel.headline()[0] and rel.headline()[0].startswith("alpha = ")
