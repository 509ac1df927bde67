"""Whole-array numpy kernels for the Cox engine (right-censored data, any n): no JIT, no per-process
compilation, so the first fit in a new process costs what every later fit costs.

Layout: the sorted, centred and scaled design ``Xs`` is column-major (n x p, Fortran order), so that
X beta is one gemv, the sums of r x over each run of rows are one ``reduceat`` along contiguous
memory, and the weighted information sum_j v_j x_j x_j' is one BLAS ``syrk`` of sqrt(v) x.

Each tied-time group g is two segments of the sorted rows: its event rows gstart[g]..dend[g]-1 and
its censored rows dend[g]..gstart[g+1]-1. One pass per Newton step gives, per segment, the sums of
r = exp(x'beta) and r x; the Efron (or Breslow) denominators follow per event group, then the row
weights v of the nested risk sets, then the information. Equal to the numba kernels and to the
row-by-row formulas in ``_cox_core`` to rounding (tested at 1e-10).
"""

from __future__ import annotations

import numpy as np

from . import _cox_core as core

#: counting sort (numpy's radix sort of 16-bit keys) when 2 x distinct day values x strata fit in 16 bits
_RADIX_KEYS = 1 << 16


def radix_order(time: np.ndarray, status: np.ndarray, strata: np.ndarray | None) -> np.ndarray | None:
    """Stable order by (stratum, time, events first) by numpy's radix sort of a 16-bit key, when
    times are whole numbers in a small range (day-level data); None otherwise."""
    n = time.size
    if not n:
        return None
    tmin, tmax = float(time.min()), float(time.max())
    span = tmax - tmin + 1
    nstrat = 1 if strata is None else int(strata.max()) + 1
    if 2 * span * nstrat > _RADIX_KEYS or not np.array_equal(time, np.floor(time)):
        return None
    key = (time - tmin).astype(np.int64)
    if strata is not None:
        key += strata.astype(np.int64) * int(span)
    key *= 2
    key += status == 0
    return np.argsort(key.astype(np.uint16), kind="stable")


def sort_order(time: np.ndarray, status: np.ndarray, strata: np.ndarray | None) -> np.ndarray:
    """Stable order by (stratum, time, events first): ``radix_order`` when it applies, else
    ``lexsort``. Both are stable, so the order is the same."""
    order = radix_order(time, status, strata)
    return core.default_order(time, status, strata) if order is None else order


def center_scale(X: np.ndarray, order: np.ndarray):
    """Sorted copy of X (column-major), centred and scaled as R coxfit6: columns whose values are all
    in {-1, 0, 1} are left alone; others are centred on their mean and divided by mean |x - mean|."""
    n, p = X.shape
    Xs = np.empty((p, n)).T
    means = np.zeros(p)
    scale = np.ones(p)
    tmp = np.empty(n)
    for j in range(p):
        col = Xs[:, j]
        np.take(X[:, j], order, out=col)
        if n == 0:
            continue
        lo, hi = col.min(), col.max()
        if lo >= -1.0 and hi <= 1.0:
            np.abs(col, out=tmp)
            if np.all((tmp == 0.0) | (tmp == 1.0)):
                continue  # zero_one: not centred, not scaled
        m = col.mean()
        col -= m
        means[j] = m
        np.abs(col, out=tmp)
        absmean = tmp.mean()
        if absmean > 0:
            scale[j] = 1.0 / absmean
            col *= scale[j]
    return Xs, means, scale


def column_stats(X: np.ndarray):
    """R coxfit6's centring and scaling of each column: columns whose values are all in {-1, 0, 1}
    keep mean 0 and scale 1; others are centred on their mean and scaled by 1 / mean |x - mean|."""
    n, p = X.shape
    means = np.zeros(p)
    scale = np.ones(p)
    tmp = np.empty(n)
    for j in range(p):
        col = X[:, j]
        if n == 0:
            continue
        if col.min() >= -1.0 and col.max() <= 1.0:
            np.abs(col, out=tmp)
            if np.all((tmp == 0.0) | (tmp == 1.0)):
                continue
        m = col.mean()
        means[j] = m
        np.subtract(col, m, out=tmp)
        np.abs(tmp, out=tmp)
        absmean = tmp.mean()
        if absmean > 0:
            scale[j] = 1.0 / absmean
    return means, scale


def _segments(cd: core.CoxData):
    """Reduceat bounds of the 2G segments (events, then censored rows, of each group)."""
    cached = getattr(cd, "_segs", None)
    if cached is not None:
        return cached
    G = cd.gstart.size - 1
    bounds = np.empty(2 * G + 1, dtype=np.int64)
    bounds[0:-1:2] = cd.gstart[:-1]
    bounds[1::2] = cd.dend
    bounds[-1] = cd.n
    lens = np.diff(bounds)
    starts = bounds[:-1]
    nonempty = np.flatnonzero(lens > 0)  # reduceat over non-empty segments only (its rule for equal bounds)
    es = cd.e_start[:-1]
    d = cd.e_d.astype(float)
    c = (np.arange(cd.e_start[-1]) - np.repeat(es, cd.e_d)) / np.repeat(d, cd.e_d) if cd.efron else None
    cd._segs = (starts[nonempty], nonempty, lens, c)
    return cd._segs


def _efron(cd: core.CoxData, S0e: np.ndarray, D0e: np.ndarray):
    """Sum of log denominators and b0, b1, a0, a1, a2 per event group (see core.Scalars)."""
    d = cd.e_d.astype(float)
    if not cd.efron:  # Breslow: every denominator of the group is S0
        z = np.zeros(S0e.size)
        return float(np.sum(d * np.log(S0e))), d / S0e, z, d / (S0e * S0e), z, z
    c = _segments(cd)[3]
    den = np.repeat(S0e, cd.e_d)
    den -= c * np.repeat(D0e, cd.e_d)
    sumlog = float(np.log(den).sum())
    w = np.empty((5, den.size))
    np.divide(1.0, den, out=w[0])
    np.multiply(w[0], w[0], out=w[2])
    np.multiply(c, w[0], out=w[1])
    np.multiply(c, w[2], out=w[3])
    np.multiply(c, w[3], out=w[4])
    s = np.add.reduceat(w, cd.e_start[:-1], axis=1)
    return sumlog, s[0], s[1], s[2], s[3], s[4]


def group_sums(cd: core.CoxData, beta: np.ndarray):
    """Segment sums at ``beta``, the Efron scalars and H1 = sum_j v_j x_j x_j' (the numpy twin of
    ``_cox_numba.numba_group_sums``; right-censored data only)."""
    Xs = cd.Xs
    n, p = Xs.shape
    G = cd.gstart.size - 1
    starts, nonempty, lens, _ = _segments(cd)
    buf = getattr(cd, "_buf", None)
    if buf is None:
        buf = cd._buf = np.empty((p, n)).T
    r = Xs @ beta
    np.exp(r, out=r)
    np.multiply(Xs, r[:, None], out=buf)
    seg0 = np.zeros(2 * G)
    seg1 = np.zeros((2 * G, p))
    if starts.size:
        seg0[nonempty] = np.add.reduceat(r, starts)
        seg1[nonempty] = np.add.reduceat(buf.T, starts, axis=1).T
    D0, D1 = seg0[0::2], seg1[0::2]
    S0g, S1g = D0 + seg0[1::2], D1 + seg1[1::2]
    gsum = core.GroupSums(eta=None, r=r, S0g=S0g, S1g=S1g, D0e=D0[cd.egroups], D1e=D1[cd.egroups],
                          etadeath=float(cd.xdeath @ beta))
    sc = core.Scalars.__new__(core.Scalars)
    S0e = core._revcum_within(S0g, cd.g_seg_end)[cd.egroups]
    sc.S0e = S0e
    sumlog, sc.b0, sc.b1, sc.a0, sc.a1, sc.a2 = _efron(cd, S0e, gsum.D0e)
    sc.loglik = gsum.etadeath - sumlog
    # row weights of the nested risk sets, constant on each segment
    B0g = np.zeros(G)
    B0g[cd.egroups] = sc.b0
    cumB0 = core._cum_within(B0g, cd.g_seg_start)
    b1g = np.zeros(G)
    b1g[cd.egroups] = sc.b1
    wseg = np.empty(2 * G)
    wseg[0::2] = cumB0 - b1g
    wseg[1::2] = cumB0
    sv = np.repeat(wseg, lens)
    sv *= r
    np.sqrt(sv, out=sv)
    np.multiply(Xs, sv[:, None], out=buf)
    H1 = buf.T @ buf
    return gsum, (H1 + H1.T) / 2, sc
