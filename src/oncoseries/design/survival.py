"""Patients, events and duration of a randomised time-to-event trial (Lachin and Foulkes 1986).

Control survival is piecewise exponential (an exponential from a median, or pieces of the series' own
Kaplan-Meier curve); the experimental arm has the control hazard times ``hr`` (proportional hazards).
Patients enter over ``accrual`` (uniform, or piecewise-uniform with relative rates), are followed until
the end of the study (accrual + minimum follow-up) and drop out at an exponential rate.

- ``method="lachin-foulkes"`` (default): N = ((z_a sqrt(V0) + z_b sqrt(V1)) / |log HR|)^2 with
  V = 1/(Q_C P_C) + 1/(Q_E P_E), P the probability of an observed event; under H0 both arms have the
  allocation-weighted hazard (1 + r HR)/(1 + r) x control, as gsDesign ``nSurv`` (Lachin and Foulkes 1986,
  Biometrics 42:507; Kim and Tsiatis 1990).
- ``method="schoenfeld"`` / ``"freedman"``: events from ``events.py``, patients = events / P(event), as
  rpact ``getSampleSizeSurvival``.

The event probabilities are integrated exactly over each piece (Gauss-Legendre on smooth pieces).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from ..stats._brent import brent_root as brentq   # scipy.optimize.brentq bit for bit, without its import
from ._dists import norm

from ._common import (DesignError, as_array, check_hr, check_positive, check_prob, check_sides, z_alpha,
                      z_power)
from .events import events_needed

__all__ = ["PiecewiseExponential", "Accrual", "SurvivalDesign", "design_survival", "power_survival",
           "event_probability", "expected_events", "dropout_hazard", "control_from_km", "time_to_events"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)


@dataclass(frozen=True)
class PiecewiseExponential:
    """Hazard ``rates[j]`` from ``starts[j]`` to ``starts[j+1]`` (the last rate goes on for ever)."""

    starts: tuple
    rates: tuple

    def __post_init__(self):
        s, r = np.asarray(self.starts, float), np.asarray(self.rates, float)
        if s.ndim != 1 or len(s) != len(r) or len(s) == 0 or s[0] != 0 or np.any(np.diff(s) <= 0):
            raise DesignError("piecewise exponential: expected interval starts 0 < t1 < t2 ... and one hazard "
                              "rate per interval")
        if not np.all(np.isfinite(r)) or np.any(r < 0) or r[-1] <= 0:
            raise DesignError(f"piecewise exponential hazard rates {list(r)}: expected finite rates >= 0, the "
                              "last one > 0")

    @classmethod
    def exponential(cls, median: float) -> "PiecewiseExponential":
        """Constant hazard log(2)/median."""
        return cls((0.0,), (math.log(2) / check_positive("control median", median),))

    def scaled(self, hr: float) -> "PiecewiseExponential":
        return PiecewiseExponential(self.starts, tuple(float(x) * hr for x in self.rates))

    def cumhaz(self, t) -> np.ndarray:
        t = np.asarray(t, float)
        s, r = np.asarray(self.starts), np.asarray(self.rates)
        ends = np.append(s[1:], np.inf)
        width = np.clip(t[..., None] - s, 0.0, ends - s)
        return (width * r).sum(axis=-1)

    def survival(self, t) -> np.ndarray:
        return np.exp(-self.cumhaz(t))

    def inverse_cumhaz(self, h) -> np.ndarray:
        """Time at which the cumulative hazard reaches ``h`` (vectorised; used to draw event times)."""
        h = np.asarray(h, float)
        s, r = np.asarray(self.starts), np.asarray(self.rates)
        at = self.cumhaz(s)                          # cumulative hazard at each start
        j = np.minimum(_count_right(at, h) - 1, len(s) - 1)
        # a zero-rate piece is never the landing piece (searchsorted skips it), except beyond the end
        with np.errstate(divide="ignore", invalid="ignore"):
            return s[j] + (h - at[j]) / r[j]

    def median(self) -> float:
        return float(self.inverse_cumhaz(math.log(2)))

    def to_dict(self) -> dict:
        return {"starts": [float(x) for x in self.starts], "rates": [float(x) for x in self.rates]}


def control_from_km(times, survival, breaks) -> PiecewiseExponential:
    """Piecewise exponential through a Kaplan-Meier curve at ``breaks``: the hazard of each piece is
    -log(S(b_{j+1}) / S(b_j)) / (b_{j+1} - b_j), S read from the step function (right-continuous); the
    last piece's hazard continues past the last break."""
    t = np.asarray(times, float)
    s = np.asarray(survival, float)
    b = as_array("breaks", breaks)
    if b[0] != 0 or np.any(np.diff(b) <= 0) or len(b) < 2:
        raise DesignError(f"breaks = {list(b)}: expected 0 < b1 < b2 ... (at least one interval)")
    order = np.argsort(t, kind="stable")
    t, s = t[order], s[order]
    idx = np.searchsorted(t, b, side="right") - 1
    sb = np.where(idx >= 0, s[np.maximum(idx, 0)], 1.0)
    if np.any(sb <= 0):
        raise DesignError("the Kaplan-Meier curve reaches 0 before the last break; choose earlier breaks")
    h = -np.log(sb)
    rates = np.diff(h) / np.diff(b)
    rates = np.maximum(rates, 0.0)
    if rates[-1] <= 0:
        rates[-1] = max(h[-1] / b[-1], 1e-12)      # no event in the last piece: the average hazard goes on
    return PiecewiseExponential(tuple(b[:-1]), tuple(rates))


@dataclass(frozen=True)
class Accrual:
    """Entry over consecutive periods ``durations`` at relative rates ``rates`` (uniform: one period)."""

    durations: tuple
    rates: tuple = (1.0,)

    def __post_init__(self):
        d, r = np.asarray(self.durations, float), np.asarray(self.rates, float)
        if len(d) == 0 or len(d) != len(r) or np.any(~np.isfinite(d)) or np.any(d <= 0) \
                or np.any(~np.isfinite(r)) or np.any(r < 0) or not np.any(r > 0):
            raise DesignError(f"accrual periods {list(d)} with rates {list(r)}: expected durations > 0 and "
                              "one relative rate >= 0 per period (not all 0)")

    @property
    def duration(self) -> float:
        return float(np.sum(self.durations))

    def pieces(self):
        """(start, end, density) of each period; densities integrate to 1. Made once per accrual (read-only
        arrays kept on the frozen instance: a design asks for them hundreds of times)."""
        got = self.__dict__.get("_pieces")
        if got is None:
            d, r = np.asarray(self.durations, float), np.asarray(self.rates, float)
            starts = np.concatenate([[0.0], np.cumsum(d)[:-1]])
            dens = r / float(np.sum(r * d))
            got = (starts, starts + d, dens)
            for a in got:
                a.flags.writeable = False
            object.__setattr__(self, "_pieces", got)
        return got

    def enrolled(self, t) -> np.ndarray:
        """Share of the patients enrolled by calendar time ``t``."""
        s, e, dens = self.pieces()
        t = np.asarray(t, float)
        return (np.clip(t[..., None] - s, 0, e - s) * dens).sum(axis=-1)

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Entry times from uniform(0, 1) draws ``u`` (inverse of ``enrolled``)."""
        s, e, dens = self.pieces()
        cum = np.concatenate([[0.0], np.cumsum((e - s) * dens)])
        u = np.asarray(u, float)
        if len(s) == 1:          # one period (j = 0 for every draw): the same sums with scalars
            return s[0] + (u - cum[0]) / dens[0]
        j = np.clip(_count_right(cum, u) - 1, 0, len(s) - 1)
        if not np.all(dens > 0):
            j = np.where(dens[j] > 0, j, np.searchsorted(cum, u, side="left") - 1)  # skip zero-rate periods
        return s[j] + (u - cum[j]) / dens[j]


def _count_right(edges: np.ndarray, x) -> np.ndarray:
    """``np.searchsorted(edges, x, side="right")`` for a short sorted ``edges`` (a few pieces): the count of
    edges not above each x, one comparison per edge. searchsorted on a million unsorted draws costs ~50 ns
    each (a binary search that mispredicts); ``not x < edge`` also counts every edge for a NaN x, as
    searchsorted does (NaN sorts last)."""
    x = np.asarray(x, float)
    count = np.zeros(x.shape, np.intp)
    for edge in np.asarray(edges, float).tolist():
        count += ~(x < edge)
    return count[()] if count.ndim == 0 else count


def dropout_hazard(proportion: float, by_time: float) -> float:
    """Exponential dropout rate from 'a proportion lost to follow-up by a time': -log(1 - p) / t."""
    if proportion == 0:
        return 0.0
    return -math.log(1.0 - check_prob("dropout proportion", proportion)) / check_positive("dropout time", by_time)


def _curve_arrays(surv: PiecewiseExponential) -> tuple:
    """(starts, rates, ends, cumulative hazard at each start) of a curve as arrays, made once per curve (a
    design evaluates the same curve hundreds of times); read-only, kept on the (frozen) curve itself."""
    got = surv.__dict__.get("_arrays")
    if got is None:
        s, r = np.asarray(surv.starts), np.asarray(surv.rates)
        got = (s, r, np.append(s[1:], np.inf), surv.cumhaz(s))
        for a in got:
            a.flags.writeable = False
        object.__setattr__(surv, "_arrays", got)
    return got


def _event_by(tau: np.ndarray, surv: PiecewiseExponential, eta: float) -> np.ndarray:
    """P(event observed within ``tau`` of entry): event hazard piecewise, dropout hazard ``eta``."""
    s, r, ends, at = _curve_arrays(surv)
    tot = r + eta
    start_surv = np.exp(-(at + eta * s))                              # P(no event, no dropout) at each start
    width = np.clip(np.asarray(tau, float)[..., None] - s, 0.0, ends - s)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, r / np.where(tot > 0, tot, 1.0), 0.0)
    return (share * start_surv * -np.expm1(-tot * width)).sum(axis=-1)


def _cut_points(lo: float, hi: float, T: float, surv: PiecewiseExponential) -> np.ndarray:
    """lo, the times T - start of the curve's piece starts strictly between lo and hi, and hi, sorted (=
    ``np.unique`` of them: for lo < hi they are distinct, as the starts are); with a NaN, np.unique."""
    inner = [T - float(x) for x in surv.starts[1:]]
    inside = [x for x in inner if lo < x < hi]
    if lo < hi and all(x == x for x in (lo, hi, *inner)):
        return np.array([lo, *sorted(inside), hi], dtype=float)
    return np.unique(np.concatenate([[lo, hi], np.asarray(inside, float)]))


def expected_events(t, accrual: Accrual, surv: PiecewiseExponential, eta: float = 0.0) -> np.ndarray:
    """Expected events per enrolled patient (of the final total) observed by calendar time ``t``."""
    out = []
    for T in np.atleast_1d(np.asarray(t, float)):
        total = 0.0
        for a, b, dens in zip(*accrual.pieces()):
            hi = min(b, T)
            if hi <= a or dens == 0:
                continue
            pts = _cut_points(a, hi, T, surv)
            lo_, hi_ = pts[:-1, None], pts[1:, None]
            u = (hi_ - lo_) / 2 * _GL_X + (hi_ + lo_) / 2
            total += dens * float(np.sum((hi_ - lo_) / 2 * _GL_W * _event_by(T - u, surv, eta)))
        out.append(total)
    return np.asarray(out)


def event_probability(accrual: Accrual, follow_up: float, surv: PiecewiseExponential, eta: float = 0.0) -> float:
    """P(a patient's event is observed by the end of the study = accrual + minimum follow-up)."""
    return float(expected_events(accrual.duration + follow_up, accrual, surv, eta)[0])


@dataclass
class SurvivalDesign:
    """A fixed-sample randomised time-to-event design (numbers unrounded unless named ``*_planned``)."""

    method: str
    hr: float
    alpha: float
    sides: int
    power: float
    ratio: float
    accrual: float
    follow_up: float
    dropout_rate: float
    control_median: float
    experimental_median: float
    prob_event_control: float
    prob_event_experimental: float
    patients: float
    events: float
    n_control: int
    n_experimental: int
    patients_planned: int
    events_planned: int
    accrual_rate: float                 # planned patients per time unit
    study_duration: float               # accrual + minimum follow-up
    time_to_events_h1: float            # expected calendar time of the final analysis (events_planned)
    time_to_events_h0: float            # ... if the arms do not differ
    control: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _lf_patients(za, zb, hr, ratio, p0, pc, pe):
    qe = ratio / (1.0 + ratio)
    qc = 1.0 - qe
    v0 = 1.0 / (qc * p0) + 1.0 / (qe * p0)
    v1 = 1.0 / (qc * pc) + 1.0 / (qe * pe)
    return ((za * math.sqrt(v0) + zb * math.sqrt(v1)) / abs(math.log(hr))) ** 2, v0, v1


def _setup(control, accrual, follow_up, dropout_rate):
    if isinstance(control, (int, float)):
        control = PiecewiseExponential.exponential(control)
    if not isinstance(control, PiecewiseExponential):
        raise DesignError("control: expected a median (number) or a PiecewiseExponential")
    if isinstance(accrual, (int, float)):
        accrual = Accrual((check_positive("accrual", accrual),))
    if not isinstance(accrual, Accrual):
        raise DesignError("accrual: expected a duration (number) or an Accrual")
    return control, accrual, check_positive("follow_up", follow_up, allow_zero=True), \
        check_positive("dropout_rate", dropout_rate, allow_zero=True)


def _time_to(d: float, n: float, qe: float, accrual, c, e, eta) -> float:
    def f(t):
        return n * ((1 - qe) * expected_events(t, accrual, c, eta)[0] + qe * expected_events(t, accrual, e, eta)[0]) - d
    hi = accrual.duration + 1.0
    while f(hi) < 0:
        hi *= 2
        if hi > 1e7:
            return math.inf
    return float(brentq(f, 1e-9, hi, xtol=1e-10))


def time_to_events(events: float, n_control: int, n_experimental: int, hr: float, control, accrual,
                   dropout_rate: float = 0.0) -> float:
    """Expected calendar time (from the first entry) at which ``events`` events are expected in a trial of
    ``n_control`` + ``n_experimental`` patients (used for the time of each analysis)."""
    c, acc, _, eta = _setup(control, accrual, 0.0, dropout_rate)
    n = n_control + n_experimental
    return _time_to(events, n, n_experimental / n, acc, c, c.scaled(check_positive("hr", hr)), eta)


def design_survival(hr: float, control, accrual, follow_up: float, alpha: float = 0.05, power: float = 0.8,
                    ratio: float = 1.0, sides: int = 2, dropout_rate: float = 0.0,
                    method: str = "lachin-foulkes") -> SurvivalDesign:
    """Patients and events for a two-arm trial; ``control`` a median or a PiecewiseExponential, ``accrual``
    a duration or an Accrual, ``follow_up`` the minimum follow-up after the last patient enters."""
    hr = check_hr("hr", hr)
    sides = check_sides(sides)
    ratio = check_positive("ratio", ratio)
    za, zb = z_alpha(alpha, sides), z_power(power)
    c, acc, fu, eta = _setup(control, accrual, follow_up, dropout_rate)
    e = c.scaled(hr)
    qe = ratio / (1.0 + ratio)
    pc, pe = (event_probability(acc, fu, x, eta) for x in (c, e))
    pbar = (1 - qe) * pc + qe * pe
    if method == "lachin-foulkes":
        p0 = event_probability(acc, fu, c.scaled((1.0 + hr * ratio) / (1.0 + ratio)), eta)
        n = _lf_patients(za, zb, hr, ratio, p0, pc, pe)[0]
        d = n * pbar
    elif method in ("schoenfeld", "freedman"):
        d = events_needed(hr, alpha, power, ratio, sides, method)
        n = d / pbar
    else:
        raise DesignError(f"method = {method!r}: expected 'lachin-foulkes', 'schoenfeld' or 'freedman'")
    n_c, n_e = math.ceil(n * (1 - qe) - 1e-9), math.ceil(n * qe - 1e-9)
    n_plan, d_plan = n_c + n_e, math.ceil(d - 1e-9)
    t1 = _time_to(d_plan, n_plan, qe, acc, c, e, eta)
    t0 = _time_to(d_plan, n_plan, qe, acc, c, c, eta)
    return SurvivalDesign(method, hr, float(alpha), sides, float(power), ratio, acc.duration, fu, eta,
                          c.median(), e.median(), pc, pe, n, d, n_c, n_e, n_plan, d_plan, n_plan / acc.duration,
                          acc.duration + fu, t1, t0, c.to_dict())


def power_survival(hr, patients: float, control, accrual, follow_up: float, alpha: float = 0.05,
                   ratio: float = 1.0, sides: int = 2, dropout_rate: float = 0.0,
                   method: str = "lachin-foulkes") -> np.ndarray:
    """Power for ``patients`` at each hazard ratio in ``hr`` (the inverse of ``design_survival``)."""
    sides = check_sides(sides)
    ratio = check_positive("ratio", ratio)
    n = check_positive("patients", patients)
    za = z_alpha(alpha, sides)
    c, acc, fu, eta = _setup(control, accrual, follow_up, dropout_rate)
    qe = ratio / (1.0 + ratio)
    pc = event_probability(acc, fu, c, eta)
    out = []
    for h in np.atleast_1d(np.asarray(hr, float)):
        h = check_hr("hr", h)
        pe = event_probability(acc, fu, c.scaled(h), eta)
        if method == "lachin-foulkes":
            p0 = event_probability(acc, fu, c.scaled((1.0 + h * ratio) / (1.0 + ratio)), eta)
            _, v0, v1 = _lf_patients(za, 0.0, h, ratio, p0, pc, pe)
            zb = (abs(math.log(h)) * math.sqrt(n) - za * math.sqrt(v0)) / math.sqrt(v1)
            out.append(float(norm.cdf(zb)))
        else:
            from .events import power_events
            out.append(power_events(h, n * ((1 - qe) * pc + qe * pe), alpha, ratio, sides, method))
    return np.asarray(out)
