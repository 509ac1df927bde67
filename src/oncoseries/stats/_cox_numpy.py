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

Each Newton step walks the rows in blocks of about ``BLOCK_ROWS`` rows cut at segment starts: per
block, x'beta, r = exp, r x into a small buffer and its segment sums (pass 1); then, once the risk-set
weights are known, sqrt(v) x into the buffer and its p x p product added to H1 (pass 2). The buffer
stays in cache and no n x p temporary is made. Large fits use both cores: the rows (and the event
groups of the Efron sums) are split in two fixed chunks at a segment start, each walked by its own
thread (numpy and BLAS release the GIL). Blocks and chunks depend on the data only, never on the
number of cores, so the result is the same with or without threads.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from . import _cox_core as core

#: rows from which a fit splits its work into two chunks run in two threads
PARALLEL_MIN_N = 200_000
#: rows per block of a Newton step (cut at the segment start at or after each multiple)
BLOCK_ROWS = 16_384
_POOL = None        # (pid, ThreadPoolExecutor or False); a forked child makes its own


def _pool():
    """This process's pool of two threads, or False on one core."""
    global _POOL
    import os

    if _POOL is None or _POOL[0] != os.getpid():  # a pool's threads do not survive a fork
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(2, thread_name_prefix="oncoseries-cox") if (os.cpu_count() or 1) > 1 else False
        _POOL = (os.getpid(), pool)
    return _POOL[1]


class _Done:
    """The outcome of a call made at once (one core): ``result()`` returns it or raises its error."""

    def __init__(self, f, args):
        self._value, self._error = None, None
        try:
            self._value = f(*args)
        except Exception as e:  # noqa: BLE001 - raised again by result(), as a Future does
            self._error = e

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


def start(f, *args):
    """Run ``f(*args)`` in the other thread while the caller goes on; ``.result()`` waits for it (and
    raises what it raised). On one core it runs at once."""
    pool = _pool()
    return _Done(f, args) if pool is False else pool.submit(f, *args)


def _run2(f, a, b) -> None:
    """Run ``f(*a)`` and ``f(*b)``: in two threads when there are two or more cores, else in turn."""
    pool = _pool()
    if pool is False:
        f(*a)
        f(*b)
        return
    fut = pool.submit(f, *a)
    f(*b)
    fut.result()


@contextmanager
def one_blas_thread(n: int):
    """While a large fit runs its own two threads, BLAS calls use one thread each (threadpoolctl): BLAS
    threads on top of ours oversubscribe the cores, and on a busy machine OpenBLAS's spinning threads
    made a 10^6-row fit 1.5-2 times slower. Small fits leave BLAS as it is."""
    if n < PARALLEL_MIN_N:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency; the fit is the same without it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


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


class PageToucher:
    """An uninitialised n x p column-major buffer (``array``) whose pages get touched, one write per
    4 KiB page, by whichever threads call ``work``: it is cut in 16 pieces handed out in turn, so that
    two threads share the kernel's page faults. A piece is one numpy assignment, which lets go of the
    GIL only from 500 elements on: 16 pieces of a 10^6 x 10 buffer are 1,250 pages each (with 64, the
    other thread's sort took 30 ms instead of 10).

    On this project's virtual machines the cost of those faults varies a lot: memory the guest has
    handed back to its host (free page reporting) costs host faults when touched again
    (benchmarks/bench_new_memory.py --touch): 80 MB in transparent huge pages (numpy's default advice)
    took 8-10 ms when just freed and 105-188 ms after a pause; in 4 KiB pages 33-49 ms every time.
    Huge pages, touched here by both threads while the times are sorted, gave the faster fits
    (docs/benchmarks.md, Cox). One ``mmap`` with MAP_POPULATE, or madvise(MADV_POPULATE_WRITE), maps
    4 KiB pages faster alone but holds up the other thread's own page faults: beside a sort, both were
    done after 145-160 ms instead of 93-114."""

    PIECES = 16

    def __init__(self, n: int, p: int):
        self._flat = np.empty((p, n)).reshape(-1)
        self.array = self._flat.reshape(p, n).T
        self._next = itertools.count()  # its next() is one C call: threads never get the same piece

    def work(self) -> None:
        size = self._flat.size
        step = -(-size // self.PIECES) // 512 * 512 + 512
        for i in self._next:
            lo = i * step
            if lo >= size:
                return
            self._flat[lo:lo + step:512] = 0.0


def center_scale(X: np.ndarray, order: np.ndarray, ranges: np.ndarray | None = None,
                 seg_starts: np.ndarray | None = None, out: np.ndarray | None = None):
    """Sorted copy of X (column-major; X is an n x p array or a list of its p columns), centred and
    scaled as R coxfit6: columns whose values are all
    in {-1, 0, 1} are left alone; others are centred on their mean and divided by mean |x - mean|.

    ``ranges`` (p x 2: each column's minimum and maximum, from ``model_matrix``) spares a pass per
    column. With ``seg_starts`` (first sorted row of each non-empty segment) the segment sums of each
    finished column are taken while it is still in cache: the sums of x at beta = 0 (the first
    Newton step), returned as a p x segments array (else None). Large data: the columns are shared
    between two threads. ``out``: the n x p column-major array to fill (else a new one).
    """
    cols = X if isinstance(X, list) else [X[:, j] for j in range(X.shape[1])]
    n, p = order.size, len(cols)
    Xs = np.empty((p, n)).T if out is None else out
    means = np.zeros(p)
    scale = np.ones(p)
    s1 = None if seg_starts is None else np.empty((p, seg_starts.size))
    # rows are moved by scattering each column to its sorted place (sequential reads, and writes that
    # advance in step within each tied time): faster than gathering by ``order`` once the data are
    # larger than the cache (57 against 33 ms for 10^6 x 10)
    inv = np.empty_like(order)
    inv[order] = np.arange(n)
    args = (cols, inv, Xs, means, scale, ranges, seg_starts, s1)
    if n >= PARALLEL_MIN_N and p > 1:
        _run2(_center_scale_cols, args + (0, p // 2), args + (p // 2, p))
    else:
        _center_scale_cols(*args, 0, p)
    return Xs, means, scale, s1


def _center_scale_cols(cols, inv, Xs, means, scale, ranges, seg_starts, s1, j0, j1) -> None:
    n = Xs.shape[0]
    tmp = np.empty(n)
    for j in range(j0, j1):
        col = Xs[:, j]
        col[inv] = cols[j]
        if n == 0:
            continue
        lo, hi = (col.min(), col.max()) if ranges is None else ranges[j]
        zero_one = False
        if lo >= -1.0 and hi <= 1.0:
            np.abs(col, out=tmp)
            zero_one = bool(np.all((tmp == 0.0) | (tmp == 1.0)))  # not centred, not scaled
        if not zero_one:
            m = col.mean()
            col -= m
            means[j] = m
            np.abs(col, out=tmp)
            absmean = tmp.mean()
            if absmean > 0:
                scale[j] = 1.0 / absmean
                col *= scale[j]
        if s1 is not None and seg_starts.size:
            s1[j] = np.add.reduceat(col, seg_starts)


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


class Layout(NamedTuple):
    """How a fit walks its sorted rows (built once per fit by ``_segments``)."""

    starts: np.ndarray           # first row of each non-empty segment
    nonempty: np.ndarray         # indices (of the 2G segments) of the non-empty ones
    seg_len: np.ndarray          # rows of each non-empty segment
    efron_c: np.ndarray | None   # Efron fraction k/d of each event row (None for Breslow)
    rows: tuple                  # row bounds of the chunks (one chunk, or two split at a segment start)
    ev_rows: tuple               # event-row bounds of the Efron chunks
    ev_groups: tuple             # their event-group bounds
    blocks: list                 # per chunk: its blocks (row lo, row hi, segment lo, segment hi)
    group_first: np.ndarray | None  # runs of non-empty segments per group (None: one segment per group)
    event_seg: np.ndarray        # the non-empty segment holding each event group's deaths


def _segments(cd: core.CoxData) -> Layout:
    """The segments (event rows, then censored rows, of each tied-time group), the Efron fractions and
    the chunks: rows split at the segment start nearest n/2 for large n, event rows split at an
    event-group start; each chunk cut into blocks (``_blocks``)."""
    cached = getattr(cd, "_segs", None)
    if cached is not None:
        return cached
    starts, lens, nonempty = segment_bounds(cd.gstart, cd.dend, cd.n)
    es = cd.e_start[:-1]
    d = cd.e_d.astype(float)
    c = (np.arange(cd.e_start[-1]) - np.repeat(es, cd.e_d)) / np.repeat(d, cd.e_d) if cd.efron else None
    st = starts[nonempty]
    E = cd.egroups.size
    if cd.n >= PARALLEL_MIN_N and st.size > 1 and E > 1:
        k = int(np.clip(np.searchsorted(st, cd.n // 2), 1, st.size - 1))
        segs = (0, k, st.size)
        eg = int(np.clip(np.searchsorted(es, cd.e_start[-1] // 2), 1, E - 1))
        egs = (0, eg, E)
    else:
        segs, egs = (0, st.size), (0, E)
    rows = tuple(int(st[i]) if i < st.size else cd.n for i in segs)
    evb = tuple(int(cd.e_start[i]) for i in egs)
    blocks = [_blocks(st, cd.n, segs[i], segs[i + 1]) for i in range(len(segs) - 1)]
    # every group has a non-empty segment: runs of equal group ids among the non-empty segments
    grp = nonempty // 2
    gfirst = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]]) if grp.size else grp
    gfirst = None if gfirst.size == grp.size else gfirst      # one segment per group: no sums needed
    eidx = np.searchsorted(nonempty, 2 * cd.egroups)            # the event segment of each event group
    cd._segs = Layout(st, nonempty, lens[nonempty], c, rows, evb, egs, blocks, gfirst, eidx)
    return cd._segs


def segment_bounds(gstart: np.ndarray, dend: np.ndarray, n: int):
    """First row and length of each of the 2G segments (event rows, then censored rows, of each
    tied-time group) and the indices of the non-empty ones (sums run over those only: reduceat's rule
    for equal bounds would not give 0)."""
    G = gstart.size - 1
    bounds = np.empty(2 * G + 1, dtype=np.int64)
    bounds[0:-1:2] = gstart[:-1]
    bounds[1::2] = dend
    bounds[-1] = n
    lens = np.diff(bounds)
    return bounds[:-1], lens, np.flatnonzero(lens > 0)


def _blocks(st: np.ndarray, n: int, s0: int, s1: int) -> list:
    """Blocks (row lo, row hi, segment lo, segment hi) of the segments s0..s1-1, each starting at a
    segment start, about BLOCK_ROWS rows (more when one segment is longer)."""
    if s1 <= s0:
        return []
    lo = int(st[s0])
    hi = int(st[s1]) if s1 < st.size else n
    cuts = np.searchsorted(st[s0:s1], np.arange(lo + BLOCK_ROWS, hi, BLOCK_ROWS)) + s0
    sb = np.unique(np.concatenate([[s0], cuts, [s1]]))
    rb = np.append(st[sb[:-1]], hi)
    return [(int(rb[i]), int(rb[i + 1]), int(sb[i]), int(sb[i + 1])) for i in range(sb.size - 1)]


def _efron_part(cd, S0e, D0e, c, lo, hi, glo, ghi, out, logs, slot):
    """Efron weights of event rows lo..hi-1 (event groups glo..ghi-1) into out[:, glo:ghi]."""
    rep = cd.e_d[glo:ghi]
    den = np.repeat(S0e[glo:ghi], rep)
    den -= c[lo:hi] * np.repeat(D0e[glo:ghi], rep)
    w = np.empty((5, den.size))
    np.divide(1.0, den, out=w[0])
    # every denominator of group g lies in [S0 - D0 (d-1)/d, S0]
    S0g = S0e[glo:ghi]
    low = S0g - D0e[glo:ghi] * ((rep - 1) / rep)
    logs[slot] = _sum_log(den, float(low.min()) if low.size else 1.0, float(S0g.max()) if S0g.size else 1.0)
    np.multiply(w[0], w[0], out=w[2])
    np.multiply(c[lo:hi], w[0], out=w[1])
    np.multiply(c[lo:hi], w[2], out=w[3])
    np.multiply(c[lo:hi], w[3], out=w[4])
    out[:, glo:ghi] = w if ghi - glo == hi - lo else np.add.reduceat(w, cd.e_start[glo:ghi] - lo, axis=1)


def _sum_log(x: np.ndarray, low: float, high: float) -> float:
    """sum(log(x)) for positive x within [low, high]: the logs of products of 8 values (3 halving
    multiplications and an eighth of the logarithms) when no product of 8 can overflow or underflow,
    else value by value. Each product rounds by at most 7 ulps: the sum agrees to ~1e-15 relative."""
    k = x.size // 8 * 8
    if k == 0 or not (low > 0 and 8 * np.log2(high) < 1000 and 8 * np.log2(low) > -1000):
        return float(np.log(x).sum())
    a = x[:k].reshape(-1, 8)
    p4 = a[:, :4] * a[:, 4:]
    p2 = p4[:, :2] * p4[:, 2:]
    p1 = p2[:, 0] * p2[:, 1]
    return float(np.log(p1).sum() + np.log(x[k:]).sum())


def _efron(cd: core.CoxData, S0e: np.ndarray, D0e: np.ndarray):
    """Sum of log denominators and b0, b1, a0, a1, a2 per event group (see core.Scalars)."""
    d = cd.e_d.astype(float)
    if not cd.efron:  # Breslow: every denominator of the group is S0
        z = np.zeros(S0e.size)
        return float(np.sum(d * np.log(S0e))), d / S0e, z, d / (S0e * S0e), z, z
    lay = _segments(cd)
    c, evb, egs = lay.efron_c, lay.ev_rows, lay.ev_groups
    out = np.empty((5, S0e.size))
    logs = [0.0, 0.0]
    if len(egs) == 3:
        _run2(_efron_part, (cd, S0e, D0e, c, evb[0], evb[1], egs[0], egs[1], out, logs, 0),
              (cd, S0e, D0e, c, evb[1], evb[2], egs[1], egs[2], out, logs, 1))
    else:
        _efron_part(cd, S0e, D0e, c, evb[0], evb[1], egs[0], egs[1], out, logs, 0)
    return logs[0] + logs[1], out[0], out[1], out[2], out[3], out[4]


def _walk(f, blocks, *args) -> list:
    """``f(*args, block_list)`` for each chunk's block list: two chunks in two threads."""
    out = [None] * len(blocks)

    def one(i):
        out[i] = f(*args, blocks[i])

    if len(blocks) == 2:
        _run2(one, (0,), (1,))
    else:
        one(0)
    return out


def _sums_pass(Xs, beta, r, st, s0, s1, at_zero, blocks) -> None:
    """Pass 1 over a chunk's blocks: r = exp(x'beta) and the segment sums of r and r x."""
    if not blocks:
        return
    p = Xs.shape[1]
    tmp = np.empty(p * max(hi - lo for lo, hi, _, _ in blocks))
    for lo, hi, slo, shi in blocks:
        loc = st[slo:shi] - lo
        xt = Xs[lo:hi].T
        if at_zero:  # beta = 0: r = 1, r x = x
            s0[slo:shi] = np.diff(np.append(loc, hi - lo))
            s1[:, slo:shi] = xt if shi - slo == hi - lo else np.add.reduceat(xt, loc, axis=1)
            continue
        rr = r[lo:hi]
        np.dot(Xs[lo:hi], beta, out=rr)
        np.exp(rr, out=rr)
        if shi - slo == hi - lo:  # one row per segment (untied times): the sums are the rows
            s0[slo:shi] = rr
            np.multiply(xt, rr, out=s1[:, slo:shi])
            continue
        t = tmp[:p * (hi - lo)].reshape(p, hi - lo)  # contiguous: BLAS reads it in place
        np.multiply(xt, rr, out=t)
        s0[slo:shi] = np.add.reduceat(rr, loc)
        s1[:, slo:shi] = np.add.reduceat(t, loc, axis=1)


def _info_pass(Xs, r, wseg, seg_len, blocks) -> np.ndarray:
    """Pass 2 over a chunk's blocks: sum of v x x' with v = r x (segment weight), as (sqrt(v) x)'s
    p x p products block by block (``wseg``, ``seg_len``: weight and rows of each non-empty segment)."""
    p = Xs.shape[1]
    H = np.zeros((p, p))
    if not blocks:
        return H
    tmp = np.empty(p * max(hi - lo for lo, hi, _, _ in blocks))
    for lo, hi, slo, shi in blocks:
        sv = np.repeat(wseg[slo:shi], seg_len[slo:shi])
        sv *= r[lo:hi]
        np.sqrt(sv, out=sv)
        t = tmp[:p * (hi - lo)].reshape(p, hi - lo)  # contiguous: BLAS reads it in place
        np.multiply(Xs[lo:hi].T, sv, out=t)
        H += np.dot(t, t.T)  # np.dot releases the GIL around BLAS (the @ operator does not)
    return H


def group_sums(cd: core.CoxData, beta: np.ndarray):
    """Segment sums at ``beta``, the Efron scalars and H1 = sum_j v_j x_j x_j' (the numpy twin of
    ``_cox_numba.numba_group_sums``; right-censored data only). At beta = 0 (the first Newton step)
    r = 1, so exp(x'beta) and r x are not computed."""
    Xs = cd.Xs
    n, p = Xs.shape
    G = cd.gstart.size - 1
    lay = _segments(cd)
    st, nonempty, lne, blocks, gfirst, eidx = (lay.starts, lay.nonempty, lay.seg_len, lay.blocks,
                                               lay.group_first, lay.event_seg)
    at_zero = not np.any(beta)
    r = np.ones(n) if at_zero else np.empty(n)
    if at_zero and cd.s1_zero is not None:  # taken by center_scale while each column was in cache
        s0, s1 = lne.astype(float), cd.s1_zero
    else:
        s0 = np.empty(st.size)
        s1 = np.empty((p, st.size))
        _walk(_sums_pass, blocks, Xs, beta, r, st, s0, s1, at_zero)
    # group sums (event segment + censored segment); S1g is (G, p) column-major
    if gfirst is None:
        S0g, S1g = s0, s1.T
    elif st.size:
        S0g, S1g = np.add.reduceat(s0, gfirst), np.add.reduceat(s1, gfirst, axis=1).T
    else:
        S0g, S1g = np.zeros(G), np.zeros((G, p))
    gsum = core.GroupSums(eta=None, r=r, S0g=S0g, S1g=S1g, D0e=s0[eidx], D1e=s1[:, eidx].T,
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
    # each block repeats its segments' weights over its rows (a block's worth: no n-long array)
    parts = _walk(_info_pass, blocks, Xs, r, wseg[nonempty], lne)
    H1 = parts[0] if len(parts) == 1 else parts[0] + parts[1]
    return gsum, (H1 + H1.T) / 2, sc
