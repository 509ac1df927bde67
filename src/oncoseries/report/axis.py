"""Time axes of the Kaplan-Meier and swimmer figures: where to cut the tail and where to put the breaks.

Cut rule (Pocock, Clayton & Altman, Lancet 2002;359:1686: the tail of a curve with few patients left at
risk is unreliable and should not be drawn): the axis stops at the last time at which at least
``fraction`` of the patients *and* at least ``min_patients`` patients remain at risk (all groups
together), i.e. it stops where fewer than 10% or fewer than 5 patients remain, whichever comes first
(defaults; study.yaml ``report: figures: axis_cut``). Breaks (months): every 6 months up to a 48-month
range, every 12 months up to 132 months, 24 beyond; short axes every 1, 2 or 3 months (up to 4, 8, 12
months); other units use the nice steps of ``_layout.nice_ticks``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._layout import nice_ticks

#: Month breaks by range (upper end of the range, step): 3, then 6 or 12 months, 24 for very long series.
MONTH_BREAKS = ((4.0, 1.0), (8.0, 2.0), (12.0, 3.0), (48.0, 6.0), (132.0, 12.0), (float("inf"), 24.0))


@dataclass(frozen=True)
class AxisCut:
    """Stop the axis where fewer than ``fraction`` of the patients or fewer than ``min_patients`` remain."""

    fraction: float | None = 0.10
    min_patients: int | None = 5

    def threshold(self, n_start: float) -> float:
        """The fewest patients at risk that still count: max(fraction x N, min_patients)."""
        parts = [0.0]
        if self.fraction is not None:
            parts.append(float(self.fraction) * float(n_start))
        if self.min_patients is not None:
            parts.append(float(self.min_patients))
        return max(parts)

    def describe(self) -> str:
        """The rule as the captions state it."""
        what = []
        if self.fraction is not None:
            what.append(f"fewer than {100 * self.fraction:g}% of the patients")
        if self.min_patients is not None:
            what.append(f"fewer than {self.min_patients} patients")
        return " or ".join(what) + (", whichever came first," if len(what) > 1 else "") + " remained at risk"


def cut_from_counts(times: np.ndarray, n_risk: np.ndarray, rule: AxisCut | None) -> float | None:
    """The last of ``times`` (ascending) whose number at risk reaches the rule's threshold; None when the
    rule keeps every time (nothing to cut) or there is no rule. The threshold is taken against the
    largest number at risk (N at time 0; with late entry, the most ever at risk together)."""
    times = np.asarray(times, float)
    n_risk = np.asarray(n_risk, float)
    if rule is None or times.size == 0:
        return None
    need = rule.threshold(float(n_risk.max()))
    ok = n_risk >= need - 1e-9
    if ok.all():
        return None
    if not ok.any():
        return float(times[0])
    # the first time the count falls short; the axis ends at the last time before it
    first_bad = int(np.argmax(~ok))
    return float(times[max(first_bad - 1, 0)])


def km_cut(km, rule: AxisCut | None) -> float | None:
    """Cut time (days) of a Kaplan-Meier fit: the number at risk of all groups at each step time."""
    t = np.unique(km.table["time"].to_numpy(float))
    if rule is None or t.size == 0:
        return None
    at = km.at(t)
    total = at.groupby("time", sort=True)["n_risk"].sum()
    return cut_from_counts(total.index.to_numpy(float), total.to_numpy(float), rule)


def times_cut(times, rule: AxisCut | None) -> float | None:
    """Cut time of follow-up times (one per patient): at risk at t = patients with time >= t."""
    t = np.sort(np.asarray(times, float)[np.isfinite(np.asarray(times, float))])
    if rule is None or t.size == 0:
        return None
    u = np.unique(t)
    n_risk = t.size - np.searchsorted(t, u, side="left")
    return cut_from_counts(u, n_risk, rule)


def time_breaks(max_time: float, unit: str = "months", max_ticks: int | None = None) -> np.ndarray:
    """Breaks 0, s, 2s, ... <= ``max_time``: months by ``MONTH_BREAKS`` (a larger step from the same
    list when more than ``max_ticks`` would be needed); other units ``nice_ticks``."""
    if not np.isfinite(max_time) or max_time <= 0:
        return np.array([0.0])
    if unit != "months":
        return nice_ticks(max_time, unit, max_ticks or 10)
    steps = [s for _, s in MONTH_BREAKS] + [36.0, 60.0, 120.0]
    i = next(k for k, (upper, _) in enumerate(MONTH_BREAKS) if max_time <= upper)
    step = steps[i]
    if max_ticks is not None:
        for s in steps[i:]:
            step = s
            if np.floor(max_time / s + 1e-9) + 1 <= max_ticks:
                break
    n = int(np.floor(max_time / step + 1e-9))
    return np.arange(n + 1) * step
