"""SciPy's classical tests the propositions use, without importing ``scipy.stats``.

``scipy.stats`` costs about half a second of imports per process (the power command, each
``rsnprop`` command); the analysis modules a power replication imports (``paired``,
``interaction``, ``auxiliary``) call these functions instead of ``stats.ttest_rel``,
``ttest_ind``, ``wilcoxon``, ``mannwhitneyu``, ``rankdata`` and ``spearmanr``. Each repeats
SciPy 1.17's arithmetic for 1-d float data in its order (the same ranks and tie counts, sums,
variances, standard errors and ``scipy.special`` calls), so the same bits, and raises the same
"Precision loss" RuntimeWarning for nearly identical data; ``tests/test_propositions_classic_tests.py``
compares every result with ``scipy.stats`` on random data with ties, zeros, NaN, n = 2 and the
small samples of the exact Mann-Whitney distribution.

R: ``t.test``, ``wilcox.test(correct = TRUE, exact = FALSE)``, ``wilcox.test`` (two samples),
``rank``, ``cor.test(method = "spearman")``.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import special

from .student_t import one_sample_t

__all__ = ["TestResult", "rankdata", "paired_t_statistic", "welch_t_statistic", "wilcoxon_signed_rank",
           "mann_whitney_u", "spearman"]

_PRECISION = ("Precision loss occurred in moment calculation due to catastrophic cancellation. "
              "This occurs when the data are nearly identical. Results may be unreliable.")


class TestResult(NamedTuple):
    """``statistic`` and ``pvalue``, NumPy floats as SciPy's result objects hold them."""

    __test__ = False   # not a pytest test class despite its name
    statistic: np.float64
    pvalue: np.float64


def _precision_warning(a):
    """SciPy's ``_demean`` check: warn when the deviations from the mean are all below
    10 eps of the mean (catastrophic cancellation)."""
    mean = np.mean(a, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.max(np.abs(a - mean), keepdims=True) / np.abs(mean)
    if np.any((rel < np.finfo(np.float64).eps * 10) & (a.size > 1)):
        warnings.warn(_PRECISION, RuntimeWarning, stacklevel=3)


def _ranks_ties(x):
    """``scipy.stats._stats_py._rankdata(x, "average", return_ties=True)`` for 1-d ``x``."""
    n = x.size
    j = np.argsort(x, kind="stable")
    y = x[j]
    i = np.concatenate([np.ones(1, dtype=bool), y[:-1] != y[1:]])
    indices = np.arange(n)[i]
    counts = np.diff(indices, append=np.asarray([n], dtype=indices.dtype))
    ranks = np.arange(1, n + 1, dtype=np.float64)[i] + (np.asarray(counts, dtype=np.float64) - 1) / 2
    ranks = np.repeat(ranks, counts)
    out = np.empty_like(ranks)
    out[j] = ranks
    t = np.zeros(n, dtype=np.float64)
    t[i] = counts
    return out, t


def rankdata(x):
    """``scipy.stats.rankdata(x)``: average ranks of a 1-d array (all NaN when one is NaN)."""
    x = np.asarray(x, dtype=np.float64)
    if np.isnan(x).any():
        return np.full(x.shape, np.nan)
    return _ranks_ties(x)[0]


def paired_t_statistic(a, b):
    """``scipy.stats.ttest_rel(a, b).statistic`` (R: ``t.test(a, b, paired = TRUE)$statistic``)."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    _precision_warning(d)
    return np.float64(one_sample_t(d))


def welch_t_statistic(x, y):
    """``scipy.stats.ttest_ind(x, y, equal_var=False).statistic`` (R: ``t.test(x, y)``)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    v1, v2 = _variance(x), _variance(y)
    m1, m2 = np.mean(x), np.mean(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.sqrt(v1 / x.size + v2 / y.size)
        return np.divide(m1 - m2, denom)


def _variance(a):
    """SciPy's ``_var(a, ddof=1)``: the mean squared deviation times ``n / (n - 1)``."""
    _precision_warning(a)
    n = np.asarray(a.size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean((a - np.mean(a, keepdims=True)) ** 2) * (n / (n - 1))


def wilcoxon_signed_rank(d, alternative):
    """``scipy.stats.wilcoxon(d, alternative=..., correction=True, method="approx")``: the sum
    of the positive ranks ``V`` and the normal approximation's p-value with the tie and
    continuity corrections (zeros dropped); ``alternative`` ``"greater"`` or ``"less"``."""
    d = np.asarray(d, dtype=np.float64)
    if np.isnan(d).any():
        return TestResult(np.float64(np.nan), np.float64(np.nan))
    d = np.where(d == 0, np.nan, d)
    count = np.float64(d.size - np.count_nonzero(np.isnan(d)))
    r, t = _ranks_ties(np.abs(d))
    r_plus = np.sum((d > 0).astype(np.float64) * r)
    mn = count * (count + 1.) * 0.25
    se = count * (count + 1.) * (2. * count + 1.)
    se = np.sqrt((se - np.sum(t ** 3 - t) / 2) / 24)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (r_plus - mn) / se
        if alternative == "greater":
            p = special.ndtr(-(z - 1 * 0.5 / se))
        else:
            p = special.ndtr(z - (-1) * 0.5 / se)
    return TestResult(r_plus, p)


def mann_whitney_u(x, y, alternative):
    """``scipy.stats.mannwhitneyu(x, y, alternative=...)`` (``method="auto"``, continuity
    correction): ``U`` of ``x`` and its p-value, exact when a sample has at most 8 values and
    there are no ties, else the normal approximation with the tie correction."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if np.isnan(x).any() or np.isnan(y).any():
        return TestResult(np.float64(np.nan), np.float64(np.nan))
    n1, n2 = x.size, y.size
    ranks, t = _ranks_ties(np.concatenate([x, y]))
    u1 = np.sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = u1 if alternative == "greater" else n1 * n2 - u1
    if (n1 > 8 and n2 > 8) or np.any(t > 1):
        mu, n = n1 * n2 / 2, n1 + n2
        s = np.sqrt(n1 * n2 / 12 * ((n + 1) - np.sum(t ** 3 - t) / (n * (n - 1))))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = special.ndtr(-((u - mu - 0.5) / s))
    else:
        p = np.asarray(_mwu_sf(min(n1, n2), max(n1, n2), int(u)), dtype=np.float64)
    return TestResult(u1, np.clip(p * 1, 0., 1.)[()])


def _mwu_sf(n1, n2, k):
    """SciPy's exact ``_MWU(n1, n2).sf(k)`` (n1 <= n2): P(U >= k) from the frequencies of U,
    summed from the nearer end."""
    kc = n1 * n2 - k
    if k < kc:
        freqs = _mwu_frequencies(n1, n2, k)
        return 1. - np.cumsum(freqs)[k] + freqs[k]
    return np.cumsum(_mwu_frequencies(n1, n2, kc))[kc]


def _mwu_frequencies(n1, n2, maxu):
    """``_MWU.build_u_freqs_array(maxu)``: P(U = u) for u = 0..maxu (Andrews' recursion on the
    sums of divisors, in unsigned integers while they fit)."""
    total = special.binom(n1 + n2, n1)
    s = np.zeros(maxu + 1, dtype=int)
    for d in np.arange(1, n1 + 1):
        s[np.arange(d, maxu + 1, d)] += d
    for d in np.arange(n2 + 1, n2 + n1 + 1):
        s[np.arange(d, maxu + 1, d)] -= d
    s = s[1:]
    conf = np.zeros(maxu + 1, dtype=np.uint64)
    is_uint, uint_max = True, np.iinfo(np.uint64).max
    conf[0] = 1
    for u in np.arange(1, maxu + 1):
        new_val = np.dot(conf[:u], s[u - 1::-1]) / u
        if new_val > uint_max and is_uint:
            conf, is_uint = conf.astype(float), False
        conf[u] = new_val
    return conf / total


def spearman(x, y):
    """``scipy.stats.spearmanr(x, y)``: rho and its two-sided p-value (t with n - 2 df), NaN
    for fewer than 2 pairs, a constant input or a NaN."""
    a = np.column_stack((np.asarray(x), np.asarray(y)))
    n_obs = a.shape[0]
    nan = TestResult(np.float64(np.nan), np.float64(np.nan))
    if n_obs <= 1:
        return nan
    if (a[:, 0][0] == a[:, 0]).all() or (a[:, 1][0] == a[:, 1]).all():
        warnings.warn("An input array is constant; the correlation coefficient is not defined.",
                      RuntimeWarning, stacklevel=2)
        return nan
    if np.isnan(a).any():
        return nan
    ranked = np.column_stack([rankdata(a[:, 0]), rankdata(a[:, 1])])
    rs = np.corrcoef(ranked, rowvar=False)
    dof = n_obs - 2
    with np.errstate(divide="ignore"):
        t = rs * np.sqrt((dof / ((rs + 1.0) * (1.0 - rs))).clip(0))
    with np.errstate(invalid="ignore"):
        prob = 2 * special.stdtr(dof, -np.abs(t))
    return TestResult(rs[1, 0], prob[1, 0])

