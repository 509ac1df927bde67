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


def _two_or_three(p: float) -> str:
    """Two decimals, three below 0.01 or when two would round a P < 0.05 up to 0.05 (AMA Manual 11th ed.)."""
    two = fixed(p, 2)
    if p < 0.01 or (p < 0.05 and Decimal(two) >= Decimal("0.05")):
        return fixed(p, 3)
    return two


def format_p(p, style: str = "default", prefix: bool = True) -> str:
    """Format a P value in one of the journal styles.

    Parameters
    ----------
    p : float or None
        The P value; None or NaN gives an em dash.
    style : {"default", "nejm", "jama"}
        ``default``: ``P < 0.001``, otherwise three significant digits (``P = 0.0346``, ``P = 0.500``).
        ``nejm``: ``P<0.001``; ``P=0.003`` (three decimals below 0.01); otherwise two decimals
        (``P=0.04``), three when two would turn P < 0.05 into 0.05 (``P=0.049``); ``P>0.99``.
        ``jama``: as nejm, without the leading zero and with spaces: ``P < .001``, ``P = .003``,
        ``P = .04``, ``P > .99`` (AMA Manual of Style).
    prefix : bool
        True: with ``P`` and the sign (for text); False: the value alone, ``<0.001`` (for a P column).

    Returns
    -------
    str
    """
    if style not in P_STYLES:
        raise ValueError(f"p_style must be one of {', '.join(P_STYLES)}; got {style!r}")
    if not is_number(p):
        return MISSING
    if not 0 <= p <= 1:
        raise ValueError(f"a P value must be between 0 and 1; got {p!r}")
    space = "" if style == "nejm" else " "
    if p < 0.001:
        sign, value = "<", "0.001"
    elif style != "default" and p > 0.99:
        sign, value = ">", "0.99"
    elif style == "default":
        sign, value = "=", significant(p, 3)
    else:
        sign, value = "=", _two_or_three(p)
    if style == "jama":
        value = value[1:] if value.startswith("0.") else value
    if not prefix:
        return value if sign == "=" else f"{sign}{value}"
    return f"P{space}{sign}{space}{value}"


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


def format_hr(x, missing: str = MISSING) -> str:
    """A hazard ratio: two decimals, one from 10, none from 100; two significant digits below 0.1."""
    if not is_number(x):
        return missing
    if x >= 100:
        return fixed(x, 0)
    if x >= 10:
        return fixed(x, 1)
    if x >= 0.1:
        return fixed(x, 2)
    return significant(x, 2) if x > 0 else "0"


def format_ci(lower, upper, fmt=format_time, missing: str = NR, suffix: str = "") -> str:
    """``'4.0\u20139.0'``: the limits formatted by ``fmt``; an unreached or missing limit prints ``NR``."""
    lo = fmt(lower) if is_number(lower) else missing
    hi = fmt(upper) if is_number(upper) else missing
    return f"{lo}{DASH}{hi}{suffix}"


def format_median(value, lower, upper, unit: str = "months") -> str:
    """Median with its CI: ``'6.0 (4.0\u20139.0)'``, ``'not reached (12.1\u2013NR)'``."""
    med = format_time(value, unit) if is_number(value) else NOT_REACHED
    return f"{med} ({format_ci(lower, upper, lambda v: format_time(v, unit))})"
