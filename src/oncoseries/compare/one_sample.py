"""Tests of a series against a historical benchmark (docs/historical-control.md).

- One-sample log-rank test (Breslow 1975; Finkelstein, Muzikansky & Schoenfeld, J Clin Oncol 2003): the
  observed number of events O against E = sum over patients of the reference cumulative hazard at their
  follow-up time, Lambda0(t_i); statistic (O - E)^2 / E on 1 df (Z = (O - E) / sqrt(E)). SMR = O / E with
  the exact Poisson CI of O divided by E (R ``poisson.test(O, E)$conf.int``) and the exact Poisson P
  (R ``poisson.test``).
- Binomial test of a response rate against a benchmark rate: R ``binom.test(x, n, p)`` (exact P with R's
  two-sided rule, Clopper-Pearson CI).
No ``scipy.stats`` import (see stats._dist).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..stats._dist import chi2_sf

__all__ = ["BinomialTestResult", "OneSampleResult", "binomial_test", "one_sample_logrank", "poisson_test_p"]

_REL_ERR = 1 + 1e-7   # R's tolerance for "as or less likely" in the two-sided exact tests


def _sp():
    import scipy.special as sp

    return sp


@dataclass(frozen=True)
class OneSampleResult:
    """One-sample log-rank test: ``observed`` (O), ``expected`` (E), ``statistic`` ((O-E)^2/E), ``z``,
    ``p_value`` (chi-square, 1 df), ``smr`` (O/E) with ``smr_lower``/``smr_upper`` (exact Poisson),
    ``p_exact`` (exact Poisson test of O given E), ``n`` patients, ``n_beyond`` followed past the end of
    the reference's own follow-up or points."""

    n: int
    observed: int
    expected: float
    statistic: float
    z: float
    p_value: float
    smr: float
    smr_lower: float
    smr_upper: float
    p_exact: float
    conf_level: float
    n_beyond: int = 0

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _dpois(k, m):
    sp = _sp()
    k = np.asarray(k, float)
    return np.exp(k * math.log(m) - m - sp.gammaln(k + 1))


def _ppois(k, m, lower: bool = True) -> float:
    """P(X <= k) (lower) or P(X > k) for X ~ Poisson(m); k < 0 gives 0 / 1."""
    if k < 0:
        return 0.0 if lower else 1.0
    sp = _sp()
    return float(sp.pdtr(k, m) if lower else sp.pdtrc(k, m))


def poisson_test_p(x: int, m: float) -> float:
    """Two-sided exact P of x events when m are expected (R ``poisson.test(x, m)$p.value``)."""
    if m == 0:
        return float(x == 0)
    d = float(_dpois(x, m))
    if x == m:
        return 1.0
    if x < m:
        n_hi = math.ceil(2 * m - x)
        while float(_dpois(n_hi, m)) > d:
            n_hi *= 2
        i = np.arange(math.ceil(m), n_hi + 1)
        y = int((_dpois(i, m) <= d * _REL_ERR).sum())
        p = _ppois(x, m) + _ppois(n_hi - y, m, lower=False)
    else:
        i = np.arange(0, math.floor(m) + 1)
        y = int((_dpois(i, m) <= d * _REL_ERR).sum())
        p = _ppois(y - 1, m) + _ppois(x - 1, m, lower=False)
    return min(1.0, p)


def one_sample_logrank(data, time, event, reference, conf_level: float = 0.95,
                       horizon: float | None = None) -> OneSampleResult:
    """One-sample log-rank test of a series against a reference curve (``reference_curve``).

    Parameters
    ----------
    data : DataFrame
        The series, one row per patient.
    time, event : str
        Columns: follow-up time in the reference's time unit; event 0/1 or boolean.
    reference : ReferenceCurve
        The historical benchmark (``osr.reference_curve``).
    conf_level : float
        Level of the exact CI of the SMR.
    horizon : float, optional
        Compare up to this time only: follow-up beyond it is censored there (events after it do not
        count). Use the last time the published numbers describe, so that the test does not rest on the
        reference curve's extrapolation.
    """
    from ..stats._km_core import check_level, prepare

    cl = check_level(conf_level)
    if not hasattr(reference, "cumhaz"):
        raise TypeError("reference must be a reference curve (osr.reference_curve(...))")
    sd = prepare(data, time, event)
    t = np.asarray(sd.time, float)
    ev = np.asarray(sd.event, bool)
    if horizon is not None:
        h = float(horizon)
        if not math.isfinite(h) or h <= 0:
            raise ValueError(f"horizon must be a positive time, got {horizon!r}")
        ev = ev & (t <= h)
        t = np.minimum(t, h)
    o = int(ev.sum())
    e = float(reference.cumhaz(t).sum())
    if not e > 0:
        raise ValueError("no events are expected under the reference (all follow-up times are 0)")
    stat = (o - e) ** 2 / e
    alpha = (1 - cl) / 2
    sp = _sp()
    low = 0.0 if o == 0 else float(sp.gammaincinv(o, alpha)) / e
    high = float(sp.gammaincinv(o + 1, 1 - alpha)) / e
    beyond = int((t > reference.last_time).sum()) if reference.last_time is not None else 0
    return OneSampleResult(n=int(t.size), observed=o, expected=e, statistic=stat, z=(o - e) / math.sqrt(e),
                           p_value=float(chi2_sf(stat, 1)), smr=o / e, smr_lower=low, smr_upper=high,
                           p_exact=poisson_test_p(o, e), conf_level=cl, n_beyond=beyond)


@dataclass(frozen=True)
class BinomialTestResult:
    """Exact binomial test: ``estimate`` = x / n with ``lower``/``upper`` (Clopper-Pearson, one-sided bounds
    for a one-sided test as R), ``p_value`` against ``p0``."""

    successes: int
    n: int
    p0: float
    estimate: float
    lower: float
    upper: float
    p_value: float
    alternative: str
    conf_level: float

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _dbinom(k, n, p):
    sp = _sp()
    k = np.asarray(k, float)
    if p == 0:
        return (k == 0).astype(float)
    if p == 1:
        return (k == n).astype(float)
    return np.exp(sp.gammaln(n + 1) - sp.gammaln(k + 1) - sp.gammaln(n - k + 1) + k * math.log(p)
                  + (n - k) * math.log1p(-p))


def _pbinom(k, n, p, lower: bool = True) -> float:
    if k < 0:
        return 0.0 if lower else 1.0
    if k >= n:
        return 1.0 if lower else 0.0
    sp = _sp()
    return float(sp.bdtr(k, n, p) if lower else sp.bdtrc(k, n, p))


def binomial_test(successes: int, n: int, p0: float, alternative: str = "two-sided",
                  conf_level: float = 0.95) -> BinomialTestResult:
    """Exact binomial test of a proportion against ``p0`` (e.g. ORR against a benchmark rate), as R
    ``binom.test(successes, n, p0, alternative)``: two-sided P sums the outcomes no more likely than the
    observed one; the CI is Clopper-Pearson (one-sided for a one-sided alternative)."""
    from ..stats._km_core import check_level
    from ..stats.binomial import _count

    k, m = _count(successes, "successes"), _count(n, "n")
    if m < 1 or not 0 <= k <= m:
        raise ValueError(f"need n >= 1 and 0 <= successes <= n; got {k} of {m}")
    p0 = float(p0)
    if not 0 <= p0 <= 1:
        raise ValueError(f"the benchmark rate p0 must be between 0 and 1, got {p0!r}")
    alt = {"two.sided": "two-sided", "two-sided": "two-sided", "greater": "greater", "less": "less"}.get(alternative)
    if alt is None:
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less'; got {alternative!r}")
    cl = check_level(conf_level)
    sp = _sp()
    if alt == "less":
        p = _pbinom(k, m, p0)
        low, high = 0.0, (1.0 if k == m else float(sp.betaincinv(k + 1, m - k, cl)))
    elif alt == "greater":
        p = _pbinom(k - 1, m, p0, lower=False)
        low, high = (0.0 if k == 0 else float(sp.betaincinv(k, m - k + 1, 1 - cl))), 1.0
    else:
        from ..stats._dist import clopper_pearson

        low, high = clopper_pearson(k, m, cl)
        d = float(_dbinom(k, m, p0))
        mean = m * p0
        if k == mean:
            p = 1.0
        elif k < mean:
            i = np.arange(math.ceil(mean), m + 1)
            y = int((_dbinom(i, m, p0) <= d * _REL_ERR).sum())
            p = _pbinom(k, m, p0) + _pbinom(m - y, m, p0, lower=False)
        else:
            i = np.arange(0, math.floor(mean) + 1)
            y = int((_dbinom(i, m, p0) <= d * _REL_ERR).sum())
            p = _pbinom(y - 1, m, p0) + _pbinom(k - 1, m, p0, lower=False)
        p = min(1.0, p)
    return BinomialTestResult(k, m, p0, k / m, low, high, float(p), alt, cl)
