"""design/_dists.py: the normal and binomial functions equal scipy.stats' bit for bit (edges included)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st

from oncoseries.design._dists import binom, norm


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


X = np.r_[np.linspace(-40, 40, 2001), -np.inf, np.inf, np.nan, 0.0, -0.0]
Q = np.r_[np.linspace(0, 1, 1001), 1e-300, 1 - 1e-16, np.nan, -0.1, 1.1]


@pytest.mark.parametrize("f", ["cdf", "sf", "pdf"])
def test_norm_tails_and_density(f):
    assert _same(getattr(norm, f)(X), getattr(st.norm, f)(X))
    for v in (0.3, -2.0, 5.0):
        assert _same(getattr(norm, f)(v), getattr(st.norm, f)(v))


@pytest.mark.parametrize("f", ["ppf", "isf"])
def test_norm_quantiles(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _same(getattr(norm, f)(Q), getattr(st.norm, f)(Q))
    for v in (0.025, 0.2, 0.975):
        assert _same(getattr(norm, f)(v), getattr(st.norm, f)(v))


@pytest.mark.parametrize("p", [0.0, 0.05, 0.2, 0.35, 0.5, 0.9, 1.0])
def test_binom(p):
    m, k = np.arange(0, 120)[:, None], np.arange(-3, 125)[None, :]
    for f in ("pmf", "sf", "cdf"):
        assert _same(getattr(binom, f)(k, m, p), getattr(st.binom, f)(k, m, p)), f
        assert _same(getattr(binom, f)(k + 0.5, m, p), getattr(st.binom, f)(k + 0.5, m, p)), f
    for q in (0.0, 0.05, 0.5, 0.95, 0.999, 1.0):
        assert _same(binom.ppf(q, np.arange(1, 1001), p), st.binom.ppf(q, np.arange(1, 1001), p)), q
    assert _same(binom.sf(3, 40, p), st.binom.sf(3, 40, p))


def test_binom_falls_back_to_scipy_stats_without_the_private_ufuncs(monkeypatch):
    """If a scipy release renames scipy.special._ufuncs._binom_*, the values come from scipy.stats.binom."""
    import numpy as np
    import scipy.special
    from scipy import stats

    from oncoseries.design import _dists

    class NoUfuncs:
        pass

    monkeypatch.setattr(scipy.special, "_ufuncs", NoUfuncs())
    k = np.arange(0, 11)
    np.testing.assert_allclose(_dists.binom.sf(k, 10, 0.3), stats.binom.sf(k, 10, 0.3), rtol=1e-14)
    np.testing.assert_allclose(_dists.binom.pmf(k, 10, 0.3), stats.binom.pmf(k, 10, 0.3), rtol=1e-14)
    assert _dists.binom.ppf(0.5, 10, 0.3) == stats.binom.ppf(0.5, 10, 0.3)
