"""Standardised solutions (lavaan's ``std.lv`` and ``std.all``) from the model-implied variances."""

from __future__ import annotations

import numpy as np

__all__ = ["standardize_rows"]


def standardize_rows(rows, est, total_cov_by_group, names, lv_set, resid=None):
    """Return arrays ``(std_lv, std_all)`` aligned with ``rows``.

    ``total_cov_by_group[g]`` is the model-implied covariance of all variables (``ov + lv``) of
    group ``g`` (0-based); ``names`` their order.
    """
    pos = {v: i for i, v in enumerate(names)}
    std_lv = np.full(len(rows), np.nan)
    std_all = np.full(len(rows), np.nan)
    sds = {}     # the model-implied SDs of a group, computed once (not once per row)
    for k, r in enumerate(rows):
        if r.op not in ("=~", "~", "~~", "~1", "|", "~*~"):
            continue
        if r.group not in sds:
            sds[r.group] = np.sqrt(np.clip(np.diag(total_cov_by_group[r.group - 1]), 0, None))
        sd = sds[r.group]
        x = est[k]

        def s_all(v):
            return sd[pos[v]]

        def s_lv(v):
            return sd[pos[v]] if v in lv_set else 1.0

        if r.op == "=~":  # lhs latent, rhs indicator
            std_lv[k] = x * s_lv(r.lhs) / s_lv(r.rhs)
            std_all[k] = x * s_all(r.lhs) / s_all(r.rhs)
        elif r.op == "~":
            std_lv[k] = x * s_lv(r.rhs) / s_lv(r.lhs)
            std_all[k] = x * s_all(r.rhs) / s_all(r.lhs)
        elif r.op == "~~" and (r.lhs == r.rhs or resid is None):
            std_lv[k] = x / (s_lv(r.lhs) * s_lv(r.rhs))
            std_all[k] = x / (s_all(r.lhs) * s_all(r.rhs))
        elif r.op == "~~":  # (residual) covariance -> (residual) correlation, as lavaan
            S = resid[r.group - 1]
            i, j = pos[r.lhs], pos[r.rhs]
            den = np.sqrt(max(S[i, i], 0) * max(S[j, j], 0))
            std_all[k] = x / den if den > 0 else np.nan
            std_lv[k] = std_all[k] if (r.lhs in lv_set and r.rhs in lv_set) else x
        elif r.op == "|":  # thresholds of latent responses
            std_lv[k] = x
            std_all[k] = x / s_all(r.lhs)
        elif r.op == "~*~":
            std_lv[k] = std_all[k] = x
        elif r.op == "~1":
            std_lv[k] = x / s_lv(r.lhs)
            std_all[k] = x / s_all(r.lhs)
    with np.errstate(all="ignore"):
        return std_lv, std_all
