"""Number formatting shared by figures and documents: P values, hazard ratios with their CIs.

P-value styles (reporting-ux.md §2.7, §4: journals differ in digits, case and leading zero):

===========  ==================  ==================  ===========================================
style        small               otherwise           rule
===========  ==================  ==================  ===========================================
"default"    ``P < 0.001``       ``P = 0.00673``     3 significant digits (trailing zeros kept)
"nejm"       ``P<0.001``         ``P=0.007``         2 decimals, 3 below 0.01
"jama"       ``P < .001``        ``P = .007``        no leading zero; 2 decimals, 3 below .01
"lancet"     ``p<0.0001``        ``p=0.0067``        2 significant digits, lower-case p
===========  ==================  ==================  ===========================================

In every style a P just under 0.05 that would round to "0.05" keeps 3 significant digits ("0.0499").
"""

from __future__ import annotations

import math

__all__ = ["format_p", "format_hr", "format_number", "P_STYLES"]

P_STYLES = ("default", "nejm", "jama", "lancet")


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_p(p, style: str = "default", prefix: bool = True) -> str:
    """Format a P value for a figure or table.

    Parameters
    ----------
    p : float or None
        The P value; None or NaN gives "NA".
    style : {"default", "nejm", "jama", "lancet"}
        "default": "P < 0.001" below 0.001, else 3 significant digits ("P = 0.00673", "P = 0.500").
    prefix : bool
        With the "P = " / "P < " prefix (figures); without it ("0.00673", "<0.001") for table cells.

    Returns
    -------
    str
    """
    if style not in P_STYLES:
        raise ValueError(f"style must be one of {', '.join(P_STYLES)}; got {style!r}")
    if _missing(p):
        return "P = NA" if prefix else "NA"
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a P value must lie in [0, 1]; got {p!r}")
    letter, sep = ("p", "") if style == "lancet" else ("P", "" if style == "nejm" else " ")
    if style == "default":
        small, text = (p < 0.001), ("0.001" if p < 0.001 else f"{p:#.3g}".rstrip("."))
    elif style in ("nejm", "jama"):
        small = p < 0.001
        text = "0.001" if small else (f"{p:.3f}" if p < 0.01 else f"{p:.2f}")
    else:  # lancet
        small = p < 0.0001
        text = "0.0001" if small else f"{p:#.2g}".rstrip(".")
    if style == "jama":
        text = text.lstrip("0")
    if p < 0.05 <= float(text):  # never round a P just under 0.05 up to "0.05"
        text = f"{p:#.3g}"
        text = text.lstrip("0") if style == "jama" else text
    op = "<" if small else "="
    if not prefix:
        return f"<{text}" if small else text
    return f"{letter}{sep}{op}{sep}{text}"


def format_number(x, digits: int = 3) -> str:
    """Significant-digit number for HRs: 3 significant digits, no exponent up to 1e5 ("2583", "0.0524")."""
    if _missing(x):
        return "NA"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag >= 5 or mag < -4:
        return f"{x:.{digits - 1}e}"
    decimals = max(digits - 1 - mag, 0)
    return f"{round(x, decimals):.{decimals}f}"


def format_hr(hr, lower, upper, digits: int = 3, sep: str = "–") -> str:
    """ "HR (lower–upper)" with 3 significant digits each; an infinite or missing bound shows as "∞"/"NA"."""
    return f"{format_number(hr, digits)} ({format_number(lower, digits)}{sep}{format_number(upper, digits)})"
