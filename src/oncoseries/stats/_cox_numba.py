"""Parallel numba kernels for the Cox engine on large data (n >= _cox_core.NUMBA_MIN_N).

The rows are sorted by (stratum, time) and split into chunks that end on tied-time group
boundaries, so every group is summed by one thread and no atomics are needed. exp(eta) is computed
once per row and iteration and only the p(p+1)/2 lower-triangle products are formed.

Two layouts, chosen by the number of groups G:
- grouped (few groups, e.g. day-level ties): one pass per iteration gives, per group, the sums of r,
  r x and r x x' (packed) over all rows and over event rows; the information is then assembled from
  G x p(p+1)/2 numbers;
- two-pass (many groups): pass 1 gives r and per-group sums of r and r x; pass 2 sums v_j x_j x_j'
  with the row weights v of the nested risk sets.
Results equal the pure-numpy path to rounding (tested at 1e-10).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import _cox_core as core

_OPTS = dict(cache=True, nogil=True, fastmath=False)
# fixed (not per-thread) so that sums, and so results, do not depend on the number of threads
N_CHUNKS = 16


@nb.njit(inline="always", **_OPTS)
def _block(Xs, beta, lo, hi, r_out, x0, x1, a1, a2):
    """Add rows lo..hi-1: r = exp(x'beta) to r_out, r x to a1, r x x' (lower triangle, packed row by
    row) to a2.

    Two rows per step (twice the instruction-level parallelism of one). Returns (sum r, sum eta).
    """
    p = Xs.shape[1]
    s0 = 0.0
    se = 0.0
    j = lo
    while j + 1 < hi:
        e0 = 0.0
        e1 = 0.0
        for a in range(p):
            x0[a] = Xs[j, a]
            x1[a] = Xs[j + 1, a]
            e0 += x0[a] * beta[a]
            e1 += x1[a] * beta[a]
        r0 = np.exp(e0)
        r1 = np.exp(e1)
        r_out[j] = r0
        r_out[j + 1] = r1
        s0 += r0 + r1
        se += e0 + e1
        k = 0
        for a in range(p):
            ra0 = r0 * x0[a]
            ra1 = r1 * x1[a]
            a1[a] += ra0 + ra1
            for b in range(a + 1):
                a2[k] += ra0 * x0[b] + ra1 * x1[b]
                k += 1
        j += 2
    if j < hi:
        e0 = 0.0
        for a in range(p):
            x0[a] = Xs[j, a]
            e0 += x0[a] * beta[a]
        r0 = np.exp(e0)
        r_out[j] = r0
        s0 += r0
        se += e0
        k = 0
        for a in range(p):
            ra0 = r0 * x0[a]
            a1[a] += ra0
            for b in range(a + 1):
                a2[k] += ra0 * x0[b]
                k += 1
    return s0, se


@nb.njit(parallel=True, **_OPTS)
def _grouped(Xs, beta, gstart, dend, cstart, r_out, S0, S1, S2, D0, D1, D2, etad):
    """Per group: sums of r, r x, r x x' (packed lower triangle) over all rows and over the event
    rows, which come first in each group (rows gstart[g] .. dend[g]-1)."""
    n, p = Xs.shape
    nch = cstart.size - 1
    for c in nb.prange(nch):
        P2 = p * (p + 1) // 2
        c1 = np.zeros(p)
        c2 = np.zeros(P2)
        d1 = np.zeros(p)
        d2 = np.zeros(P2)
        x0 = np.zeros(p)
        x1 = np.zeros(p)
        ed = 0.0
        for g in range(cstart[c], cstart[c + 1]):
            c1[:] = 0.0
            c2[:] = 0.0
            d1[:] = 0.0
            d2[:] = 0.0
            d0, e = _block(Xs, beta, gstart[g], dend[g], r_out, x0, x1, d1, d2)
            ed += e
            c0, e = _block(Xs, beta, dend[g], gstart[g + 1], r_out, x0, x1, c1, c2)
            S0[g] = c0 + d0
            D0[g] = d0
            for a in range(p):
                S1[g, a] = c1[a] + d1[a]
                D1[g, a] = d1[a]
            for k in range(P2):
                S2[g, k] = c2[k] + d2[k]
                D2[g, k] = d2[k]
        etad[c] = ed


@nb.njit(parallel=True, **_OPTS)
def _pass1(Xs, beta, gstart, dend, cstart, r_out, S0, S1, D0, D1, etad):
    n, p = Xs.shape
    nch = cstart.size - 1
    for c in nb.prange(nch):
        ed = 0.0
        for g in range(cstart[c], cstart[c + 1]):
            s0 = 0.0
            d0 = 0.0
            for a in range(p):
                S1[g, a] = 0.0
                D1[g, a] = 0.0
            for j in range(gstart[g], gstart[g + 1]):
                eta = 0.0
                for a in range(p):
                    eta += Xs[j, a] * beta[a]
                r = np.exp(eta)
                r_out[j] = r
                s0 += r
                for a in range(p):
                    S1[g, a] += r * Xs[j, a]
                if j < dend[g]:
                    ed += eta
                    d0 += r
                    for a in range(p):
                        D1[g, a] += r * Xs[j, a]
            S0[g] = s0
            D0[g] = d0
        etad[c] = ed


@nb.njit(parallel=True, **_OPTS)
def _pass2(Xs, v, gstart, cstart, out):
    """Per chunk: sum_j v_j x_j x_j' (full p x p), two rows per step."""
    n, p = Xs.shape
    nch = cstart.size - 1
    for c in nb.prange(nch):
        acc = np.zeros(p * p)
        x0 = np.zeros(p)
        x1 = np.zeros(p)
        j = gstart[cstart[c]]
        hi = gstart[cstart[c + 1]]
        while j + 1 < hi:
            for a in range(p):
                x0[a] = Xs[j, a]
                x1[a] = Xs[j + 1, a]
            for a in range(p):
                wa0 = v[j] * x0[a]
                wa1 = v[j + 1] * x1[a]
                for b in range(p):
                    acc[a * p + b] += wa0 * x0[b] + wa1 * x1[b]
            j += 2
        if j < hi:
            for a in range(p):
                wa0 = v[j] * Xs[j, a]
                for b in range(p):
                    acc[a * p + b] += wa0 * Xs[j, b]
        out[c, :] = acc


def _chunks(cd: core.CoxData) -> np.ndarray:
    """Group-aligned chunk boundaries (in group units) of about equal row counts."""
    cached = getattr(cd, "_chunks", None)
    if cached is not None:
        return cached
    G = cd.gstart.size - 1
    nch = max(1, min(G, N_CHUNKS))
    targets = np.linspace(0, cd.n, nch + 1)[1:-1]
    cut = np.searchsorted(cd.gstart, targets)
    cstart = np.unique(np.concatenate([[0], cut, [G]])).astype(np.int64)
    cd._chunks = cstart
    return cstart


def use_grouped(cd: core.CoxData) -> bool:
    """Per-group second moments when they are small next to the data (many ties)."""
    G = cd.gstart.size - 1
    p = cd.p
    return 2 * G * (p * (p + 1) // 2) <= cd.n * p // 2


def numba_group_sums(cd: core.CoxData, beta: np.ndarray):
    """Group sums at ``beta``, the Efron scalars and (two-pass layout) H1: the numba twin of
    numpy_group_sums + Scalars."""
    Xs = cd.Xs
    n, p = Xs.shape
    G = cd.gstart.size - 1
    cstart = _chunks(cd)
    beta = np.ascontiguousarray(beta, dtype=np.float64)
    r = np.empty(n)  # fresh each call: the caller may keep the previous state
    S0, D0 = np.empty(G), np.empty(G)
    S1, D1 = np.empty((G, p)), np.empty((G, p))
    etad = np.zeros(cstart.size - 1)
    if use_grouped(cd):
        P2 = p * (p + 1) // 2
        S2, D2 = np.empty((G, P2)), np.empty((G, P2))
        _grouped(Xs, beta, cd.gstart, cd.dend, cstart, r, S0, S1, S2, D0, D1, D2, etad)
        gsum = core.GroupSums(eta=None, r=r, S0g=S0, S1g=S1, D0e=D0[cd.egroups], D1e=D1[cd.egroups],
                              etadeath=float(etad.sum()), S2g=S2, D2e=D2[cd.egroups])
        return gsum, None, core.Scalars(cd, gsum, fast=True)
    _pass1(Xs, beta, cd.gstart, cd.dend, cstart, r, S0, S1, D0, D1, etad)
    gsum = core.GroupSums(eta=None, r=r, S0g=S0, S1g=S1, D0e=D0[cd.egroups], D1e=D1[cd.egroups],
                          etadeath=float(etad.sum()))
    sc = core.Scalars(cd, gsum, fast=True)
    v = core.row_weights(cd, sc, r)
    out = np.empty((cstart.size - 1, p * p))
    _pass2(Xs, v, cd.gstart, cstart, out)
    H1 = out.sum(axis=0).reshape(p, p)
    return gsum, (H1 + H1.T) / 2, sc


@nb.njit(parallel=True, cache=True)
def _efron_scalars(S0e, D0e, e_d, efron, out):
    for e in nb.prange(S0e.size):
        d = e_d[e]
        S0 = S0e[e]
        D0 = D0e[e]
        b0 = b1 = a0 = a1 = a2 = 0.0
        # sum of log(den_k) = d log S0 + sum log(den_k / S0); the ratios lie in [1/d, 1], so products
        # of 8 of them cannot underflow for any realistic d: one log per 8 terms
        lg = 0.0
        prod = 1.0
        for k in range(d):
            c = k / d if efron else 0.0
            den = S0 - c * D0
            inv = 1.0 / den
            prod *= den / S0
            if (k & 7) == 7:
                lg += np.log(prod)
                prod = 1.0
            b0 += inv
            a0 += inv * inv
            b1 += c * inv
            a1 += c * inv * inv
            a2 += c * c * inv * inv
        lg += np.log(prod) + d * np.log(S0)
        out[0, e] = b0
        out[1, e] = b1
        out[2, e] = a0
        out[3, e] = a1
        out[4, e] = a2
        out[5, e] = lg


def efron_scalars(S0e, D0e, e_d, efron: bool):
    """Sum of log denominators and b0, b1, a0, a1, a2 per event group (see core.Scalars)."""
    out = np.empty((6, S0e.size))
    _efron_scalars(S0e, D0e, e_d.astype(np.int64), bool(efron), out)
    return float(out[5].sum()), out[0], out[1], out[2], out[3], out[4]


# ---------------------------------------------------------------- data preparation (large n)

@nb.njit(cache=True)
def _counting_order(key, nkey):
    """Stable counting sort of small non-negative integer keys."""
    cnt = np.zeros(nkey + 1, np.int64)
    for i in range(key.size):
        cnt[key[i] + 1] += 1
    for k in range(nkey):
        cnt[k + 1] += cnt[k]
    order = np.empty(key.size, np.int64)
    for i in range(key.size):
        k = key[i]
        order[cnt[k]] = i
        cnt[k] += 1
    return order


def sort_order(time: np.ndarray, status: np.ndarray, strata: np.ndarray | None) -> np.ndarray:
    """Stable order by (stratum, time, events first): a counting sort when times are small integers
    (day-level data), else numpy's sort."""
    n = time.size
    tmin, tmax = float(time.min()), float(time.max())
    span = tmax - tmin + 1
    nstrat = 1 if strata is None else int(strata.max()) + 1
    if span * nstrat <= 4 * n + 1024 and np.array_equal(time, np.floor(time)):
        key = (time - tmin).astype(np.int64)
        if strata is not None:
            key += strata.astype(np.int64) * int(span)
        key = 2 * key + (status == 0)
        return _counting_order(key, 2 * int(span) * nstrat)
    return core.default_order(time, status, strata)


@nb.njit(parallel=True, cache=True)
def _gather(X, order, means, scale, out):
    """out[i, j] = (X[order[i], j] - means[j]) * scale[j]; X and out row-major (one row is 1-2 cache
    lines, so a random row costs one or two memory reads)."""
    n, p = out.shape
    nch = 64
    for c in nb.prange(nch):
        lo = c * n // nch
        hi = (c + 1) * n // nch
        for i in range(lo, hi):
            o = order[i]
            for j in range(p):
                out[i, j] = (X[o, j] - means[j]) * scale[j]


def gather(X: np.ndarray, order: np.ndarray, means: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Sorted, centred and scaled copy of X in row-major order (the kernels read rows). A column-major
    X is first transposed (sequential; the random row reads that follow are then one or two cache
    lines each instead of p); the transposed copy is freed before the fit iterates."""
    n, p = X.shape
    Xs = np.empty((n, p))
    _gather(np.ascontiguousarray(X), order.astype(np.int64), means, scale, Xs)
    return Xs


def center_scale(X: np.ndarray, order: np.ndarray):
    """``gather`` with the centring and scaling of _cox_numpy.column_stats (R coxfit6)."""
    from ._cox_numpy import column_stats

    means, scale = column_stats(X)
    return gather(X, order, means, scale), means, scale

