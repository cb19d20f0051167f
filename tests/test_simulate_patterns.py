"""The simulator's multiple choices and export columns (issue 21, twelfth round).

:func:`rsnprop.simulate.answers._pattern_text` with at most 12 choices takes each row's text
from a table of the 2 ** k patterns' texts, written as they are met, instead of sorting the
rows' patterns; :func:`rsnprop.simulate.study._export_columns` permutes the float columns as
one block.  The references are the previous code."""

from __future__ import annotations

import numpy as np
import pytest

from rsnprop.simulate import answers


def _reference(hits, codes):
    """The previous _pattern_text (main db8071e) without its memo."""
    k = hits.shape[1]
    key = hits.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
    pats, inv = np.unique(key, return_inverse=True)
    names = [str(c) for c in codes]
    text = np.empty(len(pats), dtype=object)
    for m, b in enumerate(pats.tolist()):
        text[m] = " ".join(c for j, c in enumerate(names) if (b >> j) & 1)
    return text[np.asarray(inv).reshape(-1)]


@pytest.mark.parametrize("k", [0, 1, 2, 5, 9, 12, 13, 20])
@pytest.mark.parametrize("n", [0, 1, 2, 300])
def test_the_table_gives_the_texts_of_the_patterns(k, n):
    rng = np.random.default_rng(100 * k + n)
    codes = [f"c{j}" if j % 3 else j for j in range(k)]          # text and numbers
    for p in (0.5, 0.1, 0.9):                                    # the table reused, new patterns met
        hits = rng.random((n, k)) < p
        got, ref = answers._pattern_text(hits, codes), _reference(hits, codes)
        assert got.dtype == object and got.shape == ref.shape == (n,)
        assert got.tolist() == ref.tolist()
        assert {type(x) for x in got} <= {str}


def test_codes_alike_in_str_share_a_table_others_not():
    hits = np.array([[True, False], [True, True], [False, False]])
    assert answers._pattern_text(hits, [1, 2]).tolist() == ["1", "1 2", ""]
    assert answers._pattern_text(hits, ["1", "2"]).tolist() == ["1", "1 2", ""]
    assert answers._pattern_text(hits, ["a", "b"]).tolist() == ["a", "a b", ""]
    assert answers._pattern_text(hits[:, ::-1], ["a", "b"]).tolist() == ["b", "a b", ""]


def _old_export_columns(values, meta, careless, sc, n, rng):
    """The previous _export_columns (main db8071e): each column permuted on its own."""
    import pandas as pd

    from rsnprop.simulate import study

    n_shown = study._answered_count(values, n)
    speed = np.exp(np.log(6.0) + 0.35 * rng.standard_normal(n))
    speed = np.where(careless == "speeder", 1.0 + rng.random(n), speed)
    speed = np.where(careless == "straightline", speed * 0.5, speed)
    speed = np.where(np.isin(careless, ["midpoint", "diagonal", "pattern"]), speed * 0.6, speed)
    duration = np.round(40 + n_shown * speed).astype(int)
    start = pd.Timestamp(f"{sc.facts.survey_year}-03-02 08:00:00")
    offsets = np.sort(np.floor(rng.random(n) * 60 * 86400)).astype("int64")
    submitted = study.submission_text(start.to_datetime64(), offsets)
    perm = rng.permutation(n)
    out = {"resp_id": study.resp_ids(n, study.SIMULATED_PREFIX), "submitted_at": submitted,
           "duration_sec": duration[perm]}
    if "survey_year" in [i for i, t in meta.type.items() if t == "meta"]:
        out["survey_year"] = np.full(n, sc.facts.survey_year)
    for iid in meta.type:
        if iid in values:
            out[iid] = values[iid][perm]
    return out, perm


@pytest.mark.parametrize("n", [1, 2, 40])
def test_the_export_columns_permuted_as_one_block(n):
    """The float columns permuted as one block are each column permuted (values, dtypes,
    durations), beside float32, int, object and NaN columns."""
    from types import SimpleNamespace as NS

    from rsnprop.simulate import study
    from rsnprop.simulate.scenarios import get_scenario

    rng = np.random.default_rng(n)
    values = {"a": rng.random(n), "b": rng.random(n).astype(np.float32), "c": np.arange(n),
              "d": np.where(rng.random(n) < 0.5, np.nan, 1.0), "t": np.array(["x", None] * n, dtype=object)[:n],
              "e": rng.random(n)}
    meta = NS(type={"survey_year": "meta", "e": "likert", "a": "likert", "b": "decimal", "c": "integer",
                    "d": "likert", "t": "text", "z": "likert"})
    careless = np.array(["", "speeder", "pattern"] * n, dtype=object)[:n]
    sc = get_scenario("p1p2")
    new, p1 = study._export_columns(values, meta, careless, sc, n, np.random.default_rng(9))
    ref, p2 = _old_export_columns(values, meta, careless, sc, n, np.random.default_rng(9))
    assert list(new) == list(ref) and np.array_equal(p1, p2)
    for k in ref:
        a, b = np.asarray(new[k]), np.asarray(ref[k])
        assert a.dtype == b.dtype, k
        assert np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f" else a.tolist() == b.tolist(), k
