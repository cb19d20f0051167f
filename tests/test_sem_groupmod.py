"""Per-group modifier vectors (``c(a, b)*x``, ``c(0, NA)*1``, ``start(c(...))``) in multigroup
models, against lavaan 0.6.14 (tests/reference/sem_groupmod.R -> sem_groupmod.json, HS by school).

For every reference model the parameter table must match ``parTable(fit)`` exactly (free or
fixed, fixed values, user start values, labels, which rows are one parameter), and the estimates,
SEs, standardised values, defined parameters (``:=``) and fit measures within 5e-4 (as
tests/test_sem_ml.py; in practice below 2e-5).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from sem_refs import REF, estimate_diffs, fit_diffs, hs_data, load, max_diff  # noqa: E402

from rsnprop.errors import ModelSyntaxError, RsnpropWarning  # noqa: E402
from rsnprop.sem import fit  # noqa: E402
from rsnprop.sem.partable import build_partable  # noqa: E402
from rsnprop.sem.syntax import parse  # noqa: E402

TOL = 5e-4
REFS = load("sem_groupmod.json")
MODELS = sorted(REFS["models"])


@pytest.fixture(scope="module")
def hs():
    return hs_data()


def _group_equal(block):
    ge = block.get("group_equal") or []
    return [ge] if isinstance(ge, str) else list(ge)


def _lavaan_rows(partable):
    """(lhs, op, rhs, group) -> (free, fixed value, user start, label, equality class) of parTable()."""
    pt = pd.DataFrame(partable)
    parent: dict = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    first_plabel = {}
    for r in pt.itertuples():
        if r.label and not r.label.startswith(".p"):
            first_plabel.setdefault(r.label, r.plabel)
    for r in pt[pt.op == "=="].itertuples():
        a, b = first_plabel.get(r.lhs, r.lhs), first_plabel.get(r.rhs, r.rhs)
        parent[find(b)] = find(a)
    out = {}
    for r in pt[~pt.op.isin(["==", ":="])].itertuples():
        free = r.free > 0
        ustart = None if r.ustart is None or pd.isna(r.ustart) else float(r.ustart)
        label = "" if not r.label or r.label.startswith(".p") else r.label
        out[(r.lhs, r.op, r.rhs, int(r.group))] = (free, None if free else ustart, ustart if free else None,
                                                     label, find(r.plabel))
    return out


def _our_rows(pt):
    out = {}
    for r in pt.rows:
        key = (r.lhs, r.op, r.rhs, r.group)
        if r.op == "~~" and r.lhs > r.rhs:
            key = (r.rhs, r.op, r.lhs, r.group)
        free = r.par >= 0
        out[key] = (free, None if free else r.value, r.start_user if free else None, r.label, r.par)
    return out


@pytest.mark.parametrize("name", MODELS)
def test_partable_matches_lavaan(name):
    block = REFS["models"][name]
    pt = build_partable(block["model"], ngroups=2, meanstructure=True, group_equal=_group_equal(block))
    lav = _lavaan_rows(block["partable"])
    ours = _our_rows(pt)
    norm = {((k[2], k[1], k[0], k[3]) if k[1] == "~~" and k[0] > k[2] else k): v for k, v in lav.items()}
    assert set(ours) == set(norm)
    for k, (free, value, start, label, _) in norm.items():
        mine = ours[k]
        assert mine[0] == free, k
        if not free and value is not None:
            assert mine[1] == pytest.approx(value, abs=1e-12), k
        if free and start is not None:
            assert mine[2] == pytest.approx(start, abs=1e-12), k
        assert mine[3] == label, k
    # the same partition of the free rows into parameters
    free_keys = [k for k, v in norm.items() if v[0]]
    lav_classes = {frozenset(k for k in free_keys if norm[k][4] == c) for c in {norm[k][4] for k in free_keys}}
    our_classes = {frozenset(k for k in free_keys if ours[k][4] == c) for c in {ours[k][4] for k in free_keys}}
    assert lav_classes == our_classes
    assert pt.npar == block["fit"]["npar"]


@pytest.mark.parametrize("name", MODELS)
def test_estimates_and_fit_match_lavaan(hs, name):
    block = REFS["models"][name]
    res = fit(block["model"], hs, group="school", group_equal=_group_equal(block))
    assert res.converged and res.groups == ["Pasteur", "Grant-White"]
    d = max_diff(estimate_diffs(res.estimates, block["estimates"],
                                cols=("est", "se", "std_all", "std_lv", "z", "ci_lower", "ci_upper")))
    assert d and all(v < TOL for v in d.values()), d
    f = fit_diffs(res.fit, block["fit"])
    bad = {k: v for k, v in f.items() if v > (5e-3 if k in ("aic", "bic", "loglik", "loglik_h1") else TOL)}
    assert not bad, bad
    n_defined = sum(r["op"] == ":=" for r in block["estimates"])
    assert (res.estimates.op == ":=").sum() == n_defined


def test_scalar_by_hand_equals_group_equal(hs):
    """Labels c(l, l) for loadings and intercepts with c(0, NA)*1 latent means reproduce
    group_equal=["loadings", "intercepts"] (lavaan's scalar model, tests/reference/sem_hs.json)."""
    scalar = load("sem_hs.json")["invariance"]["scalar"]["fit"]
    res = fit(REFS["models"]["scalar_by_hand"]["model"], hs, group="school")
    assert res.fit["chi2"] == pytest.approx(scalar["chisq"], abs=1e-4) and res.fit["df"] == scalar["df"]


def test_defined_difference_of_group_labels(hs):
    res = fit(REFS["models"]["diff"]["model"], hs, group="school")
    est = res.estimates
    a1 = est[(est.label == "a1")].est.iloc[0]
    a2 = est[(est.label == "a2")].est.iloc[0]
    assert est[est.lhs == "d_x2"].est.iloc[0] == pytest.approx(a1 - a2, abs=1e-12)


def test_wrong_vector_length_is_a_clear_error(hs):
    ref = REFS["wrong_length"]
    assert "wrong number of arguments in modifier" in ref["message"]  # lavaan refuses it too
    with pytest.raises(ModelSyntaxError) as err:
        fit(ref["model"], hs, group="school")
    msg = str(err.value)
    assert "c(a, b, c)" in msg and "visual =~ x2" in msg and "3 elements" in msg and "2 groups" in msg
    assert err.value.parameter == "model"
    with pytest.raises(ModelSyntaxError, match="1 group"):  # a vector in a single-group model
        fit("visual =~ x1 + c(a, b)*x2 + x3", hs)
    with pytest.raises(ModelSyntaxError, match=r"start\(c\(0.5, NA, 1\)\) of x1 ~ 1"):
        fit("visual =~ x1 + x2 + x3\nx1 ~ start(c(0.5, NA, 1))*1", hs, group="school")


def test_wrong_vector_length_cli_exit_2(tmp_path):
    from conftest import run_rsnprop

    model = tmp_path / "m.lav"
    model.write_text(REFS["wrong_length"]["model"])
    p = run_rsnprop("fit", REF / "holzinger_swineford.csv", "--model", model, "--group", "school")
    assert p.returncode == 2
    assert "c(a, b, c)" in p.stderr and "2 groups" in p.stderr and "Traceback" not in p.stderr


def test_vector_parsing():
    st = parse("f =~ c(NA, NA)*c(a, b)*x1 + start(c(0.5, NA))*x2 + label(c('p', \"q\"))*x3\n"
               "f ~ c(0, NA)*1")
    assert (st[0].fixed, st[0].free, st[0].label) == ([None, None], [True, True], ["a", "b"])
    assert st[1].start == [0.5, None]
    assert st[2].label == ["p", "q"]
    assert (st[3].op, st[3].fixed, st[3].free) == ("~1", [0.0, None], [False, True])
    with pytest.raises(ModelSyntaxError, match="mixes labels with values"):
        parse("f =~ x1 + c(a, NA)*x2")
    with pytest.raises(ModelSyntaxError, match="start"):
        parse("f =~ x1 + start(c(0.5, b))*x2")
    with pytest.raises(ModelSyntaxError, match="empty element"):
        parse("f =~ x1 + c(a, )*x2")


def test_fixed_value_in_an_equality_class_fixes_every_member():
    """lavaan's rule: a label (or group_equal class) shared by a fixed and a free row fixes all of
    them to the first fixed value; differing fixed values are warned about."""
    pt = build_partable("f =~ x1 + c(NA, 0.6)*x2 + x3", ngroups=2, group_equal=["loadings"])
    x2 = [r for r in pt.rows if r.op == "=~" and r.rhs == "x2"]
    assert [(r.free, r.value) for r in x2] == [(False, 0.6), (False, 0.6)]
    pt = build_partable("f =~ x1 + a*x2 + x3\ng =~ x4 + x5 + c(0.5, NA)*c(a, a)*x6", ngroups=2)
    assert {(r.free, r.value) for r in pt.rows if r.label == "a"} == {(False, 0.5)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pt = build_partable("f =~ x1 + c(0.5, 0.7)*x2 + x3", ngroups=2, group_equal=["loadings"])
    assert any(issubclass(w.category, RsnpropWarning) and "different values" in str(w.message) for w in caught)
    assert [r.value for r in pt.rows if r.op == "=~" and r.rhs == "x2"] == [0.5, 0.5]
