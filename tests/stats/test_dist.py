"""stats._dist gives the values of scipy.stats (which it avoids importing) on the statistics' inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from oncoseries.stats import _dist


def test_tails_and_quantiles_equal_scipy_stats():
    x = np.array([0.0, 1e-8, 0.3, 1.0, 3.84, 10.0, 50.0, 400.0])
    for df in (1, 2, 3, 7, 30):
        np.testing.assert_array_equal(_dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    z = np.array([-8.0, -1.96, 0.0, 0.5, 3.0, 12.0])
    np.testing.assert_array_equal(_dist.norm_sf(z), stats.norm.sf(z))
    np.testing.assert_array_equal(_dist.norm_cdf(z), stats.norm.cdf(z))
    for q in (0.6, 0.9, 0.95, 0.975, 0.995, 0.9995):
        assert _dist.norm_ppf(q) == pytest.approx(stats.norm.ppf(q), rel=1e-15)
        assert _dist.chi2_ppf(q, 1) == pytest.approx(stats.chi2.ppf(q, 1), rel=1e-14)


def test_average_ranks_equal_rankdata():
    rng = np.random.default_rng(1)
    for a in (rng.integers(0, 5, 200), rng.normal(size=50), np.array([3.0]), np.array([2, 2, 2])):
        np.testing.assert_array_equal(_dist.rank_average(a), stats.rankdata(a, method="average"))


@pytest.mark.parametrize("k,n", [(0, 1), (0, 10), (1, 10), (5, 10), (10, 10), (10, 51), (999, 1000)])
def test_clopper_pearson_equals_binomtest(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = _dist.clopper_pearson(k, n, 0.95)
    assert low == pytest.approx(ci.low, rel=1e-9, abs=1e-15)
    assert high == pytest.approx(ci.high, rel=1e-9, abs=1e-15)
