"""Number formats for figures: the same P-value and hazard-ratio text as the report tables.

The report's single source of number formatting is ``report.numbers``; figures use it through these
two helpers, so a forest plot and the Cox table never print the same estimate differently.
"""

from __future__ import annotations

from .numbers import MISSING, P_STYLES, format_hr as _hr, format_p, is_number

__all__ = ["format_p", "format_hr", "P_STYLES"]


def format_hr(hr, lower, upper, sep: str = "–") -> str:
    """``"HR (lower–upper)"`` as in the report tables; an unbounded limit prints ``∞``."""
    def one(x):
        if isinstance(x, (int, float)) and x == float("inf"):
            return "∞"
        return _hr(x) if is_number(x) else MISSING
    return f"{one(hr)} ({one(lower)}{sep}{one(upper)})"
