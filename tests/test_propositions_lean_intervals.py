"""A power replication leaves out the d_z interval of the primary rows and nothing else.

``lean_tests(effect_intervals=False)`` (entered by :func:`rsnprop.power.pipeline.one_replication`
unless ``full``) skips the noncentral-t interval of the within-group d_z: every other field of
every evidence row, the verdicts and the reasons stay the same, and d_z is the same float
(issue 21).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from rsnprop.propositions import load_plan, test_propositions
from rsnprop.propositions.lean import effect_intervals, lean_tests
from rsnprop.propositions.synthetic import synthetic_clean

REPO = Path(__file__).resolve().parents[1]


def _result(data, plan, **kw):
    with warnings.catch_warnings(), lean_tests(**kw):
        warnings.simplefilter("ignore")
        return test_propositions(data, plan, secondary=False, latent=False, multiverse=False)


@pytest.mark.parametrize("seed, n, d", [(1, 300, 0.5), (2, 80, 0.0), (3, 40, 1.2), (4, 12, 0.3)])
def test_only_the_dz_interval_is_left_out(seed, n, d):
    plan = load_plan(REPO / "analysis/study.yaml")
    data = synthetic_clean(n=n, d=d, seed=seed)
    full, lean = _result(data, plan), _result(data, plan, effect_intervals=False)
    assert full.verdicts == lean.verdicts
    a, b = full.to_dict(), lean.to_dict()
    left_out = 0
    for key in ("P1", "P2"):
        for ra, rb in zip(a["propositions"][key]["evidence"], b["propositions"][key]["evidence"],
                          strict=True):
            if ra.get("role") == "primary" and ra.get("effect_size_name") == "dz" \
                    and ra["es_ci_lower"] is not None:
                assert rb["es_ci_lower"] is None and rb["es_ci_upper"] is None
                left_out += 1
                ra, rb = dict(ra, es_ci_lower=None, es_ci_upper=None), dict(rb)
            assert repr(ra) == repr(rb)      # d_z and every other field, to the bit
    assert left_out >= (2 if n >= 40 else 0)
    a["propositions"] = b["propositions"] = a["effects"] = b["effects"] = None
    assert repr(a) == repr(b)


def test_the_intervals_come_back_after_the_block():
    assert effect_intervals()
    with lean_tests(effect_intervals=False):
        assert not effect_intervals()
        with lean_tests():
            assert effect_intervals()
        assert not effect_intervals()
    assert effect_intervals()
