"""How the report prints numbers: P values, CIs, percentages, times, hazard ratios.

Rounding is half-up on the decimal representation (12.5% -> 13%), as style manuals expect; Python's
``round`` and C's ``printf`` (and so R's ``sprintf``) round binary halves to even. The P-value styles
are described in docs/report.md; results.json always keeps the unrounded numbers.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

DASH = "\u2013"        # en dash between CI limits and in ranges
NR = "NR"              # an unreached CI limit
NOT_REACHED = "not reached"
MISSING = "\u2014"     # em dash: no value
P_STYLES = ("default", "nejm", "jama")
TIME_DECIMALS = {"days": 0, "weeks": 1, "months": 1, "years": 2}


def is_number(x) -> bool:
    """True for a finite int or float (None, NaN and infinities are not numbers to print)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fixed(x: float, decimals: int) -> str:
    """``x`` with exactly ``decimals`` decimals, rounded half-up; no negative zero."""
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(repr(float(x)))
    d = d.quantize(q, rounding=ROUND_HALF_UP, context=Context(prec=max(28, d.adjusted() + decimals + 2)))
    if d == 0:
        d = abs(d)
    return f"{d:f}"


def significant(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, trailing zeros kept (0.5 -> '0.500'), never exponent form."""
    if x == 0:
        return fixed(0.0, digits - 1)
    d = Decimal(repr(float(x)))
    exp = d.adjusted()
    r = d.quantize(Decimal(1).scaleb(exp - digits + 1), rounding=ROUND_HALF_UP)
    if r.adjusted() != exp:  # 0.9995 -> 1.000: one digit too many
        r = r.quantize(Decimal(1).scaleb(r.adjusted() - digits + 1), rounding=ROUND_HALF_UP)
    return f"{r:f}"


def format_p(p, style: str = "default", prefix: bool = True) -> str:
    """A P value in one of the journal styles; the rule lives in ``report.pformat`` (docs/report.md)."""
    from .pformat import format_p as _format_p

    return _format_p(p, style, prefix)


def percent_decimals(n_total, setting: int | None = None) -> int:
    """Decimals for percentages: the study.yaml ``report.percent_decimals``, or 0 when N < 100, else 1."""
    if setting is not None:
        return int(setting)
    return 0 if not is_number(n_total) or n_total < 100 else 1


def format_pct(proportion, decimals: int = 0, sign: bool = True) -> str:
    """A proportion (0-1) as a percentage, ``0.2 -> '20%'``; None gives an em dash."""
    if not is_number(proportion):
        return MISSING
    return fixed(100.0 * proportion, decimals) + ("%" if sign else "")


def format_n_pct(n: int, proportion, decimals: int = 0) -> str:
    """``'10 (20%)'``."""
    return f"{int(n)} ({format_pct(proportion, decimals)})"


def format_time(x, unit: str = "months", missing: str = NR) -> str:
    """A time in the display unit: 0 decimals for days, 1 for weeks and months, 2 for years."""
    if not is_number(x):
        return missing
    return fixed(x, TIME_DECIMALS.get(unit, 1))


def format_num(x, decimals: int = 1, missing: str = MISSING) -> str:
    """A plain number; integers print without decimals."""
    if not is_number(x):
        return missing
    return str(int(x)) if float(x).is_integer() else fixed(x, decimals)


def hr_decimals(hr) -> int:
    """Decimals of a hazard ratio *and its CI* (one count for all three, set by the HR): 2 from 0.1 to
    10, 1 from 10, 0 from 100, 3 from 0.01 and 4 below ("0.13 (0.06–0.28)", "0.060 (0.012–0.300)")."""
    if not is_number(hr) or hr <= 0:
        return 2
    for bound, d in ((100, 0), (10, 1), (0.1, 2), (0.01, 3)):
        if hr >= bound:
            return d
    return 4


def format_hr(x, missing: str = MISSING, decimals: int | None = None) -> str:
    """A hazard ratio, or a CI limit with ``decimals`` (those of its HR, :func:`hr_decimals`)."""
    if not is_number(x):
        return missing
    d = hr_decimals(x) if decimals is None else decimals
    text = fixed(x, d)
    if x > 0 and not text.strip("0."):   # a positive limit that would print as zero: "<0.001"
        return "<" + fixed(10.0 ** -d, d)
    return text


def format_ci(lower, upper, fmt=format_time, missing: str = NR, suffix: str = "") -> str:
    """``'4.0\u20139.0'``: the limits formatted by ``fmt``; an unreached or missing limit prints ``NR``."""
    lo = fmt(lower) if is_number(lower) else missing
    hi = fmt(upper) if is_number(upper) else missing
    return f"{lo}{DASH}{hi}{suffix}"


def format_median(value, lower, upper, unit: str = "months") -> str:
    """Median with its CI: ``'6.0 (4.0\u20139.0)'``, ``'not reached (12.1\u2013NR)'``."""
    med = format_time(value, unit) if is_number(value) else NOT_REACHED
    return f"{med} ({format_ci(lower, upper, lambda v: format_time(v, unit))})"
