"""``norm`` and ``binom`` as ``scipy.stats`` computes them, without importing ``scipy.stats`` (0.4-0.9 s).

The values come from the same ``scipy.special`` routines ``scipy.stats`` calls (``ndtr``/``ndtri`` for
the normal, the Boost binomial ufuncs ``_binom_pmf``/``_binom_sf``/``_binom_ppf`` for the binomial),
with the same handling of the support edges (k < 0, k >= n, q in {0, 1}); loc 0 and scale 1 only.
tests/design/test_dists.py checks them bit for bit against ``scipy.stats``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["norm", "binom"]

_PDF_C = np.sqrt(2 * np.pi)


def _sp():
    import scipy.special as sp

    return sp


def _boost(name: str):
    """scipy.special's Boost binomial ufunc ``_binom_<name>`` (what scipy.stats.binom calls). It is not
    public API: should a scipy release rename it, fall back to scipy.stats.binom (slower import, same
    values)."""
    f = getattr(getattr(_sp(), "_ufuncs", None), f"_binom_{name}", None)
    if f is not None:
        return f
    from scipy import stats

    return getattr(stats.binom, name)


def _out(a):
    a = np.asarray(a, dtype=float)
    return a[()] if a.ndim == 0 else a


class _Norm:
    """The standard normal: cdf, sf, pdf, ppf, isf (``scipy.stats.norm``)."""

    @staticmethod
    def cdf(x):
        return _out(_sp().ndtr(np.asarray(x, dtype=float)))

    @staticmethod
    def sf(x):
        return _out(_sp().ndtr(-np.asarray(x, dtype=float)))

    @staticmethod
    def pdf(x):
        x = np.asarray(x, dtype=float)
        with np.errstate(over="ignore"):
            return _out(np.where(np.isnan(x), np.nan, np.exp(-x ** 2 / 2.0) / _PDF_C))

    @staticmethod
    def ppf(q):
        q = np.asarray(q, dtype=float)
        with np.errstate(invalid="ignore"):
            v = _sp().ndtri(np.where((q > 0) & (q < 1), q, 0.5))
        return _out(np.where((q > 0) & (q < 1), v, np.where(q == 0, -np.inf, np.where(q == 1, np.inf, np.nan))))

    @staticmethod
    def isf(q):
        q = np.asarray(q, dtype=float)
        with np.errstate(invalid="ignore"):
            v = -_sp().ndtri(np.where((q > 0) & (q < 1), q, 0.5))
        return _out(np.where((q > 0) & (q < 1), v, np.where(q == 0, np.inf, np.where(q == 1, -np.inf, np.nan))))


class _Binom:
    """The binomial(n, p): pmf, sf, cdf, ppf (``scipy.stats.binom``)."""

    @staticmethod
    def _args(k, n, p):
        k, n, p = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float),
                                      np.asarray(p, dtype=float))
        ok = (n >= 0) & (n == np.round(n)) & (p >= 0) & (p <= 1)
        return k, n, p, ok

    @classmethod
    def pmf(cls, k, n, p):
        k, n, p, ok = cls._args(k, n, p)
        cond = ok & (k >= 0) & (k <= n) & (np.floor(k) == k)
        with np.errstate(all="ignore"):
            v = np.clip(_boost("pmf")(k, n, p), 0, 1)
        return _out(np.where(cond, v, np.where(~ok | np.isnan(k), np.nan, 0.0)))

    @classmethod
    def sf(cls, k, n, p):
        k, n, p, ok = cls._args(k, n, p)
        cond = ok & (k >= 0) & (k < n) & np.isfinite(k)
        with np.errstate(all="ignore"):
            v = np.clip(_boost("sf")(np.floor(k), n, p), 0, 1)
        below = ((k < 0) | np.isneginf(k)) & ok
        return _out(np.where(cond, v, np.where(~ok | np.isnan(k), np.nan, np.where(below, 1.0, 0.0))))

    @classmethod
    def cdf(cls, k, n, p):
        k, n, p, ok = cls._args(k, n, p)
        cond = ok & (k >= 0) & (k < n) & np.isfinite(k)
        with np.errstate(all="ignore"):
            v = np.clip(_boost("cdf")(np.floor(k), n, p), 0, 1)
        return _out(np.where(cond, v, np.where(~ok | np.isnan(k), np.nan, np.where(k >= n, 1.0, 0.0))))

    @classmethod
    def ppf(cls, q, n, p):
        q, n, p, ok = cls._args(q, n, p)
        cond = ok & (q > 0) & (q < 1)
        with np.errstate(all="ignore"):
            v = _boost("ppf")(q, n, p) + 0
        edge = np.where(q == 0, -1.0, np.where(q == 1, n, np.nan))
        return _out(np.where(cond, v, np.where(ok, edge, np.nan)))


norm = _Norm()
binom = _Binom()
