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
def _kernel(time, status, rank, sbound, ntree, has_entry, entry1, pos1, sbound1, imat):
    """All arrays in the sweep order (by stratum, time descending, censored first); ``imat`` rows
    too. With delayed entry, ``entry1``/``pos1`` list the rows by entry descending (same strata order)
    as entry time and position in the sweep order."""
    nstrat = sbound.size - 1
    mmax = 0
    for q in range(nstrat):
        mmax = max(mmax, ntree[q])
    tr = np.zeros(mmax + 1, np.int32)
    nd = np.zeros(mmax, np.int32)
    dtr = np.zeros(mmax + 1, np.int32)
    dnd = np.zeros(mmax, np.int32)
    for q in range(nstrat):
        lo, hi, m = sbound[q], sbound[q + 1], ntree[q]
        tr[:m + 1] = 0
        nd[:m] = 0
        dtr[:m + 1] = 0
        dnd[:m] = 0
        tot = 0
        dtot = 0
        i = lo
        i2 = sbound1[q] if has_entry else 0
        hi2 = sbound1[q + 1] if has_entry else 0
        while i < hi:
            if status[i] == 0:
                rk = rank[i]
                less = _below(dtr, rk)
                eq = dnd[rk]
                imat[i, 0] -= less
                imat[i, 1] -= dtot - less - eq
                imat[i, 2] -= eq
                _add(tr, nd, m, rk, 1)
                tot += 1
                i += 1
                continue
            t = time[i]
            if has_entry:
                while i2 < hi2 and entry1[i2] >= t:
                    jj = pos1[i2]
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
            while j < hi and time[j] == t:
                rk = rank[j]
                less = _below(tr, rk)
                eq = nd[rk]
                imat[j, 0] += tot - less - eq
                imat[j, 1] += less
                imat[j, 2] += eq
                _add(dtr, dnd, m, rk, 1)
                dtot += 1
                j += 1
            for k in range(i, j):
                rk = rank[k]
                less = _below(dtr, rk)
                eq = dnd[rk]
                imat[k, 0] -= less
                imat[k, 1] -= dtot - less - eq
                imat[k, 2] -= eq
                _add(tr, nd, m, rk, 1)
                tot += 1
            i = j
        # the events after each subject's insertion (and before its removal, with entry)
        if has_entry:
            for k in range(i2, hi2):
                jj = pos1[k]
                rk = rank[jj]
                less = _below(dtr, rk)
                eq = dnd[rk]
                imat[jj, 0] += less
                imat[jj, 1] += dtot - less - eq
                imat[jj, 2] += eq
        else:
            for k in range(lo, hi):
                rk = rank[k]
                less = _below(dtr, rk)
                eq = dnd[rk]
                imat[k, 0] += less
                imat[k, 1] += dtot - less - eq
                imat[k, 2] += eq


def _dense_rank(lp, s):
    """Dense rank (0-based) of lp within stratum."""
    n = lp.size
    o = np.argsort(lp) if s is None else np.lexsort((lp, s))
    ls = lp[o]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = ls[1:] != ls[:-1]
    sfirst = np.zeros(n, bool)
    sfirst[0] = True
    if s is not None:
        ss = s[o]
        sfirst[1:] = ss[1:] != ss[:-1]
        new |= sfirst
    dense = np.cumsum(new) - 1
    starts = np.flatnonzero(sfirst)
    seg = np.cumsum(sfirst) - 1
    rank = np.empty(n, np.int64)
    rank[o] = dense - dense[starts][seg]
    return rank


def counts_numba(time, status, lp, strata=None, entry=None, order=None) -> np.ndarray:
    """Per-subject pair counts (n x 3), as ``concordance._counts_numpy``.

    ``order`` may give the rows sorted by (stratum, time ascending, events first), e.g. the Cox fit's
    sort, to spare a sort.
    """
    n = time.size
    s = None if strata is None else np.asarray(strata, np.int64)
    rank = _dense_rank(lp, s)
    if entry is None and order is not None:
        sort2 = np.ascontiguousarray(order[::-1])
    else:
        keys = (status, -time) if s is None else (status, -time, s)
        sort2 = np.lexsort(keys)
    s2 = np.zeros(n, np.int64) if s is None else s[sort2]
    sb = np.flatnonzero(np.concatenate([[True], s2[1:] != s2[:-1]]))
    sbound = np.append(sb, n).astype(np.int64)
    rk2 = rank[sort2]
    ntree = (np.maximum.reduceat(rk2, sb) + 1).astype(np.int64)
    if entry is not None:
        ent = np.asarray(entry, np.float64)
        sort1 = np.lexsort((-ent,) if s is None else (-ent, s))  # same (ascending) strata order
        inv2 = np.empty(n, np.int64)
        inv2[sort2] = np.arange(n)
        pos1 = inv2[sort1]
        s1 = np.zeros(n, np.int64) if s is None else s[sort1]
        sb1 = np.flatnonzero(np.concatenate([[True], s1[1:] != s1[:-1]]))
        sbound1 = np.append(sb1, n).astype(np.int64)
        entry1 = ent[sort1]
    else:
        pos1 = np.zeros(1, np.int64)
        sbound1 = np.zeros(1, np.int64)
        entry1 = np.zeros(1)
    imat2 = np.zeros((n, 3), np.int64)
    _kernel(time[sort2], status[sort2], rk2, sbound, ntree, entry is not None, entry1, pos1, sbound1, imat2)
    imat = np.empty((n, 3))
    imat[sort2] = imat2
    return imat
