"""Number formatting for the report: P-value styles, half-up rounding, CIs with NR, hazard ratios."""

from __future__ import annotations

import re

import pytest

from oncoseries.report import numbers as nb


@pytest.mark.parametrize("p, default, nejm, jama", [
    # default (report.pformat): < 0.001; three decimals below 0.01; two from 0.01; > 0.99
    (0.0346, "P = 0.03", "P=0.03", "P = .03"),
    (0.5, "P = 0.50", "P=0.50", "P = .50"),
    (0.0004, "P < 0.001", "P<0.001", "P < .001"),
    (0.001, "P = 0.001", "P=0.001", "P = .001"),
    (0.0067271725855302875, "P = 0.007", "P=0.007", "P = .007"),
    (0.0496, "P = 0.0496", "P=0.0496", "P = .0496"),   # 0.05 and 0.050 would read as not below 0.05
    (0.0499, "P = 0.0499", "P=0.0499", "P = .0499"),
    (0.046, "P = 0.046", "P=0.046", "P = .046"),
    (0.0551, "P = 0.06", "P=0.06", "P = .06"),
    (0.0095, "P = 0.010", "P=0.010", "P = .010"),       # 3 decimals below 0.01, even when it rounds up
    (0.01, "P = 0.01", "P=0.01", "P = .01"),
    (0.995, "P > 0.99", "P>0.99", "P > .99"),
    (0.99, "P = 0.99", "P=0.99", "P = .99"),
    (1.0, "P > 0.99", "P>0.99", "P > .99"),
    (0.125, "P = 0.13", "P=0.13", "P = .13"),         # half-up, not half-even
])
def test_p_styles(p, default, nejm, jama):
    assert nb.format_p(p) == default
    assert nb.format_p(p, "nejm") == nejm
    assert nb.format_p(p, "jama") == jama


def test_p_without_prefix_and_missing():
    assert nb.format_p(0.0004, prefix=False) == "<0.001"
    assert nb.format_p(0.0004, "jama", prefix=False) == "<.001"
    assert nb.format_p(0.0346, "jama", prefix=False) == ".03"
    assert nb.format_p(0.0346, prefix=False) == "0.03"
    assert nb.format_p(None) == nb.MISSING and nb.format_p(float("nan")) == nb.MISSING


def test_p_errors():
    with pytest.raises(ValueError, match="p_style"):
        nb.format_p(0.1, "lancet")
    with pytest.raises(ValueError, match="between 0 and 1"):
        nb.format_p(1.5)


def test_half_up_rounding():
    assert nb.format_pct(0.125) == "13%"          # Python's round() and printf would give 12%
    assert nb.format_pct(0.375) == "38%"
    assert nb.format_pct(0.625) == "63%"
    assert nb.format_pct(0.125, 1) == "12.5%"
    assert nb.fixed(2.675, 2) == "2.68"           # the decimal repr, not the binary value (2.67499...)
    assert nb.fixed(-0.0001, 2) == "0.00"
    assert nb.significant(0.000951, 3) == "0.000951" and nb.significant(0.5, 3) == "0.500"


def test_percent_decimals_rule():
    assert nb.percent_decimals(51) == 0 and nb.percent_decimals(100) == 1 and nb.percent_decimals(51, 2) == 2


def test_ci_and_median_not_reached():
    assert nb.format_ci(3.58, None) == "3.6\u2013NR"
    assert nb.format_median(None, 12.1, None) == "not reached (12.1\u2013NR)"
    assert nb.format_median(7.29, 3.58, None) == "7.3 (3.6\u2013NR)"
    assert nb.format_median(15, 10, 20, "days") == "15 (10\u201320)"
    assert nb.format_time(1.234, "years") == "1.23"


def test_hazard_ratios():
    assert [nb.format_hr(x) for x in (2.0797, 0.1204, 0.0543, 19.07, 2582.6, 0.000387)] == [
        "2.08", "0.12", "0.054", "19.1", "2583", "0.0004"]
    assert nb.format_hr(None) == nb.MISSING
    assert nb.format_hr(2582.6, decimals=2) == "2582.60"


@pytest.mark.parametrize("hr, lo, hi, text", [
    (0.13, 0.0598, 0.2812, "0.13 (0.06\u20130.28)"),       # issue 11: was 0.13 (0.060-0.28)
    (0.0598, 0.0123, 0.29, "0.060 (0.012\u20130.290)"),
    (19.07, 1.868, 2582.6, "19.1 (1.9\u20132582.6)"),
    (1.0, 0.5, None, "1.00 (0.50\u2013\u2014)"),
])
def test_hr_and_ci_share_decimals(hr, lo, hi, text):
    from oncoseries.report.context import ReportContext
    from oncoseries.report.pformat import format_hr

    ctx = ReportContext({}, "months", "default", None, "t", False)
    assert ctx.hr_ci(hr, lo, hi) == text
    assert format_hr(hr, lo, hi) == text
    decimals = {len(x.split(".")[1]) if "." in x else 0 for x in re.findall(r"[0-9.]+", text)}
    assert len(decimals) == 1
