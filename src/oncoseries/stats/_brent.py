"""Brent's root finder (Brent 1973, "Algorithms for minimization without derivatives", ch. 4) in the
variant of scipy's ``brentq``, step for step, so every root is the same double as scipy's.

Why not scipy: ``import scipy.optimize`` costs about 0.3 s (it loads scipy.linalg, scipy.sparse and
more), paid by every ``oncoseries analyze`` for a handful of one-dimensional roots (profile-likelihood
limits, trial-design bounds). Each iteration keeps a bracket [cur, blk] with f(cur) the smaller in
size; it tries inverse quadratic (or secant) interpolation and falls back to bisection when the trial
step is not short enough; the iteration stops when half the bracket is below
``delta = (xtol + rtol |cur|) / 2``. The comparison with scipy on many functions, brackets and
tolerances (bit for bit) is in tests/stats/test_brent.py.
"""

from __future__ import annotations

import math

__all__ = ["brent_root", "RTOL_MIN"]

#: The smallest relative tolerance accepted (scipy's limit: 4 machine epsilons).
RTOL_MIN = 4 * 2.220446049250313e-16


def _value(f, x: float) -> float:
    v = float(f(x))
    if math.isnan(v):
        raise ValueError(f"the function is NaN at {x!r}")
    return v


def brent_root(f, a: float, b: float, xtol: float = 2e-12, rtol: float = RTOL_MIN, maxiter: int = 100) -> float:
    """A root of ``f`` in [a, b] (f(a) and f(b) of opposite signs), to ``xtol + rtol * |root|``.

    Raises ValueError when f(a) and f(b) have the same sign, a tolerance is out of range or f is NaN;
    RuntimeError when ``maxiter`` iterations do not converge (as ``scipy.optimize.brentq``).
    """
    if xtol <= 0:
        raise ValueError(f"xtol must be > 0, not {xtol!r}")
    if rtol < RTOL_MIN:
        raise ValueError(f"rtol must be >= {RTOL_MIN:g}, not {rtol!r}")
    x_prev, x_cur = float(a), float(b)
    f_prev, f_cur = _value(f, x_prev), _value(f, x_cur)
    if f_prev * f_cur > 0:
        raise ValueError("f(a) and f(b) must have different signs")
    if f_prev == 0:
        return x_prev
    if f_cur == 0:
        return x_cur
    x_blk = f_blk = s_prev = s_cur = 0.0
    for _ in range(maxiter):
        if f_prev != 0 and f_cur != 0 and (math.copysign(1.0, f_prev) != math.copysign(1.0, f_cur)):
            # the root lies between prev and cur: cur's counterpart becomes prev
            x_blk, f_blk = x_prev, f_prev
            s_prev = s_cur = x_cur - x_prev
        if abs(f_blk) < abs(f_cur):      # keep the smaller |f| at cur
            x_prev, x_cur, x_blk = x_cur, x_blk, x_cur
            f_prev, f_cur, f_blk = f_cur, f_blk, f_cur
        delta = (xtol + rtol * abs(x_cur)) / 2
        s_bis = (x_blk - x_cur) / 2
        if f_cur == 0 or abs(s_bis) < delta:
            return x_cur
        if abs(s_prev) > delta and abs(f_cur) < abs(f_prev):
            if x_prev == x_blk:          # two points: secant
                s_try = -f_cur * (x_cur - x_prev) / (f_cur - f_prev)
            else:                        # three points: inverse quadratic interpolation
                d_prev = (f_prev - f_cur) / (x_prev - x_cur)
                d_blk = (f_blk - f_cur) / (x_blk - x_cur)
                s_try = -f_cur * (f_blk * d_blk - f_prev * d_prev) / (d_blk * d_prev * (f_blk - f_prev))
            if 2 * abs(s_try) < min(abs(s_prev), 3 * abs(s_bis) - delta):
                s_prev, s_cur = s_cur, s_try
            else:
                s_prev = s_cur = s_bis
        else:
            s_prev = s_cur = s_bis
        x_prev, f_prev = x_cur, f_cur
        x_cur += s_cur if abs(s_cur) > delta else (delta if s_bis > 0 else -delta)
        f_cur = _value(f, x_cur)
    raise RuntimeError(f"no convergence in {maxiter} iterations (last value {x_cur!r})")
