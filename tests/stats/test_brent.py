"""stats/_brent.py gives scipy.optimize.brentq's root bit for bit (same steps, same doubles), so the
profile-likelihood limits and trial-design bounds that use it are unchanged in results.json."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from oncoseries.stats._brent import brent_root

FUNCTIONS = [
    (lambda x: x ** 3 - 2.0, 0.0, 2.0),
    (lambda x: math.exp(x) - 5.0, -3.0, 4.0),
    (lambda x: math.cos(x) - x, 0.0, 1.0),
    (lambda x: math.atan(x - 0.3) * 1e-6, -50.0, 60.0),
    (lambda x: min((x - 1.7) ** 2 * 40.0 - 3.841458820694124, 1e8), 1.7, 9.0),   # a capped profile gap
    (lambda x: min(2 * (x * x) ** 0.75 - 3.84, 1e8), 0.0, -30.0),
    (lambda x: x - 1e-12, -1.0, 1.0),
    (lambda x: (x - 0.5) ** 7, 0.0, 3.0),
    (lambda x: math.tanh(20 * (x - 0.123)), -1.0, 1.0),
    (lambda x: 1.0 if x > 0.2 else -1.0, 0.0, 1.0),              # a step: bisection only
]


@pytest.mark.parametrize("k", range(len(FUNCTIONS)))
@pytest.mark.parametrize("xtol,rtol", [(2e-12, 4 * np.finfo(float).eps), (1e-12, 1e-13), (1e-12, 1e-12),
                                       (1e-10, 8.881784197001252e-16), (1e-3, 1e-3), (1e-13, 1e-13)])
def test_same_root_as_scipy(k, xtol, rtol):
    f, a, b = FUNCTIONS[k]
    theirs, info = brentq(f, a, b, xtol=xtol, rtol=rtol, full_output=True, disp=False)
    if not info.converged:       # (x - 0.5)^7 at the tightest tolerances: both give up after 100 steps
        with pytest.raises(RuntimeError, match=repr(float(theirs))):
            brent_root(f, a, b, xtol=xtol, rtol=rtol)
        return
    assert brent_root(f, a, b, xtol=xtol, rtol=rtol).hex() == float(theirs).hex()


def test_random_polynomials_bit_for_bit():
    rng = np.random.default_rng(20261203)
    for _ in range(300):
        c = rng.normal(size=4)
        f = np.polynomial.Polynomial(c)
        a, b = sorted(rng.uniform(-5, 5, 2))
        if f(a) * f(b) >= 0:
            continue
        g = lambda x: float(f(x))   # noqa: E731
        assert brent_root(g, a, b, xtol=1e-12, rtol=1e-13).hex() == float(brentq(g, a, b, xtol=1e-12,
                                                                                  rtol=1e-13)).hex()


def test_errors_as_scipy():
    with pytest.raises(ValueError, match="different signs"):
        brent_root(lambda x: x * x + 1, -1.0, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        brent_root(lambda x: float("nan"), -1.0, 1.0)
    with pytest.raises(ValueError):
        brent_root(lambda x: x, -1.0, 1.0, rtol=1e-17)
    with pytest.raises(RuntimeError):
        brent_root(lambda x: (x - 0.5) ** 7, 0.0, 3.0, xtol=1e-12, rtol=1e-12)
    assert brent_root(lambda x: x, 0.0, 1.0) == 0.0 and brent_root(lambda x: x - 1.0, 0.0, 1.0) == 1.0
