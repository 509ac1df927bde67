"""logistic_ml's own IRLS (stats/logistic.py) gives statsmodels' GLM numbers bit for bit, without
importing statsmodels at run time (about 1.5 s of start-up). R agreement: tests/stats/test_markers_stats.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from oncoseries.stats.logistic import _irls, logistic_ml

sm = pytest.importorskip("statsmodels.api")


def _cases(count=120, seed=1):
    rng = np.random.default_rng(seed)
    for t in range(count):
        n, k = int(rng.integers(15, 120)), int(rng.integers(1, 5))
        X = np.c_[np.ones(n), rng.normal(size=(n, k)) * rng.choice([1, 10, 100])]
        if t % 3 == 0:
            X[:, 1] = (X[:, 1] > 0).astype(float)
        beta = rng.normal(size=k + 1) * 0.5
        z = ((X - X.mean(0)) / X.std(0).clip(1e-9)) @ beta
        y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(float)
        if 0 < y.sum() < n:
            yield X, y


def test_irls_equals_statsmodels_glm_bit_for_bit():
    checked = 0
    for X, y in _cases():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
            coef, cov, ll, it, ok = _irls(X, y)
        assert np.array_equal(coef, np.asarray(ref.params))
        assert np.array_equal(np.sqrt(np.diag(cov)), np.asarray(ref.bse))
        assert (ll, it, ok) == (ref.llf, ref.fit_history["iteration"], ref.converged)
        checked += 1
    assert checked > 100


def test_logistic_ml_fields_from_the_fit():
    X, y = next(_cases(seed=5))
    fit = logistic_ml(X, y)
    ref = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    assert np.array_equal(fit.coef, ref.params) and np.array_equal(fit.se, ref.bse)
    assert np.allclose(fit.p, ref.pvalues, rtol=1e-12, atol=0)
    lo, hi = np.exp(ref.conf_int()).T
    assert np.allclose(fit.lower, lo, rtol=1e-12) and np.allclose(fit.upper, hi, rtol=1e-12)


def test_irls_rejects_non_finite_working_values():
    X = np.c_[np.ones(4), [0.0, 1.0, 2.0, np.inf]]
    with pytest.raises(ValueError):
        logistic_ml(X, np.array([0, 1, 0, 1]))


@pytest.mark.parametrize("seed", range(4))
def test_normal_equations_path_equals_lstsq_path(seed, monkeypatch):
    """From NORMAL_EQUATIONS_MIN_N rows each step solves X'WX (Cholesky) instead of statsmodels' lstsq: the
    same fit to rounding (the covariance to 1e-9 relative, 1e-7 when the stop rule stops the paths after
    different numbers of steps; coefficients to 1e-8 of their SE); an
    ill-conditioned design (a column of 10^7 +- 1) keeps the lstsq path."""
    from oncoseries.stats import logistic as L

    rng = np.random.default_rng(seed)
    n = L.NORMAL_EQUATIONS_MIN_N + 1000
    X = np.c_[np.ones(n), rng.normal(size=n) * rng.choice([1, 50]) + 100, rng.integers(0, 2, n),
              rng.choice([0.0, 1.0, 2.0], n)]
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 * X[:, 2] - 0.2 * X[:, 3])))).astype(float)
    fast = L._irls(X, y)
    monkeypatch.setattr(L, "NORMAL_EQUATIONS_MIN_N", 10**12)
    slow = L._irls(X, y)
    se = np.sqrt(np.diag(slow[1]))
    assert np.all(np.abs(fast[0] - slow[0]) <= 1e-8 * se)
    # the stop rule (deviance change <= 1e-12, for deviances of 10^4: below one rounding unit) stops the
    # two paths after different numbers of steps; the last steps move the covariance by ~1e-9 relative
    # (same number of steps: ~1e-11)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-9 if fast[3] == slow[3] else 1e-7)
    assert fast[2] == pytest.approx(slow[2], rel=1e-12) and fast[4] == slow[4]
    monkeypatch.setattr(L, "NORMAL_EQUATIONS_MIN_N", 0)
    Xbad = np.c_[np.ones(n), 1e7 + rng.integers(0, 2, n)]
    assert L._normal_step(Xbad, np.full(n, 0.25), np.zeros(n)) is None
    got = L._irls(Xbad, y)
    monkeypatch.setattr(L, "NORMAL_EQUATIONS_MIN_N", 10**12)
    want = L._irls(Xbad, y)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
