"""The row-wise careless indices computed early, on every row and in a second thread
(:mod:`rsnprop.data.careless_early`): the same values as on the sample's rows, and the same
clean data, log and flags as without."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import CleaningRules, clean, read_table
from rsnprop.data import careless_early, item_values
from rsnprop.data.careless import row_wise_indices
from rsnprop.data.rules import CarelessRules
from rsnprop.instrument import load_instrument
from rsnprop.io import json_text

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "rsnprop" / "datasets" / "example_raw.csv"
INSTRUMENT = REPO / "instruments" / "rsn_internationalisation.yaml"


def _answers(rng, n, p, span, missing):
    x = rng.integers(0, span + 1, size=(n, p)).astype(float)
    x[rng.random((n, p)) < missing] = np.nan
    straight = rng.random(n) < 0.1                     # straight-liners and patterns
    x[straight] = x[straight, :1]
    saw = rng.random(n) < 0.1
    x[saw] = np.arange(p) % (span + 1)
    return np.asfortranarray(x)


@pytest.mark.parametrize("p,span,missing", [(38, 4, 0.05), (12, 6, 0.3), (5, 60, 0.1),
                                            (2, 1, 0.0), (1, 4, 0.2), (9, 0, 0.5)])
def test_blocks_of_every_row_equal_the_whole(monkeypatch, p, span, missing):
    """In blocks of 1,500 rows (the last one under the pattern index's 1,024-row byte path)
    the same values as on the whole matrix, NaN in the same places."""
    rng = np.random.default_rng(p * 100 + span)
    n = 4_700
    x = _answers(rng, n, p, span, missing)
    cr = CarelessRules()
    monkeypatch.setattr(careless_early, "_ROWS", 1_500)
    early = careless_early._row_wise_all([x[:, j].copy() for j in range(p)], n, cr)
    whole = {k: get() for k, get in row_wise_indices(x, cr).items()}
    assert list(early) == list(whole)
    for k in whole:
        assert early[k].dtype == np.asarray(whole[k]).dtype, k
        np.testing.assert_array_equal(early[k], whole[k], err_msg=k)


def _export(tmp_path, n=12_000):
    """The example export tiled to ``n`` rows, a distinct id each and a third of the Likert
    answers redrawn (so that rows differ and the careless flags vary)."""
    ins = load_instrument(INSTRUMENT)
    base = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    big = pd.concat([base] * (n // len(base) + 1), ignore_index=True).iloc[:n].copy()
    big["resp_id"] = [f"R{i}" for i in range(len(big))]
    rng = np.random.default_rng(7)
    for c in big.columns:
        item = ins.items.get(c)
        if item is not None and item.type == "likert":
            redo = rng.random(len(big)) < 0.33
            new = rng.integers(item.scale.min, item.scale.max + 1, size=len(big)).astype(str)
            big.loc[redo, c] = new[redo]
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    return path, ins


@pytest.mark.filterwarnings("ignore")
def test_clean_with_early_indices_equals_without(monkeypatch, tmp_path):
    path, ins = _export(tmp_path)
    monkeypatch.setattr(item_values, "SMALL_ROWS", 10)   # the large-export validation
    ran = []
    real = careless_early._row_wise_all
    monkeypatch.setattr(careless_early, "_row_wise_all",
                        lambda *a: ran.append(1) or real(*a))

    def cleaned(early):
        monkeypatch.setattr(careless_early, "EARLY_MIN_ROWS", 0 if early else 1 << 62)
        raws = [read_table(path)]
        return clean(raws.pop(), ins, CleaningRules(), source=path)

    a = cleaned(True)
    assert ran == [1]                                    # the early path ran
    b = cleaned(False)
    assert ran == [1]
    assert b.log["careless"] == a.log["careless"]
    flags = a.flags.filter(like="flag_").to_numpy()
    assert flags.any() and not flags.all()               # the flags vary
    pd.testing.assert_frame_equal(a.flags, b.flags, check_exact=True)
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    assert json_text(a.log) == json_text(b.log)


@pytest.mark.filterwarnings("ignore")
def test_early_indices_of_other_columns_are_not_used(tmp_path):
    """``given_for`` refuses indices computed for other columns or another number of rows."""
    path, ins = _export(tmp_path, n=300)
    early = careless_early._Early(["a", "b"], 300, None)
    assert careless_early.given_for(early, ["a"], np.arange(3), 300) is None
    assert careless_early.given_for(early, ["a", "b"], np.arange(3), 301) is None
    assert careless_early.given_for(None, ["a", "b"], np.arange(3), 300) is None
    assert careless_early.start_row_wise(read_table(path), ins, CarelessRules()) is None


def test_no_early_indices_for_likert_items_the_facts_check_may_change():
    ins = load_instrument(INSTRUMENT)
    likert = [c for c, it in ins.items.items() if it.type == "likert"][0]
    n = careless_early.EARLY_MIN_ROWS
    values = pd.DataFrame({likert: np.ones(n)})
    assert careless_early.start_row_wise(values, ins, CarelessRules()) is not None
    ins.items["founding_year"] = ins.items[likert]
    renamed = values.rename(columns={likert: "founding_year"})
    assert careless_early.start_row_wise(renamed, ins, CarelessRules()) is None
