"""O(n log n) concordance pair counts with Fenwick trees (numba), the algorithm of R survival's
concordance3/concordance4 (a tree of all subjects at risk and a tree of the events seen so far,
sweeping from the largest time down; censored before events at the same time)."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, inline="always")
def _add(tree, node, m, r, w):
    node[r] += w
    i = r + 1
    while i <= m:
        tree[i] += w
        i += i & (-i)


@nb.njit(cache=True, inline="always")
def _below(tree, r):
    """Number of entries with rank < r."""
    s = 0
    i = r
    while i > 0:
        s += tree[i]
        i -= i & (-i)
    return s


@nb.njit(cache=True)
def _kernel(time, status, entry, has_entry, rank, sort2, sort1, sbound, ntree, imat):
    nstrat = sbound.size - 1
    mmax = 0
    for q in range(nstrat):
        mmax = max(mmax, ntree[q])
    tr = np.zeros(mmax + 1, np.int64)
    nd = np.zeros(mmax, np.int64)
    dtr = np.zeros(mmax + 1, np.int64)
    dnd = np.zeros(mmax, np.int64)
    for q in range(nstrat):
        lo, hi, m = sbound[q], sbound[q + 1], ntree[q]
        tr[:m + 1] = 0
        nd[:m] = 0
        dtr[:m + 1] = 0
        dnd[:m] = 0
        tot = 0
        dtot = 0
        i = lo
        i2 = lo
        while i < hi:
            ii = sort2[i]
            if status[ii] == 0:
                rk = rank[ii]
                less = _below(dtr, rk)
                eq = dnd[rk]
                imat[ii, 0] -= less
                imat[ii, 1] -= dtot - less - eq
                imat[ii, 2] -= eq
                _add(tr, nd, m, rk, 1)
                tot += 1
                i += 1
                continue
            t = time[ii]
            if has_entry:
                while i2 < hi and entry[sort1[i2]] >= t:
                    jj = sort1[i2]
                    rk = rank[jj]
                    less = _below(dtr, rk)
                    eq = dnd[rk]
                    imat[jj, 0] += less
                    imat[jj, 1] += dtot - less - eq
                    imat[jj, 2] += eq
                    _add(tr, nd, m, rk, -1)
                    tot -= 1
                    i2 += 1
            j = i
            while j < hi and time[sort2[j]] == t:
                jj = sort2[j]
                rk = rank[jj]
                less = _below(tr, rk)
                eq = nd[rk]
                imat[jj, 0] += tot - less - eq
                imat[jj, 1] += less
                imat[jj, 2] += eq
                _add(dtr, dnd, m, rk, 1)
                dtot += 1
                j += 1
            for k in range(i, j):
                jj = sort2[k]
                rk = rank[jj]
                less = _below(dtr, rk)
                eq = dnd[rk]
                imat[jj, 0] -= less
                imat[jj, 1] -= dtot - less - eq
                imat[jj, 2] -= eq
                _add(tr, nd, m, rk, 1)
                tot += 1
            i = j
        start = i2 if has_entry else lo
        for k in range(start, hi):
            jj = sort1[k] if has_entry else sort2[k]
            rk = rank[jj]
            less = _below(dtr, rk)
            eq = dnd[rk]
            imat[jj, 0] += less
            imat[jj, 1] += dtot - less - eq
            imat[jj, 2] += eq


def counts_numba(time, status, lp, strata=None, entry=None) -> np.ndarray:
    """Per-subject pair counts (n x 3), as ``concordance._counts_numpy``."""
    n = time.size
    s = np.zeros(n, np.int64) if strata is None else np.asarray(strata, np.int64)
    # dense ranks of lp within stratum
    o = np.lexsort((lp, s))
    ls, ss = lp[o], s[o]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = (ls[1:] != ls[:-1]) | (ss[1:] != ss[:-1])
    dense = np.cumsum(new) - 1
    sfirst = np.empty(n, bool)
    sfirst[0] = True
    sfirst[1:] = ss[1:] != ss[:-1]
    starts = np.flatnonzero(sfirst)
    seg = np.cumsum(sfirst) - 1
    rank = np.empty(n, np.int64)
    rank[o] = dense - dense[starts][seg]
    ends = np.append(starts[1:], n)
    ntree = (dense[ends - 1] - dense[starts] + 1).astype(np.int64)
    sbound = np.append(starts, n).astype(np.int64)
    sort2 = np.lexsort((status, -time, s)).astype(np.int64)
    if entry is not None:
        sort1 = np.lexsort((-entry, s)).astype(np.int64)
        ent = np.asarray(entry, np.float64)
    else:
        sort1 = np.zeros(1, np.int64)
        ent = np.zeros(1)
    imat = np.zeros((n, 3), np.int64)
    _kernel(time, status, ent, entry is not None, rank, sort2, sort1, sbound, ntree, imat)
    return imat.astype(np.float64)
