"""Cox proportional-hazards regression, equal to R survival 3.5-3 ``coxph`` (see docs/statistics-cox.md).

Defaults as R: Efron ties, Newton-Raphson from 0 with R's convergence rule, Wald CIs for the hazard
ratio, likelihood-ratio / Wald / score tests as ``summary(coxph)``, Harrell's concordance with R's
standard error, robust (sandwich) variance from Efron-form dfbeta residuals, ``na.omit``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import _cox_core as core
from . import _km_core as core_km
from ._dist import chi2_sf, norm_ppf, norm_sf
from ._cholesky import wald_test
from .concordance import concordance as _concordance
from .cox_zph import ZPH_NUMBA_MIN_N
from . import _cox_numpy as cnp
from .design import Design, column_values, model_matrix, model_matrix_deferred, numeric_values

__all__ = ["cox", "CoxResult", "TestResult", "CoxSeparationWarning", "CoxSingularWarning"]

TOLER_INF = np.sqrt(core.EPS)


class CoxSeparationWarning(UserWarning):
    """A coefficient may be infinite (monotone likelihood); see ``CoxResult.separation``."""


class CoxSingularWarning(UserWarning):
    """Collinear covariates: some coefficients are not estimable (NaN); see ``CoxResult.singular``."""


@dataclass(frozen=True)
class TestResult:
    """A chi-square test: statistic, degrees of freedom and p-value (unrounded)."""

    statistic: float
    df: int
    p_value: float

    @classmethod
    def chisq(cls, statistic: float, df: int) -> "TestResult":
        p = float(chi2_sf(statistic, df)) if df > 0 else float("nan")
        return cls(float(statistic), int(df), p)


class CoxResult:
    """The fitted Cox model; attributes are documented in :func:`cox`.

    ``concordance`` and ``concordance_se`` are computed on first access (an O(n log n) pass that a
    caller who only needs the coefficients does not pay for), then cached.
    """

    _conc: tuple | None = None
    _conc_args: dict | None = None

    _lp: np.ndarray | None = None
    _zph_beta: np.ndarray | None = None

    @property
    def zph_sorted(self) -> tuple | None:
        """The fit's rows sorted by (stratum, time), centred and scaled (R coxfit6), for cox_zph's compiled
        path: (Xs, scaled coefficients, sorted times, deaths, strata codes, column scale); None below
        ``ZPH_NUMBA_MIN_N`` rows or with entry times. Rebuilt on each access by the fit's own
        ``_cox_numpy.center_scale`` from ``X`` and ``order`` (the same values in the same order, so the
        same means, scales and rows to the bit), so that a result does not keep a second n x p copy
        (80 MB at 10^6 x 10)."""
        if self._zph_beta is None:
            return None
        o = self.order
        Xs, _, scale, _ = cnp.center_scale(self.X, o, self.design.ranges)
        strata_s = None if self.strata is None else self.strata[o]
        return Xs, self._zph_beta, self.time[o], self.event[o], strata_s, scale

    @property
    def linear_predictors(self) -> np.ndarray:
        """X beta - sum(beta * means), as R's ``fit$linear.predictors`` (rows used, original order)."""
        if self._lp is None:
            b = np.where(np.isnan(self.coef), 0.0, self.coef)
            # column by column, so equal rows get bit-equal values wherever they sit (a BLAS gemv may
            # round rows in different blocks differently, which would split ties in the concordance)
            lp = np.zeros(self.X.shape[0])
            for j in np.flatnonzero(b):
                lp += self.X[:, j] * b[j]
            self._lp = lp - np.sum(b * self.means)
        return self._lp

    def _concordance_pair(self) -> tuple:
        if self._conc is None:
            self._conc = _concordance(lp=self.linear_predictors, **self._conc_args)
            self._conc_args = None
        return self._conc

    @property
    def concordance(self) -> float:
        """Harrell's C as R's coxph ``concordance`` component (larger lp = earlier event)."""
        return self._concordance_pair()[0]

    @property
    def concordance_se(self) -> float:
        """Standard error of the concordance (R's infinitesimal jackknife; by cluster when clustered)."""
        return self._concordance_pair()[1]

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120):
            return (f"CoxResult(n={self.n}, events={self.n_events}, ties={self.ties!r})\n"
                    f"{self.summary}\nLR {self.lr_test.statistic:.4g} on {self.lr_test.df} df, "
                    f"p={self.lr_test.p_value:.3g}; concordance {self.concordance:.4f}")


def _as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def _codes(data: pd.DataFrame, cols: list, mask: np.ndarray) -> np.ndarray | None:
    """Integer codes of the combination of ``cols`` (R strata()/cluster() interaction) over kept rows."""
    if not cols:
        return None
    sub = data.loc[mask, cols]
    return sub.groupby(cols, sort=True, observed=True).ngroup().to_numpy(dtype=np.int64)


def _levels(data: pd.DataFrame, cols: list, mask: np.ndarray) -> list:
    """The key tuples behind the codes of :func:`_codes` (code k is ``levels[k]``)."""
    if not cols:
        return []
    keys = data.loc[mask, cols].groupby(cols, sort=True, observed=True).size().index
    return [k if isinstance(k, tuple) else (k,) for k in keys]


def _timefix(*cols: np.ndarray) -> list:
    """R aeqSurv: times closer than sqrt(machine eps) (absolute or relative) are made equal."""
    tol = np.sqrt(np.finfo(float).eps)
    big = max(float(np.max(np.abs(c))) for c in cols)
    if big < 1e7 and all(np.array_equal(c, np.round(c)) for c in cols):
        return list(cols)  # whole numbers (e.g. days) are at least 1 apart: nothing to merge
    y = np.unique(np.concatenate(cols))
    y = y[np.isfinite(y)]
    if y.size < 2:
        return list(cols)
    dy = np.diff(y)
    tied = (dy <= tol) | (dy / np.mean(np.abs(y)) <= tol)
    if not tied.any():
        return list(cols)
    cuts = y[np.concatenate([[True], ~tied])]
    return [cuts[np.searchsorted(cuts, c, side="right") - 1] for c in cols]


def _event_values(s: pd.Series, name: str, keep: np.ndarray) -> np.ndarray:
    v = numeric_values(s, name, "event")[keep]
    bad = (v != 0.0) & (v != 1.0)
    if bad.any():
        vals = sorted(set(np.unique(v[bad]).tolist()))[:5]
        raise ValueError(f"event {name!r} must be 0/1 or boolean (1 = event); found {vals}. "
                         f"For data coded 1/2 (as R's lung), pass e.g. data[{name!r}] == 2")
    return np.ascontiguousarray(v, dtype=np.float64)


def _time_values(s: pd.Series, name: str, keep: np.ndarray, what: str = "time") -> np.ndarray:
    v = numeric_values(s, name, what)[keep]
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{what} {name!r} has infinite values")
    if (v < 0).any():
        raise ValueError(f"{what} {name!r} has negative values (first: {v[v < 0][0]:g}); "
                         "survival times must be >= 0")
    return np.ascontiguousarray(v, dtype=np.float64)


def cox(data: pd.DataFrame, time: str, event: str, covariates: Sequence[str], strata=None,
        ties: str = "efron", robust: bool = False, cluster=None, conf_level: float = 0.95,
        reference: Mapping[str, object] | None = None, entry: str | None = None) -> CoxResult:
    """Fit a Cox proportional-hazards model, as R ``coxph`` (survival 3.5-3).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or per (entry, time] interval with ``entry``).
    time, event : str
        Columns: follow-up time (>= 0) and event indicator (0/1 or boolean).
    covariates : sequence of str
        Covariate columns; string, category and bool columns are factors (treatment contrasts).
    strata : str or list of str, optional
        Stratification columns (separate baseline hazards; R ``strata()``).
    ties : {"efron", "breslow"}
        Handling of tied event times; Efron is R's default (SAS PHREG defaults to Breslow).
    robust : bool
        Robust (sandwich) variance from dfbeta residuals; implied by ``cluster`` (as R).
    cluster : str or list of str, optional
        Cluster column(s): dfbeta residuals summed within clusters before the sandwich.
    conf_level : float
        Level of the Wald confidence intervals of the hazard ratios.
    reference : dict, optional
        ``{"column": "level"}`` reference levels of categorical covariates.
    entry : str, optional
        Entry (left-truncation) time column: a row is at risk on (entry, time], as ``Surv(entry, time,
        event)``.

    Returns
    -------
    CoxResult
        ``summary`` (coef, se, hr, lower, upper, z, p; plus se_naive when robust), ``lr_test``,
        ``wald_test``, ``score_test``, ``robust_score_test`` (robust only), ``concordance``,
        ``concordance_se``, ``loglik`` (initial, final), ``n``, ``n_events``, ``n_dropped``,
        ``dropped_index``, ``iterations``, ``converged``, ``separation`` (names of coefficients that
        may be infinite), ``message``; and the arrays ``coef``, ``var``, ``robust_var``, ``X``,
        ``time``, ``event``, ``strata``, ``entry``, ``columns``, ``terms``, ``design``; and
        ``strata_columns`` with ``strata_levels`` (stratum code k is the key tuple ``strata_levels[k]``).
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if not (0 < conf_level < 1):
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    if core_km.is_dask(data):  # the Dask engine: per-partition sums (oncoseries.scale.dask_cox)
        from ..scale.dask_cox import cox_dask

        return cox_dask(data, time, event, covariates, strata, ties, robust, cluster, conf_level, reference,
                        entry)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    covariates = _as_list(covariates)
    if not covariates:
        raise ValueError("covariates must name at least one column")
    strata_cols, cluster_cols = _as_list(strata), _as_list(cluster)
    for what, cols in (("strata", strata_cols), ("cluster", cluster_cols)):
        for c in cols:
            column_values(data, c, what)
            if c in covariates:
                raise ValueError(f"{c!r} is both a covariate and a {what} column")
    t_s = column_values(data, time, "time")
    e_s = column_values(data, event, "event")
    en_s = column_values(data, entry, "entry") if entry is not None else None
    required = [time, event] + strata_cols + cluster_cols + ([entry] if entry is not None else [])
    early = None
    if len(data) >= cnp.PARALLEL_MIN_N and not strata_cols and entry is None:
        # large data: the design is checked in the other thread while this one sorts the times; it is
        # not copied (the sorted copy is made from the data's columns, and X later fills its buffer)
        pages = []
        defer = len(data) < core.NUMBA_MIN_N  # the numba engine (tests, variants) reads a copied design
        building = cnp.start(_design_and_buffer, data, covariates, reference, required, pages, defer)
        early = _sorted_early(t_s, e_s, time, event)
        if pages:  # the buffer exists: touch what is left of its pages with the other thread
            pages[0].work()
        design, buffer = building.result()
        if not design.row_mask.all():
            early = None  # rows were dropped: the times of the rows kept are sorted below
    else:
        design, buffer = model_matrix(data, covariates, reference, also_required=required), None
    keep = design.row_mask
    if early is not None:
        tt, ev, tfix, groups = early
    else:
        tt = _time_values(t_s, time, keep)
        ev = _event_values(e_s, event, keep)
        groups = None
    ent = None
    if en_s is not None:
        ent = _time_values(en_s, entry, keep, "entry")
        if np.any(ent >= tt):
            i = int(np.argmax(ent >= tt))
            raise ValueError(f"entry {entry!r} must be before time {time!r}: row {data.index[keep][i]!r} "
                             f"has entry {ent[i]:g} and time {tt[i]:g}")
    if ev.sum() == 0:
        raise ValueError(f"no events in {event!r} among the rows used; a Cox model needs events")
    st = _codes(data, strata_cols, keep)
    cl = _codes(data, cluster_cols, keep)
    if cluster_cols:
        robust = True
    if early is not None:
        entfix = None
    elif ent is None:
        (tfix,) = _timefix(tt)
        entfix = None
    else:
        tfix, entfix = _timefix(tt, ent)
    res = _fit(design, tfix, ev, st, entfix, ties, robust, cl, conf_level, groups, buffer)
    res.time, res.event, res.entry = tfix, ev, entfix  # the times the fit used (after timefix)
    res.strata_columns, res.strata_levels = strata_cols, _levels(data, strata_cols, keep)
    return res


def _sorted_early(t_s: pd.Series, e_s: pd.Series, time: str, event: str):
    """Times (after R's timefix), events and their sort and tied-time groups over all rows
    (``_cox_core.tied_groups``), worked out while the design matrix is built in the other thread; None
    when a value is missing or not valid (then the usual path drops the rows or gives the message)."""
    try:
        t = numeric_values(t_s, time, "time")
        e = numeric_values(e_s, event, "event")
    except ValueError:
        return None
    if not np.all(np.isfinite(t)) or (t < 0).any() or ((e != 0.0) & (e != 1.0)).any():
        return None
    tt, ev = np.array(t, dtype=np.float64), np.array(e, dtype=np.float64)  # copies: not the caller's data
    (tfix,) = _timefix(tt)
    return tt, ev, tfix, core.tied_groups(tfix, ev, None, fast=tfix.size >= core.NUMBA_MIN_N)


def _design_and_buffer(data, covariates, reference, required, pages: list, defer: bool = True):
    """``model_matrix_deferred`` and, when it did not copy, the n x p buffer of the fit's sorted copy
    with its pages touched (``_cox_numpy.PageToucher``): run in the other thread while this one sorts
    the times, then helped by it (through ``pages``), so that the page faults of a new 80 MB array
    (10^6 x 10) are not on the way of the fit."""
    design = (model_matrix_deferred if defer else model_matrix)(data, covariates, reference, required)
    if design.sources is None:   # copied after all (rows dropped, or the numba engine)
        return design, None
    toucher = cnp.PageToucher(len(data), len(design.columns))
    pages.append(toucher)
    toucher.work()
    return design, toucher.array


def _fit(design: Design, time, event, strata, entry, ties, robust, cluster, conf_level,
         groups=None, buffer=None) -> CoxResult:
    deferred = design.sources is not None   # model_matrix_deferred: the columns, not yet copied
    X = design.sources if deferred else design.X
    n, p = time.size, len(design.columns)
    use_numba = n >= core.NUMBA_MIN_N and entry is None   # never with a deferred design (see cox)
    from ._cox_numpy import one_blas_thread

    with one_blas_thread(n if not use_numba else 0):
        cd = core.prepare(X, time, event, strata, entry, ties, fast=use_numba, ranges=design.ranges,
                          groups=groups, out=buffer)
        engine = _make_engine(cd, use_numba)
        out = core.newton(engine, p)
        state = engine.last
        robust_var = (lambda imat: _robust(cd, engine, state, imat, cd.scale, cluster, p)) if robust else None
        res = result_from_fit(CoxResult(), design, cd, out, n, int(event.sum()), ties, conf_level, robust_var)
        if deferred:  # the fit is done with its sorted copy: its buffer takes X (original order)
            res.X = design.fill(cd.Xs, cnp._run2)
            cd.Xs = None
    res.strata, res.order = strata, cd.order   # order: rows by (stratum, time), reused by cox_zph
    # cox_zph's compiled path reads the fit's sorted rows: rebuilt on demand (``zph_sorted``), not kept
    res._zph_beta = out["beta"] if n >= ZPH_NUMBA_MIN_N and entry is None else None   # scaled
    res._conc_args = dict(time=time, status=event, strata=strata, entry=entry, cluster=cluster,
                          use_numba=n >= core.CONCORDANCE_NUMBA_MIN_N, order=cd.order)
    return res


def result_from_fit(res: CoxResult, design: Design, cd, out: dict, n: int, n_events: int, ties: str,
                    conf_level: float, robust_var=None) -> CoxResult:
    """Fill a CoxResult from the Newton-Raphson output (R coxph's post-processing); ``robust_var(imat)``
    gives the robust variance and the robust score test's (matrix, score), or is None (not robust).
    Shared by the in-memory fit and the Dask engine (oncoseries.scale.dask_cox)."""
    p = len(design.columns)
    robust = robust_var is not None
    scale = cd.scale
    beta_s = out["beta"]
    coef = beta_s * scale
    var = out["imat"] * np.outer(scale, scale)
    u = out["u"] / scale
    # R coxph.fit: when the rank (flag) is below p, columns with a zero variance are aliased (NA)
    singular = (np.diag(var) == 0) if out["flag"] < p else np.zeros(p, bool)
    converged = out["flag"] != 1000
    infs = np.abs(u @ var)
    if converged:
        infs = ~np.isfinite(u) | ((infs > core.EPS) & (infs > TOLER_INF * np.abs(coef)))
    else:
        infs = ~np.isfinite(infs) | ((infs > core.EPS) & (infs > TOLER_INF * np.abs(coef)))
    coef = np.where(singular, np.nan, coef)

    res.design, res.X, res.columns, res.terms = design, design.X, list(design.columns), design.terms
    res.coef, res.var, res.ties = coef, var, ties
    res.n, res.n_events = n, n_events
    res.dropped_index, res.n_dropped = design.dropped_index, design.n_dropped
    res.loglik = (float(out["loglik"][0]), float(out["loglik"][1]))
    res.iterations, res.converged = int(out["iter"]), bool(converged)
    res.means = cd.means.copy()
    res.singular = [c for c, s in zip(design.columns, singular) if s]
    res.robust_var, res.robust_score_test = None, None

    ok = ~singular
    k = int(ok.sum())
    res.lr_test = TestResult.chisq(2 * (res.loglik[1] - res.loglik[0]), k)
    res.score_test = TestResult.chisq(out["sctest"], k)
    se_naive = np.sqrt(np.diag(var))
    if robust:
        rvar, rscore = robust_var(out["imat"])
        res.robust_var = rvar
        stat, df = wald_test(rscore[0], rscore[1], core.TOLER_CHOL)
        res.robust_score_test = TestResult.chisq(stat, df)
        used_var = rvar
    else:
        used_var = var
    stat, df = wald_test(used_var[np.ix_(ok, ok)], coef[ok], core.TOLER_CHOL)
    res.wald_test = TestResult.chisq(stat, df)
    se = np.sqrt(np.diag(used_var))
    se = np.where(ok, se, np.nan)
    zq = norm_ppf(1 - (1 - conf_level) / 2)
    z = coef / se
    with np.errstate(over="ignore"):  # an infinite-coefficient fit may give HR limits of inf, as R
        summ = pd.DataFrame({"coef": coef, "se": se, "hr": np.exp(coef),
                             "lower": np.exp(coef - zq * se), "upper": np.exp(coef + zq * se),
                             "z": z, "p": 2 * norm_sf(np.abs(z))},
                            index=pd.Index(design.columns, name="term"))
    if robust:
        summ["se_naive"] = np.where(ok, se_naive, np.nan)
    res.summary = summ
    res.conf_level = conf_level

    if res.singular:
        warnings.warn(f"X matrix deemed to be singular (collinear covariates): no coefficient for "
                      f"{', '.join(res.singular)} (NaN, as R's NA)", CoxSingularWarning, stacklevel=4)
    flagged = [c for c, f in zip(design.columns, infs) if f and not np.isnan(coef[design.columns.index(c)])]
    res.separation = flagged
    res.message = None
    if flagged or not converged:
        res.message = _separation_message(flagged, converged)
        warnings.warn(res.message, CoxSeparationWarning, stacklevel=4)
    return res


def _separation_message(flagged, converged) -> str:
    if flagged:
        names = ", ".join(flagged)
        msg = (f"The coefficient(s) {names} may be infinite: the partial likelihood keeps increasing as "
               "they grow (monotone likelihood, e.g. every event in one group of a binary covariate). "
               "Their hazard ratios, standard errors, confidence intervals and Wald p-values are not "
               "meaningful; use the likelihood-ratio test, or Firth's penalised Cox regression "
               "(oncoseries.firth_cox), which gives finite estimates.")
        if not converged:
            msg = "The fit did not converge in 20 iterations. " + msg
        return msg
    return ("The fit did not converge in 20 iterations; estimates may be unreliable. If a coefficient "
            "grows without bound, consider Firth's penalised Cox regression (oncoseries.firth_cox).")


class _Engine:
    """Callable beta -> (loglik, u, H) remembering the state at the last beta."""

    def __init__(self, cd, sums):
        self.cd, self.sums, self.last = cd, sums, None

    def __call__(self, beta):
        gsum, H1, sc = self.sums(self.cd, beta)
        ll, u, H, sc, A = core.score_info(self.cd, gsum, H1, sc)
        self.last = (beta.copy(), gsum, sc, A)
        return ll, u, H


def _make_engine(cd, use_numba: bool) -> _Engine:
    if use_numba:
        from ._cox_numba import numba_group_sums

        return _Engine(cd, numba_group_sums)
    if cd.entry is None:
        from ._cox_numpy import group_sums

        return _Engine(cd, group_sums)
    return _Engine(cd, lambda cd_, beta: (core.numpy_group_sums(cd_, beta), None, None))


def _robust(cd, engine, state, imat_scaled, scale, cluster, p):
    """Robust variance D'D with D = score residuals x var (R residuals.coxph 'dfbeta'), and the robust
    score test from the score residuals at beta = 0 (R coxph)."""
    beta, gsum, sc, A = state
    resid = core.score_residuals(cd, gsum, sc, A)        # sorted rows, scaled units
    dfb = resid @ imat_scaled                            # scaled units
    cl = None if cluster is None else cluster[cd.order]
    if cl is not None:
        dfb = _collapse(dfb, cl)
    rvar = (dfb.T @ dfb) * np.outer(scale, scale)
    # robust score test at beta = 0
    g0, _, sc0 = engine.sums(cd, np.zeros(p))
    ll0, u0, H0, sc0, A0 = core.score_info(cd, g0, np.zeros((p, p)), sc0)
    r0 = core.score_residuals(cd, g0, sc0, A0) / scale   # back to original units
    if cl is not None:
        r0 = _collapse(r0, cl)
    u = r0.sum(axis=0)
    return rvar, (r0.T @ r0, u)


def _collapse(m: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum rows within clusters (R rowsum)."""
    k = int(codes.max()) + 1
    return np.column_stack([np.bincount(codes, weights=m[:, j], minlength=k) for j in range(m.shape[1])])
