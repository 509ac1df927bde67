"""Number of events for a randomised comparison of two survival curves under proportional hazards.

Schoenfeld (1981, Biometrika 68:316): D = (z_{1-a/s} + z_{1-b})^2 / (p (1 - p) log(HR)^2), p the share
randomised to the experimental arm. Freedman (1982, Stat Med 1:121): D = (z_{1-a/s} + z_{1-b})^2
(1 + r HR)^2 / (r (1 - HR)^2), r = experimental:control. Both as R's rpact ``getSampleSizeSurvival``
(``typeOfComputation``) and gsDesign ``nEvents``; tests/golden/design_rpact.R checks them.
"""

from __future__ import annotations

import math

from ._dists import norm

from ._common import DesignError, check_hr, check_positive, check_sides, z_alpha, z_power

__all__ = ["events_schoenfeld", "events_freedman", "events_needed", "power_events"]


def _share(ratio: float) -> float:
    r = check_positive("ratio", ratio)
    return r / (1.0 + r)


def events_schoenfeld(hr: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                      sides: int = 2) -> float:
    """Events needed (unrounded; round up to plan) to detect ``hr`` with a log-rank test (Schoenfeld 1981).

    ``ratio`` is patients on the experimental arm per patient on control; ``sides`` says whether ``alpha``
    is two-sided (2) or one-sided (1)."""
    hr = check_hr("hr", hr)
    p = _share(ratio)
    z = z_alpha(alpha, sides) + z_power(power)
    return z * z / (p * (1.0 - p) * math.log(hr) ** 2)


def events_freedman(hr: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                    sides: int = 2) -> float:
    """Events needed by Freedman's (1982) formula (unrounded)."""
    hr = check_hr("hr", hr)
    r = check_positive("ratio", ratio)
    z = z_alpha(alpha, sides) + z_power(power)
    return z * z * (1.0 + r * hr) ** 2 / (r * (1.0 - hr) ** 2)


def events_needed(hr: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0, sides: int = 2,
                  method: str = "schoenfeld") -> float:
    if method == "schoenfeld":
        return events_schoenfeld(hr, alpha, power, ratio, sides)
    if method == "freedman":
        return events_freedman(hr, alpha, power, ratio, sides)
    raise DesignError(f"method = {method!r}: expected 'schoenfeld' or 'freedman'")


def power_events(hr: float, events: float, alpha: float = 0.05, ratio: float = 1.0, sides: int = 2,
                 method: str = "schoenfeld") -> float:
    """Power of the log-rank test with ``events`` events: the inverse of the formulas above,
    Phi(sqrt(D / V) - z_{1-a/s}) with V the variance factor of the method (the far tail is ignored)."""
    check_sides(sides)
    d = check_positive("events", events)
    hr = check_hr("hr", hr)
    if method == "schoenfeld":
        p = _share(ratio)
        drift = math.sqrt(d * p * (1.0 - p)) * abs(math.log(hr))
    elif method == "freedman":
        r = check_positive("ratio", ratio)
        drift = math.sqrt(d * r) * abs(1.0 - hr) / (1.0 + r * hr)
    else:
        raise DesignError(f"method = {method!r}: expected 'schoenfeld' or 'freedman'")
    return float(norm.cdf(drift - z_alpha(alpha, sides)))
