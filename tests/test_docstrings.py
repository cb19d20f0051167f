"""Every docstring example in the package runs once and prints what it says (doctest).

Modules are collected once each (no duplicate items); modules without any example are not
collected as empty items, but the stages whose house rule is "every module has a runnable
example" (data, instrument, the SEM front end) are checked to have one.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings
from pathlib import Path

import pytest

import rsnprop

REPO = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

MODULES = sorted(m.name for m in pkgutil.walk_packages(rsnprop.__path__, "rsnprop.")
                 if m.name != "rsnprop.__main__")

# Modules that must carry at least one runnable example (house rule of these stages).
MUST_HAVE_EXAMPLES = [
    "rsnprop.data.read", "rsnprop.data.platforms", "rsnprop.data.rules", "rsnprop.data.recode",
    "rsnprop.data.validate", "rsnprop.data.careless", "rsnprop.data.eligibility",
    "rsnprop.data.classify", "rsnprop.data.missing", "rsnprop.data.log",
    "rsnprop.data.pipeline",
    "rsnprop.instrument", "rsnprop.instrument.schema", "rsnprop.instrument.model",
    "rsnprop.instrument.load", "rsnprop.instrument.hashing", "rsnprop.instrument.validate",
    "rsnprop.instrument.mapping", "rsnprop.instrument.scoring", "rsnprop.instrument.logic",
    "rsnprop.instrument.exporters.xlsform", "rsnprop.instrument.exporters.limesurvey",
    "rsnprop.instrument.exporters.qualtrics", "rsnprop.instrument.exporters.codebook",
    "rsnprop.instrument.exporters.questionnaire",
    "rsnprop.sem", "rsnprop.sem.api", "rsnprop.sem.group_invariance", "rsnprop.sem.results",
    "rsnprop.sem.syntax",
]


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)  # the module, even where a function shadows its name
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, name) if t.examples]


def _with_examples() -> list[str]:
    return [name for name in MODULES if _examples(name)]


def test_stages_with_the_example_rule_have_examples():
    missing = [name for name in MUST_HAVE_EXAMPLES if not _examples(name)]
    assert not missing, f"modules without a runnable docstring example: {missing}"


@pytest.mark.parametrize("name", _with_examples())
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(REPO)  # examples name files relative to the repository root
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in _examples(name):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
