"""The shape of rsnprop.measure's public API: modules are not shadowed by functions, and every
public function returns a result object whose to_dict() keeps the keys of the dictionaries
these functions used to return (measurement.json and the CLI JSON are unchanged)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import types
import warnings

import numpy as np
import pytest

import rsnprop.measure as measure
from rsnprop.datasets import holzinger_swineford
from rsnprop.results import Result, dumps

HS = [f"x{i}" for i in range(1, 10)]
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    return holzinger_swineford()


def test_every_submodule_is_an_attribute_module():
    for info in pkgutil.iter_modules(measure.__path__):
        importlib.import_module(f"rsnprop.measure.{info.name}")
        assert isinstance(getattr(measure, info.name), types.ModuleType), info.name
    assert isinstance(measure.pipeline, types.ModuleType)
    assert measure.reliability is measure.alpha    # the function alias; no module of that name


def _calls(hs):
    r = hs[HS].corr().to_numpy()
    marked = hs.assign(marker=np.arange(len(hs)) % 7)
    return {
        "kmo": lambda: measure.kmo(r),
        "bartlett": lambda: measure.bartlett(r, len(hs)),
        "parallel_analysis": lambda: measure.parallel_analysis(hs, HS, n_iter=3, seed=1),
        "fa_matrix": lambda: measure.fa_matrix(r, 3, n_obs=len(hs)),
        "schmid": lambda: measure.schmid(r, 3),
        "omega_from_matrix": lambda: measure.omega_from_matrix(r, 3),
        "omega": lambda: measure.omega(hs, HS, nfactors=3),
        "polychoric": lambda: measure.polychoric(hs[["x1", "x2", "x3"]].round().clip(1, 8)),
        "htmt": lambda: measure.htmt(hs, HS_MODEL, n_boot=0),
        "harman": lambda: measure.harman(hs, HS),
        "marker_variable": lambda: measure.marker_variable(marked, HS, "marker"),
        "common_latent_factor": lambda: measure.common_latent_factor(hs, HS_MODEL),
        "alpha": lambda: measure.alpha(hs, HS[:3], n_boot=0),
        "efa": lambda: measure.efa(hs, HS, nfactors=3, n_iter=3),
        "validity": lambda: measure.validity(hs, HS_MODEL, n_boot=0),
    }


@pytest.mark.parametrize("name", ["kmo", "bartlett", "parallel_analysis", "fa_matrix", "schmid",
                                  "omega_from_matrix", "omega", "polychoric", "htmt", "harman",
                                  "marker_variable", "common_latent_factor", "alpha", "efa",
                                  "validity"])
def test_public_functions_return_results(name, hs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _calls(hs)[name]()
    assert isinstance(res, Result)
    json.loads(dumps(res.to_dict()))              # JSON-safe
    assert len(res.to_frame()) > 0
    assert res.summary().startswith(res.title)
    assert "<table" in res._repr_html_()


def test_named_statistics_read_as_attributes_and_as_the_old_keys(hs):
    res = measure.harman(hs, HS)
    assert res.pc_share == res["pc_share"] and "concern" in res and res.get("nope") is None
    assert list(res.to_dict()) == ["n", "n_items", "fa_share", "pc_share", "threshold", "concern",
                                   "limits", "warnings"]
    assert dict(res)["n"] == len(hs)
    om = measure.omega(hs, HS, nfactors=3)
    assert list(om.to_dict())[:3] == ["nfactors", "omega_h", "omega_total"]
    assert list(om.to_dict())[-4:] == ["correlation", "n", "missing", "items"]
