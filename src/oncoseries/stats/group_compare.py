"""Comparisons of a characteristic across groups, as gtsummary ``add_p()`` chooses them (Table 1 by group).

- ``wilcoxon_test(x, y)``: R ``wilcox.test(x, y)`` with its defaults: the exact null distribution
  (``pwilcox``) when both samples have fewer than 50 values and there are no ties, otherwise the normal
  approximation with tie-corrected variance and continuity correction (``association.wilcoxon_ranksum``).
- ``kruskal_wallis(values, groups)``: R ``kruskal.test`` (tie-corrected H, chi-square with k - 1 df).
- ``categorical_test(table)``: gtsummary's default for a categorical variable: Pearson's chi-square
  without continuity correction (``chisq.test(correct = FALSE)``, gtsummary's "chisq.test.no.correct")
  when every expected count is at least 5, otherwise Fisher's exact test (``fisher.test``).
"""

from __future__ import annotations

import numpy as np

from ._dist import chi2_sf, rank_average
from .association import AssociationTest, MAX_TABLES, _sample, chisq_test, fisher_exact, wilcoxon_ranksum

__all__ = ["wilcoxon_test", "kruskal_wallis", "categorical_test", "pwilcox_counts", "EXACT_LIMIT"]

#: R wilcox.test: the exact distribution is used when both samples are smaller than this (and no ties).
EXACT_LIMIT = 50
#: gtsummary: chi-square only when every expected cell count is at least this.
MIN_EXPECTED = 5.0


def pwilcox_counts(m: int, n: int) -> np.ndarray:
    """Number of arrangements giving each Mann-Whitney U = 0..m*n (the Gaussian binomial coefficient
    [m+n, m]_q: product over i = 1..m of (1 - q^(n+i)) / (1 - q^i)), as exact integers."""
    size = m * n + 1
    poly = np.zeros(size, dtype=object)
    poly[0] = 1
    for i in range(1, m + 1):
        shifted = np.zeros(size, dtype=object)
        k = n + i
        if k < size:
            shifted[k:] = poly[:size - k]
        poly = poly - shifted                       # times (1 - q^(n+i))
        for r in range(i):                          # divided by (1 - q^i): running sums with stride i
            poly[r::i] = np.cumsum(poly[r::i])
    return poly


def wilcoxon_test(x, y) -> AssociationTest:
    """Two-sided Wilcoxon rank-sum test with R ``wilcox.test``'s defaults (see the module docstring).
    ``method`` says whether the exact or the normal-approximation P was used."""
    a, b = _sample(x, "x"), _sample(y, "y")
    nx, ny = a.size, b.size
    pooled = np.concatenate([a, b])
    ties = np.unique(pooled).size < pooled.size
    if nx >= EXACT_LIMIT or ny >= EXACT_LIMIT or ties:
        res = wilcoxon_ranksum(a, b)
        return AssociationTest("Wilcoxon rank-sum test (normal approximation)", res.statistic, None,
                               res.p_value, res.n)
    ranks = rank_average(pooled)
    w = int(round(ranks[:nx].sum() - nx * (nx + 1) / 2.0))
    counts = pwilcox_counts(nx, ny)
    total = counts.sum()
    if w > nx * ny / 2.0:
        tail = counts[w:].sum()                     # P(W >= w) = pwilcox(w - 1, lower.tail = FALSE)
    else:
        tail = counts[:w + 1].sum()                 # P(W <= w)
    p = min(2.0 * float(tail) / float(total), 1.0)
    return AssociationTest("Wilcoxon rank-sum exact test", float(w), None, p, int(nx + ny))


def kruskal_wallis(values, groups) -> AssociationTest:
    """Kruskal-Wallis rank-sum test, as R ``kruskal.test(values, groups)``: H = (12 / (n (n + 1)) sum
    R_j^2 / n_j - 3 (n + 1)) / (1 - sum(t^3 - t) / (n^3 - n)), P from chi-square with k - 1 df."""
    x = _sample(values, "values")
    g = np.asarray(groups, dtype=object).ravel()
    if g.size != x.size:
        raise ValueError(f"values and groups differ in length ({x.size} and {g.size})")
    levels, codes = np.unique(g.astype(str), return_inverse=True)
    k = levels.size
    if k < 2:
        raise ValueError("the Kruskal-Wallis test needs at least two groups")
    n = x.size
    r = rank_average(x)
    sums = np.bincount(codes, weights=r, minlength=k)
    sizes = np.bincount(codes, minlength=k).astype(float)
    _, t = np.unique(r, return_counts=True)
    t = t.astype(float)
    denom = 1.0 - (t ** 3 - t).sum() / (n ** 3 - n) if n > 1 else 0.0
    if denom <= 0:
        return AssociationTest("Kruskal-Wallis rank-sum test", float("nan"), k - 1, float("nan"), n)
    h = (12.0 * (sums ** 2 / sizes).sum() / (n * (n + 1)) - 3.0 * (n + 1)) / denom
    return AssociationTest("Kruskal-Wallis rank-sum test", float(h), int(k - 1), float(chi2_sf(h, k - 1)), n)


def expected_counts(table) -> np.ndarray:
    t = np.asarray(table, dtype=np.float64)
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()


def categorical_test(table) -> tuple[str, AssociationTest]:
    """("chisq" | "fisher", result) by gtsummary's rule; Fisher too large to enumerate falls back to the
    chi-square test ("chisq_fallback")."""
    t = np.asarray(table, dtype=np.int64)
    if (expected_counts(t) >= MIN_EXPECTED).all():
        return "chisq", chisq_test(t)
    try:
        return "fisher", fisher_exact(t)
    except ValueError as exc:
        if "would enumerate more than" in str(exc):      # beyond MAX_TABLES
            return "chisq_fallback", chisq_test(t)
        raise
