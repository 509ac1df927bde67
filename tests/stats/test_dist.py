"""stats._dist gives the values of scipy.stats (which it avoids importing) on the statistics' inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from oncoseries.stats import _dist


def test_tails_and_quantiles_equal_scipy_stats():
    x = np.array([0.0, 1e-8, 0.3, 1.0, 3.84, 10.0, 50.0, 400.0])
    for df in (1, 2, 3, 7, 30):
        np.testing.assert_allclose(_dist.chi2_sf(x, df), stats.chi2.sf(x, df), rtol=1e-13, atol=0)
    z = np.array([-8.0, -1.96, 0.0, 0.5, 3.0, 12.0])
    np.testing.assert_allclose(_dist.norm_sf(z), stats.norm.sf(z), rtol=1e-13, atol=0)
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


def test_small_inputs_use_the_series_and_equal_scipy_over_a_grid():
    """The standard-library path (few values, whole df) against scipy: tails over 300 orders of
    magnitude, both branches of the series (exp(-x/2) normal and underflowing), odd and even df."""
    xs = np.concatenate([[0.0, 1e-300, 1e-12], np.geomspace(1e-6, 3000.0, 60)])
    for df in (1, 2, 3, 4, 5, 10, 11, 50, 51, 199, 400):
        ours = np.array([_dist.chi2_sf(float(v), df) for v in xs])
        ref = stats.chi2.sf(xs, df)
        big = ref > 1e-290
        np.testing.assert_allclose(ours[big], ref[big], rtol=2e-13, atol=0)
        assert np.all(ours[~big] < 1e-280)
    z = np.concatenate([-np.geomspace(1e-8, 38.0, 40), [0.0], np.geomspace(1e-8, 38.0, 40)])
    ours, ref = np.array([_dist.norm_sf(float(v)) for v in z]), stats.norm.sf(z)
    np.testing.assert_allclose(ours[ref > 1e-290], ref[ref > 1e-290], rtol=1e-13, atol=0)
    assert np.isnan(_dist.chi2_sf(float("nan"), 3)) and np.isnan(_dist.norm_sf(float("nan")))
    assert _dist.chi2_sf(float("inf"), 3) == 0.0 and _dist.chi2_sf(-1.0, 2) == 1.0
    # vectors of p-values and a non-integer df still go through scipy, same values
    np.testing.assert_allclose(_dist.chi2_sf(np.full(100, 3.0), 2.5), stats.chi2.sf(3.0, 2.5), rtol=1e-15)
    assert np.shape(_dist.norm_sf(np.zeros((2, 3)))) == (2, 3)
