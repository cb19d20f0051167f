"""Proposition tests: study plan, tests, decision rules, verdicts, multiverse.

P1 (traditional SMEs lean informational) and P2 (born globals lean relational) are tested
on the within-firm contrast ``D = relational - informational``:

* P1: one-sided paired test ``informational > relational`` among traditional firms
  (+ TOST against the SESOI for "equivalent");
* P2: one-sided paired test ``relational > informational`` among born globals (+ TOST);
* joint: the interaction born global x benefit type (D higher among born globals).

Holm (or the plan's correction) over {P1, P2, joint}; verdicts ``supported``,
``contradicted``, ``equivalent`` or ``inconclusive`` (rules in
:mod:`rsnprop.propositions.decide`; JSON keys in :mod:`rsnprop.propositions.result`).

The flow goes one way (docs/reporting-propositions.md): :func:`test_propositions`
(:mod:`.study`) -> :func:`evaluate_spec` (:mod:`.evaluate`): prepare the analysis frame(s)
(:mod:`.prepare`, or :mod:`.imputation` for ``missing: multiple_imputation``: the one
interchangeable missing-data step) -> run the tests of each hypothesis (:mod:`.primary`) ->
pool (a no-op without imputation) -> decide (:mod:`.decide`) -> result (secondary evidence,
languages, multiverse; :mod:`.result`).

Examples
--------
>>> from rsnprop.propositions import load_plan, test_propositions   # doctest: +SKIP
>>> res = test_propositions(clean_df, load_plan("analysis/study.yaml"))   # doctest: +SKIP
>>> res.verdicts   # doctest: +SKIP
{'P1': 'supported', 'P2': 'supported', 'joint': 'supported'}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for static readers (type checkers, the API reference of mkdocstrings)
    from .evaluate import evaluate_spec
    from .plan import StudyPlan, load_plan, plan_from_dict
    from .study import test_propositions

# public name -> module that defines it, loaded on first use: `rsnprop clean --plan` reads the
# plan (.plan: pydantic only) without importing the tests (pingouin, statsmodels, matplotlib)
_LAZY = {"StudyPlan": ".plan", "load_plan": ".plan", "plan_from_dict": ".plan",
         "test_propositions": ".study", "evaluate_spec": ".evaluate"}

__all__ = ["StudyPlan", "load_plan", "plan_from_dict", "test_propositions", "evaluate_spec"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        if name == "test_propositions":
            value.__test__ = False  # not a pytest test function despite its name
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
