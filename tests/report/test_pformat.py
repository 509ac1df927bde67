"""Figures print P values and hazard ratios exactly as the report tables do (report.numbers)."""

from __future__ import annotations

import math

import pytest

from oncoseries.report import numbers
from oncoseries.report.pformat import format_hr, format_p


@pytest.mark.parametrize("p", [0.0000123, 0.0009, 0.001, 0.0067271725855302875, 0.0499, 0.05, 0.5, 1.0])
@pytest.mark.parametrize("style", numbers.P_STYLES)
def test_same_p_as_tables(p, style):
    assert format_p(p, style) == numbers.format_p(p, style)
    assert format_p(p, style, prefix=False) == numbers.format_p(p, style, prefix=False)


def test_default_style_values():
    assert format_p(0.0067271725855302875) == "P = 0.007"
    assert format_p(0.0326) == "P = 0.03" and format_p(0.13) == "P = 0.13"
    assert format_p(0.0499) == "P = 0.0499"          # never rounded up to 0.05
    assert format_p(0.0004, prefix=False) == "<0.001"


def test_hr_text_matches_table_cells():
    hr, lo, hi = 19.071576774834508, 1.868142580090373, 2582.646696698889
    d = numbers.hr_decimals(hr)
    assert format_hr(hr, lo, hi) == (f"{numbers.format_hr(hr, decimals=d)} ({numbers.format_hr(lo, decimals=d)}–"
                                      f"{numbers.format_hr(hi, decimals=d)})") == "19.1 (1.9–2582.6)"
    assert format_hr(1.0, 0.5, math.inf) == "1.00 (0.50–∞)"
    assert format_hr(1.0, 0.5, None) == "1.00 (0.50–\u2014)"
