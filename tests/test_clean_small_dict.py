"""Tenth round (h10-pclean): the consolidated frame built from its blocks
(:func:`rsnprop.data.small_frames.frame_of_dict`) against ``pd.DataFrame(dict)``, the
classification's frame against the constructor's, and the label maps kept per item against
their making."""

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import classify, recode
from rsnprop.data.small_frames import frame_of_dict
from rsnprop.instrument import load_instrument

from test_clean_small_frames import assert_same_frame, random_columns


@pytest.mark.parametrize("n", [1, 2, 5, 300])
def test_frame_of_dict_is_the_constructor(n):
    rng = np.random.default_rng(n)
    for _ in range(25):
        cols = random_columns(rng, n)
        if rng.random() < 0.8:
            cols.pop("when")                 # (datetimes: the constructor itself)
        extra = {"x2": rng.normal(size=n), "row2": np.arange(n),
                 "s2": np.array([None if rng.random() < 0.5 else "a" for _ in range(n)],
                                dtype=object)}
        names = list(cols) + [k for k in extra if rng.random() < 0.7]
        rng.shuffle(names)
        cols = {k: (cols | extra)[k] for k in names}
        want = pd.DataFrame(cols)
        got = frame_of_dict(cols, n)
        assert_same_frame(got, want)
        for v in cols.values():             # a copy, as the constructor's
            if v.dtype == np.float64:
                v[0] = 12345.0
        assert_same_frame(got, want)


def test_frame_of_dict_falls_back():
    assert_same_frame(frame_of_dict({"a": [1, 2]}, 2), pd.DataFrame({"a": [1, 2]}))
    assert_same_frame(frame_of_dict({1: np.ones(2)}, 2), pd.DataFrame({1: np.ones(2)}))


@pytest.mark.parametrize("n", [1, 3, 300])
def test_classification_frame_is_the_constructor(n, monkeypatch):
    rng = np.random.default_rng(n)
    facts = {c: np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 4, n).astype(float))
             for c in classify.FACT_INPUTS}
    facts["founding_year"] = 2000 + rng.integers(0, 20, n).astype(float)
    facts["first_foreign_sale_year"] = facts["founding_year"] + rng.integers(0, 9, n)
    facts["foreign_share_y3"] = rng.random(n)
    for drop in ([], ["phase", "distant_markets"], list(classify.FACT_INPUTS)):
        part = {k: v for k, v in facts.items() if k not in drop}
        got = classify.classify_born_global(part, index=pd.RangeIndex(n))
        monkeypatch.setattr(classify, "_SMALL", -1)
        want = classify.classify_born_global(part, index=pd.RangeIndex(n))
        monkeypatch.undo()
        assert_same_frame(got, want)


def test_label_maps_kept_per_item_are_their_making():
    ins = load_instrument("instruments/rsn_internationalisation.yaml")
    for it in ins.items.values():
        first, again = recode.label_map(it), recode.label_map(it)
        assert first == again == recode._label_map(it)
        first["changed by a caller"] = 1            # a copy each time
        assert "changed by a caller" not in recode.label_map(it)


def test_survey_language_text_of_arrow_strings_is_the_factorisation():
    from rsnprop.data.survey_language import _distinct_text
    rng = np.random.default_rng(0)
    pool = ["fr", "en", "EN", "fr-BE", "French (fr)", "", " de ", None, "x"]
    for _ in range(200):
        v = [pool[i] for i in rng.integers(0, len(pool), int(rng.integers(1, 50)))]
        for dt in ("str", "string[pyarrow]", object):
            s = pd.Series(v, dtype=dt)
            inv, uniq = _distinct_text(s)
            codes, u = pd.factorize(np.asarray(s.to_numpy(dtype=object)), use_na_sentinel=True)
            want = [str(x) for x in u] + [""]
            assert uniq == want
            np.testing.assert_array_equal(inv, np.where(codes < 0, len(want) - 1, codes))
