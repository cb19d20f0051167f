"""The multiverse's cells run their invariance checks within
:func:`rsnprop.propositions.measurement.verdicts_only` (issue 21: the study rebuild): a cell keeps
only the check's level and items set aside (and the verdicts the policy derives from them), which
the lean path computes as the full one does (full fits again when a decision is within rounding,
:func:`rsnprop.sem.invariance_steps.close_call`).  The grid must be the bytes of the grid whose
checks run in full detail."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import pytest

from rsnprop.propositions import load_plan
from rsnprop.propositions import measurement as meas_module
from rsnprop.propositions import multiverse as mv_module
from rsnprop.propositions.multiverse import run_multiverse
from rsnprop.results import dumps

ROOT = Path(__file__).resolve().parents[1]


def _plan():
    return load_plan(ROOT / "analysis" / "study.yaml").with_(multiverse={
        "born_global_definitions": ["bg_ms20", "bg_kc25"], "careless": [{"name": "as_cleaned"}],
        "missing": ["available", "complete_cases"], "estimators": ["t"], "controls": [False],
        "measurement_policies": ["partial", "inconclusive"]})


def _data(seed, size):
    from rsnprop.data import clean
    from rsnprop.instrument import load_instrument
    from rsnprop.simulate import simulate_study

    ins = load_instrument(ROOT / "instruments" / "rsn_internationalisation.yaml")
    dif = {"base": "null", "name": "dif2", "dif": [{"scale": "relational", "k": 2, "size": size,
                                                    "group": "born_global"}]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clean(simulate_study(ins, dif, n=300, seed=seed), ins, _plan().cleaning).data


def test_the_cells_check_for_their_verdicts_only(monkeypatch):
    seen = []
    original = mv_module.evaluate_spec

    def spy(*args, **kwargs):
        seen.append(meas_module._DETAIL.get())
        return original(*args, **kwargs)

    monkeypatch.setattr(mv_module, "evaluate_spec", spy)
    run_multiverse(_data(2, 1.0), _plan(), jobs=1)
    assert seen and not any(seen)
    assert meas_module._DETAIL.get()            # and back to the full detail after the grid


@pytest.mark.parametrize("seed,size", [(2, 1.0), (5, 0.6), (8, 0.0)])
def test_grid_is_the_grid_of_the_full_checks(monkeypatch, seed, size):
    df, plan = _data(seed, size), _plan()
    lean = run_multiverse(df, plan, jobs=1)
    with monkeypatch.context() as m:
        m.setattr(mv_module, "verdicts_only", contextlib.nullcontext)
        full = run_multiverse(df, plan, jobs=1)
    assert lean["n_available"] > 0
    if size == 1.0:     # the dif items were found: the policies' paths are compared
        assert any(r["items_set_aside"] for r in full["specifications"])
    assert dumps(lean) == dumps(full)
