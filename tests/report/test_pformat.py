"""P-value and HR formatting shared by the figures and the documents."""

from __future__ import annotations

import math

import pytest

from oncoseries.report.pformat import format_hr, format_number, format_p


@pytest.mark.parametrize("p, default, nejm, jama, lancet", [
    (0.0000123, "P < 0.001", "P<0.001", "P < .001", "p<0.0001"),
    (0.0009, "P < 0.001", "P<0.001", "P < .001", "p=0.00090"),
    (0.001, "P = 0.00100", "P=0.001", "P = .001", "p=0.0010"),
    (0.0067271725855302875, "P = 0.00673", "P=0.007", "P = .007", "p=0.0067"),
    (0.0499, "P = 0.0499", "P=0.0499", "P = .0499", "p=0.0499"),  # never rounded up to 0.05
    (0.05, "P = 0.0500", "P=0.05", "P = .05", "p=0.050"),
    (0.5, "P = 0.500", "P=0.50", "P = .50", "p=0.50"),
    (1.0, "P = 1.00", "P=1.00", "P = 1.00", "p=1.0"),
])
def test_styles(p, default, nejm, jama, lancet):
    assert format_p(p) == default
    assert format_p(p, "nejm") == nejm
    assert format_p(p, "jama") == jama
    assert format_p(p, "lancet") == lancet


def test_without_prefix_and_missing():
    assert format_p(0.0004, prefix=False) == "<0.001"
    assert format_p(0.0231, prefix=False) == "0.0231"
    assert format_p(None) == "P = NA" and format_p(math.nan, prefix=False) == "NA"


def test_errors():
    with pytest.raises(ValueError, match="style must be one of"):
        format_p(0.1, "bmj")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        format_p(1.5)


def test_hr():
    assert format_hr(19.071576774834508, 1.868142580090373, 2582.646696698889) == "19.1 (1.87–2583)"
    assert format_hr(0.05243404946567025, 0.0003871996898677624, 0.5352910482622932, 2) == "0.052 (0.00039–0.54)"
    assert format_hr(1.0, 0.5, None) == "1.00 (0.500–NA)"
    assert format_number(math.inf) == "∞" and format_number(0.0) == "0"
