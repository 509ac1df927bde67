"""Baseline cumulative hazard and predicted survival of a Cox fit, as R survival 3.5-3 ``basehaz``
and ``survfit.coxph`` (see docs/statistics-cox.md, "Baseline hazard and predicted survival").

Rules (R ``agsurv``/``coxsurv.fit``, one curve per stratum): with risk r_i = exp(x_i'b - c) and
c = sum(means * b) (R's ``fit$means``: 0 for covariates whose values are all in {-1, 0, 1}), at each
distinct time t with d deaths, risk-set sum N(t) and death risk sum D(t):

- Breslow increments (``ctype = 1``): dH = d / N, variance term d / N^2;
- Efron increments (``ctype = 2``, R's default after an Efron fit): dH = sum_{j<d} 1 / (N - j D / d),
  variance term sum_j 1 / (N - j D / d)^2.

The curve for covariates x is H(t) exp(x'b - c), S = exp(-H); its standard error (of H, i.e. of
log S) is sqrt(sum var-terms + q' V q) exp(x'b - c) with q = H(t) x - sum_s xbar(s) dH(s) and V the
fit's variance (robust when the fit is robust); CIs are R's default "log" type, upper limit capped at 1.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._cox_core import _cum_within, _revcum_within
from ._dist import norm_ppf
from .design import _fmt_level, column_values, missing_mask, numeric_values

__all__ = ["baseline_hazard", "predict_survival"]

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # fit -> {efron: _Curves}


@dataclass
class _Curves:
    """Per (stratum, distinct time) group, groups sorted by (stratum, time)."""

    stratum: np.ndarray   # stratum code of each group
    time: np.ndarray
    nevent: np.ndarray
    cumhaz: np.ndarray    # at x = means (R's survfit without newdata)
    cumvar: np.ndarray    # cumulative variance term
    cumxbar: np.ndarray   # G x p: cumulative sum of xbar * dH
    seg: np.ndarray       # S + 1 group boundaries of the strata
    beta: np.ndarray
    xcenter: float


def _check_fit(fit) -> None:
    from .cox import CoxResult

    if not isinstance(fit, CoxResult):
        raise TypeError(f"fit must be the result of oncoseries.cox (CoxResult), got {type(fit).__name__}")


def _ties(fit, ties) -> bool:
    """True for Efron increments. R survfit.coxph: ctype 2 after an Efron fit, 1 after Breslow."""
    ties = fit.ties if ties is None else ties
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be None, 'efron' or 'breslow', got {ties!r}")
    return ties == "efron"


def _curves(fit, efron: bool) -> _Curves:
    """The curves of a fit, computed once per (fit, increment form) and kept while the fit lives."""
    per_fit = _CACHE.setdefault(fit, {})
    if efron not in per_fit:
        per_fit[efron] = _compute_curves(fit, efron)
    return per_fit[efron]


def _compute_curves(fit, efron: bool) -> _Curves:
    """Cumulative hazard, variance and xbar terms per (stratum, time) group (R agsurv), vectorised."""
    X = fit.X
    n, p = X.shape
    beta = np.where(np.isnan(fit.coef), 0.0, fit.coef)
    xcenter = float(np.sum(fit.means * beta))
    risk = np.exp(X @ beta - xcenter)
    st = np.zeros(n, dtype=np.int64) if fit.strata is None else np.asarray(fit.strata, dtype=np.int64)
    n_strata = max(len(fit.strata_levels), 1)
    order = np.lexsort((fit.time, st))
    t, d, s, r, Xo = fit.time[order], fit.event[order], st[order], risk[order], X[order]
    brk = np.ones(n, dtype=bool)
    brk[1:] = (t[1:] != t[:-1]) | (s[1:] != s[:-1])
    gstart = np.flatnonzero(brk)
    gstrat, gtime = s[gstart], t[gstart]
    seg = np.searchsorted(gstrat, np.arange(n_strata + 1))
    g_seg_start, g_seg_end = seg[gstrat], seg[gstrat + 1]
    rX = Xo * r[:, None]
    nrisk = _revcum_within(np.add.reduceat(r, gstart), g_seg_end)
    xsum = _revcum_within(np.add.reduceat(rX, gstart, axis=0), g_seg_end)
    if fit.entry is not None:  # at risk on (entry, time]: drop rows with entry >= t (R agsurv)
        tail0, tail1 = _entry_tails(fit.entry[order], s, r, rX, gtime, gstrat)
        nrisk, xsum = nrisk - tail0, xsum - tail1
    nev = np.add.reduceat(d, gstart)
    eg = np.flatnonzero(nev > 0)
    dd = nev[eg]
    G = gstart.size
    haz, var, xbar = np.zeros(G), np.zeros(G), np.zeros((G, p))
    if efron:
        dead = d > 0
        erisk = np.add.reduceat(r * dead, gstart)[eg]
        exsum = np.add.reduceat(rX * dead[:, None], gstart, axis=0)[eg]
        di = dd.astype(np.int64)
        grp = np.repeat(np.arange(eg.size), di)                  # one entry per death
        starts = np.concatenate([[0], np.cumsum(di)[:-1]])
        frac = (np.arange(grp.size) - starts[grp]) / dd[grp]     # j / d, j = 0..d-1
        den = nrisk[eg][grp] - erisk[grp] * frac
        inv2 = 1.0 / (den * den)
        haz[eg] = np.add.reduceat(1.0 / den, starts)
        var[eg] = np.add.reduceat(inv2, starts)
        xbar[eg] = np.add.reduceat((xsum[eg][grp] - exsum[grp] * frac[:, None]) * inv2[:, None],
                                   starts, axis=0)
    else:
        ne = nrisk[eg]
        haz[eg] = dd / ne
        var[eg] = dd / (ne * ne)
        xbar[eg] = xsum[eg] * (dd / (ne * ne))[:, None]
    return _Curves(stratum=gstrat, time=gtime, nevent=nev, cumhaz=_cum_within(haz, g_seg_start),
                   cumvar=_cum_within(var, g_seg_start), cumxbar=_cum_within(xbar, g_seg_start),
                   seg=seg, beta=beta, xcenter=xcenter)


def _entry_tails(entry, s, r, rX, gtime, gstrat):
    """Per group (stratum, t): sums of r and r x over rows of the stratum with entry >= t."""
    vals = np.unique(np.concatenate([gtime, entry]))
    nv = vals.size + 1
    key_e = s * nv + np.searchsorted(vals, entry)
    o = np.argsort(key_e, kind="stable")
    keys = key_e[o]

    def rev(w):
        return np.concatenate([np.cumsum(w[o][::-1], axis=0)[::-1], np.zeros((1,) + w.shape[1:])])

    pos = np.searchsorted(keys, gstrat * nv + np.searchsorted(vals, gtime), side="left")
    end = np.searchsorted(keys, (gstrat + 1) * nv, side="left")
    c0, c1 = rev(r), rev(rX)
    return c0[pos] - c0[end], c1[pos] - c1[end]


def _strata_labels(fit) -> list:
    """R's stratum names (strata(..., shortlabel = TRUE)): 'level', or 'a=x, b=y' for several columns."""
    cols = fit.strata_columns
    if len(cols) == 1:
        return [_fmt_level(k[0]) for k in fit.strata_levels]
    return [", ".join(f"{c}={_fmt_level(v)}" for c, v in zip(cols, k)) for k in fit.strata_levels]


def baseline_hazard(fit, centered: bool = True, ties: str | None = None) -> pd.DataFrame:
    """Baseline cumulative hazard of a Cox fit, as R ``basehaz(fit, centered)`` (survival 3.5-3).

    Parameters
    ----------
    fit : CoxResult
        A fit from :func:`oncoseries.cox`.
    centered : bool
        True (R's default): the cumulative hazard at the covariate means R uses (``fit.means``; 0 for
        a covariate whose values are all in {-1, 0, 1}, e.g. a 0/1 dummy). False: at covariates 0.
    ties : {None, "efron", "breslow"}
        Form of the hazard increments at tied times. None (R's default) follows the fit: Efron
        increments after an Efron fit (R ``ctype = 2``), Breslow after a Breslow fit (``ctype = 1``).

    Returns
    -------
    pandas.DataFrame
        Columns ``strata`` (categorical, R's stratum names; only for a stratified fit), ``time``
        (every distinct follow-up time of the stratum, censored ones included, as R) and ``hazard``.
    """
    _check_fit(fit)
    cv = _curves(fit, _ties(fit, ties))
    hazard = cv.cumhaz.copy() if centered else cv.cumhaz * np.exp(-cv.xcenter)
    out = {}
    if fit.strata is not None:
        labels = _strata_labels(fit)
        out["strata"] = pd.Categorical.from_codes(cv.stratum, categories=labels)
    out["time"] = cv.time.copy()  # the cached curves stay private
    out["hazard"] = hazard
    return pd.DataFrame(out)


def _newdata_matrix(fit, newdata: pd.DataFrame) -> np.ndarray:
    """Design rows of ``newdata`` coded as the fit's design (same dummies and reference levels)."""
    design = fit.design
    X2 = np.zeros((len(newdata), len(design.columns)))
    for term, idx in design.terms.items():
        s = column_values(newdata, term, "newdata covariate")
        if missing_mask(s).any():
            raise ValueError(f"newdata covariate {term!r} has missing values; every row needs a value")
        if term in design.levels:
            labels = design.levels[term]
            codes, uniq = pd.factorize(s)
            text = [_fmt_level(u) for u in uniq]  # distinct values only
            bad = [u for u in text if u not in labels]
            if bad:
                raise ValueError(f"newdata covariate {term!r} has levels {bad} not seen in the fit; "
                                 f"levels are {labels}")
            lev = np.array([labels.index(u) for u in text], dtype=np.int64)[codes]
            rows = np.flatnonzero(lev > 0)
            X2[rows, np.asarray(idx)[lev[rows] - 1]] = 1.0
        else:
            v = numeric_values(s, term, "newdata covariate")
            if not np.all(np.isfinite(v)):
                raise ValueError(f"newdata covariate {term!r} has infinite values")
            X2[:, idx[0]] = v
    return X2


def _newdata_strata(fit, newdata: pd.DataFrame) -> np.ndarray:
    """Stratum code of each newdata row (matched by R's text of the values)."""
    if fit.strata is None:
        return np.zeros(len(newdata), dtype=np.int64)
    cols = fit.strata_columns
    parts = []
    for c in cols:
        s = column_values(newdata, c, "newdata strata column")
        if missing_mask(s).any():
            raise ValueError(f"newdata strata column {c!r} has missing values")
        codes, uniq = pd.factorize(s)
        parts.append(np.array([_fmt_level(u) for u in uniq], dtype=object)[codes])
    fitted = pd.MultiIndex.from_tuples([tuple(_fmt_level(v) for v in k) for k in fit.strata_levels])
    code = fitted.get_indexer(pd.MultiIndex.from_arrays(parts))
    if (code < 0).any():
        i = int(np.argmax(code < 0))
        raise ValueError(f"newdata row {newdata.index[i]!r}: stratum "
                         f"{dict(zip(cols, (p[i] for p in parts)))} does not occur in the fit")
    return code.astype(np.int64)


def _lookup(cv: _Curves, strat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Group index of the last time <= t in the stratum; -1 before the first; -2 after the last."""
    vals = np.unique(cv.time)
    nv = vals.size + 1
    gkey = cv.stratum * nv + np.searchsorted(vals, cv.time)
    q = np.searchsorted(vals, t, side="right")
    g = np.searchsorted(gkey, strat * nv + q - 1, side="right") - 1
    g = np.where(g < cv.seg[strat], -1, g)
    last = cv.time[cv.seg[strat + 1] - 1]
    return np.where(t > last, -2, g)


def predict_survival(fit, newdata: pd.DataFrame, times=None, conf_level: float = 0.95,
                     ties: str | None = None) -> pd.DataFrame:
    """Predicted survival curves of a Cox fit, as R ``survfit(fit, newdata)`` (survival 3.5-3).

    Parameters
    ----------
    fit : CoxResult
        A fit from :func:`oncoseries.cox`.
    newdata : pandas.DataFrame
        One row per curve, with the fit's covariate columns (raw values: factor levels as in the
        data) and, for a stratified fit, its strata columns (each row gets its stratum's curve).
    times : array-like of float, optional
        Times at which to report each curve (as ``summary(survfit, times=)``: the value at the last
        curve time <= t; 1 before the first event; NaN after the last follow-up time of the stratum).
        Default: the distinct event times of the row's stratum (R ``survfit(..., censor = FALSE)``).
    conf_level : float
        Level of the pointwise CI, R's default "log" type: S exp(+-z se), upper limit capped at 1.
    ties : {None, "efron", "breslow"}
        Form of the hazard increments; None follows the fit, as R's ``ctype`` default.

    Returns
    -------
    pandas.DataFrame
        Long format, one line per (newdata row, time): ``row`` (newdata index label), ``strata``
        (stratified fits), ``time``, ``cumhaz``, ``std_err_cumhaz`` (R survfit's ``std.err``: the SE
        of the cumulative hazard, i.e. of log S), ``survival``, ``std_err`` (SE of the survival, as
        ``summary(survfit)``), ``lower``, ``upper``.
    """
    _check_fit(fit)
    if not isinstance(newdata, pd.DataFrame):
        raise TypeError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    if len(newdata) == 0:
        raise ValueError("newdata has no rows")
    if not (0 < conf_level < 1):
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    efron = _ties(fit, ties)
    X2 = _newdata_matrix(fit, newdata)
    s2 = _newdata_strata(fit, newdata)
    cv = _curves(fit, efron)
    risk2 = np.exp(X2 @ cv.beta - cv.xcenter)
    m = len(newdata)
    if times is None:
        ev_groups = np.flatnonzero(cv.nevent > 0)
        lo = np.searchsorted(ev_groups, cv.seg[s2])
        hi = np.searchsorted(ev_groups, cv.seg[s2 + 1])
        cnt = hi - lo
        k = np.repeat(np.arange(m), cnt)
        offs = np.arange(k.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        g = ev_groups[np.repeat(lo, cnt) + offs]
        tt = cv.time[g]
    else:
        tq = np.asarray(times, dtype=np.float64).ravel()
        if tq.size == 0 or not np.all(np.isfinite(tq)):
            raise ValueError("times must be a non-empty sequence of finite numbers")
        k = np.repeat(np.arange(m), tq.size)
        tt = np.tile(tq, m)
        g = _lookup(cv, s2[k], tt)
    # append a zero row (before the first event) and a NaN row (after the last follow-up)
    p = cv.cumxbar.shape[1]
    H = np.concatenate([cv.cumhaz, [np.nan, 0.0]])[g]
    cvar = np.concatenate([cv.cumvar, [np.nan, 0.0]])[g]
    cxb = np.concatenate([cv.cumxbar, np.full((1, p), np.nan), np.zeros((1, p))])[g]
    V = fit.robust_var if fit.robust_var is not None else fit.var
    V = np.where(np.isnan(V), 0.0, V)
    rk = risk2[k]
    q = H[:, None] * X2[k] - cxb
    varh = (cvar + np.einsum("ij,jk,ik->i", q, V, q)) * rk * rk
    cumhaz = H * rk
    surv = np.exp(-cumhaz)
    se_h = np.sqrt(varh)
    z = norm_ppf(1 - (1 - conf_level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = surv > 0
        lower = np.where(ok, surv * np.exp(-z * se_h), np.nan)
        upper = np.where(ok, np.minimum(surv * np.exp(z * se_h), 1.0), np.nan)
    out = {"row": newdata.index.to_numpy()[k]}
    if fit.strata is not None:
        out["strata"] = pd.Categorical.from_codes(s2[k], categories=_strata_labels(fit))
    out.update(time=tt, cumhaz=cumhaz, std_err_cumhaz=se_h, survival=surv, std_err=se_h * surv,
               lower=lower, upper=upper)
    return pd.DataFrame(out)
