"""The cleaning log's records built column by column (``log._records``; the careless
screen's excluded detail, ``careless_report._careless_detail``): the same dicts, in the same
order, with the same value types as ``DataFrame.to_dict(orient="records")`` and the per-row
loop they replace."""

import math

import numpy as np
import pandas as pd
import pytest

from rsnprop.data import log


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x) == list(y)
        for k in x:
            u, v = x[k], y[k]
            assert type(u) is type(v), (k, u, v)
            assert u == v or (isinstance(u, float) and math.isnan(u) and math.isnan(v))


def _problems(rng, n):
    """A listed-problems table as the log's: 1-based rows, ids (None, R's "NA" text),
    columns, values (missing, junk), reasons."""
    values = [None if rng.random() < 0.2 else ("NA" if rng.random() < 0.1 else f"v{i} é")
              for i in range(n)]
    frame = pd.DataFrame({"row": pd.Series(rng.integers(1, 9, n), dtype="int64"),
                          "column": [f"c{i % 7}" for i in range(n)], "value": values,
                          "reason": rng.choice(["not_a_number", "out_of_range"], n)})
    frame.insert(1, "id", np.array([None if i % 13 == 0 else f"id{i}" for i in range(n)],
                                   dtype=object))
    return frame


@pytest.mark.parametrize("n", [0, 1, 2, 500, 10_000])
def test_records_same_as_to_dict(n):
    frame = _problems(np.random.default_rng(n), n)
    _same(log._records(frame), frame.to_dict(orient="records"))
    _same(log._records(frame.head(3)), frame.head(3).to_dict(orient="records"))


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": np.array([np.int64(1), "x", None], dtype=object), "b": [1.5, np.nan, 2]}),
    pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [True, False, True]}),
    pd.DataFrame({"a": pd.Series(["x", None, "z"], dtype=object), "b": [1, 2, 3]}),
    pd.DataFrame([[1, "a"], [2, "b"]], columns=["k", "k"]),
    pd.DataFrame(columns=["a", "b"]),
    pd.DataFrame(index=range(3)),
])
def test_records_odd_frames(frame):
    _same(log._records(frame), frame.to_dict(orient="records"))


def _old_careless_rows(flags, fired, show, weak_cols, rows, limit):
    """The excluded detail's records as the loop over rows made them before."""
    from rsnprop.data.careless_report import _fmt_index

    cols = {k: flags[k].to_numpy() for v in show.values() for k in v if k in flags.columns}
    weak_flags = {c: flags[c].to_numpy(bool) for c in weak_cols}
    resp_ids = flags["resp_id"].to_numpy()
    detail = []
    for i in rows[:limit].tolist():
        names = [k for k, m in fired.items() if m[i]]
        vals = {k: _fmt_index(float(cols[k][i])) for r in names for k in show.get(r, [])
                if k in cols}
        if any(r.endswith("_weak_flags") for r in names):
            vals["weak_flags"] = [c[5:] for c in weak_cols if weak_flags[c][i]]
        detail.append({"row": i + 1, "id": resp_ids[i], "rules": names, "values": vals})
    return detail


@pytest.mark.parametrize("n, limit", [(0, 10), (50, 10), (3000, 10_000), (70_000, 500)])
def test_careless_detail_same_as_row_loop(n, limit):
    from rsnprop.data import careless_report
    from rsnprop.data.careless import INDEX_OF_FLAG
    from rsnprop.data.rules import CarelessRules

    rng = np.random.default_rng(n)
    cr = CarelessRules()
    ids = np.array([None if i % 17 == 0 else f"id{i}" for i in range(n)], dtype=object)
    flags = pd.DataFrame({"resp_id": ids,
                          "attention_failed": rng.integers(0, 3, n),
                          "duration_ratio": np.where(rng.random(n) < 0.1, np.nan, rng.random(n))})
    for c, (index, _) in INDEX_OF_FLAG.items():
        flags[c] = rng.random(n) < 0.2
        flags[index] = np.where(rng.random(n) < 0.05, np.nan, rng.normal(size=n))
    reasons = {"attention_check": rng.random(n) < 0.1, "speeding": rng.random(n) < 0.1,
               "careless_indices": rng.random(n) < 0.3}
    got = careless_report._careless_detail(flags, reasons, cr, limit)
    # the old loop, fed with the rules, values and rows the function computes before it
    hit = np.asarray(reasons["careless_indices"], bool)
    fired = {"attention_check": reasons["attention_check"], "speeding": reasons["speeding"]}
    dec = [c for c in INDEX_OF_FLAG if c[5:] in cr.decisive]
    weak_cols = [c for c in INDEX_OF_FLAG if c not in dec]
    for c in dec:
        fired[c[5:]] = hit & flags[c].to_numpy(bool)
    fired[f"{cr.min_index_flags}_weak_flags"] = hit & (
        flags[weak_cols].to_numpy(bool).sum(1) >= cr.min_index_flags)
    show = {"attention_check": ["attention_failed"], "speeding": ["duration_ratio"]}
    for c in dec:
        show[c[5:]] = [INDEX_OF_FLAG[c][0]]
    show[f"{cr.min_index_flags}_weak_flags"] = [INDEX_OF_FLAG[c][0] for c in weak_cols]
    any_fired = np.zeros(n, dtype=bool)
    for m in fired.values():
        any_fired |= m
    want = _old_careless_rows(flags, fired, show, weak_cols, np.flatnonzero(any_fired), limit)
    detail = got["excluded_detail"]
    assert len(detail) == len(want) == min(limit, int(any_fired.sum()))
    for x, y in zip(detail, want):
        assert list(x) == list(y) and x["row"] == y["row"] and x["rules"] == y["rules"]
        assert type(x["id"]) is type(y["id"]) and (x["id"] == y["id"] or x["id"] != x["id"])
        _same([x["values"]], [y["values"]])
