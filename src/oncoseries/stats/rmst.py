"""Restricted mean survival time, equal to R ``print(survfit(...), rmean=tau)`` (survival 3.5-3).

The RMST is the area under the Kaplan-Meier curve from 0 to tau; its standard error is R's
``se(rmean)`` (``survival:::survmean``), the Greenwood-type sampling se of the estimate, not the
standard deviation of min(T, tau) that lifelines reports (lifelines#1682).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncoseries.stats import _km_core as core
from oncoseries.stats._dist import norm_sf

__all__ = ["rmst", "rmst_difference"]


def _rmst_one(c: core.Counts, surv: np.ndarray, tau: float) -> tuple[float, float]:
    """R survmean's pfun: rectangles under the step curve up to tau; variance
    sum over event times t_i <= tau of A_i^2 d_i / (n_i (n_i - d_i)), A_i the area from t_i to tau
    (terms with n_i = d_i are 0, as R)."""
    time, d, r = c.time, c.n_event.astype(np.float64), c.n_risk.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(r - d == 0, 0.0, d / (r * (r - d)))
    keep = time <= tau
    if not keep.any():
        return float(tau), 0.0
    m = int(np.count_nonzero(keep))  # times are sorted: keep is a prefix
    temptime = np.append(time[:m], tau)
    tempsurv = np.append(surv[:m], surv[m - 1])
    hh = np.append(hh[:m], 0.0)
    delta = np.diff(np.concatenate(([0.0], temptime)))
    rect = delta * np.concatenate(([1.0], tempsurv[:-1]))
    varmean = float(np.sum(np.cumsum(rect[1:][::-1]) ** 2 * hh[::-1][1:]))
    return float(rect.sum()), float(np.sqrt(varmean))


def _check_tau(tau) -> float:
    try:
        t = float(tau)
    except (TypeError, ValueError):
        raise TypeError(f"tau must be a positive number, got {tau!r}") from None
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"tau must be a positive finite number, got {tau!r}")
    return t


def _table(data, time, event, tau, by, conf_level) -> pd.DataFrame:
    tau = _check_tau(tau)
    _, conf_level = core.check_conf("log", conf_level)
    sd = core.prepare(data, time, event, by=by)
    ax = core.build_axis(sd.time)
    rows = []
    for label, c in zip(sd.labels, core.group_counts(sd, ax)):
        surv, _ = core.km_estimate(c)
        rows.append((label, *_rmst_one(c, surv, tau)))
    out = pd.DataFrame(rows, columns=["group", "rmst", "se"])
    z = core.zval(conf_level)
    out["lower"] = out["rmst"] - z * out["se"]
    out["upper"] = out["rmst"] + z * out["se"]
    return out


def rmst(data, time, event, tau: float, by=None, conf_level: float = 0.95) -> pd.DataFrame:
    """Restricted mean survival time up to ``tau`` per group, as R ``print(survfit, rmean=tau)``.

    Parameters
    ----------
    data : pandas.DataFrame or mapping or None
        Holds the named columns; None when arrays are passed.
    time, event : str or array-like
        Follow-up time (>= 0) and the 0/1 or boolean event indicator.
    tau : float
        Truncation time (same unit as ``time``); the same tau for every group (R ``rmean=tau``).
    by : str or array-like, optional
        Grouping column.
    conf_level : float
        Level of the Wald interval rmst +- z se (default 0.95).

    Returns
    -------
    pandas.DataFrame
        ``group, rmst, se, lower, upper``.

    Notes
    -----
    As R, when tau lies beyond a group's last follow-up the curve's last value is carried to tau.
    """
    return _table(data, time, event, tau, by, conf_level)


def rmst_difference(data, time, event, tau: float, by, conf_level: float = 0.95,
                    reference=None) -> pd.DataFrame:
    """Difference in RMST between two groups with a Wald CI and z-test.

    difference = rmst(group) - rmst(reference); se = sqrt(se1^2 + se2^2) (independent groups);
    CI difference +- z se; two-sided p from z = difference / se.

    Parameters
    ----------
    data, time, event, tau, conf_level
        As in :func:`rmst`.
    by : str or array-like
        Grouping column with exactly two levels.
    reference : optional
        The reference level; default the first level (sorted, or a category dtype's order).

    Returns
    -------
    pandas.DataFrame
        One row: ``group, reference, difference, se, lower, upper, z, p``.
    """
    if by is None:
        raise TypeError("by is required: the column holding the two groups")
    tab = _table(data, time, event, tau, by, conf_level)
    if len(tab) != 2:
        raise ValueError(f"by must have exactly 2 groups with data, got {len(tab)}: {tab['group'].tolist()}")
    labels = tab["group"].tolist()
    ref = labels[0] if reference is None else core.format_level(reference)
    if ref not in labels:
        raise ValueError(f"reference {reference!r} is not a level of by ({labels})")
    grp = labels[1] if ref == labels[0] else labels[0]
    a = tab.set_index("group")
    d = float(a.loc[grp, "rmst"] - a.loc[ref, "rmst"])
    se = float(np.hypot(a.loc[grp, "se"], a.loc[ref, "se"]))
    z = core.zval(conf_level)
    zstat = d / se if se > 0 else np.nan
    p = float(2 * norm_sf(abs(zstat))) if se > 0 else np.nan
    return pd.DataFrame([{"group": grp, "reference": ref, "difference": d, "se": se,
                          "lower": d - z * se, "upper": d + z * se, "z": zstat, "p": p}])
