"""The runnable examples in the rsnprop.data modules' docstrings (house rule: they must run)."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

MODULES = [
    "rsnprop.data.read", "rsnprop.data.platforms", "rsnprop.data.rules", "rsnprop.data.recode",
    "rsnprop.data.validate", "rsnprop.data.careless", "rsnprop.data.eligibility",
    "rsnprop.data.classify", "rsnprop.data.scores", "rsnprop.data.missing", "rsnprop.data.log",
    "rsnprop.data.clean",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no runnable example"
