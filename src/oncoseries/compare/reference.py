"""Reference (historical control) survival curves for one-sample comparisons (docs/historical-control.md).

A reference is a cumulative hazard Lambda0(t) in the caller's time unit, built from
- individual patient data (real or reconstructed): the Nelson-Aalen estimate (R ``survfit``'s ``cumhaz``),
  a step function; past the reference's last follow-up it is extended with the reference's overall
  event rate (events / person-time), and the comparison says how many patients were followed beyond it;
- a published median only: exponential, Lambda0(t) = t log 2 / median;
- one landmark (time, survival): exponential through it;
- two points (a median and a landmark, or two landmarks): Weibull S(t) = exp(-(t / scale)^shape) through both;
- three or more points: piecewise exponential (Lambda0 linear between the points, from (0, 1); the last
  piece's hazard continues after the last point).
Survival values may be given as proportions (0-1) or percentages (a value above 1 is read as a percentage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ReferenceCurve", "reference_curve", "summary_points"]

SHAPES = ("auto", "exponential", "weibull", "piecewise")


@dataclass(frozen=True)
class ReferenceCurve:
    """A reference survival curve: ``cumhaz(t)``, ``survival(t)``, ``median``; ``kind`` is ``ipd``,
    ``exponential``, ``weibull`` or ``piecewise``; ``points`` the (time, survival) pairs it was built from;
    ``ipd`` the reference patients (time, event) when built from IPD; ``last_time`` the end of the reference's
    follow-up (IPD) or of its points."""

    kind: str
    params: dict
    points: tuple = ()
    label: str | None = None
    citation: str | None = None
    ipd: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    last_time: float | None = None

    def cumhaz(self, t) -> np.ndarray:
        """Lambda0(t) at the times ``t`` (the reference's time unit)."""
        t = np.asarray(t, dtype=float)
        if np.isnan(t).any() or (t < 0).any():
            raise ValueError("times must be >= 0 and not missing")
        p = self.params
        if self.kind == "exponential":
            return p["rate"] * t
        if self.kind == "weibull":
            return (t / p["scale"]) ** p["shape"]
        knots, hz = np.asarray(p["times"], float), np.asarray(p["cumhaz"], float)
        if self.kind == "piecewise":
            inside = np.interp(t, knots, hz)
            return np.where(t > knots[-1], hz[-1] + p["last_rate"] * (t - knots[-1]), inside)
        # ipd: right-continuous step function (Nelson-Aalen), extended linearly past the last follow-up
        idx = np.searchsorted(knots, t, side="right") - 1
        step = np.where(idx >= 0, hz[np.clip(idx, 0, None)], 0.0)
        past = t > p["last_followup"]
        return np.where(past, hz[-1] + p["rate"] * (t - p["last_followup"]), step)

    def survival(self, t) -> np.ndarray:
        """S0(t) = exp(-Lambda0(t))."""
        return np.exp(-self.cumhaz(t))

    @property
    def median(self) -> float | None:
        """Time at which S0 reaches 0.5 (None when an IPD reference never gets there)."""
        p = self.params
        if self.kind == "exponential":
            return math.log(2) / p["rate"]
        if self.kind == "weibull":
            return p["scale"] * math.log(2) ** (1 / p["shape"])
        knots, hz = np.asarray(p["times"], float), np.asarray(p["cumhaz"], float)
        target = math.log(2)
        if self.kind == "piecewise":
            if hz[-1] >= target:
                return float(np.interp(target, hz, knots))
            return float(knots[-1] + (target - hz[-1]) / p["last_rate"]) if p["last_rate"] > 0 else None
        # ipd: the Kaplan-Meier median of the reference patients (as print(survfit))
        s = p["km"]
        below = np.nonzero(np.asarray(s) <= 0.5 + 1e-12)[0]
        return float(knots[below[0]]) if below.size else None

    def describe(self) -> str:
        """One line for people: how the curve was built."""
        p = self.params
        pts = "; ".join(f"S({_g(t)}) = {100 * s:.0f}%" for t, s in self.points)
        if self.kind == "exponential":
            return f"exponential (median {_g(self.median)}{', from ' + pts if pts else ''})"
        if self.kind == "weibull":
            return f"Weibull through {pts} (shape {p['shape']:.2f}, median {_g(self.median)})"
        if self.kind == "piecewise":
            return f"piecewise exponential through {pts}"
        return (f"Nelson-Aalen estimate from {p['n']} patients ({p['events']} events; median "
                f"{'not reached' if self.median is None else _g(self.median)})")

    def to_dict(self) -> dict:
        """JSON-ready description (results.json ``historical_controls[].reference``)."""
        params = {k: v for k, v in self.params.items() if k not in ("times", "cumhaz", "km")}
        return {"kind": self.kind, "label": self.label, "citation": self.citation, "description": self.describe(),
                "median": self.median, "points": [{"time": float(t), "survival": float(s)} for t, s in self.points],
                "params": {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in params.items()},
                "last_time": self.last_time}


def _g(x) -> str:
    return "NA" if x is None else f"{x:.3g}"


def _survival_value(s, what: str) -> float:
    try:
        v = float(s)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: survival {s!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{what}: survival {s!r} must be a proportion (0-1) or a percentage (0-100)")
    if v > 1:
        if v > 100:
            raise ValueError(f"{what}: survival {s!r} is above 100%")
        v /= 100.0
    return v


def summary_points(median=None, landmarks=None) -> list[tuple[float, float]]:
    """(time, survival) pairs from a median and landmarks (dict time -> survival or list of pairs),
    sorted by time; survival as a proportion. Two points at the same time are an error."""
    pts: list[tuple[float, float]] = []
    if median is not None:
        m = float(median)
        if not math.isfinite(m) or m <= 0:
            raise ValueError(f"median must be a positive number, got {median!r}")
        pts.append((m, 0.5))
    items = landmarks.items() if isinstance(landmarks, dict) else (landmarks or [])
    for item in items:
        try:
            t, s = item
        except (TypeError, ValueError):
            raise ValueError(f"landmarks: expected (time, survival) pairs, got {item!r}") from None
        t = float(t)
        if not math.isfinite(t) or t <= 0:
            raise ValueError(f"landmarks: time {t!r} must be a positive number")
        v = _survival_value(s, f"landmark at {t:g}")
        if not 0 < v < 1:
            raise ValueError(f"landmark at {t:g}: survival must be strictly between 0 and 1 (0% and 100%)")
        pts.append((t, v))
    pts.sort()
    times = [t for t, _ in pts]
    for a, b in zip(pts, pts[1:]):
        if math.isclose(a[0], b[0], rel_tol=1e-9):
            raise ValueError(f"two survival values at time {a[0]:g} ({100 * a[1]:g}% and {100 * b[1]:g}%); "
                             "give one value per time")
        if b[1] > a[1]:
            raise ValueError(f"survival rises from {100 * a[1]:g}% at {a[0]:g} to {100 * b[1]:g}% at {b[0]:g}; "
                             "a survival curve cannot rise")
        if b[1] == a[1]:
            raise ValueError(f"survival is {100 * a[1]:g}% at both {a[0]:g} and {b[0]:g}; the curve must fall "
                             "between two points to be built from them")
    del times
    return pts


def _from_points(pts, shape: str) -> tuple[str, dict]:
    if not pts:
        raise ValueError("give IPD, a median or at least one landmark to build a reference curve")
    kind = shape if shape != "auto" else ("exponential" if len(pts) == 1 else
                                          "weibull" if len(pts) == 2 else "piecewise")
    if kind == "exponential":
        if len(pts) != 1:
            raise ValueError("an exponential reference is defined by one point (a median or one landmark); "
                             f"{len(pts)} were given")
        t, s = pts[0]
        return kind, {"rate": -math.log(s) / t}
    if kind == "weibull":
        if len(pts) != 2:
            raise ValueError(f"a Weibull reference is defined by exactly two points; {len(pts)} were given")
        (t1, s1), (t2, s2) = pts
        k = (math.log(-math.log(s2)) - math.log(-math.log(s1))) / (math.log(t2) - math.log(t1))
        scale = t1 / (-math.log(s1)) ** (1 / k)
        return kind, {"shape": k, "scale": scale}
    if len(pts) < 1:
        raise ValueError("a piecewise-exponential reference needs at least one point")
    times = np.array([0.0] + [t for t, _ in pts])
    hz = np.array([0.0] + [-math.log(s) for _, s in pts])
    last_rate = (hz[-1] - hz[-2]) / (times[-1] - times[-2])
    return "piecewise", {"times": times.tolist(), "cumhaz": hz.tolist(), "last_rate": float(last_rate)}


def _from_ipd(ipd, time: str, event: str) -> tuple[dict, pd.DataFrame]:
    from ..stats._km_core import prepare

    sd = prepare(ipd, time, event)
    t = np.asarray(sd.time, float)
    e = np.asarray(sd.event, bool)
    if t.size < 2 or not e.any():
        raise ValueError("reference IPD needs at least 2 patients and 1 event")
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=ut.size)
    stops = np.bincount(inv, minlength=ut.size)
    n_risk = np.cumsum(stops[::-1])[::-1].astype(float)
    keep = d > 0
    hz = np.cumsum(d[keep] / n_risk[keep])
    km = np.cumprod(1 - d[keep] / n_risk[keep])
    params = {"times": ut[keep].tolist(), "cumhaz": hz.tolist(), "km": km.tolist(),
              "last_followup": float(t.max()), "rate": float(e.sum() / t.sum()),
              "n": int(t.size), "events": int(e.sum())}
    return params, pd.DataFrame({"time": t, "event": e.astype(int)})


def reference_curve(ipd=None, *, time: str = "time", event: str = "event", median=None, landmarks=None,
                    shape: str = "auto", label: str | None = None, citation: str | None = None) -> ReferenceCurve:
    """A reference survival curve from IPD, or from a published median and/or landmark survival.

    Parameters
    ----------
    ipd : DataFrame, optional
        Reference patients (e.g. from ``reconstruct_ipd``) with columns ``time`` and ``event``.
    median : float, optional
        Published median survival (time unit of the comparison).
    landmarks : dict or list of (time, survival), optional
        Published survival at times, e.g. ``{24: 0.30}`` (or 30 for 30%).
    shape : {"auto", "exponential", "weibull", "piecewise"}
        "auto": exponential from one point, Weibull from two, piecewise exponential from three or more.
    label, citation : str, optional
        Kept with the curve for the report.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}; got {shape!r}")
    if ipd is not None:
        if median is not None or landmarks:
            raise ValueError("give either IPD or summary numbers (median, landmarks), not both")
        params, frame = _from_ipd(ipd, time, event)
        return ReferenceCurve("ipd", params, (), label, citation, frame, params["last_followup"])
    pts = summary_points(median, landmarks)
    kind, params = _from_points(pts, shape)
    return ReferenceCurve(kind, params, tuple(pts), label, citation, None, max(t for t, _ in pts))
