"""Small, self-contained survival statistics used only to calibrate the example-study generator.

They reproduce R's ``survfit`` (product-limit estimate, Greenwood variance, log-transformed CI, the
median and its CI as ``print(survfit)``) and ``coxph`` (one covariate, Efron ties, Wald p) closely
enough to steer a search; the bundled study is checked with the library's own ``oncoseries.stats`` in
``tests/examples/test_calibration.py``. Vectorised numpy, no loop over patients.
"""

from __future__ import annotations

import math

import numpy as np

_Z975 = 1.959963984540054


def km_curve(time: np.ndarray, event: np.ndarray):
    """Distinct times, survival, and the log-transformed 95% CI (R ``survfit`` defaults)."""
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=len(ut))
    c = np.bincount(inv, minlength=len(ut))
    n = len(time) - np.concatenate(([0], np.cumsum(c)[:-1]))
    keep = d > 0
    ut, d, n = ut[keep], d[keep], n[keep]
    surv = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        gw = np.cumsum(d / (n * (n - d)))
        se = np.sqrt(gw)
        lower = np.where(surv > 0, surv * np.exp(-_Z975 * se), np.nan)
        upper = np.where(surv > 0, np.minimum(1.0, surv * np.exp(_Z975 * se)), np.nan)
    return ut, surv, lower, upper


def _quantile(t: np.ndarray, s: np.ndarray, p: float = 0.5) -> float:
    """First time the curve is <= p; midpoint where it sits exactly at p (R quantile.survfit)."""
    tol = math.sqrt(np.finfo(float).eps)
    below = np.flatnonzero(np.nan_to_num(s, nan=-1.0) <= p + tol)
    below = below[~np.isnan(s[below])]
    if len(below) == 0:
        return math.nan
    i = below[0]
    if abs(s[i] - p) < tol and i + 1 < len(t):
        return 0.5 * (t[i] + t[i + 1])
    return float(t[i])


def km_median(time, event) -> tuple[float, float, float]:
    """Median and its 95% CI as ``print(survfit(...))`` (log CI)."""
    t, s, lo, up = km_curve(time, event)
    return _quantile(t, s), _quantile(t, lo), _quantile(t, up)


def km_at(time, event, at: float) -> float:
    """Survival at ``at`` (the step function, right-continuous)."""
    t, s, _, _ = km_curve(time, event)
    i = np.searchsorted(t, at, side="right")
    return 1.0 if i == 0 else float(s[i - 1])


def cox1(time, event, x, max_iter: int = 30) -> tuple[float, float]:
    """Hazard ratio and Wald p of a one-covariate Cox model (Efron ties, Newton-Raphson from 0)."""
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    x = np.asarray(x, float)
    x = x - x.mean()
    order = np.argsort(-time, kind="stable")            # decreasing time: cumulative sums = risk sets
    t, e, xs = time[order], event[order], x[order]
    ut, first = np.unique(-t, return_index=True)        # groups of equal time, in decreasing time
    last = np.append(first[1:], len(t)) - 1
    dg = np.add.reduceat(e.astype(float), first)
    ev = dg > 0
    # expand each event group into its d Efron terms l = 0..d-1
    d_int = dg[ev].astype(int)
    grp = np.repeat(np.flatnonzero(ev), d_int)
    frac = (np.arange(d_int.sum()) - np.repeat(np.cumsum(d_int) - d_int, d_int)) / np.repeat(d_int, d_int)
    beta = 0.0
    info = 1.0
    for _ in range(max_iter):
        w = np.exp(beta * xs)
        s0 = np.cumsum(w)[last]
        s1 = np.cumsum(w * xs)[last]
        s2 = np.cumsum(w * xs * xs)[last]
        we = w * e
        d0 = np.add.reduceat(we, first)
        d1 = np.add.reduceat(we * xs, first)
        d2 = np.add.reduceat(we * xs * xs, first)
        a0 = s0[grp] - frac * d0[grp]
        a1 = s1[grp] - frac * d1[grp]
        a2 = s2[grp] - frac * d2[grp]
        score = float(np.sum(xs * e) - np.sum(a1 / a0))
        info = float(np.sum(a2 / a0 - (a1 / a0) ** 2))
        if info <= 0:
            break
        step = score / info
        beta += step
        if abs(step) < 1e-10:
            break
    se = 1.0 / math.sqrt(info) if info > 0 else math.inf
    z = beta / se
    p = math.erfc(abs(z) / math.sqrt(2.0))
    return math.exp(beta), p
