"""Normal and chi-square tail functions, average ranks and the Clopper-Pearson interval without
importing ``scipy.stats``.

``scipy.stats`` takes about 0.7 s to import; these call the same ``scipy.special`` routines that
``scipy.stats`` itself uses (``norm.ppf`` = ``ndtri``, ``norm.sf(x)`` = ``ndtr(-x)``, ``chi2.sf`` =
``chdtrc``), so the values are identical. ``scipy.special`` (0.1-0.25 s) is imported on first use.
"""

from __future__ import annotations

import numpy as np

__all__ = ["norm_ppf", "norm_sf", "norm_cdf", "chi2_sf", "chi2_ppf", "rank_average", "clopper_pearson"]


def _sp():
    import scipy.special as sp

    return sp


def norm_ppf(q):
    """Standard normal quantile (``scipy.stats.norm.ppf``). A single level (e.g. 0.975 for a 95% CI)
    uses the standard library's Wichura AS241, the algorithm of R's ``qnorm`` (equal to ``ndtri``
    within 1e-15 relative), so that a Kaplan-Meier fit never imports scipy."""
    if isinstance(q, float) and 0.0 < q < 1.0:
        from statistics import NormalDist

        return NormalDist().inv_cdf(q)
    return _sp().ndtri(q)


def norm_cdf(x):
    """Standard normal distribution function (``scipy.stats.norm.cdf``)."""
    return _sp().ndtr(x)


def norm_sf(x):
    """Standard normal upper tail (``scipy.stats.norm.sf``)."""
    return _sp().ndtr(-np.asarray(x, dtype=float))


def chi2_sf(x, df):
    """Chi-square upper tail P(X > x) (``scipy.stats.chi2.sf`` for x >= 0, df > 0)."""
    return _sp().chdtrc(df, x)


def chi2_ppf(q, df):
    """Chi-square quantile (``scipy.stats.chi2.ppf``: 2 * gammaincinv(df / 2, q))."""
    return 2.0 * _sp().gammaincinv(np.asarray(df, dtype=float) / 2.0, q)


def rank_average(a) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (``scipy.stats.rankdata(method='average')``)."""
    a = np.asarray(a).ravel()
    sorter = np.argsort(a, kind="mergesort")
    inv = np.empty(sorter.size, dtype=np.intp)
    inv[sorter] = np.arange(sorter.size, dtype=np.intp)
    s = a[sorter]
    obs = np.r_[True, s[1:] != s[:-1]]
    dense = obs.cumsum()[inv]
    count = np.r_[np.nonzero(obs)[0], len(obs)]
    return 0.5 * (count[dense] + count[dense - 1] + 1)


def clopper_pearson(k: int, n: int, conf_level: float) -> tuple[float, float]:
    """Exact two-sided interval of a binomial proportion, as R ``binom.test``: the beta quantiles
    qbeta(alpha/2, k, n-k+1) and qbeta(1-alpha/2, k+1, n-k) (0 and 1 at k = 0 and k = n)."""
    alpha = (1.0 - conf_level) / 2.0
    sp = _sp()
    low = 0.0 if k == 0 else float(sp.betaincinv(k, n - k + 1, alpha))
    high = 1.0 if k == n else float(sp.betaincinv(k + 1, n - k, 1.0 - alpha))
    return low, high
