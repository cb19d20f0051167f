"""Simulation study of the careless-responding screen: how many careless respondents of each
type it excludes, and how many attentive ones (docs/careless.md, ``bench/bench_careless.py``).

Each data set is a :func:`~rsnprop.simulate.simulate_study` export with every careless type of
:data:`~rsnprop.simulate.quirks.CARELESS_TYPES` in equal shares; it is cleaned with each rule
set and every respondent who reached the careless screen (consented, eligible, shown the
questionnaire) is kept with its true type, its index values, each rule's flag and whether the
careless step excluded it. Sensitivity = share of a careless type excluded; false exclusion =
share of attentive respondents excluded by the careless step.

Examples
--------
>>> from rsnprop.simulate.careless_study import careless_study, accuracy
>>> rows = careless_study("instruments/rsn_internationalisation.yaml", n_sets=1, n=120,
...                       seed=5, rule_sets={"default": {}})
>>> acc = accuracy(rows, "default")
>>> 0 <= acc["false_exclusion"] <= 1 and "straightline" in acc["sensitivity"]
True
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..data import clean
from ..data.careless import index_rule
from ..data.rules import CleaningRules
from .quirks import CARELESS_TYPES
from .study import simulate_study

__all__ = ["careless_study", "accuracy", "roc_points", "INDEX_DIRECTION"]

#: index column -> +1 when high values are careless, -1 when low values are
INDEX_DIRECTION = {"longstring": 1, "irv": -1, "irv_block": -1, "mahad": 1, "pattern": 1, "evenodd": 1,
                   "person_total": -1, "psychsyn": -1, "duration_ratio": -1,
                   "attention_failed": 1}

_CARELESS_REASONS = ("attention_check", "speeding", "careless_indices")


def _one_set(instrument, rule_sets, n, seed, rate, mix):
    raw, truth = simulate_study(instrument, "p1p2", n=n, seed=seed, careless_rate=rate,
                                careless_mix=mix, return_truth=True)
    out = None
    for name, rules in rule_sets.items():
        rules = CleaningRules.from_any(rules)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = clean(raw, instrument, rules)
        f = res.flags
        screened = ~f["mahad"].isna().to_numpy() if "mahad" in f else np.ones(len(f), bool)
        if out is None:
            keep = [c for c in list(INDEX_DIRECTION) + ["mahad_p"] if c in f.columns]
            out = f[keep].copy()
            out["type"] = np.where(truth["careless"].to_numpy() == "", "genuine",
                                   truth["careless"].to_numpy())
            out["dataset"] = 0
            out["in_screen"] = truth["eligible"].to_numpy() & screened
        fl = f[[c for c in f.columns if c.startswith("flag_")]]
        _, dec, nweak = index_rule(fl, rules.careless)
        out[f"{name}:weak"] = nweak >= rules.careless.min_index_flags
        for c in fl.columns:
            out[f"{name}:{c[5:]}"] = fl[c].to_numpy()
        excl = {e["row"] - 1: e["reasons"] for e in res.log["excluded"]}
        for r in _CARELESS_REASONS:
            out[f"{name}:{r}"] = [r in excl.get(i, ()) for i in range(len(f))]
        out[f"{name}:excluded"] = out[[f"{name}:{r}" for r in _CARELESS_REASONS]].any(axis=1)
    return out[out["in_screen"]].drop(columns="in_screen")


def careless_study(instrument, *, n_sets: int = 20, n: int = 300, seed: int = 2022,
                   rate: float = 0.2, mix=None, rule_sets=None):
    """Run the study: ``n_sets`` data sets of ``n`` firms, a share ``rate`` careless.

    Parameters
    ----------
    instrument : Instrument or path
    n_sets, n : int
    seed : int
        Data set ``i`` uses the child seed ``SeedSequence(seed).spawn(n_sets)[i]``.
    rate : float
        Share of careless respondents; ``mix`` (default: every type equally) their types.
    rule_sets : dict
        name -> cleaning rules (dict or :class:`~rsnprop.data.rules.CleaningRules`).

    Returns
    -------
    pandas.DataFrame
        One row per respondent who reached the careless screen: ``type``, ``dataset``, the
        index values, and per rule set ``<name>:<flag>``, ``<name>:weak`` (enough weak flags)
        and ``<name>:excluded`` (excluded by the careless step).
    """

    if isinstance(instrument, (str, bytes)) or hasattr(instrument, "__fspath__"):
        from ..instrument import load_instrument

        instrument = load_instrument(instrument)
    mix = mix or {t: 1.0 for t in CARELESS_TYPES}
    rule_sets = rule_sets or {"default": {}}
    seeds = np.random.SeedSequence(seed).spawn(n_sets)
    parts = [_one_set(instrument, rule_sets, n, s, rate, mix) for s in seeds]
    for i, p in enumerate(parts):
        p["dataset"] = i
    return pd.concat(parts, ignore_index=True)


def accuracy(rows, rule_set: str = "default") -> dict:
    """Sensitivity per careless type and overall, and false exclusion of attentive
    respondents, of the careless step and of each of its rules under ``rule_set``.

    Returns
    -------
    dict
        ``{"n": {type: count}, "sensitivity": {type: share excluded}, "overall": share of
        careless excluded, "false_exclusion": share of genuine excluded, "by_rule": {rule:
        {type: share flagged}}}``.
    """
    pre = f"{rule_set}:"
    cols = [c for c in rows.columns if c.startswith(pre)]
    careless = rows["type"] != "genuine"
    types = sorted(t for t in rows["type"].unique() if t != "genuine") + ["genuine"]
    by_type = rows.groupby("type")
    by_rule = {c[len(pre):]: {t: float(by_type[c].mean()[t]) for t in types} for c in cols}
    exc = rows[pre + "excluded"]
    return {"n": {t: int((rows["type"] == t).sum()) for t in types},
            "sensitivity": {t: by_rule["excluded"][t] for t in types if t != "genuine"},
            "overall": float(exc[careless].mean()),
            "false_exclusion": float(exc[~careless].mean()),
            "by_rule": by_rule}


def roc_points(rows, index: str, types=None):
    """ROC curve of one index: (false positive rate among genuine, true positive rate among
    the careless ``types``) for every threshold, as two arrays (NaN index = not flagged)."""

    sign = INDEX_DIRECTION.get(index, 1)
    v = sign * rows[index].to_numpy(dtype=float)
    v = np.where(np.isnan(v), -np.inf, v)
    pos = rows["type"].isin(types).to_numpy() if types else (rows["type"] != "genuine").to_numpy()
    neg = (rows["type"] == "genuine").to_numpy()
    thr = np.unique(v[np.isfinite(v)])[::-1]
    tpr = np.array([0.0] + [(v[pos] >= t).mean() for t in thr] + [1.0])
    fpr = np.array([0.0] + [(v[neg] >= t).mean() for t in thr] + [1.0])
    return fpr, tpr
