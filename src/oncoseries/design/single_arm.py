"""Single-arm phase II designs against a benchmark taken from the series.

- Simon (1989, Control Clin Trials 10:1) two-stage designs for a response rate: stop after stage 1 with
  <= r1 responses of n1; declare the regimen promising with > r responses of n. All (n1, r1, r) for each n
  are enumerated with exact binomial probabilities (vectorised); type I error <= alpha at p0 and power
  >= 1 - beta at p1 (one-sided). Optimal: smallest expected size under p0 (EN0); minimax: smallest n, then
  smallest EN0. Ties: smaller n, then n1, r1, r.
- A'Hern (2001, Stat Med 20:859) single-stage exact design: smallest n with a cut-off r such that
  P(X >= r | p0) <= alpha and P(X >= r | p1) >= 1 - beta; the regimen is promising with >= r responses.
- One-sample log-rank test (Finkelstein, Muzikansky and Schoenfeld 2003; sample size as Wu 2015, Pharm
  Stat 14:26): the new arm's survival is S0(t)^HR against the reference S0 (the series' curve), patients
  enter over ``accrual`` and are followed ``follow_up`` after the last entry. With O observed events and
  E = sum of reference cumulative hazards at each patient's time, the test rejects when (E - O)/sqrt(E)
  > z_{1-a}; n = (z_{1-a} sqrt(e1) + z_{1-b} s1)^2 / (e1 - q1)^2 where, under the alternative, q1 = P(event),
  e1 = E[Lambda0(X)] and s1^2 = Var(delta - Lambda0(X)) per patient (exact moments, numerical integration).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from ._dists import binom, norm

from ._common import DesignError, check_hr, check_prob
from .survival import Accrual, PiecewiseExponential, _setup

__all__ = ["SimonDesign", "simon_two_stage", "AHernDesign", "ahern", "OneSampleDesign", "one_sample_logrank_n"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)
_AHERN_BLOCK = 100        # sizes tried together by ahern (elementwise: the block size changes no value)


def _check_rates(p0, p1):
    p0, p1 = check_prob("p0", p0), check_prob("p1", p1)
    if p1 <= p0:
        raise DesignError(f"p1 = {p1} must be larger than p0 = {p0} (the response rate to beat)")
    return p0, p1


@dataclass
class AHernDesign:
    p0: float
    p1: float
    alpha: float
    power: float
    n: int
    r: int                      # promising with >= r responses of n
    actual_alpha: float
    actual_power: float

    def to_dict(self) -> dict:
        return asdict(self)


def ahern(p0: float, p1: float, alpha: float = 0.05, power: float = 0.8, nmax: int = 1000) -> AHernDesign:
    """Single-stage exact binomial design (A'Hern 2001): ``.n`` patients, promising with ``>= .r`` responses."""
    p0, p1 = _check_rates(p0, p1)
    a, pw = check_prob("alpha", alpha), check_prob("power", power)
    for start in range(1, nmax + 1, _AHERN_BLOCK):   # the sizes in blocks, smallest first: stop at the first
        n = np.arange(start, min(start + _AHERN_BLOCK, nmax + 1))   # design (the binomial quantile is slow)
        # smallest r with P(X >= r | p0) <= alpha, i.e. P(X <= r - 1) >= 1 - alpha
        r = binom.ppf(1 - a, n, p0).astype(int) + 1
        r = np.where(binom.sf(r - 2, n, p0) <= a, r - 1, r)      # guard the quantile at a boundary
        ok = (binom.sf(r - 1, n, p1) >= pw) & (r <= n)
        if ok.any():
            i = int(np.argmax(ok))
            ni, ri = int(n[i]), int(r[i])
            return AHernDesign(p0, p1, a, pw, ni, ri, float(binom.sf(ri - 1, ni, p0)),
                               float(binom.sf(ri - 1, ni, p1)))
    raise DesignError(f"no single-stage design with at most {nmax} patients; p1 - p0 is too small")


@dataclass
class SimonDesign:
    design: str
    p0: float
    p1: float
    alpha: float
    power: float
    r1: int                     # stop after stage 1 with <= r1 responses of n1
    n1: int
    r: int                      # promising with > r responses of n
    n: int
    en0: float                  # expected sample size under p0
    pet0: float                 # probability of early termination under p0
    actual_alpha: float
    actual_power: float

    def to_dict(self) -> dict:
        return asdict(self)


class _Tables:
    """Binomial pmf and upper tails P(X > k) for every size m <= nmax (one scipy call per p)."""

    def __init__(self, nmax: int, p: float):
        m = np.arange(nmax + 1)[:, None]
        k = np.arange(-1, nmax + 1)[None, :]
        self.sf = binom.sf(k, m, p)                              # column k + 1; k = -1 gives 1
        self.pmf = binom.pmf(np.arange(nmax + 1)[None, :], m, p)
        self.cdf = 1.0 - self.sf[:, 1:]

    def reject(self, n1: int, n: int) -> np.ndarray:
        """P(reject) for every (r1 in 0..n1-1, r in 0..n-1): sum_{x1 > r1} b(x1; n1) P(X2 > r - x1).

        P(X2 > r - x1) for x1 = n1, n1 - 1, ..., 0 (rows) is a sliding window over one padded row of the
        tails, P(X2 > k) for k = -n1..n-1 (1 for k < 0): a strided view instead of a gathered (n1+1) x n
        index. The terms and their running sums are the same (over x1 from n1 down), so is every double."""
        row = self.sf[n - n1]                                    # row[k + 1] = P(X2 > k), k = -1, 0, ...
        padded = np.empty(n1 + n)
        padded[:n1] = row[0]
        padded[n1:] = row[1:n + 1]
        step = padded.strides[0]
        window = np.ndarray((n1 + 1, n), padded.dtype, padded, 0, (step, step))   # row i: x1 = n1 - i
        tail = (self.pmf[n1, n1::-1, None] * window).cumsum(axis=0)   # row i: sum over x1' >= n1 - i
        return tail[n1 - 1::-1] if n1 else tail[:0]              # row r1: x1 > r1


def _pet_max(t0: _Tables, t1: _Tables, nmax: int, pw: float) -> np.ndarray:
    """For each n1, the largest P(stop after stage 1 | p0) any design can have: r1 at most the largest value
    with P(X1 > r1 | p1) >= power (NaN when no r1 >= 0 qualifies, i.e. no design has that n1)."""
    out = np.full(nmax + 1, np.nan)
    for n1 in range(1, nmax + 1):
        ok = np.flatnonzero(t1.sf[n1, 1:n1 + 1] >= pw)          # r1 = 0 .. n1 - 1
        if ok.size:
            out[n1] = t0.cdf[n1, ok[-1]]
    return out


def _search(n_from: int, nmax: int, t0: _Tables, t1: _Tables, a: float, pw: float, minimax: bool):
    """Smallest EN0 (optimal) or smallest n then EN0 (minimax). Branch and bound: EN0 of any design with
    (n, n1) is at least n1 + (1 - PETmax(n1)) (n - n1), so pairs that cannot beat the best are skipped and
    the search stops once no n1 can (the bound grows with n)."""
    pet_max = _pet_max(t0, t1, nmax, pw)
    best = None
    for n in range(n_from, nmax + 1):
        n1s = np.arange(1, n)
        lb = n1s + (1 - pet_max[1:n]) * (n - n1s)
        bound = best[0] - 1e-12 if best is not None else np.inf
        cand = n1s[np.isfinite(lb) & (lb < bound)]
        if cand.size == 0:
            if best is not None and n >= best[0]:
                break
            continue
        r = np.arange(n)[None, :]
        for n1 in cand:
            n1 = int(n1)
            rej0 = t0.reject(n1, n)
            ok = (rej0 <= a) & (np.arange(n1)[:, None] < r)
            if not ok.any():
                continue
            rej1 = t1.reject(n1, n)
            ok &= rej1 >= pw
            if not ok.any():
                continue
            pet = t0.cdf[n1, :n1]
            en = np.where(ok, n1 + (1 - pet)[:, None] * (n - n1), np.inf)
            i, j = np.unravel_index(np.argmin(en), en.shape)       # first minimum: smallest r1, then r
            if best is None or en[i, j] < best[0] - 1e-12:
                best = (float(en[i, j]), n, n1, int(i), int(j), float(pet[i]), float(rej0[i, j]),
                        float(rej1[i, j]))
        if minimax and best is not None:
            break
    return best


def simon_two_stage(p0: float, p1: float, alpha: float = 0.05, power: float = 0.8, design: str = "optimal",
                    nmax: int | None = None) -> SimonDesign:
    """Simon's optimal or minimax two-stage design (exact binomial enumeration up to ``nmax`` patients)."""
    p0, p1 = _check_rates(p0, p1)
    a, pw = check_prob("alpha", alpha), check_prob("power", power)
    if design not in ("optimal", "minimax"):
        raise DesignError(f"design = {design!r}: expected 'optimal' or 'minimax'")
    single = ahern(p0, p1, a, pw).n
    nmax = int(nmax or min(max(100, 2 * single), 400))
    t0, t1 = _Tables(nmax, p0), _Tables(nmax, p1)
    best = _search(2, nmax, t0, t1, a, pw, design == "minimax")
    if best is None:
        raise DesignError(f"no two-stage design with at most {nmax} patients meets alpha {a} and power {pw}")
    en, n, n1, r1, r, pet, aa, ap = best
    return SimonDesign(design, p0, p1, a, pw, r1, n1, r, n, en, pet, aa, ap)


@dataclass
class OneSampleDesign:
    hr: float
    alpha: float
    power: float
    accrual: float
    follow_up: float
    dropout_rate: float
    reference_median: float
    experimental_median: float
    n: float
    n_planned: int
    events_h1: float            # expected observed events with n_planned patients if the new regimen works
    expected_h0: float          # expected events from the reference (E) under the alternative
    prob_event_h1: float

    def to_dict(self) -> dict:
        return asdict(self)


def _moments(ref: PiecewiseExponential, hr: float, acc: Accrual, fu: float, eta: float):
    T = acc.duration + fu
    pts = np.unique(np.concatenate([[0.0, T, fu], np.asarray(ref.starts, float),
                                    T - np.cumsum(acc.durations)]))
    pts = pts[(pts >= 0) & (pts <= T)]
    lo, hi = pts[:-1, None], pts[1:, None]
    t = ((hi - lo) / 2 * _GL_X + (hi + lo) / 2).ravel()
    w = ((hi - lo) / 2 * _GL_W).ravel()
    lam0 = np.asarray(ref.rates)[np.searchsorted(np.asarray(ref.starts), t, side="right") - 1]
    L0 = ref.cumhaz(t)
    g = acc.enrolled(T - t) * np.exp(-eta * t)                   # P(still followed at t | no event)
    s1 = np.exp(-hr * L0)
    base = w * g * s1
    q1 = np.sum(base * hr * lam0)
    e1 = np.sum(base * lam0)
    m_dl = np.sum(base * hr * lam0 * L0)                         # E[delta Lambda0(X)]
    m_l2 = np.sum(base * 2 * lam0 * L0)                          # E[Lambda0(X)^2]
    var1 = q1 - 2 * m_dl + m_l2 - (q1 - e1) ** 2
    return float(q1), float(e1), float(var1)


def one_sample_logrank_n(hr: float, reference, accrual, follow_up: float, alpha: float = 0.05,
                         power: float = 0.8, dropout_rate: float = 0.0) -> OneSampleDesign:
    """Patients for a single-arm trial tested with the one-sample log-rank test (one-sided ``alpha``)."""
    hr = check_hr("hr", hr)
    if hr > 1:
        raise DesignError(f"hr = {hr}: the one-sample design tests an improvement; expected a hazard ratio < 1")
    za, zb = norm.isf(check_prob("alpha", alpha)), norm.ppf(check_prob("power", power))
    ref, acc, fu, eta = _setup(reference, accrual, follow_up, dropout_rate)
    q1, e1, v1 = _moments(ref, hr, acc, fu, eta)
    n = (za * math.sqrt(e1) + zb * math.sqrt(v1)) ** 2 / (e1 - q1) ** 2
    npl = math.ceil(n - 1e-9)
    return OneSampleDesign(hr, float(alpha), float(power), acc.duration, fu, eta, ref.median(),
                           ref.scaled(hr).median(), n, npl, npl * q1, npl * e1, q1)
