"""Shared internals of the Kaplan-Meier, log-rank and RMST code (R ``survival`` 3.5-3 conventions).

Input checking (columns, 0/1 events, groups), the time axis (sorted unique times after R's
``aeqSurv`` merging of near-equal times), risk-set counting by ``np.bincount`` over integer time
codes, the Kaplan-Meier product with Greenwood's variance, R's pointwise confidence bands
(``survival:::survfit_confint``) and R's two quantile rules (``print.survfit``'s ``minmin`` and
``quantile.survfit``'s ``findq``). Everything is vectorised over rows; the only Python loops run
over groups.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._dist import norm_ppf

#: R's default tolerance, sqrt(.Machine$double.eps)
SQRT_EPS = float(np.sqrt(np.finfo(np.float64).eps))
CONF_TYPES = ("log", "log-log", "plain")
#: label of the single curve when ``by`` is None
ALL_LABEL = "all"

# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------


def _fetch(data, spec, role: str):
    """A column named ``spec`` of ``data`` (exact, then case-insensitive), or ``spec`` as an array."""
    if isinstance(spec, str):
        if data is None:
            raise TypeError(f"{role}={spec!r} names a column, but no data was given")
        try:
            return data[spec]
        except (KeyError, IndexError, ValueError, TypeError):
            pass
        cols = list(getattr(data, "columns", getattr(data, "keys", lambda: [])()))
        matches = [c for c in cols if isinstance(c, str) and c.lower() == spec.lower()]
        if len(matches) == 1:
            return data[matches[0]]
        raise ValueError(f"{role} column {spec!r} not found in data (columns: {', '.join(map(str, cols))})")
    if spec is None:
        raise TypeError(f"{role} is required")
    return spec


def _name(spec, role: str) -> str:
    return repr(spec) if isinstance(spec, str) else role


def _numeric(col, role: str, label: str) -> np.ndarray:
    """A numeric numpy view of ``col`` (no copy for numpy-backed data); missing values become NaN."""
    if isinstance(col, (pd.Series, pd.Index)):
        dt = col.dtype
        if pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt):
            raise TypeError(f"{role} column {label} must be numeric, got dtype {dt}")
        if isinstance(dt, np.dtype):
            return col.to_numpy()
        if col.hasnans:
            return col.to_numpy(dtype=np.float64, na_value=np.nan)
        return col.to_numpy(dtype=getattr(dt, "numpy_dtype", np.float64))
    arr = np.asarray(col)
    if arr.ndim != 1:
        raise ValueError(f"{role} {label} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{role} {label} must be numeric, got dtype {arr.dtype}")
    return arr


def _event(col, label: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Event indicator as bool plus a missing mask; only 0/1 (or boolean) values are allowed."""
    if isinstance(col, (pd.Series, pd.Index)) and pd.api.types.is_bool_dtype(col.dtype):
        if isinstance(col.dtype, np.dtype):
            return col.to_numpy(), None
        if col.hasnans:
            arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
            miss = np.isnan(arr)
            return arr == 1.0, miss
        return col.to_numpy(dtype=bool), None
    if not isinstance(col, (pd.Series, pd.Index)):
        col = np.asarray(col)
        if col.dtype == bool:
            return col, None
    if col.dtype == object:  # e.g. True/False/None after a merge
        try:
            col = pd.Series(col).astype(np.float64).to_numpy()
        except (ValueError, TypeError):
            raise TypeError(f"event column {label} must be 0/1 or boolean, got non-numeric values") from None
    arr = _numeric(col, "event", label)
    if arr.size == 0:
        return arr.astype(bool), None
    miss = None
    if arr.dtype.kind == "f":
        miss = np.isnan(arr)
        if not miss.any():
            miss = None
        ok = (arr == 0) | (arr == 1)
        if miss is not None:
            ok |= miss
        if not ok.all():
            bad = arr[~ok]
            raise ValueError(
                f"event column {label} must be 0/1 (or boolean); found values such as {bad[:3].tolist()} "
                "(R's lung codes status 1/2: pass status == 2)"
            )
    elif arr.min() < 0 or arr.max() > 1:
        bad = np.unique(arr[(arr < 0) | (arr > 1)])[:3]
        raise ValueError(
            f"event column {label} must be 0/1 (or boolean); found values such as {bad.tolist()} "
            "(R's lung codes status 1/2: pass status == 2)"
        )
    return (arr == 1) if arr.dtype.kind == "f" else arr.astype(bool), miss


def format_level(v) -> str:
    """A group level as a string: integral floats without '.0' (R prints 1, not 1.0)."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def _int_groups(col) -> tuple[np.ndarray, list] | None:
    """Fast path for integer or boolean group codes on a short range: O(n) by bincount."""
    arr = col.to_numpy() if isinstance(col, (pd.Series, pd.Index)) and isinstance(col.dtype, np.dtype) else col
    if not isinstance(arr, np.ndarray) or arr.ndim != 1 or arr.dtype.kind not in "iub" or arr.size == 0:
        return None
    if arr.dtype.kind == "b":
        present = np.bincount(arr.view(np.uint8), minlength=2) > 0
        remap = np.cumsum(present) - 1
        return remap[arr.view(np.uint8)], [v for v, p in zip([False, True], present) if p]
    lo, hi = int(arr.min()), int(arr.max())
    if hi - lo > max(arr.size, 1 << 16):
        return None
    shifted = arr.astype(np.intp, copy=False) - lo if lo != 0 else arr.astype(np.intp, copy=False)
    present = np.bincount(shifted, minlength=hi - lo + 1) > 0
    remap = np.cumsum(present) - 1
    return remap[shifted], (np.flatnonzero(present) + lo).tolist()


def _groups(col, role: str, label: str) -> tuple[np.ndarray, list[str], bool]:
    """Integer codes (-1 = missing), level labels (sorted order, or a category dtype's own order) and
    whether levels without rows may be present (category dtypes)."""
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        return codes, [format_level(v) for v in col.cat.categories], True
    elif (fast := _int_groups(col)) is not None:
        codes, levels = fast
    else:
        values = col if isinstance(col, (pd.Series, pd.Index)) else np.asarray(col)
        if getattr(values, "ndim", 1) != 1:
            raise ValueError(f"{role} {label} must be one-dimensional")
        try:
            codes, uniques = pd.factorize(values, sort=True)
        except TypeError:
            codes, uniques = pd.factorize(values, sort=False)
            order = np.argsort([format_level(u) for u in uniques], kind="stable")
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
            uniques = np.asarray(uniques, dtype=object)[order]
        levels = list(uniques)
    return np.asarray(codes), [format_level(v) for v in levels], False


@dataclass
class SurvData:
    """Validated survival data: rows with a missing value in any used column are dropped (as R)."""

    time: np.ndarray
    event: np.ndarray  # bool
    entry: np.ndarray | None
    gcode: np.ndarray | None  # 0..G-1, None for a single group
    labels: list[str]
    scode: np.ndarray | None  # strata codes (log-rank)
    slabels: list[str]
    n_missing: int
    weight: np.ndarray | None = None  # rows standing for several subjects (Dask counts, scale/dask_km.py)

    @property
    def n(self) -> int:
        return int(self.time.shape[0])

    @property
    def ngroups(self) -> int:
        return len(self.labels)


def _compact(codes: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop levels with no rows (after missing rows were removed) and renumber the codes."""
    counts = np.bincount(codes, minlength=len(labels))
    if counts.all():
        return codes, labels
    keep = counts > 0
    remap = np.cumsum(keep) - 1
    return remap[codes], [lab for lab, k in zip(labels, keep) if k]


def prepare(data, time, event, by=None, entry=None, strata=None, weight=None) -> SurvData:
    """Fetch and validate the columns; drop rows with missing values (R's na.omit).

    A Dask DataFrame is reduced to counts per distinct (time, event, group, stratum, entry) on its
    workers first (oncoseries.scale.dask_km); ``weight`` is then the number of subjects of each row.
    """
    if is_dask(data):
        from oncoseries.scale.dask_km import prepare_dask

        return prepare_dask(data, time, event, by=by, entry=entry, strata=strata)
    t = _numeric(_fetch(data, time, "time"), "time", _name(time, "time"))
    n = t.shape[0]
    ev, ev_miss = _event(_fetch(data, event, "event"), _name(event, "event"))
    if ev.shape[0] != n:
        raise ValueError(f"event has {ev.shape[0]} values but time has {n}")
    miss = ev_miss
    t_miss = np.isnan(t) if t.dtype.kind == "f" else None
    if t_miss is not None and t_miss.any():
        miss = t_miss if miss is None else (miss | t_miss)
    e = None
    if entry is not None:
        e = _numeric(_fetch(data, entry, "entry"), "entry", _name(entry, "entry"))
        if e.shape[0] != n:
            raise ValueError(f"entry has {e.shape[0]} values but time has {n}")
        if e.dtype.kind == "f":
            e_miss = np.isnan(e)
            if e_miss.any():
                miss = e_miss if miss is None else (miss | e_miss)
    gcode, labels = None, [ALL_LABEL]
    if by is not None:
        gcode, labels, g_unused = _groups(_fetch(data, by, "by"), "by", _name(by, "by"))
        if gcode.shape[0] != n:
            raise ValueError(f"by has {gcode.shape[0]} values but time has {n}")
        g_miss = gcode < 0
        if g_miss.any():
            miss = g_miss if miss is None else (miss | g_miss)
    scode, slabels = None, []
    if strata is not None:
        scode, slabels, s_unused = _groups(_fetch(data, strata, "strata"), "strata", _name(strata, "strata"))
        if scode.shape[0] != n:
            raise ValueError(f"strata has {scode.shape[0]} values but time has {n}")
        s_miss = scode < 0
        if s_miss.any():
            miss = s_miss if miss is None else (miss | s_miss)
    n_missing = 0
    if miss is not None and miss.any():
        keep = ~miss
        n_missing = int(miss.sum()) if weight is None else int(weight[miss].sum())
        weight = None if weight is None else weight[keep]
        t, ev = t[keep], ev[keep]
        e = None if e is None else e[keep]
        gcode = None if gcode is None else gcode[keep]
        scode = None if scode is None else scode[keep]
    if t.shape[0] == 0:
        raise ValueError("no rows left to analyse (every row has a missing time, event or group)")
    tname = _name(time, "time")
    if t.dtype.kind == "f" and not np.isfinite(t).all():
        raise ValueError(f"time column {tname} has infinite values")
    tmin = t.min()
    if tmin < 0:
        raise ValueError(f"time column {tname} has negative values (minimum {tmin}); times must be >= 0")
    if e is not None:
        ename = _name(entry, "entry")
        if e.dtype.kind == "f" and not np.isfinite(e).all():
            raise ValueError(f"entry column {ename} has infinite values")
        if e.min() < 0:
            raise ValueError(f"entry column {ename} has negative values; entry times must be >= 0")
        if not (e < t).all():
            raise ValueError(f"entry column {ename} must be < time {tname} on every row (R: stop > start)")
    if gcode is not None and (g_unused or n_missing):
        gcode, labels = _compact(gcode, labels)
    if scode is not None and (s_unused or n_missing):
        scode, slabels = _compact(scode, slabels)
    return SurvData(t, ev, e, gcode, labels, scode, slabels, n_missing, weight)


def is_dask(data) -> bool:
    """A Dask DataFrame (checked without importing dask unless it is already imported)."""
    dd = sys.modules.get("dask.dataframe")
    return dd is not None and isinstance(data, dd.DataFrame)


# --------------------------------------------------------------------------------------------
# time axis
# --------------------------------------------------------------------------------------------


def aeq_groups(y: np.ndarray, tol: float = SQRT_EPS) -> np.ndarray | None:
    """R ``aeqSurv``: for sorted unique times ``y``, the index of the cut each one is merged into.

    Times closer than ``tol`` (absolutely, or relative to mean(|y|)) are merged into the first of a run.
    Returns None when nothing is merged.
    """
    if y.size < 2:
        return None
    dy = np.diff(y)
    scale = np.mean(np.abs(y))
    tied = (dy <= tol) | (dy / scale <= tol) if scale > 0 else dy <= tol
    if not tied.any():
        return None
    return np.concatenate(([0], np.cumsum(~tied)))


@dataclass
class TimeAxis:
    """Sorted unique times (``values``) and per-row codes into them for stop and entry times."""

    values: np.ndarray  # float, length K (may include unused values in the integer fast path)
    tcode: np.ndarray  # intp codes of the stop times
    ecode: np.ndarray | None  # intp codes of the entry times

    @property
    def size(self) -> int:
        return int(self.values.shape[0])


def _factorize_sorted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the sorted unique values of ``x``.

    Few distinct values (ties, e.g. day counts in months): hash-based pd.factorize, O(n), then a sort
    of the K uniques. Mostly distinct values (judged on a sample): one argsort, cheaper than hashing.
    """
    n = x.shape[0]
    if n > 50_000:
        sample = x[:: n // 10_000]
        mostly_unique = np.unique(sample).shape[0] > 0.5 * sample.shape[0]
    else:
        mostly_unique = False
    if mostly_unique:
        order = np.argsort(x)
        xs = x[order]
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(xs[1:], xs[:-1], out=new[1:])
        codes = np.empty(n, dtype=np.intp)
        codes[order] = np.cumsum(new) - 1
        return codes, np.asarray(xs[new], dtype=np.float64)
    codes, uniques = pd.factorize(x, sort=False)
    uniques = np.asarray(uniques, dtype=np.float64)
    order = np.argsort(uniques)
    rank = np.empty(order.shape[0], dtype=np.intp)
    rank[order] = np.arange(order.shape[0], dtype=np.intp)
    return rank[codes], uniques[order]


def _int_codes(t: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Fast path for integer(-valued) times on a short range: the times themselves are the codes."""
    n = t.shape[0]
    limit = max(2 * n, 1 << 16)
    tmax = t.max()
    if t.dtype.kind in "iu":
        if tmax >= limit:
            return None
        return (t if t.dtype == np.intp else t.astype(np.intp)), int(tmax) + 1
    if tmax >= limit or not np.array_equal(t, np.floor(t)):
        return None
    return t.astype(np.intp), int(tmax) + 1


#: whole-number times below this are at least 1 apart, more than aeqSurv's tolerances (sqrt(eps) absolute,
#: sqrt(eps) x mean |t| relative): no two of them are ever merged
_AEQ_NEVER = int(1.0 / np.sqrt(np.finfo(float).eps))


def build_axis(time: np.ndarray, entry: np.ndarray | None = None) -> TimeAxis:
    """The time axis with R's aeqSurv merging (applied to stop and entry times pooled, as R)."""
    if entry is None:
        fast = _int_codes(time)
        if fast is not None:
            tcode, k = fast
            if k < _AEQ_NEVER:  # whole numbers below 1/sqrt(eps) are never merged: skip the check
                return TimeAxis(np.arange(k, dtype=np.float64), tcode, None)
            occ = np.flatnonzero(np.bincount(tcode, minlength=k))
            merged = aeq_groups(occ.astype(np.float64))
            if merged is None:
                return TimeAxis(np.arange(k, dtype=np.float64), tcode, None)
            remap = np.zeros(k, dtype=np.intp)
            remap[occ] = merged
            return TimeAxis(occ[np.concatenate(([True], np.diff(merged) > 0))].astype(np.float64),
                            remap[tcode], None)
        tcode, values = _factorize_sorted(time)
        ecode = None
    else:
        both = np.concatenate([np.asarray(time, dtype=np.float64), np.asarray(entry, dtype=np.float64)])
        codes, values = _factorize_sorted(both)
        tcode, ecode = codes[: time.shape[0]], codes[time.shape[0]:]
    merged = aeq_groups(values)
    if merged is not None:
        values = values[np.concatenate(([True], np.diff(merged) > 0))]
        tcode = merged[tcode]
        if ecode is not None:
            ecode = merged[ecode]
            if (ecode >= tcode).any():
                raise ValueError("an (entry, time] interval has length 0 after merging near-equal times")
    return TimeAxis(values, tcode, ecode)


# --------------------------------------------------------------------------------------------
# counting
# --------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """One group's step table: times with any stop, risk set, events and censorings there."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n: int  # rows in the group
    entry_time: np.ndarray | None = None  # sorted unique entry times of the group
    entry_count: np.ndarray | None = None


def _dense_group(axis: np.ndarray, stops: np.ndarray, events: np.ndarray,
                 entries: np.ndarray | None) -> Counts:
    """Counts from dense per-axis-value counts of one group (risk set by reverse cumulative sums)."""
    at_or_after = np.cumsum(stops[::-1])[::-1]
    nz = np.flatnonzero(stops)
    n_risk = at_or_after[nz]
    et = ec = None
    if entries is not None:
        # risk set at t: entry < t <= time, i.e. #(time >= t) - #(entry >= t)
        n_risk = n_risk - np.cumsum(entries[::-1])[::-1][nz]
        enz = np.flatnonzero(entries)
        et, ec = axis[enz], entries[enz]
    ev = events[nz]
    return Counts(axis[nz], n_risk, ev, stops[nz] - ev, int(at_or_after[0]) if stops.size else 0, et, ec)


def group_counts(sd: SurvData, ax: TimeAxis) -> list[Counts]:
    """Per-group step tables (dense bincount when groups x times is small, else per-group slices)."""
    k = ax.size
    g = sd.ngroups
    n = sd.n
    w = sd.weight
    if g * k <= max(2 * n, 1 << 20):
        # one pass: key = 2 (group k + time code) + event, so counts[..., 1] are the events
        if g == 1:
            key = np.multiply(ax.tcode, 2, dtype=np.intp)
        else:
            key = np.multiply(sd.gcode, 2 * k, dtype=np.intp)
            key += 2 * ax.tcode
        key += sd.event
        both = _count(key, w, 2 * g * k).reshape(g, k, 2)
        del key
        events = both[:, :, 1]
        stops = both[:, :, 0] + events
        entries = None
        if ax.ecode is not None:
            ekey = ax.ecode if g == 1 else sd.gcode.astype(np.intp) * k + ax.ecode
            entries = _count(ekey, w, g * k).reshape(g, k)
        return [_dense_group(ax.values, stops[i], events[i], None if entries is None else entries[i])
                for i in range(g)]
    # many groups and many times: sort by group once, then a local axis per group
    order = np.argsort(sd.gcode, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(sd.gcode, minlength=g))))
    out = []
    for i in range(g):
        idx = order[bounds[i]:bounds[i + 1]]
        tc = ax.tcode[idx]
        if ax.ecode is None:
            local, inv = np.unique(tc, return_inverse=True)
            ecl = None
        else:
            local, inv = np.unique(np.concatenate([tc, ax.ecode[idx]]), return_inverse=True)
            inv, ecl = inv[: idx.size], inv[idx.size:]
        m = local.size
        wi = None if w is None else w[idx]
        stops = _count(inv, wi, m)
        events = _count(inv[sd.event[idx]], None if wi is None else wi[sd.event[idx]], m)
        entries = None if ecl is None else _count(ecl, wi, m)
        out.append(_dense_group(ax.values[local], stops, events, entries))
    return out


# --------------------------------------------------------------------------------------------
# Kaplan-Meier, Greenwood, confidence bands
# --------------------------------------------------------------------------------------------


def _count(codes: np.ndarray, weight: np.ndarray | None, size: int) -> np.ndarray:
    """Rows per code, or the summed weights (whole numbers: counts of subjects) when weighted."""
    if weight is None:
        return np.bincount(codes, minlength=size)
    return np.bincount(codes, weights=weight, minlength=size).astype(np.int64)


def km_estimate(c: Counts) -> tuple[np.ndarray, np.ndarray]:
    """R survfitkm: S = prod (n - d)/n over event times; Greenwood sum d/(n(n - d)) (log-scale variance).

    The variance is infinite from a time where every subject at risk has the event (as R).
    """
    d = c.n_event.astype(np.float64)
    r = c.n_risk.astype(np.float64)
    has = d > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(has, (r - d) / r, 1.0)
        inc = np.where(has, d / (r * (r - d)), 0.0)
    return np.cumprod(factor), np.cumsum(inc)


def check_conf(conf_type: str, conf_level: float) -> tuple[str, float]:
    """Validate R's conf.type names and the confidence level."""
    if not isinstance(conf_type, str) or conf_type.lower() not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {', '.join(CONF_TYPES)} (R's names), got {conf_type!r}")
    return conf_type.lower(), check_level(conf_level)


def check_level(conf_level) -> float:
    """A confidence level: a number strictly between 0 and 1."""
    try:
        cl = float(conf_level)
    except (TypeError, ValueError):
        raise TypeError(f"conf_level must be a number in (0, 1), got {conf_level!r}") from None
    if not 0 < cl < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    return cl


def zval(conf_level: float) -> float:
    """Two-sided normal quantile, R's qnorm(1 - (1 - conf.int)/2)."""
    return float(norm_ppf(1 - (1 - conf_level) / 2))


def confint(surv: np.ndarray, se_log: np.ndarray, conf_type: str, conf_level: float):
    """R survival:::survfit_confint with logse=TRUE: bands from the se of log S.

    log: exp(log S -+ z se), upper capped at 1, NA where S = 0; log-log: NA where S is 0 or 1;
    plain: S -+ z se S clipped to [0, 1].
    """
    z = zval(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se_log * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * se_log
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
        se2 = z * se_log / np.log(xx)
        ll = np.log(-np.log(xx))
        return np.exp(-np.exp(ll - se2)), np.exp(-np.exp(ll + se2))


def minmin(y: np.ndarray, x: np.ndarray, tol: float = SQRT_EPS) -> float:
    """print.survfit's median rule (survival:::survmean, inner ``minmin``) applied to a curve or band.

    The first time with y < 0.5 + tol; if y sits at 0.5 (within tol) there and drops lower later,
    the midpoint of that time and the first time y is below it. NA when y never reaches 0.5.
    """
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return np.nan
    xk, yk = x[keep], y[keep]
    if abs(yk[0] - 0.5) < tol:
        lower = yk < yk[0]
        if lower.any():
            return (xk[0] + xk[np.argmax(lower)]) / 2
    return float(xk[0])


def _approx_right(xv: np.ndarray, p: np.ndarray) -> np.ndarray:
    """R approx(xv, 1:n, p, method="constant", f=1, rule=1): index (0-based) of the smallest xv >= p."""
    pos = np.flatnonzero(~np.isnan(xv))
    out = np.full(p.shape, -1, dtype=np.intp)
    if pos.size == 0:
        return out
    order = np.argsort(xv[pos], kind="stable")
    xs = xv[pos][order]
    j = np.searchsorted(xs, p, side="left")
    ok = (p >= xs[0]) & (p <= xs[-1])
    out[ok] = pos[order[j[ok]]]
    return out


def findq(x: np.ndarray, y: np.ndarray, p: np.ndarray, tol: float = SQRT_EPS) -> np.ndarray:
    """R survival:::findq (quantile.survfit): x = (0, times), y = (0, 1 - S) for a curve or a band.

    The first time 1 - S reaches p; the midpoint of a flat stretch where 1 - S equals p within tol;
    at the last point the average with the last follow-up time; NA when never reached.
    """
    p = np.atleast_1d(np.asarray(p, dtype=np.float64))
    if np.isnan(y).all() or np.nanmax(y) < p.min():
        return np.full(p.shape, np.nan)
    xmax = x[-1]
    _, first = np.unique(y, return_index=True)  # R duplicated(): keep first occurrences (NaN once)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    i1 = _approx_right(y + tol, p)
    i2 = _approx_right(y - tol, p)
    xa = np.append(x, np.nan)  # index -1 -> NaN
    quant = (xa[i1] + xa[i2]) / 2
    quant[p == 0] = x[0]
    if not np.isnan(y[-1]):
        last = np.abs(p - y[-1]) < tol
        if last.any():
            quant[last] = (xa[i1[last]] + xmax) / 2
    return quant
