"""Multiplicity adjustment of P values, as R ``p.adjust`` (R 4.2, stats package).

- ``"BH"``: Benjamini & Hochberg (1995, J R Stat Soc B 57:289) false-discovery-rate adjusted P:
  for P sorted descending, ``min(1, cummin(n / i * p_(i)))``.
- ``"holm"``: Holm (1979, Scand J Stat 6:65) step-down family-wise adjusted P:
  for P sorted ascending, ``min(1, cummax((n - i + 1) * p_(i)))``.
- ``"none"``: the P values unchanged.

Missing P values (None/NaN) stay missing and do not count in ``n`` (R's default ``n = length(p[!is.na(p)])``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["p_adjust", "METHODS"]

METHODS = ("BH", "holm", "none")


def p_adjust(p, method: str = "BH") -> np.ndarray:
    """Adjusted P values in the input order, as R ``p.adjust(p, method)``.

    Parameters
    ----------
    p : array_like of float
        P values in [0, 1]; None/NaN allowed (kept missing).
    method : {"BH", "holm", "none"}

    Returns
    -------
    numpy.ndarray of float
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    a = np.array([np.nan if v is None else v for v in np.atleast_1d(np.asarray(p, dtype=object))], float)
    if np.any((a < 0) | (a > 1)):
        raise ValueError("P values must lie in [0, 1]")
    out = a.copy()
    ok = np.flatnonzero(np.isfinite(a))
    n = ok.size
    if n == 0 or method == "none":
        return out
    x = a[ok]
    if method == "BH":
        order = np.argsort(-x, kind="stable")
        i = np.arange(n, 0, -1, dtype=float)
        adj = np.minimum.accumulate(n / i * x[order])
    else:
        order = np.argsort(x, kind="stable")
        i = np.arange(1, n + 1, dtype=float)
        adj = np.maximum.accumulate((n - i + 1) * x[order])
    res = np.empty(n)
    res[order] = np.minimum(1.0, adj)
    out[ok] = res
    return out
