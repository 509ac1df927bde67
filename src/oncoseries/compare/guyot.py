"""Individual patient data reconstructed from a published Kaplan-Meier curve (Guyot, Ades, Ouwens & Welton,
BMC Med Res Methodol 2012;12:9), with the cleaning digitised points need and a measure of the fit.

The algorithm is Guyot's (as in their published R code and R's reconstructKM): in each interval between two
published numbers at risk, the number censored is first set from the ratio of the survival values, spread
evenly over the interval, and the events at each point follow from the drop of the curve
(d = round(n_at_risk * (1 - S / S_last))); the censored count is adjusted until the reconstructed number at
risk at the start of the next interval equals the published one. The last interval (after the last published
number at risk) is censored at the average rate of the previous intervals; a published total of events
adjusts its censoring so that the total agrees. The algorithm is sequential (each point depends on the one
before); it runs over the digitised points, not over patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["clean_curve", "reconstruct_ipd", "reconstruction_fit"]

MAX_ITER = 10_000


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    cols = {str(c).strip().lower(): c for c in df.columns}
    if name not in cols:
        raise ValueError(f"{what} has no column '{name}' (columns: {', '.join(map(str, df.columns)) or 'none'}); "
                         f"expected columns {'time, survival' if what == 'the curve' else 'time, n_risk'}")
    values = pd.to_numeric(df[cols[name]], errors="coerce")
    bad = values.isna() & df[cols[name]].notna()
    if bad.any():
        i = int(np.nonzero(bad.to_numpy())[0][0])
        raise ValueError(f"{what}, row {i + 2} (column {name}): {df[cols[name]].iloc[i]!r} is not a number")
    return values


def clean_curve(curve) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Digitised points -> (times, survival, notes): rows with a missing value dropped; survival read as
    percentages when any value exceeds 1.5; small negative times (digitising jitter, within 2% of the time
    range) set to 0; sorted by time; made non-increasing (running minimum: a point above an earlier one is a
    digitising error); one point per time (the lowest: the foot of a drop); starts at (0, 1)."""
    if not isinstance(curve, pd.DataFrame):
        raise TypeError("curve must be a DataFrame with columns time and survival")
    t = _column(curve, "time", "the curve")
    s = _column(curve, "survival", "the curve")
    keep = t.notna() & s.notna()
    notes = []
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} point(s) with a missing time or survival dropped")
    t, s = t[keep].to_numpy(float), s[keep].to_numpy(float)
    if t.size < 2:
        raise ValueError(f"the curve has {t.size} usable point(s); a Kaplan-Meier curve needs at least 2 "
                         "(digitise the start and every step)")
    if not (np.isfinite(t).all() and np.isfinite(s).all()):
        raise ValueError("the curve has infinite values")
    if s.max() > 1.5:
        s = s / 100.0
        notes.append("survival read as percentages (values above 1.5)")
    if s.max() > 1.02:
        raise ValueError(f"survival reaches {s.max():.3g} after rescaling; expected proportions (0-1) or "
                         "percentages (0-100)")
    if s.min() < -0.02:
        raise ValueError(f"survival goes below 0 ({s.min():.3g})")
    s = np.clip(s, 0.0, 1.0)
    span = t.max() - min(t.min(), 0.0)
    if span <= 0:
        raise ValueError("every point of the curve is at the same time")
    if t.min() < -0.02 * span:
        raise ValueError(f"the curve has a negative time ({t.min():.3g}); times start at 0")
    t = np.maximum(t, 0.0)
    order = np.lexsort((-s, t))
    t, s = t[order], s[order]
    mono = np.minimum.accumulate(s)
    n_fixed = int((mono < s - 1e-12).sum())
    if n_fixed:
        notes.append(f"{n_fixed} point(s) above an earlier point lowered to it (the curve cannot rise)")
    s = mono
    last_of_time = np.r_[t[1:] != t[:-1], True]
    t, s = t[last_of_time], s[last_of_time]
    if t[0] > 0 or s[0] < 1:
        if t[0] == 0:
            t, s = t[1:], s[1:]
        t, s = np.r_[0.0, t], np.r_[1.0, s]
    if t.size < 2:
        raise ValueError("the curve has only its start point; digitise every step")
    return t, s, notes


def _at_risk_table(at_risk, n_total, t_last: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
    notes = []
    if at_risk is None:
        if n_total is None:
            raise ValueError("give the numbers at risk (at_risk) or at least the number of patients (n_total)")
        return np.array([0.0]), np.array([_positive_int(n_total, "n_total")]), notes
    if not isinstance(at_risk, pd.DataFrame):
        raise TypeError("at_risk must be a DataFrame with columns time and n_risk")
    tr = _column(at_risk, "time", "the numbers at risk")
    nr = _column(at_risk, "n_risk", "the numbers at risk")
    ok = tr.notna() & nr.notna()
    tr, nr = tr[ok].to_numpy(float), nr[ok].to_numpy(float)
    if tr.size == 0:
        raise ValueError("the numbers at risk table is empty")
    if (nr < 0).any() or not np.allclose(nr, np.round(nr)):
        raise ValueError("numbers at risk must be whole numbers >= 0")
    order = np.argsort(tr, kind="stable")
    tr, nr = tr[order], np.round(nr[order]).astype(int)
    if (np.diff(tr) == 0).any():
        raise ValueError(f"two numbers at risk at time {tr[np.nonzero(np.diff(tr) == 0)[0][0]]:g}")
    rise = np.nonzero(np.diff(nr) > 0)[0]
    if rise.size:
        i = rise[0]
        raise ValueError(f"the numbers at risk rise from {nr[i]} at time {tr[i]:g} to {nr[i + 1]} at time "
                         f"{tr[i + 1]:g}; they can only fall")
    if tr[0] > 0:
        if n_total is None:
            raise ValueError("the numbers at risk must start at time 0 (or give n_total)")
        tr, nr = np.r_[0.0, tr], np.r_[_positive_int(n_total, "n_total"), nr]
    elif n_total is not None and int(n_total) != nr[0]:
        notes.append(f"n_total ({int(n_total)}) differs from the number at risk at time 0 ({nr[0]}); "
                     "the number at risk is used")
    if nr[0] < 1:
        raise ValueError("the number at risk at time 0 must be at least 1")
    return tr, nr, notes


def _positive_int(v, name: str) -> int:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {v!r}") from None
    if not f.is_integer() or f < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")
    return int(f)


def _spread(t: np.ndarray, lo: int, hi_break: int, count: int) -> np.ndarray:
    """Censored counts per point lower..hi_break-1: ``count`` times evenly spaced over (t[lo], t[hi_break]),
    binned as R's hist (right-closed bins, the first one closed)."""
    breaks = t[lo:hi_break + 1]
    cen_t = t[lo] + np.arange(1, count + 1) * (t[hi_break] - t[lo]) / (count + 1)
    j = np.clip(np.searchsorted(breaks, cen_t, side="left") - 1, 0, breaks.size - 2)
    return np.bincount(j, minlength=breaks.size - 1)


def _events(t, s, n_hat, d, cen, km, lo: int, hi: int, last: int, first: bool, stop_last: bool) -> int:
    """Events at points lo..hi from the drop of the curve; n_hat runs on. Returns the last event index."""
    for k in range(lo, hi + 1):
        if first and k == lo:
            d[k], km[k] = 0, 1.0
        elif km[last] == 0:
            d[k], km[k] = 0, 0.0
        else:
            d[k] = max(0, int(np.floor(n_hat[k] * (1 - s[k] / km[last]) + 0.5)))
            d[k] = min(d[k], max(n_hat[k], 0))
            km[k] = km[last] * (1 - d[k] / n_hat[k]) if n_hat[k] > 0 else km[last]
        if not (stop_last and k == hi):
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if stop_last and n_hat[k + 1] < 0:   # the last interval: no one below zero at risk
                n_hat[k + 1] = 0
                cen[k] = n_hat[k] - d[k]
        if d[k] != 0:
            last = k
    return last


def _guyot(t, s, trisk, nrisk, tot_events):
    n_t = t.size
    lower = np.searchsorted(t, trisk, side="left")
    upper = np.r_[np.searchsorted(t, trisk[1:], side="left") - 1, n_t - 1]
    nint = trisk.size
    nrisk = nrisk.astype(int).copy()
    n_hat = np.full(n_t + 1, nrisk[0] + 1, dtype=np.int64)
    cen = np.zeros(n_t, dtype=np.int64)
    d = np.zeros(n_t, dtype=np.int64)
    km = np.ones(n_t)
    last_i = np.zeros(nint, dtype=np.int64)
    n_censor = np.zeros(nint, dtype=np.int64)
    for i in range(nint - 1):
        lo, hi, nxt = lower[i], upper[i], lower[i + 1]
        n_censor[i] = 0 if s[lo] == 0 else int(np.floor(nrisk[i] * s[nxt] / s[lo] - nrisk[i + 1] + 0.5))
        last = last_i[i]
        for _ in range(MAX_ITER):
            if not (n_hat[nxt] > nrisk[i + 1] or (n_hat[nxt] < nrisk[i + 1] and n_censor[i] > 0)):
                break
            if n_censor[i] <= 0:
                cen[lo:hi + 1] = 0
                n_censor[i] = 0
            else:
                cen[lo:hi + 1] = _spread(t, lo, nxt, int(n_censor[i]))
            n_hat[lo] = nrisk[i]
            last = _events(t, s, n_hat, d, cen, km, lo, hi, last_i[i], i == 0, False)
            n_censor[i] += n_hat[nxt] - nrisk[i + 1]
        nrisk[i + 1] = min(nrisk[i + 1], n_hat[nxt])
        last_i[i + 1] = last
    lo, hi = lower[-1], upper[-1]

    def last_interval(count):
        if count <= 0 or hi == lo:
            cen[lo:hi] = 0
            count = 0
        else:
            cen[lo:hi] = _spread(t, lo, hi, int(count))
        n_hat[lo] = nrisk[-1]
        _events(t, s, n_hat, d, cen, km, lo, hi, last_i[-1], nint == 1, True)
        return count

    if nint > 1:
        span_before = t[upper[-2]] - t[lower[0]]
        rate = n_censor[:-1].sum() * (t[hi] - t[lo]) / span_before if span_before > 0 else 0.0
        n_censor[-1] = min(int(np.floor(rate + 0.5)), nrisk[-1])
    n_censor[-1] = last_interval(n_censor[-1])
    if tot_events is not None:
        sum_before = int(d[:upper[-2] + 1].sum()) if nint > 1 else 0
        if nint > 1 and sum_before >= tot_events:
            d[lo:hi + 1] = 0
            cen[lo:hi] = 0
            n_hat[lo + 1:hi + 2] = nrisk[-1]
        else:
            total = int(d.sum())
            for _ in range(MAX_ITER):
                if not (total > tot_events or (total < tot_events and n_censor[-1] > 0)):
                    break
                n_censor[-1] = last_interval(n_censor[-1] + (total - tot_events))
                total = int(d.sum())
    return d, cen, int(nrisk[0])


def reconstruct_ipd(curve, at_risk=None, n_total=None, events_total=None) -> pd.DataFrame:
    """Patients (``time``, ``event``) whose Kaplan-Meier curve reproduces a published one (Guyot 2012).

    Parameters
    ----------
    curve : DataFrame
        Digitised points, columns ``time`` and ``survival`` (0-1 or 0-100; any order; jitter and slightly
        rising points are cleaned, see ``clean_curve``).
    at_risk : DataFrame, optional
        Published numbers at risk, columns ``time`` and ``n_risk`` (falling; starting at 0 unless ``n_total``).
    n_total : int, optional
        Patients at time 0 (needed when there are no numbers at risk).
    events_total : int, optional
        Published total number of events; adjusts the censoring of the last interval so that it agrees.

    Returns
    -------
    DataFrame
        ``time`` and ``event`` (1 event, 0 censored), one row per patient; events at the digitised times,
        censored patients midway between two points. ``.attrs["fit"]`` holds how well it fits
        (``reconstruction_fit``) and ``.attrs["notes"]`` what the cleaning changed.
    """
    t, s, notes = clean_curve(curve)
    trisk, nrisk, more = _at_risk_table(at_risk, n_total, float(t[-1]))
    notes += more
    beyond = trisk > t[-1]
    if beyond.any():   # the curve runs on flat to the published numbers at risk (no step was digitised there)
        notes.append(f"the curve was extended flat from its last point ({t[-1]:g}) to the last number at risk "
                     f"({trisk[-1]:g})")
        t, s = np.r_[t, trisk[beyond]], np.r_[s, np.full(int(beyond.sum()), s[-1])]
    # an interval without a digitised point cannot be reconstructed on its own: merge it with the next
    lower = np.searchsorted(t, trisk, side="left")
    nxt = np.r_[lower[1:], t.size]
    empty = nxt <= lower
    empty[0] = False
    if empty.any():
        notes.append(f"{int(empty.sum())} number(s) at risk with no digitised point before the next one not used")
        trisk, nrisk = trisk[~empty], nrisk[~empty]
    tot = None if events_total is None else int(_positive_int(events_total, "events_total")
                                                 if events_total else 0)
    if tot is not None and tot > nrisk[0]:
        raise ValueError(f"events_total ({tot}) is larger than the number of patients ({nrisk[0]})")
    d, cen, n0 = _guyot(t, s, trisk, nrisk, tot)
    mid = (t[:-1] + t[1:]) / 2
    times = np.r_[np.repeat(t, d), np.repeat(mid, cen[:-1])]
    events = np.r_[np.ones(int(d.sum()), int), np.zeros(int(cen[:-1].sum()), int)]
    rest = n0 - times.size
    if rest < 0:
        raise ValueError("the reconstruction produced more patients than were at risk at time 0; check the "
                         "numbers at risk against the curve")
    times = np.r_[times, np.full(rest, t[-1])]
    events = np.r_[events, np.zeros(rest, int)]
    out = pd.DataFrame({"time": times, "event": events}).sort_values(["time", "event"], kind="stable",
                                                                     ignore_index=True)
    out.attrs["notes"] = notes
    out.attrs["fit"] = reconstruction_fit(out, t, s, trisk, _published(at_risk, n_total), events_total)
    return out


def _published(at_risk, n_total):
    if at_risk is None:
        return pd.DataFrame({"time": [0.0], "n_risk": [int(n_total)]})
    cols = {str(c).strip().lower(): c for c in at_risk.columns}
    return pd.DataFrame({"time": pd.to_numeric(at_risk[cols["time"]]),
                         "n_risk": pd.to_numeric(at_risk[cols["n_risk"]])}).dropna().sort_values("time")


def reconstruction_fit(ipd: pd.DataFrame, t, s, trisk=None, published=None, events_total=None) -> dict:
    """How well reconstructed patients reproduce the curve: the Kaplan-Meier estimate of ``ipd`` at the
    digitised times against the (cleaned) points (max and mean absolute difference), reconstructed vs
    published numbers at risk (patients with time >= t) and events."""
    it = ipd["time"].to_numpy(float)
    ie = ipd["event"].to_numpy(int)
    ut, inv = np.unique(it, return_inverse=True)
    dd = np.bincount(inv, weights=ie, minlength=ut.size)
    nr = np.cumsum(np.bincount(inv, minlength=ut.size)[::-1])[::-1]
    km = np.cumprod(1 - dd / nr)
    idx = np.searchsorted(ut, np.asarray(t, float), side="right") - 1
    fitted = np.where(idx >= 0, km[np.clip(idx, 0, None)], 1.0)
    diff = np.abs(fitted - np.asarray(s, float))
    rows = []
    if published is not None:
        for pt, pn in zip(published["time"].to_numpy(float), published["n_risk"].to_numpy(float)):
            rows.append({"time": float(pt), "published": int(pn), "reconstructed": int((it >= pt).sum())})
    return {"n": int(it.size), "events": int(ie.sum()), "events_published": None if events_total is None
            else int(events_total), "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
            "points": int(np.size(t)), "at_risk": rows}
