"""Tests of association for biomarker tables, equal to R's stats package (R 4.2).

- ``fisher_exact(table)``: Fisher's exact test, two-sided, as R ``fisher.test`` for any r x c table: the P
  value is the total probability (hypergeometric, margins fixed) of the tables no more probable than the
  observed one, with R's relative tolerance 1e-7 for ties. Computed by exact enumeration of the tables
  (R uses the network algorithm, FEXACT; the sums are the same); scipy's ``fisher_exact`` is exact only for
  2 x 2 (Monte Carlo otherwise) and uses a 1e-14 tie tolerance.
- ``chisq_test(table)``: Pearson's chi-square without continuity correction, as R
  ``chisq.test(correct = FALSE)``.
- ``wilcoxon_ranksum(x, y)``: the Wilcoxon rank-sum (Mann-Whitney) test by the normal approximation with
  the tie-corrected variance and the continuity correction, as R ``wilcox.test(x, y, exact = FALSE,
  correct = TRUE)``; the statistic is R's W (rank sum of ``x`` minus n_x (n_x + 1) / 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._dist import chi2_sf, norm_cdf, norm_sf, rank_average

__all__ = ["AssociationTest", "fisher_exact", "chisq_test", "wilcoxon_ranksum", "MAX_TABLES"]

#: R fisher.test: tables with probability <= P(observed) * (1 + 1e-7) count as at least as extreme.
REL_ERR = 1e-7
#: Largest number of (partial) tables the exact enumeration will hold; beyond it fisher_exact raises.
MAX_TABLES = 2_000_000


@dataclass(frozen=True)
class AssociationTest:
    """A test result. ``statistic`` is None for Fisher's test (R reports none for r x c; for 2 x 2 R's
    estimate is the conditional MLE odds ratio, which is not computed here); ``df`` is None except for
    the chi-square test."""

    method: str
    statistic: float | None
    df: int | None
    p_value: float
    n: int


def _table(table, name: str = "table") -> np.ndarray:
    try:
        t = np.asarray(table, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 2-D array of counts") from None
    if t.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional (rows x columns), got {t.ndim} dimension(s)")
    if t.shape[0] < 2 or t.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 rows and 2 columns, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError(f"{name} must hold non-negative whole numbers (counts)")
    return t.astype(np.int64)


def _expand(lo, hi):
    """Repeat each state once per value lo..hi; returns the state index and the value per new state."""
    counts = np.maximum(hi - lo + 1, 0)
    total = int(counts.sum())
    if total > MAX_TABLES:
        raise ValueError(f"the exact test would enumerate more than {MAX_TABLES:,} tables; "
                         "use chisq_test for a table this large")
    idx = np.repeat(np.arange(counts.size), counts)
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    x = lo[idx] + (np.arange(total) - start[idx])
    return idx, x


def _log_probs(t: np.ndarray) -> tuple[np.ndarray, float]:
    """Log-probabilities of every table with the margins of ``t`` (multivariate hypergeometric), and of ``t``.

    Columns are filled one at a time (the last is what the row sums leave); within a column each row's
    count ranges over the values that still let the column and the rows be completed.
    """
    from scipy.special import gammaln  # imported on use: scipy.special costs 0.1-0.25 s

    if t.shape[1] > t.shape[0]:
        t = t.T
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    n = int(t.sum())
    const = gammaln(rows + 1.0).sum() + gammaln(cols + 1.0).sum() - gammaln(n + 1.0)
    observed = const - gammaln(t + 1.0).sum()
    rem = rows[None, :].copy()
    acc = np.zeros(1)
    r = t.shape[0]
    for j in range(t.shape[1] - 1):
        part = np.zeros(rem.shape[0], dtype=np.int64)
        need = int(cols[j])
        for i in range(r):
            left = need - part
            if i == r - 1:
                lo = hi = left
            else:
                lo = np.maximum(0, left - rem[:, i + 1:].sum(axis=1))
                hi = np.minimum(rem[:, i], left)
            idx, x = _expand(lo, hi)
            rem, acc, part = rem[idx], acc[idx] - gammaln(x + 1.0), part[idx] + x
            rem[:, i] -= x
    acc = acc - gammaln(rem + 1.0).sum(axis=1)
    return acc + const, float(observed)


def fisher_exact(table) -> AssociationTest:
    """Fisher's exact test (two-sided) on an r x c table of counts, as R ``fisher.test``.

    Parameters
    ----------
    table : array_like of int, shape (r, c), r, c >= 2
        The contingency table (e.g. marker levels x responder yes/no). Rows or columns of zeros are allowed.

    Returns
    -------
    AssociationTest
        ``p_value``: the summed probability of the tables, margins fixed, whose probability is at most
        (1 + 1e-7) times the observed table's (R's rule); ``statistic`` and ``df`` are None.

    Raises
    ------
    ValueError
        For a table that is not 2-D with at least 2 x 2 non-negative whole counts, or one whose margins
        allow more than ``MAX_TABLES`` tables (use :func:`chisq_test`).
    """
    t = _table(table)
    lp, obs = _log_probs(t)
    keep = lp <= obs + np.log1p(REL_ERR)
    top = lp.max()
    p = float(np.exp(lp[keep] - top).sum() / np.exp(lp - top).sum())
    return AssociationTest("Fisher's exact test", None, None, min(p, 1.0), int(t.sum()))


def chisq_test(table) -> AssociationTest:
    """Pearson's chi-square test of independence without continuity correction, as R
    ``chisq.test(table, correct = FALSE)``.

    Parameters
    ----------
    table : array_like of int, shape (r, c), r, c >= 2
        Counts; every row and column must have a positive total (R would return NaN).

    Returns
    -------
    AssociationTest
        ``statistic`` = sum (O - E)^2 / E with E = row total x column total / n, ``df`` = (r - 1)(c - 1),
        ``p_value`` from the chi-square distribution.
    """
    t = _table(table).astype(np.float64)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    if np.any(rows == 0) or np.any(cols == 0):
        raise ValueError("table has a row or column with zero total; the chi-square test needs every "
                         "expected count > 0 (drop the empty row or column)")
    e = np.outer(rows, cols) / t.sum()
    stat = float(((t - e) ** 2 / e).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    return AssociationTest("Pearson's chi-square test", stat, df, float(chi2_sf(stat, df)), int(t.sum()))


def _sample(values, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers") from None
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has missing or infinite values; drop them first")
    return a


def wilcoxon_ranksum(x, y) -> AssociationTest:
    """Wilcoxon rank-sum test (two-sided), normal approximation, as R ``wilcox.test(x, y, exact = FALSE,
    correct = TRUE)``.

    Parameters
    ----------
    x, y : array_like of float
        The two samples (e.g. marker values in responders and in non-responders); no missing values.

    Returns
    -------
    AssociationTest
        ``statistic`` = R's W = (sum of the mid-ranks of ``x`` in the pooled sample) - n_x (n_x + 1) / 2;
        z = (W - n_x n_y / 2 - 0.5 sign(.)) / sigma with the tie-corrected
        sigma^2 = n_x n_y / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))); ``p_value`` = 2 min(Phi(z), 1 - Phi(z)).
        When every value is tied, sigma = 0 and ``p_value`` is NaN, as in R.
    """
    a, b = _sample(x, "x"), _sample(y, "y")
    nx, ny = a.size, b.size
    n = nx + ny
    ranks = rank_average(np.concatenate([a, b]))
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2.0)
    _, ties = np.unique(ranks, return_counts=True)
    ties = ties.astype(np.float64)
    sigma2 = (nx * ny / 12.0) * ((n + 1) - (ties ** 3 - ties).sum() / (n * (n - 1))) if n > 1 else 0.0
    z = w - nx * ny / 2.0
    z = z - np.sign(z) * 0.5
    if sigma2 <= 0:
        p = float("nan")
    else:
        zs = z / np.sqrt(sigma2)
        p = float(min(2.0 * min(norm_cdf(zs), norm_sf(zs)), 1.0))
    return AssociationTest("Wilcoxon rank-sum test", w, None, p, int(n))
