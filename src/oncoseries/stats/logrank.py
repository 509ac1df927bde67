"""Log-rank (G-rho) tests equal to R ``survdiff`` (survival 3.5-3), and the test for trend.

``logrank`` is ``survdiff(Surv(time, event) ~ by + strata(s), rho=rho)``: k groups, strata, the
Harrington-Fleming weight S(t-)^rho with the pooled left-continuous Kaplan-Meier (rho=0 log-rank,
rho=1 Peto-Peto). ``logrank_trend`` is the 1-df score contrast of the same O - E and variance matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncoseries.stats import _km_core as core
from oncoseries.stats._dist import chi2_sf

__all__ = ["logrank", "logrank_trend", "LogrankResult", "TrendResult"]


@dataclass
class _Sums:
    observed: np.ndarray
    expected: np.ndarray
    var: np.ndarray
    n: np.ndarray


def _stratum(tcode: np.ndarray, event: np.ndarray, gcode: np.ndarray, g: int, k: int, rho: float,
             w: np.ndarray | None = None):
    """O, E and V of one stratum (R survdiff2.c), vectorised over the distinct times.

    At a time with D deaths among N at risk (r_j in group j), weight w = S(t-)^rho:
    O_j += w d_j, E_j += w D r_j / N; when N > 1, V += w^2 D (N - D) / (N (N - 1)) (diag(r) - r r' / N).
    """
    if g * k > max(4 * tcode.shape[0], 1 << 20):
        local, tcode = np.unique(tcode, return_inverse=True)
        k = local.shape[0]
    key = gcode * k + tcode
    stops = core._count(key, w, g * k).reshape(g, k)  # w: subjects per row (Dask counts)
    deaths = core._count(key[event], None if w is None else w[event], g * k).reshape(g, k).astype(np.float64)
    used = stops.any(axis=0)
    stops, deaths = stops[:, used], deaths[:, used]
    risk = np.cumsum(stops[:, ::-1], axis=1)[:, ::-1].astype(np.float64)
    n_all = risk.sum(axis=0)
    d_all = deaths.sum(axis=0)
    if rho != 0:
        km = np.cumprod((n_all - d_all) / n_all)
        wt = np.concatenate(([1.0], km[:-1])) ** rho
    else:
        wt = np.ones_like(n_all)
    ev = d_all > 0
    risk, deaths, n_all, d_all, wt = risk[:, ev], deaths[:, ev], n_all[ev], d_all[ev], wt[ev]
    obs = deaths @ wt
    exp = risk @ (wt * d_all / n_all)
    v = n_all > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        kt = np.where(v, wt * wt * d_all * (n_all - d_all) / (n_all * (n_all - 1)), 0.0)
    var = np.diag(risk @ kt) - (risk * (kt / n_all)) @ risk.T
    return obs, exp, var


def _sums(sd: core.SurvData, rho: float) -> _Sums:
    g = sd.ngroups
    if g < 2:
        raise ValueError("by must have at least 2 groups with data for a log-rank test")
    ax = core.build_axis(sd.time)
    k = ax.size
    gcode = sd.gcode.astype(np.intp)
    obs = np.zeros(g)
    exp = np.zeros(g)
    var = np.zeros((g, g))
    w = sd.weight
    if sd.scode is None or len(sd.slabels) == 1:
        parts = [(ax.tcode, sd.event, gcode, w)]
    else:
        order = np.argsort(sd.scode, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(sd.scode, minlength=len(sd.slabels)))))
        parts = []
        for i in range(len(sd.slabels)):
            idx = order[bounds[i]:bounds[i + 1]]
            parts.append((ax.tcode[idx], sd.event[idx], gcode[idx], None if w is None else w[idx]))
    for tc, ev, gc, wi in parts:
        o, e, v = _stratum(tc, ev, gc, g, k, rho, wi)
        obs += o
        exp += e
        var += v
    return _Sums(obs, exp, var, core._count(gcode, w, g))


@dataclass
class LogrankResult:
    """Result of :func:`logrank` (R ``survdiff``).

    Attributes
    ----------
    statistic, df, p_value : float, int, float
        Chi-square, its degrees of freedom (groups with expected > 0, minus 1) and p.
    table : pandas.DataFrame
        ``group, n, observed, expected, (O-E)^2/E, (O-E)^2/V`` as ``print(survdiff)`` (summed over strata;
        weighted counts when rho != 0).
    variance : numpy.ndarray
        The k x k variance matrix of O - E (R's ``fit$var``), groups in ``table`` order.
    estimable, reason : bool, str or None
        False (statistic and p NaN, ``reason`` says why) when that variance matrix is singular, e.g. every
        event on one day with no one else at risk; R's survdiff stops there with "system is exactly singular".
    """

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame
    variance: np.ndarray = field(repr=False)
    rho: float = 0.0
    n_missing: int = 0
    estimable: bool = True
    reason: str | None = None


NOT_ESTIMABLE = ("not estimable: the variance of observed minus expected events is singular (e.g. every "
                 "event on one day with no patient left at risk, or only one group at risk at each event time)")


@dataclass
class TrendResult:
    """Result of :func:`logrank_trend`: ``statistic`` (1 df), ``p_value``, the ``scores`` used per group,
    ``u`` = sum s (O - E) and ``variance`` = s' V s."""

    statistic: float
    df: int
    p_value: float
    scores: pd.Series
    u: float
    variance: float
    rho: float = 0.0
    n_missing: int = 0


def _check_rho(rho) -> float:
    try:
        r = float(rho)
    except (TypeError, ValueError):
        raise TypeError(f"rho must be a number >= 0, got {rho!r}") from None
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"rho must be a finite number >= 0, got {rho!r}")
    return r


def logrank(data, time, event, by, strata=None, rho: float = 0) -> LogrankResult:
    """The G-rho family of k-sample tests, equal to R ``survdiff`` (survival 3.5-3).

    Parameters
    ----------
    data : pandas.DataFrame or mapping or None
        Holds the named columns; None when arrays are passed.
    time, event : str or array-like
        Follow-up time (>= 0) and the 0/1 or boolean event indicator.
    by : str or array-like
        Groups to compare (levels sorted, or a category dtype's order).
    strata : str or array-like, optional
        Stratification: O, E and V are computed within each stratum and summed (R ``strata()``).
    rho : float
        Weight S(t-)^rho with the pooled left-continuous Kaplan-Meier of each stratum; 0 (default) is
        the log-rank test, 1 the Peto-Peto modification of the Gehan-Wilcoxon test.

    Returns
    -------
    LogrankResult
        ``statistic``, ``df``, ``p_value``, ``table``, ``variance``.

    Notes
    -----
    The chi-square is (O-E)' V^- (O-E) over the groups with expected > 0, dropping the first of them
    (R); with fewer than two such groups it is 0. Times where only one subject is at risk add nothing
    to V, and neither do times where only one group is at risk (therneau/survival#206).
    """
    rho = _check_rho(rho)
    if by is None:
        raise TypeError("by is required: the column holding the groups to compare")
    sd = core.prepare(data, time, event, by=by, strata=strata)
    s = _sums(sd, rho)
    oe = s.observed - s.expected
    keep = s.expected > 0
    reason = None
    if keep.sum() < 2:
        stat = 0.0
    else:
        idx = np.flatnonzero(keep)[1:]
        sub = s.var[np.ix_(idx, idx)]
        stat = _quadratic_form(sub, oe[idx])
        if stat is None:
            stat, reason = np.nan, NOT_ESTIMABLE
    df = int(keep.sum()) - 1
    p = float(chi2_sf(stat, df)) if df > 0 else (1.0 if df == 0 else np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame({
            "group": sd.labels, "n": s.n, "observed": s.observed, "expected": s.expected,
            "(O-E)^2/E": oe ** 2 / s.expected, "(O-E)^2/V": oe ** 2 / np.diag(s.var),
        })
    return LogrankResult(stat, df, p, table, s.var, rho, sd.n_missing, reason is None, reason)


def _quadratic_form(v: np.ndarray, x: np.ndarray) -> float | None:
    """x' V^-1 x as R's solve(); None where R's solve stops (exactly or computationally singular V:
    reciprocal 1-norm condition number below machine epsilon, R's default tolerance)."""
    try:
        sol = np.linalg.solve(v, x)
    except np.linalg.LinAlgError:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        rcond = 1.0 / np.linalg.cond(v, 1)
    if not np.isfinite(sol).all() or not rcond >= np.finfo(float).eps:
        return None
    return float(x @ sol)


def logrank_trend(data, time, event, by, scores=None, strata=None, rho: float = 0) -> TrendResult:
    """Log-rank test for trend over ordered groups (1 df).

    chi2 = (s'(O - E))^2 / (s' V s) with O, E and V from :func:`logrank` (summed over strata) and scores
    s, by default 1..k in the group order (sorted levels, or a category dtype's order).

    Parameters
    ----------
    data, time, event, by, strata, rho
        As in :func:`logrank`.
    scores : sequence of float or mapping, optional
        One score per group in group order, or a mapping ``{level: score}`` (levels as strings or values).

    Returns
    -------
    TrendResult
        ``statistic``, ``df`` (1), ``p_value``, ``scores`` (Series indexed by group), ``u``, ``variance``.
    """
    rho = _check_rho(rho)
    if by is None:
        raise TypeError("by is required: the column holding the ordered groups")
    sd = core.prepare(data, time, event, by=by, strata=strata)
    s = _sums(sd, rho)
    g = sd.ngroups
    if scores is None:
        sc = np.arange(1, g + 1, dtype=np.float64)
    elif isinstance(scores, dict):
        lookup = {core.format_level(k): v for k, v in scores.items()}
        missing = [lab for lab in sd.labels if lab not in lookup]
        if missing:
            raise ValueError(f"scores has no value for group(s) {missing}")
        sc = np.array([lookup[lab] for lab in sd.labels], dtype=np.float64)
    else:
        sc = np.asarray(scores, dtype=np.float64).ravel()
        if sc.shape[0] != g:
            raise ValueError(f"scores must have one value per group ({g}: {sd.labels}), got {sc.shape[0]}")
    if not np.isfinite(sc).all():
        raise ValueError("scores must be finite numbers")
    u = float(sc @ (s.observed - s.expected))
    v = float(sc @ s.var @ sc)
    if not v > 0:
        raise ValueError("the variance of the trend score is 0 (all scores equal, or no events)")
    stat = u * u / v
    return TrendResult(stat, 1, float(chi2_sf(stat, 1)), pd.Series(sc, index=sd.labels, name="score"),
                       u, v, rho, sd.n_missing)
