"""Test of proportional hazards: R survival (>= 3.0) ``cox.zph``, the exact score test.

For each term, the Cox model is extended by ``beta_j * g(t) * x_j`` and the score test of the extra
coefficients at (beta_hat, 0) uses the full 2p x 2p information matrix (R's C routine ``zph1``;
Therneau replaced the older Grambsch-Therneau approximation in survival 3.0, therneau/survival#97).
``g`` is the transformed time centred at its mean over the deaths. The GLOBAL row tests all p
extra coefficients at once. A categorical term is one row with df = number of its columns.

Public API: :func:`cox_zph` (the table, as INTERFACE §4), :func:`cox_zph_details` (table plus
scaled Schoenfeld residuals for plotting, as R's ``$y``/``$x``) and the array-level core
:func:`cox_zph_arrays`. See docs/statistics-ph-firth.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ._dist import chi2_sf, rank_average
from ._risksets import RiskSets, linear_predictor

__all__ = ["CoxZph", "cox_zph", "cox_zph_arrays", "cox_zph_details", "transform_time"]

ZPH_NUMBA_MIN_N = 20_000  # below: the numpy path (no compiled code for small studies, issue 13)


@dataclass
class CoxZph:
    """Result of the proportional-hazards test (R's ``cox.zph`` object).

    Attributes
    ----------
    table : DataFrame indexed by term (plus ``GLOBAL``) with columns ``chisq, df, p``.
    x : transformed event times, one per death in (stratum, time) order (R ``$x``).
    time : the event times in the same order (R ``$time``).
    y : DataFrame of scaled Schoenfeld residuals plus the coefficient, one column per term
        (R ``$y``; a multi-column term is scaled on the linear-predictor scale plus 1, as R).
    strata : stratum code of each death (None if the model has no strata).
    var : variance matrix used to scale the residuals (R ``$var``).
    transform : name of the time transform.
    """

    table: pd.DataFrame
    x: np.ndarray
    time: np.ndarray
    y: pd.DataFrame
    strata: np.ndarray | None
    var: np.ndarray
    transform: str


def transform_time(time, event, transform="km") -> tuple[np.ndarray, str]:
    """Transformed times g(t) as R's cox.zph (before centring).

    ``"km"``: 1 - S(t-) from the Kaplan-Meier of all rows, ignoring strata (R ``survfitKM`` then
    ``findInterval(left.open=TRUE)``); ``"rank"``: average ranks of all times (R ``rank``);
    ``"identity"``; ``"log"``; or a callable applied to the time vector.
    """
    time = np.asarray(time, dtype=float)
    if callable(transform):
        out = np.asarray(transform(time), dtype=float)
        if out.shape != time.shape:
            raise ValueError("a callable transform must return one value per time")
        return out, getattr(transform, "__name__", "user")
    if transform == "identity":
        return time.copy(), transform
    if transform == "log":
        if np.any(time <= 0):
            raise ValueError("transform='log' needs all times > 0")
        return np.log(time), transform
    if transform == "rank":
        return rank_average(time).astype(float), transform
    if transform == "km":
        event = np.asarray(event).astype(bool)
        ut, inv = np.unique(time, return_inverse=True)
        n_event = np.bincount(inv, weights=event.astype(float), minlength=ut.size)
        n_at = np.bincount(inv, minlength=ut.size)
        n_risk = _revcum_int(n_at)
        surv = np.cumprod(1.0 - n_event / n_risk)
        before = np.concatenate(([1.0], surv[:-1]))  # S(t-): product over times strictly < t
        return 1.0 - before[inv], transform
    raise ValueError(f"transform must be 'km', 'rank', 'identity', 'log' or a callable, got {transform!r}")


def _revcum_int(v):
    return np.cumsum(v[::-1])[::-1]


def _zph_core(rs: RiskSets, X: np.ndarray, coef: np.ndarray, gtime: np.ndarray):
    """Score u (2p), information imat (2p x 2p), raw Schoenfeld residuals, per-stratum event counts."""
    n, p = X.shape
    Xc, eta = linear_predictor(X, coef)
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    schoen = []
    for s in rs.strata:
        if s.ev.size == 0:
            continue
        x = Xc[s.rows]
        et = eta[s.rows]
        r = np.exp(et - et.max())
        f = rs.frac(s)
        s0 = rs.risk_sums(s, r, f)
        m = rs.risk_sums(s, r[:, None] * x, f) / s0[:, None]
        g = gtime[s.rows][s.ev]
        res = x[s.ev] - m  # per pseudo event
        u[:p] += res.sum(axis=0)
        u[p:] += g @ res
        w = np.stack((np.ones_like(g), g, g * g), axis=1) / s0[:, None]  # (n_e, 3)
        wr = r[:, None] * rs.row_cumulative(s, w, f)  # (n_s, 3)
        blocks = [x.T @ (wr[:, k : k + 1] * x) - (m * (w[:, k] * s0)[:, None]).T @ m for k in range(3)]
        imat[:p, :p] += blocks[0]
        imat[:p, p:] += blocks[1]
        imat[p:, :p] += blocks[1]
        imat[p:, p:] += blocks[2]
        if rs.ties == "efron":  # Schoenfeld: x minus the mean of the Efron means of its tie group
            gm = rs.group_sum(s, m) / (np.diff(np.concatenate((s.grp_start, [s.ev.size]))))[:, None]
            res = x[s.ev] - gm[s.ev_grp]
        schoen.append(res)
    schoen = np.concatenate(schoen) if schoen else np.zeros((0, p))
    return u, imat, schoen


def _used(rs: RiskSets, X: np.ndarray) -> np.ndarray:
    """R zph1 ``used``: per stratum and column, the number of deaths if the column varies, else 0."""
    out = np.zeros((len(rs.strata), X.shape[1]))
    for k, s in enumerate(rs.strata):
        x = X[s.rows]
        varies = np.any(x != x[:1], axis=0) if x.shape[0] else np.zeros(X.shape[1], bool)
        out[k] = np.where(varies, s.ev.size, 0)
    return out


def cox_zph_arrays(time, event, X, coef, *, strata=None, ties="efron", terms=None, columns=None,
                   transform="km", global_test=True, var=None, residuals=True, order=None,
                   sorted_data=None):
    """Proportional-hazards test from arrays (R survival >= 3.0 ``cox.zph``).

    Parameters
    ----------
    time, event : arrays of length n (event 0/1 or bool; right-censored data).
    X : (n, p) design matrix used by the fit, in the same row order.
    coef : (p,) fitted coefficients; NaN (aliased) coefficients and their columns are dropped, as R.
    strata : int codes of length n, or None.
    ties : ``"efron"`` (R's default) or ``"breslow"``: must match the fit.
    terms : dict term name -> list of column indices; None gives one term per column
        (R ``terms=FALSE``). A multi-column term is one test with df = its number of columns.
    columns : coefficient names (default ``x1..xp``).
    transform : ``"km"`` (default, R), ``"rank"``, ``"identity"``, ``"log"`` or a callable of time.
    global_test : add the ``GLOBAL`` row (all p extra coefficients).
    var : accepted for the fit contract and not used: like R, the test recomputes the full 2p x 2p
        information at ``coef`` (only the score of the time-interaction part is non-zero).
    residuals : False returns the test table only (no Schoenfeld residuals); from ``ZPH_NUMBA_MIN_N``
        rows on (and a named transform) it is then computed by one compiled sweep (``_zph_numba``).
    order : optional rows sorted by (stratum, time) (the Cox fit's sort), spares the compiled path a sort.
    sorted_data : the Cox fit's sorted, centred and scaled rows (``CoxResult.zph_sorted``) for that path.

    Returns
    -------
    CoxZph (the table alone, a DataFrame, when ``residuals`` is False)
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    X = np.asarray(X, dtype=float)
    coef = np.asarray(coef, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != time.shape[0] or event.shape[0] != time.shape[0]:
        raise ValueError("time, event and X must have the same number of rows")
    if X.shape[1] != coef.size:
        raise ValueError(f"X has {X.shape[1]} columns but coef has {coef.size} values")
    if not np.all(np.isin(event, (0, 1))):
        raise ValueError("event must be 0/1 or boolean")
    if not np.all(np.isfinite(time)) or not np.all(np.isfinite(X)):
        raise ValueError("time and X must be finite (drop missing rows first)")
    event = event.astype(bool)
    if event.sum() == 0:
        raise ValueError("cox_zph needs at least one event")
    columns = list(columns) if columns is not None else [f"x{j + 1}" for j in range(coef.size)]
    if terms is None:
        terms = {c: [j] for j, c in enumerate(columns)}
    terms = {k: [int(j) for j in v] for k, v in terms.items()}
    keep = ~np.isnan(coef)
    if not keep.all():  # aliased coefficients: drop them, renumber the terms (R)
        new = np.cumsum(keep) - 1
        terms = {k: [int(new[j]) for j in v if keep[j]] for k, v in terms.items()}
        terms = {k: v for k, v in terms.items() if v}
        X, coef = X[:, keep], coef[keep]
        columns = [c for c, k in zip(columns, keep) if k]
    p = coef.size

    if not residuals and time.size >= ZPH_NUMBA_MIN_N and isinstance(transform, str):
        from ._zph_numba import zph_score_info, zph_score_info_sorted

        if sorted_data is not None and keep.all():   # the fit's own sorted rows: no gather
            ts, ds = sorted_data[2], sorted_data[3].astype(bool)
            g = transform_time(ts, ds, transform)[0]
            u, imat = zph_score_info_sorted(sorted_data, g - g[ds].mean(), ties)
        else:
            g = transform_time(time, event, transform)[0]
            u, imat = zph_score_info(X, coef, g - g[event].mean(), time, event, strata, ties, order)
        return _table(u, imat, terms, p, global_test)
    ttimes, tname = transform_time(time, event, transform)
    gtime = ttimes - ttimes[event].mean()
    rs = RiskSets(time, event, strata, ties)
    u, imat, schoen = _zph_core(rs, X, coef, gtime)
    table = _table(u, imat, terms, p, global_test)
    if not residuals:
        return table

    y, vmean = _scaled_residuals(rs, X, coef, terms, imat[:p, :p], schoen)
    ev_rows = rs.event_rows
    return CoxZph(
        table=table,
        x=ttimes[ev_rows],
        time=time[ev_rows],
        y=pd.DataFrame(y, columns=list(terms)),
        strata=None if strata is None else np.asarray(strata)[ev_rows],
        var=np.linalg.inv(vmean),
        transform=tname,
    )


def _table(u, imat, terms, p, global_test) -> pd.DataFrame:
    """The test table: per term the score test of its time interactions, then GLOBAL (all p)."""
    names, chisq, df = [], [], []
    for name, jj in terms.items():
        kk = np.concatenate((np.arange(p), np.asarray(jj) + p))
        uu = np.concatenate((np.zeros(p), u[np.asarray(jj) + p]))
        chisq.append(float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu)))
        df.append(len(jj))
        names.append(name)
    if global_test:
        uu = np.concatenate((np.zeros(p), u[p:]))
        chisq.append(float(uu @ np.linalg.solve(imat, uu)))
        df.append(p)
        names.append("GLOBAL")
    chisq_a, df_a = np.asarray(chisq), np.asarray(df)
    return pd.DataFrame({"chisq": chisq_a, "df": df_a, "p": chi2_sf(df=df_a, x=chisq_a)},
                        index=pd.Index(names, name="term"))


def _scaled_residuals(rs, X, coef, terms, imat11, schoen):
    """Scaled Schoenfeld residuals (R cox.zph ``$y``), following R's code step by step.

    One deliberate difference: R assigns residual rows to strata by counting (``sgrp``), which skips
    a stratum with deaths but no varying covariate (e.g. a one-row stratum): if it is the last
    stratum its rows stay unscaled (= coef), otherwise the later strata's rows are misaligned. Here
    each death keeps its own stratum and such rows are NaN (R's own value for a covariate constant
    within a stratum). Everything else, and the test table, is identical.
    """
    used = _used(rs, X)
    for jj in terms.values():
        if len(jj) > 1 and np.any(used[:, jj] == 0):
            used[:, jj] = used[:, jj].max(axis=1, keepdims=True)
    wtmat = np.zeros_like(imat11)
    for row in used:  # one p x p matrix per stratum
        wtmat += np.minimum.outer(row, row)
    vmean = imat11 / np.where(wtmat == 0, 1.0, wtmat)
    sres = schoen
    multi = any(len(jj) > 1 for jj in terms.values())
    if multi:
        temp = np.zeros((coef.size, len(terms)))
        for i, jj in enumerate(terms.values()):
            temp[jj, i] = 1.0 if len(jj) == 1 else coef[jj]
        sres = sres @ temp
        vmean = temp.T @ vmean @ temp
        used = used[:, [jj[0] for jj in terms.values()]]
    sres = sres.copy()
    for k in range(used.shape[0]):
        cols = np.flatnonzero(used[k] > 0)
        rows = rs.event_stratum == k
        if cols.size == 0:
            sres[rows] = np.nan
            continue
        sub = sres[np.ix_(rows, cols)]
        sres[np.ix_(rows, cols)] = np.linalg.solve(vmean[np.ix_(cols, cols)], sub.T).T
        other = np.setdiff1d(np.arange(sres.shape[1]), cols)
        sres[np.ix_(rows, other)] = np.nan
    for i, jj in enumerate(terms.values()):
        sres[:, i] += coef[jj[0]] if len(jj) == 1 else 1.0
    return sres, vmean


def _fit_arrays(fit):
    for attr in ("coef", "X", "time", "event"):
        if not hasattr(fit, attr):
            raise TypeError(f"cox_zph needs a Cox fit with .{attr} (from oncoseries.cox); "
                            f"got {type(fit).__name__}")
    columns = getattr(fit, "columns", None)
    columns = [f"x{j + 1}" for j in range(len(fit.coef))] if columns is None else list(columns)
    return dict(time=fit.time, event=fit.event, X=fit.X, coef=fit.coef,
                strata=getattr(fit, "strata", None), ties=getattr(fit, "ties", "efron"),
                columns=columns, var=getattr(fit, "var", None), terms=getattr(fit, "terms", None),
                order=getattr(fit, "order", None), sorted_data=getattr(fit, "zph_sorted", None))


def cox_zph_details(fit, transform: str | Callable = "km", terms: bool = True,
                    global_test: bool = True) -> CoxZph:
    """:func:`cox_zph` returning the full :class:`CoxZph` (table and scaled Schoenfeld residuals)."""
    a = _fit_arrays(fit)
    if not terms or a["terms"] is None:
        a["terms"] = None
    return cox_zph_arrays(a["time"], a["event"], a["X"], a["coef"], strata=a["strata"], ties=a["ties"],
                          terms=a["terms"], columns=a["columns"], transform=transform,
                          global_test=global_test, var=a["var"])


def cox_zph(fit, transform: str | Callable = "km", terms: bool = True,
            global_test: bool = True) -> pd.DataFrame:
    """Test the proportional-hazards assumption of a Cox fit, as R survival >= 3.0 ``cox.zph``.

    Parameters
    ----------
    fit : result of :func:`oncoseries.cox` (needs ``coef, X, time, event, strata, ties, columns, terms``).
    transform : ``"km"`` (default, as R), ``"rank"`` (lifelines' default), ``"identity"``, ``"log"``
        or a callable of time.
    terms : one row per term (a categorical covariate is one row with df = levels - 1); False gives
        one row per coefficient.
    global_test : add the ``GLOBAL`` row.

    Returns
    -------
    DataFrame indexed by term with columns ``chisq, df, p`` (plus ``GLOBAL``). For the scaled
    Schoenfeld residuals use :func:`cox_zph_details`.
    """
    a = _fit_arrays(fit)
    if not terms or a["terms"] is None:
        a["terms"] = None
    return cox_zph_arrays(a["time"], a["event"], a["X"], a["coef"], strata=a["strata"], ties=a["ties"],
                          terms=a["terms"], columns=a["columns"], transform=transform,
                          global_test=global_test, residuals=False, order=a["order"],
                          sorted_data=a["sorted_data"])
