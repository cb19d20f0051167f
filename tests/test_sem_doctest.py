"""The examples in rsnprop.sem's docstrings run and give the documented (lavaan) numbers."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["rsnprop.sem", "rsnprop.sem.api", "rsnprop.sem.invariance", "rsnprop.sem.results",
                                  "rsnprop.sem.syntax"])
def test_docstring_examples(name):
    module = importlib.import_module(name)  # the module, even where a function shadows its name
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
