"""Cox regression on a Dask DataFrame from per-partition sufficient statistics (R coxph, as in memory).

The in-memory engine (stats/_cox_core.py) needs, at each Newton step, sums per tied-time group g of
r = exp(x'beta), r x and r x x' over all rows (S0, S1, S2), the same over the event rows of each event
group (D0, D1, D2, Efron) and the sum of x'beta over events. Those sums add over partitions, so:

1. one pass collects, per partition, the row counts, numeric column sums and ranges, categorical levels
   and the distinct (stratum, time) keys with their event counts; the client builds the global group
   structure (R's aeqSurv time merging on the distinct times, strata coded as in memory) and the centring;
2. a second pass builds each partition's design matrix with the global levels, centred and scaled as R
   coxfit6, rows sorted by group, and keeps it on its worker (persist); it returns mean |x - mean|;
3. each Newton step sends beta and gets back, per partition, the sums over the groups it holds: what
   crosses the network grows with the number of distinct times (G (1 + p + p(p+1)/2) numbers), not n;
4. the client runs the unchanged Newton-Raphson (step halving, convergence rule) and post-processing;
   the robust variance takes two more passes (score residuals at the estimate and at beta = 0, summed as
   R'R, or per cluster).

The concordance needs pairs across partitions: it gathers the time, status, stratum and linear
predictor columns to the client on first access (``DaskCoxResult.concordance``) and says so.
Delayed entry (``entry``) is not supported on Dask. Result arrays of n rows (``X``, ``time``, ``event``,
``strata``) are None: the data stay on the workers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..stats import _cox_core as core
from ..stats import cox as cox_mod
from ..stats.design import Design, _factor_codes, _is_categorical


class DaskCoxResult(cox_mod.CoxResult):
    """A CoxResult fitted on a Dask DataFrame; the concordance gathers four columns when first asked."""

    _dask = None

    @property
    def linear_predictors(self) -> np.ndarray:
        """X beta - sum(beta * means), gathered from the workers (n values on the client)."""
        return self._gather()[3]

    def _gather(self):
        if self._lp is None:
            parts = self._dask.gather_lp(self.coef, self.means)
            cols = [np.concatenate([p[i] for p in parts]) for i in range(4)]
            cluster = None
            if self._dask.spec.cluster:
                keys = pd.concat([p[4] for p in parts], ignore_index=True)
                cluster = keys.groupby(list(keys.columns), sort=True, observed=True).ngroup().to_numpy(np.int64)
            self._gathered = (*cols, cluster)
            self._lp = cols[3]
        return self._gathered

    def _concordance_pair(self) -> tuple:
        if self._conc is None:
            time, status, strata, lp, cluster = self._gather()
            warnings.warn(f"the concordance gathered time, status, stratum and linear predictor of {len(lp):,} "
                          "rows to the client (pairs cross partitions)", stacklevel=3)
            self._conc = cox_mod._concordance(time=time, status=status, lp=lp,
                                              strata=strata if self.strata_columns else None,
                                              cluster=cluster, use_numba=len(lp) >= core.CONCORDANCE_NUMBA_MIN_N)
        return self._conc


class _Spec:
    """What every partition needs to build its rows: columns, levels, centring, groups (picklable)."""

    def __init__(self, time, event, covariates, strata, cluster):
        self.time, self.event, self.covariates = time, event, covariates
        self.strata, self.cluster = strata, cluster
        self.kinds: dict[str, tuple] = {}      # covariate -> ("num",) or ("cat", cats)
        self.means = self.scale = None
        self.utimes = self.fixed = None         # distinct times and their aeqSurv-merged value
        self.skeys = None                       # distinct strata keys and their code (column __code)
        self.gkeys = None                       # sorted global group keys (stratum code, fixed time)
        self.ekeys = None                       # global group index of each event group

    @property
    def required(self) -> list[str]:
        return list(dict.fromkeys([self.time, self.event, *self.covariates, *self.strata, *self.cluster]))


def _kept(df: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    """Rows without a missing value in any used column (R's na.omit); the frame itself when none is."""
    miss = df[spec.required].isna().any(axis=1).to_numpy()
    return df.loc[~miss] if miss.any() else df


def _pass1(df: pd.DataFrame, spec: _Spec, categorical: list[str], numeric: list[str]) -> dict:
    """Counts, numeric sums and ranges, categorical levels and (stratum, time) keys of one partition."""
    miss = df[spec.required].isna().any(axis=1).to_numpy()
    k = df.loc[~miss] if miss.any() else df
    tt = cox_mod._time_values(k[spec.time], spec.time, np.ones(len(k), bool))
    ev = cox_mod._event_values(k[spec.event], spec.event, np.ones(len(k), bool))
    out = {"n": len(k), "dropped": list(df.index[miss]),
           "cats": {c: pd.unique(k[c].to_numpy(dtype=object)) for c in categorical}, "num": {}}
    for c in numeric:
        v = cox_mod.numeric_values(k[c], c, "covariate")
        a = np.abs(v)
        out["num"][c] = (float(v.sum()), float(v.min()) if len(v) else np.inf, float(v.max()) if len(v) else -np.inf,
                         bool(np.all((a == 0.0) | (a == 1.0))))
    keys = k[spec.strata].copy() if spec.strata else pd.DataFrame(index=k.index)
    keys["__t"], keys["__d"] = tt, ev
    out["keys"] = keys.groupby(list(spec.strata) + ["__t"], sort=False, observed=True)["__d"].agg(["sum", "size"])
    return out


def _rows(df: pd.DataFrame, spec: _Spec):
    """Kept rows of a partition: design matrix (global levels), time, status, stratum code, group index."""
    k = _kept(df, spec)
    n = len(k)
    width = sum(1 if spec.kinds[c][0] == "num" else len(spec.kinds[c][1]) - 1 for c in spec.covariates)
    X = np.zeros((n, width))
    j = 0
    for c in spec.covariates:
        kind = spec.kinds[c]
        if kind[0] == "num":
            X[:, j] = cox_mod.numeric_values(k[c], c, "covariate")
            j += 1
        else:
            codes = pd.Categorical(k[c].to_numpy(dtype=object), categories=kind[1]).codes
            rows = np.flatnonzero(codes > 0)
            X[rows, j + codes[rows] - 1] = 1.0
            j += len(kind[1]) - 1
    t = cox_mod._time_values(k[spec.time], spec.time, np.ones(n, bool))
    t = spec.fixed[np.searchsorted(spec.utimes, t)]
    status = cox_mod._event_values(k[spec.event], spec.event, np.ones(n, bool))
    if spec.strata:
        sc = _strata_codes(k[spec.strata], spec.skeys)
    else:
        sc = np.zeros(n, dtype=np.int64)
    return k, X, t, status, sc


def _strata_codes(frame: pd.DataFrame, skeys: pd.DataFrame) -> np.ndarray:
    """Stratum code of each row: a hashed join on the key columns (codes in sorted key order, as in memory)."""
    codes = frame.merge(skeys, how="left", on=list(frame.columns), sort=False)["__code"]
    return codes.to_numpy(dtype=np.int64)


def _group_index(spec: _Spec, sc: np.ndarray, t: np.ndarray) -> np.ndarray:
    gs, gt = spec.gkeys
    # groups are sorted by (stratum, time): locate the stratum's block, then the time within it
    lo = np.searchsorted(gs, sc, side="left")
    hi = np.searchsorted(gs, sc, side="right")
    idx = lo.copy()
    for s in np.unique(sc):
        m = sc == s
        a, b = lo[m][0], hi[m][0]
        idx[m] = a + np.searchsorted(gt[a:b], t[m])
    return idx


class _Part:
    """One partition's rows, sorted by global group, centred and scaled: kept in worker memory."""

    def __init__(self, df: pd.DataFrame, spec: _Spec):
        k, X, t, status, sc = _rows(df, spec)
        g = _group_index(spec, sc, t)
        order = np.lexsort((status == 0, g))          # by group, event rows first (as core.prepare)
        self.X = np.ascontiguousarray(X[order])       # row-major for the numba kernel
        self.X -= spec.means
        if not np.all(spec.scale == 1.0):
            self.X *= spec.scale
        self.status = status[order]
        self.xdeath = self.status @ self.X
        g = g[order]
        self.cluster = (k[spec.cluster].iloc[order].reset_index(drop=True) if spec.cluster else None)
        self.n = len(g)
        brk = np.ones(self.n, dtype=bool)
        brk[1:] = g[1:] != g[:-1]
        starts = np.flatnonzero(brk)
        self.gstart = np.append(starts, self.n).astype(np.int64)
        ndead = np.add.reduceat(self.status, starts).astype(np.int64) if self.n else np.zeros(0, np.int64)
        self.dend = (starts + ndead).astype(np.int64)
        self.ug = g[starts]                           # global groups held here
        self.gid = np.cumsum(brk) - 1                 # row -> local group
        self.has_ev = ndead > 0
        self.ue = np.searchsorted(spec.ekeys, self.ug[self.has_ev])  # their global event groups
        self.ev = np.flatnonzero(self.status > 0)
        self.ev_e = np.searchsorted(spec.ekeys, g[self.ev])          # event row -> global event group
        nch = max(1, min(len(starts), 16))           # group-aligned chunks of about equal rows (numba)
        cut = np.searchsorted(self.gstart, np.linspace(0, self.n, nch + 1)[1:-1])
        self.cstart = np.unique(np.concatenate([[0], cut, [len(starts)]])).astype(np.int64)

    def sums(self, beta: np.ndarray, pairs: tuple, efron: bool):
        """S0, S1, S2 (packed) per group held here; D0, D1, D2 per event group; sum of eta over events
        (the grouped numba kernel of the in-memory engine, stats/_cox_numba.py)."""
        from ..stats._cox_numba import _grouped

        p, P2, m = self.X.shape[1], len(pairs[0]), len(self.ug)
        if self.n == 0:
            return (self.ug, np.zeros(0), np.zeros((0, p)), np.zeros((0, P2)), self.ue,
                    np.zeros(0), np.zeros((0, p)), np.zeros((0, P2)), 0.0)
        r = np.empty(self.n)
        S0, D0 = np.empty(m), np.empty(m)
        S1, D1 = np.empty((m, p)), np.empty((m, p))
        S2, D2 = np.empty((m, P2)), np.empty((m, P2))
        etad = np.zeros(self.cstart.size - 1)
        _grouped(self.X, np.ascontiguousarray(beta, dtype=np.float64), self.gstart, self.dend, self.cstart, r,
                 S0, S1, S2, D0, D1, D2, etad)
        e = self.has_ev
        D2 = D2[e] if efron else np.zeros((int(e.sum()), P2))
        return self.ug, S0, S1, S2, self.ue, D0[e], D1[e], D2, float(etad.sum())

    def residuals(self, beta: np.ndarray, arrays: dict, efron: bool, cluster: bool):
        """Score residuals of the rows (R coxscore2, as core.score_residuals), summed as R'R and sum R,
        or per cluster (a frame of cluster keys and sums)."""
        p = self.X.shape[1]
        if self.n == 0:
            return (np.zeros((p, p)), np.zeros(p)) if not cluster else None
        r = np.exp(self.X @ beta)
        gl = self.ug[self.gid]
        Hc, XHc = arrays["Hc"][gl], arrays["XHc"][gl]
        resid = -(r[:, None] * (self.X * Hc[:, None] - XHc))
        if self.ev.size:
            e = self.ev_e
            ev = self.ev
            own = self.X[ev] - arrays["mh3"][e]
            if efron:
                own += r[ev, None] * (self.X[ev] * arrays["b1"][e, None] - arrays["corr"][e])
            resid[ev] += own
        if not cluster:
            return resid.T @ resid, resid.sum(axis=0)
        frame = self.cluster.copy()
        keys = list(frame.columns)
        for j in range(p):
            frame[f"__r{j}"] = resid[:, j]
        return frame.groupby(keys, sort=False, observed=True).sum()



def _lp_partition(df: pd.DataFrame, spec: _Spec, b: np.ndarray, means: np.ndarray):
    """time, status, stratum, linear predictor (as CoxResult does) and cluster keys of a partition."""
    k, X, t, status, sc = _rows(df, spec)
    lp = np.zeros(X.shape[0])
    for j in np.flatnonzero(b):
        lp += X[:, j] * b[j]
    cl = k[spec.cluster].reset_index(drop=True) if spec.cluster else None
    return t, status, sc, lp - np.sum(b * means), cl


def _absdev(df: pd.DataFrame, spec: _Spec, columns: list[str], means: dict) -> np.ndarray:
    k = _kept(df, spec)
    return np.array([np.abs(cox_mod.numeric_values(k[c], c, "covariate") - means[c]).sum() for c in columns])


def _sums(part: _Part, beta, pairs, efron):
    return part.sums(beta, pairs, efron)


def _resid(part: _Part, beta, arrays, efron, cluster):
    return part.residuals(beta, arrays, efron, cluster)


def _xdeath(part: _Part):
    return part.xdeath


class _Handle:
    """The persisted partitions and the graph-building helpers of one fit."""

    def __init__(self, ddf, spec: _Spec):
        import dask

        self.dask, self.ddf, self.spec = dask, ddf, spec
        self.raw = ddf.to_delayed()
        self.parts = None
        self.bytes_per_step = 0
        self.steps = 0

    def each(self, func, *args, raw: bool = False):
        delayed = self.dask.delayed
        return list(self.dask.compute(*[delayed(func)(p, *args) for p in (self.raw if raw else self.parts)]))

    def persist(self):
        delayed = self.dask.delayed
        self.parts = list(self.dask.persist(*[delayed(_Part)(p, self.spec) for p in self.raw]))

    def gather_lp(self, coef, means):
        b = np.where(np.isnan(coef), 0.0, coef)
        return self.each(_lp_partition, self.spec, b, means, raw=True)


class _Engine:
    """beta -> (loglik, u, H) from the per-partition group sums; remembers the last state (as cox._Engine)."""

    def __init__(self, h: _Handle, cd, G: int, E: int, p: int, fast: bool):
        self.h, self.cd, self.G, self.E, self.p, self.fast = h, cd, G, E, p, fast
        self.pairs = np.tril_indices(p)
        self.last = self.zero = None

    def sums(self, beta):
        p, P2 = self.p, len(self.pairs[0])
        S0, S1, S2 = np.zeros(self.G), np.zeros((self.G, p)), np.zeros((self.G, P2))
        D0, D1, D2 = np.zeros(self.E), np.zeros((self.E, p)), np.zeros((self.E, P2))
        etadeath = 0.0
        parts = self.h.each(_sums, beta, self.pairs, self.cd.efron)
        nbytes = 0
        for ug, s0, s1, s2, ue, d0, d1, d2, ed in parts:
            S0[ug] += s0
            S1[ug] += s1
            S2[ug] += s2
            D0[ue] += d0
            D1[ue] += d1
            D2[ue] += d2
            etadeath += ed
            nbytes += sum(a.nbytes for a in (ug, s0, s1, s2, ue, d0, d1, d2)) + 8
        self.h.bytes_per_step, self.h.steps = nbytes, self.h.steps + 1
        gsum = core.GroupSums(eta=None, r=None, S0g=S0, S1g=S1, D0e=D0, D1e=D1, etadeath=etadeath, S2g=S2,
                              D2e=D2 if self.cd.efron else None)
        return gsum, core.Scalars(self.cd, gsum, fast=self.fast)

    def __call__(self, beta):
        gsum, sc = self.sums(beta)
        ll, u, H, sc, A = core.score_info(self.cd, gsum, None, sc)
        self.last = (beta.copy(), gsum, sc, A)
        if self.zero is None and not beta.any():
            self.zero = (gsum, sc, A)
        return ll, u, H


def _resid_arrays(cd, gsum, sc, A) -> dict:
    """Per-group and per-event-group pieces of the score residuals (core.score_residuals)."""
    D1 = gsum.D1e
    G = cd.gstart.size - 1
    mh1 = A * sc.a0[:, None] - D1 * sc.a1[:, None]
    Hg = np.zeros(G)
    Hg[cd.egroups] = sc.b0
    XHg = np.zeros((G, cd.p))
    XHg[cd.egroups] = mh1
    return dict(Hc=core._cum_within(Hg, cd.g_seg_start), XHc=core._cum_within(XHg, cd.g_seg_start),
                mh3=(A * sc.b0[:, None] - D1 * sc.b1[:, None]) / cd.e_d[:, None], b1=sc.b1,
                corr=A * sc.a1[:, None] - D1 * sc.a2[:, None])


def _residual_sums(h: _Handle, beta, arrays, efron, cluster_cols) -> tuple[np.ndarray, np.ndarray]:
    """R'R and the column sums of the score residuals R, rows collapsed within clusters first."""
    parts = h.each(_resid, beta, arrays, efron, bool(cluster_cols))
    if not cluster_cols:
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    frames = [p for p in parts if p is not None and len(p)]
    C = pd.concat(frames).groupby(level=list(range(len(cluster_cols))), sort=False).sum().to_numpy()
    return C.T @ C, C.sum(axis=0)


def _names(ddf, spec, what: str) -> list[str]:
    cols = list(ddf.columns)
    out = cox_mod._as_list(spec)
    for c in out:
        if c not in cols:
            raise ValueError(f"{what} {c!r} is not a column of the data; columns are {cols}")
    return out


def cox_dask(ddf, time, event, covariates, strata=None, ties="efron", robust=False, cluster=None,
             conf_level=0.95, reference=None, entry=None) -> DaskCoxResult:
    """``osr.cox`` on a Dask DataFrame (see the module doc); the same CoxResult fields as in memory."""
    if entry is not None:
        raise ValueError("entry (delayed entry) is not supported with a Dask DataFrame; fit it in memory")
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if not (0 < conf_level < 1):
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    covariates = cox_mod._as_list(covariates)
    if not covariates:
        raise ValueError("covariates must name at least one column")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"covariates contain duplicates: {covariates}")
    (time,), (event,) = _names(ddf, time, "time"), _names(ddf, event, "event")
    _names(ddf, covariates, "covariate")
    strata_cols, cluster_cols = _names(ddf, strata, "strata"), _names(ddf, cluster, "cluster")
    for what, cols in (("strata", strata_cols), ("cluster", cluster_cols)):
        for c in cols:
            if c in covariates:
                raise ValueError(f"{c!r} is both a covariate and a {what} column")
    reference = dict(reference or {})
    for k in reference:
        if k not in covariates:
            raise ValueError(f"reference given for {k!r}, which is not one of the covariates {covariates}")
    meta = ddf._meta
    categorical = [c for c in covariates if _is_categorical(meta[c])]
    numeric = [c for c in covariates if c not in categorical]
    for c in numeric:
        if c in reference:
            raise ValueError(f"reference given for numeric covariate {c!r}; only categorical "
                             "(string, category or bool) covariates have levels")
    spec = _Spec(time, event, covariates, strata_cols, cluster_cols)
    h = _Handle(ddf, spec)

    # pass 1: counts, ranges, levels, (stratum, time) keys
    first = h.each(_pass1, spec, categorical, numeric, raw=True)
    n = sum(f["n"] for f in first)
    dropped = [i for f in first for i in f["dropped"]]
    if n == 0:
        raise ValueError("no rows left after removing rows with missing values")
    columns, terms, levels, means_by = [], {}, {}, {}
    for c in covariates:
        start = len(columns)
        if c in categorical:
            values = pd.unique(np.concatenate([f["cats"][c] for f in first]))
            dt = meta[c].dtype
            s = pd.Series(pd.Categorical(values, dtype=dt)) if isinstance(dt, pd.CategoricalDtype) \
                else pd.Series(values, dtype=object)
            cats, labels, _ = _factor_codes(s, np.ones(len(s), bool), c, reference.get(c))
            spec.kinds[c] = ("cat", list(cats))
            levels[c] = labels
            columns.extend(f"{c}{lab}" for lab in labels[1:])
            means_by.update({f"{c}{lab}": 0.0 for lab in labels[1:]})  # 0/1 columns: not centred (coxfit6)
        else:
            total = sum(f["num"][c][0] for f in first)
            lo, hi = min(f["num"][c][1] for f in first), max(f["num"][c][2] for f in first)
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise ValueError(f"covariate {c!r} has infinite values")
            if lo == hi:
                raise ValueError(f"covariate {c!r} has a single value ({lo:g}) in the rows used")
            zero_one = all(f["num"][c][3] for f in first)
            spec.kinds[c] = ("num", zero_one)
            means_by[c] = 0.0 if zero_one else total / n
            columns.append(str(c))
        terms[c] = list(range(start, len(columns)))
    p = len(columns)
    means = np.array([means_by[c] for c in columns])
    # R coxfit6 scaling: 1 / mean |x - mean| for columns not all in {-1, 0, 1}
    to_scale = [c for c in numeric if not spec.kinds[c][1]]
    scale = np.ones(p)
    if to_scale:
        dev = sum(h.each(_absdev, spec, to_scale, {c: means_by[c] for c in to_scale}, raw=True))
        for c, d in zip(to_scale, dev):
            absmean = d / n
            scale[terms[c][0]] = 1.0 / absmean if absmean > 0 else 1.0
    spec.means, spec.scale = means, scale

    # the global (stratum, time) groups, times merged as R's aeqSurv
    keys = pd.concat([f["keys"] for f in first]).reset_index()
    spec.utimes = np.unique(keys["__t"].to_numpy(dtype=np.float64))
    (spec.fixed,) = cox_mod._timefix(spec.utimes)
    keys["__t"] = spec.fixed[np.searchsorted(spec.utimes, keys["__t"].to_numpy(dtype=np.float64))]
    strata_levels = []
    if strata_cols:
        uniq = keys[strata_cols].drop_duplicates()
        code = uniq.groupby(strata_cols, sort=True, observed=True).ngroup()
        strata_levels = [k if isinstance(k, tuple) else (k,) for k in
                         uniq.groupby(strata_cols, sort=True, observed=True).size().index]
        spec.skeys = uniq.assign(__code=code.to_numpy(dtype=np.int64)).reset_index(drop=True)
        keys["__s"] = _strata_codes(keys[strata_cols], spec.skeys)
    else:
        keys["__s"] = 0
    grp = keys.groupby(["__s", "__t"], sort=True)[["sum", "size"]].sum()
    gs = grp.index.get_level_values(0).to_numpy(dtype=np.int64)
    spec.gkeys = (gs, grp.index.get_level_values(1).to_numpy(dtype=np.float64))
    ndead = grp["sum"].to_numpy().round().astype(np.int64)
    n_events = int(ndead.sum())
    if n_events == 0:
        raise ValueError(f"no events in {event!r} among the rows used; a Cox model needs events")
    G = len(grp)
    egroups = np.flatnonzero(ndead)
    spec.ekeys = egroups
    cd = _group_data(gs, ndead, egroups, means, scale, ties == "efron", p)

    # pass 2: each partition's rows, sorted, centred and scaled, kept on its worker
    h.persist()
    cd.xdeath = sum(h.each(_xdeath))
    engine = _Engine(h, cd, G, egroups.size, p, fast=n >= core.GROUPED_NUMBA_MIN_N)
    out = core.newton(engine, p)

    robust = robust or bool(cluster_cols)
    robust_var = None
    if robust:
        def robust_var(imat):
            beta, gsum, sc, A = engine.last
            RtR, _ = _residual_sums(h, beta, _resid_arrays(cd, gsum, sc, A), cd.efron, cluster_cols)
            rvar = (imat @ RtR @ imat) * np.outer(scale, scale)
            g0, sc0, A0 = engine.zero
            R0, u0 = _residual_sums(h, np.zeros(p), _resid_arrays(cd, g0, sc0, A0), cd.efron, cluster_cols)
            return rvar, (R0 / np.outer(scale, scale), u0 / scale)

    design = Design(X=None, columns=columns, terms=terms, row_mask=None, dropped_index=dropped, levels=levels)
    res = cox_mod.result_from_fit(DaskCoxResult(), design, cd, out, n, n_events, ties, conf_level, robust_var)
    res.time = res.event = res.entry = res.strata = None
    res.strata_columns, res.strata_levels = strata_cols, strata_levels
    res._dask = h
    res.dask_info = {"partitions": len(h.raw), "newton_steps": h.steps, "bytes_per_step": h.bytes_per_step,
                     "groups": G, "event_groups": int(egroups.size)}
    h.parts = None  # release the worker copies
    return res


def _group_data(gs, ndead, egroups, means, scale, efron: bool, p: int) -> core.CoxData:
    """The CoxData of the group structure alone (no rows on the client): what Scalars and score_info use."""
    G = gs.size
    sbrk = np.ones(G, dtype=bool)
    sbrk[1:] = gs[1:] != gs[:-1]
    sfirst = np.flatnonzero(sbrk)
    seg_id = np.cumsum(sbrk) - 1
    e_d = ndead[egroups]
    e_start = np.concatenate([[0], np.cumsum(e_d)])
    cd = core.CoxData(Xs=np.zeros((0, p)), order=None, time=None, status=None, gstart=np.arange(G + 1),
                      dend=None, g_seg_start=sfirst[seg_id], g_seg_end=np.append(sfirst[1:], G)[seg_id],
                      egroups=egroups, e_start=e_start, e_d=e_d, xdeath=np.zeros(p), means=means, scale=scale,
                      efron=efron)
    ev_e = np.repeat(np.arange(egroups.size), e_d)
    k = np.arange(ev_e.size) - e_start[:-1][ev_e]
    cd._rows = (None, None, ev_e, k / e_d[ev_e] if efron else np.zeros(ev_e.size))
    return cd
