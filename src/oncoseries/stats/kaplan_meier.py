"""Kaplan-Meier curves, medians and landmark survival, equal to R ``survival`` 3.5-3.

``kaplan_meier`` follows ``survfit(Surv(time, event) ~ by)`` (``Surv(entry, time, event)`` with late
entry): Greenwood variance, R's ``conf.type`` bands (log by default), the median and its CI as
``print.survfit``, other quantiles as ``quantile.survfit`` and landmark values as ``summary.survfit``.
See docs/statistics-km.md for every default and where it differs from R, lifelines and SAS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from oncoseries.stats import _km_core as core

__all__ = ["kaplan_meier", "median_followup", "KaplanMeierResult"]

_TABLE_COLUMNS = ["group", "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]


@dataclass
class _Curve:
    """One group's curve: the step table plus S, the se of log S (R's fit$std.err) and the band."""

    counts: core.Counts
    surv: np.ndarray
    se_log: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def fit(cls, counts: core.Counts, conf_type: str, conf_level: float) -> _Curve:
        surv, var = core.km_estimate(counts)
        se_log = np.sqrt(var)
        lower, upper = core.confint(surv, se_log, conf_type, conf_level)
        return cls(counts, surv, se_log, lower, upper)

    @property
    def events(self) -> int:
        return int(self.counts.n_event.sum())

    @property
    def std_err(self) -> np.ndarray:
        """se of S (summary.survfit): S times the se of log S; NaN where S = 0 and the se is infinite."""
        with np.errstate(invalid="ignore"):
            return self.surv * self.se_log

    def median(self) -> tuple[float, float, float]:
        """print.survfit: minmin on the curve, the lower band (-> LCL) and the upper band (-> UCL)."""
        t = self.counts.time
        return core.minmin(self.surv, t), core.minmin(self.lower, t), core.minmin(self.upper, t)

    def quantiles(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """quantile.survfit: findq on (0, t) x (0, 1 - S), likewise for each band."""
        x = np.concatenate(([0.0], self.counts.time))

        def fq(s):
            return core.findq(x, np.concatenate(([0.0], 1.0 - s)), q)

        return fq(self.surv), fq(self.lower), fq(self.upper)


class KaplanMeierResult:
    """Kaplan-Meier fit per group (R ``survfit``).

    Attributes
    ----------
    groups : list of str
        Group levels in order (sorted, or a category dtype's order); ``["all"]`` when ``by`` is None.
    conf_type, conf_level : str, float
        The band transform and level.
    n_missing : int
        Rows dropped because time, event, group or entry was missing (R's na.omit).
    """

    def __init__(self, sd: core.SurvData, curves: list[_Curve], conf_type: str, conf_level: float):
        self.groups = list(sd.labels)
        self.conf_type = conf_type
        self.conf_level = conf_level
        self.n_missing = sd.n_missing
        self.has_entry = sd.entry is not None
        self._curves = curves

    def __repr__(self) -> str:
        return (f"KaplanMeierResult(conf_type={self.conf_type!r}, conf_level={self.conf_level})\n"
                f"{self.medians.to_string(index=False)}")

    @cached_property
    def table(self) -> pd.DataFrame:
        """The step table of every group at each time with an event or a censoring (survfit's rows).

        ``std_err`` is the se of S (as ``summary.survfit``), ``lower``/``upper`` the pointwise band.
        """
        parts = []
        for label, c in zip(self.groups, self._curves):
            k = c.counts
            parts.append(pd.DataFrame({
                "group": label, "time": k.time, "n_risk": k.n_risk, "n_event": k.n_event,
                "n_censor": k.n_censor, "survival": c.surv, "std_err": c.std_err,
                "lower": c.lower, "upper": c.upper,
            }))
        return pd.concat(parts, ignore_index=True)[_TABLE_COLUMNS]

    @cached_property
    def medians(self) -> pd.DataFrame:
        """Median survival and its CI per group as R's ``print(survfit)``.

        Columns ``group, n, events, median, lower, upper``; NaN where the curve or a band never
        reaches 0.5. A midpoint only where the curve sits at exactly 0.5 and drops below it later.
        """
        rows = [(label, c.counts.n, c.events, *c.median()) for label, c in zip(self.groups, self._curves)]
        return pd.DataFrame(rows, columns=["group", "n", "events", "median", "lower", "upper"])

    def quantile(self, q) -> pd.DataFrame:
        """Survival-time quantiles as R's ``quantile(survfit, probs=q)`` (the ``findq`` rule).

        ``q`` is the probability of the event (0.25 = the time when 25% had the event, S = 0.75).
        Columns ``group, n, events, q, quantile, lower, upper``, one row per group and q. For
        q = 0.5 this equals ``medians`` except when the curve ends at exactly 0.5: then R's
        ``quantile`` averages with the last follow-up time while ``print`` gives the first time.
        """
        qa = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if qa.ndim != 1 or np.isnan(qa).any() or (qa < 0).any() or (qa > 1).any():
            raise ValueError(f"q must be probabilities in [0, 1], got {q!r}")
        parts = []
        for label, c in zip(self.groups, self._curves):
            est, lo, hi = c.quantiles(qa)
            parts.append(pd.DataFrame({"group": label, "n": c.counts.n, "events": c.events, "q": qa,
                                       "quantile": est, "lower": lo, "upper": hi}))
        return pd.concat(parts, ignore_index=True)

    def at(self, times) -> pd.DataFrame:
        """Survival at landmark times per group (R ``summary(fit, times=, extend=TRUE)``).

        Columns ``group, time, n_risk, n_event, n_censor, survival, std_err, lower, upper``:
        ``n_risk`` counts patients with entry < t <= time; ``n_event``/``n_censor`` are cumulative up
        to t; survival, its se and band are the curve's values at the last step at or before t
        (1, 0, [1, 1] before the first step). Past a group's last follow-up survival, se and band
        are NaN and n_risk is 0 (R's ``extend=TRUE`` would carry the last value forward).
        Rows are in group order, times in the order given.
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        if t.ndim != 1 or not np.isfinite(t).all():
            raise ValueError(f"times must be finite numbers, got {times!r}")
        parts = []
        for label, c in zip(self.groups, self._curves):
            parts.append(_at_one(label, c, t))
        return pd.concat(parts, ignore_index=True)[_TABLE_COLUMNS]


def _at_one(label: str, c: _Curve, t: np.ndarray) -> pd.DataFrame:
    k = c.counts
    idx = np.searchsorted(k.time, t, side="right") - 1  # R findInterval: last step at or before t
    stops = k.n_event + k.n_censor
    after = np.concatenate((np.cumsum(stops[::-1])[::-1], [0]))
    n_risk = after[np.searchsorted(k.time, t, side="left")]
    if k.entry_time is not None:
        entered_later = np.concatenate((np.cumsum(k.entry_count[::-1])[::-1], [0]))
        n_risk = n_risk - entered_later[np.searchsorted(k.entry_time, t, side="left")]
    ev = np.concatenate(([0], np.cumsum(k.n_event)))[idx + 1]
    cen = np.concatenate(([0], np.cumsum(k.n_censor)))[idx + 1]

    def pick(values, before):
        out = np.concatenate(([before], values))[idx + 1]
        out[t > k.time[-1]] = np.nan
        return out

    return pd.DataFrame({
        "group": label, "time": t, "n_risk": n_risk, "n_event": ev, "n_censor": cen,
        "survival": pick(c.surv, 1.0), "std_err": pick(c.std_err, 0.0),
        "lower": pick(c.lower, 1.0), "upper": pick(c.upper, 1.0),
    })


def _fit(sd: core.SurvData, conf_type: str, conf_level: float) -> KaplanMeierResult:
    ax = core.build_axis(sd.time, sd.entry)
    curves = [_Curve.fit(c, conf_type, conf_level) for c in core.group_counts(sd, ax)]
    return KaplanMeierResult(sd, curves, conf_type, conf_level)


def kaplan_meier(data, time, event, by=None, conf_type: str = "log", conf_level: float = 0.95,
                 entry=None) -> KaplanMeierResult:
    """Kaplan-Meier estimate per group, equal to R ``survfit`` (survival 3.5-3).

    Parameters
    ----------
    data : pandas.DataFrame or mapping or None
        Holds the named columns; None when arrays are passed directly.
    time : str or array-like
        Follow-up time (numeric, >= 0).
    event : str or array-like
        Event indicator, 0/1 or boolean (1/True = event). Other codes (e.g. lung's 1/2) raise.
    by : str or array-like, optional
        Grouping column; levels in sorted order (a category dtype keeps its order).
    conf_type : {"log", "log-log", "plain"}
        Pointwise band transform, R's names; default "log" as R (SAS and lifelines use log-log).
    conf_level : float
        Confidence level, default 0.95.
    entry : str or array-like, optional
        Late-entry (left-truncation) time: a patient is at risk at t when entry < t <= time,
        as ``survfit(Surv(entry, time, event) ~ by)``.

    Returns
    -------
    KaplanMeierResult
        ``.medians``, ``.quantile(q)``, ``.at(times)``, ``.table``.

    Notes
    -----
    Rows with a missing value are dropped (R's na.omit); times closer than sqrt(machine eps) are
    merged as R's ``aeqSurv``. Greenwood variance; log band capped at 1; plain band clipped to [0, 1].
    """
    conf_type, conf_level = core.check_conf(conf_type, conf_level)
    sd = core.prepare(data, time, event, by=by, entry=entry)
    return _fit(sd, conf_type, conf_level)


def median_followup(data, time, event, by=None, conf_type: str = "log",
                    conf_level: float = 0.95) -> pd.DataFrame:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

    The event indicator is flipped (censoring is the "event"), as R
    ``survfit(Surv(time, 1 - event) ~ by)``; the median and its CI follow ``print.survfit``.

    Parameters
    ----------
    data, time, event, by
        As in :func:`kaplan_meier`.
    conf_type, conf_level
        Band for the CI of the median, default log and 0.95 (R's defaults).

    Returns
    -------
    pandas.DataFrame
        ``group, n, n_censored, median, lower, upper, min, max``; ``min``/``max`` are the shortest and
        longest observed times of all patients in the group.
    """
    conf_type, conf_level = core.check_conf(conf_type, conf_level)
    sd = core.prepare(data, time, event, by=by)
    sd.event = ~sd.event
    fit = _fit(sd, conf_type, conf_level)
    med = fit.medians.rename(columns={"events": "n_censored"})
    if sd.gcode is None:
        med["min"], med["max"] = float(sd.time.min()), float(sd.time.max())
    else:
        rng = pd.Series(sd.time).groupby(sd.gcode).agg(["min", "max"]).sort_index()
        med["min"] = rng["min"].to_numpy(dtype=np.float64)
        med["max"] = rng["max"].to_numpy(dtype=np.float64)
    return med
