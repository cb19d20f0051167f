"""The runnable examples in the instrument modules' docstrings (house rule: they must run)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "rsnprop.instrument", "rsnprop.instrument.schema", "rsnprop.instrument.model",
    "rsnprop.instrument.load", "rsnprop.instrument.hashing", "rsnprop.instrument.validate",
    "rsnprop.instrument.mapping", "rsnprop.instrument.scoring", "rsnprop.instrument.logic",
    "rsnprop.instrument.export.codes", "rsnprop.instrument.export.xlsform",
    "rsnprop.instrument.export.limesurvey", "rsnprop.instrument.export.qualtrics",
    "rsnprop.instrument.export.codebook", "rsnprop.instrument.export.questionnaire",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "rsnprop.instrument.export.codes":
        assert result.attempted > 0, f"{name} has no runnable example"
