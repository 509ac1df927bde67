"""Normal and chi-square tail functions, average ranks and the Clopper-Pearson interval without
importing ``scipy.stats``.

``scipy.stats`` takes about 0.7 s to import; these call the same ``scipy.special`` routines that
``scipy.stats`` itself uses (``norm.ppf`` = ``ndtri``, ``norm.sf(x)`` = ``ndtr(-x)``, ``chi2.sf`` =
``chdtrc``), so the values are identical. ``scipy.special`` (0.1-0.25 s) is imported on first use.

The few p-values of a model fit (a Cox table, a log-rank test) never import scipy: for up to
``_SMALL`` values the normal tail is the standard library's ``erfc`` (``ndtr(-x) = erfc(x/sqrt 2)/2``,
the formula of cephes' ``ndtr``), and the chi-square tail with a whole number of degrees of freedom
is the finite series of the regularised upper incomplete gamma function (Abramowitz & Stegun
26.4.4-26.4.5): df = 2m gives exp(-x/2) sum_{i<m} (x/2)^i / i!; df = 2m + 1 gives
erfc(sqrt(x/2)) + exp(-x/2) sum_{i=1..m} (x/2)^(i-1/2) / Gamma(i+1/2), terms summed in log space.
Both agree with scipy to about 1e-15 relative (tests/stats/test_dist.py).
"""

from __future__ import annotations

import math

import numpy as np

#: at most this many values (and df at most _DF_SERIES) use the standard-library formulas
_SMALL = 64
_DF_SERIES = 400

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
    a = np.asarray(x, dtype=float)
    if a.size <= _SMALL:
        out = np.array([0.5 * math.erfc(v / math.sqrt(2.0)) if not math.isnan(v) else math.nan
                        for v in a.ravel().tolist()], dtype=float).reshape(a.shape)
        return out[()] if out.ndim == 0 else out
    return _sp().ndtr(-a)


def _chi2_sf_series(x: float, df: int) -> float:
    """P(X > x) for a chi-square with a whole number of degrees of freedom (finite series)."""
    if math.isnan(x):
        return math.nan
    if x <= 0.0:
        return 1.0
    if math.isinf(x):
        return 0.0
    h = 0.5 * x
    m, odd = divmod(df, 2)
    if h < 700.0:  # terms by recursion from exp(-h) (a Poisson-like pmf: no overflow)
        if odd:
            total = math.erfc(math.sqrt(h))
            term = math.sqrt(h) * math.exp(-h) / math.gamma(1.5)
            for i in range(1, m + 1):  # (x/2)^(i-1/2) / Gamma(i+1/2) e^(-x/2)
                total += term
                term *= h / (i + 0.5)
        else:
            total, term = 0.0, math.exp(-h)
            for i in range(m):         # (x/2)^i / i! e^(-x/2)
                total += term
                term *= h / (i + 1.0)
        return min(total, 1.0)
    logh = math.log(h)               # exp(-h) underflows: terms in log space
    total = math.erfc(math.sqrt(h)) if odd else 0.0
    for i in range(1, m + 1) if odd else range(m):
        total += math.exp((i - 0.5 if odd else i) * logh - h - math.lgamma(i + 0.5 if odd else i + 1.0))
    return min(total, 1.0)


def chi2_sf(x, df):
    """Chi-square upper tail P(X > x) (``scipy.stats.chi2.sf`` for x >= 0, df > 0)."""
    xa = np.asarray(x, dtype=float)
    da = np.asarray(df, dtype=float)
    if (xa.size <= _SMALL and da.size <= _SMALL and np.all(da == np.floor(da)) and np.all(da >= 1)
            and np.all(da <= _DF_SERIES)):
        xb, db = np.broadcast_arrays(xa, da)
        out = np.array([_chi2_sf_series(v, int(d)) for v, d in zip(xb.ravel().tolist(), db.ravel().tolist())],
                       dtype=float).reshape(xb.shape)
        return out[()] if out.ndim == 0 else out
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
