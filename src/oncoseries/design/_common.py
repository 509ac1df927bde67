"""Checks shared by the trial-design functions: every bad input is a ``DesignError`` naming the argument,
the value given and what was expected (the CLI prints it as one line, exit 2)."""

from __future__ import annotations

import math

import numpy as np
from ._dists import norm


class DesignError(ValueError):
    """A trial-design input that cannot be used (e.g. a hazard ratio of 1, power outside (0, 1))."""


def _finite(name: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DesignError(f"{name} = {value!r}: expected a number") from None
    if not math.isfinite(x):
        raise DesignError(f"{name} = {value!r}: expected a finite number")
    return x


def check_prob(name: str, value) -> float:
    """A probability strictly inside (0, 1) (alpha, power, response rates)."""
    x = _finite(name, value)
    if not 0.0 < x < 1.0:
        raise DesignError(f"{name} = {value!r}: expected a probability strictly between 0 and 1")
    return x


def check_positive(name: str, value, allow_zero: bool = False) -> float:
    """A duration, rate or ratio: > 0 (or >= 0 where zero means 'none')."""
    x = _finite(name, value)
    if x < 0 or (x == 0 and not allow_zero):
        raise DesignError(f"{name} = {value!r}: expected a number {'>= 0' if allow_zero else '> 0'}")
    return x


def check_hr(name: str, value) -> float:
    """A hazard ratio to detect: positive and not 1 (a ratio of 1 is no difference to power for)."""
    x = check_positive(name, value)
    if abs(math.log(x)) < 1e-9:
        raise DesignError(f"{name} = {value!r}: a hazard ratio of 1 means no difference; expected a hazard "
                          "ratio other than 1 (e.g. 0.67 for a 33% lower hazard)")
    return x


def check_sides(sides) -> int:
    if sides not in (1, 2):
        raise DesignError(f"sides = {sides!r}: expected 1 (one-sided alpha) or 2 (two-sided alpha)")
    return int(sides)


def z_alpha(alpha: float, sides: int) -> float:
    """Upper critical value of the test: z_{1 - alpha/sides}."""
    return float(norm.isf(check_prob("alpha", alpha) / check_sides(sides)))


def z_power(power: float) -> float:
    return float(norm.ppf(check_prob("power", power)))


def as_array(name: str, values, allow_zero: bool = True) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0) or (not allow_zero and np.any(arr == 0)):
        raise DesignError(f"{name} = {values!r}: expected finite numbers {'>= 0' if allow_zero else '> 0'}")
    return arr
