"""Group-sequential efficacy boundaries by Lan-DeMets alpha spending (one-sided; Lan and DeMets 1983).

Spending functions at information fraction t: O'Brien-Fleming-like a(t) = 2 - 2 Phi(z_{1-a/2} / sqrt(t));
Pocock-like a(t) = a log(1 + (e - 1) t). Crossing probabilities use the recursive numerical integration
of Armitage, McPherson and Rowe with the grid and Simpson weights of Jennison and Turnbull (2000, ch. 19),
as gsDesign and rpact; the boundaries, the inflation factor and the events at each look are checked
against rpact ``getDesignGroupSequential`` / ``getDesignCharacteristics`` (tests/golden/design_rpact.R).
A two-sided alpha is spent as alpha/2 on the efficacy side (no futility boundary).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from ..stats._brent import brent_root as brentq   # scipy.optimize.brentq bit for bit, without its import
from ._dists import norm

from ._common import DesignError, check_prob, check_sides

__all__ = ["spending", "SequentialDesign", "group_sequential"]

_R = 50          # grid size parameter (J&T recommend >= 16 for 1e-6; 50 for agreement with rpact at 1e-7)


def spending(kind: str, alpha: float, t) -> np.ndarray:
    """Cumulative alpha spent at information fractions ``t``."""
    t = np.asarray(t, float)
    if kind in ("obf", "of", "obrien-fleming"):
        with np.errstate(divide="ignore"):
            return np.where(t > 0, 2.0 * norm.sf(norm.isf(alpha / 2.0) / np.sqrt(np.maximum(t, 1e-300))), 0.0)
    if kind == "pocock":
        return alpha * np.log1p((math.e - 1.0) * t)
    raise DesignError(f"spending = {kind!r}: expected 'obf' (O'Brien-Fleming-like) or 'pocock' (Pocock-like)")


def _grid(mu: float, upper: float, r: int = _R):
    """Jennison-Turnbull grid on (-inf, upper] around ``mu`` with Simpson weights."""
    i = np.arange(1, 6 * r)
    x = np.where(i < r, mu - 3 - 4 * np.log(r / np.maximum(i, 1)),
                 np.where(i <= 5 * r, mu - 3 + 3 * (i - r) / (2 * r),
                          mu + 3 + 4 * np.log(r / np.maximum(6 * r - i, 1))))
    x = np.unique(np.minimum(x, upper))
    if len(x) < 2:
        x = np.array([upper - 1e-6, upper])
    mid = (x[:-1] + x[1:]) / 2
    z = np.empty(2 * len(x) - 1)
    z[0::2], z[1::2] = x, mid
    d = np.diff(x)
    w = np.zeros_like(z)
    w[0::2][:-1] += d / 6
    w[0::2][1:] += d / 6
    w[1::2] = 4 * d / 6
    return z, w


def _cross_probs(bounds, t, drift):
    """P(first crossing at each look) for Z_k with mean drift*sqrt(t_k), efficacy bounds only."""
    out, z_prev, h_prev = [], None, None
    for k, (b, tk) in enumerate(zip(bounds, t)):
        mu = drift * math.sqrt(tk)
        if k == 0:
            out.append(float(norm.sf(b - mu)))
            z, w = _grid(mu, b)
            h = w * norm.pdf(z - mu)
        else:
            tp = t[k - 1]
            dt = tk - tp
            sd = math.sqrt(dt)
            shift = z_prev * math.sqrt(tp) + drift * dt
            out.append(float(np.sum(h_prev * norm.sf((b * math.sqrt(tk) - shift) / sd))))
            z, w = _grid(mu, b)
            dens = norm.pdf((z[:, None] * math.sqrt(tk) - shift[None, :]) / sd) * math.sqrt(tk) / sd
            h = w * (dens @ h_prev)
        z_prev, h_prev = z, h
    return np.asarray(out)


@dataclass
class SequentialDesign:
    spending: str
    alpha: float                    # one-sided alpha spent on efficacy
    power: float
    timing: list                    # information fractions of the looks
    bounds: list                    # efficacy z boundaries
    nominal_p: list                 # one-sided nominal p-value at each boundary
    alpha_spent: list               # cumulative alpha spent
    inflation: float                # maximum information / fixed-design information
    prob_cross_h1: list             # P(stop for efficacy at each look) under the alternative

    def to_dict(self) -> dict:
        return asdict(self)


def group_sequential(k: int = 3, alpha: float = 0.05, power: float = 0.8, sides: int = 2,
                     spending_function: str = "obf", timing=None) -> SequentialDesign:
    """Lan-DeMets efficacy boundaries for ``k`` looks at information ``timing`` (default equally spaced)."""
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= 10:
        raise DesignError(f"looks = {k!r}: expected a whole number of analyses from 1 to 10")
    a = check_prob("alpha", alpha) / check_sides(sides)
    pw = check_prob("power", power)
    t = np.arange(1, k + 1) / k if timing is None else np.asarray(timing, float)
    if len(t) != k or np.any(np.diff(t) <= 0) or t[0] <= 0 or abs(t[-1] - 1) > 1e-12:
        raise DesignError(f"timing = {timing!r}: expected {k} increasing information fractions ending at 1")
    cum = spending(spending_function, a, t)
    inc = np.diff(np.concatenate([[0.0], cum]))
    bounds: list[float] = []
    for j in range(k):
        def f(b, j=j):
            return _cross_probs(bounds + [b], t[: j + 1], 0.0)[-1] - inc[j]
        bounds.append(float(brentq(f, -10.0, 40.0, xtol=1e-13)) if inc[j] > 1e-300 else math.inf)
    z_fixed = norm.isf(a) + norm.ppf(pw)
    drift = brentq(lambda d: _cross_probs(bounds, t, d).sum() - pw, 0.0, 3 * z_fixed + 10, xtol=1e-13)
    return SequentialDesign(spending_function, a, pw, [float(x) for x in t], bounds,
                            [float(norm.sf(b)) for b in bounds], [float(x) for x in cum],
                            float((drift / z_fixed) ** 2), [float(x) for x in _cross_probs(bounds, t, drift)])
