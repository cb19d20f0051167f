"""The multiple choices' texts from a table of every pattern are those of the distinct patterns
(issue 21, twelfth round): :func:`rsnprop.simulate.answers._pattern_text` with at most 12
choices takes each row's text from a table of the 2 ** k patterns' texts, written as they are
met, instead of sorting the rows' patterns; the reference is the previous code."""

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
