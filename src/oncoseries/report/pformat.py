"""P values and hazard ratios as printed: the one P rule of the report, its tables, text and figures.

Default rule (the common journal rule, e.g. NEJM and The Lancet author guidelines; AMA Manual of Style
11th ed. 20.9): ``P < 0.001`` below 0.001; three decimals from 0.001 to below 0.01 (``P = 0.003``); two
decimals from 0.01 (``P = 0.03``, ``P = 0.13``), with as many more as needed so that a P below 0.05 never
prints as 0.05 (``P = 0.049``, ``P = 0.0496``); ``P > 0.99`` above 0.99. ``nejm``: the same without spaces
(``P=0.03``); ``jama``: with spaces and no leading zero (``P = .03``). Hazard ratios and their CI limits
share one number of decimals, set by the HR (``numbers.hr_decimals``). Rounding is half-up.
"""

from __future__ import annotations

from decimal import Decimal

from .numbers import MISSING, P_STYLES, fixed, hr_decimals, is_number
from .numbers import format_hr as _hr

__all__ = ["P_STYLES", "format_hr", "format_p", "p_decimals"]


def p_decimals(p: float) -> int:
    """Decimals of a P value >= 0.001 by the default rule (3 below 0.01, else 2; more when P < 0.05
    would otherwise print as 0.05)."""
    d = 3 if p < 0.01 else 2
    while p < 0.05 and Decimal(fixed(p, d)) >= Decimal("0.05") and d < 6:
        d += 1
    return d


def format_p(p, style: str = "default", prefix: bool = True) -> str:
    """Format a P value.

    Parameters
    ----------
    p : float or None
        The P value; None or NaN gives an em dash.
    style : {"default", "nejm", "jama"}
        ``default``: ``P < 0.001``, ``P = 0.003``, ``P = 0.04``, ``P = 0.049``, ``P > 0.99``;
        ``nejm``: the same without spaces (``P<0.001``, ``P=0.04``); ``jama``: no leading zero
        (``P < .001``, ``P = .04``).
    prefix : bool
        True: with ``P`` and the sign (for text); False: the value alone, ``<0.001`` (for a P column).
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
    elif p > 0.99:
        sign, value = ">", "0.99"
    else:
        sign, value = "=", fixed(p, p_decimals(p))
    if style == "jama":
        value = value[1:] if value.startswith("0.") else value
    if not prefix:
        return value if sign == "=" else f"{sign}{value}"
    return f"P{space}{sign}{space}{value}"


def format_hr(hr, lower, upper, sep: str = "\u2013") -> str:
    """``"HR (lower–upper)"`` with one number of decimals for all three; an unbounded limit prints ``∞``."""
    d = hr_decimals(hr)

    def one(x):
        if isinstance(x, (int, float)) and x == float("inf"):
            return "\u221e"
        return _hr(x, decimals=d) if is_number(x) else MISSING
    return f"{one(hr)} ({one(lower)}{sep}{one(upper)})"
