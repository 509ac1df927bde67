"""``numpy.linalg.solve`` and ``numpy.linalg.slogdet`` for the small float64 matrices of an iterative fit.

The penalised fits (stats/logistic.py, stats/firth.py, stats/_penalised.py) solve and factor a 2x2 to 7x7
information matrix thousands of times (the profile-likelihood limits of Firth's logistic regression: ~2,400
evaluations for the bundled study's biomarkers). For such a matrix numpy's Python wrapper (argument checks,
type resolution, the result's wrapping) costs 3-6 microseconds, more than the LAPACK call. These functions
call the same gufuncs (``numpy.linalg._umath_linalg``) with the same signature and, for ``solve``, the same
floating-point error state (a singular matrix raises ``LinAlgError("Singular matrix")``), so the values are
the same doubles; anything but a float64 square matrix (or a numpy without that module) goes to numpy.linalg.
tests/stats/test_linalg.py compares them with numpy.linalg bit for bit.
"""

from __future__ import annotations

import numpy as np

try:   # numpy's own compiled kernels of numpy.linalg (a private module, present in numpy 1.x and 2.x)
    from numpy.linalg import _umath_linalg as _ul
except ImportError:   # pragma: no cover - a numpy without it: the public functions
    _ul = None

__all__ = ["solve", "slogdet"]

_F8 = np.dtype(np.float64)


def _singular(err, flag):
    raise np.linalg.LinAlgError("Singular matrix")


def _square(a) -> bool:
    return (_ul is not None and type(a) is np.ndarray and a.dtype == _F8 and a.ndim == 2
            and a.shape[0] == a.shape[1])


def solve(a, b):
    """``np.linalg.solve(a, b)``: x with a x = b (b a vector or a matrix of columns)."""
    if not (_square(a) and type(b) is np.ndarray and b.dtype == _F8 and b.ndim in (1, 2)):
        return np.linalg.solve(a, b)
    gufunc = _ul.solve1 if b.ndim == 1 else _ul.solve
    with np.errstate(call=_singular, invalid="call", over="ignore", divide="ignore", under="ignore"):
        return gufunc(a, b, signature="dd->d")


def slogdet(a):
    """``np.linalg.slogdet(a)``: (sign, log |det a|) of a square matrix (sign 0, log -inf when singular)."""
    if not _square(a):
        return tuple(np.linalg.slogdet(a))
    return _ul.slogdet(a, signature="d->dd")
