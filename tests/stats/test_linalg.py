"""stats/_linalg: numpy.linalg's solve and slogdet through their gufuncs give numpy.linalg's doubles, bit for
bit, and its errors (a singular matrix raises LinAlgError); other inputs go to numpy.linalg itself."""

from __future__ import annotations

import numpy as np
import pytest

from oncoseries.stats import _linalg


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_same_doubles_as_numpy_linalg(k):
    rng = np.random.default_rng(k)
    for _ in range(50):
        x = rng.normal(size=(40, k))
        a = x.T @ (x * rng.random(40)[:, None])            # an information matrix
        b1, b2 = rng.normal(size=k), rng.normal(size=(k, 40))
        assert _linalg.solve(a, b1).tobytes() == np.linalg.solve(a, b1).tobytes()
        assert _linalg.solve(a, b2).tobytes() == np.linalg.solve(a, b2).tobytes()
        assert _linalg.solve(a, b2.T.T[:, ::2]).tobytes() == np.linalg.solve(a, b2[:, ::2]).tobytes()  # strided
        sign, logdet = _linalg.slogdet(a)
        want = np.linalg.slogdet(a)
        assert (float(sign), float(logdet)) == (float(want.sign), float(want.logabsdet))
        neg = -a
        assert float(_linalg.slogdet(neg)[0]) == float(np.linalg.slogdet(neg).sign)


def test_singular_and_other_inputs_as_numpy():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        _linalg.solve(singular, np.array([1.0, 1.0]))
    assert _linalg.slogdet(np.zeros((2, 2))) == (0.0, -np.inf)
    with np.errstate(all="raise"):      # the caller's error state is left as it was
        assert _linalg.solve(np.eye(2) * 2.0, np.array([1.0, 3.0])).tolist() == [0.5, 1.5]
        with pytest.raises(FloatingPointError):
            np.array([1.0]) / 0.0
    ints = np.array([[2, 1], [1, 3]])
    assert np.array_equal(_linalg.solve(ints, np.array([1, 2])), np.linalg.solve(ints, np.array([1, 2])))
    assert _linalg.slogdet(ints) == tuple(np.linalg.slogdet(ints))
    stack = np.stack([np.eye(2), 2 * np.eye(2)])
    assert np.array_equal(_linalg.solve(stack, np.ones((2, 2, 1))), np.linalg.solve(stack, np.ones((2, 2, 1))))
    with pytest.raises(np.linalg.LinAlgError):
        _linalg.solve(np.ones((2, 3)), np.ones(2))
