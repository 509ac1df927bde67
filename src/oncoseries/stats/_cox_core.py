"""Cox partial likelihood engine: risk-set bookkeeping, Newton-Raphson as R, score residuals.

Follows R survival 3.5-3 ``coxph.fit``/``coxfit6.c`` (right-censored) and ``agreg.fit`` (counting
process, delayed entry): covariates centred and scaled except those with values in {-1, 0, 1}; start
at beta = 0; Newton-Raphson with the LDL' solve of ``cholesky2``; step halving (more aggressive each
time) when the log likelihood drops or is not finite; convergence when
``|1 - loglik_old / loglik_new| <= eps`` (eps 1e-9, toler.chol 1.8e-12, iter.max 20).

The sums over risk sets use nested-risk-set cumulative sums per tied-time group, so no loop runs
over rows or events. Efron's approximation is written per event row i of a group with d deaths,
rank k (0..d-1) and c = k/d: denominator S0(t) - c * D0, mean (S1(t) - c * D1) / den (R coxfit6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._cholesky import chinv2, cholesky2, chsolve2

EPS = 1e-9
TOLER_CHOL = float(np.finfo(float).eps) ** 0.75
ITER_MAX = 20
#: rows from which an in-memory Cox fit uses the numba kernels: never by default. The whole-array
#: numpy engine (_cox_numpy: one gemv, reduceat and one syrk per Newton step) was measured faster at
#: every size up to 10^6 x 10 (benchmarks/bench_cox.py), and starting numba in a new process (import,
#: target set-up, cache load: 0.5-2 s) is paid by every first fit. Tests lower it to check both agree.
NUMBA_MIN_N = 1 << 62
#: rows of a Dask partition from which the Dask Cox engine uses the grouped numba kernel
GROUPED_NUMBA_MIN_N = 500_000
#: rows from which the concordance uses its O(n log n) numba kernel (the numpy one is O(n^2))
CONCORDANCE_NUMBA_MIN_N = 5000


def _revcum_within(values: np.ndarray, seg_end: np.ndarray) -> np.ndarray:
    """Reverse cumulative sums along axis 0 that restart at each segment end.

    ``seg_end[g]`` is the index one past the last row of g's segment (stratum). One segment (no
    strata): the plain reverse cumulative sum (the same numbers, without the restart arithmetic).
    """
    n = values.shape[0]
    rc = np.cumsum(values[::-1], axis=0)[::-1]
    if n == 0 or (seg_end[0] == n and seg_end[-1] == n):
        return rc
    pad = np.zeros((1,) + values.shape[1:])
    rc = np.concatenate([rc, pad], axis=0)
    return rc[:-1] - rc[seg_end]


def _cum_within(values: np.ndarray, seg_start: np.ndarray) -> np.ndarray:
    """Forward cumulative sums along axis 0 restarting at each segment start."""
    c = np.cumsum(values, axis=0)
    if values.shape[0] == 0 or (seg_start[0] == 0 and seg_start[-1] == 0):
        return c
    c = np.concatenate([np.zeros((1,) + values.shape[1:]), c], axis=0)
    return c[1:] - c[seg_start]


@dataclass
class CoxData:
    """Sorted, centred and scaled data plus the tied-time group structure (built once per fit).

    Rows are sorted by (stratum, time) with the event rows first in each tied-time group; group g
    holds rows gstart[g]..gstart[g+1]-1, its events gstart[g]..dend[g]-1.
    """

    Xs: np.ndarray          # n x p, sorted, centred/scaled (C order for numba, F order for numpy)
    order: np.ndarray       # sorted position -> original row
    time: np.ndarray        # sorted times
    status: np.ndarray      # sorted 0/1 float
    gstart: np.ndarray      # G+1 group boundaries (rows)
    dend: np.ndarray        # G: end of the event rows of each group
    g_seg_start: np.ndarray  # group -> first group of its stratum
    g_seg_end: np.ndarray    # group -> one past last group of its stratum
    egroups: np.ndarray     # event group -> group index
    e_start: np.ndarray     # E+1 boundaries of event rows (numbered 0..nev-1) per event group
    e_d: np.ndarray         # deaths per event group
    xdeath: np.ndarray      # sum of Xs over event rows (constant)
    means: np.ndarray
    scale: np.ndarray
    efron: bool
    # counting process (entry) extras, None otherwise
    entry: np.ndarray | None = None
    ent_order: np.ndarray | None = None   # entry-sorted order of sorted rows
    ent_pos_e: np.ndarray | None = None   # event group -> first entry-sorted position with entry >= t
    ent_end_e: np.ndarray | None = None   # event group -> one past its stratum in entry order
    ent_ecount: np.ndarray | None = None  # row -> number of event groups (stratum) with t_e <= entry
    s1_zero: np.ndarray | None = None     # p x non-empty segments: sums of Xs per segment (beta = 0)
    _rows: tuple | None = None

    @property
    def n(self):
        return self.Xs.shape[0]

    @property
    def p(self):
        return self.Xs.shape[1]

    def _row_index(self):
        """Per-row index arrays (built on first use; the grouped numba path never needs them)."""
        if self._rows is None:
            G = self.gstart.size - 1
            gid = np.repeat(np.arange(G), np.diff(self.gstart))
            ev = np.flatnonzero(self.status > 0)
            ev_e = np.repeat(np.arange(self.egroups.size), self.e_d)
            k = np.arange(ev.size) - self.e_start[:-1][ev_e]
            ev_c = k / self.e_d[ev_e] if self.efron else np.zeros(ev.size)
            self._rows = (gid, ev, ev_e, ev_c)
        return self._rows

    @property
    def gid(self):
        """Row -> group."""
        return self._row_index()[0]

    @property
    def ev(self):
        """Sorted positions of the event rows."""
        return self._row_index()[1]

    @property
    def ev_e(self):
        """Event row -> event group."""
        return self._row_index()[2]

    @property
    def ev_c(self):
        """Event row -> Efron fraction k/d (0 for Breslow)."""
        return self._row_index()[3]


def _center_scale_numpy(X, order):
    """Sorted copy of X, centred and scaled as R coxfit6 (doscale unless all values in {-1, 0, 1})."""
    n, p = X.shape
    zero_one = np.array([np.isin(X[:, j], (-1.0, 0.0, 1.0)).all() for j in range(p)], dtype=bool)
    means = np.where(zero_one, 0.0, X.mean(axis=0)) if n else np.zeros(p)
    Xs = np.empty((n, p), dtype=np.float64)
    np.take(X, order, axis=0, out=Xs)
    Xs -= means
    absmean = np.abs(Xs).mean(axis=0)
    scale = np.where(zero_one | (absmean == 0), 1.0, 1.0 / np.where(absmean > 0, absmean, 1.0))
    if not np.all(scale == 1.0):
        Xs *= scale
    return Xs, means, scale


def default_order(time, status, strata):
    """Stable order by (stratum, time), events before censored rows at the same time."""
    cens = status == 0
    return np.lexsort((cens, time)) if strata is None else np.lexsort((cens, time, strata))


@dataclass
class TiedGroups:
    """The sort order of the rows and the tied-time groups of the sorted rows (no covariates)."""

    order: np.ndarray
    time: np.ndarray
    status: np.ndarray
    strata: np.ndarray | None
    gstart: np.ndarray
    dend: np.ndarray
    g_seg_start: np.ndarray
    g_seg_end: np.ndarray
    egroups: np.ndarray
    e_start: np.ndarray
    e_d: np.ndarray


def tied_groups(time, status, strata=None, fast=False) -> TiedGroups:
    """Sort by (stratum, time), events first at each time (``fast``: the numba counting sort when the
    radix sort does not apply), and find the groups: runs of equal (stratum, time)."""
    from ._cox_numpy import radix_order, sort_order

    if fast:
        order = radix_order(time, status, strata)
        if order is None:
            from ._cox_numba import sort_order as numba_sort_order

            order = numba_sort_order(time, status, strata)
    else:
        order = sort_order(time, status, strata)
    n = order.size
    st = None if strata is None else strata[order]
    t = time[order]
    d = status[order]
    # groups: runs of equal (stratum, time); event rows come first in each group
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    brk[1:] = t[1:] != t[:-1]
    if st is not None:
        brk[1:] |= st[1:] != st[:-1]
    gstart = np.append(np.flatnonzero(brk), n)
    G = gstart.size - 1
    if st is not None:
        sbrk = np.empty(G, dtype=bool)
        sst = st[gstart[:-1]]
        sbrk[0] = True
        sbrk[1:] = sst[1:] != sst[:-1]
        sfirst = np.flatnonzero(sbrk)
        seg_id = np.cumsum(sbrk) - 1
        g_seg_start = sfirst[seg_id]
        g_seg_end = np.append(sfirst[1:], G)[seg_id]
    else:
        g_seg_start = np.zeros(G, dtype=np.int64)
        g_seg_end = np.full(G, G, dtype=np.int64)
    ndead = np.add.reduceat(d, gstart[:-1]).astype(np.int64)
    dend = gstart[:-1] + ndead
    egroups = np.flatnonzero(ndead)
    e_d = ndead[egroups]
    e_start = np.concatenate([[0], np.cumsum(e_d)])
    return TiedGroups(order, t, d, st, gstart, dend, g_seg_start, g_seg_end, egroups, e_start, e_d)


def prepare(X, time, status, strata=None, entry=None, ties="efron", fast=False, ranges=None,
            groups: TiedGroups | None = None, out: np.ndarray | None = None) -> CoxData:
    """Sort by (stratum, time), centre/scale as R coxfit6 and build the tied-time groups.

    ``X`` is an n x p array or (numpy engine) the list of its columns (``Design.sources``).
    ``fast`` uses the numba helpers (counting sort for integer times, parallel gather). ``ranges``:
    each column's minimum and maximum when already known (``Design.ranges``); ``groups``: the sort
    and groups of (time, status, strata) when already known (``tied_groups``); ``out``: an n x p
    column-major buffer for the sorted copy (numpy engine).
    """
    n = time.size
    g = tied_groups(time, status, strata, fast) if groups is None else groups
    order, d = g.order, g.status
    s1_zero = None
    if fast:
        from ._cox_numba import gather
        from ._cox_numpy import column_stats

        means, scale = column_stats(X)
        Xs = gather(X, order, means, scale)
        xdeath = d @ Xs
    else:
        from ._cox_numpy import center_scale, segment_bounds

        starts, _, nonempty = segment_bounds(g.gstart, g.dend, n)
        Xs, means, scale, s1_zero = center_scale(X, order, ranges, starts[nonempty], out)
        xdeath = s1_zero[:, nonempty % 2 == 0].sum(axis=1)  # the event segments' sums
    cd = CoxData(Xs=Xs, order=order, time=g.time, status=d, gstart=g.gstart, dend=g.dend,
                 g_seg_start=g.g_seg_start, g_seg_end=g.g_seg_end,
                 egroups=g.egroups, e_start=g.e_start, e_d=g.e_d, xdeath=xdeath,
                 means=means, scale=scale, efron=ties == "efron", s1_zero=s1_zero)
    if entry is not None:
        _prepare_entry(cd, entry[order], g.strata)
    return cd


def _prepare_entry(cd: CoxData, ent: np.ndarray, st) -> None:
    """Delayed entry: rows are at risk at t when entry < t <= time (R agreg, (start, stop])."""
    n = cd.n
    s = np.zeros(n, dtype=np.int64) if st is None else st.astype(np.int64)
    # exact integer keys for (stratum, value) comparisons
    vals = np.unique(np.concatenate([cd.time, ent]))
    nv = vals.size + 1
    key_ent = s * nv + np.searchsorted(vals, ent)
    ent_order = np.argsort(key_ent, kind="stable")
    sorted_keys = key_ent[ent_order]
    gs = cd.gstart[:-1]
    et = cd.time[gs[cd.egroups]]
    es = s[gs[cd.egroups]]
    key_t = es * nv + np.searchsorted(vals, et)
    cd.ent_pos_e = np.searchsorted(sorted_keys, key_t, side="left")
    cd.ent_end_e = np.searchsorted(sorted_keys, (es + 1) * nv, side="left")
    # number of event groups of the row's stratum with t_e <= entry
    ekey = key_t  # event groups are sorted by (stratum, time)
    cd.ent_ecount = np.searchsorted(ekey, s * nv + np.searchsorted(vals, ent), side="right") \
        - np.searchsorted(ekey, s * nv, side="left")
    cd.entry = ent
    cd.ent_order = ent_order


@dataclass
class GroupSums:
    """Per-iteration sums: group totals over all rows (S0g, S1g) and over event rows per event group."""

    eta: np.ndarray
    r: np.ndarray
    S0g: np.ndarray
    S1g: np.ndarray
    D0e: np.ndarray
    D1e: np.ndarray
    etadeath: float
    S2g: np.ndarray | None = None   # packed per-group second moments (grouped numba kernel)
    D2e: np.ndarray | None = None


class Scalars:
    """Risk-set denominators and the Efron weights per event group for one beta.

    With d deaths in a group, k = 0..d-1, c = k/d (0 for Breslow), den_k = S0(t) - c D0:
    b0 = sum 1/den, b1 = sum c/den, a0 = sum 1/den^2, a1 = sum c/den^2, a2 = sum c^2/den^2.
    """

    def __init__(self, cd: CoxData, gsum: GroupSums, fast: bool = False):
        S0cum = _revcum_within(gsum.S0g, cd.g_seg_end)
        S0e = S0cum[cd.egroups]
        if cd.entry is not None:
            S0e = S0e - _entry_tail(cd, gsum.r)
        self.S0e = S0e
        if fast:
            from ._cox_numba import efron_scalars

            sumlog, self.b0, self.b1, self.a0, self.a1, self.a2 = efron_scalars(
                S0e, gsum.D0e, cd.e_d, cd.efron)
            self.loglik = gsum.etadeath - sumlog
            return
        c = cd.ev_c
        den = S0e[cd.ev_e] - c * gsum.D0e[cd.ev_e]
        E = cd.egroups.size
        inv = 1.0 / den
        inv2 = inv * inv
        es = cd.e_start[:-1]
        bc = (lambda w: np.add.reduceat(w, es)) if E else (lambda w: np.zeros(0))  # event rows by group
        self.loglik = gsum.etadeath - float(np.sum(np.log(den)))
        self.b0, self.a0 = bc(inv), bc(inv2)
        if cd.efron:
            self.b1, self.a1, self.a2 = bc(c * inv), bc(c * inv2), bc(c * c * inv2)
        else:
            z = np.zeros(E)
            self.b1, self.a1, self.a2 = z, z, z


def _entry_tail(cd: CoxData, w: np.ndarray) -> np.ndarray:
    """For each event group: sum of w over rows of its stratum with entry >= t_e (not at risk)."""
    we = w[cd.ent_order]
    rc = np.concatenate([np.cumsum(we[::-1], axis=0)[::-1], np.zeros((1,) + we.shape[1:])], axis=0)
    return rc[cd.ent_pos_e] - rc[cd.ent_end_e]


def numpy_group_sums(cd: CoxData, beta: np.ndarray) -> GroupSums:
    """Group sums of exp(eta) and exp(eta) x with numpy (reduceat over the sorted rows)."""
    eta = cd.Xs @ beta
    r = np.exp(eta)
    gs = cd.gstart[:-1]
    S0g = np.add.reduceat(r, gs) if cd.n else np.zeros(0)
    RX = cd.Xs * r[:, None]
    S1g = np.add.reduceat(RX, gs, axis=0)
    es = cd.e_start[:-1]
    if cd.ev.size:
        D0e = np.add.reduceat(r[cd.ev], es)
        D1e = np.add.reduceat(RX[cd.ev], es, axis=0)
    else:
        D0e, D1e = np.zeros(0), np.zeros((0, cd.p))
    return GroupSums(eta=eta, r=r, S0g=S0g, S1g=S1g, D0e=D0e, D1e=D1e,
                     etadeath=float(eta[cd.ev].sum()))


def row_weights(cd: CoxData, sc: Scalars, r: np.ndarray) -> np.ndarray:
    """v_j with sum_j v_j x_j x_j' = sum over event rows of (S2 - c D2)/den (Efron; c = 0 Breslow)."""
    G = cd.gstart.size - 1
    B0g = np.zeros(G)
    B0g[cd.egroups] = sc.b0
    cumB0 = _cum_within(B0g, cd.g_seg_start)
    b1g = np.zeros(G)
    b1g[cd.egroups] = sc.b1
    w = cumB0[cd.gid] - cd.status * b1g[cd.gid]
    if cd.entry is not None:
        cb = np.concatenate([[0.0], np.cumsum(sc.b0)])
        # event groups of the row's stratum with t_e <= entry: their b0 is not in its risk sets
        first = _stratum_first_event(cd)
        w = w - (cb[first + cd.ent_ecount] - cb[first])
    return r * w


def _stratum_first_event(cd: CoxData) -> np.ndarray:
    """Row -> index of the first event group of its stratum (in event-group order)."""
    seg0 = cd.g_seg_start[cd.gid]
    return np.searchsorted(cd.egroups, seg0, side="left")


def score_info(cd: CoxData, gsum: GroupSums, H1: np.ndarray | None = None, sc: Scalars | None = None):
    """Log likelihood, score u and information H at the beta behind ``gsum``.

    ``H1`` (sum_j v_j x_j x_j') and ``sc`` may be supplied by the fast kernels; otherwise computed here.
    """
    if sc is None:
        sc = Scalars(cd, gsum)
    S1cum = _revcum_within(gsum.S1g, cd.g_seg_end)
    A = S1cum[cd.egroups]
    if cd.entry is not None:
        A = A - _entry_tail(cd, cd.Xs * gsum.r[:, None])
    D1 = gsum.D1e
    u = cd.xdeath - (A.T @ sc.b0 - D1.T @ sc.b1)
    if H1 is None:
        if gsum.S2g is not None:
            H1 = _H1_from_groups(cd, sc, gsum)
        else:
            v = row_weights(cd, sc, gsum.r)
            W = cd.Xs * np.sqrt(v)[:, None]
            H1 = W.T @ W
    M = A.T @ (A * sc.a0[:, None])
    if cd.efron and cd.e_d.size and cd.e_d.max() > 1:   # with one death per time b1 = a1 = a2 = 0
        C = A.T @ (D1 * sc.a1[:, None])
        M = M - C - C.T + D1.T @ (D1 * sc.a2[:, None])
    H = H1 - M
    H = (H + H.T) / 2
    return sc.loglik, u, H, sc, A


def _H1_from_groups(cd: CoxData, sc: Scalars, gsum: GroupSums) -> np.ndarray:
    """H1 from packed per-group second moments: sum_g S2g cumB0_g - sum_e D2e b1_e."""
    G = cd.gstart.size - 1
    B0g = np.zeros(G)
    B0g[cd.egroups] = sc.b0
    cumB0 = _cum_within(B0g, cd.g_seg_start)
    packed = gsum.S2g.T @ cumB0
    if cd.efron and gsum.D2e is not None:
        packed = packed - gsum.D2e.T @ sc.b1
    return unpack(packed, cd.p)


def unpack(packed: np.ndarray, p: int) -> np.ndarray:
    """Lower-triangle packed (row-major, j <= i) -> symmetric p x p."""
    H = np.zeros((p, p))
    il = np.tril_indices(p)
    H[il] = packed
    H.T[il] = packed
    return H


def newton(engine, p: int, maxiter: int = ITER_MAX, eps: float = EPS, toler: float = TOLER_CHOL):
    """R coxfit6's Newton-Raphson with step halving; ``engine(beta) -> (loglik, u, H)`` (scaled units).

    Returns a dict with beta, loglik (initial, final), u, imat (inverse information), sctest, iter,
    flag (rank; 1000 when iterations ran out), halving.
    """
    beta = np.zeros(p)
    ll0, u, H = engine(beta)
    chol, flag = cholesky2(H, toler)
    a = chsolve2(chol, u)
    sctest = float(np.dot(u, a))
    if maxiter == 0 or not np.isfinite(ll0):
        return dict(beta=beta, loglik=(ll0, ll0), u=u, imat=chinv2(chol), sctest=sctest, iter=0,
                    flag=flag, halving=0)
    llbest = ll0
    newbeta = beta + a
    halving = 0
    for it in range(1, maxiter + 1):
        newlk, u, H = engine(newbeta)
        chol, flag = cholesky2(H, toler)
        notfinite = not (np.all(np.isfinite(u)) and np.all(np.isfinite(H)) and np.isfinite(newlk))
        if not notfinite and abs(1 - llbest / newlk) <= eps:
            return dict(beta=newbeta, loglik=(ll0, newlk), u=u, imat=chinv2(chol), sctest=sctest,
                        iter=it, flag=-2 if halving else flag, halving=halving)
        if notfinite or newlk < llbest:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            llbest = newlk
            step = chsolve2(chol, u)
            beta = newbeta
            newbeta = newbeta + step
    # ran out of iterations: return the last good beta (R recomputes its loglik)
    lastlk, u, H = engine(beta) if maxiter > 1 else (newlk, u, H)
    chol, _ = cholesky2(H, toler)
    return dict(beta=beta, loglik=(ll0, lastlk), u=u, imat=chinv2(chol), sctest=sctest,
                iter=maxiter + 1, flag=1000, halving=halving)


def score_residuals(cd: CoxData, gsum: GroupSums, sc: Scalars, A: np.ndarray) -> np.ndarray:
    """Score residuals per row (sorted order, scaled units), R coxscore2 (Efron or Breslow form).

    Row j: delta_j (x_j - m3) - r_j (x_j H(t_j) - XH(t_j)) + delta_j r_j (x_j b1 - (A a1 - D1 a2)),
    with H, XH the cumulative hazard and hazard-weighted means over the event groups at or before t_j.
    """
    Xs, r = cd.Xs, gsum.r
    D1 = gsum.D1e
    mh1 = A * sc.a0[:, None] - D1 * sc.a1[:, None]
    mh3 = (A * sc.b0[:, None] - D1 * sc.b1[:, None]) / cd.e_d[:, None]
    G = cd.gstart.size - 1
    Hg = np.zeros(G)
    Hg[cd.egroups] = sc.b0
    XHg = np.zeros((G, cd.p))
    XHg[cd.egroups] = mh1
    Hc = _cum_within(Hg, cd.g_seg_start)[cd.gid]
    XHc = _cum_within(XHg, cd.g_seg_start)[cd.gid]
    if cd.entry is not None:
        first = _stratum_first_event(cd)
        cb = np.concatenate([[0.0], np.cumsum(sc.b0)])
        cx = np.concatenate([np.zeros((1, cd.p)), np.cumsum(mh1, axis=0)])
        Hc = Hc - (cb[first + cd.ent_ecount] - cb[first])
        XHc = XHc - (cx[first + cd.ent_ecount] - cx[first])
    resid = -(r[:, None] * (Xs * Hc[:, None] - XHc))
    ev, e = cd.ev, cd.ev_e
    own = (Xs[ev] - mh3[e])
    if cd.efron:
        corr = A * sc.a1[:, None] - D1 * sc.a2[:, None]
        own += r[ev, None] * (Xs[ev] * sc.b1[e, None] - corr[e])
    resid[ev] += own
    return resid
