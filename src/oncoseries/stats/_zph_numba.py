"""cox.zph's score and information in one pass over the sorted rows (numba), for large data.

The same quantities as ``cox_zph._zph_core`` (R survival's C routine ``zph1``): per stratum, a sweep
from the last time down keeps the risk-set sums S0, S1 (p) and S2 (p x p) of ``r x`` and ``r x x'``
(R's running sums); at each tied-death time with d deaths, the k-th (k = 0..d-1) Efron pseudo event
takes ``S - (k/d) D`` (D: the deaths' own sums; k/d = 0 for Breslow), its mean ``m = s1/s0`` and
variance ``V = s2/s0 - m m'``; the score gets ``(x_e - m, g (x_e - m))`` and the 2p x 2p information
the blocks ``V, g V, g^2 V``. O(n p^2) time, O(p^2) memory, one pass: no per-event arrays. The sums
are accumulated in another order than the numpy path's reverse cumulative sums, so results agree with
it to rounding (tests/stats/test_zph_numba.py), not to the bit; used from ``ZPH_NUMBA_MIN_N`` rows on
(compiled once into numba's cache, never for small studies).
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _zph_sweep(x, eta, g, time, death, sbound, efron):  # pragma: no cover - compiled
    """Rows sorted by (stratum, time); ``sbound``: the strata's first rows and n."""
    p = x.shape[1]
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    s1 = np.zeros(p)
    s2 = np.zeros((p, p))
    d1 = np.zeros(p)
    d2 = np.zeros((p, p))
    xs = np.zeros(p)
    m = np.zeros(p)
    for q in range(sbound.size - 1):
        lo, hi = sbound[q], sbound[q + 1]
        top = -np.inf
        for i in range(lo, hi):
            if eta[i] > top:
                top = eta[i]
        s0 = 0.0
        s1[:] = 0.0
        s2[:, :] = 0.0
        i = hi - 1
        while i >= lo:
            t = time[i]
            d0 = 0.0
            d1[:] = 0.0
            d2[:, :] = 0.0
            xs[:] = 0.0
            nd = 0
            ge = 0.0
            j = i
            while j >= lo and time[j] == t:
                r = np.exp(eta[j] - top)
                s0 += r
                for a in range(p):
                    ra = r * x[j, a]
                    s1[a] += ra
                    for b in range(a + 1):
                        s2[a, b] += ra * x[j, b]
                if death[j]:
                    nd += 1
                    ge = g[j]
                    d0 += r
                    for a in range(p):
                        ra = r * x[j, a]
                        d1[a] += ra
                        xs[a] += x[j, a]
                        for b in range(a + 1):
                            d2[a, b] += ra * x[j, b]
                j -= 1
            if nd > 0:
                for a in range(p):
                    u[a] += xs[a]
                    u[p + a] += ge * xs[a]
                for k in range(nd):
                    f = k / nd if efron else 0.0
                    e0 = s0 - f * d0
                    for a in range(p):
                        m[a] = (s1[a] - f * d1[a]) / e0
                        u[a] -= m[a]
                        u[p + a] -= ge * m[a]
                    for a in range(p):
                        for b in range(a + 1):
                            v = (s2[a, b] - f * d2[a, b]) / e0 - m[a] * m[b]
                            imat[a, b] += v
                            imat[p + a, b] += ge * v
                            imat[p + a, p + b] += ge * ge * v
                            if b != a:
                                imat[p + b, a] += ge * v
            i = j
    for a in range(2 * p):          # fill the upper triangles from the lower ones
        for b in range(a + 1, 2 * p):
            imat[a, b] = imat[b, a]
    return u, imat


def _bounds(strata_sorted, n):
    if strata_sorted is None:
        return np.array([0, n], dtype=np.int64)
    sc = np.asarray(strata_sorted)
    return np.concatenate(([0], np.flatnonzero(sc[1:] != sc[:-1]) + 1, [n])).astype(np.int64)


def zph_score_info(X, coef, gtime, time, event, strata, ties, order=None):
    """(u, imat) of ``cox_zph._zph_core`` by one compiled sweep; ``order`` may give the rows sorted by
    (stratum, time), else they are sorted here."""
    X = np.asarray(X, dtype=float)
    codes = None if strata is None else np.asarray(strata)
    if order is None:
        order = np.lexsort((time,) if codes is None else (time, codes))
    xs = X[order]
    xs -= X.mean(axis=0)
    return _zph_sweep(xs, xs @ coef, np.asarray(gtime, dtype=float)[order], np.asarray(time, dtype=float)[order],
                      np.asarray(event, dtype=np.bool_)[order], _bounds(None if codes is None else codes[order],
                                                                      order.size), ties == "efron")


def zph_score_info_sorted(sd, gtime_sorted, ties):
    """(u, imat) from the Cox fit's own sorted, centred and scaled rows (``cox.CoxResult.zph_sorted``:
    Xs, the scaled coefficients, sorted times, deaths, strata codes and the column scale): no gather
    of the rows at all. Returned in the original units (the test statistics do not depend on them)."""
    Xs, beta_s, time_s, death_s, strata_s, scale = sd
    u, imat = _zph_sweep(Xs, Xs @ beta_s, gtime_sorted, time_s, death_s.astype(np.bool_),
                         _bounds(strata_s, time_s.size), ties == "efron")
    s2 = np.concatenate((scale, scale))
    return u / s2, imat / np.outer(s2, s2)
