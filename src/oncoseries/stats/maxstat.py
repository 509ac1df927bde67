"""Maximally selected log-rank statistics for a data-driven cut-point of a continuous marker, as R
``maxstat.test(Surv(time, event) ~ x, smethod = "LogRank", pmethod = "Lau92")`` (maxstat 0.7-25).

Log-rank scores (exactRankTests ``cscores``: ``a_i = d_i - sum_{j: t_j <= t_i} d_j / (N - r_j + 1)`` with
r the largest rank within tied times) are summed in the lower group ``x <= c`` for every candidate c
(distinct values with between ``minprop`` and ``maxprop`` of the patients below or at it); the standardised
statistic is ``|S_c - E_c| / sqrt(V_c)`` with the permutation mean and variance, and the cut-point the
first c attaining the maximum M. Because c was chosen to maximise M, the plain log-rank P is far too small;
the corrected P is Lausen & Schumacher's (1992, Biometrics 48:73) approximation
``4 phi(M) / M + phi(M) (M - 1/M) log(maxprop (1 - minprop) / ((1 - maxprop) minprop))`` (``Lau92``), or
the improved Bonferroni bound of Lausen, Sauerbrei & Schumacher (1994) (``Lau94``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._dist import norm_cdf

__all__ = ["MaxStat", "maxstat_logrank", "logrank_scores"]


@dataclass(frozen=True)
class MaxStat:
    """``cutpoint`` (patients with x <= cutpoint form the low group), ``statistic`` M, ``p_value``
    (``Lau92``), ``p_lau94``, every candidate ``cuts`` with its standardised ``stats``, and the group sizes."""

    cutpoint: float
    statistic: float
    p_value: float
    p_lau94: float
    cuts: np.ndarray
    stats: np.ndarray
    n: int
    n_low: int
    n_high: int
    minprop: float
    maxprop: float


def logrank_scores(time, event) -> np.ndarray:
    """Log-rank scores, as exactRankTests ``cscores(Surv(time, event), int = FALSE)``."""
    t = np.asarray(time, float)
    d = np.asarray(event, float)
    n = t.size
    order = np.argsort(t, kind="stable")
    ts = t[order]
    last = np.r_[ts[1:] != ts[:-1], True]                   # last position of each tied run
    # largest rank within ties (1-based), for every sorted position
    end_idx = np.flatnonzero(last)
    run = np.cumsum(np.r_[True, ts[1:] != ts[:-1]]) - 1
    rmax_sorted = end_idx[run] + 1.0
    fact = d[order] / (n - rmax_sorted + 1.0)
    csum = np.cumsum(fact)
    scores = np.empty(n)
    scores[order] = d[order] - csum[end_idx[run]]
    return scores


def _lau92(b: float, minprop: float, maxprop: float) -> float:
    if b < 1:
        return 1.0
    db = np.exp(-b * b / 2.0) / np.sqrt(2.0 * np.pi)
    p = 4.0 * db / b + db * (b - 1.0 / b) * np.log(maxprop * (1.0 - minprop) / ((1.0 - maxprop) * minprop))
    return float(max(p, 0.0))


def _lau94(b: float, n: int, m: np.ndarray) -> float:
    if m.size <= 1:
        dsum = 0.0
    else:
        m1, m2 = m[:-1].astype(float), m[1:].astype(float)
        t = np.sqrt(1.0 - m1 * (n - m2) / ((n - m1) * m2))
        dsum = float(np.sum(1.0 / np.pi * np.exp(-b * b / 2.0) * (t - (b * b / 4.0 - 1.0) * t ** 3 / 6.0)))
    return float(1.0 - (norm_cdf(b) - norm_cdf(-b)) + dsum)


def maxstat_logrank(time, event, x, minprop: float = 0.1, maxprop: float = 0.9) -> MaxStat:
    """The maximally selected log-rank statistic of marker ``x`` (no missing values).

    Raises
    ------
    ValueError
        When no cut-point leaves between ``minprop`` and ``maxprop`` of the patients in the low group
        (e.g. fewer than two distinct values), or when no patient had an event.
    """
    t, d, xv = (np.asarray(a, float).ravel() for a in (time, event, x))
    if not (t.size == d.size == xv.size) or t.size < 2:
        raise ValueError("time, event and x must have the same length (at least 2)")
    if not np.all(np.isfinite(np.c_[t, d, xv])):
        raise ValueError("time, event and x must not have missing values")
    if d.sum() == 0:
        raise ValueError("no events: the log-rank statistic is undefined")
    n = t.size
    scores = logrank_scores(t, d)
    order = np.argsort(xv, kind="stable")
    y, xs = scores[order], xv[order]
    m = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])      # observations below each distinct value
    lo, hi = max(1, int(np.floor(n * minprop))), int(np.floor(n * maxprop))
    m = m[(m >= lo) & (m <= hi)]
    if m.size < 1:
        raise ValueError("no cut-point leaves between minprop and maxprop of the patients in each group")
    ss = y.sum()
    e = m / n * ss
    v = m * (n - m) / (n ** 2 * (n - 1.0)) * (n * np.sum(y ** 2) - ss ** 2)
    stats = np.abs((np.cumsum(y)[m - 1] - e) / np.sqrt(v))
    k = int(np.argmax(stats))                               # first maximum, as R
    b = float(stats[k])
    return MaxStat(cutpoint=float(xs[m[k] - 1]), statistic=b, p_value=_lau92(b, minprop, maxprop),
                   p_lau94=_lau94(b, n, m), cuts=xs[m - 1], stats=stats, n=n, n_low=int(m[k]),
                   n_high=int(n - m[k]), minprop=minprop, maxprop=maxprop)
