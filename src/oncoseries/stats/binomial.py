"""Confidence intervals for a proportion (e.g. objective response rate), equal to R.

Clopper-Pearson ("exact") as R ``binom.test``; Wilson score (no continuity correction) as R
``prop.test(correct=FALSE)``. Clopper-Pearson from the beta quantiles (as R's ``binom.test``), Wilson
in closed form; no ``scipy.stats`` import (see _dist).
"""

from __future__ import annotations

import numbers

from ._dist import clopper_pearson, norm_ppf
from ._km_core import check_level

__all__ = ["binomial_ci"]

_METHODS = {"clopper-pearson": "exact", "exact": "exact", "wilson": "wilson"}


def _count(value, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return int(value)
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def binomial_ci(successes: int, n: int, conf_level: float = 0.95,
                method: str = "clopper-pearson") -> tuple[float, float, float]:
    """Proportion ``successes / n`` with a two-sided confidence interval.

    Parameters
    ----------
    successes, n : int
        Number of successes (e.g. responders) and of trials (patients), 0 <= successes <= n, n >= 1.
    conf_level : float
        Confidence level, default 0.95.
    method : {"clopper-pearson", "wilson"}
        "clopper-pearson" (default; also "exact") = R ``binom.test``, the usual choice for response
        rates in oncology; "wilson" = score interval without continuity correction = R
        ``prop.test(correct=FALSE)``.

    Returns
    -------
    tuple of float
        (estimate, lower, upper).
    """
    k = _count(successes, "successes")
    m = _count(n, "n")
    if m < 1:
        raise ValueError(f"n must be >= 1, got {m}")
    if not 0 <= k <= m:
        raise ValueError(f"successes must be between 0 and n ({m}), got {k}")
    cl = check_level(conf_level)
    key = method.lower() if isinstance(method, str) else None
    if key not in _METHODS:
        raise ValueError(f"method must be 'clopper-pearson' or 'wilson', got {method!r}")
    if _METHODS[key] == "exact":
        low, high = clopper_pearson(k, m, cl)
        return k / m, low, high
    return (k / m,) + _wilson(k, m, cl)


def _wilson(k: int, n: int, conf_level: float) -> tuple[float, float]:
    """Wilson score interval without continuity correction (R ``prop.test(correct=FALSE)``;
    Newcombe 1998, method 3); the limit is 0 at k = 0 and 1 at k = n."""
    p = k / n
    z = float(norm_ppf(0.5 + 0.5 * conf_level))
    denom = 2 * (n + z ** 2)
    center = (2 * n * p + z ** 2) / denom
    delta = z / denom * (4 * n * p * (1 - p) + z ** 2) ** 0.5
    return (0.0 if k == 0 else center - delta), (1.0 if k == n else center + delta)
